/*
 * The apply pipeline (see apply.h): lock, read, recover, plan, confirm,
 * check, probes, run, record. Each stage is the library's own; the front
 * end only answers the confirmation and shows progress.
 */
#include <stdlib.h>
#include <string.h>

#include "clupdate/apply.h"
#include "clupdate/history.h"
#include "clupdate/probe.h"
#include "util.h"

/* apply's wait for a busy engine before planning (read_settled). */
struct settle_wait {
	struct clu_apply *apply;
	unsigned timeout_ms;        /* the whole wait's */
	bool told;                  /* the front end heard that apply waits */
};

/*
 * Between looks at a busy engine: the front end hears once that apply
 * waits; an interruption or the deadline ends the wait.
 */
static int settle_tick(void *ctx, const char *unmet, struct clu_err *err)
{
	struct settle_wait *w = ctx;
	const struct clu_apply *a = w->apply;

	(void)unmet;
	if (!w->told && a->settling)
		a->settling(a->ctx, w->timeout_ms);
	w->told = true;
	if (a->exec.interrupted && *a->exec.interrupted)
		return clu_err_set(err, CLU_E_ABORTED, "interrupted while waiting for the engine "
				   "to settle: nothing was changed");
	if (a->exec.deadline_mono_ms && clu_now_mono_ms() > a->exec.deadline_mono_ms)
		return clu_err_set(err, CLU_E_ABORTED, "the deadline passed while waiting for the "
				   "engine to settle: nothing was changed");
	return 0;
}

/*
 * Stage 2: the live state, once the engine has settled. A node still
 * joining, an election or a transition under way shows a state about to
 * change (while a node joins, its partition reads as without quorum):
 * planning from it would refuse for no reason, or plan for a placement
 * that is passing. So the state is read at the first look where the
 * engine is idle, and kept if it is idle still after the read (an engine
 * idle at once costs two idle looks and one read, and the front end
 * hears nothing). Not idle twice in a row, as after a step: an engine
 * that a stream of small changes keeps busy for moments (another host
 * renewing its lock, attributes updated) has idle moments enough for a
 * read, and none may be that long.
 */
static int read_settled(struct clu_apply *a, struct clu_err *err)
{
	struct clu_backend *b = a->target->backend;
	struct clu_exec_options o = a->exec;
	struct settle_wait w = { .apply = a };
	struct clu_settle how = { .manifest = a->manifest, .looks = 1, .tick = settle_tick,
				  .ctx = &w, .last = &a->cluster };
	struct clu_err why = CLU_ERR_INIT;
	int64_t until;
	bool idle = false;
	int ret;

	if (!a->target->live)
		return clu_target_read(a->target, &a->cluster, err);
	clu_exec_fill_defaults(&o);
	w.timeout_ms = o.settle_timeout_ms;
	how.poll_ms = o.poll_ms;
	until = clu_now_mono_ms() + o.settle_timeout_ms;
	do {
		int64_t left = until - clu_now_mono_ms();

		how.timeout_ms = left > 1 ? (unsigned)left : 1;
		if ((ret = b->ops->settle(b, &how, &why)))
			break;
		if ((ret = b->ops->idle(b, &idle, err)) || idle)
			return ret;
		clu_cluster_release(&a->cluster);
		memset(&a->cluster, 0, sizeof(a->cluster));
	} while (clu_now_mono_ms() < until);
	/*
	 * The time ran out: with no facts to wait for, that is the only way a
	 * pass ends in CLU_E_STEP. Said for the whole wait, not for the share
	 * of it the last pass had (119 s, after a slow first line). No state
	 * to plan from.
	 */
	if (!ret || why.code == CLU_E_STEP)
		return clu_err_set(err, CLU_E_CLUSTER, "before planning (nothing was changed): the "
				   "cluster did not settle within %u s (a transition is still "
				   "running)", o.settle_timeout_ms / 1000);
	return clu_err_set(err, why.code, "%s", why.msg);
}

