/*
 * The static cluster description (see static.h and doc/static-cluster.md):
 * an INI file -> the cluster model.
 *
 * libinih does the INI syntax. Debian builds it without line numbers in
 * the handler and without a call on section headers, so the reader we give
 * inih (over the file, read whole first) counts lines and checks section
 * headers itself: a section with no keys must still be checked, and every
 * message must name its line. The first error wins; the partial model is
 * freed. Rules that span sections (an owner must be a node of the file)
 * are checked once the whole file is read, with the line of the key.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "clupdate/static.h"
#include "util.h"

enum value_kind {
	VALUE_NAME,        /* node, resource or cluster name: letters, digits, . _ - */
	VALUE_NAMES,       /* a list of names, separated by commas or spaces */
	VALUE_VERSION,     /* a version string, no spaces */
	VALUE_BOOL,
	VALUE_ADDRESS,     /* a host or IP address, no spaces */
};

enum section_kind { SECTION_CLUSTER, SECTION_NODE, SECTION_GROUP };

/* Keys, by section; the index of a key is its slot in key_lines. */
enum { CLUSTER_NAME, CLUSTER_QUORUM };
enum { NODE_ONLINE, NODE_STANDBY, NODE_MAINTENANCE, NODE_VERSION };
enum { GROUP_MEMBERS, GROUP_OWNER, GROUP_MANAGED, GROUP_BANNED, GROUP_DATA_VERSION,
       GROUP_ADDRESS };

struct key_spec {
	const char *name;
	enum value_kind kind;
};

static const struct key_spec cluster_keys[] = {
	[CLUSTER_NAME] = { "name", VALUE_NAME },
	[CLUSTER_QUORUM] = { "quorum", VALUE_BOOL },
	{ NULL, 0 },
};

static const struct key_spec node_keys[] = {
	[NODE_ONLINE] = { "online", VALUE_BOOL },
	[NODE_STANDBY] = { "standby", VALUE_BOOL },
	[NODE_MAINTENANCE] = { "maintenance", VALUE_BOOL },
	[NODE_VERSION] = { "version", VALUE_VERSION },
	{ NULL, 0 },
};

static const struct key_spec group_keys[] = {
	[GROUP_MEMBERS] = { "members", VALUE_NAMES },
	[GROUP_OWNER] = { "owner", VALUE_NAME },
	[GROUP_MANAGED] = { "managed", VALUE_BOOL },
	[GROUP_BANNED] = { "banned", VALUE_NAMES },
	[GROUP_DATA_VERSION] = { "data-version", VALUE_VERSION },
	[GROUP_ADDRESS] = { "address", VALUE_ADDRESS },
	{ NULL, 0 },
};

static const struct section_spec {
	const char *word;
	bool named;
	const struct key_spec *keys;
} section_specs[] = {
	[SECTION_CLUSTER] = { "cluster", false, cluster_keys },
	[SECTION_NODE] = { "node", true, node_keys },
	[SECTION_GROUP] = { "group", true, group_keys },
};
#define N_SECTION_KINDS (sizeof(section_specs) / sizeof(section_specs[0]))
#define SECTIONS_EXPECTED "[cluster], [node \"NAME\"] or [group \"NAME\"]"
#define NAME_CHARS "letters, digits, '.', '_' and '-'"
#define MAX_KEYS 8

/* A section header met in the file. */
struct section {
	enum section_kind kind;
	int line;                  /* of its header */
	size_t index;              /* into the model's nodes or groups */
	int key_lines[MAX_KEYS];   /* line of each key, 0 when absent */
};

struct parse {
	const char *path;
	struct clu_cluster *cluster;
	struct clu_err *err;

	const char *text;          /* the whole file */
	size_t len, pos;
	int lineno;
	const char *line;          /* the current line, raw, without its line end */
	size_t line_len;
	const char *prev_key;      /* last key of the current section */

	struct section *sections;  /* in file order; the last is the current one */
	size_t n_sections, sections_alloc;

	bool failed;
	int err_line;
};

static struct section *current_section(struct parse *p)
{
	return p->n_sections ? &p->sections[p->n_sections - 1] : NULL;
}

static const char *section_name(const struct parse *p, const struct section *sec)
{
	switch (sec->kind) {
	case SECTION_NODE:
		return p->cluster->nodes[sec->index].name;
	case SECTION_GROUP:
		return p->cluster->groups[sec->index].name;
	default:
		return NULL;
	}
}

