/*
 * What earlier unfinished runs of the same update left (see exec.h): a
 * crash, a stopped run, a lost lock leave pins, drains and bans in place,
 * journalled as open changes. Before planning, the nodes they drained are
 * marked so the plan updates and undrains them first; while running, a
 * change this run makes again is adopted (exec-change.c); after a
 * successful run, what they left is undone where its reason is gone (the
 * node or the owner is at the target version; their lock is this run's
 * now: its record is closed); after a stopped run, what
 * stays is listed with the reason. Changes are recognised by the verb the
 * backend gives them and by their node and group columns: never by
 * parsing a backend's ids.
 */
#include <stdlib.h>
#include <string.h>

#include "exec-internal.h"

int exec_each_leftover(struct clu_journal *journal, const struct clu_manifest *m,
		       int64_t this_run,
		       int (*visit)(void *ctx, const struct clu_change *c, struct clu_err *err),
		       void *ctx, struct clu_err *err)
{
	struct clu_run_record *runs = NULL;
	size_t n_runs = 0;
	int ret = clu_journal_runs(journal, &runs, &n_runs, err);

	for (size_t i = 0; !ret && i < n_runs; i++) {
		struct clu_change *changes = NULL;
		size_t n = 0;

		/* Of this update: to its version, or back from it (a rollback's runs). */
		if (runs[i].id == this_run || runs[i].state == CLU_RUN_SUCCEEDED ||
		    !clu__streq(runs[i].update, m->name) ||
		    (!clu__streq(runs[i].version, m->version) &&
		     !clu__streq(runs[i].version, m->previous_version)))
			continue;
		ret = clu_journal_changes_open(journal, runs[i].id, &changes, &n, err);
		for (size_t k = 0; !ret && k < n; k++)
			ret = visit(ctx, &changes[k], err);
		clu_changes_free(changes, n);
	}
	clu_run_records_free(runs, n_runs);
	return ret;
}

/* Undo one change an earlier run left, now that it has no reason to stay. */
static int undo_leftover(struct executor *x, const struct clu_change *c, struct clu_err *err)
{
	char *detail;
	int ret;

	/* An earlier run's lock is not put back: ours replaced it; its
	 * record is closed, taken over. */
	if (exec_verb_of(x, c) == CLU_VERB_LOCK)
		ret = clu_journal_change_mark(x->journal, c->id, CLU_CHANGE_RESTORED, err);
	else
		ret = exec_put_back(x, c, err);
	if (ret)
		return ret;
	detail = clu__xasprintf("run %lld left %s %s%s%s = %s; restored to %s",
				(long long)c->run_id, c->kind, c->target,
				c->name ? " " : "", c->name ? c->name : "",
				c->value ? c->value : "(deleted)", c->prior ? c->prior : "absent");
	exec_event(x, clu_now_mono_ms(), "adopted", c->target, c->group, detail);
	free(detail);
	return 0;
}

/*
 * Whether a change left by an earlier stopped run may go now that this run
 * completed the same update: its node (for a ban or a drain) or the
 * group's owner (for a pin) is at the target version; a preference always;
 * a pin of a group that runs nowhere too.
 */
static bool leftover_resolved(const struct executor *x, const struct clu_change *c,
			      const struct clu_cluster *live)
{
	const char *node = c->node;
	const struct clu_group *g;
	const struct clu_node *n;

	switch (exec_verb_of(x, c)) {
	case CLU_VERB_PREFER:
	case CLU_VERB_LOCK:     /* this run holds the lock now */
		return true;
	case CLU_VERB_PIN:
		g = clu_cluster_group(live, c->group);
		/* Its owner died under the pin: the group runs nowhere, and only
		 * the pin keeps the engine from starting it again. The update is
		 * complete; the guard's bans, where they stay, still hold. */
		if (g && !g->owner)
			return true;
		node = g ? g->owner : NULL;
		break;
	case CLU_VERB_BAN:
	case CLU_VERB_DRAIN:
		break;
	default:
		return false;
	}
	n = node ? clu_cluster_node(live, node) : NULL;
	return n && clu_version_cmp(n->version, x->manifest->version) >= 0;
}

struct adoption {
	struct executor *x;
	struct clu_cluster live;
};

static int adopt_one(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	struct adoption *a = ctx;

	return leftover_resolved(a->x, c, &a->live) ? undo_leftover(a->x, c, err) : 0;
}

int exec_adopt_leftovers(struct executor *x, struct clu_err *err)
{
	struct adoption a = { .x = x };
	int ret = x->backend->ops->read(x->backend, true, &a.live, err);

	if (!ret)
		ret = exec_each_leftover(x->journal, x->manifest, x->run_id, adopt_one, &a, err);
	clu_cluster_release(&a.live);
	return ret;
}

