/*
 * Unit tests of the model's JSON (lib/model-json.c): the plan the journal
 * keeps is the document `plan --output-as json` prints (one writer, one
 * document), byte for byte the golden file's "plan" once both are
 * compact, and a cluster's document is exactly what it has always been
 * (the journal's snapshots are compared across versions of clupdate).
 *
 * Fixtures are read relative to the repository's top directory, where
 * `make check` runs the tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json.h>

#include "clupdate/model-json.h"
#include "clupdate/output.h"
#include "clupdate/static.h"

#define FIXTURES "tests/fixtures/cli/"
#define GOLDEN "tests/cli/golden/"

/* The compact text of doc's member key, as the journal writes documents. */
static char *member_text(struct json_object *doc, const char *key)
{
	struct json_object *member = NULL;

	assert_true(json_object_object_get_ex(doc, key, &member));
	return strdup(json_object_to_json_string_ext(member, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void make_plan(struct clu_plan *plan, struct clu_manifest *m, struct clu_cluster *c)
{
	struct clu_err err = CLU_ERR_INIT;

	if (clu_manifest_load(m, FIXTURES "sp2.conf", &err) ||
	    clu_static_load(c, FIXTURES "2node.ini", &err) ||
	    clu_plan_make(plan, m, c, -1, &err))
		fail_msg("%s", err.msg);
}

static void test_plan_is_the_output_document(void **state)
{
	struct clu_manifest m;
	struct clu_cluster c;
	struct clu_plan plan;
	struct clu_output *out;
	struct json_object *printed, *golden;
	char *journalled, *from_output, *from_golden, *buf = NULL;
	size_t size = 0;
	FILE *stream;

	(void)state;
	make_plan(&plan, &m, &c);
	journalled = clu_plan_to_json(&plan);

	stream = open_memstream(&buf, &size);
	assert_non_null(stream);
	out = clu_output_new(CLU_FORMAT_JSON, stream, "plan");
	clu_output_plan(out, &plan, &m, &c);
	assert_int_equal(clu_output_finish(out, 0, NULL), 0);
	assert_int_equal(fclose(stream), 0);
	printed = json_tokener_parse(buf);
	assert_non_null(printed);
	from_output = member_text(printed, "plan");
	assert_string_equal(journalled, from_output);

	golden = json_object_from_file(GOLDEN "plan-2node-in-place.json");
	assert_non_null(golden);
	from_golden = member_text(golden, "plan");
	assert_string_equal(journalled, from_golden);

	json_object_put(golden);
	json_object_put(printed);
	free(from_golden);
	free(from_output);
	free(buf);
	free(journalled);
	clu_plan_release(&plan);
	clu_cluster_release(&c);
	clu_manifest_release(&m);
}

static void test_cluster_document(void **state)
{
	char *members[] = { "ip", "maild" };
	char *banned[] = { "n/1" };
	struct clu_node nodes[] = {
		{ .name = "n/1", .online = true, .version = "1" },
		{ .name = "n2", .standby = true, .maintenance = true },
	};
	struct clu_group groups[] = {
		{ .name = "mail", .members = members, .n_members = 2, .owner = "n2",
		  .managed = true, .banned = banned, .n_banned = 1, .data_version = "1" },
		{ .name = "idle" },
	};
	struct clu_cluster c = {
		.quorum = true, .nodes = nodes, .n_nodes = 2, .groups = groups, .n_groups = 2,
	};
	char *text;

	(void)state;
	text = clu_cluster_to_json(&c);
	/* Compact, slashes unescaped, absent strings left out. */
	assert_string_equal(text,
		"{\"quorum\":true,\"nodes\":["
		"{\"name\":\"n/1\",\"online\":true,\"standby\":false,\"maintenance\":false,"
		"\"version\":\"1\"},"
		"{\"name\":\"n2\",\"online\":false,\"standby\":true,\"maintenance\":true}],"
		"\"groups\":["
		"{\"name\":\"mail\",\"owner\":\"n2\",\"managed\":true,\"data-version\":\"1\","
		"\"members\":[\"ip\",\"maild\"],\"banned\":[\"n/1\"]},"
		"{\"name\":\"idle\",\"managed\":false,\"members\":[],\"banned\":[]}]}");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_is_the_output_document),
		cmocka_unit_test(test_cluster_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
