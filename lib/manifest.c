/*
 * The update manifest parser: an INI file -> struct clu_manifest.
 *
 * The INI reader (ini.c) does the syntax, the values and the messages; this
 * file has the manifest's sections and keys, where their values go, and
 * the rules that span keys and sections (which keys a probe's type needs,
 * a probe's group among the updated ones, [update] and [install] present,
 * [group "NAME"] sections and the groups they make or must be among).
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

/* A [group "NAME"] section as written; resolved into the manifest at the end. */
struct group_section {
	struct clu_group_settings settings;
	struct clu_probe_spec probe;     /* its probe-* keys: the group's own probe */
};

/* What the parser fills (ini->user). */
struct parse {
	struct clu_manifest *manifest;
	struct group_section *groups;    /* one per [group "NAME"], in file order */
	size_t n_groups;
};

static struct clu_manifest *manifest_of(const struct clu__ini *ini)
{
	return ((struct parse *)ini->user)->manifest;
}

#define UPDATE(field) offsetof(struct clu_manifest, field)
#define HOOK(field) offsetof(struct clu_hook, field)
#define PROBE(field) offsetof(struct clu_probe_spec, field)
#define GROUP(field) offsetof(struct group_section, field)

/* Indexes into the tables, for the checks that span keys. */
enum { UPDATE_NAME, UPDATE_VERSION, UPDATE_GROUPS, UPDATE_STRATEGY };
enum { HOOK_PRE, HOOK_POST };
enum { PROBE_TYPE, PROBE_GROUP, PROBE_ADDRESS, PROBE_COMMAND, PROBE_INTERVAL, PROBE_TIMEOUT,
       PROBE_CHECK, PROBE_MAX_OUTAGE, PROBE_UP_TIMEOUT };
enum { GROUP_INSTALL_TIME, GROUP_SWITCHOVER_TIME, GROUP_MAX_OUTAGE, GROUP_UP_TIMEOUT,
       GROUP_PROBE, GROUP_PROBE_ADDRESS, GROUP_PROBE_COMMAND, GROUP_PROBE_INTERVAL,
       GROUP_PROBE_TIMEOUT, GROUP_PROBE_CHECK };

#define ADDRESS_EXPECTED "HOST:PORT or :PORT, with a port from 1 to 65535"

static const struct clu__ini_key update_keys[] = {
	{ "name", CLU__INI_NAME, UPDATE(name), .required = true },
	{ "version", CLU__INI_VERSION, UPDATE(version), .required = true },
	/* Required unless [group] sections make the list: check_groups(). */
	[UPDATE_GROUPS] = { "groups", CLU__INI_NAMES, UPDATE(groups), .required = false,
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
			    .expected = ADDRESS_EXPECTED },
	[PROBE_COMMAND] = { "command", CLU__INI_COMMAND, PROBE(command), .required = false },
	[PROBE_INTERVAL] = { "interval-ms", CLU__INI_UINT, PROBE(interval_ms),
			     .min = 10, .max = 60000 },
	[PROBE_TIMEOUT] = { "timeout-ms", CLU__INI_UINT, PROBE(timeout_ms),
			    .min = 1, .max = 600000 },
	[PROBE_CHECK] = { "check", CLU__INI_COMMAND, PROBE(check), .required = false },
	[PROBE_MAX_OUTAGE] = { "max-outage", CLU__INI_DURATION, PROBE(max_outage_ms),
			       .required = false },
	[PROBE_UP_TIMEOUT] = { "up-timeout", CLU__INI_DURATION, PROBE(up_timeout_ms),
			       .required = false },
	{ .name = NULL },
};

/*
 * One group's settings over [update]'s, and its own probe: probe-* are a
 * [probe] section's keys, checked by the same rules (check_probe_keys()).
 */
