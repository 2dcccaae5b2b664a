/*
 * Executor tests, against the simulated cluster (sim.h): every step kind,
 * both strategies, retries, a node given up under max-failed-nodes, a hook
 * that vetoes, an installer that hangs, a settle that never comes, a group
 * that fails over by itself, a node that dies (and one that comes back),
 * the lock refused and taken over, a group whose
 * name holds "-on-"; the gates between nodes (the version recorded by the
 * executor, a health check that fails, a soak, the service back after a
 * switchover, an outage budget, with command probes); and a crash at every journal point: for a 3-node
 * in-place run, a 3-node rolling run and a 5-node run with two groups on
 * different owners, the executor is stopped (a forked child _exits) at
 * journal write K for every K in turn, the same update is run again, and
 * the end state is checked: every node at the target version, no
 * constraint left, nothing drained or pinned, the lock free, the version
 * guard never broken (from the simulation's own count), and every change
 * of every run closed in the journal.
 *
 * Rollback (rollback.h), planned and run as `clupdate rollback` does it:
 * data not migrated (a partial run's node put back), migrated without a
 * down-migration (refused, nothing changed, no run journalled), with one
 * (the owner's step first, pinned), and a crash at every journal write of
 * two rollbacks, each rerun to every node at the previous version.
 *
 * Each trial has its own directory (in /dev/shm when there is one: the
 * journal fsyncs every write): the description, its state file, the
 * manifest and the journal.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "clupdate/abort.h"
#include "clupdate/exec.h"
#include "clupdate/rollback.h"
#include "clupdate/sim.h"
#include "util.h"

/*
 * Under AddressSanitizer (the asan build runs this too): a small quarantine
 * and short allocation stacks, so that the few hundred forks of the crash
 * trials copy little and the suite stays well under a minute (about 20 s
 * instead of 50 here). Every check stays on; an ASAN_OPTIONS in the
 * environment still wins. Unused in the plain build.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=1:malloc_context_size=2";
}

/* ---- clusters and manifests ------------------------------------------- */

#define NODE(n) "[node \"" n "\"]\nversion = 1\n"

static const char three_nodes[] =
	NODE("n1") NODE("n2") NODE("n3")
	"[group \"mail\"]\nowner = n1\naddress = 10.0.0.10\n";

static const char five_nodes_two_groups[] =
	NODE("n1") NODE("n2") NODE("n3") NODE("n4") NODE("n5")
	"[group \"mail\"]\nowner = n1\n"
	"[group \"web\"]\nowner = n2\n";

/* mail on n1; with max-unavailable 2, n2 and n3 are one wave, n4 and n5 the next. */
static const char five_nodes[] =
	NODE("n1") NODE("n2") NODE("n3") NODE("n4") NODE("n5")
	"[group \"mail\"]\nowner = n1\n";

static const char add_on_three_nodes[] =
	NODE("n1") NODE("n2") NODE("n3")
	"[group \"add-on-svc\"]\nowner = n1\n";

#define UPDATE_N(groups, strategy, max_unavailable, extra) \
	"[update]\nname = sp\nversion = 2\ngroups = " groups "\nstrategy = " strategy "\n" \
	"data-migration = yes\ntakeover-compatible = yes\nmax-unavailable = " max_unavailable \
	"\nversion-attribute = v\n" extra \
	"[install]\ncommand = install\nverify = verify\n"
#define UPDATE(groups, strategy, extra) UPDATE_N(groups, strategy, "1", extra)

static const char in_place[] = UPDATE("mail", "in-place", "");
static const char rolling[] = UPDATE("mail", "rolling", "");
static const char two_groups[] = UPDATE("mail, web", "in-place", "");
static const char add_on_in_place[] = UPDATE("add-on-svc", "in-place", "");
static const char retry_once[] = UPDATE("mail", "in-place", "retries = 1\n");
static const char one_may_fail[] = UPDATE("mail", "in-place", "max-failed-nodes = 1\n");
static const char waves[] = UPDATE_N("mail", "in-place", "2", "");
static const char waves_one_may_fail[] = UPDATE_N("mail", "in-place", "2",
						  "max-failed-nodes = 1\n");
static const char with_hook[] = UPDATE("mail", "in-place", "")
	"[hook \"flush\"]\npre = flush-queue\npost = self-test\n";
static const char veto_given_up[] = UPDATE("mail", "in-place",
					   "retries = 1\nmax-failed-nodes = 1\n")
	"[hook \"flush\"]\npre = flush-queue\n";
static const char with_check[] = UPDATE("mail", "in-place", "")
	"check = health-check\n";
static const char with_soak[] = UPDATE("mail", "rolling", "")
	"check = health-check\nsoak = 150ms\n";
/* Probes are commands run here: "exit 0" is a service always up, a sleep
 * then "exit 1" one down from the start, its outage measured at once. */
#define PROBE(command, extra) \
	"[probe \"p\"]\ntype = command\ncommand = " command "\ninterval-ms = 10\n" extra
static const char budget_tiny[] = UPDATE("mail", "in-place", "")
	PROBE("sleep 0.05; exit 1", "max-outage = 1ms\n");
static const char budget_generous[] = UPDATE("mail", "in-place", "")
	PROBE("sleep 0.05; exit 1", "max-outage = 1h\n");
static const char back_up[] = UPDATE("mail", "rolling", "") PROBE("exit 0", "");
static const char never_back[] = UPDATE("mail", "rolling", "")
	PROBE("exit 1", "up-timeout = 100ms\n");

/* ---- a trial's directory ---------------------------------------------- */

struct trial {
	char dir[256];
	char desc[300], state[300], manifest[300], journal[300];
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void trial_init(struct trial *t, const char *cluster, const char *manifest)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(t->dir, sizeof(t->dir), "%s/clu-test-exec.XXXXXX", base);
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->desc, sizeof(t->desc), "%s/cluster.ini", t->dir);
	snprintf(t->state, sizeof(t->state), "%s/cluster.state", t->dir);
	snprintf(t->manifest, sizeof(t->manifest), "%s/sp.conf", t->dir);
	snprintf(t->journal, sizeof(t->journal), "%s/journal", t->dir);
	write_text(t->desc, cluster);
	write_text(t->manifest, manifest);
}