/*
 * Drains and pins by earlier runs: marked before planning
 * (clu_exec_mark_leftovers), or undone one at a time (exec_undo_leftover:
 * an undrain; the unpin that lets the engine start a group again whose
 * owner died under an earlier run's pin).
 */
struct leftover_marks {
	struct clu_backend *backend;
	struct clu_cluster *cluster;
};

static int mark_leftover(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	struct leftover_marks *m = ctx;
	enum clu_verb verb = m->backend->ops->verb_of(c);
	struct clu_node *n = verb == CLU_VERB_DRAIN ? clu_cluster_node(m->cluster, c->node) : NULL;
	struct clu_group *g = verb == CLU_VERB_PIN ? clu_cluster_group(m->cluster, c->group) : NULL;

	(void)err;
	if (n && n->standby)
		n->drained_by_clupdate = true;
	if (g && !g->managed && c->node)
		clu_set_string(&g->pinned_by_clupdate, c->node);
	return 0;
}

int clu_exec_mark_leftovers(struct clu_backend *backend, struct clu_journal *journal,
			    const struct clu_manifest *manifest, struct clu_cluster *cluster,
			    struct clu_err *err)
{
	struct leftover_marks m = { .backend = backend, .cluster = cluster };

	return exec_each_leftover(journal, manifest, 0, mark_leftover, &m, err);
}

struct leftover_undo {
	struct executor *x;
	enum clu_verb verb;
	const char *group;
	const char *node;
	bool found;
};

static int undo_first(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	struct leftover_undo *u = ctx;

	if (u->found || !exec_change_about(u->x, c, u->verb, u->group, u->node))
		return 0;
	u->found = true;
	return undo_leftover(u->x, c, err);
}

int exec_undo_leftover(struct executor *x, enum clu_verb verb, const char *group,
		       const char *node, bool *found, struct clu_err *err)
{
	struct leftover_undo u = { .x = x, .verb = verb, .group = group, .node = node };
	int ret = exec_each_leftover(x->journal, x->manifest, x->run_id, undo_first, &u, err);

	*found = u.found;
	return ret;
}

/* ---- what stays after a stopped run ----------------------------------- */

static void add_remaining(struct executor *x, char *what, char *why)
{
	struct clu_exec_result *r = x->result;

	r->remaining = clu__xrealloc(r->remaining, (r->n_remaining + 1) * sizeof(*r->remaining));
	r->remaining[r->n_remaining].what = what;
	r->remaining[r->n_remaining].why = why;
	r->n_remaining++;
}

/* What an open change leaves in the cluster, and why, for people. */
static void add_change_remaining(struct executor *x, const struct clu_change *c)
{
	char *by = c->run_id == x->run_id ? clu__xstrdup("") :
		clu__xasprintf(" (left by run %lld, which did not finish)", (long long)c->run_id);
	const char *node = c->node ? c->node : "?", *group = c->group ? c->group : "?";

	switch (exec_verb_of(x, c)) {
	case CLU_VERB_PIN:
		add_remaining(x, clu__xasprintf("'%s' is pinned (is-managed=false)%s", group, by),
			      clu__xasprintf("pinned at step %u; the run stopped before its unpin: "
					     "check the service on its node; the next successful "
					     "run of this update unpins it", c->step));
		break;
	case CLU_VERB_DRAIN:
		add_remaining(x, clu__xasprintf("'%s' is in standby (drained)%s", node, by),
			      clu__xasprintf("drained at step %u; it stays out of service until "
					     "it is fixed; the next successful run of this update "
					     "puts it back", c->step));
		break;
	case CLU_VERB_BAN:
		add_remaining(x, clu__xasprintf("'%s' is banned from '%s' (constraint %s)%s", group,
						node, c->target, by),
			      clu__xasprintf("the version guard: '%s' is not updated, and the data "
					     "of '%s' may be newer; the next successful run of this "
					     "update removes it", node, group));
		break;
	case CLU_VERB_PREFER:
		add_remaining(x, clu__xasprintf("'%s' prefers its new node (constraint %s)%s", group,
						c->target, by),
			      clu__xasprintf("placed by the move of step %u; harmless, removed "
					     "when the update completes", c->step));
		break;
	default:
		/* The lock is released at the end; an earlier run's was taken over. */
		break;
	}
	free(by);
}

static int remaining_leftover(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	(void)err;
	add_change_remaining(ctx, c);
	return 0;
}

void exec_collect_remaining(struct executor *x)
{
	struct clu_change *changes = NULL;
	struct clu_err ignored = CLU_ERR_INIT;
	size_t n = 0;

	if (!clu_journal_changes_open(x->journal, x->run_id, &changes, &n, &ignored))
		for (size_t i = 0; i < n; i++)
			add_change_remaining(x, &changes[i]);
	clu_changes_free(changes, n);
	exec_each_leftover(x->journal, x->manifest, x->run_id, remaining_leftover, x, &ignored);
}
