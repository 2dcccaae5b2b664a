/*
 * What every backend shares (see backend.h): the verbs' names, releasing
 * handles and records, and the settle wait by polling, which a backend
 * without change notifications uses as its settle op: look at the engine
 * every poll_ms until it is idle with every fact true, twice in a row, or
 * it plainly gave up, or the time ran out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clupdate/backend.h"
#include "clupdate/plan.h"
#include "util.h"

const char *clu_verb_name(enum clu_verb verb)
{
	static const char *const names[] = { "pin", "drain", "ban", "prefer", "version", "lock" };

	return verb >= 0 && (size_t)verb < sizeof(names) / sizeof(names[0]) ? names[verb] : "none";
}

void clu_backend_free(struct clu_backend *b)
{
	if (b)
		b->ops->release(b);
}

void clu_change_release(struct clu_change *c)
{
	free(c->kind);
	free(c->target);
	free(c->name);
	free(c->prior);
	free(c->value);
	free(c->detail);
	free(c->node);
	free(c->group);
	memset(c, 0, sizeof(*c));
}

void clu_lock_holder_release(struct clu_lock_holder *h)
{
	free(h->token);
	free(h->host);
	free(h->since);
	free(h->abort_by);
	memset(h, 0, sizeof(*h));
}

/* ---- when the engine gives up -------------------------------------- */

static bool seen_before(const struct clu_settle *how, const char *key)
{
	for (size_t i = 0; i < how->n_failures_before; i++)
		if (!strcmp(how->failures_before[i], key))
			return true;
	return false;
}

/* The new failures of group's members, "; "-joined; NULL when none. */
static char *new_failures(const struct clu_settle *how, const struct clu_cluster *live,
			  const struct clu_group *g)
{
	struct clu__strv failed = { 0 };
	char *list;

	for (size_t i = 0; i < live->n_failures; i++) {
		const struct clu_failure *f = &live->failures[i];
		char *key = clu_failure_key(f);

		if (clu_group_has_member(g, f->resource) && !seen_before(how, key)) {
			char *text = clu_failure_describe(f);

			clu__strv_push(&failed, text);
			free(text);
		}
		free(key);
	}
	list = failed.n ? clu__join(failed.v, failed.n, "; ") : NULL;
	clu__strv_release(&failed);
	return list;
}

/*
 * Why the engine, idle, will not bring about fact (a group on a node,
 * whole or in part), with what it did instead; NULL while it may still.
 * It has given up when the fact does not hold and one of the group's
 * members failed since the step began, the group is in trouble (a member
 * failed, blocked, or stopped while others run), or it runs whole on
 * another node.
 */
static char *gave_up_on(const struct clu_settle *how, const struct clu_cluster *live,
			const struct clu_fact *fact)
{
	const struct clu_group *g = clu_cluster_group(live, fact->group);
	char *why, *list;

	if ((fact->kind != CLU_FACT_GROUP_ON && fact->kind != CLU_FACT_GROUP_PLACED_ON) ||
	    !g || !g->managed || clu_fact_holds(fact, live, how->manifest))
		return NULL;
	list = new_failures(how, live, g);
	if (!list && !g->trouble && !g->owner)
		return NULL;
	why = clu__xasprintf("the engine gave up on '%s' running on '%s': %s%s%s%s%s",
			     g->name, fact->node,
			     g->owner ? "it runs on '" : g->trouble ? g->trouble : "it is stopped",
			     g->owner ? g->owner : "", g->owner ? "'" : "",
			     list ? "; " : "", list ? list : "");
	free(list);
	return why;
}

/*
 * Why node fact (online, or in service) will not come about in this step:
 * the node is out of the cluster (powered off, fenced, its stack stopped)
 * and the engine, idle, is done with it; NULL otherwise. A step does not
 * wait for a node to rejoin: that takes its power, its fencing's reboot
 * or its administrator, and then a resume.
 */
static char *node_gone(const struct clu_cluster *live, const struct clu_fact *fact)
{
	const struct clu_node *n = clu_cluster_node(live, fact->node);

	if ((fact->kind != CLU_FACT_NODE_ONLINE && fact->kind != CLU_FACT_NODE_ACTIVE) ||
	    !n || n->online)
		return NULL;
	return clu__xasprintf("'%s' left the cluster (offline, and the engine is done with it): "
			      "it is back in service only once it has rejoined", n->name);
}

static char *engine_gave_up(const struct clu_settle *how, const struct clu_cluster *live)
{
	for (size_t i = 0; i < how->n_facts; i++) {
		char *why = gave_up_on(how, live, &how->facts[i]);

		if (!why)
			why = node_gone(live, &how->facts[i]);
		if (why)
			return why;
	}
	return NULL;
}

/* The first fact of how that does not hold on live, described; NULL: all hold. */
static char *first_unmet(const struct clu_settle *how, const struct clu_cluster *live)
{
	for (size_t i = 0; i < how->n_facts; i++)
		if (!clu_fact_holds(&how->facts[i], live, how->manifest))
			return clu_fact_describe(&how->facts[i]);
	return NULL;
}

/* The looks so far: idle looks with every fact true, looks at an engine that gave up. */
struct look {
	int good, given_up;
	char *unmet, *why;
	struct clu_cluster live;      /* what the last look saw */
	bool have_live;
};

static int look(struct clu_backend *b, const struct clu_settle *how, int64_t start,
		struct look *l, struct clu_err *err)
{
	bool idle = false;
	int ret = b->ops->idle(b, &idle, err);

	if (l->have_live)
		clu_cluster_release(&l->live);
	l->have_live = false;
	if (!ret)
		ret = b->ops->read(b, true, &l->live, err);
	if (ret)
		return ret;
	l->have_live = true;
	free(l->unmet);
	free(l->why);
	l->unmet = first_unmet(how, &l->live);
	l->good = idle && !l->unmet ? l->good + 1 : 0;
	/* Idle, and what it did instead is plain, three looks in a row (after
	 * a second: it may be idle before the change reached it): waiting on
	 * would only wait for the timeout. */
	l->why = idle && l->unmet && clu_now_mono_ms() - start >= 1000 ?
		 engine_gave_up(how, &l->live) : NULL;
	l->given_up = l->why ? l->given_up + 1 : 0;
	return 0;
}

int clu_backend_settle_poll(struct clu_backend *b, const struct clu_settle *how,
			    struct clu_err *err)
{
	int64_t start = clu_now_mono_ms(), deadline = start + how->timeout_ms;
	struct look l = { 0 };
	int ret;

	while (!(ret = look(b, how, start, &l, err))) {
		if (l.good >= (how->looks ? (int)how->looks : 2))
			break;
		if (l.given_up >= 3) {
			ret = clu_err_set(err, CLU_E_STEP, "%s", l.why);
			break;
		}
		if (clu_now_mono_ms() > deadline) {
			ret = clu_err_set(err, CLU_E_STEP, "the cluster did not settle within %u s%s%s",
					  how->timeout_ms / 1000, l.unmet ? ": still not true: " : "",
					  l.unmet ? l.unmet : " (a transition is still running)");
			break;
		}
		if (how->tick && (ret = how->tick(how->ctx, l.unmet, err)))
			break;
		clu__sleep_ms(how->poll_ms ? how->poll_ms : 100);
	}
	free(l.unmet);
	free(l.why);
	if (!ret && how->last) {
		*how->last = l.live;     /* the caller's now */
		l.have_live = false;
	}
	if (l.have_live)
		clu_cluster_release(&l.live);
	return ret;
}
