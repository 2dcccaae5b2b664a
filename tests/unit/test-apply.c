/*
 * The apply pipeline (apply.h) before its run: the state is read from a
 * settled engine. On a simulated three-node cluster whose engine is still
 * busy for 30 looks when apply starts (a node joining, a transition):
 *   - apply tells the front end once that it waits, then plans and runs;
 *   - an interruption, or a deadline already passed, ends the wait with
 *     CLU_E_ABORTED, and nothing is planned, journalled or changed;
 *   - an engine that never settles is CLU_E_CLUSTER "before planning".
 * An idle engine is not waited for (the callback is not called).
 */
#include <setjmp.h>
#include <signal.h>
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
#include "clupdate/journal.h"

static const char cluster_text[] =
	"[cluster]\nname = sim3\n"
	"[node \"n1\"]\nversion = 1\n"
	"[node \"n2\"]\nversion = 1\n"
	"[node \"n3\"]\nversion = 1\n"
	"[group \"mail\"]\nowner = n1\naddress = 10.0.0.10\n";

static const char manifest_text[] =
	"[update]\nname = mail-sp2\nversion = 2\ngroups = mail\n"
	"data-migration = yes\ntakeover-compatible = no\n"
	"[install]\ncommand = true\nverify = echo 2\n";

struct fixture {
	char dir[64];
	char desc[128], manifest[128], journal_dir[128], source[160];
	struct clu_manifest m;
	struct clu_journal *journal;
	unsigned settling_calls, settling_timeout_ms;
};

/* The simulation's description: the cluster, and extra (its engine's state). */
static void describe(struct fixture *f, const char *extra)
{
	FILE *out = fopen(f->desc, "w");

	assert_non_null(out);
	assert_true(fprintf(out, "%s%s", cluster_text, extra) > 0);
	assert_int_equal(fclose(out), 0);
}

static void settling(void *ctx, unsigned timeout_ms)
{
	struct fixture *f = ctx;

	f->settling_calls++;
	f->settling_timeout_ms = timeout_ms;
	/* A front end's line takes its time (a slow terminal, a loaded CI
	 * machine): the wait still names its whole length. */
	usleep(5000);
}

/* One apply, as `clupdate apply --yes` makes it, with exec's options; its status. */
static int apply(struct fixture *f, struct clu_exec_options exec, struct clu_apply *a,
		 struct clu_err *err)
{
	struct clu_target target;
	int ret;

	assert_int_equal(clu_target_open(&target, f->source, NULL, NULL, err), 0);
	exec.cluster_source = f->source;
	exec.poll_ms = 1;
	*a = (struct clu_apply){ .target = &target, .manifest = &f->m, .journal = f->journal,
				 .strategy = -1, .exec = exec, .settling = settling, .ctx = f };
	ret = clu_apply_run(a, err);
	clu_target_release(&target);
	return ret;
}

/* Nothing was planned, journalled or changed. */
static void assert_nothing_done(struct fixture *f, const struct clu_apply *a)
{
	int64_t last = -1;
	struct clu_err err = CLU_ERR_INIT;

	assert_false(a->executed);
	assert_false(a->have_run);
	assert_int_equal(clu_journal_last_run(f->journal, &last, &err), 0);
	assert_int_equal(last, 0);
}

static void test_busy_engine_waited_for(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_apply a;

	describe(f, "[state]\nbusy = 30\n");
	if (apply(f, (struct clu_exec_options){ 0 }, &a, &err))
		fail_msg("apply: %s", err.msg);
	assert_int_equal(f->settling_calls, 1);
	assert_int_equal(f->settling_timeout_ms, 120000);   /* the executor's default */
	assert_true(a.have_run);
	assert_int_equal(a.run.state, CLU_RUN_SUCCEEDED);
	clu_apply_release(&a);
}

static void test_idle_engine_not_waited_for(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_apply a;

	describe(f, "");
	if (apply(f, (struct clu_exec_options){ .settle_timeout_ms = 5000 }, &a, &err))
		fail_msg("apply: %s", err.msg);
	assert_int_equal(f->settling_calls, 0);
	assert_int_equal(a.run.state, CLU_RUN_SUCCEEDED);
	clu_apply_release(&a);
}

static void test_interrupted_while_waiting(void **state)
{
	struct fixture *f = *state;
	static volatile sig_atomic_t interrupted = 1;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_apply a;

	describe(f, "[state]\nbusy = 30\n");
	assert_int_equal(apply(f, (struct clu_exec_options){ .interrupted = &interrupted }, &a,
			       &err), CLU_E_ABORTED);
	assert_string_equal(err.msg, "interrupted while waiting for the engine to settle: "
			    "nothing was changed");
	assert_nothing_done(f, &a);
	clu_apply_release(&a);
}

static void test_deadline_passed_while_waiting(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_apply a;

	describe(f, "[state]\nbusy = 30\n");
	assert_int_equal(apply(f, (struct clu_exec_options){ .deadline_mono_ms = 1 }, &a, &err),
			 CLU_E_ABORTED);
	assert_string_equal(err.msg, "the deadline passed while waiting for the engine to "
			    "settle: nothing was changed");
	assert_nothing_done(f, &a);
	clu_apply_release(&a);
}

static void test_never_settles(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_apply a;

	describe(f, "[fault \"election\"]\nwhat = settle-never\n");
	assert_int_equal(apply(f, (struct clu_exec_options){ .settle_timeout_ms = 30000 }, &a,
			       &err), CLU_E_CLUSTER);
	assert_string_equal(err.msg, "before planning (nothing was changed): the cluster did "
			    "not settle within 30 s (a transition is still running)");
	assert_int_equal(f->settling_timeout_ms, 30000);
	assert_nothing_done(f, &a);
	clu_apply_release(&a);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct clu_err err = CLU_ERR_INIT;
	FILE *out;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/test-apply-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->desc, sizeof(f->desc), "%s/sim3.ini", f->dir);
	snprintf(f->manifest, sizeof(f->manifest), "%s/sp2.conf", f->dir);
	snprintf(f->journal_dir, sizeof(f->journal_dir), "%s/state", f->dir);
	snprintf(f->source, sizeof(f->source), "sim:%s", f->desc);
	out = fopen(f->manifest, "w");
	assert_non_null(out);
	assert_true(fputs(manifest_text, out) >= 0);
	assert_int_equal(fclose(out), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_busy_engine_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_engine_not_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_while_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_passed_while_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_settles, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
