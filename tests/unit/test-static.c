/*
 * Unit tests of the static cluster description (lib/static.c) and of the
 * source dispatcher (lib/source.c): the fixtures in tests/fixtures/static/
 * read into exact models, the example of doc/static-cluster.md being one
 * of them byte for byte, and every error with its exact message.
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

#include "clupdate/target.h"
#include "clupdate/static.h"

#define FIXTURES "tests/fixtures/static/"

static char tmpdir[64];
static char ini_path[128];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/clu-test-static-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(ini_path, sizeof(ini_path), "%s/c.ini", tmpdir);
	return 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	unlink(ini_path);
	return rmdir(tmpdir);
}

static void write_ini(const char *text)
{
	FILE *f = fopen(ini_path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* text must fail with CLU_E_CLUSTER and "PATH" followed by suffix. */
static void check_error(const char *text, const char *suffix)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	char expected[CLU_ERR_MAX];

	write_ini(text);
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(clu_static_load(&c, ini_path, &err), CLU_E_CLUSTER);
	assert_int_equal(err.code, CLU_E_CLUSTER);
	snprintf(expected, sizeof(expected), "%s%s", ini_path, suffix);
	assert_string_equal(err.msg, expected);
	/* Nothing left to release. */
	assert_null(c.nodes);
	assert_null(c.groups);
	assert_int_equal(c.n_nodes, 0);
}

static void assert_node(const struct clu_cluster *c, const char *name, bool online,
			bool standby, bool maintenance, const char *version)
{
	const struct clu_node *n = clu_cluster_node(c, name);

	assert_non_null(n);
	assert_int_equal(n->online, online);
	assert_int_equal(n->standby, standby);
	assert_int_equal(n->maintenance, maintenance);
	if (version)
		assert_string_equal(n->version, version);
	else
		assert_null(n->version);
}

static void test_three_nodes(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_group *g;

	(void)state;
	assert_int_equal(clu_static_load(&c, FIXTURES "mail-3nodes.ini", &err), 0);
	assert_string_equal(c.name, "maillab");
	assert_true(c.quorum);
	assert_int_equal(c.n_nodes, 3);
	assert_string_equal(c.nodes[0].name, "n1");
	assert_string_equal(c.nodes[1].name, "n2");
	assert_string_equal(c.nodes[2].name, "n3");
	assert_node(&c, "n1", true, false, false, "1");
	assert_node(&c, "n2", true, false, false, "1");
	assert_node(&c, "n3", true, true, false, "2");

	assert_int_equal(c.n_groups, 3);
	g = &c.groups[0];
	assert_string_equal(g->name, "mail");
	assert_int_equal(g->n_members, 3);
	assert_string_equal(g->members[0], "mail-ip");
	assert_string_equal(g->members[1], "mail-store");
	assert_string_equal(g->members[2], "mail-smtpd");
	assert_string_equal(g->owner, "n1");
	assert_true(g->managed);
	assert_int_equal(g->n_banned, 1);
	assert_string_equal(g->banned[0], "n3");
	assert_string_equal(g->data_version, "1");      /* inferred from n1 */
	assert_string_equal(g->address, "192.168.120.10");

	g = &c.groups[1];
	assert_string_equal(g->name, "web");
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[1], "web-server");
	assert_string_equal(g->owner, "n2");
	assert_false(g->managed);                       /* after a comment line */
	assert_int_equal(g->n_banned, 0);
	assert_string_equal(g->data_version, "1");
	assert_null(g->address);

	g = &c.groups[2];
	assert_string_equal(g->name, "archive");
	assert_int_equal(g->n_members, 1);
	assert_string_equal(g->members[0], "archive");
	assert_null(g->owner);
	assert_null(g->data_version);
	assert_true(g->managed);
	clu_cluster_release(&c);
}

