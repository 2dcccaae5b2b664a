/*
 * Unit tests of the simulated cluster (lib/sim.c, lib/sim-file.c): its
 * changes (prepare, apply, undo) with their node and group fields and
 * priors, the engine's placement after them, node commands, the version
 * guard, every fault kind, the lock, and the state file it continues from.
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

#include "clupdate/plan.h"
#include "clupdate/sim.h"

#define FIXTURES "tests/fixtures/sim/"

static const char three_nodes[] =
	"[node \"n1\"]\nversion = 1\n\n[node \"n2\"]\nversion = 1\n\n[node \"n3\"]\nversion = 1\n\n"
	"[group \"mail\"]\nmembers = mail-ip mail-smtpd\nowner = n1\naddress = 10.0.0.10\n";

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return s;
}

static struct clu_sim *open_text(const char *text)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_sim *sim = NULL;
	int ret = clu_sim_open_text(&sim, text, "test.ini", NULL, &err);

	if (ret)
		fail_msg("%s", err.msg);
	return sim;
}

static struct clu_backend *be(struct clu_sim *sim)
{
	return clu_sim_backend(sim);
}

static const struct clu_group *group(struct clu_sim *sim, const char *name)
{
	const struct clu_group *g = clu_cluster_group(clu_sim_cluster(sim), name);

	assert_non_null(g);
	return g;
}

static const struct clu_node *node(struct clu_sim *sim, const char *name)
{
	const struct clu_node *n = clu_cluster_node(clu_sim_cluster(sim), name);

	assert_non_null(n);
	return n;
}

static void prepare(struct clu_sim *sim, enum clu_verb verb, const char *g, const char *n,
		    struct clu_change *c, bool *already)
{
	struct clu_intent in = { verb, g, n, verb == CLU_VERB_VERSION ? "2" : NULL };
	struct clu_err err = CLU_ERR_INIT;
	bool dummy;

	if (be(sim)->ops->prepare(be(sim), &in, c, already ? already : &dummy, &err))
		fail_msg("%s", err.msg);
}

static void apply(struct clu_sim *sim, const struct clu_change *c, size_t n)
{
	struct clu_err err = CLU_ERR_INIT;

	if (be(sim)->ops->apply(be(sim), c, n, &err))
		fail_msg("%s", err.msg);
}

static void undo(struct clu_sim *sim, const struct clu_change *c)
{
	struct clu_err err = CLU_ERR_INIT;

	if (be(sim)->ops->undo(be(sim), c, &err))
		fail_msg("%s", err.msg);
}

/* Prepare and apply one change, released. */
static void change(struct clu_sim *sim, enum clu_verb verb, const char *g, const char *n)
{
	struct clu_change c;

	prepare(sim, verb, g, n, &c, NULL);
	apply(sim, &c, 1);
	clu_change_release(&c);
}

/* How many log lines contain what. */
static size_t logged(struct clu_sim *sim, const char *what)
{
	size_t n, count = 0;
	const char *const *lines = clu_sim_log(sim, &n);

	for (size_t i = 0; i < n; i++)
		count += strstr(lines[i], what) != NULL;
	return count;
}

static int run(struct clu_sim *sim, enum clu_command_role role, const char *on,
	       bool migrate, struct clu_proc *proc, struct clu_err *err)
{
	struct clu_node_command cmd = { on, role, "sh /opt/sp2/install", NULL, "2", migrate };
	int ret;

	clu_proc_init(proc);
	proc->timeout_ms = 5000;
	/* The simulated cluster runs a command at once: it is finished on return. */
	ret = be(sim)->ops->start(be(sim), &cmd, proc, err);
	assert_false(clu_proc_running(proc));
	return ret;
}