/*
 * Record the first error: "PATH:LINE: [SECTION] KEY: message"; line 0
 * leaves LINE out, sec NULL the section, key NULL the key. Returns false
 * so that callers can `return fail(...)`.
 */
__attribute__((format(printf, 5, 6)))
static bool fail(struct parse *p, int line, const struct section *sec,
		 const char *key, const char *fmt, ...)
{
	char message[CLU_ERR_MAX], where[32] = "", label[256] = "";
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
	if (sec && section_specs[sec->kind].named)
		snprintf(label, sizeof(label), "[%s \"%s\"] ", section_specs[sec->kind].word,
			 section_name(p, sec));
	else if (sec)
		snprintf(label, sizeof(label), "[%s] ", section_specs[sec->kind].word);
	clu_err_set(p->err, CLU_E_CLUSTER, "%s%s: %s%s%s%s", p->path, where, label,
		    key ? key : "", key ? ": " : "", message);
	return false;
}

/* Levenshtein distance, case-insensitive; large for long words. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t best = diagonal + (tolower((unsigned char)a[i - 1]) !=
						  tolower((unsigned char)b[j - 1]));

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

/* ", did you mean 'owner'?" when word is a likely misspelling of one of
 * candidates, else "". */
static const char *did_you_mean(const char *word, const char *const *candidates,
				size_t n, char *buf, size_t size)
{
	const char *best = NULL;
	size_t best_distance = 1000;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);

		if (d < best_distance) {
			best = candidates[i];
			best_distance = d;
		}
	}
	if (!best || best_distance == 0 || best_distance > 2 ||
	    best_distance * 2 >= strlen(best))
		return "";
	snprintf(buf, size, ", did you mean '%s'?", best);
	return buf;
}

static bool is_name_char(int c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-';
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
	for (; *s; s++)
		if (!is_name_char((unsigned char)*s) && !strchr("+~:", *s))
			return false;
	return true;
}

