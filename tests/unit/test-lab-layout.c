/*
 * Unit tests of the lab layout reader (lib/lab-layout.c): the layout a
 * lab writes (tests/fixtures/lab/demo/layout, in the form lab/clupdate-lab
 * writes it), its node order, and one bad layout per kind of error with
 * its message, file and line. Fixtures are read relative to the
 * repository's top directory, where `make check` runs the tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clupdate/cluster.h"
#include "clupdate/lab-layout.h"

#define FIXTURES "tests/fixtures/lab"

static void test_fixture(void **state)
{
	struct clu_lab_layout layout;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_lab_node *n2;
	(void)state;

	assert_int_equal(clu_lab_layout_load(&layout, FIXTURES, "demo", &err), 0);
	assert_string_equal(layout.path, FIXTURES "/demo/layout");
	assert_string_equal(layout.lab, "demo");
	assert_string_equal(layout.client_netns, "/run/netns/clu-demo-client");
	assert_int_equal(layout.n_nodes, 3);
	/* The file's order is the lab's: n1 first (the control node). */
	assert_string_equal(layout.nodes[0].name, "n1");
	assert_string_equal(layout.nodes[1].name, "n2");
	assert_string_equal(layout.nodes[2].name, "n3");
	n2 = clu_lab_layout_node(&layout, "n2");
	assert_ptr_equal(n2, &layout.nodes[1]);
	assert_string_equal(n2->netns, "/run/netns/clu-demo-n2");
	assert_string_equal(n2->mount_ns, "/var/lib/clupdate-lab/demo/ns/n2.mnt");
	assert_string_equal(n2->uts_ns, "/var/lib/clupdate-lab/demo/ns/n2.uts");
	/* Tab-separated fields read the same. */
	assert_string_equal(layout.nodes[2].uts_ns, "/var/lib/clupdate-lab/demo/ns/n3.uts");
	assert_null(clu_lab_layout_node(&layout, "n4"));
	clu_lab_layout_release(&layout);
	assert_int_equal(layout.n_nodes, 0);
}

static void load_fails(const char *lab, int code, const char *message)
{
	struct clu_lab_layout layout;
	struct clu_err err = CLU_ERR_INIT;

	assert_int_equal(clu_lab_layout_load(&layout, FIXTURES, lab, &err), code);
	assert_string_equal(err.msg, message);
	clu_lab_layout_release(&layout);
}

static void test_missing_lab(void **state)
{
	(void)state;
	load_fails("nolab", CLU_E_IO, "no lab 'nolab' is running (no '" FIXTURES "/nolab/layout'; "
		   "see 'clupdate lab up --name nolab')");
}

static void bad(const char *text, const char *message)
{
	struct clu_lab_layout layout;
	struct clu_err err = CLU_ERR_INIT;

	assert_int_equal(clu_lab_layout_parse(&layout, text, "L", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, message);
	clu_lab_layout_release(&layout);
}

#define HEAD "lab x\nclient-netns /run/netns/c\n"
#define NODE(n) "node " n " /a /b /c\n"

static void test_bad_layouts(void **state)
{
	(void)state;
	bad(HEAD NODE("n1") "frob 1\n", "cannot parse lab layout 'L' line 4: unknown record 'frob'");
	bad(HEAD "node n1 /a /b\n",
	    "cannot parse lab layout 'L' line 3: expected 'node NAME NETNS MOUNT-NS UTS-NS'");
	bad(HEAD "node n1 /a /b /c /d\n",
	    "cannot parse lab layout 'L' line 3: expected 'node NAME NETNS MOUNT-NS UTS-NS'");
	bad(HEAD "node n1 /a b /c\n",
	    "cannot parse lab layout 'L' line 3: not an absolute path: 'b'");
	bad(HEAD NODE("n1") "\n" NODE("n1"),
	    "cannot parse lab layout 'L' line 5: a second line for node 'n1'");
	bad(HEAD NODE("-oProxyCommand=x"), "lab layout 'L' line 3: node name '-oProxyCommand=x' "
	    "starts with '-' (expected " CLU_NAME_EXPECTED ")");
	bad("lab x\nlab y\n", "cannot parse lab layout 'L' line 2: expected one 'lab NAME'");
	bad("lab x\nclient-netns rel\n",
	    "cannot parse lab layout 'L' line 2: not an absolute path: 'rel'");
	bad("client-netns /c\n" NODE("n1"), "lab layout 'L' has no 'lab NAME' line");
	bad("lab x\n" NODE("n1"), "lab layout 'L' has no 'client-netns PATH' line");
	bad(HEAD, "lab layout 'L' has no 'node' line");
	bad("", "lab layout 'L' has no 'lab NAME' line");
}

/* A layout of another lab (a copied state directory) is not taken for this one. */
static void test_wrong_lab(void **state)
{
	(void)state;
	load_fails("moved", CLU_E_CLUSTER, "lab layout '" FIXTURES "/moved/layout' describes lab "
		   "'demo', not 'moved'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_missing_lab),
		cmocka_unit_test(test_bad_layouts),
		cmocka_unit_test(test_wrong_lab),
	};

	return cmocka_run_group_tests_name("lab-layout", tests, NULL, NULL);
}