static void trial_remove(struct trial *t)
{
	char *cmd = clu__xasprintf("rm -rf '%s'", t->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* A fault added to the trial's simulation (persisted in its state). */
static void add_fault(struct trial *t, const struct clu_sim_fault *f)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_sim *sim;

	assert_int_equal(clu_sim_open(&sim, t->desc, t->state, &err), 0);
	clu_sim_add_fault(sim, f);
	clu_sim_close(sim);
}

/* ---- one apply, as `clupdate apply --yes` does it ----------------------- */

struct apply {
	int ret;
	struct clu_err err;
	unsigned steps_done;
	size_t n_remaining;
	unsigned long writes;        /* journal writes it made */
	unsigned long crash_at;      /* _exit(99) at this write; 0: never */
	unsigned long abort_at;      /* at this write, `abort` asks through the lock */
	unsigned long late_at;       /* at this write, time passes: the deadline */
	int64_t deadline_mono_ms;
	bool probes;                 /* run the manifest's (command) probes */
	bool rollback;               /* `clupdate rollback` instead of apply */
	char plan_notes[1024];       /* a rollback's plan notes, one per line */
	unsigned owner_command_step; /* the step that runs a command of its own */
	struct clu_backend *backend;
};

static void count_write(void *ctx, unsigned long n)
{
	struct apply *a = ctx;

	a->writes = n;
	if (a->crash_at && n == a->crash_at)
		_exit(99);
	if (a->late_at && n == a->late_at)
		while (clu_now_mono_ms() < a->deadline_mono_ms)
			usleep(10000);
	if (a->abort_at && n == a->abort_at) {
		/* As `clupdate abort` from another host: a request in the lock. */
		struct clu_lock_holder h;
		struct clu_err err = CLU_ERR_INIT;
		bool exists = false, held = false;

		if (!a->backend->ops->lock_read(a->backend, &h, &exists, &err) && exists)
			a->backend->ops->lock_request_abort(a->backend, h.token, "a test", &held,
							     &err);
		clu_lock_holder_release(&h);
	}
}

static const struct clu_exec_options fast = {
	.settle_timeout_ms = 20000,    /* virtual time: the sim's clock */
	.poll_ms = 100,
	.lock_stale_ms = 1000,
	.cluster_source = "sim",
};

/* What a rollback's plan says, for the tests to check. */
static void rollback_facts(const struct clu_plan *plan, struct apply *a)
{
	size_t len = 0;

	for (size_t i = 0; i < plan->n_notes && len < sizeof(a->plan_notes); i++)
		len += (size_t)snprintf(a->plan_notes + len, sizeof(a->plan_notes) - len, "%s\n",
					plan->notes[i]);
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i].command && !a->owner_command_step)
			a->owner_command_step = plan->steps[i].index;
}

static int plan_and_run(struct clu_sim *sim, struct clu_journal *journal,
			const struct clu_manifest *m, struct apply *a)
{
	struct clu_backend *b = clu_sim_backend(sim);
	struct clu_rollback rollback;
	struct clu_exec_result result;
	struct clu_cluster cluster;
	struct clu_plan plan;
	struct clu_exec_options o = fast;
	struct clu_probe_target targets[4] = { { 0 } };
	int ret = clu_exec_check_lock(b, &a->err);

	if (!ret)
		ret = b->ops->read(b, true, &cluster, &a->err);
	if (ret)
		return ret;
	if (a->rollback && !(ret = clu_rollback_prepare(&rollback, m, &cluster, &a->err)))
		m = &rollback.manifest;
	if (!ret)
		ret = clu_exec_mark_leftovers(b, journal, m, &cluster, &a->err);
	if (!ret && a->rollback)
		ret = clu_rollback_plan(&plan, &rollback, &cluster, &a->err);
	else if (!ret)
		ret = clu_plan_make(&plan, m, &cluster, -1, &a->err);
	clu_cluster_release(&cluster);
	if (ret && a->rollback && m == &rollback.manifest)
		clu_rollback_release(&rollback);
	if (ret)
		return ret;
	rollback_facts(&plan, a);
	/* Renewals at every chance: an abort request is seen at the next one. */
	if (a->abort_at)
		o.lock_renew_ms = 1;
	o.deadline_mono_ms = a->deadline_mono_ms;
	a->backend = b;
	clu_journal_observe(journal, count_write, a);
	for (size_t i = 0; a->probes && i < m->n_probes && i < 4; i++)
		targets[o.n_probes++].spec = &m->probes[i];
	o.probes = targets;
	ret = clu_exec_run(&plan, m, b, journal, &o, &result, &a->err);
	a->steps_done = result.steps_done;
	a->n_remaining = result.n_remaining;
	clu_exec_result_release(&result);
	clu_plan_release(&plan);
	if (a->rollback)
		clu_rollback_release(&rollback);
	return ret;
}

static struct apply apply_run(struct trial *t, struct apply a)
{
	struct clu_journal *journal = NULL;
	struct clu_manifest m;
	struct clu_sim *sim = NULL;

	a.ret = clu_manifest_load(&m, t->manifest, &a.err);
	if (a.ret)
		return a;
	if (!(a.ret = clu_sim_open(&sim, t->desc, t->state, &a.err)) &&
	    !(a.ret = clu_journal_open(&journal, t->journal, &a.err)))
		a.ret = plan_and_run(sim, journal, &m, &a);
	clu_journal_close(journal);
	clu_sim_close(sim);
	clu_manifest_release(&m);
	return a;
}

static struct apply apply(struct trial *t, unsigned long crash_at)
{
	return apply_run(t, (struct apply){ .err = CLU_ERR_INIT, .crash_at = crash_at });
}

/* ---- the end state ---------------------------------------------------- */

/* What the trial's simulation shows now. */
struct end {
	struct clu_sim *sim;
	const struct clu_cluster *c;
};

static void end_open(struct trial *t, struct end *e)
{
	struct clu_err err = CLU_ERR_INIT;

	assert_int_equal(clu_sim_open(&e->sim, t->desc, t->state, &err), 0);
	e->c = clu_sim_cluster(e->sim);
}

/* The guard was never broken, from the simulation's own count. */
static void assert_guard_kept(struct trial *t)
{
	struct end e;
	const char *first = NULL;
	size_t breaches;

	end_open(t, &e);
	breaches = clu_sim_guard_breaches(e.sim, &first);
	if (breaches)
		fail_msg("version guard broken %zu times; first: %s", breaches, first);
	clu_sim_close(e.sim);
}

/* Every change of every run is closed (restored or failed); the last run succeeded. */
static void assert_journal_closed(struct trial *t)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal;
	struct clu_run_record *runs;
	size_t n_runs;

	assert_int_equal(clu_journal_open(&journal, t->journal, &err), 0);
	assert_int_equal(clu_journal_runs(journal, &runs, &n_runs, &err), 0);
	assert_true(n_runs > 0);
	assert_int_equal(runs[0].state, CLU_RUN_SUCCEEDED);
	for (size_t i = 0; i < n_runs; i++) {
		struct clu_change *open = NULL;
		size_t n_open = 0;

		assert_int_equal(clu_journal_changes_open(journal, runs[i].id, &open, &n_open,
							  &err), 0);
		/* A recorded version stays: the node's software is installed. */
		for (size_t k = 0; k < n_open; k++)
			if (strcmp(open[k].kind, CLU_SIM_CHANGE_VERSION))
				fail_msg("run %lld left a change open: %s %s",
					 (long long)runs[i].id, open[k].kind, open[k].target);
		clu_changes_free(open, n_open);
	}
	clu_run_records_free(runs, n_runs);
	clu_journal_close(journal);
}

