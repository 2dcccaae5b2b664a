/*
 * The update manifest parser: an INI file -> struct clu_manifest.
 *
 * libinih does the INI syntax. Debian builds it without line numbers in the
 * handler and without a call on section headers, so the reader we give inih
 * (over the file, read whole first) counts lines, validates section headers
 * itself (a section with no keys must still be checked) and keeps the raw
 * text of the current line. Values are taken from that raw text rather than
 * from inih, which would cut "stop ; install" at the ';' (its inline
 * comment rule): shell text must reach the shell as written. (Debian's
 * inih also exports its options as globals, e.g. ini_allow_inline_comments;
 * we leave them alone: they are process-wide, shared with any other user of
 * inih.) Every rule that results is documented in doc/manifest.md.
 *
 * Errors are one line, "PATH:LINE: [SECTION] KEY: what is wrong (expected
 * WHAT)"; the first one wins and the partial manifest is freed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "clupdate/manifest.h"
#include "util.h"

#define SECOND_MS 1000u
#define MINUTE_MS (60u * SECOND_MS)
#define HOUR_MS   (60u * MINUTE_MS)
#define DURATION_MAX_MS (24u * HOUR_MS)

/* How a key's value is read, and so what it is checked against. */
enum value_kind {
	VALUE_NAME,        /* an identifier: letters, digits, . _ - */
	VALUE_VERSION,     /* a version string, no spaces */
	VALUE_GROUPS,      /* a list of group names */
	VALUE_COMMAND,     /* shell text, kept as written */
	VALUE_BOOL,
	VALUE_UINT,        /* unsigned, in [min, max] */
	VALUE_DURATION,    /* milliseconds, in [1 ms, 24 h] */
	VALUE_STRATEGY,
	VALUE_PROBE_TYPE,
	VALUE_ADDRESS,     /* HOST:PORT or :PORT */
};

struct key_spec {
	const char *name;
	enum value_kind kind;
	size_t offset;     /* of the field in the section's struct */
	unsigned min, max; /* VALUE_UINT only */
	bool required;
};

#define UPDATE(field) offsetof(struct clu_manifest, field)
#define HOOK(field) offsetof(struct clu_hook, field)
#define PROBE(field) offsetof(struct clu_probe_spec, field)

static const struct key_spec update_keys[] = {
	{ "name", VALUE_NAME, UPDATE(name), 0, 0, true },
	{ "version", VALUE_VERSION, UPDATE(version), 0, 0, true },
	{ "groups", VALUE_GROUPS, UPDATE(groups), 0, 0, true },
	{ "strategy", VALUE_STRATEGY, UPDATE(strategy), 0, 0, false },
	{ "data-migration", VALUE_BOOL, UPDATE(data_migration), 0, 0, true },
	{ "takeover-compatible", VALUE_BOOL, UPDATE(takeover_compatible), 0, 0, false },
	{ "max-unavailable", VALUE_UINT, UPDATE(max_unavailable), 1, 1000, false },
	{ "max-failed-nodes", VALUE_UINT, UPDATE(max_failed_nodes), 0, 1000, false },
	{ "retries", VALUE_UINT, UPDATE(retries), 0, 100, false },
	{ "expected-install-time", VALUE_DURATION, UPDATE(expected_install_ms), 0, 0, false },
	{ "expected-switchover-time", VALUE_DURATION, UPDATE(expected_switchover_ms), 0, 0, false },
	{ "version-attribute", VALUE_NAME, UPDATE(version_attribute), 0, 0, false },
	{ NULL, 0, 0, 0, 0, false },
};

static const struct key_spec install_keys[] = {
	{ "command", VALUE_COMMAND, UPDATE(install_command), 0, 0, true },
	{ "verify", VALUE_COMMAND, UPDATE(verify_command), 0, 0, true },
	{ "rollback", VALUE_COMMAND, UPDATE(rollback_command), 0, 0, false },
	{ "timeout", VALUE_DURATION, UPDATE(install_timeout_ms), 0, 0, false },
	{ NULL, 0, 0, 0, 0, false },
};

/* A hook needs pre or post (or both): checked in check_sections(). */
static const struct key_spec hook_keys[] = {
	{ "pre", VALUE_COMMAND, HOOK(pre), 0, 0, false },
	{ "post", VALUE_COMMAND, HOOK(post), 0, 0, false },
	{ "timeout", VALUE_DURATION, HOOK(timeout_ms), 0, 0, false },
	{ NULL, 0, 0, 0, 0, false },
};

