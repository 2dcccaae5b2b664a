/*
 * Unit tests of the INI reader shared by the manifest and the static
 * cluster description (lib/ini-file.c), through a small format of its own:
 * every value kind with its good and bad values and exact messages, the
 * "did you mean" suggestions, and the syntax rules, the first of them that
 * there are no inline comments ('#' and ';' in a value are part of it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ini-file.h"

enum color { RED, GREEN, BLUE };

/* What one [box] or [item "NAME"] section holds. */
struct thing {
	char *name;
	char **tags;
	size_t n_tags;
	char *version;
	char *command;
	bool flag;
	unsigned count;
	unsigned wait_ms;
	enum color color;
	char *size;
};

struct file {
	struct thing box;
	struct thing *items;
	size_t n_items;
};

static const struct clu__ini_choice colors[] = {
	{ "red", RED }, { "green", GREEN }, { "blue", BLUE }, { NULL, 0 },
};

/* "S", "M" or "L". */
static const char *check_size(const char *text)
{
	return strlen(text) == 1 && strchr("SML", text[0]) ? NULL : "is not a size";
}

#define THING(field) offsetof(struct thing, field)

static const struct clu__ini_key thing_keys[] = {
	{ "name", CLU__INI_NAME, THING(name), .required = true },
	{ "tags", CLU__INI_NAMES, THING(tags), .count_offset = THING(n_tags) },
	{ "groups", CLU__INI_NAMES, THING(tags), .count_offset = THING(n_tags),
	  .noun = "group" },
	{ "version", CLU__INI_VERSION, THING(version), .required = false },
	{ "command", CLU__INI_COMMAND, THING(command), .required = false },
	{ "flag", CLU__INI_BOOL, THING(flag), .required = false },
	{ "count", CLU__INI_UINT, THING(count), .min = 1, .max = 10 },
	{ "wait", CLU__INI_DURATION, THING(wait_ms), .required = false },
	{ "color", CLU__INI_CHOICE, THING(color), .choices = colors, .noun = "color" },
	{ "size", CLU__INI_CHECKED, THING(size), .check = check_size, .expected = "S, M or L" },
	{ .name = NULL },
};

enum { SECTION_BOX, SECTION_ITEM };

static const struct clu__ini_section_spec sections[] = {
	[SECTION_BOX] = { "box", false, thing_keys },
	[SECTION_ITEM] = { "item", true, thing_keys },
};

static void open_section(struct clu__ini *ini, struct clu__ini_section *sec)
{
	struct file *f = ini->user;

	if (sec->kind != SECTION_ITEM)
		return;
	f->items = realloc(f->items, (f->n_items + 1) * sizeof(*f->items));
	assert_non_null(f->items);
	memset(&f->items[f->n_items], 0, sizeof(*f->items));
	sec->index = f->n_items++;
}

static void *section_fields(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	struct file *f = ini->user;

	return sec->kind == SECTION_ITEM ? &f->items[sec->index] : &f->box;
}

static bool key_before_sections(struct clu__ini *ini, const char *key, const char *line,
				size_t len)
{
	return clu__ini_fail(ini, ini->lineno, NULL, NULL, "key '%s' in '%.*s' before any "
			     "section", key, (int)len, line);
}

static bool duplicate_name(struct clu__ini *ini, const struct clu__ini_section *first,
			   const char *header, size_t header_len)
{
	return clu__ini_fail(ini, ini->lineno, NULL, NULL, "[%.*s] again (first on line %d)",
			     (int)header_len, header, first->line);
}

static const struct clu__ini_format format = {
	.code = CLU_E_USAGE,
	.sections = sections,
	.n_sections = 2,
	.open = open_section,
	.fields = section_fields,
	.what = "test file",
	.sections_expected = "[box] or [item \"NAME\"]",
	.header_expected = "[box]",
	.key_before_sections = key_before_sections,
	.duplicate_name = duplicate_name,
};

static char tmpdir[64];
static char path[128];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/clu-test-ini-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/t.ini", tmpdir);
	return 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(tmpdir);
}

