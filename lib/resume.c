/*
 * `resume` (resume.h): which run, with which manifest, and what the new
 * plan does again of what that run did. The run itself is apply's
 * (apply.c): nothing here changes the cluster or the journal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/resume.h"
#include "util.h"

/* ---- which run ---------------------------------------------------------- */

/* Why run r (the last one when last) cannot be resumed; 0 when it can. */
static int finished(const struct clu_run_record *r, bool last, const struct clu_run_record *runs,
		    size_t n, struct clu_err *err)
{
	char *which = last ? clu__xasprintf("the last run, %lld (%s %s),", (long long)r->id,
					    r->update, r->version)
			   : clu__xasprintf("run %lld (%s %s)", (long long)r->id, r->update,
					    r->version);
	int ret = 0;

	if (r->state == CLU_RUN_SUCCEEDED)
		ret = clu_err_set(err, CLU_E_USAGE, "nothing to resume: %s succeeded", which);
	else if (r->state == CLU_RUN_ABORTED)
		ret = clu_err_set(err, CLU_E_USAGE, "nothing to resume: %s was aborted (its changes "
				  "were put back); 'clupdate apply' of its manifest starts the update "
				  "again", which);
	/* runs is newest first: a later run of the same update that completed it. */
	for (size_t i = 0; !ret && i < n && runs[i].id > r->id; i++)
		if (runs[i].state == CLU_RUN_SUCCEEDED && clu__streq(runs[i].update, r->update) &&
		    clu__streq(runs[i].version, r->version))
			ret = clu_err_set(err, CLU_E_USAGE, "nothing to resume: %s was completed by "
					  "run %lld", which, (long long)runs[i].id);
	free(which);
	return ret;
}

int clu_resume_find(struct clu_journal *journal, int64_t run_id, struct clu_run_record *run,
		    struct clu_err *err)
{
	struct clu_run_record *runs = NULL;
	const struct clu_run_record *r = NULL;
	size_t n = 0;
	int ret = clu_journal_runs(journal, &runs, &n, err);

	for (size_t i = 0; !ret && !r && i < n; i++)
		if (!run_id || runs[i].id == run_id)
			r = &runs[i];
	if (!ret && !r)
		ret = run_id ? clu_err_set(err, CLU_E_USAGE, "no run %lld in the journal (see "
					   "'clupdate history')", (long long)run_id)
			     : clu_err_set(err, CLU_E_USAGE, "the journal has no run: nothing to "
					   "resume");
	if (!ret)
		ret = finished(r, r == &runs[0] && !run_id, runs, n, err);
	if (!ret)
		ret = clu_journal_run_load(journal, r->id, run, err);
	clu_run_records_free(runs, n);
	return ret;
}

/* ---- its manifest --------------------------------------------------------- */

int clu_resume_manifest(const struct clu_run_record *run, struct clu_manifest *manifest,
			struct clu_err *err)
{
	const char *path = run->manifest_path;
	int ret;

	if (!path || !*path)
		return clu_err_set(err, CLU_E_MANIFEST, "run %lld has no manifest file in the "
				   "journal: it cannot be resumed", (long long)run->id);
	ret = clu_manifest_load(manifest, path, err);
	if (ret) {
		clu_err_prefix(err, "the manifest of run %lld", (long long)run->id);
		return ret;
	}
	/* Another text is another update, whatever its name says: not this run's. */
	if (!clu__streq(manifest->text, run->manifest_text ? run->manifest_text : "")) {
		clu_manifest_release(manifest);
		return clu_err_set(err, CLU_E_MANIFEST, "manifest '%s' changed since run %lld began: "
				   "resume continues a run with the manifest it began with; restore "
				   "that text (see 'clupdate show %lld'), or apply the new one with "
				   "'clupdate apply %s'", path, (long long)run->id,
				   (long long)run->id, path);
	}
	return 0;
}

/* ---- what is done again ------------------------------------------------------ */

static const char *attempt_state(const struct clu_step_record *s)
{
	/* The run is not at work (resume checks the lock): a step it left
	 * running was cut short. */
	return s->state == CLU_STEP_RUNNING ? "interrupted" : clu_step_state_name(s->state);
}

/* The last attempt of each step the run began on node, in order. */
static size_t node_attempts(const struct clu_run_record *run, const char *node,
			    const struct clu_step_record **out)
{
	size_t n = 0;

	for (size_t i = 0; i < run->n_steps; i++) {
		const struct clu_step_record *s = &run->steps[i];

		if (!clu__streq(s->node, node))
			continue;
		if (n && out[n - 1]->step == s->step)
			out[n - 1] = s;         /* a later attempt of the same step */
		else
			out[n++] = s;
	}
	return n;
}

