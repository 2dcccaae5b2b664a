/*
 * The update manifest parser: an INI file -> struct clu_manifest.
 *
 * The INI reader (ini.c) does the syntax, the values and the messages; this
 * file has the manifest's sections and keys, where their values go, and
 * the rules that span keys and sections (which keys a probe's type needs,
 * a probe's group among the updated ones, [update] and [install] present).
 * Every rule is documented in doc/manifest.md. Errors are one line,
 * "PATH:LINE: [SECTION] KEY: what is wrong (expected WHAT)"; the first one
 * wins and the partial manifest is freed.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/manifest.h"
#include "ini-file.h"
#include "util.h"

#define SECOND_MS 1000u
#define MINUTE_MS (60u * SECOND_MS)

/* CLU__INI_CHOICE stores an int. */
_Static_assert(sizeof(enum clu_strategy) == sizeof(int), "strategy is int-sized");
_Static_assert(sizeof(enum clu_probe_type) == sizeof(int), "probe type is int-sized");

static const struct clu__ini_choice strategies[] = {
	{ "in-place", CLU_STRATEGY_IN_PLACE },
	{ "rolling", CLU_STRATEGY_ROLLING },
	{ "auto", CLU_STRATEGY_AUTO },
	{ NULL, 0 },
};

static const struct clu__ini_choice probe_types[] = {
	{ "tcp", CLU_PROBE_TCP },
	{ "smtp", CLU_PROBE_SMTP },
	{ "command", CLU_PROBE_COMMAND },
	{ NULL, 0 },
};

static const char *choice_word(const struct clu__ini_choice *choices, int value)
{
	for (; choices->word; choices++)
		if (choices->value == value)
			return choices->word;
	return "unknown";
}

const char *clu_strategy_name(enum clu_strategy strategy)
{
	return choice_word(strategies, (int)strategy);
}

int clu_strategy_parse(const char *name)
{
	for (const struct clu__ini_choice *c = strategies; name && c->word; c++)
		if (strcmp(name, c->word) == 0)
			return c->value;
	return -1;
}

const char *clu_probe_type_name(enum clu_probe_type type)
{
	return choice_word(probe_types, (int)type);
}

/* HOST:PORT, [IPV6]:PORT or :PORT, port 1-65535: NULL, or what is wrong. */
static const char *check_address(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t host_len;
	unsigned port;

	if (!colon)
		return "is not an address";
	host_len = (size_t)(colon - s);
	for (size_t i = 0; i < host_len; i++)
		if (isspace((unsigned char)s[i]))
			return "is not an address";
	if (host_len && strcspn(s, ":[]") < host_len &&
	    !(host_len > 2 && s[0] == '[' && colon[-1] == ']' &&
	      strcspn(s + 1, "[]") == host_len - 2))
		return "is not an address";
	if (clu__ini_parse_uint(colon + 1, 1, 65535, &port) != CLU__INI_NUMBER_OK)
		return "has no valid port";
	return NULL;
}

#define UPDATE(field) offsetof(struct clu_manifest, field)
#define HOOK(field) offsetof(struct clu_hook, field)
#define PROBE(field) offsetof(struct clu_probe_spec, field)

/* Indexes into the tables, for the checks that span keys. */
enum { UPDATE_NAME, UPDATE_VERSION, UPDATE_GROUPS, UPDATE_STRATEGY };
enum { HOOK_PRE, HOOK_POST };
enum { PROBE_TYPE, PROBE_GROUP, PROBE_ADDRESS, PROBE_COMMAND, PROBE_INTERVAL, PROBE_TIMEOUT,
       PROBE_CHECK };

static const struct clu__ini_key update_keys[] = {
	{ "name", CLU__INI_NAME, UPDATE(name), .required = true },
	{ "version", CLU__INI_VERSION, UPDATE(version), .required = true },
	{ "groups", CLU__INI_NAMES, UPDATE(groups), .required = true,
	  .count_offset = UPDATE(n_groups), .noun = "group",
	  .expected = "group names separated by commas or spaces" },
	[UPDATE_STRATEGY] = { "strategy", CLU__INI_CHOICE, UPDATE(strategy),
			      .choices = strategies, .noun = "strategy" },
	{ "data-migration", CLU__INI_BOOL, UPDATE(data_migration), .required = true },
	{ "takeover-compatible", CLU__INI_BOOL, UPDATE(takeover_compatible), .required = false },
	{ "max-unavailable", CLU__INI_UINT, UPDATE(max_unavailable), .min = 1, .max = 1000 },
	{ "max-failed-nodes", CLU__INI_UINT, UPDATE(max_failed_nodes), .min = 0, .max = 1000 },
	{ "require-all-nodes-online", CLU__INI_BOOL, UPDATE(require_all_nodes_online),
	  .required = false },
	{ "retries", CLU__INI_UINT, UPDATE(retries), .min = 0, .max = 100 },
	{ "expected-install-time", CLU__INI_DURATION, UPDATE(expected_install_ms),
	  .required = false },
	{ "expected-switchover-time", CLU__INI_DURATION, UPDATE(expected_switchover_ms),
	  .required = false },
	{ "version-attribute", CLU__INI_NAME, UPDATE(version_attribute), .required = false },
	{ "previous-version", CLU__INI_VERSION, UPDATE(previous_version), .required = false },
	{ .name = NULL },
};