/* Every node at version, and nothing of clupdate's is left in the cluster. */
static void assert_clean_end_at(struct trial *t, const char *version)
{
	struct clu_lock_holder holder;
	struct clu_err err = CLU_ERR_INIT;
	bool locked = true;
	size_t n_constraints;
	struct end e;

	end_open(t, &e);
	for (size_t i = 0; i < e.c->n_nodes; i++) {
		assert_string_equal(e.c->nodes[i].version, version);
		assert_false(e.c->nodes[i].standby);
	}
	for (size_t i = 0; i < e.c->n_groups; i++) {
		assert_true(e.c->groups[i].managed);
		assert_non_null(e.c->groups[i].owner);
		assert_int_equal(e.c->groups[i].n_banned, 0);
	}
	clu_sim_constraints(e.sim, &n_constraints);
	assert_int_equal(n_constraints, 0);
	assert_int_equal(clu_sim_backend(e.sim)->ops->lock_read(clu_sim_backend(e.sim), &holder,
								&locked, &err), 0);
	assert_false(locked);
	clu_lock_holder_release(&holder);
	clu_sim_close(e.sim);
	assert_guard_kept(t);
	assert_journal_closed(t);
}

/* The update is complete and nothing of clupdate's is left in the cluster. */
static void assert_clean_end(struct trial *t)
{
	assert_clean_end_at(t, "2");
}

static void assert_ok(const struct apply *a)
{
	if (a->ret)
		fail_msg("apply failed (%d): %s", a->ret, a->err.msg);
}

/* ---- whole runs ------------------------------------------------------- */

static void run_clean(const char *cluster, const char *manifest)
{
	struct trial t;
	struct apply a;

	trial_init(&t, cluster, manifest);
	a = apply(&t, 0);
	assert_ok(&a);
	assert_int_equal(a.n_remaining, 0);
	assert_clean_end(&t);
	/* Again: nothing left to do, and nothing done. */
	a = apply(&t, 0);
	assert_ok(&a);
	assert_int_equal(a.steps_done, 0);
	trial_remove(&t);
}

static void test_in_place(void **state)
{
	(void)state;
	run_clean(three_nodes, in_place);
}

static void test_rolling(void **state)
{
	(void)state;
	run_clean(three_nodes, rolling);
}

static void test_two_groups(void **state)
{
	(void)state;
	run_clean(five_nodes_two_groups, two_groups);
}

/* ---- faults ----------------------------------------------------------- */

/* The state of step attempts in the journal's last run, "STEP.ATTEMPT=state ...". */
static char *attempts_of(struct trial *t, const char *action, const char *node)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal;
	struct clu_run_record run;
	int64_t last;
	char *out = clu__xstrdup("");

	assert_int_equal(clu_journal_open(&journal, t->journal, &err), 0);
	assert_int_equal(clu_journal_last_run(journal, &last, &err), 0);
	assert_int_equal(clu_journal_run_load(journal, last, &run, &err), 0);
	for (size_t i = 0; i < run.n_steps; i++) {
		const struct clu_step_record *s = &run.steps[i];
		char *more;

		if (strcmp(s->action, action) || !clu__streq(s->node, node))
			continue;
		more = clu__xasprintf("%s%s%u=%s", out, *out ? " " : "", s->attempt,
				      clu_step_state_name(s->state));
		free(out);
		out = more;
	}
	clu_run_record_release(&run);
	clu_journal_close(journal);
	return out;
}

static void test_retry(void **state)
{
	struct clu_sim_fault once = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n2",
				      .on = CLU_COMMAND_INSTALL, .on_nth = 1 };
	struct trial t;
	struct apply a;
	char *tries;

	(void)state;
	trial_init(&t, three_nodes, retry_once);
	add_fault(&t, &once);
	a = apply(&t, 0);
	assert_ok(&a);
	tries = attempts_of(&t, "install", "n2");
	assert_string_equal(tries, "1=failed 2=done");
	free(tries);
	assert_clean_end(&t);
	trial_remove(&t);
}

/*
 * A run with fault on cluster stops (CLU_E_STEP) with the version guard
 * kept throughout; the trial stays for more checks (the caller removes it).
 */
static struct apply stops_safely(struct trial *t, const char *cluster, const char *manifest,
				 const struct clu_sim_fault *fault)
{
	struct apply a;

	trial_init(t, cluster, manifest);
	add_fault(t, fault);
	a = apply(t, 0);
	assert_int_equal(a.ret, CLU_E_STEP);
	assert_guard_kept(t);
	return a;
}

static void test_node_given_up(void **state)
{
	struct clu_sim_fault always = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n3",
					.on = CLU_COMMAND_INSTALL, .on_nth = 1, .times = 9 };
	struct trial t;
	struct apply a;
	struct end e;

	(void)state;
	a = stops_safely(&t, three_nodes, one_may_fail, &always);
	assert_non_null(strstr(a.err.msg, "the other nodes are updated, but 1 node failed"));
	end_open(&t, &e);
	assert_string_equal(clu_cluster_node(e.c, "n2")->version, "2");
	assert_string_equal(clu_cluster_node(e.c, "n3")->version, "1");
	assert_true(clu_cluster_node(e.c, "n3")->standby);       /* stays out of service */
	assert_true(clu_group_banned(clu_cluster_group(e.c, "mail"), "n3"));   /* the guard */
	assert_true(clu_cluster_group(e.c, "mail")->managed);
	clu_sim_close(e.sim);
	trial_remove(&t);
}

/* A wave's installers and verifies run together; then nothing is left to do. */
static void test_waves(void **state)
{
	(void)state;
	run_clean(five_nodes, waves);
}

/*
 * One installer of a wave fails (n3, every time) while the other (n2)
 * succeeds: with max-failed-nodes 1, n3 is given up (stays drained,
 * banned), its verify and undrain skipped, and the next wave goes on.
 */
static void test_wave_one_fails(void **state)
{
	struct clu_sim_fault always = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n3",
					.on = CLU_COMMAND_INSTALL, .on_nth = 1, .times = 9 };
	struct trial t;
	struct apply a;
	struct end e;
	char *tries;

	(void)state;
	a = stops_safely(&t, five_nodes, waves_one_may_fail, &always);
	assert_non_null(strstr(a.err.msg, "the other nodes are updated, but 1 node failed"));
	tries = attempts_of(&t, "install", "n2");
	assert_string_equal(tries, "1=done");
	free(tries);
	tries = attempts_of(&t, "verify", "n3");
	assert_string_equal(tries, "1=skipped");
	free(tries);
	end_open(&t, &e);
	for (size_t i = 0; i < e.c->n_nodes; i++) {
		const struct clu_node *n = &e.c->nodes[i];
		bool failed = !strcmp(n->name, "n3");

		assert_string_equal(n->version, failed ? "1" : "2");
		assert_int_equal(n->standby, failed);
	}
	assert_true(clu_group_banned(clu_cluster_group(e.c, "mail"), "n3"));
	clu_sim_close(e.sim);
	trial_remove(&t);

	/* No failure allowed: n2's installer still ends (done), then the run stops. */
	a = stops_safely(&t, five_nodes, waves, &always);
	assert_non_null(strstr(a.err.msg, "step 8 (install on n3) failed"));
	tries = attempts_of(&t, "install", "n2");
	assert_string_equal(tries, "1=done");
	free(tries);
	end_open(&t, &e);
	assert_string_equal(clu_cluster_node(e.c, "n2")->version, "2");
	assert_true(clu_cluster_node(e.c, "n3")->standby);
	assert_true(clu_group_banned(clu_cluster_group(e.c, "mail"), "n3"));
	clu_sim_close(e.sim);
	trial_remove(&t);
}