/* Run a command that must succeed; its proc released. */
static void run_ok(struct clu_sim *sim, enum clu_command_role role, const char *on, bool migrate)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_proc proc;

	if (run(sim, role, on, migrate, &proc, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(proc.result.exit_code, 0);
	clu_proc_release(&proc);
}

/* ---- loading ------------------------------------------------------------ */

static void test_load_text(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_cluster live;
	struct clu_err err = CLU_ERR_INIT;
	char *address = NULL;

	(void)state;
	assert_int_equal(be(sim)->ops->read(be(sim), true, &live, &err), 0);
	assert_int_equal(live.n_nodes, 3);
	assert_string_equal(clu_cluster_group(&live, "mail")->owner, "n1");
	assert_string_equal(clu_cluster_group(&live, "mail")->data_version, "1");
	assert_true(clu_cluster_group(&live, "mail")->managed);
	clu_cluster_release(&live);
	assert_int_equal(be(sim)->ops->group_address(be(sim), "mail", &address, &err), 0);
	assert_string_equal(address, "10.0.0.10");
	free(address);
	assert_string_equal(be(sim)->ops->name, "sim");
	assert_int_equal(logged(sim, "sim: opened 'test.ini'"), 1);
	clu_sim_close(sim);
}

static void test_load_fixtures(void **state)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_sim *sim;

	(void)state;
	assert_int_equal(clu_sim_open(&sim, FIXTURES "demo-3nodes.ini", NULL, &err), 0);
	assert_string_equal(group(sim, "mail")->owner, "n1");
	assert_int_equal(clu_sim_cluster(sim)->n_nodes, 3);
	clu_sim_close(sim);
	assert_int_equal(clu_sim_open(&sim, FIXTURES "two-groups-5nodes.ini", NULL, &err), 0);
	assert_string_equal(group(sim, "web")->owner, "n2");
	assert_int_equal(clu_sim_cluster(sim)->n_nodes, 5);
	clu_sim_close(sim);
}

static void test_load_errors(void **state)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_sim *sim = (struct clu_sim *)1;
	char *text;

	(void)state;
	text = format("%s[fault \"x\"]\nwhat = node-explodes\nnode = n1\n",
				       three_nodes);
	assert_int_equal(clu_sim_open_text(&sim, text, "t.ini", NULL, &err), CLU_E_CLUSTER);
	assert_null(sim);
	assert_string_equal(err.msg, "t.ini:15: [fault \"x\"] what: 'node-explodes' is not a "
			    "fault (expected node-dies, node-returns, install-fails, command-hangs, "
			    "settle-never or group-moves)");
	free(text);
	text = format("%s[fault \"x\"]\nwhat = node-dies\nnode = n9\n", three_nodes);
	assert_int_equal(clu_sim_open_text(&sim, text, "t.ini", NULL, &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "t.ini:16: [fault \"x\"] node: 'n9' is not a node of this "
			    "file (expected the name of a [node \"NAME\"])");
	free(text);
	text = format("%s[simm]\n", three_nodes);
	assert_int_equal(clu_sim_open_text(&sim, text, "t.ini", NULL, &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "t.ini:14: unknown section [simm], did you mean 'sim'? "
			    "(expected [cluster], [node \"NAME\"], [group \"NAME\"], [sim], "
			    "[fault \"NAME\"], [prefer \"GROUP\"], [lock] or [state])");
	free(text);
	assert_int_equal(clu_sim_open(&sim, FIXTURES "nope.ini", NULL, &err), CLU_E_IO);
}

/* ---- changes ------------------------------------------------------------ */

static void test_pin(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_change c;
	bool already = true;

	(void)state;
	prepare(sim, CLU_VERB_PIN, "mail", NULL, &c, &already);
	assert_false(already);
	assert_string_equal(c.kind, "sim-pin");
	assert_string_equal(c.group, "mail");
	assert_string_equal(c.node, "n1");
	assert_string_equal(c.prior, "true");
	assert_string_equal(c.value, "false");
	assert_int_equal(be(sim)->ops->verb_of(&c), CLU_VERB_PIN);
	apply(sim, &c, 1);
	assert_false(group(sim, "mail")->managed);
	undo(sim, &c);
	assert_true(group(sim, "mail")->managed);
	assert_int_equal(logged(sim, "pin 'mail' (managed: no)"), 1);
	assert_int_equal(logged(sim, "unpin 'mail' (managed: yes)"), 1);
	clu_change_release(&c);
	clu_sim_close(sim);
}

static void test_drain_moves_to_first_eligible(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_change c;
	bool idle = true;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	prepare(sim, CLU_VERB_DRAIN, NULL, "n1", &c, NULL);
	assert_string_equal(c.kind, "sim-drain");
	assert_string_equal(c.node, "n1");
	assert_null(c.group);
	assert_null(c.prior);
	assert_string_equal(c.value, "on");
	apply(sim, &c, 1);
	assert_true(node(sim, "n1")->standby);
	assert_string_equal(group(sim, "mail")->owner, "n2");
	assert_int_equal(logged(sim, "engine: 'mail' moves from 'n1' to 'n2'"), 1);
	/* Busy for two looks after a move. */
	assert_int_equal(be(sim)->ops->idle(be(sim), &idle, &err), 0);
	assert_false(idle);
	be(sim)->ops->idle(be(sim), &idle, &err);
	assert_false(idle);
	be(sim)->ops->idle(be(sim), &idle, &err);
	assert_true(idle);
	undo(sim, &c);
	assert_false(node(sim, "n1")->standby);
	/* Undrained, n1 may host again; the group stays where it runs. */
	assert_string_equal(group(sim, "mail")->owner, "n2");
	assert_int_equal(be(sim)->ops->verb_of(&c), CLU_VERB_DRAIN);
	clu_change_release(&c);
	clu_sim_close(sim);
}

static void test_drain_leaves_pinned(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);

	(void)state;
	change(sim, CLU_VERB_PIN, "mail", NULL);
	change(sim, CLU_VERB_DRAIN, NULL, "n1");
	assert_string_equal(group(sim, "mail")->owner, "n1");
	assert_int_equal(logged(sim, "engine:"), 0);
	clu_sim_close(sim);
}