/* Stages 1-4: from the live state to a plan; nothing changes. */
static int make_plan(struct clu_apply *a, struct clu_err *err)
{
	struct clu_backend *b = a->target->backend;
	struct clu_err holder = CLU_ERR_INIT;
	bool held = false;
	int ret = 0;

	/* Another run at work: say so now, not after a plan (break-lock: later). */
	if (!a->exec.break_stale_lock)
		ret = clu_exec_check_lock(b, err);
	else
		held = clu_exec_check_lock(b, &holder) == CLU_E_LOCKED;
	/*
	 * With --break-lock and the lock held, the executor watches its holder
	 * before any change, and refuses or takes over. A live holder keeps
	 * the engine busy with its renewals: waiting for the engine first
	 * would outwait the holder, so the state is read as it is.
	 */
	if (!ret)
		ret = held ? clu_target_read(a->target, &a->cluster, err) : read_settled(a, err);
	/* A rollback: from here on, its manifest is the one that runs. */
	if (!ret && a->rollback &&
	    !(ret = clu_rollback_prepare(&a->rollback_decided, a->manifest, &a->cluster, err))) {
		a->have_rollback = true;
		a->manifest = &a->rollback_decided.manifest;
	}
	/* Nodes left drained by an unfinished earlier run are ours to undrain. */
	if (!ret)
		ret = clu_exec_mark_leftovers(b, a->journal, a->manifest, &a->cluster, err);
	if (!ret && a->rollback)
		ret = clu_rollback_plan(&a->plan, &a->rollback_decided, &a->cluster, err);
	else if (!ret) {
		/* Predictions learned from this cluster's earlier runs, if any. */
		struct clu_history history;

		ret = clu_history_load(&history, a->journal, a->exec.cluster_source ?
				       a->exec.cluster_source : "pacemaker", err);
		if (!ret)
			ret = clu_plan_make_learned(&a->plan, a->manifest, &a->cluster,
						    a->strategy, &history, err);
		clu_history_release(&history);
	}
	a->planned = !ret;
	return ret;
}

/* Stages 6-7: every node answers as itself; the probes are resolved. */
static int prepare(struct clu_apply *a, struct clu_err *err)
{
	int ret = clu_target_check_nodes(a->target, &a->plan, a->checking, a->ctx, err);

	if (ret)
		return ret;
	if (a->no_probes)
		a->no_probes_why = "--no-probes";
	else if (a->target->sim)
		a->no_probes_why = "a simulated cluster has no service to measure";
	else
		ret = clu_target_probe_targets(a->target, a->manifest, &a->probes, &a->n_probes,
					       err);
	a->exec.probes = a->probes;
	a->exec.n_probes = a->n_probes;
	return ret;
}

/* Stage 9: the run as the journal holds it (a refused run left none). */
static void record(struct clu_apply *a)
{
	struct clu_err load_err = CLU_ERR_INIT;

	if (!a->result.run_id)
		return;
	a->have_run = !clu_journal_run_load(a->journal, a->result.run_id, &a->run, &load_err);
	if (!a->have_run)
		a->run_load_error = clu__xstrdup(load_err.msg);
}

int clu_apply_run(struct clu_apply *a, struct clu_err *err)
{
	int ret = make_plan(a, err);

	if (ret)
		return ret;
	if (a->confirm && !a->confirm(a->ctx, &a->plan, a->manifest, &a->cluster)) {
		a->declined = true;
		return 0;
	}
	if ((ret = prepare(a, err)))
		return ret;
	if (!a->exec.cluster_source)
		a->exec.cluster_source = a->target->spec;
	if (a->starting)
		a->starting(a->ctx, &a->plan);
	ret = clu_exec_run(&a->plan, a->manifest, a->target->backend, a->journal, &a->exec,
			   &a->result, err);
	a->executed = true;
	record(a);
	return ret;
}

void clu_apply_release(struct clu_apply *a)
{
	if (a->have_run)
		clu_run_record_release(&a->run);
	free(a->run_load_error);
	clu_exec_result_release(&a->result);
	clu_probe_targets_free(a->probes, a->n_probes);
	if (a->planned)
		clu_plan_release(&a->plan);
	if (a->have_rollback)
		clu_rollback_release(&a->rollback_decided);
	a->have_rollback = false;
	clu_cluster_release(&a->cluster);
	a->have_run = a->planned = false;
	a->run_load_error = NULL;
	a->probes = NULL;
	a->n_probes = 0;
}