static void test_hook_vetoes(void **state)
{
	struct clu_sim_fault veto = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n2",
				      .on = CLU_COMMAND_HOOK, .on_nth = 1 };
	struct trial t;
	struct apply a;
	struct end e;

	(void)state;
	a = stops_safely(&t, three_nodes, with_hook, &veto);
	assert_non_null(strstr(a.err.msg, "(pre-hook on n2) failed"));
	end_open(&t, &e);
	assert_string_equal(clu_cluster_node(e.c, "n2")->version, "1");   /* vetoed */
	assert_true(clu_cluster_node(e.c, "n2")->standby);
	assert_true(clu_group_banned(clu_cluster_group(e.c, "mail"), "n2"));
	clu_sim_close(e.sim);
	assert_true(a.n_remaining >= 2);     /* the drain, the guard's bans */
	/* The fault fired once: the same update again finishes the job. */
	a = apply(&t, 0);
	assert_ok(&a);
	assert_clean_end(&t);
	trial_remove(&t);
}

/* ---- the gates between nodes ------------------------------------------- */

/* The last run's record (the caller releases it). */
static void last_run(struct trial *t, struct clu_run_record *run)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal;
	int64_t last;

	assert_int_equal(clu_journal_open(&journal, t->journal, &err), 0);
	assert_int_equal(clu_journal_last_run(journal, &last, &err), 0);
	assert_int_equal(clu_journal_run_load(journal, last, run, &err), 0);
	clu_journal_close(journal);
}

/* The last run's events of kind, "SOURCE:DETAIL" joined by " | ". */
static char *events_of(struct trial *t, const char *kind)
{
	struct clu_run_record run;
	char *out = clu__xstrdup("");

	last_run(t, &run);
	for (size_t i = 0; i < run.n_events; i++) {
		const struct clu_event_record *e = &run.events[i];
		char *more;

		if (strcmp(e->kind, kind))
			continue;
		more = clu__xasprintf("%s%s%s:%s", out, *out ? " | " : "", e->source,
				      e->detail ? e->detail : "");
		free(out);
		out = more;
	}
	clu_run_record_release(&run);
	return out;
}

/* The executor records each verified node's version itself, journalled. */
static void test_version_recorded(void **state)
{
	struct clu_run_record run;
	struct trial t;
	struct apply a;
	unsigned recorded = 0;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	a = apply(&t, 0);
	assert_ok(&a);
	last_run(&t, &run);
	for (size_t i = 0; i < run.n_changes; i++) {
		const struct clu_change *c = &run.changes[i];

		if (strcmp(c->kind, CLU_SIM_CHANGE_VERSION))
			continue;
		assert_string_equal(c->value, "2");
		assert_int_equal(c->state, CLU_CHANGE_APPLIED);
		recorded++;
	}
	clu_run_record_release(&run);
	assert_int_equal(recorded, 3);
	assert_clean_end(&t);
	trial_remove(&t);
}

/* A pre hook's veto is not retried; the passive node is given up. */
static void test_veto_not_retried(void **state)
{
	struct clu_sim_fault veto = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n3",
				      .on = CLU_COMMAND_HOOK, .on_nth = 1, .times = 9 };
	struct trial t;
	struct apply a;
	struct end e;
	char *tries;

	(void)state;
	a = stops_safely(&t, three_nodes, veto_given_up, &veto);
	assert_non_null(strstr(a.err.msg, "hook 'flush' vetoed node 'n3'"));
	assert_non_null(strstr(a.err.msg, "the other nodes are updated, but 1 node failed"));
	tries = attempts_of(&t, "pre-hook", "n3");
	assert_string_equal(tries, "1=failed");
	free(tries);
	tries = attempts_of(&t, "install", "n3");
	assert_string_equal(tries, "1=skipped");
	free(tries);
	end_open(&t, &e);
	assert_string_equal(clu_cluster_node(e.c, "n2")->version, "2");
	assert_string_equal(clu_cluster_node(e.c, "n3")->version, "1");
	clu_sim_close(e.sim);
	trial_remove(&t);
}

/* The health check fails on n2: that node failed, the run stops safely. */
static void test_health_check_fails(void **state)
{
	struct clu_sim_fault sick = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n2",
				      .on = CLU_COMMAND_HEALTH, .on_nth = 1 };
	struct trial t;
	struct apply a;
	char *checks;

	(void)state;
	a = stops_safely(&t, three_nodes, with_check, &sick);
	assert_non_null(strstr(a.err.msg, "(verify on n2) failed: health check on 'n2' failed "
			       "after the install"));
	checks = events_of(&t, "health-check");
	assert_non_null(strstr(checks, "n1:after the install: passed"));
	assert_non_null(strstr(checks, "n2:after the install: failed"));
	assert_null(strstr(checks, "n3:"));
	free(checks);
	/* The fault fired once: the same update again finishes the job. */
	a = apply(&t, 0);
	assert_ok(&a);
	assert_clean_end(&t);
	trial_remove(&t);
}

/* A soak after each node's gate, then the gate again; and the service back
 * after the switchover, as a probe of the group sees it. */
static void test_soak_and_service_back(void **state)
{
	struct trial t;
	struct apply a;
	char *soaks, *checks, *back;
	int64_t start;

	(void)state;
	trial_init(&t, three_nodes, with_soak);
	start = clu_now_mono_ms();
	a = apply(&t, 0);
	assert_ok(&a);
	assert_true(clu_now_mono_ms() - start >= 3 * 150);
	soaks = events_of(&t, "soak-end");
	checks = events_of(&t, "health-check");
	assert_non_null(strstr(soaks, "n1:ms=") && strstr(soaks, "n2:ms=") &&
			strstr(soaks, "n3:ms="));
	assert_non_null(strstr(checks, "n3:after the soak: passed"));
	free(soaks);
	free(checks);
	assert_clean_end(&t);
	trial_remove(&t);

	trial_init(&t, three_nodes, back_up);
	a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .probes = true });
	assert_ok(&a);
	back = events_of(&t, "service-back");
	assert_non_null(strstr(back, "p:ms="));
	free(back);
	assert_clean_end(&t);
	trial_remove(&t);
}

/* The moved group never answers its probe: the move step fails, safely. */
static void test_service_not_back(void **state)
{
	struct trial t;
	struct apply a;
	char *back;

	(void)state;
	trial_init(&t, three_nodes, never_back);
	a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .probes = true });
	assert_int_equal(a.ret, CLU_E_STEP);
	assert_non_null(strstr(a.err.msg, "did not see 'mail' up again within 100 ms"));
	back = events_of(&t, "service-back");
	assert_non_null(strstr(back, "p:timeout_ms=100 (not back)"));
	free(back);
	assert_guard_kept(&t);
	trial_remove(&t);
}

