/*
 * Predictions learned from runs (history.h, lib/plan-predict.c) and the
 * report's predicted-against-measured (report.h).
 *
 * A journal is filled by real runs of the apply pipeline (apply.h) on a
 * simulated three-node cluster (sim:FILE, 'mail' on n1), the simulation
 * started afresh before each run. A simulated cluster has no service to
 * probe, so the outage a probe would have seen is added to the first
 * run's journal by hand (probe-start, -down, -up, -stop events, as
 * lib/probe.c writes them). Then:
 *   - the history of that cluster has the done steps' medians per kind and
 *     the group's outage for the strategy; another cluster's has none;
 *   - a plan made with it predicts the install with the learned median and
 *     the interruption with the measured outage, each saying "journal, N
 *     runs", and auto changes its choice: with the manifest's figures
 *     (install 60 s, switchover 5 s) it chooses rolling; with 0.4 s
 *     measured in place, in-place;
 *   - the report of the run sets the plan's predictions against the
 *     measured duration and outage;
 *   - medians and the remainder during a run, on figures built by hand.
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

#include "scratch-dir.h"

#include "clupdate/apply.h"
#include "clupdate/history.h"
#include "clupdate/journal.h"
#include "clupdate/plan.h"
#include "clupdate/report.h"

static const char cluster_text[] =
	"[cluster]\nname = sim3\n"
	"[node \"n1\"]\nversion = 1\n"
	"[node \"n2\"]\nversion = 1\n"
	"[node \"n3\"]\nversion = 1\n"
	"[group \"mail\"]\nowner = n1\naddress = 10.0.0.10\n";

static const char manifest_text[] =
	"[update]\nname = mail-sp3\nversion = 2\ngroups = mail\n"
	"data-migration = no\ntakeover-compatible = yes\n"
	"expected-install-time = 60s\nexpected-switchover-time = 5s\n"
	"[install]\ncommand = true\nverify = echo 2\n";

struct fixture {
	char dir[64];
	char desc[128], state[160], log[200], manifest[128], journal_dir[128];
	char source[160];
	struct clu_manifest m;
	struct clu_journal *journal;
};

/* A fresh simulation: the cluster as described, every node at version 1. */
static void fresh_cluster(struct fixture *f)
{
	unlink(f->state);
	unlink(f->log);
}