static const struct clu__ini_key group_keys[] = {
	[GROUP_INSTALL_TIME] = { "expected-install-time", CLU__INI_DURATION,
				 GROUP(settings.expected_install_ms), .required = false },
	[GROUP_SWITCHOVER_TIME] = { "expected-switchover-time", CLU__INI_DURATION,
				    GROUP(settings.expected_switchover_ms), .required = false },
	[GROUP_MAX_OUTAGE] = { "max-outage", CLU__INI_DURATION, GROUP(settings.max_outage_ms),
			       .required = false },
	[GROUP_UP_TIMEOUT] = { "up-timeout", CLU__INI_DURATION, GROUP(settings.up_timeout_ms),
			       .required = false },
	[GROUP_PROBE] = { "probe", CLU__INI_CHOICE, GROUP(probe.type), .choices = probe_types,
			  .noun = "probe type" },
	[GROUP_PROBE_ADDRESS] = { "probe-address", CLU__INI_CHECKED, GROUP(probe.address),
				  .check = check_address, .expected = ADDRESS_EXPECTED },
	[GROUP_PROBE_COMMAND] = { "probe-command", CLU__INI_COMMAND, GROUP(probe.command),
				  .required = false },
	[GROUP_PROBE_INTERVAL] = { "probe-interval-ms", CLU__INI_UINT, GROUP(probe.interval_ms),
				   .min = 10, .max = 60000 },
	[GROUP_PROBE_TIMEOUT] = { "probe-timeout-ms", CLU__INI_UINT, GROUP(probe.timeout_ms),
				  .min = 1, .max = 600000 },
	[GROUP_PROBE_CHECK] = { "probe-check", CLU__INI_COMMAND, GROUP(probe.check),
				.required = false },
	{ .name = NULL },
};

enum section_kind { SECTION_UPDATE, SECTION_INSTALL, SECTION_GROUP, SECTION_HOOK,
		    SECTION_PROBE };

static const struct clu__ini_section_spec section_specs[] = {
	[SECTION_UPDATE] = { "update", false, update_keys },
	[SECTION_INSTALL] = { "install", false, install_keys },
	[SECTION_GROUP] = { "group", true, group_keys },
	[SECTION_HOOK] = { "hook", true, hook_keys },
	[SECTION_PROBE] = { "probe", true, probe_keys },
};

/* A probe's defaults, in a [probe] section or a [group] section's probe. */
static void probe_defaults(struct clu_probe_spec *probe)
{
	probe->interval_ms = 50;
	probe->timeout_ms = 1000;
	probe->up_timeout_ms = 60 * SECOND_MS;
}

static void probe_release(struct clu_probe_spec *probe)
{
	free(probe->name);
	free(probe->group);
	free(probe->address);
	free(probe->command);
	free(probe->check);
}

/* A hook, probe or group header: append it, with its defaults. */
static void open_section(struct clu__ini *ini, struct clu__ini_section *sec)
{
	struct parse *parse = ini->user;
	struct clu_manifest *m = parse->manifest;

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
		probe_defaults(probe);
	} else if (sec->kind == SECTION_GROUP) {
		struct group_section *group;

		parse->groups = clu__xrealloc(parse->groups,
					      (parse->n_groups + 1) * sizeof(*parse->groups));
		sec->index = parse->n_groups++;
		group = &parse->groups[sec->index];
		memset(group, 0, sizeof(*group));
		group->settings.line = sec->line;
		probe_defaults(&group->probe);
	}
}