static const struct clu__ini_key install_keys[] = {
	{ "command", CLU__INI_COMMAND, UPDATE(install_command), .required = true },
	{ "verify", CLU__INI_COMMAND, UPDATE(verify_command), .required = true },
	{ "rollback", CLU__INI_COMMAND, UPDATE(rollback_command), .required = false },
	{ "down-migration", CLU__INI_COMMAND, UPDATE(down_migration_command), .required = false },
	{ "timeout", CLU__INI_DURATION, UPDATE(install_timeout_ms), .required = false },
	{ "check", CLU__INI_COMMAND, UPDATE(check_command), .required = false },
	{ "check-timeout", CLU__INI_DURATION, UPDATE(check_timeout_ms), .required = false },
	{ "soak", CLU__INI_DURATION, UPDATE(soak_ms), .required = false },
	{ .name = NULL },
};

/* A hook needs pre or post (or both): checked in check_hook_or_probe(). */
static const struct clu__ini_key hook_keys[] = {
	[HOOK_PRE] = { "pre", CLU__INI_COMMAND, HOOK(pre), .required = false },
	[HOOK_POST] = { "post", CLU__INI_COMMAND, HOOK(post), .required = false },
	{ "timeout", CLU__INI_DURATION, HOOK(timeout_ms), .required = false },
	{ .name = NULL },
};

/* address and command depend on type: checked in check_hook_or_probe(). */
static const struct clu__ini_key probe_keys[] = {
	[PROBE_TYPE] = { "type", CLU__INI_CHOICE, PROBE(type), .required = true,
			 .choices = probe_types, .noun = "probe type" },
	[PROBE_GROUP] = { "group", CLU__INI_NAME, PROBE(group), .required = false },
	[PROBE_ADDRESS] = { "address", CLU__INI_CHECKED, PROBE(address), .check = check_address,
			    .expected = "HOST:PORT or :PORT, with a port from 1 to 65535" },
	[PROBE_COMMAND] = { "command", CLU__INI_COMMAND, PROBE(command), .required = false },
	[PROBE_INTERVAL] = { "interval-ms", CLU__INI_UINT, PROBE(interval_ms),
			     .min = 10, .max = 60000 },
	[PROBE_TIMEOUT] = { "timeout-ms", CLU__INI_UINT, PROBE(timeout_ms),
			    .min = 1, .max = 600000 },
	[PROBE_CHECK] = { "check", CLU__INI_COMMAND, PROBE(check), .required = false },
	{ "max-outage", CLU__INI_DURATION, PROBE(max_outage_ms), .required = false },
	{ "up-timeout", CLU__INI_DURATION, PROBE(up_timeout_ms), .required = false },
	{ .name = NULL },
};

enum section_kind { SECTION_UPDATE, SECTION_INSTALL, SECTION_HOOK, SECTION_PROBE };

static const struct clu__ini_section_spec section_specs[] = {
	[SECTION_UPDATE] = { "update", false, update_keys },
	[SECTION_INSTALL] = { "install", false, install_keys },
	[SECTION_HOOK] = { "hook", true, hook_keys },
	[SECTION_PROBE] = { "probe", true, probe_keys },
};

/* A hook or probe header: append it, with its defaults. */
static void open_section(struct clu__ini *ini, struct clu__ini_section *sec)
{
	struct clu_manifest *m = ini->user;

	if (sec->kind == SECTION_HOOK) {
		struct clu_hook *hook;

		m->hooks = clu__xrealloc(m->hooks, (m->n_hooks + 1) * sizeof(*m->hooks));
		sec->index = m->n_hooks++;
		hook = &m->hooks[sec->index];
		memset(hook, 0, sizeof(*hook));
		hook->name = clu__xstrdup(sec->name);
		hook->timeout_ms = 60 * SECOND_MS;
	} else if (sec->kind == SECTION_PROBE) {
		struct clu_probe_spec *probe;

		m->probes = clu__xrealloc(m->probes, (m->n_probes + 1) * sizeof(*m->probes));
		sec->index = m->n_probes++;
		probe = &m->probes[sec->index];
		memset(probe, 0, sizeof(*probe));
		probe->name = clu__xstrdup(sec->name);
		probe->interval_ms = 50;
		probe->timeout_ms = 1000;
		probe->up_timeout_ms = 60 * SECOND_MS;
	}
}