/* address and command depend on type: checked in check_sections(). */
static const struct key_spec probe_keys[] = {
	{ "type", VALUE_PROBE_TYPE, PROBE(type), 0, 0, true },
	{ "group", VALUE_NAME, PROBE(group), 0, 0, false },
	{ "address", VALUE_ADDRESS, PROBE(address), 0, 0, false },
	{ "command", VALUE_COMMAND, PROBE(command), 0, 0, false },
	{ "interval-ms", VALUE_UINT, PROBE(interval_ms), 10, 60000, false },
	{ "timeout-ms", VALUE_UINT, PROBE(timeout_ms), 1, 600000, false },
	{ "check", VALUE_COMMAND, PROBE(check), 0, 0, false },
	{ NULL, 0, 0, 0, 0, false },
};

/* Indexes into probe_keys, for the checks that span keys. */
enum { PROBE_TYPE, PROBE_GROUP, PROBE_ADDRESS, PROBE_COMMAND, PROBE_INTERVAL, PROBE_TIMEOUT,
       PROBE_CHECK };
enum { HOOK_PRE, HOOK_POST };

enum section_kind { SECTION_UPDATE, SECTION_INSTALL, SECTION_HOOK, SECTION_PROBE };

static const struct section_spec {
	const char *word;
	bool named;                  /* [hook "NAME"] rather than [update] */
	const struct key_spec *keys;
} section_specs[] = {
	[SECTION_UPDATE] = { "update", false, update_keys },
	[SECTION_INSTALL] = { "install", false, install_keys },
	[SECTION_HOOK] = { "hook", true, hook_keys },
	[SECTION_PROBE] = { "probe", true, probe_keys },
};
#define N_SECTION_KINDS (sizeof(section_specs) / sizeof(section_specs[0]))

#define MAX_KEYS 16

/* A section header met in the file. */
struct section {
	enum section_kind kind;
	int line;                   /* of its header */
	size_t index;               /* into hooks or probes */
	int key_lines[MAX_KEYS];    /* line of each key (by spec index), 0 when absent */
};

struct parse {
	struct clu_manifest *manifest;
	struct clu_err *err;

	const char *text;           /* the whole file */
	size_t len, pos;
	int lineno;
	const char *line;           /* the current line, raw, without its line end */
	size_t line_len;
	bool pending_key;           /* the current line must reach on_key() */
	const char *prev_key;       /* last key of the current section, for inih's continuations */

	struct section *sections;   /* in file order; the last one is the current one */
	size_t n_sections, sections_alloc;
	size_t hooks_alloc, probes_alloc;

	bool failed;
	int err_line;
};

static struct section *current_section(struct parse *p)
{
	return p->n_sections ? &p->sections[p->n_sections - 1] : NULL;
}

/* "[update]", "[hook \"queue-drain\"]"; the caller frees it. */
static char *section_label(const struct parse *p, const struct section *sec)
{
	const char *word = section_specs[sec->kind].word;

	switch (sec->kind) {
	case SECTION_HOOK:
		return clu__xasprintf("[%s \"%s\"]", word, p->manifest->hooks[sec->index].name);
	case SECTION_PROBE:
		return clu__xasprintf("[%s \"%s\"]", word, p->manifest->probes[sec->index].name);
	default:
		return clu__xasprintf("[%s]", word);
	}
}

/*
 * Record the first error: "PATH:LINE: [SECTION] KEY: message". line 0
 * (nowhere in the file) leaves out LINE, sec NULL the section, key NULL
 * the key. Returns false, so that callers can `return fail(...)`, and
 * inih's handler reads it as an error.
 */
__attribute__((format(printf, 5, 6)))
static bool fail(struct parse *p, int line, const struct section *sec,
		 const char *key, const char *fmt, ...)
{
	char message[CLU_ERR_MAX], where[32] = "";
	char *label = NULL;
	va_list ap;

	if (p->failed)
		return false;
	p->failed = true;
	p->err_line = line;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	if (sec)
		label = section_label(p, sec);
	clu_err_set(p->err, CLU_E_MANIFEST, "%s%s: %s%s%s%s%s", p->manifest->path, where,
		    label ? label : "", label ? " " : "",
		    key ? key : "", key ? ": " : "", message);
	free(label);
	return false;
}

/* Levenshtein distance, case-insensitive; SIZE_MAX for long words. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t best = diagonal + cost;

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

/* The closest of candidates, when close enough to be a misspelling. */
struct suggestion {
	const char *best;
	size_t distance;
};

static void consider(struct suggestion *s, const char *word, const char *candidate)
{
	size_t d = edit_distance(word, candidate);

	if (!s->best || d < s->distance) {
		s->best = candidate;
		s->distance = d;
	}
}

/* ", did you mean 'strategy'?" or "", in text. */
static const char *did_you_mean(const struct suggestion *s, char *text, size_t size)
{
	if (!s->best || s->distance == 0 || s->distance > 2 ||
	    s->distance * 2 >= strlen(s->best))
		return "";
	snprintf(text, size, ", did you mean '%s'?", s->best);
	return text;
}

