/*
 * The executor's run (see exec.h): the plan, step by step, against the
 * cluster behind a backend, with the journal as the record of every intent
 * and outcome. This file holds the run's frame: it is journalled, takes
 * the cluster lock, starts the probes, walks the steps (exec-step.c; the
 * node commands of one kind in a wave of several passive nodes at once)
 * and gives up passive nodes as max-failed-nodes allows; then it undoes what
 * earlier stopped runs left (exec-recover.c), checks delivered mail
 * (exec-deliver.c), lists what stays after a stop, and releases the lock.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clupdate/model-json.h"
#include "exec-internal.h"

void exec_progress(struct executor *x, enum clu_exec_event event, const struct clu_step *s,
		   unsigned attempt, const char *message)
{
	struct clu_exec_progress p = {
		.event = event,
		.step = s,
		.n_steps = (unsigned)x->plan->n_steps,
		.attempt = attempt,
		.step_elapsed_ms = clu_now_mono_ms() - x->step_start_mono,
		.run_elapsed_ms = clu_now_mono_ms() - x->run_start_mono,
		.message = message,
		.plan = x->plan,
	};
	struct clu_probe_look *looks = NULL;

	if (!x->opt.progress)
		return;
	/* What the probes see now, for a live view of the run. */
	if (x->prober && x->opt.n_probes) {
		looks = clu__xcalloc(x->opt.n_probes, sizeof(*looks));
		for (size_t i = 0; i < x->opt.n_probes; i++)
			clu_prober_look(x->prober, i, &looks[i]);
		p.probes = looks;
		p.n_probes = x->opt.n_probes;
	}
	x->opt.progress(x->opt.progress_ctx, &p);
	free(looks);
}

bool exec_interrupted(const struct executor *x)
{
	return (x->opt.interrupted && *x->opt.interrupted) || x->abort_requested;
}

void exec_event(struct executor *x, int64_t at_mono, const char *kind, const char *source,
		const char *group, const char *detail)
{
	struct clu_err ignored = CLU_ERR_INIT;
	int64_t real = clu_now_real_ms() - (clu_now_mono_ms() - at_mono);

	clu_journal_event(x->journal, x->run_id, at_mono, real, kind, source, group, detail,
			  &ignored);
}

void clu_exec_result_release(struct clu_exec_result *r)
{
	for (size_t i = 0; i < r->n_remaining; i++) {
		free(r->remaining[i].what);
		free(r->remaining[i].why);
	}
	free(r->remaining);
	free(r->failed_node);
	free(r->failed_output);
	free(r->check_failure);
	memset(r, 0, sizeof(*r));
}

/* ---- nodes given up -------------------------------------------------- */

/* Whether node runs an updated group at some point of the plan (an owner). */
static bool owner_in_plan(const struct clu_plan *plan, const char *node)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];

		if ((s->action == CLU_ACTION_PIN || (s->action == CLU_ACTION_BAN && s->with_move)) &&
		    clu__streq(s->node, node))
			return true;
	}
	return false;
}

/*
 * A passive node whose command failed (after its retries) may be given up
 * while the manifest's max-failed-nodes allows: it stays drained, and the
 * version guard's bans on it stay (its verify never runs), so the cluster
 * is as safe as if the run had stopped; the other nodes go on.
 */
static bool give_up_node(struct executor *x, const struct clu_step *s, int ret,
			 const struct clu_err *err)
{
	char *detail;

	if (!clu_action_runs_on_node(s->action) || ret == CLU_E_JOURNAL || ret == CLU_E_ABORTED ||
	    ret == CLU_E_LOCKED || x->failed_nodes.n >= x->manifest->max_failed_nodes ||
	    owner_in_plan(x->plan, s->node))
		return false;
	clu__strv_push(&x->failed_nodes, s->node);
	if (!x->first_failure)
		x->first_failure = clu__xasprintf("step %u (%s on %s): %s", s->index,
						  clu_action_name(s->action), s->node, err->msg);
	detail = clu__xasprintf("step %u: %s; %zu of %u failed nodes allowed", s->index, err->msg,
				x->failed_nodes.n, x->manifest->max_failed_nodes);
	exec_event(x, clu_now_mono_ms(), "node-failed", s->node, NULL, detail);
	free(detail);
	return true;
}

static bool skipped(const struct executor *x, const struct clu_step *s)
{
	return s->node && clu__strv_has(&x->failed_nodes, s->node) &&
	       (clu_action_runs_on_node(s->action) || s->action == CLU_ACTION_UNDRAIN);
}

/* A failed step's error, with the step it failed at. */
static int step_failed(struct executor *x, const struct clu_step *s, int ret,
		       struct clu_err *err)
{
	char *why;