static void *section_fields(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	struct parse *parse = ini->user;
	struct clu_manifest *m = parse->manifest;

	switch (sec->kind) {
	case SECTION_GROUP:
		return &parse->groups[sec->index];
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
	.sections_expected = "[update], [install], [group \"NAME\"], [hook \"NAME\"] or "
			     "[probe \"NAME\"]",
	.header_expected = "[SECTION] or [SECTION \"NAME\"]",
	.key_before_sections = key_before_sections,
	.duplicate_name = duplicate_name,
};

/* Where a section keeps a probe's keys, for the rules that span them. */
struct probe_keys {
	const struct clu__ini_key *table;
	int type, address, command, check;      /* indexes into table */
};

static const struct probe_keys probe_section_keys = {
	probe_keys, PROBE_TYPE, PROBE_ADDRESS, PROBE_COMMAND, PROBE_CHECK,
};
static const struct probe_keys group_section_keys = {
	group_keys, GROUP_PROBE, GROUP_PROBE_ADDRESS, GROUP_PROBE_COMMAND, GROUP_PROBE_CHECK,
};

/* The keys a probe's type needs, and those it refuses. */
static bool check_probe_keys(struct clu__ini *ini, const struct clu__ini_section *sec,
			     const struct clu_probe_spec *probe, const struct probe_keys *k)
{
	const int *lines = sec->key_lines;
	const char *type = clu_probe_type_name(probe->type);
	const char *type_key = k->table[k->type].name, *address = k->table[k->address].name;
	const char *command = k->table[k->command].name, *check = k->table[k->check].name;
	char expected[128];

	if (lines[k->check] && probe->type != CLU_PROBE_SMTP)
		return clu__ini_fail(ini, lines[k->check], sec, check, "only an smtp probe has "
				     "acknowledged messages to check (expected no %s, or %s = "
				     "smtp)", check, type_key);
	if (probe->type == CLU_PROBE_COMMAND) {
		if (!lines[k->command])
			return clu__ini_fail(ini, sec->line, sec, NULL, "missing required key "
					     "'%s' for %s = command (expected %s = a shell "
					     "command)", command, type_key, command);
		if (lines[k->address])
			return clu__ini_fail(ini, lines[k->address], sec, address, "not used by "
					     "%s = command (expected no %s, or %s = tcp or smtp)",
					     type_key, address, type_key);
		return true;
	}
	if (!lines[k->address])
		return clu__ini_fail(ini, sec->line, sec, NULL, "missing required key '%s' "
				     "for %s = %s (expected %s = %s)", address, type_key, type,
				     address, clu__ini_expected(&k->table[k->address], expected,
								sizeof(expected)));
	if (lines[k->command])
		return clu__ini_fail(ini, lines[k->command], sec, command, "not used by %s = %s "
				     "(expected no %s, or %s = command)", type_key, type, command,
				     type_key);
	return true;
}

/* The rules that span keys of a hook, probe or group section. */
static bool check_section_keys(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	const struct parse *parse = ini->user;
	char expected[128];

	switch (sec->kind) {
	case SECTION_HOOK:
		if (!sec->key_lines[HOOK_PRE] && !sec->key_lines[HOOK_POST])
			return clu__ini_fail(ini, sec->line, sec, NULL, "missing key 'pre' or "
					     "'post' (expected at least one command to run)");
		return true;
	case SECTION_PROBE:
		return check_probe_keys(ini, sec, &parse->manifest->probes[sec->index],
					&probe_section_keys);
	case SECTION_GROUP:
		if (sec->key_lines[GROUP_PROBE])
			return check_probe_keys(ini, sec, &parse->groups[sec->index].probe,
						&group_section_keys);
		for (int k = GROUP_PROBE_ADDRESS; k <= GROUP_PROBE_CHECK; k++)
			if (sec->key_lines[k])
				return clu__ini_fail(ini, sec->key_lines[k], sec, group_keys[k].name,
						     "set without 'probe' (expected probe = %s in "
						     "this section too)",
						     clu__ini_expected(&group_keys[GROUP_PROBE],
								       expected, sizeof(expected)));
		return true;
	default:
		return true;
	}
}

/*
 * The updated groups: `groups`, each [group "NAME"] among them; or, without
 * it, the [group "NAME"] sections in file order. Indexed by name in *index
 * (name -> position + 1), which the caller destroys.
 */
static bool check_groups(struct clu__ini *ini, const struct clu__ini_section *update,
			 GHashTable **index)
{
	struct parse *parse = ini->user;
	struct clu_manifest *m = parse->manifest;
	int listed = update->key_lines[UPDATE_GROUPS];
	char expected[128], list[512], hint[128];

	if (!listed && !parse->n_groups)
		return clu__ini_fail(ini, update->line, update, NULL, "missing required key "
				     "'groups' (expected groups = %s, or a [group \"NAME\"] section "
				     "for each group)", clu__ini_expected(&update_keys[UPDATE_GROUPS],
									  expected, sizeof(expected)));
	if (!listed) {
		m->groups = clu__xcalloc(parse->n_groups + 1, sizeof(*m->groups));
		for (size_t i = 0; i < ini->n_sections; i++)
			if (ini->sections[i].kind == SECTION_GROUP)
				m->groups[m->n_groups++] = clu__xstrdup(ini->sections[i].name);
	}
	*index = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t i = 0; i < m->n_groups; i++)
		g_hash_table_insert(*index, m->groups[i], GSIZE_TO_POINTER(i + 1));
	for (size_t i = 0; listed && i < ini->n_sections; i++) {
		const struct clu__ini_section *sec = &ini->sections[i];

		if (sec->kind != SECTION_GROUP || g_hash_table_contains(*index, sec->name))
			continue;
		return clu__ini_fail(ini, sec->line, sec, NULL, "'%s' is not one of the updated "
				     "groups%s (expected one of groups on line %d: %s; or no groups, "
				     "and a [group \"NAME\"] section for each group)", sec->name,
				     clu__ini_suggest(sec->name, m->groups, m->n_groups, hint,
						      sizeof(hint)),
				     listed, clu__ini_list(m->groups, m->n_groups, list, sizeof(list)));
	}
	return true;
}