/* ASCII only, whatever the locale: names end up in Pacemaker's CIB. */
static bool is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static bool is_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_version(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_name_char((unsigned char)*s) && !strchr("+~:", *s))
			return false;
	return true;
}

#define NAME_CHARS "letters, digits, '.', '_' and '-'"

/* What a key's value should be, for the "(expected ...)" of messages. */
static const char *expectation(const struct key_spec *spec, char *buf, size_t size)
{
	switch (spec->kind) {
	case VALUE_NAME:
		return NAME_CHARS;
	case VALUE_VERSION:
		return "letters, digits, '.', '_', '+', '~', ':' and '-', without spaces";
	case VALUE_GROUPS:
		return "group names separated by commas or spaces";
	case VALUE_COMMAND:
		return "a shell command";
	case VALUE_BOOL:
		return "yes or no";
	case VALUE_UINT:
		snprintf(buf, size, "a whole number from %u to %u", spec->min, spec->max);
		return buf;
	case VALUE_DURATION:
		return "a duration from 1ms to 24h, such as 500ms, 3s, 2m or 1h";
	case VALUE_STRATEGY:
		return "in-place, rolling or auto";
	case VALUE_PROBE_TYPE:
		return "tcp, smtp or command";
	case VALUE_ADDRESS:
		return "HOST:PORT or :PORT, with a port from 1 to 65535";
	}
	BUG("value kind %d", (int)spec->kind);
}

enum number_result { NUMBER_OK, NUMBER_INVALID, NUMBER_RANGE };

/* Decimal digits only (no sign, no spaces); *end at the first non-digit. */
static enum number_result read_digits(const char *s, const char **end,
				      unsigned long long *value)
{
	unsigned long long n = 0;
	bool huge = false;

	if (!isdigit((unsigned char)*s))
		return NUMBER_INVALID;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > UINT32_MAX)
			huge = true;    /* past any range we accept; stop before overflow */
		else
			n = n * 10 + (unsigned)(*s - '0');
	}
	*end = s;
	*value = n;
	return huge ? NUMBER_RANGE : NUMBER_OK;
}

static enum number_result parse_uint(const char *s, unsigned min, unsigned max,
				     unsigned *out)
{
	unsigned long long n;
	const char *end;
	enum number_result r = read_digits(s, &end, &n);

	if (r == NUMBER_INVALID || *end)
		return NUMBER_INVALID;
	if (r == NUMBER_RANGE || n < min || n > max)
		return NUMBER_RANGE;
	*out = (unsigned)n;
	return NUMBER_OK;
}

/* "500ms", "3s", "2m", "1h", or a plain number of seconds. */
static enum number_result parse_duration(const char *s, unsigned *ms)
{
	static const struct { const char *suffix; unsigned ms; } units[] = {
		{ "ms", 1 }, { "s", SECOND_MS }, { "m", MINUTE_MS },
		{ "h", HOUR_MS }, { "", SECOND_MS },
	};
	unsigned long long n;
	const char *end;
	enum number_result r = read_digits(s, &end, &n);

	if (r == NUMBER_INVALID)
		return NUMBER_INVALID;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (r == NUMBER_RANGE || n == 0 || n * units[i].ms > DURATION_MAX_MS)
			return NUMBER_RANGE;
		*ms = (unsigned)(n * units[i].ms);
		return NUMBER_OK;
	}
	return NUMBER_INVALID;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

enum address_result { ADDRESS_OK, ADDRESS_INVALID, ADDRESS_BAD_PORT };

/* HOST:PORT, [IPV6]:PORT or :PORT, port 1-65535. */
static enum address_result check_address(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t host_len;
	unsigned port;

	if (!colon)
		return ADDRESS_INVALID;
	host_len = (size_t)(colon - s);
	for (size_t i = 0; i < host_len; i++)
		if (isspace((unsigned char)s[i]))
			return ADDRESS_INVALID;
	if (host_len && strcspn(s, ":[]") < host_len &&
	    !(host_len > 2 && s[0] == '[' && colon[-1] == ']' &&
	      strcspn(s + 1, "[]") == host_len - 2))
		return ADDRESS_INVALID;
	if (parse_uint(colon + 1, 1, 65535, &port) != NUMBER_OK)
		return ADDRESS_BAD_PORT;
	return ADDRESS_OK;
}

const char *clu_strategy_name(enum clu_strategy strategy)
{
	switch (strategy) {
	case CLU_STRATEGY_IN_PLACE:
		return "in-place";
	case CLU_STRATEGY_ROLLING:
		return "rolling";
	case CLU_STRATEGY_AUTO:
		return "auto";
	}
	return "unknown";
}