/* One run of the apply pipeline, as `clupdate apply --yes` makes it; its id. */
static int64_t run_once(struct fixture *f, int strategy)
{
	struct clu_target target;
	struct clu_apply a;
	struct clu_err err = CLU_ERR_INIT;
	int64_t id;
	int ret;

	fresh_cluster(f);
	assert_int_equal(clu_target_open(&target, f->source, f->m.version_attribute, NULL, &err), 0);
	a = (struct clu_apply){ .target = &target, .manifest = &f->m, .journal = f->journal,
				.strategy = strategy,
				.exec = { .cluster_source = f->source, .poll_ms = 1 } };
	ret = clu_apply_run(&a, &err);
	if (ret)
		fail_msg("apply: %s", err.msg);
	assert_true(a.have_run);
	assert_int_equal(a.run.state, CLU_RUN_SUCCEEDED);
	id = a.run.id;
	clu_apply_release(&a);
	clu_target_release(&target);
	return id;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct clu_err err = CLU_ERR_INIT;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/test-history-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->desc, sizeof(f->desc), "%s/sim3.ini", f->dir);
	snprintf(f->state, sizeof(f->state), "%s.state", f->desc);
	snprintf(f->log, sizeof(f->log), "%s.log", f->state);
	snprintf(f->manifest, sizeof(f->manifest), "%s/sp3.conf", f->dir);
	snprintf(f->journal_dir, sizeof(f->journal_dir), "%s/state", f->dir);
	snprintf(f->source, sizeof(f->source), "sim:%s", f->desc);
	for (int i = 0; i < 2; i++) {
		FILE *out = fopen(i ? f->manifest : f->desc, "w");

		assert_non_null(out);
		assert_true(fputs(i ? manifest_text : cluster_text, out) >= 0);
		assert_int_equal(fclose(out), 0);
	}
	assert_int_equal(clu_manifest_load(&f->m, f->manifest, &err), 0);
	assert_int_equal(clu_journal_open(&f->journal, f->journal_dir, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	clu_journal_close(f->journal);
	clu_manifest_release(&f->m);
	scratch_dir_remove(f->dir);
	free(f);
	return 0;
}

/* What smtp would have seen of 'mail' in run: down for down_ms, once. */
static void add_outage(struct fixture *f, int64_t run_id, int64_t down_ms)
{
	struct clu_run_record run;
	struct clu_err err = CLU_ERR_INIT;
	int64_t t0;

	assert_int_equal(clu_journal_run_load(f->journal, run_id, &run, &err), 0);
	t0 = run.started_mono_ms;
	clu_run_record_release(&run);
	assert_int_equal(clu_journal_event(f->journal, run_id, t0 + 1, 1, "probe-start", "smtp",
					   "mail", NULL, &err), 0);
	assert_int_equal(clu_journal_event(f->journal, run_id, t0 + 2, 2, "probe-down", "smtp",
					   "mail", "refused", &err), 0);
	assert_int_equal(clu_journal_event(f->journal, run_id, t0 + 2 + down_ms, 3, "probe-up",
					   "smtp", "mail", NULL, &err), 0);
	assert_int_equal(clu_journal_event(f->journal, run_id, t0 + 3 + down_ms, 4, "probe-stop",
					   "smtp", "mail", "probes=10 failures=2 cpu_ms=1", &err), 0);
}

static void plan_with(struct fixture *f, struct clu_plan *plan, const struct clu_history *h,
		      int strategy)
{
	struct clu_target target;
	struct clu_cluster cluster;
	struct clu_err err = CLU_ERR_INIT;

	fresh_cluster(f);
	assert_int_equal(clu_target_open(&target, f->source, f->m.version_attribute, NULL, &err), 0);
	assert_int_equal(clu_target_read(&target, &cluster, &err), 0);
	if (clu_plan_make_learned(plan, &f->m, &cluster, strategy, h, &err))
		fail_msg("plan: %s", err.msg);
	clu_cluster_release(&cluster);
	clu_target_release(&target);
}

static const struct clu_step *first_step(const struct clu_plan *plan, enum clu_action action)
{
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i].action == action)
			return &plan->steps[i];
	fail_msg("no %s step", clu_action_name(action));
	return NULL;
}

/* Without a journal: the manifest's figures, and auto takes the 5 s switchover. */
static void test_manifest_only(void **state)
{
	struct fixture *f = *state;
	struct clu_plan plan;
	const struct clu_step *install;

	plan_with(f, &plan, NULL, -1);
	assert_int_equal(plan.strategy, CLU_STRATEGY_ROLLING);
	install = first_step(&plan, CLU_ACTION_INSTALL);
	assert_int_equal(install->predicted_ms, 60000);
	assert_int_equal(install->predicted_from.basis, CLU_BASIS_MANIFEST);
	assert_int_equal(first_step(&plan, CLU_ACTION_MOVE)->interrupts_ms, 5000);
	assert_int_equal(plan.interruptions[0].ms, 5000);
	assert_int_equal(plan.interruptions[0].from.basis, CLU_BASIS_MANIFEST);
	assert_int_equal(plan.predicted_from.basis, CLU_BASIS_MANIFEST);
	/* Three installs one after the other and the switchover; nothing else is known. */
	assert_int_equal(plan.predicted_ms, 3 * 60000 + 5000);
	clu_plan_release(&plan);
}

