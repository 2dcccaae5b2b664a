/*
 * The INI reader shared by the update manifest and the static cluster
 * description (see ini-file.h for the syntax and the contract).
 *
 * The file is read whole, then line by line in place: a line may be of
 * any length and end in "\n", "\r\n" or a lone "\r", and nothing is
 * copied into a buffer of fixed size. The syntax is the common INI subset
 * (that of libinih and Python's configparser, which users know) with two
 * departures: there are no inline comments, so that shell text such as
 * "stop ; install" reaches the shell as written; and an indented line
 * after a key, which those readers take as a continuation of its value,
 * is an error rather than a surprise.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ini-file.h"

#include "util.h"

#define NAME_CHARS "letters, digits, '.', '_' and '-'"
#define SYNTAX_EXPECTED "KEY = VALUE, a [SECTION] header, or a comment line " \
	"starting with # or ;"

static struct clu__ini_section *current_section(struct clu__ini *ini)
{
	return ini->n_sections ? &ini->sections[ini->n_sections - 1] : NULL;
}

static const struct clu__ini_section_spec *spec_of(const struct clu__ini *ini,
						   const struct clu__ini_section *sec)
{
	return &ini->format->sections[sec->kind];
}

bool clu__ini_fail(struct clu__ini *ini, int line, const struct clu__ini_section *sec,
		   const char *key, const char *fmt, ...)
{
	char message[CLU_ERR_MAX], where[32] = "", label[256] = "";
	va_list ap;

	if (ini->failed)
		return false;
	ini->failed = true;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	if (sec && sec->name)
		snprintf(label, sizeof(label), "[%s \"%s\"] ", spec_of(ini, sec)->word, sec->name);
	else if (sec)
		snprintf(label, sizeof(label), "[%s] ", spec_of(ini, sec)->word);
	clu_err_set(ini->err, ini->format->code, "%s%s: %s%s%s%s", ini->path, where, label,
		    key ? key : "", key ? ": " : "", message);
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

const char *clu__ini_suggest(const char *word, char *const *names, size_t n, char *buf,
			     size_t size)
{
	struct suggestion suggestion = { 0 };

	for (size_t i = 0; i < n; i++)
		consider(&suggestion, word, names[i]);
	buf[0] = '\0';
	return did_you_mean(&suggestion, buf, size);
}

const char *clu__ini_list(char *const *names, size_t n, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		/* Room for this name, and for ", ..." after it unless it is the last. */
		size_t need = (i ? 2 : 0) + strlen(names[i]) + (i + 1 < n ? 5 : 0) + 1;

		if (used + need > size) {
			snprintf(buf + used, size - used, "%s...", i ? ", " : "");
			break;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
	}
	return buf;
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

/* "tcp, smtp or command", in buf. */
static const char *choice_list(const struct clu__ini_choice *choices, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; choices[i].word && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i == 0 ? "" : choices[i + 1].word ? ", " : " or ",
					 choices[i].word);
	return buf;
}

const char *clu__ini_expected(const struct clu__ini_key *key, char *buf, size_t size)
{
	if (key->expected)
		return key->expected;
	switch (key->kind) {
	case CLU__INI_NAME:
		return NAME_CHARS;
	case CLU__INI_NAMES:
		return "names of " NAME_CHARS ", separated by commas or spaces";
	case CLU__INI_VERSION:
		return "letters, digits, '.', '_', '+', '~', ':' and '-', without spaces";
	case CLU__INI_COMMAND:
		return "a shell command";
	case CLU__INI_BOOL:
		return "yes or no";
	case CLU__INI_UINT:
		snprintf(buf, size, "a whole number from %u to %u", key->min, key->max);
		return buf;
	case CLU__INI_DURATION:
		return "a duration from 1ms to 24h, such as 500ms, 3s, 2m or 1h";
	case CLU__INI_CHOICE:
		return choice_list(key->choices, buf, size);
	case CLU__INI_CHECKED:
		break;
	}
	BUG("key '%s' of kind %d says nothing of what it expects", key->name, (int)key->kind);
}