/* Over its budget before the first step: stopped there, nothing changed. */
static void test_outage_budget(void **state)
{
	struct trial t;
	struct apply a;
	char *over;
	struct end e;

	(void)state;
	trial_init(&t, three_nodes, budget_tiny);
	a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .probes = true });
	assert_int_equal(a.ret, CLU_E_STEP);
	assert_non_null(strstr(a.err.msg, "probe 'p' saw 'mail' down for "));
	assert_non_null(strstr(a.err.msg, "over its budget (max-outage = 1 ms): stopped before "
			       "step 1 (pin)"));
	assert_int_equal(a.steps_done, 0);
	assert_int_equal(a.n_remaining, 0);       /* pinned nothing, drained nothing */
	over = events_of(&t, "outage-budget-exceeded");
	assert_non_null(strstr(over, "p:budget_ms=1 measured_ms="));
	free(over);
	over = events_of(&t, "outage-budget");
	assert_string_equal(over, "p:budget_ms=1");
	free(over);
	end_open(&t, &e);
	assert_true(clu_cluster_group(e.c, "mail")->managed);
	assert_false(clu_cluster_node(e.c, "n2")->standby);
	clu_sim_close(e.sim);
	trial_remove(&t);

	/* A generous budget: the same outage lets the run finish. */
	trial_init(&t, three_nodes, budget_generous);
	a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .probes = true });
	assert_ok(&a);
	assert_clean_end(&t);
	trial_remove(&t);
}

static void test_settle_never(void **state)
{
	struct clu_sim_fault stuck = { .kind = CLU_SIM_SETTLE_NEVER, .after = 1 };
	struct trial t;
	struct apply a = stops_safely(&t, three_nodes, in_place, &stuck);

	(void)state;
	assert_non_null(strstr(a.err.msg, "did not settle within 20 s"));
	trial_remove(&t);
}

static void test_install_hangs(void **state)
{
	struct clu_sim_fault hangs = { .kind = CLU_SIM_COMMAND_HANGS, .node = "n2",
				       .on = CLU_COMMAND_INSTALL, .on_nth = 1 };
	struct trial t;
	struct apply a = stops_safely(&t, three_nodes, in_place, &hangs);
	struct end e;

	(void)state;
	assert_non_null(strstr(a.err.msg, "(install on n2) failed"));
	assert_non_null(strstr(a.err.msg, "timed out"));
	end_open(&t, &e);
	assert_string_equal(clu_cluster_node(e.c, "n2")->version, "1");
	assert_true(clu_cluster_node(e.c, "n2")->standby);
	clu_sim_close(e.sim);
	trial_remove(&t);
}

/* A node dies, and comes back before its turn: the run goes on. */
static void test_node_dies_and_returns(void **state)
{
	struct clu_sim_fault dies = { .kind = CLU_SIM_NODE_DIES, .node = "n3", .after = 1 };
	struct clu_sim_fault returns = { .kind = CLU_SIM_NODE_RETURNS, .node = "n3", .after = 2 };
	struct trial t;
	struct apply a;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	add_fault(&t, &dies);
	add_fault(&t, &returns);
	a = apply(&t, 0);
	assert_ok(&a);
	assert_clean_end(&t);
	trial_remove(&t);
}

static void test_node_dies(void **state)
{
	struct clu_sim_fault dies = { .kind = CLU_SIM_NODE_DIES, .node = "n3", .after = 3 };
	struct trial t;

	(void)state;
	stops_safely(&t, three_nodes, rolling, &dies);
	trial_remove(&t);
}

static void test_group_moves_by_itself(void **state)
{
	struct clu_sim_fault moves = { .kind = CLU_SIM_GROUP_MOVES, .group = "mail", .after = 1 };
	struct trial t;

	(void)state;
	stops_safely(&t, three_nodes, rolling, &moves);
	trial_remove(&t);
}

/* A group whose name holds "-on-": its guard's bans are found by their columns. */
static void test_add_on_svc(void **state)
{
	struct clu_sim_fault fails = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n3",
				       .on = CLU_COMMAND_INSTALL, .on_nth = 1 };
	struct trial t;
	struct apply a;
	struct end e;

	(void)state;
	stops_safely(&t, add_on_three_nodes, add_on_in_place, &fails);
	end_open(&t, &e);
	assert_true(clu_group_banned(clu_cluster_group(e.c, "add-on-svc"), "n3"));
	clu_sim_close(e.sim);
	a = apply(&t, 0);
	assert_ok(&a);
	assert_clean_end(&t);
	trial_remove(&t);
}

/* ---- the lock --------------------------------------------------------- */

static void plant_lock(struct trial *t, const char *host, long pid)
{
	struct clu_lock_holder h = { .token = "r7-other", .host = (char *)host, .pid = pid,
				     .run = 7, .since = "2026-12-06T12:00:00Z", .beat = 3 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_sim *sim;
	bool created;

	assert_int_equal(clu_sim_open(&sim, t->desc, t->state, &err), 0);
	assert_int_equal(clu_sim_backend(sim)->ops->lock_create(clu_sim_backend(sim), &h,
								&created, &err), 0);
	assert_true(created);
	clu_sim_close(sim);
}

static void test_lock_refused(void **state)
{
	struct trial t;
	struct apply a;
	struct end e;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	plant_lock(&t, "elsewhere", 4711);
	a = apply(&t, 0);
	assert_int_equal(a.ret, CLU_E_LOCKED);
	assert_non_null(strstr(a.err.msg, "locked by run 7 (clupdate pid 4711 on host "
			       "'elsewhere'"));
	end_open(&t, &e);
	assert_string_equal(clu_cluster_node(e.c, "n1")->version, "1");   /* nothing done */
	clu_sim_close(e.sim);
	trial_remove(&t);
}

static void test_lock_taken_over(void **state)
{
	char host[256] = "";
	struct trial t;
	struct apply a;
	pid_t dead = fork();

	(void)state;
	if (dead == 0)
		_exit(0);
	assert_true(dead > 0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	gethostname(host, sizeof(host) - 1);
	trial_init(&t, three_nodes, in_place);
	plant_lock(&t, host, (long)dead);    /* this host, no such process: gone */
	a = apply(&t, 0);
	assert_ok(&a);
	assert_clean_end(&t);
	trial_remove(&t);
}

/* ---- a crash at every journal point ------------------------------------- */

/* Run (a rollback: rollback) in a child that _exits at journal write k: 99 when it did. */
static int crash_run_at(struct trial *t, unsigned long k, bool rollback, struct apply *done)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct apply a = apply_run(t, (struct apply){ .err = CLU_ERR_INIT, .crash_at = k,
							      .rollback = rollback });

		_exit(a.ret ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 1) {
		/* let the parent say why */
		*done = apply_run(t, (struct apply){ .err = CLU_ERR_INIT, .rollback = rollback });
		fail_msg("the run failed before write %lu: %s", k, done->err.msg);
	}
	return WEXITSTATUS(status);
}

/* How many installers the journal's last run shows running at once. */
static size_t installs_running(struct trial *t)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal;
	struct clu_run_record run;
	int64_t last;
	size_t n = 0;

	assert_int_equal(clu_journal_open(&journal, t->journal, &err), 0);
	assert_int_equal(clu_journal_last_run(journal, &last, &err), 0);
	assert_int_equal(clu_journal_run_load(journal, last, &run, &err), 0);
	for (size_t i = 0; i < run.n_steps; i++)
		n += !strcmp(run.steps[i].action, "install") &&
		     run.steps[i].state == CLU_STEP_RUNNING;
	clu_run_record_release(&run);
	clu_journal_close(journal);
	return n;
}

static int crash_at(struct trial *t, unsigned long k, struct apply *done)
{
	return crash_run_at(t, k, false, done);
}