/* "pin, install, verify done; unpin interrupted (step 4)"; NULL: nothing. */
static char *what_run_did(const struct clu_run_record *run, const char *node)
{
	const struct clu_step_record **mine = clu__xcalloc(run->n_steps + 1, sizeof(*mine));
	size_t n = node_attempts(run, node, mine);
	struct clu__strv parts = { 0 };
	char *did = NULL;

	for (size_t i = 0; i < n; ) {
		const char *state = attempt_state(mine[i]);
		struct clu__strv actions = { 0 };
		char *list, *part;
		size_t k = i;

		while (k < n && !strcmp(attempt_state(mine[k]), state))
			clu__strv_push(&actions, mine[k++]->action);
		list = clu__join(actions.v, actions.n, ", ");
		/* Where it stopped is worth its step number. */
		part = mine[i]->state == CLU_STEP_DONE || mine[i]->state == CLU_STEP_SKIPPED
			? clu__xasprintf("%s %s", list, state)
			: clu__xasprintf("%s %s (step %u)", list, state, mine[k - 1]->step);
		clu__strv_push(&parts, part);
		free(part);
		free(list);
		clu__strv_release(&actions);
		i = k;
	}
	if (parts.n)
		did = clu__join(parts.v, parts.n, "; ");
	clu__strv_release(&parts);
	free(mine);
	return did;
}

/* "drain, install, verify, undrain (steps 5-8)"; NULL when none is on node. */
static char *plan_on(const struct clu_plan *plan, const char *node, size_t *n_steps)
{
	struct clu__strv actions = { 0 }, numbers = { 0 };
	unsigned first = 0, last = 0;
	bool contiguous = true;
	char *list, *which, *text;

	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];
		char number[16];

		if (!clu__streq(s->node, node))
			continue;
		clu__strv_push(&actions, clu_action_name(s->action));
		snprintf(number, sizeof(number), "%u", s->index);
		clu__strv_push(&numbers, number);
		contiguous &= !first || s->index == last + 1;
		if (!first)
			first = s->index;
		last = s->index;
	}
	*n_steps = actions.n;
	if (!actions.n)
		return NULL;
	list = clu__join(actions.v, actions.n, ", ");
	which = clu__join(numbers.v, numbers.n, ", ");
	if (first == last)
		text = clu__xasprintf("%s (step %u)", list, first);
	else if (contiguous)
		text = clu__xasprintf("%s (steps %u-%u)", list, first, last);
	else
		text = clu__xasprintf("%s (steps %s)", list, which);
	free(which);
	free(list);
	clu__strv_release(&actions);
	clu__strv_release(&numbers);
	return text;
}

static void summarize_node(struct clu_resume_node *r, const struct clu_run_record *run,
			   const struct clu_plan *plan, const struct clu_node *n)
{
	char *steps = plan_on(plan, n->name, &r->n_steps);
	const char *version = n->version ? n->version : "unknown";

	r->name = clu__xstrdup(n->name);
	r->version = clu__xstrdup_or_null(n->version);
	r->did = what_run_did(run, n->name);
	if (n->version && clu_version_cmp(n->version, plan->version) >= 0) {
		r->fate = CLU_RESUME_AT_TARGET;
		r->now = steps ? clu__xasprintf("already at version %s: not reinstalled; still to "
						"do there: %s", version, steps)
			       : clu__xasprintf("already at version %s: not reinstalled", version);
	} else if (!steps) {
		r->fate = CLU_RESUME_NOT_PLANNED;
		r->now = clu__xasprintf("at version %s: nothing planned there (see the plan's "
					"notes)", version);
	} else if (r->did) {
		r->fate = CLU_RESUME_REDONE;
		r->now = clu__xasprintf("at version %s, not %s: done again: %s", version,
					plan->version, steps);
	} else {
		r->fate = CLU_RESUME_NOT_REACHED;
		r->now = clu__xasprintf("not reached by run %lld: %s", (long long)run->id, steps);
	}
	free(steps);
}

void clu_resume_summarize(struct clu_resume_summary *summary, const struct clu_run_record *run,
			  const struct clu_plan *plan, const struct clu_cluster *live)
{
	memset(summary, 0, sizeof(*summary));
	summary->run_id = run->id;
	summary->nodes = clu__xcalloc(live->n_nodes + 1, sizeof(*summary->nodes));
	summary->n_nodes = live->n_nodes;
	for (size_t i = 0; i < live->n_nodes; i++)
		summarize_node(&summary->nodes[i], run, plan, &live->nodes[i]);
}

void clu_resume_summary_release(struct clu_resume_summary *summary)
{
	for (size_t i = 0; i < summary->n_nodes; i++) {
		free(summary->nodes[i].name);
		free(summary->nodes[i].version);
		free(summary->nodes[i].did);
		free(summary->nodes[i].now);
	}
	free(summary->nodes);
	memset(summary, 0, sizeof(*summary));
}