/* Decimal digits only (no sign, no spaces); *end at the first non-digit. */
static enum clu__ini_number read_digits(const char *s, const char **end,
					unsigned long long *value)
{
	unsigned long long n = 0;
	bool huge = false;

	if (!isdigit((unsigned char)*s))
		return CLU__INI_NUMBER_INVALID;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > UINT32_MAX)
			huge = true;    /* past any range we accept; stop before overflow */
		else
			n = n * 10 + (unsigned)(*s - '0');
	}
	*end = s;
	*value = n;
	return huge ? CLU__INI_NUMBER_RANGE : CLU__INI_NUMBER_OK;
}

enum clu__ini_number clu__ini_parse_uint(const char *s, unsigned min, unsigned max,
					 unsigned *out)
{
	unsigned long long n;
	const char *end;
	enum clu__ini_number r = read_digits(s, &end, &n);

	if (r == CLU__INI_NUMBER_INVALID || *end)
		return CLU__INI_NUMBER_INVALID;
	if (r == CLU__INI_NUMBER_RANGE || n < min || n > max)
		return CLU__INI_NUMBER_RANGE;
	*out = (unsigned)n;
	return CLU__INI_NUMBER_OK;
}

/* "500ms", "3s", "2m", "1h", or a plain number of seconds; 1 ms to 24 h. */
enum clu__ini_number clu__ini_parse_duration(const char *s, unsigned *ms)
{
	static const struct { const char *suffix; unsigned ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 3600 * 1000 }, { "", 1000 },
	};
	unsigned long long n;
	const char *end;
	enum clu__ini_number r = read_digits(s, &end, &n);

	if (r == CLU__INI_NUMBER_INVALID)
		return CLU__INI_NUMBER_INVALID;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (r == CLU__INI_NUMBER_RANGE || n == 0 || n * units[i].ms > 24ull * 3600 * 1000)
			return CLU__INI_NUMBER_RANGE;
		*ms = (unsigned)(n * units[i].ms);
		return CLU__INI_NUMBER_OK;
	}
	return CLU__INI_NUMBER_INVALID;
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

/* A NAMES value into its two fields. */
static bool set_names(struct clu__ini *ini, const struct clu__ini_section *sec,
		      const struct clu__ini_key *key, const char *text, char *fields)
{
	static const char separators[] = ", \t";
	const char *noun = key->noun ? key->noun : "name";
	struct clu__strv names = { 0 };
	GHashTable *listed = g_hash_table_new(g_str_hash, g_str_equal);   /* names' own */
	char expected[128];

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
			clu__ini_fail(ini, ini->lineno, sec, key->name, "'%s' is not a valid "
				      "%s%sname (expected %s)", name, key->noun ? key->noun : "",
				      key->noun ? " " : "", NAME_CHARS);
		else if (g_hash_table_contains(listed, name))
			clu__ini_fail(ini, ini->lineno, sec, key->name, "'%s' is listed twice "
				      "(expected each %s once)", name, noun);
		else {
			clu__strv_push(&names, name);
			g_hash_table_add(listed, names.v[names.n - 1]);
		}
		free(name);
		if (ini->failed)
			break;
	}
	g_hash_table_destroy(listed);
	if (!ini->failed && !names.n)
		clu__ini_fail(ini, ini->lineno, sec, key->name, "empty list (expected %s)",
			      clu__ini_expected(key, expected, sizeof(expected)));
	if (ini->failed) {
		clu__strv_release(&names);
		return false;
	}
	*(char ***)(fields + key->offset) = names.v;
	*(size_t *)(fields + key->count_offset) = names.n;
	return true;
}

/* What is wrong with a number that did not parse; NULL when it did. */
static const char *number_problem(enum clu__ini_number rc, const char *invalid)
{
	switch (rc) {
	case CLU__INI_NUMBER_OK:
		return NULL;
	case CLU__INI_NUMBER_INVALID:
		return invalid;
	case CLU__INI_NUMBER_RANGE:
		return "is out of range";
	}
	return invalid;
}

