/*
 * Unit tests of the cluster model's name lookups (lib/cluster.c): the hash
 * index behind clu_cluster_node() and clu_cluster_group() must never go
 * stale, whatever is done to the model: nodes added after lookups, arrays
 * replaced, resized or reordered by hand, a model copied (each its own
 * index) or released and filled again, names given twice (the first wins,
 * and validation names it). Models are made big enough to have an index
 * (more than 8 nodes or groups), and also small enough not to need one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clupdate/cluster.h"
#include "util.h"

/* Nodes n1..nN and groups g1..gN, group gI on node nI. */
static void make_model(struct clu_cluster *c, int n)
{
	char name[32], owner[32];

	memset(c, 0, sizeof(*c));
	c->quorum = true;
	for (int i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		clu_cluster_add_node(c, name)->online = true;
	}
	for (int i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		snprintf(owner, sizeof(owner), "n%d", i);
		clu_set_string(&clu_cluster_add_group(c, name)->owner, owner);
	}
}

/* Every node and group of c is found, at its own place. */
static void assert_all_found(const struct clu_cluster *c)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		assert_ptr_equal(clu_cluster_node(c, c->nodes[i].name), &c->nodes[i]);
	for (size_t i = 0; i < c->n_groups; i++)
		assert_ptr_equal(clu_cluster_group(c, c->groups[i].name), &c->groups[i]);
}

static void test_lookup(void **state)
{
	struct clu_cluster c;

	(void)state;
	make_model(&c, 50);
	assert_all_found(&c);
	assert_non_null(c.index);
	assert_null(clu_cluster_node(&c, "n51"));
	assert_null(clu_cluster_node(&c, "g1"));      /* a group is not a node */
	assert_null(clu_cluster_node(&c, NULL));
	assert_null(clu_cluster_group(&c, ""));
	clu_cluster_release(&c);
	assert_null(c.index);
	assert_null(clu_cluster_node(&c, "n1"));      /* released: empty */
}

static void test_added_after_lookups(void **state)
{
	struct clu_cluster c;
	char name[32];

	(void)state;
	make_model(&c, 10);
	assert_all_found(&c);
	/* The arrays move as they grow: every pointer must follow. */
	for (int i = 11; i <= 2000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		clu_cluster_add_node(&c, name);
		assert_ptr_equal(clu_cluster_node(&c, name), &c.nodes[c.n_nodes - 1]);
		snprintf(name, sizeof(name), "g%d", i);
		clu_cluster_add_group(&c, name);
	}
	assert_all_found(&c);
	assert_ptr_equal(clu_cluster_node(&c, "n7"), &c.nodes[6]);
	clu_cluster_release(&c);
}

static void test_arrays_changed_by_hand(void **state)
{
	struct clu_cluster c;
	struct clu_node swap;

	(void)state;
	make_model(&c, 20);
	assert_all_found(&c);

	/* Appended by hand, without clu_cluster_add_node(): a new count. */
	c.nodes = clu__xrealloc(c.nodes, (c.n_nodes + 1) * sizeof(*c.nodes));
	memset(&c.nodes[c.n_nodes], 0, sizeof(*c.nodes));
	c.nodes[c.n_nodes++].name = clu__xstrdup("late");
	assert_ptr_equal(clu_cluster_node(&c, "late"), &c.nodes[20]);
	assert_all_found(&c);

	/* Reordered in place: the same array and count, other places. */
	swap = c.nodes[0];
	c.nodes[0] = c.nodes[1];
	c.nodes[1] = swap;
	assert_ptr_equal(clu_cluster_node(&c, "n1"), &c.nodes[1]);
	assert_ptr_equal(clu_cluster_node(&c, "n2"), &c.nodes[0]);
	assert_all_found(&c);

	/* Shortened by hand: the last node is gone. */
	free(c.nodes[--c.n_nodes].name);
	assert_null(clu_cluster_node(&c, "late"));
	assert_all_found(&c);
	clu_cluster_release(&c);
}

static void test_copy_and_release(void **state)
{
	struct clu_cluster c, copy;

	(void)state;
	make_model(&c, 30);
	assert_all_found(&c);
	clu_cluster_copy(&copy, &c);
	/* The copy's lookups give the copy's entries, never the original's. */
	assert_ptr_equal(clu_cluster_node(&copy, "n3"), &copy.nodes[2]);
	assert_ptr_equal(clu_cluster_group(&copy, "g30"), &copy.groups[29]);
	assert_ptr_not_equal(copy.index, c.index);
	clu_cluster_release(&c);
	/* The original gone, the copy still finds its own (ASan would see
	 * a lookup through freed names). */
	assert_all_found(&copy);
	clu_cluster_add_node(&copy, "extra");
	assert_ptr_equal(clu_cluster_node(&copy, "extra"), &copy.nodes[30]);

	/* Released and filled again: a new index, not the old one. */
	clu_cluster_release(&copy);
	make_model(&copy, 12);
	assert_null(clu_cluster_node(&copy, "n13"));
	assert_all_found(&copy);
	clu_cluster_release(&copy);
}

static void test_small_model_by_hand(void **state)
{
	struct clu_node nodes[] = { { .name = "a" }, { .name = "b" }, { .name = "c" } };
	struct clu_group groups[] = { { .name = "mail" } };
	struct clu_cluster c = { .nodes = nodes, .n_nodes = 3, .groups = groups, .n_groups = 1 };

	(void)state;
	/* Small, on the stack, never released: found without an index. */
	assert_ptr_equal(clu_cluster_node(&c, "c"), &nodes[2]);
	assert_ptr_equal(clu_cluster_group(&c, "mail"), &groups[0]);
	assert_null(clu_cluster_node(&c, "d"));
	assert_null(c.index);
}

static void test_names_twice(void **state)
{
	struct clu_cluster c;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	make_model(&c, 12);
	/* n5 again, then n2 again: the first of a name is found, and
	 * validation names the first node described twice, n2. */
	clu_cluster_add_node(&c, "n5");
	clu_cluster_add_node(&c, "n2");
	assert_ptr_equal(clu_cluster_node(&c, "n5"), &c.nodes[4]);
	assert_ptr_equal(clu_cluster_node(&c, "n2"), &c.nodes[1]);
	assert_int_equal(clu_cluster_validate(&c, "static:x.ini", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "static:x.ini: node 'n2' is described twice");
	clu_cluster_release(&c);

	make_model(&c, 12);
	clu_cluster_add_group(&c, "g9");
	assert_ptr_equal(clu_cluster_group(&c, "g9"), &c.groups[8]);
	assert_int_equal(clu_cluster_validate(&c, "static:x.ini", &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "static:x.ini: group 'g9' is described twice");
	clu_cluster_release(&c);

	make_model(&c, 12);
	assert_int_equal(clu_cluster_validate(&c, "static:x.ini", &err), 0);
	clu_cluster_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_added_after_lookups),
		cmocka_unit_test(test_arrays_changed_by_hand),
		cmocka_unit_test(test_copy_and_release),
		cmocka_unit_test(test_small_model_by_hand),
		cmocka_unit_test(test_names_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