static void test_learned_from_runs(void **state)
{
	struct fixture *f = *state;
	struct clu_history h, other;
	struct clu_plan plan;
	struct clu_err err = CLU_ERR_INIT;
	const struct clu_history_step *install;
	const struct clu_history_outage *outage;
	const struct clu_step *step;
	int64_t first = run_once(f, CLU_STRATEGY_IN_PLACE);

	add_outage(f, first, 400);
	run_once(f, CLU_STRATEGY_IN_PLACE);

	assert_int_equal(clu_history_load(&h, f->journal, f->source, &err), 0);
	assert_int_equal(h.runs, 2);
	install = clu_history_step(&h, "install");
	assert_non_null(install);
	assert_int_equal(install->samples, 6);     /* three nodes, two runs */
	assert_int_equal(install->runs, 2);
	assert_true(install->ms < 60000);          /* the sim's commands take no real time */
	assert_non_null(clu_history_step(&h, "pin"));
	outage = clu_history_outage(&h, "mail", "in-place");
	assert_non_null(outage);
	assert_int_equal(outage->ms, 400);
	assert_int_equal(outage->runs, 1);         /* the second run had no probe */
	assert_null(clu_history_outage(&h, "mail", "rolling"));

	/* Another cluster learns nothing from these runs. */
	assert_int_equal(clu_history_load(&other, f->journal, "sim:elsewhere.ini", &err), 0);
	assert_int_equal(other.runs, 0);
	assert_int_equal(other.n_steps, 0);
	clu_history_release(&other);

	/* auto: 0.4 s measured in place beats the manifest's 5 s switchover. */
	plan_with(f, &plan, &h, -1);
	assert_int_equal(plan.strategy, CLU_STRATEGY_IN_PLACE);
	assert_non_null(strstr(plan.choice, "400 ms"));
	step = first_step(&plan, CLU_ACTION_INSTALL);
	assert_int_equal(step->predicted_ms, install->ms);
	assert_int_equal(step->predicted_from.basis, CLU_BASIS_JOURNAL);
	assert_int_equal(step->predicted_from.runs, 2);
	assert_int_equal(step->interrupts_ms, 400);
	assert_int_equal(step->interrupts_from.basis, CLU_BASIS_JOURNAL);
	assert_int_equal(step->interrupts_from.runs, 1);
	assert_int_equal(plan.interruptions[0].ms, 400);
	assert_int_equal(plan.interruptions[0].from.basis, CLU_BASIS_JOURNAL);
	assert_int_equal(plan.predicted_from.basis, CLU_BASIS_JOURNAL);
	assert_true(plan.predicted_ms < 60000);
	clu_plan_release(&plan);

	/* Rolling: no rolling run measured, the switchover is the manifest's. */
	plan_with(f, &plan, &h, CLU_STRATEGY_ROLLING);
	step = first_step(&plan, CLU_ACTION_MOVE);
	assert_int_equal(step->interrupts_ms, 5000);
	assert_int_equal(step->interrupts_from.basis, CLU_BASIS_MANIFEST);
	assert_int_equal(first_step(&plan, CLU_ACTION_INSTALL)->predicted_from.basis,
			 CLU_BASIS_JOURNAL);
	clu_plan_release(&plan);
	clu_history_release(&h);
}

/* The report of run id, from the journal (released with report_release()). */
static void report_of(struct fixture *f, int64_t id, struct clu_run_record *run,
		      struct clu_report *r)
{
	struct clu_err err = CLU_ERR_INIT;

	assert_int_equal(clu_journal_run_load(f->journal, id, run, &err), 0);
	assert_int_equal(clu_report_make(r, run, &err), 0);
}

static void report_release(struct clu_run_record *run, struct clu_report *r)
{
	clu_report_release(r);
	clu_run_record_release(run);
}