/* One of key's words, stored as its value; else a did-you-mean. */
static bool set_choice(struct clu__ini *ini, const struct clu__ini_section *sec,
		       const struct clu__ini_key *key, const char *text, int *field,
		       const char *expected)
{
	struct suggestion suggestion = { 0 };
	char hint[128];

	for (const struct clu__ini_choice *c = key->choices; c->word; c++) {
		if (strcmp(text, c->word) == 0) {
			*field = c->value;
			return true;
		}
		consider(&suggestion, text, c->word);
	}
	return clu__ini_fail(ini, ini->lineno, sec, key->name, "'%s' is not a %s%s (expected %s)",
			     text, key->noun, did_you_mean(&suggestion, hint, sizeof(hint)), expected);
}

/* Check text against key and store it in the section's struct. */
static bool set_value(struct clu__ini *ini, const struct clu__ini_section *sec,
		      const struct clu__ini_key *key, const char *text)
{
	char *fields = ini->format->fields(ini, sec);
	void *field = fields + key->offset;
	char expected_buf[256];
	const char *expected = clu__ini_expected(key, expected_buf, sizeof(expected_buf));
	const char *what = NULL;
	bool keep_text = false;   /* a string kind: the field holds the text itself */
	int yes;

	if (!*text)
		return clu__ini_fail(ini, ini->lineno, sec, key->name, "empty value "
				     "(expected %s)", expected);

	switch (key->kind) {
	case CLU__INI_NAMES:
		return set_names(ini, sec, key, text, fields);
	case CLU__INI_CHOICE:
		return set_choice(ini, sec, key, text, field, expected);
	case CLU__INI_BOOL:
		if ((yes = parse_bool(text)) >= 0)
			*(bool *)field = yes;
		what = yes < 0 ? "is not a boolean" : NULL;
		break;
	case CLU__INI_UINT:
		what = number_problem(clu__ini_parse_uint(text, key->min, key->max, field),
				      "is not a whole number");
		break;
	case CLU__INI_DURATION:
		what = number_problem(clu__ini_parse_duration(text, field), "is not a duration");
		break;
	case CLU__INI_NAME:
		what = is_name(text, strlen(text)) ? NULL : "is not a valid name";
		keep_text = true;
		break;
	case CLU__INI_VERSION:
		what = is_version(text) ? NULL : "is not a valid version";
		keep_text = true;
		break;
	case CLU__INI_CHECKED:
		what = key->check(text);
		keep_text = true;
		break;
	case CLU__INI_COMMAND:
		keep_text = true;
		break;
	}
	if (what)
		return clu__ini_fail(ini, ini->lineno, sec, key->name, "'%s' %s (expected %s)",
				     text, what, expected);
	if (keep_text)
		*(char **)field = clu__xstrdup(text);
	return true;
}

static bool unknown_key(struct clu__ini *ini, const struct clu__ini_section *sec,
			const char *name)
{
	const struct clu__ini_key *keys = spec_of(ini, sec)->keys;
	struct suggestion suggestion = { 0 };
	char list[512] = "", hint[128];
	size_t used = 0;

	for (const struct clu__ini_key *k = keys; k->name; k++) {
		consider(&suggestion, name, k->name);
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 k == keys ? "" : ", ", k->name);
		if (used >= sizeof(list))
			BUG("key list of [%s] too long", spec_of(ini, sec)->word);
	}
	return clu__ini_fail(ini, ini->lineno, sec, NULL, "unknown key '%s'%s (expected one "
			     "of: %s)", name, did_you_mean(&suggestion, hint, sizeof(hint)), list);
}

/* The line was neither a comment, a section header nor KEY = VALUE. */
static bool syntax_error(struct clu__ini *ini, const struct clu__ini_section *sec,
			 int line, const char *text, size_t len)
{
	if (len > 60)
		len = 60;
	return clu__ini_fail(ini, line, sec, NULL, "syntax error in '%.*s%s' (expected "
			     SYNTAX_EXPECTED ")", (int)len, text, len == 60 ? "..." : "");
}