	x->result->failed_step = s->index;
	x->result->failed_node = clu__xstrdup_or_null(s->node);
	if (ret == CLU_E_JOURNAL || ret == CLU_E_ABORTED || ret == CLU_E_LOCKED)
		return ret;
	why = clu__xstrdup(err->msg);
	ret = clu_err_set(err, CLU_E_STEP, "step %u (%s%s%s) failed: %s", s->index,
			  clu_action_name(s->action), s->node ? " on " : "", s->node ? s->node : "",
			  why);
	free(why);
	return ret;
}

/*
 * How many steps from i on run at once: node commands of one kind (and
 * hook) on the nodes of one wave, none of them given up. 1: alone.
 */
static size_t together_from(const struct executor *x, size_t i)
{
	const struct clu_step *first = &x->plan->steps[i];
	size_t n = 1;

	if (!clu_action_runs_on_node(first->action))
		return 1;
	for (size_t j = i + 1; j < x->plan->n_steps; j++, n++) {
		const struct clu_step *s = &x->plan->steps[j];

		if (s->action != first->action || s->wave != first->wave ||
		    (s->hook || first->hook) != clu__streq(s->hook, first->hook) ||
		    clu__streq(s->node, first->node) ||
		    skipped(x, s))
			break;
	}
	return n;
}

/*
 * Steps i .. i+n-1 at once (a wave's installers, say): each done, or its
 * node given up, or the first that may not be given up fails the run
 * once all of them have ended.
 */
static int walk_together(struct executor *x, size_t i, size_t n, struct clu_err *err)
{
	const struct clu_step **steps = clu__xcalloc(n, sizeof(*steps));
	struct clu_err *errs = clu__xcalloc(n, sizeof(*errs));
	int *rets = clu__xcalloc(n, sizeof(*rets));
	int ret = 0;

	for (size_t k = 0; k < n; k++) {
		steps[k] = &x->plan->steps[i + k];
		errs[k] = (struct clu_err)CLU_ERR_INIT;
	}
	exec_run_together(x, steps, n, rets, errs);
	for (size_t k = 0; k < n; k++) {
		if (!rets[k])
			x->result->steps_done++;
		else if (!ret && !give_up_node(x, steps[k], rets[k], &errs[k])) {
			*err = errs[k];
			ret = step_failed(x, steps[k], rets[k], err);
		}
	}
	free(steps);
	free(errs);
	free(rets);
	return ret;
}

/* The steps in order; 0 when every one is done (or skipped with its node). */
static int walk(struct executor *x, struct clu_err *err)
{
	for (size_t i = 0; i < x->plan->n_steps; i++) {
		const struct clu_step *s = &x->plan->steps[i];
		int ret;

		if (x->abort_requested)
			return clu_err_set(err, CLU_E_ABORTED, "stopped before step %u: abort "
					   "requested by %s", s->index, x->abort_requested);
		if (exec_interrupted(x))
			return clu_err_set(err, CLU_E_ABORTED, "interrupted before step %u", s->index);
		if (x->opt.deadline_mono_ms && clu_now_mono_ms() >= x->opt.deadline_mono_ms)
			return clu_err_set(err, CLU_E_ABORTED, "the deadline passed: stopped before "
					   "step %u, with %u of %zu steps done, %zu left ('clupdate "
					   "resume' continues)", s->index, x->result->steps_done,
					   x->plan->n_steps, x->plan->n_steps - i);
		if (skipped(x, s)) {
			if ((ret = exec_skip_step(x, s, err)))
				return ret;
			continue;
		}
		if ((ret = exec_check_budget(x, s, err)))
			return ret;
		if (together_from(x, i) > 1) {
			size_t n = together_from(x, i);

			if ((ret = walk_together(x, i, n, err)))
				return ret;
			i += n - 1;
			continue;
		}
		ret = exec_run_step(x, s, err);
		if (ret && !give_up_node(x, s, ret, err))
			return step_failed(x, s, ret, err);
		if (!ret)
			x->result->steps_done++;
	}
	return 0;
}

/* ---- the end --------------------------------------------------------- */

/* The probes' last look and the mail check; ret is the run's outcome so far. */
static int finish_probes(struct executor *x, int ret, struct clu_err *err)
{
	unsigned interval = x->opt.probes[0].spec->interval_ms;
	struct clu_err check_err = CLU_ERR_INIT;
	int checked;

	/* A last window, if any, must close while the probes still look. */
	clu__sleep_ms(2 * (interval ? interval : 50));
	checked = exec_check_delivered(x, &check_err);
	if (checked)
		x->result->check_failure = clu__xstrdup(check_err.msg);
	if (!ret && checked) {
		*err = check_err;
		ret = checked;
	}
	/* An update that lost acknowledged mail did not succeed. */
	if (!ret && x->result->lost)
		ret = clu_err_set(err, CLU_E_STEP, "%zu of %zu messages acknowledged during the run "
				  "are missing from the store", x->result->lost,
				  x->result->acknowledged);
	return ret;
}