static void test_defaults(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	assert_int_equal(clu_static_load(&c, FIXTURES "two-nodes-offline.ini", &err), 0);
	assert_null(c.name);
	assert_true(c.quorum);
	assert_int_equal(c.n_nodes, 2);
	assert_node(&c, "alpha", true, false, false, "3.1");
	assert_node(&c, "beta", false, false, false, "3.0");
	assert_int_equal(clu_cluster_online(&c), 1);
	assert_int_equal(c.n_groups, 1);
	assert_string_equal(c.groups[0].name, "db");
	assert_int_equal(c.groups[0].n_members, 1);
	assert_string_equal(c.groups[0].members[0], "db");
	assert_string_equal(c.groups[0].owner, "alpha");
	assert_string_equal(c.groups[0].data_version, "3.1");
	clu_cluster_release(&c);

	/* quorum = no, explicit data-version wins over the owner's version. */
	write_ini("[cluster]\nquorum = no\n[node \"a\"]\nversion = 2\n"
		  "[group \"g\"]\nowner = a\ndata-version = 1\n");
	assert_int_equal(clu_static_load(&c, ini_path, &err), 0);
	assert_false(c.quorum);
	assert_string_equal(c.groups[0].data_version, "1");
	clu_cluster_release(&c);

	/* A byte-order mark, CRLF line ends, ':' in a version, ';' and '#' comments. */
	write_ini("\xEF\xBB\xBF[node \"a\"]\r\n; epoch 2\r\nversion = 2:1.0~rc1\r\n"
		  "  # comment\r\nstandby = ON\r\n");
	assert_int_equal(clu_static_load(&c, ini_path, &err), 0);
	assert_string_equal(c.nodes[0].version, "2:1.0~rc1");
	assert_true(c.nodes[0].standby);
	assert_int_equal(c.n_groups, 0);
	clu_cluster_release(&c);
}