/*
 * Crash the run (a rollback: rollback) at every journal write in turn, run
 * it again, and expect every node at version and nothing left. Returns the
 * points tried; *most_installs (may be NULL): the most installers found
 * running at once at a crash.
 */
static unsigned crash_run_everywhere(const char *what, const char *cluster,
				     const char *manifest, bool rollback, const char *version,
				     size_t *most_installs)
{
	unsigned points = 0;

	for (unsigned long k = 1;; k++) {
		struct trial t;
		struct apply a;

		trial_init(&t, cluster, manifest);
		if (crash_run_at(&t, k, rollback, &a) != 99) {
			trial_remove(&t);
			break;   /* the run ended before write k: every point tried */
		}
		points++;
		if (most_installs && installs_running(&t) > *most_installs)
			*most_installs = installs_running(&t);
		a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .rollback = rollback });
		if (a.ret)
			fail_msg("%s, crashed at write %lu: the next run failed: %s", what, k,
				 a.err.msg);
		assert_clean_end_at(&t, version);
		trial_remove(&t);
	}
	print_message("crash points: %s: %u tried, each run again to a clean end\n", what, points);
	assert_true(points > 20);
	return points;
}

static unsigned crash_everywhere(const char *what, const char *cluster, const char *manifest)
{
	return crash_run_everywhere(what, cluster, manifest, false, "2", NULL);
}

static void test_crash_in_place(void **state)
{
	(void)state;
	crash_everywhere("3 nodes, in place", three_nodes, in_place);
}

static void test_crash_rolling(void **state)
{
	(void)state;
	crash_everywhere("3 nodes, rolling", three_nodes, rolling);
}

/*
 * Waves: five nodes, max-unavailable 2. A crash at every journal write
 * ends clean when run again; at some of them two installers were running
 * at once (begun, not ended): the wave's installers overlap.
 */
static void test_crash_waves(void **state)
{
	size_t most = 0;

	(void)state;
	crash_run_everywhere("5 nodes, waves of 2", five_nodes, waves, false, "2", &most);
	assert_int_equal(most, 2);
}

static void test_crash_two_groups(void **state)
{
	(void)state;
	crash_everywhere("5 nodes, two groups on different owners", five_nodes_two_groups,
			 two_groups);
}

/* ---- abort ------------------------------------------------------------ */

struct aborted {
	int ret;
	struct clu_err err;
	struct clu_abort_result r;
};

static const struct clu_abort_options abort_fast = {
	.stop_timeout_ms = 5000, .poll_ms = 10, .settle_timeout_ms = 20000,
};

static struct aborted abort_with(struct trial *t, const struct clu_abort_options *o)
{
	struct aborted a = { .err = CLU_ERR_INIT };
	struct clu_journal *journal = NULL;
	struct clu_sim *sim = NULL;

	if (!(a.ret = clu_sim_open(&sim, t->desc, t->state, &a.err)) &&
	    !(a.ret = clu_journal_open(&journal, t->journal, &a.err)))
		a.ret = clu_abort_run(clu_sim_backend(sim), journal, o, &a.r, &a.err);
	clu_journal_close(journal);
	clu_sim_close(sim);
	return a;
}

static struct aborted abort_last(struct trial *t)
{
	return abort_with(t, &abort_fast);
}

/*
 * The cluster's admin state is the starting one (nothing drained, every
 * group managed, no constraint, the lock free) but the guard's bans abort
 * named: each on a node older than the group's data; the guard never
 * broke; the run is aborted and only those bans are open in the journal.
 */
static void assert_aborted(struct trial *t, const struct aborted *ab, const char *what)
{
	struct clu_lock_holder holder;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal;
	struct clu_run_record *runs;
	size_t n_constraints, n_runs, n_kept_bans = 0, n_open = 0;
	const char *const *constraints;
	bool locked = true;
	struct end e;

	if (ab->ret)
		fail_msg("%s: abort failed (%d): %s", what, ab->ret, ab->err.msg);
	end_open(t, &e);
	for (size_t i = 0; i < e.c->n_nodes; i++)
		if (e.c->nodes[i].standby)
			fail_msg("%s: '%s' is still in standby", what, e.c->nodes[i].name);
	for (size_t i = 0; i < e.c->n_groups; i++)
		if (!e.c->groups[i].managed)
			fail_msg("%s: '%s' is still pinned", what, e.c->groups[i].name);
	constraints = clu_sim_constraints(e.sim, &n_constraints);
	for (size_t i = 0; i < n_constraints; i++) {
		char group[64], node[64];
		const struct clu_group *g;

		if (sscanf(constraints[i], "ban %63s %63s", group, node) != 2)
			fail_msg("%s: left '%s'", what, constraints[i]);
		g = clu_cluster_group(e.c, group);
		assert_non_null(g);
		if (clu_version_cmp(clu_cluster_node(e.c, node)->version, g->data_version) >= 0)
			fail_msg("%s: '%s' kept, but no guard needs it", what, constraints[i]);
	}
	for (size_t i = 0; i < ab->r.n_kept; i++)
		if (strstr(ab->r.kept[i].what, "banned from") &&
		    strstr(ab->r.kept[i].why, "the version guard"))
			n_kept_bans++;
	if (n_kept_bans != n_constraints)
		fail_msg("%s: %zu constraints left, abort named %zu", what, n_constraints,
			 n_kept_bans);
	assert_int_equal(clu_sim_backend(e.sim)->ops->lock_read(clu_sim_backend(e.sim), &holder,
								&locked, &err), 0);
	assert_false(locked);
	clu_lock_holder_release(&holder);
	clu_sim_close(e.sim);
	assert_guard_kept(t);

	assert_int_equal(clu_journal_open(&journal, t->journal, &err), 0);
	assert_int_equal(clu_journal_runs(journal, &runs, &n_runs, &err), 0);
	for (size_t i = 0; i < n_runs; i++) {
		struct clu_change *open = NULL;
		size_t n = 0;

		if (runs[i].id == ab->r.run_id)
			assert_int_equal(runs[i].state, CLU_RUN_ABORTED);
		assert_int_equal(clu_journal_changes_open(journal, runs[i].id, &open, &n, &err), 0);
		/* Bans the guard needs stay; so do recorded versions (software installed). */
		for (size_t k = 0; k < n; k++)
			if (!strcmp(open[k].kind, CLU_SIM_CHANGE_BAN))
				n_open++;
			else if (strcmp(open[k].kind, CLU_SIM_CHANGE_VERSION))
				fail_msg("%s: run %lld left %s %s open", what,
					 (long long)runs[i].id, open[k].kind, open[k].target);
		clu_changes_free(open, n);
	}
	assert_int_equal(n_open, n_constraints);
	clu_run_records_free(runs, n_runs);
	clu_journal_close(journal);
}