int clu_strategy_parse(const char *name)
{
	static const enum clu_strategy all[] = {
		CLU_STRATEGY_IN_PLACE, CLU_STRATEGY_ROLLING, CLU_STRATEGY_AUTO,
	};

	for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, clu_strategy_name(all[i])) == 0)
			return (int)all[i];
	return -1;
}

const char *clu_probe_type_name(enum clu_probe_type type)
{
	switch (type) {
	case CLU_PROBE_TCP:
		return "tcp";
	case CLU_PROBE_SMTP:
		return "smtp";
	case CLU_PROBE_COMMAND:
		return "command";
	}
	return "unknown";
}

static int probe_type_parse(const char *name)
{
	static const enum clu_probe_type all[] = {
		CLU_PROBE_TCP, CLU_PROBE_SMTP, CLU_PROBE_COMMAND,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(name, clu_probe_type_name(all[i])) == 0)
			return (int)all[i];
	return -1;
}

/* The struct a section's keys are stored in. */
static char *section_base(struct parse *p, const struct section *sec)
{
	switch (sec->kind) {
	case SECTION_HOOK:
		return (char *)&p->manifest->hooks[sec->index];
	case SECTION_PROBE:
		return (char *)&p->manifest->probes[sec->index];
	default:
		return (char *)p->manifest;
	}
}

static bool set_groups(struct parse *p, const struct section *sec,
		       const struct key_spec *spec, const char *text)
{
	static const char separators[] = ", \t";
	struct clu__strv groups = { 0 };
	char expected[128];
	bool ok = false;

	for (const char *s = text; *s; ) {
		size_t n;
		char *group;

		s += strspn(s, separators);
		n = strcspn(s, separators);
		if (!n)
			break;
		group = clu__xstrndup(s, n);
		s += n;
		if (!is_name(group, n)) {
			fail(p, p->lineno, sec, spec->name,
			     "'%s' is not a valid group name (expected %s)", group, NAME_CHARS);
		} else if (clu__strv_has(&groups, group)) {
			fail(p, p->lineno, sec, spec->name,
			     "'%s' is listed twice (expected each group once)", group);
		} else {
			clu__strv_push(&groups, group);
		}
		free(group);
		if (p->failed)
			goto out;
	}
	if (!groups.n) {
		fail(p, p->lineno, sec, spec->name, "empty list (expected %s)",
		     expectation(spec, expected, sizeof(expected)));
		goto out;
	}
	p->manifest->groups = groups.v;
	p->manifest->n_groups = groups.n;
	memset(&groups, 0, sizeof(groups));
	ok = true;
out:
	clu__strv_release(&groups);
	return ok;
}

/* Check text against spec and store it in the section's struct. */
static bool set_value(struct parse *p, struct section *sec,
		      const struct key_spec *spec, const char *text)
{
	void *field = section_base(p, sec) + spec->offset;
	char expected_buf[128];
	const char *expected = expectation(spec, expected_buf, sizeof(expected_buf));
	struct suggestion suggestion = { 0 };
	char hint[128];
	const char *what = NULL;
	int value;

	if (!*text)
		return fail(p, p->lineno, sec, spec->name, "empty value (expected %s)", expected);

	switch (spec->kind) {
	case VALUE_NAME:
		if (!is_name(text, strlen(text)))
			return fail(p, p->lineno, sec, spec->name,
				    "'%s' is not a valid name (expected %s)", text, expected);
		*(char **)field = clu__xstrdup(text);
		return true;
	case VALUE_VERSION:
		if (!is_version(text))
			return fail(p, p->lineno, sec, spec->name,
				    "'%s' is not a valid version (expected %s)", text, expected);
		*(char **)field = clu__xstrdup(text);
		return true;
	case VALUE_GROUPS:
		return set_groups(p, sec, spec, text);
	case VALUE_COMMAND:
		*(char **)field = clu__xstrdup(text);
		return true;
	case VALUE_BOOL:
		value = parse_bool(text);
		if (value < 0)
			return fail(p, p->lineno, sec, spec->name,
				    "'%s' is not a boolean (expected %s)", text, expected);
		*(bool *)field = value;
		return true;
	case VALUE_UINT:
		switch (parse_uint(text, spec->min, spec->max, field)) {
		case NUMBER_OK:
			return true;
		case NUMBER_INVALID:
			what = "is not a whole number";
			break;
		case NUMBER_RANGE:
			what = "is out of range";
			break;
		}
		return fail(p, p->lineno, sec, spec->name, "'%s' %s (expected %s)",
			    text, what, expected);
	case VALUE_DURATION:
		switch (parse_duration(text, field)) {
		case NUMBER_OK:
			return true;
		case NUMBER_INVALID:
			what = "is not a duration";
			break;
		case NUMBER_RANGE:
			what = "is out of range";
			break;
		}
		return fail(p, p->lineno, sec, spec->name, "'%s' %s (expected %s)",
			    text, what, expected);
	case VALUE_STRATEGY:
		value = clu_strategy_parse(text);
		if (value < 0) {
			consider(&suggestion, text, "in-place");
			consider(&suggestion, text, "rolling");
			consider(&suggestion, text, "auto");
			return fail(p, p->lineno, sec, spec->name,
				    "'%s' is not a strategy%s (expected %s)",
				    text, did_you_mean(&suggestion, hint, sizeof(hint)), expected);
		}
		*(enum clu_strategy *)field = (enum clu_strategy)value;
		p->manifest->strategy_line = p->lineno;
		return true;
	case VALUE_PROBE_TYPE:
		value = probe_type_parse(text);
		if (value < 0) {
			consider(&suggestion, text, "tcp");
			consider(&suggestion, text, "smtp");
			consider(&suggestion, text, "command");
			return fail(p, p->lineno, sec, spec->name,
				    "'%s' is not a probe type%s (expected %s)",
				    text, did_you_mean(&suggestion, hint, sizeof(hint)), expected);
		}
		*(enum clu_probe_type *)field = (enum clu_probe_type)value;
		return true;
	case VALUE_ADDRESS:
		switch (check_address(text)) {
		case ADDRESS_OK:
			*(char **)field = clu__xstrdup(text);
			return true;
		case ADDRESS_INVALID:
			what = "is not an address";
			break;
		case ADDRESS_BAD_PORT:
			what = "has no valid port";
			break;
		}
		return fail(p, p->lineno, sec, spec->name, "'%s' %s (expected %s)",
			    text, what, expected);
	}
	BUG("value kind %d", (int)spec->kind);
}