static bool is_address(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			return false;
	return true;
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

static const char *expectation(enum value_kind kind)
{
	switch (kind) {
	case VALUE_NAME:
		return NAME_CHARS;
	case VALUE_NAMES:
		return "names of " NAME_CHARS ", separated by commas or spaces";
	case VALUE_VERSION:
		return "letters, digits, '.', '_', '+', '~', ':' and '-', without spaces";
	case VALUE_BOOL:
		return "yes or no";
	case VALUE_ADDRESS:
		return "a host name or IP address, without spaces";
	}
	BUG("value kind %d", (int)kind);
}

/* A list of names into a fresh vector; false (and an error) when malformed. */
static bool read_names(struct parse *p, const struct section *sec, const char *key,
		       const char *text, struct clu__strv *names)
{
	static const char separators[] = ", \t";

	for (const char *s = text; *s; ) {
		size_t n;
		char *name;

		s += strspn(s, separators);
		n = strcspn(s, separators);
		if (!n)
			break;
		name = clu__xstrndup(s, n);
		s += n;
		if (!is_name(name, n))
			fail(p, p->lineno, sec, key, "'%s' is not a valid name (expected %s)",
			     name, NAME_CHARS);
		else if (clu__strv_has(names, name))
			fail(p, p->lineno, sec, key, "'%s' is listed twice (expected each "
			     "name once)", name);
		else
			clu__strv_push(names, name);
		free(name);
		if (p->failed)
			return false;
	}
	if (!names->n)
		return fail(p, p->lineno, sec, key, "empty list (expected %s)",
			    expectation(VALUE_NAMES));
	return true;
}

static void set_names(char ***field, size_t *count, struct clu__strv *names)
{
	for (size_t i = 0; i < *count; i++)
		free((*field)[i]);
	free(*field);
	*field = names->v;
	*count = names->n;
	memset(names, 0, sizeof(*names));
}

/* Check text against the key's kind and store it in the model. */
static bool set_value(struct parse *p, struct section *sec, size_t key, const char *text)
{
	const struct key_spec *spec = &section_specs[sec->kind].keys[key];
	struct clu__strv names = { 0 };
	int yes = -1;

	if (!*text)
		return fail(p, p->lineno, sec, spec->name, "empty value (expected %s)",
			    expectation(spec->kind));
	switch (spec->kind) {
	case VALUE_NAME:
		if (!is_name(text, strlen(text)))
			return fail(p, p->lineno, sec, spec->name, "'%s' is not a valid name "
				    "(expected %s)", text, NAME_CHARS);
		break;
	case VALUE_NAMES:
		if (!read_names(p, sec, spec->name, text, &names)) {
			clu__strv_release(&names);
			return false;
		}
		break;
	case VALUE_VERSION:
		if (!is_version(text))
			return fail(p, p->lineno, sec, spec->name, "'%s' is not a valid version "
				    "(expected %s)", text, expectation(spec->kind));
		break;
	case VALUE_BOOL:
		if ((yes = parse_bool(text)) < 0)
			return fail(p, p->lineno, sec, spec->name, "'%s' is not a boolean "
				    "(expected yes or no)", text);
		break;
	case VALUE_ADDRESS:
		if (!is_address(text))
			return fail(p, p->lineno, sec, spec->name, "'%s' is not an address "
				    "(expected %s)", text, expectation(spec->kind));
		break;
	}

	if (sec->kind == SECTION_CLUSTER) {
		struct clu_cluster *c = p->cluster;

		if (key == CLUSTER_NAME)
			clu_set_string(&c->name, text);
		else
			c->quorum = yes;
	} else if (sec->kind == SECTION_NODE) {
		struct clu_node *node = &p->cluster->nodes[sec->index];

		switch (key) {
		case NODE_ONLINE: node->online = yes; break;
		case NODE_STANDBY: node->standby = yes; break;
		case NODE_MAINTENANCE: node->maintenance = yes; break;
		default: clu_set_string(&node->version, text); break;
		}
	} else {
		struct clu_group *group = &p->cluster->groups[sec->index];

		switch (key) {
		case GROUP_MEMBERS: set_names(&group->members, &group->n_members, &names); break;
		case GROUP_OWNER: clu_set_string(&group->owner, text); break;
		case GROUP_MANAGED: group->managed = yes; break;
		case GROUP_BANNED: set_names(&group->banned, &group->n_banned, &names); break;
		case GROUP_DATA_VERSION: clu_set_string(&group->data_version, text); break;
		default: clu_set_string(&group->address, text); break;
		}
	}
	return true;
}

static bool syntax_error(struct parse *p, const char *text, size_t len)
{
	if (len > 60)
		len = 60;
	return fail(p, p->lineno, current_section(p), NULL,
		    "syntax error in '%.*s%s' (expected KEY = VALUE, a [SECTION] header, "
		    "or a comment line starting with # or ;)",
		    (int)len, text, len == 60 ? "..." : "");
}

/* Start the section named by a header "[word]" or "[word \"NAME\"]", from
 * '[' at s to end (trimmed). */
static void open_section(struct parse *p, const char *s, const char *end)
{
	static const char *const words[] = { "cluster", "node", "group" };
	const char *close = memchr(s, ']', (size_t)(end - s));
	const char *inner = s + 1, *inner_end, *word_end, *name = NULL;
	const struct section_spec *spec = NULL;
	size_t name_len = 0;
	struct section *sec;
	char word[65], hint[128];
	int inner_len;

	if (!close) {
		fail(p, p->lineno, NULL, NULL, "section header without ']' (expected "
		     SECTIONS_EXPECTED ")");
		return;
	}
	inner_end = close;
	while (inner < inner_end && isspace((unsigned char)*inner))
		inner++;
	while (inner_end > inner && isspace((unsigned char)inner_end[-1]))
		inner_end--;
	inner_len = (int)(inner_end - inner);
	if (close + 1 != end) {
		fail(p, p->lineno, NULL, NULL, "[%.*s] followed by '%.*s' (expected nothing "
		     "after ']': comments go on lines of their own)", inner_len, inner,
		     (int)(end - close - 1), close + 1);
		return;
	}
	for (word_end = inner; word_end < inner_end && !isspace((unsigned char)*word_end) &&
	     *word_end != '"'; word_end++)
		;
	snprintf(word, sizeof(word), "%.*s", (int)(word_end - inner), inner);
	for (size_t k = 0; k < N_SECTION_KINDS; k++)
		if (!strcmp(word, section_specs[k].word))
			spec = &section_specs[k];
	if (!spec) {
		fail(p, p->lineno, NULL, NULL, "unknown section [%.*s]%s (expected "
		     SECTIONS_EXPECTED ")", inner_len, inner,
		     did_you_mean(word, words, 3, hint, sizeof(hint)));
		return;
	}
	for (s = word_end; s < inner_end && isspace((unsigned char)*s); s++)
		;
	if (spec->named) {
		if (s == inner_end || *s != '"' || inner_end - s < 2 || inner_end[-1] != '"') {
			fail(p, p->lineno, NULL, NULL, "[%.*s] needs a quoted name (expected "
			     "[%s \"NAME\"])", inner_len, inner, spec->word);
			return;
		}
		name = s + 1;
		name_len = (size_t)(inner_end - 1 - name);
		if (!is_name(name, name_len)) {
			fail(p, p->lineno, NULL, NULL, "[%.*s] '%.*s' is not a valid %s name "
			     "(expected %s)", inner_len, inner, (int)name_len, name,
			     spec->word, NAME_CHARS);
			return;
		}
	} else if (s != inner_end) {
		fail(p, p->lineno, NULL, NULL, "[%.*s] takes no name (expected [%s])",
		     inner_len, inner, spec->word);
		return;
	}
	for (size_t i = 0; i < p->n_sections; i++) {
		const struct section *old = &p->sections[i];
		const char *old_name;

		if (&section_specs[old->kind] != spec)
			continue;
		if (!spec->named) {
			fail(p, p->lineno, NULL, NULL, "duplicate section [%s], first on line %d "
			     "(expected each section once)", spec->word, old->line);
			return;
		}
		old_name = section_name(p, old);
		if (strlen(old_name) == name_len && !memcmp(old_name, name, name_len)) {
			fail(p, p->lineno, NULL, NULL, "duplicate [%.*s], first on line %d "
			     "(expected each %s once)", inner_len, inner, old->line, spec->word);
			return;
		}
	}

	CLU_ALLOC_GROW(p->sections, p->n_sections + 1, p->sections_alloc);
	sec = &p->sections[p->n_sections++];
	memset(sec, 0, sizeof(*sec));
	sec->kind = (enum section_kind)(spec - section_specs);
	sec->line = p->lineno;
	if (sec->kind == SECTION_NODE) {
		char *node_name = clu__xstrndup(name, name_len);
		struct clu_node *node = clu_cluster_add_node(p->cluster, node_name);

		node->online = true;
		sec->index = p->cluster->n_nodes - 1;
		free(node_name);
	} else if (sec->kind == SECTION_GROUP) {
		char *group_name = clu__xstrndup(name, name_len);

		clu_cluster_add_group(p->cluster, group_name);
		sec->index = p->cluster->n_groups - 1;
		free(group_name);
	}
	p->prev_key = NULL;
}

/*
 * Look at the line before inih does, with inih's rules (blank and comment
 * lines, continuations, section headers), so that headers are checked
 * and a continuation is refused before inih acts on it.
 */
static void classify_line(struct parse *p)
{
	const char *s = p->line, *end = p->line + p->line_len;

	if (p->lineno == 1 && p->line_len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s == end || *s == '#' || *s == ';')
		return;
	if (s > p->line && p->prev_key) {
		fail(p, p->lineno, current_section(p), NULL, "indented line would continue "
		     "the value of '%s' (expected KEY = VALUE at the start of the line: a "
		     "value cannot span lines)", p->prev_key);
		return;
	}
	if (*s == '[') {
		open_section(p, s, end);
		return;
	}
	if (!memchr(s, '=', (size_t)(end - s))) {
		syntax_error(p, s, (size_t)(end - s));
		return;
	}
	if (!current_section(p))
		fail(p, p->lineno, NULL, NULL, "'%.*s' before any section (expected "
		     SECTIONS_EXPECTED " first)", (int)(end - s), s);
}

/* inih's fgets()-like reader, over the file read whole. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	const char *start, *newline;
	size_t n, content;

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
		     "(expected at most %d)", content, size - 3);
		return NULL;
	}
	if (memchr(start, '\0', n)) {
		fail(p, p->lineno, current_section(p), NULL, "NUL byte in line (expected text)");
		return NULL;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	classify_line(p);
	return p->failed ? NULL : buf;
}

/* inih's handler for KEY = VALUE in the section read_line() opened. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct section *sec = current_section(p);
	const struct key_spec *keys;
	const char *candidates[MAX_KEYS];
	char list[256] = "", hint[128];
	size_t n = 0, used = 0;

	(void)section;
	if (p->failed || !sec)
		return 0;
	keys = section_specs[sec->kind].keys;
	for (size_t i = 0; keys[i].name; i++) {
		if (!strcmp(keys[i].name, name)) {
			if (sec->key_lines[i])
				return fail(p, p->lineno, sec, name, "duplicate key, first set on "
					    "line %d (expected each key once per section)",
					    sec->key_lines[i]);
			sec->key_lines[i] = p->lineno;
			p->prev_key = keys[i].name;
			return set_value(p, sec, i, value);
		}
		candidates[n++] = keys[i].name;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 i ? ", " : "", keys[i].name);
	}
	return fail(p, p->lineno, sec, NULL, "unknown key '%s'%s (expected one of: %s)", name,
		    did_you_mean(name, candidates, n, hint, sizeof(hint)), list);
}

/* "n1, n2, n3": the nodes of the file, for messages. */
static void node_list(const struct clu_cluster *cluster, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cluster->n_nodes && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 cluster->nodes[i].name);
}