static int nodes_given_up(struct executor *x, struct clu_err *err)
{
	size_t n = x->failed_nodes.n;

	x->result->failed_node = clu__xstrdup(x->failed_nodes.v[0]);
	return clu_err_set(err, CLU_E_STEP, "the other nodes are updated, but %zu node%s failed "
			   "and %s left out of service (max-failed-nodes = %u); the first: %s", n,
			   n == 1 ? "" : "s", n == 1 ? "was" : "were",
			   x->manifest->max_failed_nodes, x->first_failure);
}

/* Journal the run's end; refused at the lock, it did nothing: discarded. */
static int end_run(struct executor *x, int ret, struct clu_err *err)
{
	struct clu_err jerr = CLU_ERR_INIT;

	if (ret)
		exec_collect_remaining(x);
	if (ret != CLU_E_LOCKED)
		exec_lock_release(x);
	/* Refused at the lock: the run at work stays the journal's last. */
	if (ret == CLU_E_LOCKED && !x->lock_ever_held &&
	    !clu_journal_run_discard(x->journal, x->run_id, &jerr)) {
		x->result->run_id = 0;
		return ret;
	}
	if (clu_journal_run_end(x->journal, x->run_id, ret ? CLU_RUN_FAILED : CLU_RUN_SUCCEEDED,
				ret ? err->msg : NULL, &jerr) && !ret) {
		*err = jerr;
		ret = jerr.code;
	}
	return ret;
}

/* ---- the run --------------------------------------------------------- */

static int begin_run(struct executor *x, struct clu_err *err)
{
	const struct clu_manifest *m = x->manifest;
	char *path_copy = clu__xstrdup(m->path), *plan_json = clu_plan_to_json(x->plan);
	struct clu_run_begin begin = {
		.update = m->name, .version = m->version,
		.manifest_path = m->path, .manifest_text = m->text ? m->text : "",
		.strategy = x->plan->rollback ? "rollback" : clu_strategy_name(x->plan->strategy),
		.cluster = x->opt.cluster_source ? x->opt.cluster_source : "pacemaker",
		.plan_json = plan_json, .n_steps = (unsigned)x->plan->n_steps,
	};
	int ret;

	x->manifest_dir = realpath(dirname(path_copy), NULL);
	if (!x->manifest_dir)
		x->manifest_dir = clu__xstrdup(".");
	x->run_start_mono = clu_now_mono_ms();
	ret = clu_journal_run_begin(x->journal, &begin, &x->run_id, err);
	free(plan_json);
	free(path_copy);
	x->result->run_id = x->run_id;
	return ret;
}

void clu_exec_fill_defaults(struct clu_exec_options *o)
{
	if (!o->settle_timeout_ms)
		o->settle_timeout_ms = 120000;
	if (!o->poll_ms)
		o->poll_ms = 100;
	if (!o->lock_stale_ms)
		o->lock_stale_ms = 60000;
	if (!o->lock_renew_ms)
		o->lock_renew_ms = 5000;
}

static void executor_release(struct executor *x)
{
	free(x->manifest_dir);
	clu_lock_holder_release(&x->lock);
	free(x->lock_lost);
	free(x->abort_requested);
	free(x->pending);
	clu__strv_release(&x->failures_before);
	free(x->first_failure);
	clu__strv_release(&x->failed_nodes);
}

int clu_exec_run(const struct clu_plan *plan, const struct clu_manifest *manifest,
		 struct clu_backend *backend, struct clu_journal *journal,
		 const struct clu_exec_options *options, struct clu_exec_result *result,
		 struct clu_err *err)
{
	struct executor x = {
		.plan = plan, .manifest = manifest, .backend = backend, .journal = journal,
		.opt = *options, .result = result,
	};
	int ret;

	memset(result, 0, sizeof(*result));
	clu_exec_fill_defaults(&x.opt);
	if ((ret = begin_run(&x, err))) {
		executor_release(&x);
		return ret;
	}
	exec_lock_init(&x);
	ret = exec_lock_take(&x, err);
	if (!ret && options->n_probes)
		ret = clu_prober_start(&x.prober, options->probes, options->n_probes, journal,
				       x.run_id, err);
	if (!ret)
		exec_note_budgets(&x);
	if (!ret)
		ret = walk(&x, err);
	if (!ret)
		ret = exec_adopt_leftovers(&x, err);
	if (!ret && x.failed_nodes.n)
		ret = nodes_given_up(&x, err);
	if (x.prober)
		ret = finish_probes(&x, ret, err);
	ret = end_run(&x, ret, err);
	executor_release(&x);
	return ret;
}
