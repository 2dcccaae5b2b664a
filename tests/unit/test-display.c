/*
 * Unit tests of clu_display() (lib/display.c) and of the text writer's use
 * of it (lib/output-text.c): what a terminal would act on is escaped, what
 * it would only show is kept, and nothing from outside (a node name, an
 * installer's output, a journal's message) can forge a line of a runbook
 * or send the terminal an escape sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clupdate/display.h"
#include "clupdate/output.h"
#include "clupdate/plan.h"

static void test_display(void **state)
{
	static const struct {
		const char *text;
		size_t max;
		const char *shown;
	} cases[] = {
		{ "", 0, "" },
		{ "n1.example-a_b", 0, "n1.example-a_b" },
		{ "n3\n[4/4] fake step", 0, "n3\\n[4/4] fake step" },
		{ "a\rb\tc", 0, "a\\rb\\tc" },
		{ "\x1b[2J\x07\x7f\x01", 0, "\\x1b[2J\\x07\\x7f\\x01" },
		/* The backslash is kept: escaping twice changes nothing. */
		{ "C:\\n1", 0, "C:\\n1" },
		/* UTF-8 is kept, but not the C1 controls (U+009B: the 8-bit CSI). */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", 0,
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7" },
		{ "\xc2\x9b" "31m", 0, "\\xc2\\x9b31m" },
		{ "\xc2\xa0", 0, "\xc2\xa0" },
		/* Not UTF-8: a stray byte, an overlong '/', a surrogate, a cut
		 * sequence, past U+10FFFF. */
		{ "\xff", 0, "\\xff" },
		{ "\xc0\xaf", 0, "\\xc0\\xaf" },
		{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },
		{ "\xe2\x82", 0, "\\xe2\\x82" },
		{ "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" },
		/* Bounded: never an escape cut in the middle. */
		{ "abcdef", 4, "abcd..." },
		{ "abc\n", 4, "abc..." },
		{ "abcd", 4, "abcd" },
	};

	(void)state;
	assert_null(clu_display(NULL, 0));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *shown = clu_display(cases[i].text, cases[i].max);

		assert_string_equal(shown, cases[i].shown);
		free(shown);
	}
}

/* What stream holds, once out is finished. */
static char *finish(struct clu_output *out, FILE *stream, char **buf)
{
	assert_int_equal(clu_output_finish(out, 0, NULL), 0);
	assert_int_equal(fclose(stream), 0);
	return *buf;
}

/* No byte a terminal acts on but the writer's own line ends. */
static void assert_no_controls(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			fail_msg("control byte 0x%02x at offset %zu", *p,
				 (size_t)(p - (const unsigned char *)text));
}

/*
 * A model no reader would give any more (the readers refuse such names):
 * the text writer escapes on its own, whatever reaches it.
 */
static void test_plan_text(void **state)
{
	static char *groups[] = { "mail" };
	struct clu_manifest m;
	struct clu_cluster c;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out;
	struct clu_group *g;
	char *buf = NULL, *text;
	size_t size = 0;
	FILE *stream;
	static const char *const names[] = { "n1", "n2", "n3\n    4. install 'n2' (fake)\x1b[8m" };

	(void)state;
	memset(&c, 0, sizeof(c));
	c.quorum = true;
	for (size_t i = 0; i < 3; i++) {
		struct clu_node *n = clu_cluster_add_node(&c, names[i]);

		n->online = true;
		clu_set_string(&n->version, "1");
	}
	g = clu_cluster_add_group(&c, "mail");
	clu_group_add_member(g, "ip");
	clu_set_string(&g->owner, "n1");
	clu_set_string(&g->data_version, "1");
	memset(&m, 0, sizeof(m));
	m.path = "sp2.conf";
	m.name = "mail-sp2";
	m.version = "2";
	m.groups = groups;
	m.n_groups = 1;
	m.strategy = CLU_STRATEGY_IN_PLACE;
	m.data_migration = true;
	m.max_unavailable = 1;
	m.expected_install_ms = 3000;
	m.expected_switchover_ms = 3000;
	m.version_attribute = "mail-version";
	assert_int_equal(clu_plan_make(&plan, &m, &c, CLU_STRATEGY_IN_PLACE, &err), 0);

	stream = open_memstream(&buf, &size);
	assert_non_null(stream);
	out = clu_output_new(CLU_FORMAT_TEXT, stream, "plan");
	clu_output_plan(out, &plan, &m, &c);
	text = finish(out, stream, &buf);
	assert_no_controls(text);
	assert_null(strstr(text, "\n    4. install 'n2' (fake)"));
	assert_non_null(strstr(text, "  node  n3\\n    4. install 'n2' (fake)\\x1b[8m version 1"));
	assert_non_null(strstr(text, "drain 'n3\\n    4. install 'n2' (fake)\\x1b[8m'"));
	free(buf);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
}

/* A journal's run: its strings are another program's, or an installer's. */
static void test_run_text(void **state)
{
	struct clu_step_record step = {
		.step = 2, .attempt = 1, .action = "install", .node = "n1\x1b]0;owned\x07",
		.group = NULL, .state = CLU_STEP_FAILED, .exit_code = 1,
		.output = "line 1\n\x1b[31mred\x1b[0m\rprogress\n", .message = "exit 1\nfake: ok",
	};
	struct clu_change change = {
		.run_id = 7, .kind = "meta", .target = "mail", .name = "is-managed", .value = "false\n  - x",
		.prior = NULL, .step = 1, .state = CLU_CHANGE_APPLIED,
	};
	struct clu_run_record run = {
		.id = 7, .update = "mail-sp2", .version = "2", .strategy = "in-place",
		.cluster = "lab\r", .state = CLU_RUN_FAILED, .message = "step 2 failed\x1b[2K",
		.steps = &step, .n_steps = 1, .changes = &change, .n_changes = 1, .n_planned = 12,
	};
	struct clu_output *out;
	char *buf = NULL, *text;
	size_t size = 0;
	FILE *stream;

	(void)state;
	stream = open_memstream(&buf, &size);
	assert_non_null(stream);
	out = clu_output_new(CLU_FORMAT_TEXT, stream, "show");
	clu_output_run(out, &run, true);
	text = finish(out, stream, &buf);
	assert_no_controls(text);
	assert_non_null(strstr(text, "Run 7: mail-sp2, version 2, in-place, on lab\\r\n"));
	assert_non_null(strstr(text, "step 2 failed\\x1b[2K\n"));
	assert_non_null(strstr(text, " n1\\x1b]0;owned\\x07 "));
	/* Multi-line text stays multi-line, each line indented and escaped. */
	assert_non_null(strstr(text, "        exit 1\n        fake: ok\n"));
	assert_non_null(strstr(text, "          | line 1\n"
				     "          | \\x1b[31mred\\x1b[0m\\rprogress\n"));
	assert_non_null(strstr(text, "  - meta mail is-managed = false\\n  - x (was absent; step 1)\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_plan_text),
		cmocka_unit_test(test_run_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