/* A passive node's installer fails: the run stops; abort puts all back but the guard. */
static void test_abort_after_stop(void **state)
{
	struct clu_sim_fault fails = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n2",
				       .on = CLU_COMMAND_INSTALL, .on_nth = 1 };
	struct trial t;
	struct apply a;
	struct aborted ab;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	add_fault(&t, &fails);
	a = apply(&t, 0);
	assert_int_equal(a.ret, CLU_E_STEP);
	ab = abort_last(&t);
	assert_aborted(&t, &ab, "after a failed installer");
	/* n1 migrated the data: n2 and n3 (version 1) stay banned; n1's
	 * recorded version stays (its software is installed). */
	assert_int_equal(ab.r.n_kept, 3);
	assert_int_equal(ab.r.n_restored, 1);   /* the drain of n2 */
	assert_non_null(strstr(ab.r.restored[0].what, "'n2' back in service"));
	clu_abort_result_release(&ab.r);
	/* Aborted twice: nothing more to do, nothing broken. */
	ab = abort_last(&t);
	assert_aborted(&t, &ab, "aborted again");
	assert_int_equal(ab.r.n_restored, 0);
	clu_abort_result_release(&ab.r);
	/* The update again: it adopts the kept bans and ends clean. */
	a = apply(&t, 0);
	assert_ok(&a);
	assert_clean_end(&t);
	trial_remove(&t);
}

/* A succeeded run has nothing to abort; an empty journal neither. */
static void test_abort_refused(void **state)
{
	struct trial t;
	struct apply a;
	struct aborted ab;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	ab = abort_last(&t);
	assert_int_equal(ab.ret, CLU_E_USAGE);
	clu_abort_result_release(&ab.r);
	a = apply(&t, 0);
	assert_ok(&a);
	ab = abort_last(&t);
	assert_int_equal(ab.ret, CLU_E_REFUSED);
	assert_non_null(strstr(ab.err.msg, "succeeded: there is nothing to abort"));
	clu_abort_result_release(&ab.r);
	trial_remove(&t);
}

/* Crashed at every journal write of a 3-node in-place run, then aborted. */
static void test_abort_crash_in_place(void **state)
{
	unsigned points = 0, kept = 0;

	(void)state;
	for (unsigned long k = 1;; k++) {
		char what[64];
		struct trial t;
		struct apply a;
		struct aborted ab;

		trial_init(&t, three_nodes, in_place);
		if (crash_at(&t, k, &a) != 99) {
			trial_remove(&t);
			break;
		}
		points++;
		snprintf(what, sizeof(what), "crashed at write %lu", k);
		ab = abort_last(&t);
		if (ab.ret == CLU_E_REFUSED) {
			/* Its last write, the run's end: it succeeded. */
			assert_non_null(strstr(ab.err.msg, "succeeded"));
			clu_abort_result_release(&ab.r);
			trial_remove(&t);
			continue;
		}
		assert_aborted(&t, &ab, what);
		kept += ab.r.n_kept ? 1 : 0;
		clu_abort_result_release(&ab.r);
		trial_remove(&t);
	}
	print_message("abort: 3 nodes, in place: crashed at %u journal points, each aborted "
		      "(%u keeping guard bans)\n", points, kept);
	assert_true(points > 20);
	assert_true(kept > 0);
}

/* A rolling run stopped in its switchover (the ban and the move made) is aborted. */
static void test_abort_rolling_switchover(void **state)
{
	unsigned tried = 0;

	(void)state;
	for (unsigned long k = 1; tried < 3; k++) {
		size_t n_constraints;
		const char *const *constraints;
		bool moving = false;
		struct trial t;
		struct apply a;
		struct aborted ab;
		struct end e;

		trial_init(&t, three_nodes, rolling);
		if (crash_at(&t, k, &a) != 99) {
			trial_remove(&t);
			break;
		}
		end_open(&t, &e);
		constraints = clu_sim_constraints(e.sim, &n_constraints);
		for (size_t i = 0; i < n_constraints; i++)
			moving = moving || !strncmp(constraints[i], "prefer ", 7);
		clu_sim_close(e.sim);
		if (moving) {
			ab = abort_last(&t);
			assert_aborted(&t, &ab, "rolling, in the switchover");
			clu_abort_result_release(&ab.r);
			tried++;
		}
		trial_remove(&t);
	}
	print_message("abort: 3 nodes, rolling: crashed at %u points inside the switchover, each "
		      "aborted\n", tried);
	assert_true(tried > 0);
}

/* A run at work on another host is asked through the lock, and stops. */
static void test_abort_requested_through_lock(void **state)
{
	struct trial t;
	struct apply a;
	struct aborted ab;
	struct end e;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .abort_at = 20 });
	assert_int_equal(a.ret, CLU_E_ABORTED);
	if (!strstr(a.err.msg, "abort requested by a test"))
		fail_msg("%s", a.err.msg);
	end_open(&t, &e);
	assert_true(clu_cluster_node(e.c, "n1")->version[0] == '1' ||
		    clu_cluster_node(e.c, "n1")->version[0] == '2');
	clu_sim_close(e.sim);
	ab = abort_last(&t);
	assert_aborted(&t, &ab, "stopped by a request");
	clu_abort_result_release(&ab.r);
	trial_remove(&t);
}

/* The holder on another host does not answer: abort asks, waits, and says so. */
static void test_abort_holder_elsewhere(void **state)
{
	struct clu_abort_options brief = abort_fast;
	struct clu_lock_holder h;
	struct clu_err err = CLU_ERR_INIT;
	bool exists = false;
	struct trial t;
	struct aborted ab;
	struct end e;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	plant_lock(&t, "elsewhere", 4711);
	brief.stop_timeout_ms = 200;
	ab = abort_with(&t, &brief);
	assert_int_equal(ab.ret, CLU_E_LOCKED);
	assert_non_null(strstr(ab.err.msg, "did not stop within"));
	clu_abort_result_release(&ab.r);
	end_open(&t, &e);
	assert_int_equal(clu_sim_backend(e.sim)->ops->lock_read(clu_sim_backend(e.sim), &h,
								&exists, &err), 0);
	assert_true(exists);
	assert_non_null(h.abort_by);
	assert_non_null(strstr(h.abort_by, "clupdate pid"));
	clu_lock_holder_release(&h);
	clu_sim_close(e.sim);
	trial_remove(&t);
}

/* The holder runs on this host: SIGTERM, then abort takes over and undoes. */
static void test_abort_holder_here(void **state)
{
	struct clu_sim_fault fails = { .kind = CLU_SIM_INSTALL_FAILS, .node = "n3",
				       .on = CLU_COMMAND_INSTALL, .on_nth = 1 };
	char host[256] = "";
	int status;
	struct trial t;
	struct apply a;
	struct aborted ab;
	pid_t holder;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	add_fault(&t, &fails);
	a = apply(&t, 0);
	assert_int_equal(a.ret, CLU_E_STEP);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		pause();
		_exit(0);
	}
	gethostname(host, sizeof(host) - 1);
	plant_lock(&t, host, (long)holder);
	ab = abort_last(&t);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_non_null(ab.r.stopped);
	assert_aborted(&t, &ab, "holder here");
	clu_abort_result_release(&ab.r);
	trial_remove(&t);
}