static const struct key_spec *find_key(const struct key_spec *keys, const char *name)
{
	for (; keys->name; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

static bool unknown_key(struct parse *p, const struct section *sec,
			const struct key_spec *keys, const char *name)
{
	struct suggestion suggestion = { 0 };
	char list[512] = "", hint[128];
	size_t used = 0;

	for (const struct key_spec *k = keys; k->name; k++) {
		consider(&suggestion, name, k->name);
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 k == keys ? "" : ", ", k->name);
		if (used >= sizeof(list))
			BUG("key list of [%s] too long", section_specs[sec->kind].word);
	}
	return fail(p, p->lineno, sec, NULL, "unknown key '%s'%s (expected one of: %s)",
		    name, did_you_mean(&suggestion, hint, sizeof(hint)), list);
}

/* The line inih just read was neither a comment, a section nor KEY = VALUE. */
static bool syntax_error(struct parse *p, const struct section *sec, int line,
			 const char *text, size_t len)
{
	if (len > 60)
		len = 60;
	return fail(p, line, sec, NULL,
		    "syntax error in '%.*s%s' (expected KEY = VALUE, a [SECTION] header, "
		    "or a comment line starting with # or ;)",
		    (int)len, text, len == 60 ? "..." : "");
}

/* Line number n of the file (1-based), for inih's bare error line numbers. */
static void find_line(const struct parse *p, int n, const char **text, size_t *len)
{
	const char *s = p->text, *end = p->text + p->len;

	for (int i = 1; i < n && s < end; i++) {
		const char *newline = memchr(s, '\n', (size_t)(end - s));

		s = newline ? newline + 1 : end;
	}
	*text = s;
	*len = strcspn(s, "\r\n");
}

/*
 * A "[word]" or "[word \"NAME\"]" header, from '[' at s to end (trimmed).
 * Becomes the current section.
 */
static void open_section(struct parse *p, const char *s, const char *end)
{
	const char *close = memchr(s, ']', (size_t)(end - s));
	const char *inner, *inner_end, *word_end, *name = NULL;
	size_t inner_len, name_len = 0;
	const struct section_spec *spec = NULL;
	struct suggestion suggestion = { 0 };
	char hint[128];
	struct section *sec;

	if (!close) {
		fail(p, p->lineno, NULL, NULL, "section header without ']' "
		     "(expected [SECTION] or [SECTION \"NAME\"])");
		return;
	}
	inner = s + 1;
	inner_end = close;
	while (inner < inner_end && isspace((unsigned char)*inner))
		inner++;
	while (inner_end > inner && isspace((unsigned char)inner_end[-1]))
		inner_end--;
	inner_len = (size_t)(inner_end - inner);
	if (close + 1 != end) {
		const char *extra = close + 1;

		while (isspace((unsigned char)*extra))
			extra++;
		fail(p, p->lineno, NULL, NULL, "[%.*s] followed by '%.*s' (expected nothing "
		     "after ']': comments go on lines of their own)", (int)inner_len, inner,
		     (int)(end - extra), extra);
		return;
	}

	for (word_end = inner; word_end < inner_end && !isspace((unsigned char)*word_end) &&
	     *word_end != '"'; word_end++)
		;
	for (size_t k = 0; k < N_SECTION_KINDS; k++) {
		char word[65];

		if (strlen(section_specs[k].word) == (size_t)(word_end - inner) &&
		    memcmp(section_specs[k].word, inner, (size_t)(word_end - inner)) == 0)
			spec = &section_specs[k];
		snprintf(word, sizeof(word), "%.*s", (int)(word_end - inner), inner);
		consider(&suggestion, word, section_specs[k].word);
	}
	if (!spec) {
		fail(p, p->lineno, NULL, NULL, "unknown section [%.*s]%s (expected [update], "
		     "[install], [hook \"NAME\"] or [probe \"NAME\"])", (int)inner_len, inner,
		     did_you_mean(&suggestion, hint, sizeof(hint)));
		return;
	}

	for (s = word_end; s < inner_end && isspace((unsigned char)*s); s++)
		;
	if (spec->named) {
		if (s == inner_end || *s != '"' || inner_end - s < 2 || inner_end[-1] != '"') {
			fail(p, p->lineno, NULL, NULL, "[%.*s] needs a quoted name (expected "
			     "[%s \"NAME\"])", (int)inner_len, inner, spec->word);
			return;
		}
		name = s + 1;
		name_len = (size_t)(inner_end - 1 - name);
		if (!is_name(name, name_len)) {
			fail(p, p->lineno, NULL, NULL, "[%.*s] '%.*s' is not a valid %s name "
			     "(expected %s)", (int)inner_len, inner, (int)name_len, name,
			     spec->word, NAME_CHARS);
			return;
		}
	} else if (s != inner_end) {
		fail(p, p->lineno, NULL, NULL, "[%.*s] takes no name (expected [%s])",
		     (int)inner_len, inner, spec->word);
		return;
	}

	for (size_t i = 0; i < p->n_sections; i++) {
		const struct section *old = &p->sections[i];
		const char *old_name = NULL;

		if (&section_specs[old->kind] != spec)
			continue;
		if (old->kind == SECTION_HOOK)
			old_name = p->manifest->hooks[old->index].name;
		else if (old->kind == SECTION_PROBE)
			old_name = p->manifest->probes[old->index].name;
		if (!spec->named) {
			fail(p, p->lineno, NULL, NULL, "duplicate section [%s], first on line %d "
			     "(expected each section once)", spec->word, old->line);
			return;
		}
		if (strlen(old_name) == name_len && memcmp(old_name, name, name_len) == 0) {
			fail(p, p->lineno, NULL, NULL, "duplicate %s name in [%.*s], first on "
			     "line %d (expected each %s name once)", spec->word,
			     (int)inner_len, inner, old->line, spec->word);
			return;
		}
	}

	CLU_ALLOC_GROW(p->sections, p->n_sections + 1, p->sections_alloc);
	sec = &p->sections[p->n_sections++];
	memset(sec, 0, sizeof(*sec));
	sec->kind = (enum section_kind)(spec - section_specs);
	sec->line = p->lineno;
	if (sec->kind == SECTION_HOOK) {
		struct clu_manifest *m = p->manifest;
		struct clu_hook *hook;

		CLU_ALLOC_GROW(m->hooks, m->n_hooks + 1, p->hooks_alloc);
		sec->index = m->n_hooks++;
		hook = &m->hooks[sec->index];
		hook->name = clu__xstrndup(name, name_len);
		hook->timeout_ms = 60 * SECOND_MS;
	} else if (sec->kind == SECTION_PROBE) {
		struct clu_manifest *m = p->manifest;
		struct clu_probe_spec *probe;

		CLU_ALLOC_GROW(m->probes, m->n_probes + 1, p->probes_alloc);
		sec->index = m->n_probes++;
		probe = &m->probes[sec->index];
		probe->name = clu__xstrndup(name, name_len);
		probe->interval_ms = 50;
		probe->timeout_ms = 1000;
	}
	p->prev_key = NULL;
}

/*
 * Look at the line inih is about to parse, with inih's own rules (blank and
 * comment lines first, then continuations, then section headers), so that
 * we see headers and refuse continuations before inih acts on them.
 */
static void classify_line(struct parse *p)
{
	const char *s = p->line, *end = p->line + p->line_len;

	if (p->lineno == 1 && p->line_len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s == end || *s == '#' || *s == ';')
		return;
	if (s > p->line && p->prev_key) {
		fail(p, p->lineno, current_section(p), NULL,
		     "indented line would continue the value of '%s' (expected KEY = VALUE "
		     "at the start of the line: a value cannot span lines)", p->prev_key);
		return;
	}
	if (*s == '[') {
		open_section(p, s, end);
		return;
	}
	p->pending_key = true;
}

/* inih's fgets()-like reader, over the file read whole. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	const char *start, *newline;
	size_t n, content;

	/* inih read the last line without calling on_key(): no '=' in it. */
	if (p->pending_key)
		syntax_error(p, current_section(p), p->lineno, p->line, p->line_len);
	if (p->failed || p->pos >= p->len)
		return NULL;
	start = p->text + p->pos;
	newline = memchr(start, '\n', p->len - p->pos);
	n = newline ? (size_t)(newline - start) + 1 : p->len - p->pos;
	p->pos += n;
	p->lineno++;
	for (content = n; content && (start[content - 1] == '\n' || start[content - 1] == '\r'); )
		content--;
	p->line = start;
	p->line_len = content;
	/* inih would split a longer line in two; room is left for "\r\n\0". */
	if (size < 4 || content > (size_t)size - 3) {
		fail(p, p->lineno, current_section(p), NULL, "line is %zu characters long "
		     "(expected at most %d: put a long command in a script next to the "
		     "manifest and run it via $CLU_MANIFEST_DIR)", content, size - 3);
		return NULL;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	classify_line(p);
	return p->failed ? NULL : buf;
}

/*
 * inih's handler for KEY = VALUE. section and value come from inih but are
 * not used: the section is the one read_line() saw (inih truncates long
 * ones), the value is re-read from the raw line (see the top of the file).
 */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct section *sec = current_section(p);
	const char *sep, *line_end = p->line + p->line_len, *text_end;
	const struct key_spec *keys, *spec;
	char *text;
	bool ok;
	size_t i;

	(void)section;
	(void)value;
	p->pending_key = false;
	if (p->failed)
		return 0;
	if (!sec)
		return fail(p, p->lineno, NULL, NULL, "key '%s' outside of any section "
			    "(expected a section header such as [update] first)", name);
	for (sep = p->line; sep < line_end && *sep != '=' && *sep != ':'; sep++)
		;
	if (sep == line_end)
		return syntax_error(p, sec, p->lineno, p->line, p->line_len);
	if (*sep == ':')
		return fail(p, p->lineno, sec, name, "':' between key and value "
			    "(expected %s = VALUE)", name);

	keys = section_specs[sec->kind].keys;
	spec = find_key(keys, name);
	if (!spec)
		return unknown_key(p, sec, keys, name);
	i = (size_t)(spec - keys);
	if (sec->key_lines[i])
		return fail(p, p->lineno, sec, name, "duplicate key, first set on line %d "
			    "(expected each key once per section)", sec->key_lines[i]);
	sec->key_lines[i] = p->lineno;
	p->prev_key = spec->name;

	for (sep++; sep < line_end && isspace((unsigned char)*sep); sep++)
		;
	for (text_end = line_end; text_end > sep && isspace((unsigned char)text_end[-1]); )
		text_end--;
	text = clu__xstrndup(sep, (size_t)(text_end - sep));
	ok = set_value(p, sec, spec, text);
	free(text);
	return ok;
}