/* The report sets what the run's plan predicted against what was measured. */
static void test_report_predicted_against_measured(void **state)
{
	struct fixture *f = *state;
	struct clu_run_record run;
	struct clu_report r;
	int64_t first = run_once(f, CLU_STRATEGY_IN_PLACE), second;

	add_outage(f, first, 250);
	second = run_once(f, CLU_STRATEGY_IN_PLACE);
	add_outage(f, second, 300);

	/* The first run was planned with the manifest's figures. */
	report_of(f, first, &run, &r);
	assert_int_equal(r.predicted_ms, 3 * 60000);
	assert_string_equal(r.predicted_from, "manifest");
	assert_int_equal(r.n_groups, 1);
	assert_string_equal(r.groups[0].group, "mail");
	assert_int_equal(r.groups[0].predicted_ms, 60000);
	assert_int_equal(r.groups[0].predicted_windows, 1);
	assert_string_equal(r.groups[0].predicted_from, "manifest");
	assert_int_equal(r.groups[0].measured_ms, 250);
	assert_int_equal(r.groups[0].measured_windows, 1);
	report_release(&run, &r);

	/* The second, with the first's: 250 ms learned from 1 run, 300 measured. */
	report_of(f, second, &run, &r);
	assert_string_equal(r.predicted_from, "journal");
	assert_int_equal(r.predicted_runs, 1);
	assert_int_equal(r.groups[0].predicted_ms, 250);
	assert_string_equal(r.groups[0].predicted_from, "journal");
	assert_int_equal(r.groups[0].predicted_runs, 1);
	assert_int_equal(r.groups[0].measured_ms, 300);
	report_release(&run, &r);
}

/* A run with no probe: the group's interruption predicted, not measured. */
static void test_report_not_measured(void **state)
{
	struct fixture *f = *state;
	struct clu_run_record run;
	struct clu_report r;

	report_of(f, run_once(f, CLU_STRATEGY_ROLLING), &run, &r);
	assert_int_equal(r.n_groups, 1);
	assert_int_equal(r.groups[0].predicted_ms, 5000);
	assert_int_equal(r.groups[0].measured_ms, -1);
	assert_true(r.predicted_ms >= 0);
	report_release(&run, &r);
}

/* Medians of figures built by hand, and the remainder during a run. */
static void test_median_and_remaining(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_history h;
	struct clu_plan plan;
	const int64_t outages[] = { 900, 100, 300 };
	bool *done;
	unsigned all;

	for (size_t i = 0; i < 3; i++)
		add_outage(f, run_once(f, CLU_STRATEGY_IN_PLACE), outages[i]);
	assert_int_equal(clu_history_load(&h, f->journal, f->source, &err), 0);
	assert_int_equal(clu_history_outage(&h, "mail", "in-place")->ms, 300);
	assert_int_equal(clu_history_outage(&h, "mail", "in-place")->runs, 3);
	clu_history_release(&h);

	/* Manifest figures: three 60 s installs. */
	plan_with(f, &plan, NULL, CLU_STRATEGY_IN_PLACE);
	done = calloc(plan.n_steps, sizeof(*done));
	assert_non_null(done);
	all = clu_plan_remaining_ms(&plan, done, 0, 0);
	assert_int_equal(all, plan.predicted_ms);
	assert_int_equal(all, 180000);
	/* In the first install, 20 s in: 40 s of it left, and two more. */
	for (size_t i = 0; plan.steps[i].action != CLU_ACTION_INSTALL; i++)
		done[i] = true;
	assert_int_equal(clu_plan_remaining_ms(&plan, done, first_step(&plan,
				CLU_ACTION_INSTALL)->index, 20000), 160000);
	/* Overrun: that step counts 0, never less. */
	assert_int_equal(clu_plan_remaining_ms(&plan, done, first_step(&plan,
				CLU_ACTION_INSTALL)->index, 90000), 120000);
	for (size_t i = 0; i < plan.n_steps; i++)
		done[i] = true;
	assert_int_equal(clu_plan_remaining_ms(&plan, done, 0, 0), 0);
	free(done);
	clu_plan_release(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_manifest_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learned_from_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_predicted_against_measured, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report_not_measured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_median_and_remaining, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