static void write_file(const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void release_thing(struct thing *t)
{
	free(t->name);
	for (size_t i = 0; i < t->n_tags; i++)
		free(t->tags[i]);
	free(t->tags);
	free(t->version);
	free(t->command);
	free(t->size);
}

static void release_file(struct file *f)
{
	release_thing(&f->box);
	for (size_t i = 0; i < f->n_items; i++)
		release_thing(&f->items[i]);
	free(f->items);
	memset(f, 0, sizeof(*f));
}

/* Parse text into *f, then check the required keys of every section. */
static int parse(const char *text, struct file *f, struct clu_err *err)
{
	struct clu__ini ini;
	int rc;

	write_file(text, strlen(text));
	memset(f, 0, sizeof(*f));
	rc = clu__ini_parse(&ini, &format, f, path, err);
	for (size_t i = 0; !rc && i < ini.n_sections; i++)
		if (!clu__ini_check_required(&ini, &ini.sections[i]))
			rc = format.code;
	clu__ini_release(&ini);
	return rc;
}

static void parse_ok(const char *text, struct file *f)
{
	struct clu_err err = CLU_ERR_INIT;

	if (parse(text, f, &err))
		fail_msg("%s", err.msg);
}

/* text must fail with format.code and "PATH" followed by suffix. */
static void check_error(const char *text, const char *suffix)
{
	struct clu_err err = CLU_ERR_INIT;
	char expected[CLU_ERR_MAX];
	struct file f;

	assert_int_equal(parse(text, &f, &err), CLU_E_USAGE);
	assert_int_equal(err.code, CLU_E_USAGE);
	snprintf(expected, sizeof(expected), "%s%s", path, suffix);
	assert_string_equal(err.msg, expected);
	release_file(&f);
}

static void test_value_kinds(void **state)
{
	struct file f;

	(void)state;
	parse_ok("[box]\n"
		 "name = box-1.b_2\n"
		 "tags = a,b , c\td\n"
		 "version = 2:1.0~rc1+deb12u1\n"
		 "command = \"$DIR/run\" --now\n"
		 "flag = On\n"
		 "count = 0010\n"
		 "wait = 500ms\n"
		 "color = blue\n"
		 "size = M\n"
		 "[item \"i1\"]\nname = i\nflag = FALSE\ncount = 1\nwait = 90\n"
		 "[item \"i2\"]\nname = j\nflag = 1\nwait = 24h\n", &f);
	assert_string_equal(f.box.name, "box-1.b_2");
	assert_int_equal(f.box.n_tags, 4);
	assert_string_equal(f.box.tags[0], "a");
	assert_string_equal(f.box.tags[3], "d");
	assert_null(f.box.tags[4]);
	assert_string_equal(f.box.version, "2:1.0~rc1+deb12u1");
	assert_string_equal(f.box.command, "\"$DIR/run\" --now");
	assert_true(f.box.flag);
	assert_int_equal(f.box.count, 10);
	assert_int_equal(f.box.wait_ms, 500);
	assert_int_equal(f.box.color, BLUE);
	assert_string_equal(f.box.size, "M");
	assert_int_equal(f.n_items, 2);
	assert_string_equal(f.items[0].name, "i");
	assert_false(f.items[0].flag);
	assert_int_equal(f.items[0].count, 1);
	assert_int_equal(f.items[0].wait_ms, 90000);
	assert_true(f.items[1].flag);
	assert_int_equal(f.items[1].wait_ms, 24 * 3600 * 1000);
	release_file(&f);

	parse_ok("[box]\nname = x\nwait = 3s\n[item \"a\"]\nname = y\nwait = 2m\n"
		 "[item \"b\"]\nname = z\nwait = 1h\nflag = off\n", &f);
	assert_int_equal(f.box.wait_ms, 3000);
	assert_int_equal(f.items[0].wait_ms, 120000);
	assert_int_equal(f.items[1].wait_ms, 3600000);
	release_file(&f);
}

static void test_value_errors(void **state)
{
	(void)state;
	check_error("[box]\nname = a b\n",
		    ":2: [box] name: 'a b' is not a valid name (expected letters, digits, '.', "
		    "'_' and '-')");
	check_error("[box]\nname = caf\xC3\xA9\n",
		    ":2: [box] name: 'caf\xC3\xA9' is not a valid name (expected letters, "
		    "digits, '.', '_' and '-')");
	check_error("[item \"i\"]\nname =\n",
		    ":2: [item \"i\"] name: empty value (expected letters, digits, '.', '_' "
		    "and '-')");
	check_error("[box]\ntags = a b/c\n",
		    ":2: [box] tags: 'b/c' is not a valid name (expected letters, digits, '.', "
		    "'_' and '-')");
	check_error("[box]\ngroups = a b/c\n",
		    ":2: [box] groups: 'b/c' is not a valid group name (expected letters, "
		    "digits, '.', '_' and '-')");
	check_error("[box]\ntags = a, b, a\n",
		    ":2: [box] tags: 'a' is listed twice (expected each name once)");
	check_error("[box]\ngroups = a a\n",
		    ":2: [box] groups: 'a' is listed twice (expected each group once)");
	check_error("[box]\ntags = , ,\n",
		    ":2: [box] tags: empty list (expected names of letters, digits, '.', '_' and "
		    "'-', separated by commas or spaces)");
	check_error("[box]\nversion = 1 beta\n",
		    ":2: [box] version: '1 beta' is not a valid version (expected letters, "
		    "digits, '.', '_', '+', '~', ':' and '-', without spaces)");
	check_error("[box]\nflag = maybe\n",
		    ":2: [box] flag: 'maybe' is not a boolean (expected yes or no)");
	check_error("[box]\ncount = 11\n",
		    ":2: [box] count: '11' is out of range (expected a whole number from 1 to 10)");
	check_error("[box]\ncount = +1\n",
		    ":2: [box] count: '+1' is not a whole number (expected a whole number from 1 "
		    "to 10)");
	check_error("[box]\ncount = 99999999999999999999\n",
		    ":2: [box] count: '99999999999999999999' is out of range (expected a whole "
		    "number from 1 to 10)");
	check_error("[box]\nwait = 0ms\n",
		    ":2: [box] wait: '0ms' is out of range (expected a duration from 1ms to 24h, "
		    "such as 500ms, 3s, 2m or 1h)");
	check_error("[box]\nwait = 1441m\n",
		    ":2: [box] wait: '1441m' is out of range (expected a duration from 1ms to "
		    "24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[box]\nwait = 1d\n",
		    ":2: [box] wait: '1d' is not a duration (expected a duration from 1ms to 24h, "
		    "such as 500ms, 3s, 2m or 1h)");
	check_error("[box]\ncolor = purple\n",
		    ":2: [box] color: 'purple' is not a color (expected red, green or blue)");
	check_error("[box]\nsize = XL\n",
		    ":2: [box] size: 'XL' is not a size (expected S, M or L)");
}

/* '#' and ';' start a comment only as the first non-blank of a line. */
static void test_no_inline_comments(void **state)
{
	struct file f;

	(void)state;
	parse_ok("# a comment\n; another\n[box]\n   # indented\n\t; indented\n"
		 "name = x\ncommand = stop ; install # now\n", &f);
	assert_string_equal(f.box.command, "stop ; install # now");
	release_file(&f);

	check_error("[box]\nflag = yes ; really\n",
		    ":2: [box] flag: 'yes ; really' is not a boolean (expected yes or no)");
	check_error("[box]\ncount = 3 # three\n",
		    ":2: [box] count: '3 # three' is not a whole number (expected a whole "
		    "number from 1 to 10)");
	check_error("[box]\nname = x;y\n",
		    ":2: [box] name: 'x;y' is not a valid name (expected letters, digits, '.', "
		    "'_' and '-')");
	check_error("[box] ; the box\n",
		    ":1: [box] followed by '; the box' (expected nothing after ']': comments go "
		    "on lines of their own)");
	/* inih's own rule would make this key line a syntax error. */
	check_error("[box]\nname ;x = y\n",
		    ":2: [box] syntax error in 'name ;x = y' (expected KEY = VALUE, a [SECTION] "
		    "header, or a comment line starting with # or ;)");
}

static void test_suggestions(void **state)
{
	(void)state;
	check_error("[box]\ncolour = red\n",
		    ":2: [box] unknown key 'colour', did you mean 'color'? (expected one of: "
		    "name, tags, groups, version, command, flag, count, wait, color, size)");
	check_error("[box]\nweight = 3\n",
		    ":2: [box] unknown key 'weight' (expected one of: name, tags, groups, "
		    "version, command, flag, count, wait, color, size)");
	check_error("[iten \"x\"]\n",
		    ":1: unknown section [iten \"x\"], did you mean 'item'? (expected [box] or "
		    "[item \"NAME\"])");
	/* Two edits in a word of four are too many. */
	check_error("[itme \"x\"]\n",
		    ":1: unknown section [itme \"x\"] (expected [box] or [item \"NAME\"])");
	check_error("[crate]\n",
		    ":1: unknown section [crate] (expected [box] or [item \"NAME\"])");
	check_error("[box]\ncolor = gren\n",
		    ":2: [box] color: 'gren' is not a color, did you mean 'green'? (expected "
		    "red, green or blue)");
	/* Case-insensitive; one edit in a word of three is a typo, three are not. */
	check_error("[box]\ncolor = GREN\n",
		    ":2: [box] color: 'GREN' is not a color, did you mean 'green'? (expected "
		    "red, green or blue)");
	check_error("[box]\ncolor = bed\n",
		    ":2: [box] color: 'bed' is not a color, did you mean 'red'? (expected red, "
		    "green or blue)");
	check_error("[box]\ncolor = ban\n",
		    ":2: [box] color: 'ban' is not a color (expected red, green or blue)");
}

static void test_structure_errors(void **state)
{
	(void)state;
	check_error("[box\n", ":1: section header without ']' (expected [box])");
	check_error("[box \"b\"]\n", ":1: [box \"b\"] takes no name (expected [box])");
	check_error("[item]\n", ":1: [item] needs a quoted name (expected [item \"NAME\"])");
	check_error("[item \"a/b\"]\n", ":1: [item \"a/b\"] 'a/b' is not a valid item name "
		    "(expected letters, digits, '.', '_' and '-')");
	check_error("[box]\nname = x\n[box]\n", ":3: duplicate section [box], first on line 1 "
		    "(expected each section once)");
	check_error("[item \"a\"]\nname = x\n[item \"a\"]\n",
		    ":3: [item \"a\"] again (first on line 1)");
	check_error("  name = x\n[box]\n", ":1: key 'name' in 'name = x' before any section");
	check_error("[box]\nname = x\nname = y\n", ":3: [box] name: duplicate key, first set "
		    "on line 2 (expected each key once per section)");
	check_error("[box]\nname: x\n", ":2: [box] name: ':' between key and value (expected "
		    "name = VALUE)");
	check_error("[box]\nname = x\n  y\n", ":3: [box] indented line would continue the "
		    "value of 'name' (expected KEY = VALUE at the start of the line: a value "
		    "cannot span lines)");
	check_error("[box]\nname = x\nflag", ":3: [box] syntax error in 'flag' (expected KEY "
		    "= VALUE, a [SECTION] header, or a comment line starting with # or ;)");
	check_error("[box]\nflag = no\n[item \"i\"]\nname = i\n",
		    ":1: [box] missing required key 'name' (expected name = letters, digits, "
		    "'.', '_' and '-')");
}

/* text with "%s" replaced by n copies of c, in a buffer the caller frees. */
static char *with_run(const char *text, char c, size_t n)
{
	const char *hole = strstr(text, "%s");
	size_t before = (size_t)(hole - text), after = strlen(hole + 2);
	char *s = malloc(before + n + after + 1);

	assert_non_null(s);
	memcpy(s, text, before);
	memset(s + before, c, n);
	memcpy(s + before + n, hole + 2, after + 1);
	return s;
}

/*
 * Lines of any length: libinih's 200-byte stack buffer once took every
 * line whole, its line end included, and a line of 197 characters was the
 * longest accepted; a header followed by 200 to 250 '\r' overran it.
 */
static void test_long_lines(void **state)
{
	char *text, *command, tags[4096], expected[256];
	struct clu_err err = CLU_ERR_INIT;
	struct file f;
	size_t used;

	(void)state;
	command = with_run("[box]\nname = x\ncommand = %s\n", '7', 10000);
	parse_ok(command, &f);
	assert_int_equal(strlen(f.box.command), 10000);
	release_file(&f);

	/* 200 names in a line, as a manifest's groups may be. */
	used = (size_t)snprintf(tags, sizeof(tags), "[box]\nname = x\ntags =");
	for (unsigned i = 0; i < 200; i++)
		used += (size_t)snprintf(tags + used, sizeof(tags) - used, " group-%u", i);
	snprintf(tags + used, sizeof(tags) - used, "\n");
	parse_ok(tags, &f);
	assert_int_equal(f.box.n_tags, 200);
	assert_string_equal(f.box.tags[199], "group-199");
	release_file(&f);

	/* Errors still name the line: in, and after, a long one. */
	/* A message quoting 10,000 characters is cut, its start kept. */
	text = with_run("[box]\nname = x\ncount = %s\n", '9', 10000);
	assert_int_equal(parse(text, &f, &err), CLU_E_USAGE);
	snprintf(expected, sizeof(expected), "%s:3: [box] count: '999", path);
	assert_memory_equal(err.msg, expected, strlen(expected));
	assert_string_equal(err.msg + CLU_ERR_MAX - 4, "...");
	release_file(&f);
	free(text);
	text = with_run("[box]\nname = x\n%s\n", 'x', 10000);
	check_error(text, ":3: [box] syntax error in 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxx...' (expected KEY = VALUE, a [SECTION] header, or a comment "
		    "line starting with # or ;)");
	free(text);
	command[strlen(command) - 1] = '\0';
	text = malloc(strlen(command) + 32);
	assert_non_null(text);
	sprintf(text, "%s\nflag = maybe\n", command);
	check_error(text, ":4: [box] flag: 'maybe' is not a boolean (expected yes or no)");
	free(text);
	free(command);
}

/* "\n", "\r\n" and a lone "\r" each end a line, in any mix. */
static void test_line_ends(void **state)
{
	struct file f;

	(void)state;
	parse_ok("[box]\rname = x\rcommand = a b\r", &f);
	assert_string_equal(f.box.name, "x");
	assert_string_equal(f.box.command, "a b");
	release_file(&f);
	parse_ok("[box]\r\nname = x\ncommand = c\rflag = yes", &f);
	assert_string_equal(f.box.command, "c");
	assert_true(f.box.flag);
	release_file(&f);
	check_error("[box]\rname = x\r\n\ncount = 0\r",
		    ":4: [box] count: '0' is out of range (expected a whole number from 1 to 10)");
	check_error("[box]\rname = x\rname = y\r", ":3: [box] name: duplicate key, first set "
		    "on line 2 (expected each key once per section)");
}

/*
 * A header, a run of n '\r' and a '\n' (issue 8: 248 of them crashed the
 * reader, 200 to 240 overran its stack silently): n - 1 blank lines after
 * the header, the last '\r' and the '\n' ending one line together.
 */
static void test_cr_runs(void **state)
{
	/* The reproducer first, then the silent overruns, then the rest. */
	static const size_t runs[] = { 248, 200, 220, 240, 250, 1000, 1, 196, 197, 198 };
	struct file f;

	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		char *text = with_run("[box]%s\nname = x\ncommand = c\n", '\r', runs[i]);
		char suffix[128];

		parse_ok(text, &f);
		assert_string_equal(f.box.name, "x");
		assert_string_equal(f.box.command, "c");
		release_file(&f);
		free(text);

		text = with_run("[box]%s\nname = x\nflag = maybe\n", '\r', runs[i]);
		snprintf(suffix, sizeof(suffix), ":%zu: [box] flag: 'maybe' is not a boolean "
			 "(expected yes or no)", runs[i] + 2);
		check_error(text, suffix);
		free(text);
	}
}