static bool check_required(struct parse *p, const struct section *sec)
{
	const struct key_spec *keys = section_specs[sec->kind].keys;
	char expected[128];

	for (size_t i = 0; keys[i].name; i++)
		if (keys[i].required && !sec->key_lines[i])
			return fail(p, sec->line, sec, NULL, "missing required key '%s' "
				    "(expected %s = %s)", keys[i].name, keys[i].name,
				    expectation(&keys[i], expected, sizeof(expected)));
	return true;
}

/* The rules that span keys of a hook or probe section. */
static bool check_hook_or_probe(struct parse *p, const struct section *sec)
{
	const struct clu_probe_spec *probe;
	const char *type;
	char expected[128];

	if (sec->kind == SECTION_HOOK) {
		if (!sec->key_lines[HOOK_PRE] && !sec->key_lines[HOOK_POST])
			return fail(p, sec->line, sec, NULL, "missing key 'pre' or 'post' "
				    "(expected at least one command to run)");
		return true;
	}
	if (sec->kind != SECTION_PROBE)
		return true;
	probe = &p->manifest->probes[sec->index];
	type = clu_probe_type_name(probe->type);
	if (probe->type == CLU_PROBE_COMMAND) {
		if (!sec->key_lines[PROBE_COMMAND])
			return fail(p, sec->line, sec, NULL, "missing required key 'command' "
				    "for type = command (expected command = a shell command)");
		if (sec->key_lines[PROBE_ADDRESS])
			return fail(p, sec->key_lines[PROBE_ADDRESS], sec, "address",
				    "not used by type = command (expected no address, "
				    "or type = tcp or smtp)");
		return true;
	}
	if (!sec->key_lines[PROBE_ADDRESS])
		return fail(p, sec->line, sec, NULL, "missing required key 'address' for "
			    "type = %s (expected address = %s)", type,
			    expectation(&probe_keys[PROBE_ADDRESS], expected, sizeof(expected)));
	if (sec->key_lines[PROBE_COMMAND])
		return fail(p, sec->key_lines[PROBE_COMMAND], sec, "command",
			    "not used by type = %s (expected no command, or type = command)",
			    type);
	if (sec->key_lines[PROBE_CHECK] && probe->type != CLU_PROBE_SMTP)
		return fail(p, sec->key_lines[PROBE_CHECK], sec, "check",
			    "only an smtp probe has acknowledged messages to check "
			    "(expected no check, or type = smtp)");
	return true;
}

