/*
 * The wait for the engine after a step (clu_backend_settle_poll, the
 * Pacemaker backend's settle), on a scripted engine: each look reads the
 * next of a few cluster states. A step does not wait out its timeout for
 * what will not come:
 *   - an undrain whose node left the cluster (powered off, fenced) while
 *     the engine is idle gives up, naming the node;
 *   - while the engine is busy (fencing the node, or the node joining)
 *     it waits on, and a node that rejoins meanwhile is waited for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clupdate/backend.h"
#include "clupdate/manifest.h"
#include "clupdate/plan.h"
#include "util.h"

/* The scripted engine: its looks so far, and what they see. */
struct script {
	struct clu_backend base;
	unsigned looks;
	unsigned online_from;      /* n2 online from this look on; 0: never */
	unsigned busy_until;       /* the engine busy before this look; ~0u: always */
};

static struct script *script_of(struct clu_backend *b)
{
	return (struct script *)b;
}

static int script_idle(struct clu_backend *b, bool *idle, struct clu_err *err)
{
	(void)err;
	*idle = script_of(b)->looks >= script_of(b)->busy_until;
	return 0;
}

/* n1 online; n2 at version 2, out of standby, online from online_from on. */
static int script_read(struct clu_backend *b, bool full, struct clu_cluster *out,
		       struct clu_err *err)
{
	struct script *s = script_of(b);
	struct clu_node *n;

	(void)full;
	(void)err;
	s->looks++;
	memset(out, 0, sizeof(*out));
	out->quorum = true;
	clu_cluster_add_node(out, "n1")->online = true;
	n = clu_cluster_add_node(out, "n2");
	clu_set_string(&n->version, "2");
	n->online = s->online_from && s->looks >= s->online_from;
	return 0;
}

static const struct clu_backend_ops script_ops = {
	.name = "script", .read = script_read, .idle = script_idle,
	.settle = clu_backend_settle_poll,
};

/* The undrain of n2's wait: n2 online and not in standby, within timeout_ms. */
static int wait_undrain(struct script *s, unsigned timeout_ms, struct clu_err *err)
{
	struct clu_fact active = { .kind = CLU_FACT_NODE_ACTIVE, .node = "n2" };
	struct clu_manifest m = { .name = "sp2", .version = "2" };
	struct clu_settle how = { .facts = &active, .n_facts = 1, .manifest = &m,
				  .timeout_ms = timeout_ms, .poll_ms = 5 };

	s->base.ops = &script_ops;
	return s->base.ops->settle(&s->base, &how, err);
}

static void test_node_gone_gives_up(void **state)
{
	struct script s = { 0 };
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	/* 60 s of timeout: waited out, the message would say so. */
	assert_int_equal(wait_undrain(&s, 60000, &err), CLU_E_STEP);
	assert_string_equal(err.msg, "'n2' left the cluster (offline, and the engine is done "
			    "with it): it is back in service only once it has rejoined");
}

static void test_busy_engine_waited_for(void **state)
{
	struct script s = { .busy_until = ~0u };
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	assert_int_equal(wait_undrain(&s, 1200, &err), CLU_E_STEP);
	assert_non_null(strstr(err.msg, "did not settle within 1 s: still not true: 'n2' is "
			       "online and not in standby"));
}

/* Busy for 400 looks (2 s at least), n2 back from the 300th: in service. */
static void test_node_rejoins(void **state)
{
	struct script s = { .online_from = 300, .busy_until = 400 };
	struct clu_err err = CLU_ERR_INIT;
	(void)state;

	if (wait_undrain(&s, 60000, &err))
		fail_msg("the wait: %s", err.msg);
	assert_in_range(s.looks, 401, 403);   /* two idle looks with n2 in service */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_gone_gives_up),
		cmocka_unit_test(test_busy_engine_waited_for),
		cmocka_unit_test(test_node_rejoins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