static void test_file_errors(void **state)
{
	static const char nul_text[] = "[box]\rname = x\r\n\0\n";
	struct clu__ini ini;
	struct clu_err err = CLU_ERR_INIT;
	char expected[256];
	struct file f = { 0 };

	(void)state;
	write_file("[box]\nname = x\0y\n", 17);
	assert_int_equal(clu__ini_parse(&ini, &format, &f, path, &err), CLU_E_USAGE);
	snprintf(expected, sizeof(expected), "%s:2: contains a NUL byte (expected a text file)",
		 path);
	assert_string_equal(err.msg, expected);
	clu__ini_release(&ini);

	assert_int_equal(clu__ini_parse(&ini, &format, &f, "/nonexistent/t.ini", &err),
			 CLU_E_IO);
	assert_string_equal(err.msg, "cannot read test file '/nonexistent/t.ini': No such "
			    "file or directory");
	clu__ini_release(&ini);

	/* Once read until memory ran out. */
	assert_int_equal(clu__ini_parse(&ini, &format, &f, "/dev/zero", &err), CLU_E_IO);
	assert_string_equal(err.msg, "cannot read test file '/dev/zero': File too large "
			    "(expected at most 16 MiB)");
	clu__ini_release(&ini);

	/* The line of the NUL, with any line ends. */
	write_file(nul_text, sizeof(nul_text) - 1);
	assert_int_equal(clu__ini_parse(&ini, &format, &f, path, &err), CLU_E_USAGE);
	snprintf(expected, sizeof(expected), "%s:3: contains a NUL byte (expected a text file)",
		 path);
	assert_string_equal(err.msg, expected);
	clu__ini_release(&ini);
	release_file(&f);
}