static void test_fixture_errors(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	assert_int_equal(clu_static_load(&c, FIXTURES "bad-unknown-key.ini", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, FIXTURES "bad-unknown-key.ini:2: [node \"n1\"] unknown key "
			    "'stanby', did you mean 'standby'? (expected one of: online, standby, "
			    "maintenance, version)");
	assert_int_equal(clu_static_load(&c, FIXTURES "bad-owner.ini", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, FIXTURES "bad-owner.ini:6: [group \"mail\"] owner: 'n9' is "
			    "not a node of this file (expected one of: n1, n2)");
	assert_int_equal(clu_static_load(&c, FIXTURES "nonexistent.ini", &err), CLU_E_IO);
	assert_string_equal(err.msg, "cannot read '" FIXTURES "nonexistent.ini': "
			    "No such file or directory");
}

static void test_errors(void **state)
{
	(void)state;
	check_error("[node \"n1\"]\nonline = maybe\n",
		    ":2: [node \"n1\"] online: 'maybe' is not a boolean (expected yes or no)");
	check_error("[nodes \"n1\"]\n",
		    ":1: unknown section [nodes \"n1\"], did you mean 'node'? (expected "
		    "[cluster], [node \"NAME\"] or [group \"NAME\"])");
	check_error("[node \"n1\"]\n[service \"x\"]\n",
		    ":2: unknown section [service \"x\"] (expected [cluster], [node \"NAME\"] "
		    "or [group \"NAME\"])");
	check_error("[node]\n", ":1: [node] needs a quoted name (expected [node \"NAME\"])");
	check_error("[cluster \"x\"]\n", ":1: [cluster \"x\"] takes no name (expected [cluster])");
	check_error("[node \"n 1\"]\n", ":1: [node \"n 1\"] 'n 1' is not a valid node name "
		    "(expected letters, digits, '.', '_' and '-')");
	/* No comment at the end of a line: ';' and '#' are part of the value. */
	check_error("[node \"n1\"]\nonline = no ; pinned\n",
		    ":2: [node \"n1\"] online: 'no ; pinned' is not a boolean (expected yes or no)");
	check_error("[node \"n1\"]\nversion = 2 # epoch\n",
		    ":2: [node \"n1\"] version: '2 # epoch' is not a valid version (expected "
		    "letters, digits, '.', '_', '+', '~', ':' and '-', without spaces)");
	check_error("[node \"n1\"]\n[node \"n1\"]\n",
		    ":2: duplicate [node \"n1\"], first on line 1 (expected each node once)");
	check_error("[cluster]\n[node \"n1\"]\n[cluster]\n",
		    ":3: duplicate section [cluster], first on line 1 (expected each section once)");
	check_error("[node \"n1\"]\nversion = 1\nversion = 2\n",
		    ":3: [node \"n1\"] version: duplicate key, first set on line 2 (expected "
		    "each key once per section)");
	check_error("[node \"n1\"]\nversion = 1 beta\n",
		    ":2: [node \"n1\"] version: '1 beta' is not a valid version (expected "
		    "letters, digits, '.', '_', '+', '~', ':' and '-', without spaces)");
	check_error("[node \"n1\"]\nversion =\n",
		    ":2: [node \"n1\"] version: empty value (expected letters, digits, '.', "
		    "'_', '+', '~', ':' and '-', without spaces)");
	check_error("[node \"n1\"]\n[group \"g\"]\nmembers = a, b, a\n",
		    ":3: [group \"g\"] members: 'a' is listed twice (expected each name once)");
	check_error("[node \"n1\"]\n[group \"g\"]\nmembers = a, b/c\n",
		    ":3: [group \"g\"] members: 'b/c' is not a valid name (expected letters, "
		    "digits, '.', '_' and '-')");
	check_error("[node \"n1\"]\n[group \"g\"]\nmembers = , ,\n",
		    ":3: [group \"g\"] members: empty list (expected names of letters, digits, "
		    "'.', '_' and '-', separated by commas or spaces)");
	check_error("[node \"n1\"]\n[group \"g\"]\nbanned = n1 n2\n",
		    ":3: [group \"g\"] banned: 'n2' is not a node of this file (expected one "
		    "of: n1)");
	check_error("[node \"n1\"]\nonline = no\n[group \"g\"]\nowner = n1\n",
		    ":4: [group \"g\"] owner: node 'n1' is offline (expected an online node, "
		    "or no owner for a stopped group)");
	check_error("[node \"n1\"]\n[group \"g\"]\naddress = 10.0.0.1 10.0.0.2\n",
		    ":3: [group \"g\"] address: '10.0.0.1 10.0.0.2' is not an address "
		    "(expected a host name or IP address, without spaces)");
	check_error("[group \"g\"]\n",
		    ": no [node \"NAME\"] section (expected at least one node)");
	check_error("name = x\n[node \"n1\"]\n",
		    ":1: 'name = x' before any section (expected [cluster], [node \"NAME\"] "
		    "or [group \"NAME\"] first)");
	check_error("[node \"n1\"]\nonline\n",
		    ":2: [node \"n1\"] syntax error in 'online' (expected KEY = VALUE, a "
		    "[SECTION] header, or a comment line starting with # or ;)");
	check_error("[node \"n1\"]\nversion = 1\n  2\n",
		    ":3: [node \"n1\"] indented line would continue the value of 'version' "
		    "(expected KEY = VALUE at the start of the line: a value cannot span lines)");
	check_error("[node \"n1\"] # first\n",
		    ":1: [node \"n1\"] followed by ' # first' (expected nothing after ']': "
		    "comments go on lines of their own)");
	check_error("[node \"n1\"\n",
		    ":1: section header without ']' (expected [cluster], [node \"NAME\"] or "
		    "[group \"NAME\"])");
	check_error("[cluster]\nname = a b\n[node \"n1\"]\n",
		    ":2: [cluster] name: 'a b' is not a valid name (expected letters, digits, "
		    "'.', '_' and '-')");
	check_error("[cluster]\nquorate = yes\n",
		    ":2: [cluster] unknown key 'quorate' (expected one of: name, quorum)");
	check_error("[node \"n1\"]\n[group \"g\"]\nownr = n1\n",
		    ":3: [group \"g\"] unknown key 'ownr', did you mean 'owner'? (expected one "
		    "of: members, owner, managed, banned, data-version, address)");
}

#define NAME_EXPECTED "(expected 1 to 253 letters, digits, '.', '_' and '-', the first a " \
	"letter, a digit or '_')"
#define VERSION_EXPECTED "(expected 1 to 64 letters, digits, '.', '_', '+', '~', ':' and " \
	"'-', the first a letter or a digit)"

/* Names and versions: the rule of cluster.h, the one crm_mon's are read by. */
static void test_names(void **state)
{
	static const char *const names[] = {
		"n1", "N-1.example_2", "_x", "7", "-oProxyCommand", "-x", ".x", "..", "x;y", "caf\xc3\xa9",
	};
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	char text[256];

	(void)state;
	check_error("[node \"-oProxyCommand\"]\n",
		    ":1: [node \"-oProxyCommand\"] node name '-oProxyCommand' starts with '-' "
		    NAME_EXPECTED);
	check_error("[node \"n1\"]\n[group \".mail\"]\n",
		    ":2: [group \".mail\"] group name '.mail' does not start with a letter, a "
		    "digit or '_' " NAME_EXPECTED);
	check_error("[node \"n1\"]\n[group \"g\"]\nmembers = ip -store\n",
		    ":3: [group \"g\"] members: '-store' starts with '-' " NAME_EXPECTED);
	check_error("[cluster]\nname = -c\n[node \"n1\"]\n",
		    ":2: [cluster] name: '-c' starts with '-' " NAME_EXPECTED);
	check_error("[node \"n1\"]\nversion = -1\n",
		    ":2: [node \"n1\"] version: '-1' starts with '-' " VERSION_EXPECTED);
	check_error("[node \"n1\"]\n[group \"g\"]\ndata-version = ~rc1\n",
		    ":3: [group \"g\"] data-version: '~rc1' does not start with a letter or a "
		    "digit " VERSION_EXPECTED);
	/* 65 characters */
	check_error("[node \"n1\"]\nversion = 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		    "0.0.0.0.0.0.0\n", ":2: [node \"n1\"] version: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0' is longer than 64 characters "
		    VERSION_EXPECTED);

	/* A node name the file takes is one crm_mon may give, and back. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int rc;

		snprintf(text, sizeof(text), "[node \"%s\"]\n", names[i]);
		write_ini(text);
		rc = clu_static_load(&c, ini_path, &err);
		print_message("%s: %s\n", names[i], rc ? err.msg : "accepted");
		assert_int_equal(rc == 0, clu_name_check(names[i]) == NULL);
		clu_cluster_release(&c);
	}
}

static void test_long_line(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;
	char text[400];

	(void)state;
	/* A line of 300 characters (the longest version, 64, after spaces). */
	snprintf(text, sizeof(text), "[node \"n1\"]\nversion =%226s%064d\n", "", 1);
	write_ini(text);
	if (clu_static_load(&c, ini_path, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(strlen(clu_cluster_node(&c, "n1")->version), 64);
	clu_cluster_release(&c);
}

/* doc/static-cluster.md's complete example is mail-3nodes.ini, byte for byte. */
static void test_doc_example(void **state)
{
	static const char marker[] = "<!-- example: " FIXTURES "mail-3nodes.ini -->\n```ini\n";
	char *doc = slurp("doc/static-cluster.md");
	char *example = slurp(FIXTURES "mail-3nodes.ini");
	char *start = strstr(doc, marker), *end;

	(void)state;
	assert_non_null(start);
	start += strlen(marker);
	end = strstr(start, "\n```\n");
	assert_non_null(end);
	end[1] = '\0';
	assert_string_equal(start, example);
	free(doc);
	free(example);
}

/* The one --cluster resolver (target.h) on the file kinds. */
static int load(struct clu_cluster *c, const char *spec, struct clu_err *err)
{
	struct clu_target t;
	int ret = clu_target_open(&t, spec, "ignored", NULL, err);

	memset(c, 0, sizeof(*c));
	if (!ret)
		ret = clu_target_read(&t, c, err);
	clu_target_release(&t);
	return ret;
}

static void test_source(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	assert_int_equal(load(&c, "static:" FIXTURES "mail-3nodes.ini", &err), 0);
	assert_int_equal(c.n_nodes, 3);
	assert_string_equal(c.groups[0].owner, "n1");
	clu_cluster_release(&c);

	assert_int_equal(load(&c, "pcmk", &err), CLU_E_USAGE);
	assert_string_equal(err.msg, "unknown cluster 'pcmk' (expected " CLU_TARGETS_EXPECTED ")");
	assert_int_equal(load(&c, "", &err), CLU_E_USAGE);
	assert_string_equal(err.msg, "no cluster (expected " CLU_TARGETS_EXPECTED ")");
	assert_int_equal(load(&c, "xml:", &err), CLU_E_USAGE);
	assert_string_equal(err.msg, "cluster 'xml:' names no file (expected xml:FILE)");
	assert_int_equal(load(&c, "static:", &err), CLU_E_USAGE);
	assert_string_equal(err.msg, "cluster 'static:' names no file (expected static:FILE)");
	assert_int_equal(load(&c, "xml:/nonexistent.xml", &err), CLU_E_IO);
	assert_string_equal(err.msg, "cannot read '/nonexistent.xml': No such file or directory");
	assert_int_equal(load(&c, "static:" FIXTURES "bad-owner.ini", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, FIXTURES "bad-owner.ini:6: [group \"mail\"] owner: 'n9' "
			    "is not a node of this file (expected one of: n1, n2)");
	assert_null(c.nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_nodes),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_fixture_errors),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_source),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