/* What can only be checked once the whole file is read. */
static bool check_file(struct parse *p)
{
	struct clu_cluster *c = p->cluster;
	char nodes[512];

	if (!c->n_nodes)
		return fail(p, 0, NULL, NULL, "no [node \"NAME\"] section (expected at least "
			    "one node)");
	node_list(c, nodes, sizeof(nodes));
	for (size_t i = 0; i < p->n_sections; i++) {
		const struct section *sec = &p->sections[i];
		struct clu_group *group;
		const struct clu_node *owner;

		if (sec->kind != SECTION_GROUP)
			continue;
		group = &c->groups[sec->index];
		if (!sec->key_lines[GROUP_MEMBERS])
			clu_group_add_member(group, group->name);
		owner = clu_cluster_node(c, group->owner);
		if (group->owner && !owner)
			return fail(p, sec->key_lines[GROUP_OWNER], sec, "owner", "'%s' is not "
				    "a node of this file (expected one of: %s)", group->owner, nodes);
		if (owner && !owner->online)
			return fail(p, sec->key_lines[GROUP_OWNER], sec, "owner", "node '%s' is "
				    "offline (expected an online node, or no owner for a stopped "
				    "group)", group->owner);
		for (size_t j = 0; j < group->n_banned; j++)
			if (!clu_cluster_node(c, group->banned[j]))
				return fail(p, sec->key_lines[GROUP_BANNED], sec, "banned", "'%s' is "
					    "not a node of this file (expected one of: %s)",
					    group->banned[j], nodes);
		if (!group->data_version && owner && owner->version)
			clu_set_string(&group->data_version, owner->version);
	}
	return true;
}