/* A probe watches one of the updated groups, by default the first. */
static bool check_probe_group(struct parse *p, const struct section *sec)
{
	struct clu_manifest *m = p->manifest;
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
	return fail(p, sec->key_lines[PROBE_GROUP], sec, "group", "'%s' is not one of the "
		    "updated groups (expected one of: %s)", probe->group, list);
}

/* What can only be checked once the whole file is read. */
static bool check_sections(struct parse *p)
{
	static const struct {
		enum section_kind kind;
		const char *expected;
	} needed[] = {
		{ SECTION_UPDATE, "name, version, groups and data-migration" },
		{ SECTION_INSTALL, "command and verify" },
	};

	for (size_t i = 0; i < p->n_sections; i++)
		if (!check_required(p, &p->sections[i]) ||
		    !check_hook_or_probe(p, &p->sections[i]))
			return false;
	for (size_t k = 0; k < sizeof(needed) / sizeof(needed[0]); k++) {
		bool found = false;

		for (size_t i = 0; i < p->n_sections; i++)
			if (p->sections[i].kind == needed[k].kind)
				found = true;
		if (!found)
			return fail(p, 0, NULL, NULL, "missing section [%s] (expected [%s] "
				    "with %s)", section_specs[needed[k].kind].word,
				    section_specs[needed[k].kind].word, needed[k].expected);
	}
	for (size_t i = 0; i < p->n_sections; i++)
		if (p->sections[i].kind == SECTION_PROBE &&
		    !check_probe_group(p, &p->sections[i]))
			return false;
	if (!p->manifest->version_attribute)
		p->manifest->version_attribute = clu__xstrdup("clupdate-version");
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
}

