/*
 * The executor (see exec.h): the plan, step by step, against the live
 * cluster, with the journal as the record of every intent and outcome.
 *
 * Each step goes through the same stages, so that the code reads like the
 * procedure: heartbeat the lock, open the guards that start here (bans),
 * re-read the live state and check preconditions and invariants, act,
 * wait for the engine to settle into the postconditions, check the
 * invariants again, close the guards that end here. A cluster change is
 * always journalled as intended before it is made and marked applied (or
 * failed) after, so a crash at any instant leaves a journal that says
 * what may have been changed and what it was before.
 */
#include <errno.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include "clupdate/exec.h"
#include "clupdate/output.h"
#include "util.h"

struct executor {
	const struct clu_plan *plan;
	const struct clu_manifest *manifest;
	struct clu_backend *backend;
	struct clu_transport *transport;
	struct clu_journal *journal;
	struct clu_exec_options opt;
	struct clu_exec_result *result;

	int64_t run_id;
	int64_t run_start_mono;
	int64_t step_start_mono;
	char *manifest_dir;
	struct clu_lock_holder lock;    /* this run, as the cluster lock names it */
	bool lock_held;
	bool lock_ever_held;
	int64_t lock_renewed_mono;
	char *lock_lost;           /* set while a command ran: why the lock is lost */
	struct clu__strv failures_before;   /* the engine's failures as the step began */
	struct clu_location *pending;   /* bans deferred to the move they go with */
	size_t n_pending;
	int64_t step_wait_ms;      /* time this step spent waiting for the engine */
	struct clu_prober *prober;
	struct clu__strv failed_nodes;  /* passive nodes given up (max-failed-nodes) */
	char *first_failure;       /* why the first of them failed */
};

/* ---- small helpers ---------------------------------------------------- */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void progress(struct executor *x, enum clu_exec_event event, const struct clu_step *s,
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
	};

	if (x->opt.progress)
		x->opt.progress(x->opt.progress_ctx, &p);
}

static bool interrupted(const struct executor *x)
{
	return x->opt.interrupted && *x->opt.interrupted;
}