/* The deadline passes in the middle of the run: it stops at the next step boundary. */
static void test_deadline(void **state)
{
	struct trial t;
	struct apply a;
	struct aborted ab;

	(void)state;
	trial_init(&t, three_nodes, in_place);
	a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .late_at = 20,
					  .deadline_mono_ms = clu_now_mono_ms() + 300 });
	assert_int_equal(a.ret, CLU_E_ABORTED);
	if (!strstr(a.err.msg, "the deadline passed: stopped before step"))
		fail_msg("%s", a.err.msg);
	assert_true(a.steps_done > 0 && a.steps_done < 12);
	assert_true(a.n_remaining > 0);       /* what is left is said */
	assert_guard_kept(&t);
	/* The same update again, without a deadline, finishes the job. */
	a = apply(&t, 0);
	assert_ok(&a);
	assert_clean_end(&t);
	/* Or, from the same stop, abort puts everything back. */
	trial_remove(&t);
	trial_init(&t, three_nodes, in_place);
	a = apply_run(&t, (struct apply){ .err = CLU_ERR_INIT, .late_at = 20,
					  .deadline_mono_ms = clu_now_mono_ms() + 300 });
	assert_int_equal(a.ret, CLU_E_ABORTED);
	ab = abort_last(&t);
	assert_aborted(&t, &ab, "after the deadline");
	clu_abort_result_release(&ab.r);
	trial_remove(&t);
}

/* ---- rollback ------------------------------------------------------------ */

#define NODE_AT(n, v) "[node \"" n "\"]\nversion = " v "\n"

/* sp applied everywhere: the data migrated on n1. */
static const char updated[] =
	NODE_AT("n1", "2") NODE_AT("n2", "2") NODE_AT("n3", "2")
	"[group \"mail\"]\nowner = n1\naddress = 10.0.0.10\ndata-version = 2\n";
/* A run stopped after its first passive node: the owner and its data still at 1. */
static const char partly_updated[] =
	NODE_AT("n1", "1") NODE_AT("n2", "2") NODE_AT("n3", "1")
	"[group \"mail\"]\nowner = n1\naddress = 10.0.0.10\ndata-version = 1\n";

static const char with_rollback[] = UPDATE("mail", "in-place", "") "rollback = roll-back\n";
static const char previous_without_down[] =
	UPDATE("mail", "in-place", "previous-version = 1\n") "rollback = roll-back\n";
static const char with_down_migration[] =
	UPDATE("mail", "in-place", "previous-version = 1\n")
	"rollback = roll-back\ndown-migration = down-migrate\n";

static struct apply roll_back(struct trial *t)
{
	return apply_run(t, (struct apply){ .err = CLU_ERR_INIT, .rollback = true });
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' does not say '%s'", text, part);
}

/* Not migrated: the passive node that got the update goes back; the owner is left alone. */
static void test_rollback_not_migrated(void **state)
{
	struct trial t;
	struct apply a;

	(void)state;
	trial_init(&t, partly_updated, with_rollback);
	a = roll_back(&t);
	assert_ok(&a);
	assert_int_equal(a.steps_done, 4);    /* drain, rollback, verify, undrain 'n2' */
	assert_int_equal(a.owner_command_step, 0);
	assert_contains(a.plan_notes, "to version 1 (from the nodes the update has not reached)");
	assert_contains(a.plan_notes, "the data is not migrated");
	assert_clean_end_at(&t, "1");
	a = roll_back(&t);                    /* again: nothing newer than 1 is left */
	assert_ok(&a);
	assert_int_equal(a.steps_done, 0);
	trial_remove(&t);
}

/* Migrated and no down-migration: refused, naming the group and the node; nothing changes. */
static void test_rollback_refused(void **state)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal;
	struct clu_run_record *runs;
	size_t n_runs, n_constraints;
	struct trial t;
	struct apply a;
	struct end e;

	(void)state;
	trial_init(&t, updated, previous_without_down);
	a = roll_back(&t);
	assert_int_equal(a.ret, CLU_E_REFUSED);
	assert_contains(a.err.msg, "the data of group 'mail' is migrated");
	assert_contains(a.err.msg, "on 'n1', its owner");
	assert_contains(a.err.msg, "declares no down-migration command");
	end_open(&t, &e);
	for (size_t i = 0; i < e.c->n_nodes; i++)
		assert_string_equal(e.c->nodes[i].version, "2");
	assert_true(e.c->groups[0].managed);
	clu_sim_constraints(e.sim, &n_constraints);
	assert_int_equal(n_constraints, 0);
	clu_sim_close(e.sim);
	assert_int_equal(clu_journal_open(&journal, t.journal, &err), 0);
	assert_int_equal(clu_journal_runs(journal, &runs, &n_runs, &err), 0);
	assert_int_equal(n_runs, 0);
	clu_journal_close(journal);
	trial_remove(&t);
}

/* With a down-migration: the owner first, pinned, down-migration then rollback, in one step. */
static void test_rollback_down_migration(void **state)
{
	struct trial t;
	struct apply a;

	(void)state;
	trial_init(&t, updated, with_down_migration);
	a = roll_back(&t);
	assert_ok(&a);
	assert_int_equal(a.owner_command_step, 2);    /* right after the pin of 'mail' on 'n1' */
	assert_int_equal(a.steps_done, 12);
	assert_contains(a.plan_notes, "the data of 'mail' is migrated (its owner 'n1'");
	assert_clean_end_at(&t, "1");
	trial_remove(&t);
}

static void test_rollback_crash(void **state)
{
	(void)state;
	crash_run_everywhere("rollback of 3 nodes, down-migration", updated, with_down_migration,
			     true, "1", NULL);
	crash_run_everywhere("rollback of a partial run", partly_updated, with_rollback, true, "1",
			     NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_rolling),
		cmocka_unit_test(test_two_groups),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_node_given_up),
		cmocka_unit_test(test_hook_vetoes),
		cmocka_unit_test(test_version_recorded),
		cmocka_unit_test(test_veto_not_retried),
		cmocka_unit_test(test_health_check_fails),
		cmocka_unit_test(test_soak_and_service_back),
		cmocka_unit_test(test_service_not_back),
		cmocka_unit_test(test_outage_budget),
		cmocka_unit_test(test_settle_never),
		cmocka_unit_test(test_install_hangs),
		cmocka_unit_test(test_node_dies_and_returns),
		cmocka_unit_test(test_node_dies),
		cmocka_unit_test(test_group_moves_by_itself),
		cmocka_unit_test(test_add_on_svc),
		cmocka_unit_test(test_lock_refused),
		cmocka_unit_test(test_lock_taken_over),
		cmocka_unit_test(test_crash_in_place),
		cmocka_unit_test(test_crash_rolling),
		cmocka_unit_test(test_crash_two_groups),
		cmocka_unit_test(test_waves),
		cmocka_unit_test(test_wave_one_fails),
		cmocka_unit_test(test_crash_waves),
		cmocka_unit_test(test_abort_after_stop),
		cmocka_unit_test(test_abort_refused),
		cmocka_unit_test(test_abort_crash_in_place),
		cmocka_unit_test(test_abort_rolling_switchover),
		cmocka_unit_test(test_abort_requested_through_lock),
		cmocka_unit_test(test_abort_holder_elsewhere),
		cmocka_unit_test(test_abort_holder_here),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_rollback_not_migrated),
		cmocka_unit_test(test_rollback_refused),
		cmocka_unit_test(test_rollback_down_migration),
		cmocka_unit_test(test_rollback_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