int clu_static_load(struct clu_cluster *out, const char *path, struct clu_err *err)
{
	struct parse p = { .path = path, .cluster = out, .err = err };
	char *where = NULL, *text;
	int rc = CLU_OK, ini_line;

	memset(out, 0, sizeof(*out));
	out->quorum = true;
	text = clu__read_file(path, &p.len);
	if (!text) {
		rc = clu_err_set(err, CLU_E_IO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	p.text = text;
	ini_line = ini_parse_stream(read_line, &p, on_key, &p);
	if (ini_line < 0)
		BUG("ini_parse_stream: %d", ini_line);
	/* inih stops at nothing: a line it could not parse and that
	 * classify_line() let through is still its error. */
	if (ini_line > 0 && (!p.failed || ini_line < p.err_line)) {
		const char *line = p.text;

		for (int i = 1; i < ini_line && strchr(line, '\n'); i++)
			line = strchr(line, '\n') + 1;
		p.failed = false;
		fail(&p, ini_line, NULL, NULL, "syntax error in '%.*s' (expected KEY = VALUE, "
		     "a [SECTION] header, or a comment line starting with # or ;)",
		     (int)strcspn(line, "\r\n"), line);
	}
	if (!p.failed)
		check_file(&p);
	if (p.failed) {
		rc = CLU_E_CLUSTER;
		goto out;
	}
	where = clu__xasprintf("static:%s", path);
	rc = clu_cluster_validate(out, where, err);

out:
	if (rc)
		clu_cluster_release(out);
	free(p.sections);
	free(where);
	free(text);
	return rc;
}