/* Each group's settings: [update]'s, and its section's keys over them. */
static void resolve_group_settings(struct clu__ini *ini, GHashTable *index)
{
	struct parse *parse = ini->user;
	struct clu_manifest *m = parse->manifest;

	m->group_settings = clu__xcalloc(m->n_groups ? m->n_groups : 1,
					 sizeof(*m->group_settings));
	for (size_t i = 0; i < m->n_groups; i++) {
		struct clu_group_settings *s = &m->group_settings[i];

		s->expected_install_ms = m->expected_install_ms;
		s->expected_switchover_ms = m->expected_switchover_ms;
		s->up_timeout_ms = 60 * SECOND_MS;
	}
	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct clu__ini_section *sec = &ini->sections[i];
		const int *lines = sec->key_lines;
		const struct clu_group_settings *set;
		struct clu_group_settings *s;

		if (sec->kind != SECTION_GROUP)
			continue;
		set = &parse->groups[sec->index].settings;
		s = &m->group_settings[GPOINTER_TO_SIZE(g_hash_table_lookup(index, sec->name)) - 1];
		s->line = sec->line;
		if (lines[GROUP_INSTALL_TIME])
			s->expected_install_ms = set->expected_install_ms;
		if (lines[GROUP_SWITCHOVER_TIME])
			s->expected_switchover_ms = set->expected_switchover_ms;
		if (lines[GROUP_MAX_OUTAGE])
			s->max_outage_ms = set->max_outage_ms;
		if (lines[GROUP_UP_TIMEOUT])
			s->up_timeout_ms = set->up_timeout_ms;
	}
}

/*
 * A [probe] watches one of the updated groups, by default the first, and
 * takes its group's max-outage and up-timeout unless it sets its own.
 */
static bool check_probe_group(struct clu__ini *ini, const struct clu__ini_section *sec,
			      GHashTable *index)
{
	struct clu_manifest *m = manifest_of(ini);
	struct clu_probe_spec *probe = &m->probes[sec->index];
	const struct clu_group_settings *settings;
	char list[512], hint[128];
	size_t position;

	if (!probe->group)
		probe->group = clu__xstrdup(m->groups[0]);
	position = GPOINTER_TO_SIZE(g_hash_table_lookup(index, probe->group));
	if (!position)
		return clu__ini_fail(ini, sec->key_lines[PROBE_GROUP], sec, "group", "'%s' is not "
				     "one of the updated groups%s (expected one of: %s)",
				     probe->group, clu__ini_suggest(probe->group, m->groups,
								    m->n_groups, hint, sizeof(hint)),
				     clu__ini_list(m->groups, m->n_groups, list, sizeof(list)));
	settings = &m->group_settings[position - 1];
	if (!sec->key_lines[PROBE_MAX_OUTAGE])
		probe->max_outage_ms = settings->max_outage_ms;
	if (!sec->key_lines[PROBE_UP_TIMEOUT])
		probe->up_timeout_ms = settings->up_timeout_ms;
	return true;
}

/*
 * A [group "NAME"] section's probe is named NAME, and needs a name no
 * [probe] has; its max-outage and up-timeout need a probe of the group.
 */
static bool check_group_probe(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	const struct clu_manifest *m = manifest_of(ini);
	const int *lines = sec->key_lines;
	bool watched = lines[GROUP_PROBE] != 0;

	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct clu__ini_section *other = &ini->sections[i];

		if (other->kind != SECTION_PROBE)
			continue;
		if (lines[GROUP_PROBE] && strcmp(other->name, sec->name) == 0)
			return clu__ini_fail(ini, lines[GROUP_PROBE], sec, "probe", "this probe is "
					     "named '%s', as [probe \"%s\"] on line %d (expected "
					     "another name for that [probe])", sec->name, sec->name,
					     other->line);
		if (strcmp(m->probes[other->index].group, sec->name) == 0)
			watched = true;
	}
	for (int k = GROUP_MAX_OUTAGE; !watched && k <= GROUP_UP_TIMEOUT; k++)
		if (lines[k])
			return clu__ini_fail(ini, lines[k], sec, group_keys[k].name, "no probe "
					     "watches '%s' to measure it (expected probe = ... in "
					     "this section, or a [probe] with group = %s)", sec->name,
					     sec->name);
	return true;
}