static void test_ban_prefer_one_switchover(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_change c[2];
	bool already = true;
	size_t n;
	const char *const *constraints;

	(void)state;
	prepare(sim, CLU_VERB_BAN, "mail", "n1", &c[0], &already);
	assert_false(already);
	assert_string_equal(c[0].kind, "sim-ban");
	assert_string_equal(c[0].group, "mail");
	assert_string_equal(c[0].node, "n1");
	assert_null(c[0].prior);
	prepare(sim, CLU_VERB_PREFER, "mail", "n3", &c[1], &already);
	assert_string_equal(c[1].kind, "sim-prefer");
	assert_string_equal(c[1].node, "n3");
	apply(sim, c, 2);
	/* One move, straight to the preferred node: not via n2. */
	assert_int_equal(logged(sim, "engine:"), 1);
	assert_int_equal(logged(sim, "engine: 'mail' moves from 'n1' to 'n3'"), 1);
	constraints = clu_sim_constraints(sim, &n);
	assert_int_equal(n, 2);
	assert_string_equal(constraints[0], "ban mail n1");
	assert_string_equal(constraints[1], "prefer mail n3");
	/* Already in place: said so, with the live prior. */
	clu_change_release(&c[0]);
	prepare(sim, CLU_VERB_BAN, "mail", "n1", &c[0], &already);
	assert_true(already);
	assert_string_equal(c[0].prior, "-INFINITY");
	clu_change_release(&c[0]);
	prepare(sim, CLU_VERB_BAN, "mail", "n1", &c[0], NULL);
	free(c[0].prior);
	c[0].prior = NULL;     /* what a first run journalled */
	undo(sim, &c[0]);
	undo(sim, &c[1]);
	constraints = clu_sim_constraints(sim, &n);
	assert_int_equal(n, 0);
	assert_string_equal(group(sim, "mail")->owner, "n3");
	clu_change_release(&c[0]);
	clu_change_release(&c[1]);
	clu_sim_close(sim);
}