static void test_helpers(void **state)
{
	static const struct clu__ini_key uint_key = {
		"n", CLU__INI_UINT, 0, .min = 0, .max = 65535,
	};
	unsigned n = 7;
	char buf[64];

	(void)state;
	assert_int_equal(clu__ini_parse_uint("65535", 1, 65535, &n), CLU__INI_NUMBER_OK);
	assert_int_equal(n, 65535);
	assert_int_equal(clu__ini_parse_uint("0025", 1, 65535, &n), CLU__INI_NUMBER_OK);
	assert_int_equal(n, 25);
	assert_int_equal(clu__ini_parse_uint("0", 1, 65535, &n), CLU__INI_NUMBER_RANGE);
	assert_int_equal(clu__ini_parse_uint("65536", 1, 65535, &n), CLU__INI_NUMBER_RANGE);
	assert_int_equal(clu__ini_parse_uint("", 1, 65535, &n), CLU__INI_NUMBER_INVALID);
	assert_int_equal(clu__ini_parse_uint(" 1", 1, 65535, &n), CLU__INI_NUMBER_INVALID);
	assert_int_equal(clu__ini_parse_uint("1x", 1, 65535, &n), CLU__INI_NUMBER_INVALID);
	assert_int_equal(n, 25);

	assert_string_equal(clu__ini_expected(&uint_key, buf, sizeof(buf)),
			    "a whole number from 0 to 65535");
	assert_string_equal(clu__ini_expected(&thing_keys[8], buf, sizeof(buf)),
			    "red, green or blue");
	assert_string_equal(clu__ini_expected(&thing_keys[9], buf, sizeof(buf)), "S, M or L");
	assert_string_equal(clu__ini_expected(&thing_keys[5], buf, sizeof(buf)), "yes or no");
}