static void add_remaining(struct executor *x, const char *what, const char *why)
{
	struct clu_exec_result *r = x->result;

	r->remaining = clu__xrealloc(r->remaining, (r->n_remaining + 1) * sizeof(*r->remaining));
	r->remaining[r->n_remaining].what = clu__xstrdup(what);
	r->remaining[r->n_remaining].why = clu__xstrdup(why);
	r->n_remaining++;
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

/* ---- journalled changes ----------------------------------------------- */

/*
 * Journal a change as intended, make it with `apply`, mark it applied or
 * failed. The journal write comes first: if it fails, nothing is changed.
 */
struct change_spec {
	const char *kind, *target, *name, *prior, *value, *detail;
};

static void event(struct executor *x, int64_t at_mono, const char *kind, const char *source,
		  const char *group, const char *detail);
static int each_leftover(struct clu_journal *journal, const struct clu_manifest *m,
			 int64_t this_run,
			 int (*visit)(void *ctx, const struct clu_change *c, struct clu_err *err),
			 void *ctx, struct clu_err *err);

/* An earlier unfinished run's open change of the same kind, target and name. */
struct adoptable {
	const struct change_spec *spec;
	struct clu_change found;     /* id 0: none */
};

static int find_adoptable(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	struct adoptable *a = ctx;
	const struct change_spec *spec = a->spec;

	(void)err;
	if (!a->found.id && clu__streq(c->kind, spec->kind) && clu__streq(c->target, spec->target) &&
	    (c->name == spec->name || clu__streq(c->name, spec->name))) {
		a->found = *c;
		a->found.prior = clu__xstrdup_or_null(c->prior);
		a->found.kind = a->found.target = a->found.name = NULL;
		a->found.value = a->found.detail = NULL;
	}
	return 0;
}

/*
 * Journal a change as intended. Its prior is the value before the update
 * began: when an earlier unfinished run of this same update made the same
 * change and died (its pin, its ban), the live value is that run's, and
 * its journalled prior is the real one. That change is adopted: ours
 * carries its prior, and it is marked restored, taken over by this run, so
 * that one open change stands for the pin and its undo is right.
 */
static int journal_intent(struct executor *x, unsigned step, const struct change_spec *c,
			  int64_t *id, struct clu_err *err)
{
	struct adoptable a = { .spec = c };
	struct clu_change change = {
		.run_id = x->run_id,
		.step = step,
		.kind = (char *)c->kind,
		.target = (char *)c->target,
		.name = (char *)c->name,
		.prior = (char *)c->prior,
		.value = (char *)c->value,
		.detail = (char *)c->detail,
		.state = CLU_CHANGE_INTENDED,
	};
	int ret = strcmp(c->kind, "lock") ? each_leftover(x->journal, x->manifest, x->run_id,
							   find_adoptable, &a, err) : 0;

	if (!ret && a.found.id)
		change.prior = a.found.prior;
	if (!ret)
		ret = clu_journal_change_intend(x->journal, &change, err);
	*id = change.id;
	if (!ret && a.found.id) {
		char *detail = clu__xasprintf("run %lld's %s %s%s%s (prior %s) taken over by run %lld",
					      (long long)a.found.run_id, c->kind, c->target,
					      c->name ? " " : "", c->name ? c->name : "",
					      a.found.prior ? a.found.prior : "absent",
					      (long long)x->run_id);

		ret = clu_journal_change_mark(x->journal, a.found.id, CLU_CHANGE_RESTORED, err);
		event(x, clu_now_mono_ms(), "adopted", c->target, NULL, detail);
		free(detail);
	}
	free(a.found.prior);
	return ret;
}

/*
 * Mark a change applied, or failed when the engine refused it. When the
 * command could not tell (no answer, a timeout), the change stays intended:
 * it may have been made, and whoever undoes the run must consider it.
 */
static int journal_outcome(struct executor *x, int64_t id, int made, struct clu_err *err)
{
	struct clu_err jerr = CLU_ERR_INIT;
	int ret;

	if (made && made != CLU_E_CLUSTER)
		return made;
	ret = clu_journal_change_mark(x->journal, id, made ? CLU_CHANGE_FAILED
							   : CLU_CHANGE_APPLIED, &jerr);
	if (ret && !made)
		*err = jerr;
	return made ? made : ret;
}

/* Find this run's open change of kind/target/name; NULL if none. */
static struct clu_change *find_open(struct clu_change *changes, size_t n, const char *kind,
				    const char *target, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (clu__streq(changes[i].kind, kind) && clu__streq(changes[i].target, target) &&
		    (!name || clu__streq(changes[i].name, name)))
			return &changes[i];
	return NULL;
}

/* Put back the prior value of the open change kind/target/name, if any. */
/*
 * Put a journalled change back (its prior value; a constraint of ours is
 * removed) and mark it restored: every undo of clupdate goes through here.
 */
static int put_back(struct executor *x, const struct clu_change *c, struct clu_err *err)
{
	int ret;

	if (!strcmp(c->kind, "meta"))
		ret = clu_backend_set_meta(x->backend, c->target, c->name, c->prior, err);
	else if (!strcmp(c->kind, "node-attribute"))
		ret = clu_backend_set_node_attr(x->backend, c->target, c->name, c->prior, err);
	else if (!strcmp(c->kind, "constraint"))
		ret = clu_backend_remove_constraint(x->backend, c->target, err);
	else if (!strcmp(c->kind, "lock"))
		ret = clu_backend_lock_delete(x->backend, c->name, 0, err);
	else
		BUG("cannot restore a change of kind '%s'", c->kind);
	if (!ret)
		ret = clu_journal_change_mark(x->journal, c->id, CLU_CHANGE_RESTORED, err);
	return ret;
}

/* Put back this run's open change kind/target/name, if any. */
static int restore(struct executor *x, const char *kind, const char *target, const char *name,
		   bool *found, struct clu_err *err)
{
	struct clu_change *changes = NULL, *c;
	size_t n = 0;
	int ret = clu_journal_changes_open(x->journal, x->run_id, &changes, &n, err);

	*found = false;
	if (ret)
		return ret;
	c = find_open(changes, n, kind, target, name);
	if (c) {
		*found = true;
		ret = put_back(x, c, err);
	}
	clu_changes_free(changes, n);
	return ret;
}

/* ---- the cluster lock ------------------------------------------------- */


/* Renew the lock at least this often: between steps, in waits, under commands. */
#define LOCK_RENEW_MS 5000
/* The journal's name for the lock (a change of kind "lock", name = token). */
#define LOCK_TARGET "clupdate-lock"

/* "run 12 (clupdate pid 4711 on host 'n1', since 2026-12-06T17:45:00Z)" */
static char *describe_holder(const struct clu_lock_holder *h)
{
	return clu__xasprintf("run %lld (clupdate pid %ld on host '%s', since %s, heartbeat %lu)",
			      (long long)h->run, h->pid, h->host, h->since, h->beat);
}

/*
 * Whether the lock's holder is provably gone: a clupdate on this very host
 * whose process no longer exists (killed, or the machine rebooted under
 * it). Its lock can be taken over at once; its run is marked interrupted.
 */
static bool lock_holder_gone(const struct clu_lock_holder *h)
{
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	return h->pid > 0 && !strcmp(h->host, host) && kill((pid_t)h->pid, 0) != 0 &&
	       errno == ESRCH;
}

/* CLU_E_LOCKED naming holder, with what the operator can do. */
static int locked_by(const struct clu_lock_holder *holder, bool breaking, struct clu_err *err)
{
	char *who = describe_holder(holder);
	int ret = clu_err_set(err, CLU_E_LOCKED, "the cluster is locked by %s%s", who,
			      breaking ? ", and it is alive" :
			      "; if that clupdate is gone for good, --break-lock takes the lock "
			      "over once its heartbeat has not moved for a while");

	free(who);
	return ret;
}

int clu_exec_check_lock(struct clu_backend *backend, struct clu_err *err)
{
	struct clu_lock_holder holder;
	bool exists;
	int ret = clu_backend_lock_read(backend, &holder, &exists, err);

	if (!ret && exists && !lock_holder_gone(&holder))
		ret = locked_by(&holder, false, err);
	clu_lock_holder_release(&holder);
	return ret;
}

static void mark_interrupted(struct executor *x, const struct clu_lock_holder *h)
{
	struct clu_err ignored = CLU_ERR_INIT;
	char *why = clu__xasprintf("interrupted: its clupdate process (pid %ld) is gone; run "
				   "%lld took over the cluster lock", h->pid, (long long)x->run_id);

	/* Only if that run is in this journal (another state dir: no run N). */
	if (h->run > 0 && h->run != x->run_id)
		clu_journal_run_end(x->journal, h->run, CLU_RUN_FAILED, why, &ignored);
	event(x, clu_now_mono_ms(), "lock-taken-over", NULL, NULL, why);
	free(why);
}

/*
 * Watch the holder's heartbeat for lock_stale_ms on our own clock: *stale
 * when it never moved (nor did the lock go or change hands). No clocks of
 * two hosts are ever compared.
 */
static int lock_watch(struct executor *x, const struct clu_lock_holder *h, bool *stale,
		      struct clu_err *err)
{
	int64_t until = clu_now_mono_ms() + x->opt.lock_stale_ms;
	char *who = describe_holder(h);
	int ret = 0;

	*stale = false;
	progress(x, CLU_EXEC_STEP_WAIT, NULL, 0, who);
	while (!ret && clu_now_mono_ms() < until) {
		struct clu_lock_holder now;
		bool exists;

		if (interrupted(x)) {
			ret = clu_err_set(err, CLU_E_ABORTED, "interrupted while watching the "
					  "cluster lock of %s", who);
			break;
		}
		sleep_ms(1000);
		ret = clu_backend_lock_read(x->backend, &now, &exists, err);
		if (!ret && (!exists || strcmp(now.token, h->token) || now.beat != h->beat)) {
			clu_lock_holder_release(&now);
			free(who);
			return 0;   /* alive, released or taken over: not stale */
		}
		clu_lock_holder_release(&now);
	}
	*stale = !ret;
	free(who);
	return ret;
}

/*
 * Take the cluster lock: journalled first, then a create-only write that
 * the CIB manager refuses when any lock exists, so that of two runs exactly
 * one gets it. A holder that is provably gone (same host, no such process)
 * is taken over at once; a stale one (heartbeat still for lock_stale_ms)
 * only with break_stale_lock. Otherwise CLU_E_LOCKED naming the holder.
 */
static int lock_take(struct executor *x, struct clu_err *err)
{
	struct clu_lock_holder *me = &x->lock;
	char *mine = describe_holder(me);
	struct change_spec spec = { "lock", LOCK_TARGET, me->token, NULL, mine, NULL };
	bool created = false;
	int64_t id;
	int ret = journal_intent(x, 0, &spec, &id, err);

	free(mine);
	for (int tries = 0; !ret && !created && tries < 3; tries++) {
		struct clu_lock_holder holder;
		bool exists = false, gone, stale = false;
		char *who;

		ret = clu_backend_lock_create(x->backend, me, &created, err);
		if (!ret && !created)
			ret = clu_backend_lock_read(x->backend, &holder, &exists, err);
		if (ret || created || !exists)
			continue;   /* !exists: released in between, try again */
		gone = lock_holder_gone(&holder);
		if (gone)
			mark_interrupted(x, &holder);
		else if (x->opt.break_stale_lock)
			ret = lock_watch(x, &holder, &stale, err);
		who = describe_holder(&holder);
		if (!ret && (stale || gone)) {
			/* Only that holder at that beat: one that came back keeps it. */
			event(x, clu_now_mono_ms(), "lock-broken", NULL, NULL, who);
			ret = clu_backend_lock_delete(x->backend, holder.token, holder.beat, err);
		} else if (!ret) {
			ret = locked_by(&holder, x->opt.break_stale_lock, err);
		}
		free(who);
		clu_lock_holder_release(&holder);
	}
	if (!ret && !created)
		ret = clu_err_set(err, CLU_E_LOCKED, "the cluster lock was taken by another run "
				  "each time it was free");
	if (!ret || ret == CLU_E_LOCKED) {
		/* Not taken: failed, and nothing to release. */
		struct clu_err jerr = CLU_ERR_INIT;
		int marked = clu_journal_change_mark(x->journal, id, created ? CLU_CHANGE_APPLIED
						     : CLU_CHANGE_FAILED, &jerr);

		if (marked && !ret) {
			*err = jerr;
			ret = marked;
		}
	}
	x->lock_held = created && !ret;
	x->lock_ever_held = x->lock_held;
	x->lock_renewed_mono = clu_now_mono_ms();
	return ret;
}

/*
 * Renew the lock when LOCK_RENEW_MS have passed (always, with force): a
 * conditional write that only succeeds while the lock still holds our
 * token. Lost: CLU_E_LOCKED, and the run stops at the next safe point.
 */
static int lock_renew(struct executor *x, bool force, struct clu_err *err)
{
	bool held;
	int ret;

	if (!x->lock_held || (!force && clu_now_mono_ms() - x->lock_renewed_mono < LOCK_RENEW_MS))
		return 0;
	ret = clu_backend_lock_renew(x->backend, x->lock.token, x->lock.beat + 1, &held, err);
	if (ret)
		return ret;
	if (!held) {
		struct clu_lock_holder now;
		bool exists;
		char *who = NULL;

		x->lock_held = false;
		if (!clu_backend_lock_read(x->backend, &now, &exists, err) && exists)
			who = describe_holder(&now);
		clu_lock_holder_release(&now);
		ret = clu_err_set(err, CLU_E_LOCKED, "this run lost the cluster lock%s%s: stopping "
				  "here", who ? " to " : " (it is gone)", who ? who : "");
		free(who);
		return ret;
	}
	x->lock.beat++;
	x->lock_renewed_mono = clu_now_mono_ms();
	return 0;
}

/* While a node command runs: renew the lock; a loss is seen after it ends. */
static void lock_watchdog(void *ctx)
{
	struct executor *x = ctx;
	struct clu_err err = CLU_ERR_INIT;

	if (lock_renew(x, false, &err) == CLU_E_LOCKED && !x->lock_lost)
		x->lock_lost = clu__xstrdup(err.msg);
}

static void lock_release(struct executor *x)
{
	struct clu_err ignored = CLU_ERR_INIT;
	bool found;

	if (!x->lock_held)
		return;
	/* A journalled change like any other: put back, i.e. deleted if still ours. */
	restore(x, "lock", LOCK_TARGET, x->lock.token, &found, &ignored);
	x->lock_held = false;
}

/* This run's identity in the lock: a token no other run can have. */
static void lock_init(struct executor *x)
{
	char host[256] = "unknown";
	unsigned char random[8] = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	char since[32];

	gethostname(host, sizeof(host) - 1);
	if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
		memcpy(random, &now, sizeof(random) < sizeof(now) ? sizeof(random) : sizeof(now));
	gmtime_r(&now, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	x->lock.token = clu__xasprintf("r%lld-p%ld-%02x%02x%02x%02x%02x%02x%02x%02x",
				       (long long)x->run_id, (long)getpid(), random[0], random[1],
				       random[2], random[3], random[4], random[5], random[6],
				       random[7]);
	x->lock.host = clu__xstrdup(host);
	x->lock.pid = (long)getpid();
	x->lock.run = x->run_id;
	x->lock.since = clu__xstrdup(since);
	x->lock.beat = 1;
}

/* ---- reading and checking the live state ------------------------------ */

static int read_live(struct executor *x, struct clu_cluster *live, unsigned step,
		     const char *phase, struct clu_err *err)
{
	char *json;
	int ret = clu_backend_read(x->backend, live, err);

	if (ret)
		return ret;
	json = clu_cluster_to_json(live);
	ret = clu_journal_snapshot(x->journal, x->run_id, step, phase, json, err);
	free(json);
	if (ret)
		clu_cluster_release(live);
	return ret;
}

static bool facts_hold(const struct executor *x, const struct clu_cluster *live,
		       const struct clu_fact *facts, size_t n, char **unmet)
{
	for (size_t i = 0; i < n; i++)
		if (!clu_fact_holds(&facts[i], live, x->manifest)) {
			if (unmet)
				*unmet = clu_fact_describe(&facts[i]);
			return false;
		}
	return true;
}

/* ---- when the engine gives up -------------------------------------- */

/* A failure's identity: an operation (call) of a resource on a node. */
static char *failure_key(const struct clu_failure *f)
{
	return clu__xasprintf("%s %s %s %ld", f->node, f->resource, f->task, f->call);
}

/* The failures the engine has recorded as a step begins: older than it. */
static void remember_failures(struct executor *x, const struct clu_cluster *live)
{
	clu__strv_release(&x->failures_before);
	for (size_t i = 0; i < live->n_failures; i++) {
		char *key = failure_key(&live->failures[i]);

		clu__strv_push(&x->failures_before, key);
		free(key);
	}
}

/* Whether resource is a member of group. */
static bool is_member(const struct clu_group *group, const char *resource)
{
	for (size_t i = 0; i < group->n_members; i++)
		if (!strcmp(group->members[i], resource))
			return true;
	return false;
}

/*
 * Why the engine, idle, will not bring about fact (a group on a node),
 * with what it did instead; NULL while it may still. It has given up when
 * one of the group's members failed since the step began, the group is in
 * trouble (a member failed, blocked, or stopped while others run), or it
 * runs whole on another node.
 */
static char *gave_up_on(const struct executor *x, const struct clu_cluster *live,
			const struct clu_fact *fact)
{
	const struct clu_group *g = clu_cluster_group(live, fact->group);
	struct clu__strv failed = { 0 };
	char *why = NULL, *list;

	if (fact->kind != CLU_FACT_GROUP_ON || !g || !g->managed ||
	    clu__streq(g->owner, fact->node))
		return NULL;
	for (size_t i = 0; i < live->n_failures; i++) {
		const struct clu_failure *f = &live->failures[i];
		char *key = failure_key(f);

		if (is_member(g, f->resource) && !clu__strv_has(&x->failures_before, key)) {
			char *text = clu_failure_describe(f);

			clu__strv_push(&failed, text);
			free(text);
		}
		free(key);
	}
	if (!failed.n && !g->trouble && !g->owner)
		return NULL;
	list = failed.n ? clu__join(failed.v, failed.n, "; ") : NULL;
	why = clu__xasprintf("the engine gave up on '%s' running on '%s': %s%s%s%s%s",
			     g->name, fact->node,
			     g->owner ? "it runs on '" : g->trouble ? g->trouble : "it is stopped",
			     g->owner ? g->owner : "", g->owner ? "'" : "",
			     list ? "; " : "", list ? list : "");
	free(list);
	clu__strv_release(&failed);
	return why;
}

static char *engine_gave_up(const struct executor *x, const struct clu_cluster *live,
			    const struct clu_fact *facts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *why = gave_up_on(x, live, &facts[i]);

		if (why)
			return why;
	}
	return NULL;
}

/*
 * Wait until the engine is idle and the facts hold, twice in a row (an
 * update's transition may not have begun at the first look).
 */
static int settle_wait(struct executor *x, const struct clu_step *s, const struct clu_fact *facts,
		       size_t n, struct clu_err *err);

/* Waiting for the engine, timed: the report tells it from clupdate's own overhead. */
static int settle(struct executor *x, const struct clu_step *s, const struct clu_fact *facts,
		  size_t n, struct clu_err *err)
{
	int64_t start = clu_now_mono_ms();
	int ret = settle_wait(x, s, facts, n, err);

	x->step_wait_ms += clu_now_mono_ms() - start;
	return ret;
}

static int settle_wait(struct executor *x, const struct clu_step *s, const struct clu_fact *facts,
		       size_t n, struct clu_err *err)
{
	int64_t start = clu_now_mono_ms(), deadline = start + x->opt.settle_timeout_ms;
	int good = 0, given_up = 0;

	for (;;) {
		struct clu_cluster live;
		char *unmet = NULL, *why = NULL;
		bool idle = false, hold;
		int ret = clu_backend_idle(x->backend, &idle, err);

		if (!ret)
			ret = clu_backend_read_status(x->backend, &live, err);
		if (ret)
			return ret;
		hold = facts_hold(x, &live, facts, n, &unmet);
		good = idle && hold ? good + 1 : 0;
		/* Idle, and what it did instead is plain, three looks in a row
		 * (after a second: it may be idle before the change reached
		 * it): waiting on would only wait for the timeout. */
		if (idle && !hold && clu_now_mono_ms() - start >= 1000)
			why = engine_gave_up(x, &live, facts, n);
		given_up = why ? given_up + 1 : 0;
		clu_cluster_release(&live);
		if (good >= 2 || given_up >= 3) {
			free(unmet);
			if (!why)
				return 0;
			ret = clu_err_set(err, CLU_E_STEP, "%s", why);
			free(why);
			return ret;
		}
		free(why);
		if (interrupted(x)) {
			free(unmet);
			return clu_err_set(err, CLU_E_ABORTED, "interrupted while waiting for the cluster");
		}
		if ((ret = lock_renew(x, false, err))) {
			free(unmet);
			return ret;
		}
		if (clu_now_mono_ms() > deadline) {
			ret = clu_err_set(err, CLU_E_STEP, "the cluster did not settle within %u s%s%s",
					  x->opt.settle_timeout_ms / 1000, unmet ? ": still not true: " : "",
					  unmet ? unmet : " (a transition is still running)");
			free(unmet);
			return ret;
		}
		{
			char *msg = clu__xasprintf("waiting for the cluster%s%s", unmet ? ": " : "",
						   unmet ? unmet : " to settle");

			progress(x, CLU_EXEC_STEP_WAIT, s, 1, msg);
			free(msg);
		}
		free(unmet);
		sleep_ms(x->opt.poll_ms);
	}
}

/* ---- guards ----------------------------------------------------------- */

static int add_ban(struct executor *x, unsigned step, const char *group, const char *node,
		   struct clu_err *err)
{
	struct clu_location loc = { clu_ban_id(group, node), (char *)group, (char *)node, true };
	char *xml = clu_location_xml(&loc);
	struct change_spec spec = { "constraint", loc.id, group, NULL, "-INFINITY", xml };
	bool exists = false;
	int64_t id;
	int ret = clu_backend_constraint_exists(x->backend, loc.id, &exists, err);

	/* A ban of ours left by an earlier stopped run is adopted, not duplicated. */
	if (!ret)
		ret = journal_intent(x, step, &spec, &id, err);
	if (!ret)
		ret = journal_outcome(x, id, exists ? 0 : clu_backend_add_locations(x->backend, &loc, 1, err),
				      err);
	free(xml);
	free(loc.id);
	return ret;
}

static int open_guards(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	for (size_t i = 0; i < x->plan->n_guards; i++) {
		const struct clu_guard *g = &x->plan->guards[i];
		int ret;

		if (g->from != s->index || g->enforced_by)
			continue;
		ret = add_ban(x, s->index, g->group, g->node, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int close_guards(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	for (size_t i = 0; i < x->plan->n_guards; i++) {
		const struct clu_guard *g = &x->plan->guards[i];
		char *id;
		bool found;
		int ret;

		if (g->until != s->index || g->enforced_by)
			continue;
		id = clu_ban_id(g->group, g->node);
		ret = restore(x, "constraint", id, NULL, &found, err);
		free(id);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- timeline events --------------------------------------------------- */

static void event(struct executor *x, int64_t at_mono, const char *kind, const char *source,
		  const char *group, const char *detail)
{
	struct clu_err ignored = CLU_ERR_INIT;
	int64_t real = clu_now_real_ms() - (clu_now_mono_ms() - at_mono);

	/* Timeline events are for the report; losing one must not stop a run. */
	clu_journal_event(x->journal, x->run_id, at_mono, real, kind, source, group, detail,
			  &ignored);
}

/* "maild stopped at mono_ms=123 ..." lines of an installer: its own instants. */
static void record_instants(struct executor *x, const struct clu_step *s, const char *output)
{
	for (const char *line = output; line && *line; ) {
		size_t len = strcspn(line, "\n");
		char *text = clu__xstrndup(line, len);
		const char *at = strstr(text, " at mono_ms=");
		const char *kind = strstr(text, " stopped at ") ? "service-stopped" :
				   strstr(text, " started at ") ? "service-started" : NULL;

		if (at && kind)
			event(x, atoll(at + strlen(" at mono_ms=")), kind, s->node, NULL, text);
		free(text);
		line += len + (line[len] ? 1 : 0);
	}
}

/* ---- node commands ---------------------------------------------------- */

/* The environment of every manifest command: how its data reaches it. */
#define RUN_ENV_SIZE 7

static void run_env(const struct executor *x, const char *node, char *env[RUN_ENV_SIZE])
{
	char *groups = clu__join(x->manifest->groups, x->manifest->n_groups, " ");

	env[0] = clu__xasprintf("CLU_NODE=%s", node);
	env[1] = clu__xasprintf("CLU_VERSION=%s", x->manifest->version);
	env[2] = clu__xasprintf("CLU_UPDATE=%s", x->manifest->name);
	env[3] = clu__xasprintf("CLU_GROUPS=%s", groups);
	env[4] = clu__xasprintf("CLU_MANIFEST_DIR=%s", x->manifest_dir);
	env[5] = clu__xasprintf("CLU_RUN_ID=%lld", (long long)x->run_id);
	env[6] = NULL;
	free(groups);
}

static void run_env_release(char *env[RUN_ENV_SIZE])
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
}

/*
 * Run a manifest command on node with the run's data in its environment;
 * proc keeps its stdout and stderr together (bounded, the tail kept) for
 * the journal. The caller releases proc.
 */
static int run_node_command(struct executor *x, const struct clu_step *s, const char *role,
			    const char *command, unsigned timeout_ms, struct clu_proc *proc,
			    struct clu_err *err)
{
	char *env[RUN_ENV_SIZE];
	int ret;

	run_env(x, s->node, env);
	clu_proc_init(proc);
	proc->name = role;          /* "'installer' exited with status 28" */
	proc->timeout_ms = timeout_ms;
	proc->err.mode = CLU_PROC_STDOUT;
	proc->out.max = CLU_JOURNAL_OUTPUT_MAX;
	proc->out.keep_tail = true;
	/* The installer may run for minutes: the lock stays renewed. */
	proc->watch = lock_watchdog;
	proc->watch_ctx = x;
	proc->watch_ms = LOCK_RENEW_MS;
	ret = clu_transport_shell(x->transport, s->node, proc, command, (const char *const *)env, err);
	if (!ret) {
		/* Keep waiting visible: the installer may run for minutes. */
		progress(x, CLU_EXEC_STEP_WAIT, s, 1, "running on the node");
		ret = clu_proc_run(proc, err);
	}
	run_env_release(env);
	/* Lost while it ran: the command's own outcome is journalled, then we stop. */
	if (x->lock_lost && !ret)
		ret = clu_err_set(err, CLU_E_LOCKED, "%s (after the %s succeeded)", x->lock_lost,
				  role);
	return ret;
}

static const char *hook_command(const struct executor *x, const struct clu_step *s)
{
	for (size_t i = 0; i < x->manifest->n_hooks; i++)
		if (!strcmp(x->manifest->hooks[i].name, s->hook))
			return s->action == CLU_ACTION_PRE_HOOK ? x->manifest->hooks[i].pre
								: x->manifest->hooks[i].post;
	BUG("no hook '%s'", s->hook);
}

static unsigned hook_timeout(const struct executor *x, const struct clu_step *s)
{
	for (size_t i = 0; i < x->manifest->n_hooks; i++)
		if (!strcmp(x->manifest->hooks[i].name, s->hook))
			return x->manifest->hooks[i].timeout_ms;
	return 60000;
}

/* The verify command must print the target version alone on its first line. */
static int check_verify_output(struct executor *x, const struct clu_step *s,
			       const struct clu_proc *proc, struct clu_err *err)
{
	const char *out = proc->out.buf ? proc->out.buf : "";
	size_t len = strcspn(out, "\n");

	while (len && (out[len - 1] == ' ' || out[len - 1] == '\t' || out[len - 1] == '\r'))
		len--;
	while (len && (*out == ' ' || *out == '\t'))
		out++, len--;
	if (len == strlen(x->manifest->version) && !strncmp(out, x->manifest->version, len))
		return 0;
	return clu_err_set(err, CLU_E_STEP, "verify on '%s' printed '%.*s', expected version %s",
			   s->node, (int)len, out, x->manifest->version);
}

/* ---- the actions ------------------------------------------------------ */

static int do_pin(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	char *prior = NULL;
	int64_t id;
	int ret = clu_backend_get_meta(x->backend, s->group, "is-managed", &prior, err);
	struct change_spec spec = { "meta", s->group, "is-managed", prior, "false", NULL };

	if (!ret)
		ret = journal_intent(x, s->index, &spec, &id, err);
	if (!ret)
		ret = journal_outcome(x, id, clu_backend_set_meta(x->backend, s->group, "is-managed",
								  "false", err), err);
	free(prior);
	return ret;
}

static int do_unpin(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	struct clu_fact on_owner = { CLU_FACT_GROUP_ON, s->node, s->group, NULL };
	bool found;
	/*
	 * The installer stopped and restarted the service while it was pinned:
	 * a monitor may have seen it down, and the engine, managing it again,
	 * would "recover" it with one more restart. Have it probe the group
	 * afresh, and wait for the result, before letting it act.
	 */
	int ret = clu_backend_refresh(x->backend, s->group, s->node, err);

	if (!ret)
		ret = settle(x, s, &on_owner, 1, err);
	if (!ret)
		ret = restore(x, "meta", s->group, "is-managed", &found, err);
	return ret;
}

static int do_drain(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	char *prior = NULL;
	int64_t id;
	int ret = clu_backend_get_node_attr(x->backend, s->node, "standby", &prior, err);
	struct change_spec spec = { "node-attribute", s->node, "standby", prior, "on", NULL };

	if (!ret)
		ret = journal_intent(x, s->index, &spec, &id, err);
	if (!ret)
		ret = journal_outcome(x, id, clu_backend_set_node_attr(x->backend, s->node, "standby",
								       "on", err), err);
	free(prior);
	return ret;
}

static int undrain_leftover(struct executor *x, const char *node, bool *found,
			    struct clu_err *err);

static int do_undrain(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	bool found;
	int ret = restore(x, "node-attribute", s->node, "standby", &found, err);

	/* Not drained by this run: by an earlier one that did not finish. */
	if (!ret && !found)
		ret = undrain_leftover(x, s->node, &found, err);
	if (!ret && !found)
		ret = clu_err_set(err, CLU_E_STEP, "no run of this update drained '%s': nothing "
				  "to undrain (was it drained by hand since?)", s->node);
	return ret;
}

/* The next step that is not a ban (a ban of the owner goes with it). */
static const struct clu_step *next_non_ban(const struct clu_plan *plan, const struct clu_step *s)
{
	for (size_t i = s->index; i < plan->n_steps; i++)
		if (plan->steps[i].action != CLU_ACTION_BAN)
			return &plan->steps[i];
	return NULL;
}

static int do_ban(struct executor *x, const struct clu_step *s, bool *deferred, struct clu_err *err)
{
	const struct clu_step *next = next_non_ban(x->plan, s);

	*deferred = next && next->action == CLU_ACTION_MOVE && clu__streq(next->group, s->group);
	if (!*deferred)
		return add_ban(x, s->index, s->group, s->node, err);
	/* Applied with the move: ban and move are one switchover. */
	x->pending = clu__xrealloc(x->pending, (x->n_pending + 1) * sizeof(*x->pending));
	x->pending[x->n_pending].id = clu_ban_id(s->group, s->node);
	x->pending[x->n_pending].resource = clu__xstrdup(s->group);
	x->pending[x->n_pending].node = clu__xstrdup(s->node);
	x->pending[x->n_pending].ban = true;
	x->n_pending++;
	return 0;
}

static void pending_release(struct executor *x)
{
	for (size_t i = 0; i < x->n_pending; i++) {
		free(x->pending[i].id);
		free(x->pending[i].resource);
		free(x->pending[i].node);
	}
	free(x->pending);
	x->pending = NULL;
	x->n_pending = 0;
}

static int do_move(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	size_t n = x->n_pending + 1;
	struct clu_location *locs = clu__xcalloc(n, sizeof(*locs));
	int64_t *ids = clu__xcalloc(n, sizeof(*ids));
	int ret = 0;

	memcpy(locs, x->pending, x->n_pending * sizeof(*locs));
	locs[n - 1] = (struct clu_location){ clu_prefer_id(s->group), s->group, s->node, false };
	for (size_t i = 0; i < n && !ret; i++) {
		char *xml = clu_location_xml(&locs[i]);
		struct change_spec spec = { "constraint", locs[i].id, locs[i].resource, NULL,
					    locs[i].ban ? "-INFINITY" : "INFINITY", xml };

		ret = journal_intent(x, s->index, &spec, &ids[i], err);
		free(xml);
	}
	if (!ret) {
		int made = clu_backend_add_locations(x->backend, locs, n, err);

		for (size_t i = 0; i < n; i++) {
			int outcome = journal_outcome(x, ids[i], made, err);

			if (!ret)
				ret = outcome;
		}
	}
	free(locs[n - 1].id);
	free(locs);
	free(ids);
	pending_release(x);
	return ret;
}

static int do_clear(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	struct clu_change *changes = NULL;
	size_t n = 0;
	int ret = clu_journal_changes_open(x->journal, x->run_id, &changes, &n, err);

	for (size_t i = 0; i < n && !ret; i++) {
		if (clu__streq(changes[i].kind, "constraint") && clu__streq(changes[i].name, s->group))
			ret = put_back(x, &changes[i], err);
	}
	clu_changes_free(changes, n);
	return ret;
}

/* ---- one step --------------------------------------------------------- */

/* Run a node command step once; output goes to *proc for the journal. */
static int node_command(struct executor *x, const struct clu_step *s, struct clu_proc *proc,
			struct clu_err *err)
{
	const struct clu_manifest *m = x->manifest;
	int ret;

	switch (s->action) {
	case CLU_ACTION_INSTALL:
		return run_node_command(x, s, "installer", m->install_command,
					m->install_timeout_ms, proc, err);
	case CLU_ACTION_VERIFY:
		ret = run_node_command(x, s, "verify", m->verify_command, 60000, proc, err);
		return ret ? ret : check_verify_output(x, s, proc, err);
	case CLU_ACTION_PRE_HOOK:
	case CLU_ACTION_POST_HOOK:
		return run_node_command(x, s, s->action == CLU_ACTION_PRE_HOOK ? "pre hook"
					: "post hook", hook_command(x, s), hook_timeout(x, s),
					proc, err);
	default:
		BUG("not a node command: %s", clu_action_name(s->action));
	}
}

static int cluster_action(struct executor *x, const struct clu_step *s, bool *deferred,
			  struct clu_err *err)
{
	*deferred = false;
	switch (s->action) {
	case CLU_ACTION_PIN:
		return do_pin(x, s, err);
	case CLU_ACTION_UNPIN:
		return do_unpin(x, s, err);
	case CLU_ACTION_DRAIN:
		return do_drain(x, s, err);
	case CLU_ACTION_UNDRAIN:
		return do_undrain(x, s, err);
	case CLU_ACTION_BAN:
		return do_ban(x, s, deferred, err);
	case CLU_ACTION_MOVE:
		return do_move(x, s, err);
	case CLU_ACTION_CLEAR:
		return do_clear(x, s, err);
	default:
		BUG("not a cluster action: %s", clu_action_name(s->action));
	}
}

/*
 * Check a step's preconditions (after false) or postconditions (after true)
 * and the invariants on the live state, snapshotted into the journal. Before
 * the step, the guards are those of the step before: a guard that starts
 * here is about the state this step makes.
 */
static int check_live(struct executor *x, const struct clu_step *s, bool after,
		      struct clu_err *err)
{
	struct clu_cluster live;
	char *unmet = NULL;
	int ret = read_live(x, &live, s->index, after ? "after" : "before", err);

	if (ret)
		return ret;
	if (!after)
		remember_failures(x, &live);
	if (!facts_hold(x, &live, after ? s->post : s->pre, after ? s->n_post : s->n_pre, &unmet))
		ret = clu_err_set(err, CLU_E_STEP, "step %u (%s): %s not met%s: expected %s",
				  s->index, clu_action_name(s->action),
				  after ? "postcondition" : "precondition",
				  after ? "" : " on the live cluster", unmet);
	else if ((ret = clu_plan_check_state(x->plan, x->manifest, &live,
					     after ? s->index : s->index - 1, err)))
		clu_err_prefix(err, "step %u (%s): %s", s->index, clu_action_name(s->action),
			       after ? "the cluster breaks an invariant after it"
				     : "the live cluster breaks an invariant");
	free(unmet);
	clu_cluster_release(&live);
	return ret;
}

/* Journal the end of a step attempt; a journal failure replaces ret. */
static int end_attempt(struct executor *x, const struct clu_step *s, unsigned attempt,
		       const struct clu_proc *proc, const char *message, int ret,
		       struct clu_err *err)
{
	struct clu_err jerr = CLU_ERR_INIT;
	char how[128];

	if (!ret && !message && proc->result.started)
		message = clu_proc_describe(proc, how, sizeof(how));
	if (clu_journal_step_end(x->journal, x->run_id, s->index, attempt,
				 ret ? CLU_STEP_FAILED : CLU_STEP_DONE,
				 proc->result.started ? proc->result.exit_code : -1,
				 proc->out.buf, proc->out.len, ret ? err->msg : message, &jerr)) {
		*err = jerr;
		return jerr.code;
	}
	return ret;
}

/*
 * One attempt: the checks before (first attempt only), the action, the
 * wait for the engine, the checks after, the guards that end here.
 */
static int attempt_step(struct executor *x, const struct clu_step *s, unsigned attempt,
			struct clu_proc *proc, bool *deferred, struct clu_err *err)
{
	int ret = 0;

	*deferred = false;
	if (attempt == 1) {
		ret = open_guards(x, s, err);
		if (!ret)
			ret = check_live(x, s, false, err);
		if (ret)
			return ret;
	}
	if (clu_action_runs_on_node(s->action))
		ret = node_command(x, s, proc, err);
	else
		ret = cluster_action(x, s, deferred, err);
	if (!ret && !clu_action_runs_on_node(s->action) && !*deferred)
		ret = settle(x, s, s->post, s->n_post, err);
	if (!ret && !*deferred)
		ret = check_live(x, s, true, err);
	if (!ret)
		ret = close_guards(x, s, err);
	return ret;
}

static int run_step(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	char *text = clu_step_describe(s, x->plan);
	unsigned attempts = clu_action_runs_on_node(s->action) ? x->manifest->retries + 1 : 1;
	int ret;

	x->step_start_mono = clu_now_mono_ms();
	ret = lock_renew(x, false, err);
	for (unsigned attempt = 1; !ret && attempt <= attempts; attempt++) {
		struct clu_proc proc;
		bool deferred;

		clu_proc_init(&proc);
		ret = clu_journal_step_begin(x->journal, x->run_id, s->index, attempt,
					     clu_action_name(s->action), s->node, s->group, text, err);
		if (ret)
			break;
		progress(x, CLU_EXEC_STEP_START, s, attempt, text);
		x->step_wait_ms = 0;
		ret = attempt_step(x, s, attempt, &proc, &deferred, err);
		if (proc.out.buf)
			record_instants(x, s, proc.out.buf);
		if (x->step_wait_ms) {
			char *detail = clu__xasprintf("step=%u ms=%lld", s->index,
						      (long long)x->step_wait_ms);

			event(x, clu_now_mono_ms(), "cluster-wait", s->node ? s->node : s->group,
			      s->group, detail);
			free(detail);
		}
		ret = end_attempt(x, s, attempt, &proc, deferred ? "applied with the move that "
				  "follows (one switchover)" : NULL, ret, err);
		if (ret && clu_action_runs_on_node(s->action) && proc.result.started && attempt < attempts &&
		    ret != CLU_E_JOURNAL && ret != CLU_E_ABORTED) {
			progress(x, CLU_EXEC_STEP_RETRY, s, attempt, err->msg);
			ret = 0;
			clu_proc_release(&proc);
			continue;
		}
		if (ret && proc.out.buf && proc.out.len) {
			free(x->result->failed_output);
			x->result->failed_output = clu__xstrdup(proc.out.buf);
		}
		progress(x, ret ? CLU_EXEC_STEP_FAILED : CLU_EXEC_STEP_DONE, s, attempt,
			 ret ? err->msg : NULL);
		clu_proc_release(&proc);
		break;
	}
	free(text);
	return ret;
}

/* ---- nodes given up -------------------------------------------------- */

/* Whether node runs an updated group at some point of the plan (an owner). */
static bool owner_in_plan(const struct clu_plan *plan, const char *node)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];

		if (s->action == CLU_ACTION_PIN && clu__streq(s->node, node))
			return true;
		if (s->action == CLU_ACTION_BAN && clu__streq(s->node, node)) {
			const struct clu_step *next = next_non_ban(plan, s);

			if (next && next->action == CLU_ACTION_MOVE && clu__streq(next->group, s->group))
				return true;
		}
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
	event(x, clu_now_mono_ms(), "node-failed", s->node, NULL, detail);
	free(detail);
	return true;
}

/* The rest of a given-up node's own steps are skipped, its undrain too. */
static int skip_step(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	char *text = clu_step_describe(s, x->plan);
	int ret = clu_journal_step_begin(x->journal, x->run_id, s->index, 1,
					 clu_action_name(s->action), s->node, s->group, text, err);

	if (!ret)
		ret = clu_journal_step_end(x->journal, x->run_id, s->index, 1, CLU_STEP_SKIPPED, -1,
					   NULL, 0, "its node failed earlier and was given up", err);
	progress(x, CLU_EXEC_STEP_SKIPPED, s, 1, "its node failed earlier and was given up");
	free(text);
	return ret;
}

/* ---- earlier runs' leftovers ------------------------------------------ */

/* Undo one change an earlier run left, now that it has no reason to stay. */
static int undo_leftover(struct executor *x, const struct clu_change *c, struct clu_err *err)
{
	int ret;

	/* An earlier run's lock is not put back: ours replaced it (and
	 * "property" is how older versions journalled it). */
	if (!strcmp(c->kind, "lock") || !strcmp(c->kind, "property"))
		return 0;
	ret = put_back(x, c, err);
	if (!ret) {
		char *detail = clu__xasprintf("run %lld left %s %s%s%s = %s; restored to %s",
					      (long long)c->run_id, c->kind, c->target,
					      c->name ? " " : "", c->name ? c->name : "",
					      c->value ? c->value : "(deleted)",
					      c->prior ? c->prior : "absent");

		event(x, clu_now_mono_ms(), "adopted", c->target, NULL, detail);
		free(detail);
	}
	return ret;
}

/*
 * Whether a change left by an earlier stopped run may go now that this run
 * completed the same update: its node (for a ban or a drain) or the
 * group's owner (for a pin) is at the target version.
 */
static bool leftover_resolved(const struct executor *x, const struct clu_change *c,
			      const struct clu_cluster *live)
{
	const char *node = NULL;
	const struct clu_node *n;

	if (!strcmp(c->kind, "constraint")) {
		const char *on = strstr(c->target, "-on-");

		if (!strncmp(c->target, "clupdate-prefer-", 16))
			return true;
		node = on ? on + 4 : NULL;
	} else if (!strcmp(c->kind, "node-attribute")) {
		node = c->target;
	} else if (!strcmp(c->kind, "meta")) {
		const struct clu_group *g = clu_cluster_group(live, c->target);

		node = g ? g->owner : NULL;
	}
	n = clu_cluster_node(live, node);
	return n && clu_version_cmp(n->version, x->manifest->version) >= 0;
}

/*
 * Call visit() for every change still open (intended or applied) that
 * earlier unfinished runs of this same update left, until it fails.
 */
static int each_leftover(struct clu_journal *journal, const struct clu_manifest *m,
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

		if (runs[i].id == this_run || runs[i].state == CLU_RUN_SUCCEEDED ||
		    !clu__streq(runs[i].update, m->name) || !clu__streq(runs[i].version, m->version))
			continue;
		ret = clu_journal_changes_open(journal, runs[i].id, &changes, &n, err);
		for (size_t k = 0; !ret && k < n; k++)
			ret = visit(ctx, &changes[k], err);
		clu_changes_free(changes, n);
	}
	clu_run_records_free(runs, n_runs);
	return ret;
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

/*
 * After a successful run, undo what earlier stopped runs of this same
 * update left in place (their bans, drains and pins), where the reason is
 * gone; each is journalled as restored in its own run's record.
 */
static int adopt_leftovers(struct executor *x, struct clu_err *err)
{
	struct adoption a = { .x = x };
	int ret = clu_backend_read(x->backend, &a.live, err);

	if (!ret)
		ret = each_leftover(x->journal, x->manifest, x->run_id, adopt_one, &a, err);
	clu_cluster_release(&a.live);
	return ret;
}

struct standby_search {
	struct executor *x;             /* NULL: only mark nodes (before planning) */
	struct clu_cluster *cluster;
	const char *node;               /* undrain: the node to restore */
	bool found;
};

static bool is_standby_change(const struct clu_change *c)
{
	return clu__streq(c->kind, "node-attribute") && clu__streq(c->name, "standby") &&
	       clu__streq(c->value, "on");
}

static int find_standby(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	struct standby_search *s = ctx;
	struct clu_node *n;

	if (!is_standby_change(c))
		return 0;
	if (!s->x) {
		n = clu_cluster_node(s->cluster, c->target);
		if (n && n->standby)
			n->drained_by_clupdate = true;
		return 0;
	}
	if (!clu__streq(c->target, s->node) || s->found)
		return 0;
	s->found = true;
	return undo_leftover(s->x, c, err);
}

int clu_exec_mark_leftovers(struct clu_journal *journal, const struct clu_manifest *manifest,
			    struct clu_cluster *cluster, struct clu_err *err)
{
	struct standby_search s = { .cluster = cluster };

	return each_leftover(journal, manifest, 0, find_standby, &s, err);
}

/* Undrain a node that an earlier, unfinished run of this update drained. */
static int undrain_leftover(struct executor *x, const char *node, bool *found,
			    struct clu_err *err)
{
	struct standby_search s = { .x = x, .node = node };
	int ret = each_leftover(x->journal, x->manifest, x->run_id, find_standby, &s, err);

	*found = s.found;
	return ret;
}

/* ---- stopping safely -------------------------------------------------- */

/* What an open change leaves in the cluster, and why, for people. */
static void add_change_remaining(struct executor *x, const struct clu_change *c)
{
	char *what = NULL, *why = NULL, *by = c->run_id == x->run_id ? clu__xstrdup("") :
		clu__xasprintf(" (left by run %lld, which did not finish)", (long long)c->run_id);

	if (!strcmp(c->kind, "meta")) {
		what = clu__xasprintf("'%s' is pinned (is-managed=false)%s", c->target, by);
		why = clu__xasprintf("pinned at step %u; the run stopped before its unpin: "
				     "check the service on its node; the next successful run "
				     "of this update unpins it", c->step);
	} else if (!strcmp(c->kind, "node-attribute")) {
		what = clu__xasprintf("'%s' is in standby (drained)%s", c->target, by);
		why = clu__xasprintf("drained at step %u; it stays out of service until it "
				     "is fixed; the next successful run of this update puts "
				     "it back", c->step);
	} else if (!strcmp(c->kind, "constraint") && c->value && c->value[0] == '-') {
		const char *on = strstr(c->target, "-on-");
		const char *node = on ? on + 4 : "?";

		what = clu__xasprintf("'%s' is banned from '%s' (constraint %s)%s", c->name, node,
				      c->target, by);
		why = clu__xasprintf("the version guard: '%s' is not updated, and the data of "
				     "'%s' may be newer; the next successful run of this update "
				     "removes it", node, c->name);
	} else if (!strcmp(c->kind, "constraint")) {
		what = clu__xasprintf("'%s' prefers its new node (constraint %s)%s", c->name,
				      c->target, by);
		why = clu__xasprintf("placed by the move of step %u; harmless, removed when "
				     "the update completes", c->step);
	}
	/* The lock is released at the end; an earlier run's was taken over. */
	if (what)
		add_remaining(x, what, why);
	free(what);
	free(why);
	free(by);
}

static int remaining_leftover(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	(void)err;
	add_change_remaining(ctx, c);
	return 0;
}

/*
 * What stays in place after a stopped run: this run's open changes, and
 * those earlier unfinished runs of this update left and this one did not
 * take over.
 */
static void collect_remaining(struct executor *x)
{
	struct clu_change *changes = NULL;
	struct clu_err ignored = CLU_ERR_INIT;
	size_t n = 0;

	if (!clu_journal_changes_open(x->journal, x->run_id, &changes, &n, &ignored))
		for (size_t i = 0; i < n; i++)
			add_change_remaining(x, &changes[i]);
	clu_changes_free(changes, n);
	each_leftover(x->journal, x->manifest, x->run_id, remaining_leftover, x, &ignored);
}

/*
 * Stop the probes; then, for each smtp probe with a check command, ask the
 * group's owner which acknowledged messages its store does not have.
 */
static int check_delivered(struct executor *x, struct clu_err *err)
{
	struct clu_probe_stats *stats = NULL;
	struct clu_cluster live = { 0 };
	size_t n = 0;
	int ret = 0;
	bool have_live = false;

	clu_prober_stop(x->prober, &stats, &n);
	x->prober = NULL;
	x->result->lost_checked = true;
	for (size_t i = 0; i < n; i++) {
		const struct clu_probe_target *t = &x->opt.probes[i];
		const struct clu_group *group;
		struct clu__strv ids = { 0 };
		char *input, *joined, *detail, *env[RUN_ENV_SIZE];
		struct clu_proc proc;
		size_t lost = 0;

		x->result->acknowledged += stats[i].n_acknowledged;
		if (t->spec->type != CLU_PROBE_SMTP || !t->spec->check) {
			x->result->lost_checked &= t->spec->type != CLU_PROBE_SMTP;
			continue;
		}
		if (!have_live && (ret = clu_backend_read(x->backend, &live, err)))
			break;
		have_live = true;
		group = clu_cluster_group(&live, t->spec->group);
		if (!group || !group->owner) {
			ret = clu_err_set(err, CLU_E_STEP, "probe '%s': cannot check the acknowledged "
					  "messages: '%s' runs nowhere", t->spec->name, t->spec->group);
			x->result->lost_checked = false;
			continue;
		}
		/* One id a line, each line ended. */
		joined = clu__join(stats[i].acknowledged, stats[i].n_acknowledged, "\n");
		input = clu__xasprintf("%s%s", joined, stats[i].n_acknowledged ? "\n" : "");
		free(joined);
		clu_proc_init(&proc);
		proc.name = "probe check";
		proc.in.mode = CLU_PROC_BUFFER;
		proc.in.data = input;
		proc.in.len = strlen(input);
		proc.timeout_ms = 60000;
		run_env(x, group->owner, env);
		ret = clu_transport_shell(x->transport, group->owner, &proc, t->spec->check,
					  (const char *const *)env, err);
		run_env_release(env);
		if (!ret)
			ret = clu_proc_run(&proc, err);
		if (!ret) {
			for (const char *line = proc.out.buf; *line; ) {
				size_t l = strcspn(line, "\n");

				if (l) {
					char *id = clu__xstrndup(line, l);

					clu__strv_push(&ids, id);
					free(id);
				}
				line += l + (line[l] ? 1 : 0);
			}
			lost = ids.n;
			x->result->lost += lost;
			if (lost) {
				char *list = clu__join(ids.v, ids.n, " ");

				event(x, clu_now_mono_ms(), "probe-lost", t->spec->name, t->spec->group, list);
				free(list);
			}
			detail = clu__xasprintf("acknowledged=%zu lost=%zu on=%s",
						stats[i].n_acknowledged, lost, group->owner);
			event(x, clu_now_mono_ms(), "probe-checked", t->spec->name, t->spec->group, detail);
			free(detail);
		} else {
			clu_err_prefix(err, "probe '%s': check on '%s'", t->spec->name, group->owner);
			x->result->lost_checked = false;
		}
		clu_proc_release(&proc);
		clu__strv_release(&ids);
		free(input);
	}
	clu_probe_stats_free(stats, n);
	clu_cluster_release(&live);
	return ret;
}

int clu_exec_run(const struct clu_plan *plan, const struct clu_manifest *manifest,
		 struct clu_backend *backend, struct clu_transport *transport,
		 struct clu_journal *journal, const struct clu_exec_options *options,
		 struct clu_exec_result *result, struct clu_err *err)
{
	struct executor x = {
		.plan = plan, .manifest = manifest, .backend = backend, .transport = transport,
		.journal = journal, .opt = *options, .result = result,
	};
	char *path_copy = clu__xstrdup(manifest->path), *plan_json = clu_plan_to_json(plan);
	char *manifest_text = clu__read_file(manifest->path, CLU__READ_MAX, NULL);
	struct clu_run_begin begin = {
		.update = manifest->name, .version = manifest->version,
		.manifest_path = manifest->path, .manifest_text = manifest_text ? manifest_text : "",
		.strategy = clu_strategy_name(plan->strategy),
		.cluster = options->cluster_source ? options->cluster_source : "pacemaker",
		.plan_json = plan_json, .n_steps = (unsigned)plan->n_steps,
	};
	enum clu_run_state end = CLU_RUN_SUCCEEDED;
	int ret;

	memset(result, 0, sizeof(*result));
	if (!x.opt.settle_timeout_ms)
		x.opt.settle_timeout_ms = 120000;
	if (!x.opt.poll_ms)
		x.opt.poll_ms = 100;
	if (!x.opt.lock_stale_ms)
		x.opt.lock_stale_ms = 60000;
	x.manifest_dir = realpath(dirname(path_copy), NULL);
	if (!x.manifest_dir)
		x.manifest_dir = clu__xstrdup(".");
	x.run_start_mono = clu_now_mono_ms();

	ret = clu_journal_run_begin(journal, &begin, &x.run_id, err);
	free(plan_json);
	free(manifest_text);
	free(path_copy);
	if (ret) {
		free(x.manifest_dir);
		return ret;
	}
	result->run_id = x.run_id;

	lock_init(&x);
	ret = lock_take(&x, err);
	if (!ret && options->n_probes)
		ret = clu_prober_start(&x.prober, options->probes, options->n_probes, journal,
				       x.run_id, err);
	for (size_t i = 0; !ret && i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];

		if (interrupted(&x)) {
			ret = clu_err_set(err, CLU_E_ABORTED, "interrupted before step %u", s->index);
			break;
		}
		if (s->node && clu__strv_has(&x.failed_nodes, s->node) &&
		    (clu_action_runs_on_node(s->action) || s->action == CLU_ACTION_UNDRAIN)) {
			ret = skip_step(&x, s, err);
			continue;
		}
		ret = run_step(&x, s, err);
		if (ret && give_up_node(&x, s, ret, err)) {
			ret = 0;
			continue;
		}
		if (ret) {
			result->failed_step = s->index;
			result->failed_node = clu__xstrdup_or_null(s->node);
			if (ret != CLU_E_JOURNAL && ret != CLU_E_ABORTED && ret != CLU_E_LOCKED) {
				char *why = clu__xstrdup(err->msg);

				ret = clu_err_set(err, CLU_E_STEP, "step %u (%s%s%s) failed: %s",
						  s->index, clu_action_name(s->action),
						  s->node ? " on " : "", s->node ? s->node : "", why);
				free(why);
			}
			break;
		}
		result->steps_done++;
	}
	pending_release(&x);
	if (!ret)
		ret = adopt_leftovers(&x, err);
	if (!ret && x.failed_nodes.n) {
		ret = clu_err_set(err, CLU_E_STEP, "the other nodes are updated, but %zu node%s "
				  "failed and %s left out of service (max-failed-nodes = %u); the "
				  "first: %s", x.failed_nodes.n, x.failed_nodes.n == 1 ? "" : "s",
				  x.failed_nodes.n == 1 ? "was" : "were", manifest->max_failed_nodes,
				  x.first_failure);
		result->failed_node = clu__xstrdup(x.failed_nodes.v[0]);
	}
	if (x.prober) {
		unsigned interval = options->probes[0].spec->interval_ms;
		struct clu_err check_err = CLU_ERR_INIT;
		int checked;

		/* A last window, if any, must close while the probes still look. */
		sleep_ms(2 * (interval ? interval : 50));
		checked = check_delivered(&x, &check_err);
		if (checked)
			result->check_failure = clu__xstrdup(check_err.msg);
		if (!ret && checked) {
			*err = check_err;
			ret = checked;
		}
		/* An update that lost acknowledged mail did not succeed. */
		if (!ret && result->lost)
			ret = clu_err_set(err, CLU_E_STEP, "%zu of %zu messages acknowledged during "
					  "the run are missing from the store", result->lost,
					  result->acknowledged);
	}
	if (ret) {
		end = CLU_RUN_FAILED;
		collect_remaining(&x);
	}
	if (ret != CLU_E_LOCKED)
		lock_release(&x);
	/* Refused at the lock: it did nothing; the run at work stays the last. */
	if (ret == CLU_E_LOCKED && !x.lock_ever_held &&
	    !clu_journal_run_discard(journal, x.run_id, &(struct clu_err)CLU_ERR_INIT)) {
		result->run_id = 0;
	} else {
		struct clu_err jerr = CLU_ERR_INIT;

		if (clu_journal_run_end(journal, x.run_id, end, ret ? err->msg : NULL, &jerr) && !ret) {
			*err = jerr;
			ret = jerr.code;
		}
	}
	free(x.manifest_dir);
	clu_lock_holder_release(&x.lock);
	free(x.lock_lost);
	clu__strv_release(&x.failures_before);
	free(x.first_failure);
	clu__strv_release(&x.failed_nodes);
	return ret;
}