static void test_version_and_unknown(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_intent in = { CLU_VERB_PIN, "nope", NULL, NULL };
	struct clu_change c = { 0 };
	struct clu_err err = CLU_ERR_INIT;
	bool already;

	(void)state;
	prepare(sim, CLU_VERB_VERSION, NULL, "n2", &c, NULL);
	assert_string_equal(c.kind, "sim-version");
	assert_string_equal(c.prior, "1");
	assert_string_equal(c.value, "2");
	apply(sim, &c, 1);
	assert_string_equal(node(sim, "n2")->version, "2");
	undo(sim, &c);
	assert_string_equal(node(sim, "n2")->version, "1");
	clu_change_release(&c);
	assert_int_equal(be(sim)->ops->prepare(be(sim), &in, &c, &already, &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "the simulated cluster has no group 'nope'");
	c.kind = (char *)"meta";
	assert_int_equal(be(sim)->ops->verb_of(&c), CLU_VERB_NONE);
	assert_int_equal(be(sim)->ops->apply(be(sim), &c, 1, &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "the simulated cluster cannot apply a change of kind 'meta'");
	c.kind = (char *)"lock";
	assert_int_equal(be(sim)->ops->verb_of(&c), CLU_VERB_LOCK);
	clu_sim_close(sim);
}

/* ---- node commands and the guard ----------------------------------------- */

static void test_install_pinned_owner(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_err err = CLU_ERR_INIT;
	struct clu_proc proc;

	(void)state;
	change(sim, CLU_VERB_PIN, "mail", NULL);
	run_ok(sim, CLU_COMMAND_INSTALL, "n1", true);
	assert_string_equal(node(sim, "n1")->version, "2");
	assert_string_equal(group(sim, "mail")->data_version, "2");
	assert_string_equal(group(sim, "mail")->owner, "n1");
	assert_int_equal(clu_sim_guard_breaches(sim, NULL), 0);
	assert_int_equal(logged(sim, "SURPRISE"), 0);
	assert_int_equal(run(sim, CLU_COMMAND_VERIFY, "n1", false, &proc, &err), 0);
	assert_string_equal(proc.out.buf, "2\n");
	assert_int_equal(proc.out.len, 2);
	assert_string_equal(proc.err.buf, "");
	assert_true(proc.result.started);
	assert_int_equal(proc.result.duration_ms, 1000);
	clu_proc_release(&proc);
	run_ok(sim, CLU_COMMAND_HOOK, "n2", false);
	run_ok(sim, CLU_COMMAND_CHECK, "n2", false);
	clu_sim_close(sim);
}

static void test_install_managed_owner_fails_over(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	const char *first = NULL;

	(void)state;
	run_ok(sim, CLU_COMMAND_INSTALL, "n1", true);
	assert_int_equal(logged(sim, "SURPRISE FAILOVER: 'mail'"), 1);
	assert_string_equal(group(sim, "mail")->owner, "n2");
	/* Its data migrated by the installer, it now runs on an old node. */
	assert_int_equal(clu_sim_guard_breaches(sim, &first), 1);
	assert_string_equal(first, "'mail' (data version 2) runs on 'n2' (version 1)");
	assert_int_equal(logged(sim, "GUARD BROKEN: 'mail'"), 1);
	clu_sim_close(sim);
}

static void test_guard_breach_on_move_to_old_node(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_change pin;

	(void)state;
	prepare(sim, CLU_VERB_PIN, "mail", NULL, &pin, NULL);
	apply(sim, &pin, 1);
	run_ok(sim, CLU_COMMAND_INSTALL, "n1", true);
	change(sim, CLU_VERB_DRAIN, NULL, "n1");
	assert_int_equal(clu_sim_guard_breaches(sim, NULL), 0);
	/* Unpinned on a drained node: the engine moves it to n2, still at 1. */
	undo(sim, &pin);
	assert_string_equal(group(sim, "mail")->owner, "n2");
	assert_int_equal(clu_sim_guard_breaches(sim, NULL), 1);
	/* Still broken at the next change: the same breach, counted once. */
	change(sim, CLU_VERB_DRAIN, NULL, "n3");
	assert_int_equal(clu_sim_guard_breaches(sim, NULL), 1);
	clu_change_release(&pin);
	clu_sim_close(sim);
}

/* ---- faults ------------------------------------------------------------- */

static void test_fault_node_dies_and_returns(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_sim_fault dies = { CLU_SIM_NODE_DIES, "n1", NULL, 1, 0, 0, 0 };
	struct clu_sim_fault back = { CLU_SIM_NODE_RETURNS, "n1", NULL, 2, 0, 0, 0 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_proc proc;

	(void)state;
	clu_sim_add_fault(sim, &dies);
	clu_sim_add_fault(sim, &back);
	assert_true(node(sim, "n1")->online);
	change(sim, CLU_VERB_DRAIN, NULL, "n3");
	assert_false(node(sim, "n1")->online);
	assert_string_equal(group(sim, "mail")->owner, "n2");
	assert_int_equal(run(sim, CLU_COMMAND_INSTALL, "n1", false, &proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'sh /opt/sp2/install' exited with status 255: ssh: "
			    "connect to host n1 port 22: No route to host");
	assert_int_equal(proc.result.exit_code, 255);
	assert_string_equal(proc.err.buf, "ssh: connect to host n1 port 22: No route to host\n");
	clu_proc_release(&proc);
	change(sim, CLU_VERB_DRAIN, NULL, "n2");
	assert_true(node(sim, "n1")->online);
	/* n2 and n3 drained, n1 back: mail goes there. */
	assert_string_equal(group(sim, "mail")->owner, "n1");
	assert_int_equal(logged(sim, "node-dies: 'n1' goes offline"), 1);
	assert_int_equal(logged(sim, "node-returns: 'n1' comes back online"), 1);
	clu_sim_close(sim);
}

static void test_fault_install_fails_and_hangs(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_sim_fault fails = { CLU_SIM_INSTALL_FAILS, "n2", NULL, 0, CLU_COMMAND_INSTALL,
				       2, 0 };
	struct clu_sim_fault hangs = { CLU_SIM_COMMAND_HANGS, "n3", NULL, 0, CLU_COMMAND_VERIFY,
				       1, 0 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_proc proc;
	int64_t before;

	(void)state;
	clu_sim_add_fault(sim, &fails);
	clu_sim_add_fault(sim, &hangs);
	run_ok(sim, CLU_COMMAND_INSTALL, "n2", false);       /* the first: fine */
	assert_int_equal(run(sim, CLU_COMMAND_INSTALL, "n2", false, &proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'sh /opt/sp2/install' exited with status 1");
	assert_int_equal(proc.result.exit_code, 1);
	clu_proc_release(&proc);
	run_ok(sim, CLU_COMMAND_INSTALL, "n2", false);       /* times 1: over */
	run_ok(sim, CLU_COMMAND_INSTALL, "n3", false);       /* not a verify */
	before = clu_sim_now_ms(sim);
	assert_int_equal(run(sim, CLU_COMMAND_VERIFY, "n3", false, &proc, &err), CLU_E_SPAWN);
	assert_string_equal(err.msg, "'sh /opt/sp2/install' timed out after 5000 ms");
	assert_true(proc.result.timed_out);
	assert_int_equal(proc.result.exit_code, -1);
	assert_true(clu_sim_now_ms(sim) - before >= 5000);
	clu_proc_release(&proc);
	clu_sim_close(sim);
}

static void test_fault_settle_never(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_sim_fault never = { CLU_SIM_SETTLE_NEVER, NULL, NULL, 0, 0, 0, 0 };
	struct clu_fact fact = { CLU_FACT_GROUP_ON, (char *)"n1", (char *)"mail", NULL };
	struct clu_settle how = { .facts = &fact, .n_facts = 1, .timeout_ms = 60000, .poll_ms = 1000 };
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	assert_int_equal(be(sim)->ops->settle(be(sim), &how, &err), 0);
	clu_sim_add_fault(sim, &never);
	assert_int_equal(be(sim)->ops->settle(be(sim), &how, &err), CLU_E_STEP);
	assert_string_equal(err.msg, "the cluster did not settle within 60 s (a transition is "
			    "still running)");
	clu_sim_close(sim);
}

static void test_fault_group_moves(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_sim_fault moves = { CLU_SIM_GROUP_MOVES, NULL, "mail", 1, 0, 0, 2 };

	(void)state;
	clu_sim_add_fault(sim, &moves);
	change(sim, CLU_VERB_DRAIN, NULL, "n3");
	assert_string_equal(group(sim, "mail")->owner, "n2");
	/* Pinned, it stays: the engine leaves unmanaged groups alone. */
	change(sim, CLU_VERB_PIN, "mail", NULL);
	assert_string_equal(group(sim, "mail")->owner, "n2");
	assert_int_equal(logged(sim, "group-moves: 'mail' fails on 'n2' (pinned"), 1);
	clu_sim_close(sim);
}

static void test_fault_from_file_on_command(void **state)
{
	char *text = format("%s[fault \"n2-dies\"]\nwhat = node-dies\nnode = n2\n"
					     "on = install\n", three_nodes);
	struct clu_sim *sim = open_text(text);
	struct clu_err err = CLU_ERR_INIT;
	struct clu_proc proc;

	(void)state;
	/* It dies as its installer starts: the installer cannot reach it. */
	assert_int_equal(run(sim, CLU_COMMAND_INSTALL, "n2", false, &proc, &err), CLU_E_SPAWN);
	assert_false(node(sim, "n2")->online);
	clu_proc_release(&proc);
	free(text);
	clu_sim_close(sim);
}

/* ---- the lock ----------------------------------------------------------- */

static void test_lock(void **state)
{
	struct clu_sim *sim = open_text(three_nodes);
	struct clu_lock_holder mine = { (char *)"run-a", (char *)"admin", 42, 7,
					(char *)"2024-05-01T10:00:00Z", 0, NULL };
	struct clu_lock_holder theirs = { (char *)"run-b", (char *)"other", 43, 1, NULL, 0,
					  NULL };
	struct clu_lock_holder read;
	struct clu_err err = CLU_ERR_INIT;
	bool ok, exists;

	(void)state;
	be(sim)->ops->lock_read(be(sim), &read, &exists, &err);
	assert_false(exists);
	assert_int_equal(be(sim)->ops->lock_create(be(sim), &mine, &ok, &err), 0);
	assert_true(ok);
	be(sim)->ops->lock_create(be(sim), &theirs, &ok, &err);
	assert_false(ok);
	be(sim)->ops->lock_renew(be(sim), "run-b", 1, &ok, &err);
	assert_false(ok);
	be(sim)->ops->lock_renew(be(sim), "run-a", 3, &ok, &err);
	assert_true(ok);
	be(sim)->ops->lock_read(be(sim), &read, &exists, &err);
	assert_true(exists);
	assert_string_equal(read.token, "run-a");
	assert_string_equal(read.host, "admin");
	assert_int_equal(read.pid, 42);
	assert_int_equal(read.run, 7);
	assert_int_equal(read.beat, 3);
	clu_lock_holder_release(&read);
	be(sim)->ops->lock_delete(be(sim), "run-b", 0, &err);     /* not theirs */
	be(sim)->ops->lock_delete(be(sim), "run-a", 2, &err);     /* not at that beat */
	be(sim)->ops->lock_read(be(sim), &read, &exists, &err);
	assert_true(exists);
	clu_lock_holder_release(&read);
	be(sim)->ops->lock_delete(be(sim), "run-a", 3, &err);
	be(sim)->ops->lock_read(be(sim), &read, &exists, &err);
	assert_false(exists);
	be(sim)->ops->lock_create(be(sim), &theirs, &ok, &err);
	assert_true(ok);
	/* An abort request: only on the holder's lock; its renewals then fail. */
	be(sim)->ops->lock_request_abort(be(sim), "run-a", "abort elsewhere", &ok, &err);
	assert_false(ok);
	be(sim)->ops->lock_request_abort(be(sim), "run-b", "abort elsewhere", &ok, &err);
	assert_true(ok);
	be(sim)->ops->lock_renew(be(sim), "run-b", 2, &ok, &err);
	assert_false(ok);
	be(sim)->ops->lock_read(be(sim), &read, &exists, &err);
	assert_true(exists);
	assert_string_equal(read.abort_by, "abort elsewhere");
	clu_lock_holder_release(&read);
	clu_sim_close(sim);
}

/* ---- the state file ----------------------------------------------------- */

static void test_state_round_trip(void **state)
{
	char dir[] = "/tmp/clu-test-sim-XXXXXX", *path, *log;
	struct clu_lock_holder mine = { (char *)"run-a", (char *)"admin", 42, 7,
					(char *)"2024-05-01T10:00:00Z", 5, NULL };
	struct clu_sim_fault later = { CLU_SIM_NODE_DIES, "n3", NULL, 3, 0, 0, 0 };
	struct clu_sim_fault hangs = { CLU_SIM_COMMAND_HANGS, "n2", NULL, 0, CLU_COMMAND_INSTALL,
				       1, 0 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_lock_holder read;
	struct clu_sim *sim;
	struct clu_proc proc;
	int64_t now;
	size_t n_log;
	bool ok, exists;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = format("%s/sim.state", dir);
	log = format("%s/sim.state.log", dir);
	assert_int_equal(clu_sim_open_text(&sim, three_nodes, "t.ini", path, &err), 0);
	assert_int_equal(access(path, R_OK), 0);
	change(sim, CLU_VERB_BAN, "mail", "n2");
	change(sim, CLU_VERB_PREFER, "mail", "n3");
	clu_sim_add_fault(sim, &later);
	clu_sim_add_fault(sim, &hangs);
	be(sim)->ops->lock_create(be(sim), &mine, &ok, &err);
	now = clu_sim_now_ms(sim);
	clu_sim_log(sim, &n_log);
	clu_sim_close(sim);

	/* Reopened: the description is not read again, the state is. */
	assert_int_equal(clu_sim_open(&sim, "/nonexistent", path, &err), 0);
	assert_string_equal(group(sim, "mail")->owner, "n3");
	assert_true(clu_group_banned(group(sim, "mail"), "n2"));
	assert_int_equal(clu_sim_constraints(sim, &n_log)[1][0], 'p');
	assert_true(clu_sim_now_ms(sim) >= now);
	be(sim)->ops->lock_read(be(sim), &read, &exists, &err);
	assert_true(exists);
	assert_string_equal(read.token, "run-a");
	assert_string_equal(read.since, "2024-05-01T10:00:00Z");
	assert_int_equal(read.beat, 5);
	clu_lock_holder_release(&read);
	assert_int_equal(logged(sim, "sim: continued from"), 1);
	assert_int_equal(logged(sim, "lock taken by 'run-a'"), 1);
	/* The pending faults too: the third change kills n3; n2 hangs. */
	change(sim, CLU_VERB_PIN, "mail", NULL);
	assert_false(node(sim, "n3")->online);
	assert_int_equal(run(sim, CLU_COMMAND_INSTALL, "n2", false, &proc, &err), CLU_E_SPAWN);
	assert_true(proc.result.timed_out);
	clu_proc_release(&proc);
	clu_sim_close(sim);

	/* Fired faults are not carried over. */
	assert_int_equal(clu_sim_open(&sim, "/nonexistent", path, &err), 0);
	assert_false(node(sim, "n3")->online);
	assert_null(group(sim, "mail")->owner);      /* pinned on a dead node: stopped */
	run_ok(sim, CLU_COMMAND_INSTALL, "n2", false);
	clu_sim_close(sim);

	assert_int_equal(access(log, R_OK), 0);
	unlink(path);
	unlink(log);
	rmdir(dir);
	free(path);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_text),
		cmocka_unit_test(test_load_fixtures),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_drain_moves_to_first_eligible),
		cmocka_unit_test(test_drain_leaves_pinned),
		cmocka_unit_test(test_ban_prefer_one_switchover),
		cmocka_unit_test(test_version_and_unknown),
		cmocka_unit_test(test_install_pinned_owner),
		cmocka_unit_test(test_install_managed_owner_fails_over),
		cmocka_unit_test(test_guard_breach_on_move_to_old_node),
		cmocka_unit_test(test_fault_node_dies_and_returns),
		cmocka_unit_test(test_fault_install_fails_and_hangs),
		cmocka_unit_test(test_fault_settle_never),
		cmocka_unit_test(test_fault_group_moves),
		cmocka_unit_test(test_fault_from_file_on_command),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_state_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