/* A format's own lists (the updated groups): the hint and the list, cut to fit. */
static void test_lists(void **state)
{
	char *groups[] = { "mail", "mail2", "web-frontend" };
	char buf[64], small[16];

	(void)state;
	assert_string_equal(clu__ini_suggest("mial2", groups, 3, buf, sizeof(buf)),
			    ", did you mean 'mail2'?");
	assert_string_equal(clu__ini_suggest("db", groups, 3, buf, sizeof(buf)), "");
	assert_string_equal(clu__ini_suggest("mail", groups, 3, buf, sizeof(buf)), "");
	assert_string_equal(clu__ini_suggest("x", groups, 0, buf, sizeof(buf)), "");
	assert_string_equal(clu__ini_list(groups, 3, buf, sizeof(buf)), "mail, mail2, web-frontend");
	assert_string_equal(clu__ini_list(groups, 0, buf, sizeof(buf)), "");
	assert_string_equal(clu__ini_list(groups, 3, small, sizeof(small)), "mail, ...");
	assert_string_equal(clu__ini_list(groups, 2, small, sizeof(small)), "mail, mail2");
	assert_string_equal(clu__ini_list(groups + 2, 1, small, sizeof(small)), "web-frontend");
	assert_string_equal(clu__ini_list(groups + 2, 1, small, 8), "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_kinds),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_no_inline_comments),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_cr_runs),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