/* manifest->probes in file order: the [probe]s and the [group]s' probes. */
static void collect_probes(struct clu__ini *ini, GHashTable *index)
{
	struct parse *parse = ini->user;
	struct clu_manifest *m = parse->manifest;
	struct clu_probe_spec *probes = clu__xcalloc(m->n_probes + parse->n_groups + 1,
						     sizeof(*probes));
	size_t n = 0;

	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct clu__ini_section *sec = &ini->sections[i];
		const struct clu_group_settings *settings;
		struct clu_probe_spec *probe;

		if (sec->kind == SECTION_PROBE) {
			probes[n++] = m->probes[sec->index];
			continue;
		}
		if (sec->kind != SECTION_GROUP || !sec->key_lines[GROUP_PROBE])
			continue;
		probe = &probes[n++];
		/* The strings move: nothing is left in the section to free. */
		*probe = parse->groups[sec->index].probe;
		memset(&parse->groups[sec->index].probe, 0, sizeof(*probe));
		probe->name = clu__xstrdup(sec->name);
		probe->group = clu__xstrdup(sec->name);
		settings = &m->group_settings[GPOINTER_TO_SIZE(g_hash_table_lookup(index,
										     sec->name)) - 1];
		probe->max_outage_ms = settings->max_outage_ms;
		probe->up_timeout_ms = settings->up_timeout_ms;
	}
	free(m->probes);
	m->probes = n ? probes : NULL;
	m->n_probes = n;
	if (!n)
		free(probes);
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
	struct clu_manifest *m = manifest_of(ini);
	const struct clu__ini_section *update = NULL;
	GHashTable *index = NULL;
	bool ok = true;

	for (size_t i = 0; i < ini->n_sections; i++)
		if (!clu__ini_check_required(ini, &ini->sections[i]) ||
		    !check_section_keys(ini, &ini->sections[i]))
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
	for (size_t i = 0; i < ini->n_sections; i++)
		if (ini->sections[i].kind == SECTION_UPDATE)
			update = &ini->sections[i];
	m->strategy_line = update->key_lines[UPDATE_STRATEGY];
	if (!check_groups(ini, update, &index))
		goto out;
	resolve_group_settings(ini, index);
	/* Every [probe]'s group first: a [group] asks which probes watch it. */
	for (size_t i = 0; ok && i < ini->n_sections; i++)
		if (ini->sections[i].kind == SECTION_PROBE)
			ok = check_probe_group(ini, &ini->sections[i], index);
	for (size_t i = 0; ok && i < ini->n_sections; i++)
		if (ini->sections[i].kind == SECTION_GROUP)
			ok = check_group_probe(ini, &ini->sections[i]);
	if (ok)
		collect_probes(ini, index);
out:
	if (index)
		g_hash_table_destroy(index);
	if (ini->failed)
		return false;
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
	struct parse parse = { .manifest = manifest };
	struct clu__ini ini;
	int rc;

	memset(manifest, 0, sizeof(*manifest));
	manifest->path = clu__xstrdup(path);
	set_defaults(manifest);
	rc = clu__ini_parse(&ini, &manifest_format, &parse, manifest->path, err);
	if (!rc && !check_sections(&ini))
		rc = CLU_E_MANIFEST;
	if (!rc) {
		/* What was parsed, not the file again: it may change meanwhile. */
		manifest->text = clu__xstrndup(ini.text, ini.len);
		manifest->text_len = ini.len;
	}
	clu__ini_release(&ini);
	for (size_t i = 0; i < parse.n_groups; i++)
		probe_release(&parse.groups[i].probe);
	free(parse.groups);
	if (rc)
		clu_manifest_release(manifest);
	return rc;
}

/* groups[i]'s settings, NULL when it has none (not updated, or NULL). */
static const struct clu_group_settings *settings_of(const struct clu_manifest *m,
						      const char *group)
{
	for (size_t i = 0; group && m->group_settings && i < m->n_groups; i++)
		if (strcmp(m->groups[i], group) == 0)
			return &m->group_settings[i];
	return NULL;
}

unsigned clu_manifest_switchover_ms(const struct clu_manifest *manifest, const char *group)
{
	const struct clu_group_settings *s = settings_of(manifest, group);

	return s ? s->expected_switchover_ms : manifest->expected_switchover_ms;
}

unsigned clu_manifest_install_ms(const struct clu_manifest *manifest, char *const *groups,
				 size_t n)
{
	unsigned longest = 0;

	if (!n)
		return manifest->expected_install_ms;
	for (size_t i = 0; i < n; i++) {
		const struct clu_group_settings *s = settings_of(manifest, groups[i]);
		unsigned ms = s ? s->expected_install_ms : manifest->expected_install_ms;

		if (ms > longest)
			longest = ms;
	}
	return longest;
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
	free(manifest->group_settings);
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
	for (size_t i = 0; i < manifest->n_probes; i++)
		probe_release(&manifest->probes[i]);
	free(manifest->probes);
	memset(manifest, 0, sizeof(*manifest));
}