static void *section_fields(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	struct clu_manifest *m = ini->user;

	switch (sec->kind) {
	case SECTION_HOOK:
		return &m->hooks[sec->index];
	case SECTION_PROBE:
		return &m->probes[sec->index];
	default:
		return m;
	}
}

static bool key_before_sections(struct clu__ini *ini, const char *key, const char *line,
				size_t len)
{
	(void)line;
	(void)len;
	return clu__ini_fail(ini, ini->lineno, NULL, NULL, "key '%s' outside of any section "
			     "(expected a section header such as [update] first)", key);
}

static bool duplicate_name(struct clu__ini *ini, const struct clu__ini_section *first,
			   const char *header, size_t header_len)
{
	const char *word = section_specs[first->kind].word;

	return clu__ini_fail(ini, ini->lineno, NULL, NULL, "duplicate %s name in [%.*s], "
			     "first on line %d (expected each %s name once)", word,
			     (int)header_len, header, first->line, word);
}

static const struct clu__ini_format manifest_format = {
	.code = CLU_E_MANIFEST,
	.sections = section_specs,
	.n_sections = sizeof(section_specs) / sizeof(section_specs[0]),
	.open = open_section,
	.fields = section_fields,
	.what = "manifest",
	.sections_expected = "[update], [install], [hook \"NAME\"] or [probe \"NAME\"]",
	.header_expected = "[SECTION] or [SECTION \"NAME\"]",
	.key_before_sections = key_before_sections,
	.duplicate_name = duplicate_name,
};

/* The rules that span keys of a hook or probe section. */
static bool check_hook_or_probe(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	const struct clu_manifest *m = ini->user;
	const struct clu_probe_spec *probe;
	const char *type;
	char expected[128];

	if (sec->kind == SECTION_HOOK) {
		if (!sec->key_lines[HOOK_PRE] && !sec->key_lines[HOOK_POST])
			return clu__ini_fail(ini, sec->line, sec, NULL, "missing key 'pre' or "
					     "'post' (expected at least one command to run)");
		return true;
	}
	if (sec->kind != SECTION_PROBE)
		return true;
	probe = &m->probes[sec->index];
	type = clu_probe_type_name(probe->type);
	if (probe->type == CLU_PROBE_COMMAND) {
		if (!sec->key_lines[PROBE_COMMAND])
			return clu__ini_fail(ini, sec->line, sec, NULL, "missing required key "
					     "'command' for type = command (expected command = "
					     "a shell command)");
		if (sec->key_lines[PROBE_ADDRESS])
			return clu__ini_fail(ini, sec->key_lines[PROBE_ADDRESS], sec, "address",
					     "not used by type = command (expected no address, "
					     "or type = tcp or smtp)");
		return true;
	}
	if (!sec->key_lines[PROBE_ADDRESS])
		return clu__ini_fail(ini, sec->line, sec, NULL, "missing required key 'address' "
				     "for type = %s (expected address = %s)", type,
				     clu__ini_expected(&probe_keys[PROBE_ADDRESS], expected,
						       sizeof(expected)));
	if (sec->key_lines[PROBE_COMMAND])
		return clu__ini_fail(ini, sec->key_lines[PROBE_COMMAND], sec, "command",
				     "not used by type = %s (expected no command, or type = "
				     "command)", type);
	if (sec->key_lines[PROBE_CHECK] && probe->type != CLU_PROBE_SMTP)
		return clu__ini_fail(ini, sec->key_lines[PROBE_CHECK], sec, "check",
				     "only an smtp probe has acknowledged messages to check "
				     "(expected no check, or type = smtp)");
	return true;
}

/* A probe watches one of the updated groups, by default the first. */
static bool check_probe_group(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	struct clu_manifest *m = ini->user;
	struct clu_probe_spec *probe = &m->probes[sec->index];
	char list[512] = "";
	size_t used = 0;

	if (!probe->group) {
		probe->group = clu__xstrdup(m->groups[0]);
		return true;
	}
	for (size_t i = 0; i < m->n_groups; i++) {
		if (strcmp(m->groups[i], probe->group) == 0)
			return true;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", m->groups[i]);
	}
	return clu__ini_fail(ini, sec->key_lines[PROBE_GROUP], sec, "group", "'%s' is not "
			     "one of the updated groups (expected one of: %s)", probe->group, list);
}