int clu_manifest_load(struct clu_manifest *manifest, const char *path,
		      struct clu_err *err)
{
	struct parse p = { .manifest = manifest, .err = err };
	char *text;
	const char *nul, *line;
	size_t len, line_len;
	int ret, rc = 0;

	memset(manifest, 0, sizeof(*manifest));
	manifest->path = clu__xstrdup(path);
	set_defaults(manifest);

	text = clu__read_file(path, &len);
	if (!text) {
		rc = clu_err_set(err, CLU_E_IO, "cannot read manifest '%s': %s",
				 path, strerror(errno));
		goto out;
	}
	p.text = text;
	p.len = len;

	nul = memchr(text, '\0', len);
	if (nul) {
		int n = 1;

		for (const char *s = text; s < nul; s++)
			n += *s == '\n';
		fail(&p, n, NULL, NULL, "contains a NUL byte (expected a text file)");
		goto out;
	}

	ret = ini_parse_stream(read_line, &p, on_key, &p);
	if (p.pending_key)
		syntax_error(&p, current_section(&p), p.lineno, p.line, p.line_len);
	/* read_line() and on_key() should have met any error inih found first. */
	if (ret > 0 && (!p.failed || ret < p.err_line)) {
		p.failed = false;
		find_line(&p, ret, &line, &line_len);
		syntax_error(&p, NULL, ret, line, line_len);
	} else if (ret < 0) {
		fail(&p, 0, NULL, NULL, "cannot parse (libinih error %d)", ret);
	}
	if (!p.failed)
		check_sections(&p);
out:
	free(text);
	free(p.sections);
	if (p.failed)
		rc = CLU_E_MANIFEST;
	if (rc)
		clu_manifest_release(manifest);
	return rc;
}

void clu_manifest_release(struct clu_manifest *manifest)
{
	free(manifest->path);
	free(manifest->name);
	free(manifest->version);
	for (size_t i = 0; i < manifest->n_groups; i++)
		free(manifest->groups[i]);
	free(manifest->groups);
	free(manifest->version_attribute);
	free(manifest->install_command);
	free(manifest->verify_command);
	free(manifest->rollback_command);
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