/* The current line without a leading byte-order mark and surrounding blanks. */
static void trimmed_line(const struct clu__ini *ini, const char **start, const char **end)
{
	const char *s = ini->line, *e = ini->line + ini->line_len;

	if (ini->lineno == 1 && ini->line_len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*start = s;
	*end = e;
}

/*
 * Whether the header's text from inner to inner_end, its word ending at
 * word_end, suits spec: a valid quoted NAME after the word of a named
 * section, nothing after the others. Reports why not.
 */
static bool check_header(struct clu__ini *ini, const struct clu__ini_section_spec *spec,
			 const char *inner, const char *inner_end, const char *word_end,
			 const char **name, size_t *name_len)
{
	int inner_len = (int)(inner_end - inner);
	const char *s = word_end;

	while (s < inner_end && isspace((unsigned char)*s))
		s++;
	if (!spec->named) {
		if (s == inner_end)
			return true;
		return clu__ini_fail(ini, ini->lineno, NULL, NULL, "[%.*s] takes no name "
				     "(expected [%s])", inner_len, inner, spec->word);
	}
	if (s == inner_end || *s != '"' || inner_end - s < 2 || inner_end[-1] != '"')
		return clu__ini_fail(ini, ini->lineno, NULL, NULL, "[%.*s] needs a quoted name "
				     "(expected [%s \"NAME\"])", inner_len, inner, spec->word);
	*name = s + 1;
	*name_len = (size_t)(inner_end - 1 - *name);
	if (!is_name(*name, *name_len))
		return clu__ini_fail(ini, ini->lineno, NULL, NULL, "[%.*s] '%.*s' is not a "
				     "valid %s name (expected %s)", inner_len, inner,
				     (int)*name_len, *name, spec->word, NAME_CHARS);
	return true;
}

/*
 * What is between '[' at s and ']' of a header ending at end (trimmed),
 * into *inner and *inner_end, trimmed too; false (failed) when there is
 * no ']' or something follows it.
 */
static bool header_inner(struct clu__ini *ini, const char *s, const char *end,
			 const char **inner, const char **inner_end)
{
	const struct clu__ini_format *format = ini->format;
	const char *close = memchr(s, ']', (size_t)(end - s)), *tail;

	if (!close)
		return clu__ini_fail(ini, ini->lineno, NULL, NULL, "section header without ']' "
				     "(expected %s)", format->header_expected);
	*inner = s + 1;
	*inner_end = close;
	while (*inner < *inner_end && isspace((unsigned char)**inner))
		(*inner)++;
	while (*inner_end > *inner && isspace((unsigned char)(*inner_end)[-1]))
		(*inner_end)--;
	if (close + 1 == end)
		return true;
	for (tail = close + 1; !format->header_tail_raw && isspace((unsigned char)*tail); tail++)
		;
	return clu__ini_fail(ini, ini->lineno, NULL, NULL, "[%.*s] followed by '%.*s' "
			     "(expected nothing after ']': comments go on lines of their own)",
			     (int)(*inner_end - *inner), *inner, (int)(end - tail), tail);
}

/* The section kind named by the header's first word (ending at *word_end); NULL: failed. */
static const struct clu__ini_section_spec *header_spec(struct clu__ini *ini, const char *inner,
							const char *inner_end,
							const char **word_end)
{
	const struct clu__ini_format *format = ini->format;
	const struct clu__ini_section_spec *spec = NULL;
	struct suggestion suggestion = { 0 };
	char word[65], hint[128];

	for (*word_end = inner; *word_end < inner_end && !isspace((unsigned char)**word_end) &&
	     **word_end != '"'; (*word_end)++)
		;
	snprintf(word, sizeof(word), "%.*s", (int)(*word_end - inner), inner);
	for (size_t k = 0; k < format->n_sections; k++) {
		if (strcmp(word, format->sections[k].word) == 0)
			spec = &format->sections[k];
		consider(&suggestion, word, format->sections[k].word);
	}
	if (!spec)
		clu__ini_fail(ini, ini->lineno, NULL, NULL, "unknown section [%.*s]%s (expected "
			      "%s)", (int)(inner_end - inner), inner,
			      did_you_mean(&suggestion, hint, sizeof(hint)), format->sections_expected);
	return spec;
}

/*
 * Whether a section of spec's kind and this name came before (failed,
 * naming its line); else it is remembered as the next section. Each
 * section's kind and name are a key, to find a second one in constant time.
 */
static bool seen_before(struct clu__ini *ini, const struct clu__ini_section_spec *spec,
			const char *name, size_t name_len, const char *inner, const char *inner_end)
{
	const struct clu__ini_format *format = ini->format;
	char *key = clu__xasprintf("%u\t%.*s", (unsigned)(spec - format->sections),
				   name ? (int)name_len : 0, name ? name : "");
	const struct clu__ini_section *old;
	gpointer first;

	if (!ini->seen)
		ini->seen = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	first = g_hash_table_lookup(ini->seen, key);
	if (!first) {
		g_hash_table_insert(ini->seen, key, GSIZE_TO_POINTER(ini->n_sections + 1));
		return false;
	}
	free(key);
	old = &ini->sections[GPOINTER_TO_SIZE(first) - 1];
	if (!spec->named)
		clu__ini_fail(ini, ini->lineno, NULL, NULL, "duplicate section [%s], first "
			      "on line %d (expected each section once)", spec->word, old->line);
	else
		format->duplicate_name(ini, old, inner, (size_t)(inner_end - inner));
	return true;
}

/*
 * A "[word]" or "[word \"NAME\"]" header, from '[' at s to end (trimmed).
 * Becomes the current section.
 */
static void open_section(struct clu__ini *ini, const char *s, const char *end)
{
	const struct clu__ini_section_spec *spec;
	const char *inner = NULL, *inner_end = NULL, *word_end = NULL, *name = NULL;
	struct clu__ini_section *sec;
	size_t name_len = 0;

	if (!header_inner(ini, s, end, &inner, &inner_end) ||
	    !(spec = header_spec(ini, inner, inner_end, &word_end)) ||
	    !check_header(ini, spec, inner, inner_end, word_end, &name, &name_len) ||
	    seen_before(ini, spec, name, name_len, inner, inner_end))
		return;
	CLU_ALLOC_GROW(ini->sections, ini->n_sections + 1, ini->sections_alloc);
	sec = &ini->sections[ini->n_sections++];
	sec->kind = (unsigned)(spec - ini->format->sections);
	sec->name = name ? clu__xstrndup(name, name_len) : NULL;
	sec->line = ini->lineno;
	if (ini->format->open)
		ini->format->open(ini, sec);
	ini->prev_key = NULL;
}

/*
 * KEY = VALUE, from s to end (the current line without its blanks): VALUE,
 * without the blanks around it, is checked and stored in the current
 * section's key. KEY ends at the first '=' or ':', and ':' is refused with
 * a message that says so. A ';' after a blank before that is a syntax
 * error, as in libinih and configparser, for which it starts a comment.
 */
static void read_key(struct clu__ini *ini, const char *s, const char *end)
{
	struct clu__ini_section *sec = current_section(ini);
	const struct clu__ini_key *keys, *key = NULL;
	const char *sep = s, *name_end, *text_start, *text_end;
	char *name, *text;
	size_t i;

	while (sep < end && *sep != '=' && *sep != ':' &&
	       !(*sep == ';' && sep > s && isspace((unsigned char)sep[-1])))
		sep++;
	if (sep == end || *sep == ';') {
		syntax_error(ini, sec, ini->lineno, ini->line, ini->line_len);
		return;
	}
	for (name_end = sep; name_end > s && isspace((unsigned char)name_end[-1]); )
		name_end--;
	name = clu__xstrndup(s, (size_t)(name_end - s));
	if (!sec) {
		ini->format->key_before_sections(ini, name, s, (size_t)(end - s));
		goto out;
	}
	if (*sep == ':') {
		clu__ini_fail(ini, ini->lineno, sec, name, "':' between key and value "
			      "(expected %s = VALUE)", name);
		goto out;
	}

	keys = spec_of(ini, sec)->keys;
	for (i = 0; keys[i].name && !key; i++)
		if (strcmp(keys[i].name, name) == 0)
			key = &keys[i];
	if (!key) {
		unknown_key(ini, sec, name);
		goto out;
	}
	i = (size_t)(key - keys);
	if (sec->key_lines[i]) {
		clu__ini_fail(ini, ini->lineno, sec, name, "duplicate key, first set on line %d "
			      "(expected each key once per section)", sec->key_lines[i]);
		goto out;
	}
	sec->key_lines[i] = ini->lineno;
	ini->prev_key = key->name;

	for (text_start = sep + 1; text_start < end && isspace((unsigned char)*text_start); )
		text_start++;
	for (text_end = end; text_end > text_start && isspace((unsigned char)text_end[-1]); )
		text_end--;
	text = clu__xstrndup(text_start, (size_t)(text_end - text_start));
	set_value(ini, sec, key, text);
	free(text);
out:
	free(name);
}

/*
 * The current line: blank, a comment (its first non-blank is '#' or ';'),
 * a section header or KEY = VALUE.
 */
static void read_line(struct clu__ini *ini)
{
	const char *s, *end;

	trimmed_line(ini, &s, &end);
	if (s == end || *s == '#' || *s == ';')
		return;
	if (s > ini->line && ini->prev_key)
		clu__ini_fail(ini, ini->lineno, current_section(ini), NULL,
			      "indented line would continue the value of '%s' (expected KEY = "
			      "VALUE at the start of the line: a value cannot span lines)",
			      ini->prev_key);
	else if (*s == '[')
		open_section(ini, s, end);
	else
		read_key(ini, s, end);
}

/*
 * Make the next line of the file the current one, without its line end:
 * "\n", "\r\n" or a lone "\r". False at the end of the file.
 */
static bool next_line(struct clu__ini *ini)
{
	const char *start = ini->text + ini->pos, *end = ini->text + ini->len, *s = start;

	if (s == end)
		return false;
	while (s < end && *s != '\n' && *s != '\r')
		s++;
	ini->line = start;
	ini->line_len = (size_t)(s - start);
	if (s < end)
		s += *s == '\r' && s + 1 < end && s[1] == '\n' ? 2 : 1;
	ini->pos = (size_t)(s - ini->text);
	ini->lineno++;
	return true;
}

bool clu__ini_check_required(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	const struct clu__ini_key *keys = spec_of(ini, sec)->keys;
	char expected[256];

	for (size_t i = 0; keys[i].name; i++)
		if (keys[i].required && !sec->key_lines[i])
			return clu__ini_fail(ini, sec->line, sec, NULL, "missing required key "
					     "'%s' (expected %s = %s)", keys[i].name, keys[i].name,
					     clu__ini_expected(&keys[i], expected, sizeof(expected)));
	return true;
}

int clu__ini_parse(struct clu__ini *ini, const struct clu__ini_format *format,
		   void *user, const char *path, struct clu_err *err)
{
	const char *nul;

	for (size_t k = 0; k < format->n_sections; k++) {
		size_t n = 0;

		while (format->sections[k].keys[n].name)
			n++;
		if (n > CLU__INI_MAX_KEYS)
			BUG("[%s] has %zu keys, more than %d", format->sections[k].word, n,
			    CLU__INI_MAX_KEYS);
	}
	memset(ini, 0, sizeof(*ini));
	ini->format = format;
	ini->user = user;
	ini->path = path;
	ini->err = err;
	ini->text = clu__read_file(path, CLU__READ_MAX, &ini->len);
	if (!ini->text) {
		int saved = errno;
		char limit[64] = "";

		if (saved == EFBIG)
			snprintf(limit, sizeof(limit), " (expected at most %zu MiB)",
				 CLU__READ_MAX >> 20);
		return clu_err_set(err, CLU_E_IO, "cannot read %s%s'%s': %s%s",
				   format->what ? format->what : "", format->what ? " " : "",
				   path, strerror(saved), limit);
	}

	nul = memchr(ini->text, '\0', ini->len);
	if (nul) {
		while (next_line(ini) && ini->line + ini->line_len < nul)
			;
		clu__ini_fail(ini, ini->lineno, NULL, NULL, "contains a NUL byte (expected a "
			      "text file)");
		return format->code;
	}
	while (!ini->failed && next_line(ini))
		read_line(ini);
	return ini->failed ? format->code : 0;
}

void clu__ini_release(struct clu__ini *ini)
{
	if (ini->seen)
		g_hash_table_destroy(ini->seen);
	for (size_t i = 0; i < ini->n_sections; i++)
		free(ini->sections[i].name);
	free(ini->sections);
	free(ini->text);
	memset(ini, 0, sizeof(*ini));
}