/* What can only be checked once the whole file is read. */
static bool check_sections(struct clu__ini *ini)
{
	static const struct {
		enum section_kind kind;
		const char *expected;
	} needed[] = {
		{ SECTION_UPDATE, "name, version, groups and data-migration" },
		{ SECTION_INSTALL, "command and verify" },
	};
	struct clu_manifest *m = ini->user;

	for (size_t i = 0; i < ini->n_sections; i++)
		if (!clu__ini_check_required(ini, &ini->sections[i]) ||
		    !check_hook_or_probe(ini, &ini->sections[i]))
			return false;
	for (size_t k = 0; k < sizeof(needed) / sizeof(needed[0]); k++) {
		const char *word = section_specs[needed[k].kind].word;
		bool found = false;

		for (size_t i = 0; i < ini->n_sections; i++)
			if (ini->sections[i].kind == needed[k].kind)
				found = true;
		if (!found)
			return clu__ini_fail(ini, 0, NULL, NULL, "missing section [%s] (expected "
					     "[%s] with %s)", word, word, needed[k].expected);
	}
	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct clu__ini_section *sec = &ini->sections[i];

		if (sec->kind == SECTION_UPDATE)
			m->strategy_line = sec->key_lines[UPDATE_STRATEGY];
		else if (sec->kind == SECTION_PROBE && !check_probe_group(ini, sec))
			return false;
	}
	if (!m->version_attribute)
		m->version_attribute = clu__xstrdup("clupdate-version");
	return true;
}

static void set_defaults(struct clu_manifest *m)
{
	m->strategy = CLU_STRATEGY_AUTO;
	m->takeover_compatible = false;
	m->max_unavailable = 1;
	m->max_failed_nodes = 0;
	m->retries = 0;
	m->expected_install_ms = 60 * SECOND_MS;
	m->expected_switchover_ms = 5 * SECOND_MS;
	m->install_timeout_ms = 30 * MINUTE_MS;
	m->check_timeout_ms = 60 * SECOND_MS;
}

int clu_manifest_load(struct clu_manifest *manifest, const char *path,
		      struct clu_err *err)
{
	struct clu__ini ini;
	int rc;

	memset(manifest, 0, sizeof(*manifest));
	manifest->path = clu__xstrdup(path);
	set_defaults(manifest);
	rc = clu__ini_parse(&ini, &manifest_format, manifest, manifest->path, err);
	if (!rc && !check_sections(&ini))
		rc = CLU_E_MANIFEST;
	if (!rc) {
		/* What was parsed, not the file again: it may change meanwhile. */
		manifest->text = clu__xstrndup(ini.text, ini.len);
		manifest->text_len = ini.len;
	}
	clu__ini_release(&ini);
	if (rc)
		clu_manifest_release(manifest);
	return rc;
}

int clu_duration_parse(const char *text, unsigned *ms)
{
	return clu__ini_parse_duration(text, ms) == CLU__INI_NUMBER_OK ? 0 : -1;
}

void clu_manifest_release(struct clu_manifest *manifest)
{
	free(manifest->path);
	free(manifest->text);
	free(manifest->name);
	free(manifest->version);
	for (size_t i = 0; i < manifest->n_groups; i++)
		free(manifest->groups[i]);
	free(manifest->groups);
	free(manifest->version_attribute);
	free(manifest->install_command);
	free(manifest->verify_command);
	free(manifest->rollback_command);
	free(manifest->check_command);
	free(manifest->down_migration_command);
	free(manifest->previous_version);
	for (size_t i = 0; i < manifest->n_hooks; i++) {
		free(manifest->hooks[i].name);
		free(manifest->hooks[i].pre);
		free(manifest->hooks[i].post);
	}
	free(manifest->hooks);
	for (size_t i = 0; i < manifest->n_probes; i++) {
		free(manifest->probes[i].name);
		free(manifest->probes[i].group);
		free(manifest->probes[i].address);
		free(manifest->probes[i].command);
		free(manifest->probes[i].check);
	}
	free(manifest->probes);
	memset(manifest, 0, sizeof(*manifest));
}

unsigned clu_manifest_switchover_ms(const struct clu_manifest *manifest, const char *group)
{
	(void)group;   /* one figure for every group, for now */
	return manifest->expected_switchover_ms;
}
