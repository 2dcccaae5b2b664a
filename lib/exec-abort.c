/*
 * `abort` (abort.h): a run stopped, and every change it and the earlier
 * unfinished runs of its update left put back, newest first, through the
 * executor's one undo (exec_put_back), but the version guard's bans: those
 * are put in place first and stay, so that at no instant of the undo can
 * a group run on, or fail over to, a node older than its data. Abort acts
 * as the run it aborts: its lock and any ban it has to add are journalled
 * in that run.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/abort.h"
#include "exec-internal.h"

struct abort_ctx {
	struct executor x;
	const struct clu_abort_options *opt;
	struct clu_abort_result *r;
	struct clu_cluster live;
	bool was_aborted;               /* the run was aborted before: its end stays */
	struct clu_change *changes;     /* open, newest first */
	size_t n_changes;
};

static void say(const struct abort_ctx *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct abort_ctx *a, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!a->opt->progress)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		a->opt->progress(a->opt->progress_ctx, msg);
	free(msg);
}

static void add_item(struct clu_remaining **items, size_t *n, char *what, char *why)
{
	*items = clu__xrealloc(*items, (*n + 1) * sizeof(**items));
	(*items)[*n].what = what;
	(*items)[*n].why = why;
	(*n)++;
}

void clu_abort_result_release(struct clu_abort_result *r)
{
	for (size_t i = 0; i < r->n_kept; i++) {
		free(r->kept[i].what);
		free(r->kept[i].why);
	}
	for (size_t i = 0; i < r->n_restored; i++) {
		free(r->restored[i].what);
		free(r->restored[i].why);
	}
	free(r->kept);
	free(r->restored);
	free(r->stopped);
	free(r->aborted);
	memset(r, 0, sizeof(*r));
}

/* ---- 1. the run at work stops ------------------------------------------ */

static char *this_host(void)
{
	char host[256] = "unknown";

	gethostname(host, sizeof(host) - 1);
	return clu__xstrdup(host);
}

/*
 * Ask the live holder of the lock to stop (SIGTERM here, a request in the
 * lock elsewhere) and wait until the lock is free, changes hands or its
 * holder is gone.
 */
static int stop_holder(struct abort_ctx *a, const struct clu_lock_holder *h,
		       struct clu_err *err)
{
	struct clu_backend *b = a->x.backend;
	char *who = exec_lock_describe(h), *host = this_host();
	int64_t start = clu_now_mono_ms(), told = start;
	int ret = 0;

	if (!strcmp(h->host, host)) {
		if (kill((pid_t)h->pid, SIGTERM) && errno != ESRCH)
			ret = clu_err_set(err, CLU_E_LOCKED, "cannot stop %s: %s", who,
					  strerror(errno));
		else
			say(a, "sent SIGTERM to %s; waiting for it to stop", who);
	} else {
		char *by = clu__xasprintf("clupdate pid %ld on host '%s'", (long)getpid(), host);
		bool held = false;

		ret = b->ops->lock_request_abort(b, h->token, by, &held, err);
		if (!ret)
			say(a, held ? "asked %s, through the cluster lock, to stop; waiting for it"
				    : "%s released the lock meanwhile", who);
		free(by);
	}
	while (!ret) {
		struct clu_lock_holder now;
		bool exists = false, same;

		ret = b->ops->lock_read(b, &now, &exists, err);
		same = !ret && exists && !strcmp(now.token, h->token) && !exec_lock_holder_gone(&now);
		clu_lock_holder_release(&now);
		if (ret || !same)
			break;
		if (clu_now_mono_ms() - start >= a->opt->stop_timeout_ms) {
			ret = clu_err_set(err, CLU_E_LOCKED, "%s did not stop within %u s; nothing "
					  "was undone (run abort again, or, if that clupdate is gone "
					  "for good, with --break-lock)", who,
					  a->opt->stop_timeout_ms / 1000);
			break;
		}
		if (clu_now_mono_ms() - told >= 5000) {
			told = clu_now_mono_ms();
			say(a, "still waiting for %s to stop (%lld s)", who,
			    (long long)(told - start) / 1000);
		}
		clu__sleep_ms(a->opt->poll_ms);
	}
	if (!ret)
		a->r->stopped = clu__xstrdup(who);
	free(host);
	free(who);
	return ret;
}

static int stop_running(struct abort_ctx *a, struct clu_err *err)
{
	struct clu_backend *b = a->x.backend;
	struct clu_lock_holder h;
	bool exists = false;
	int ret = b->ops->lock_read(b, &h, &exists, err);

	if (!ret && exists && !exec_lock_holder_gone(&h))
		ret = stop_holder(a, &h, err);
	clu_lock_holder_release(&h);
	return ret;
}

/* ---- which run ---------------------------------------------------------- */

static int find_run(struct abort_ctx *a, struct clu_run_record *run, bool *found,
		    struct clu_err *err)
{
	struct clu_run_record *runs = NULL;
	size_t n = 0;
	int ret = clu_journal_runs(a->x.journal, &runs, &n, err);

	*found = false;
	for (size_t i = 0; !ret && i < n && !*found; i++)
		if (!a->opt->run_id || runs[i].id == a->opt->run_id) {
			*found = true;
			*run = runs[i];
			memset(&runs[i], 0, sizeof(runs[i]));
		}
	clu_run_records_free(runs, n);
	return ret;
}

/* ---- the open changes ---------------------------------------------------- */

static void copy_change(struct clu_change *to, const struct clu_change *c)
{
	*to = *c;
	to->kind = clu__xstrdup_or_null(c->kind);
	to->target = clu__xstrdup_or_null(c->target);
	to->name = clu__xstrdup_or_null(c->name);
	to->prior = clu__xstrdup_or_null(c->prior);
	to->value = clu__xstrdup_or_null(c->value);
	to->detail = clu__xstrdup_or_null(c->detail);
	to->node = clu__xstrdup_or_null(c->node);
	to->group = clu__xstrdup_or_null(c->group);
}

static int collect(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	struct abort_ctx *a = ctx;

	(void)err;
	a->changes = clu__xrealloc(a->changes, (a->n_changes + 1) * sizeof(*a->changes));
	copy_change(&a->changes[a->n_changes++], c);
	return 0;
}

static int newest_first(const void *p, const void *q)
{
	const struct clu_change *c = p, *d = q;

	return c->id < d->id ? 1 : c->id > d->id ? -1 : 0;
}

/* The run's open changes and those of earlier unfinished runs of its update. */
static int open_changes(struct abort_ctx *a, struct clu_err *err)
{
	struct clu_change *mine = NULL;
	size_t n = 0;
	int ret = clu_journal_changes_open(a->x.journal, a->x.run_id, &mine, &n, err);

	for (size_t i = 0; !ret && i < n; i++)
		collect(a, &mine[i], err);
	clu_changes_free(mine, n);
	if (!ret)
		ret = exec_each_leftover(a->x.journal, a->x.manifest, a->x.run_id, collect, a, err);
	if (a->n_changes)
		qsort(a->changes, a->n_changes, sizeof(*a->changes), newest_first);
	return ret;
}

/* ---- 3. the guard --------------------------------------------------------- */

/* Whether node must not host group: older than the group's data (live). */
static bool guarded(const struct clu_cluster *live, const char *group, const char *node)
{
	const struct clu_group *g = group ? clu_cluster_group(live, group) : NULL;
	const struct clu_node *n = node ? clu_cluster_node(live, node) : NULL;

	return g && n && g->data_version && clu_version_cmp(n->version, g->data_version) < 0;
}

static char *guard_reason(const struct clu_cluster *live, const char *group, const char *node)
{
	const struct clu_node *n = clu_cluster_node(live, node);
	const struct clu_group *g = clu_cluster_group(live, group);

	return clu__xasprintf("the version guard: '%s' has version %s, older than the data of "
			      "'%s' (version %s); the next run of this update removes it once "
			      "'%s' is updated", node, n->version ? n->version : "unknown", group,
			      g->data_version, node);
}

/* The open ban record of group on node, newest first; NULL. */
static struct clu_change *ban_record(struct abort_ctx *a, const char *group, const char *node)
{
	for (size_t i = 0; i < a->n_changes; i++)
		if (exec_verb_of(&a->x, &a->changes[i]) == CLU_VERB_BAN &&
		    clu__streq(a->changes[i].group, group) && clu__streq(a->changes[i].node, node))
			return &a->changes[i];
	return NULL;
}

/*
 * Every node older than a group's data gets (or keeps) its ban before
 * anything is undone: one journalled but not in place (a crash between
 * the intent and the write) is made now, as recorded; one never made (a
 * pin held the group there instead) is a new change of the run.
 */
static int keep_guard(struct abort_ctx *a, struct clu_err *err)
{
	struct clu_backend *b = a->x.backend;
	int ret = 0;

	for (size_t i = 0; !ret && i < a->live.n_groups; i++) {
		const struct clu_group *g = &a->live.groups[i];

		for (size_t k = 0; !ret && k < a->live.n_nodes; k++) {
			const char *node = a->live.nodes[k].name;
			struct clu_change *c;
			char *what;

			if (!guarded(&a->live, g->name, node))
				continue;
			c = ban_record(a, g->name, node);
			if (!c && clu_group_banned(g, node))
				continue;        /* a ban of the operator's own: not ours */
			if (c && !clu_group_banned(g, node)) {
				ret = b->ops->apply(b, c, 1, err);
				if (!ret && c->state == CLU_CHANGE_INTENDED)
					ret = clu_journal_change_mark(a->x.journal, c->id,
								      CLU_CHANGE_APPLIED, err);
				what = clu__xasprintf("'%s' is banned from '%s' (constraint %s; "
						      "journalled by run %lld, put in place by abort)",
						      g->name, node, c->target, (long long)c->run_id);
			} else if (c) {
				what = clu__xasprintf("'%s' stays banned from '%s' (constraint %s)",
						      g->name, node, c->target);
			} else {
				struct clu_intent ban = { CLU_VERB_BAN, g->name, node, NULL };

				ret = exec_change(&a->x, 0, &ban, 1, err);
				what = clu__xasprintf("'%s' is now banned from '%s' (abort put the ban "
						      "there before the unpin)", g->name, node);
			}
			if (ret) {
				free(what);
				break;
			}
			say(a, "kept: %s", what);
			add_item(&a->r->kept, &a->r->n_kept, what, guard_reason(&a->live, g->name, node));
		}
	}
	return ret;
}

/* ---- 4. the undo ------------------------------------------------------------ */

static char *undone_what(const struct abort_ctx *a, const struct clu_change *c)
{
	const char *group = c->group ? c->group : "?", *node = c->node ? c->node : "?";

	switch (exec_verb_of(&a->x, c)) {
	case CLU_VERB_PIN:
		return clu__xasprintf("'%s' unpinned (%s back to %s)", group, c->name,
				      c->prior ? c->prior : "its default");
	case CLU_VERB_DRAIN:
		return clu__xasprintf("'%s' %s", node, c->prior ? "left in standby, as it was"
				      : "back in service (out of standby)");
	case CLU_VERB_BAN:
		return clu__xasprintf("ban of '%s' from '%s' removed (constraint %s)", group, node,
				      c->target);
	case CLU_VERB_PREFER:
		return clu__xasprintf("preference of '%s' for '%s' removed (constraint %s)", group,
				      node, c->target);
	default:
		return clu__xasprintf("%s %s%s%s back to %s", c->kind, c->target,
				      c->name ? " " : "", c->name ? c->name : "",
				      c->prior ? c->prior : "absent");
	}
}

static int undo_all(struct abort_ctx *a, struct clu_err *err)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < a->n_changes; i++) {
		const struct clu_change *c = &a->changes[i];
		enum clu_verb verb = exec_verb_of(&a->x, c);
		char *what;

		if (verb == CLU_VERB_LOCK && clu__streq(c->name, a->x.lock.token))
			continue;          /* abort's own: released at the end */
		if (verb == CLU_VERB_BAN && guarded(&a->live, c->group, c->node))
			continue;          /* the guard's: kept (keep_guard named it) */
		if (verb == CLU_VERB_VERSION || verb == CLU_VERB_NONE) {
			add_item(&a->r->kept, &a->r->n_kept,
				 clu__xasprintf("%s %s%s%s = %s (run %lld)", c->kind, c->target,
						c->name ? " " : "", c->name ? c->name : "",
						c->value ? c->value : "(deleted)", (long long)c->run_id),
				 clu__xstrdup(verb == CLU_VERB_VERSION ?
					      "a node's recorded version: its software is installed; "
					      "abort puts back the cluster's settings, not software" :
					      "a change this cluster's backend does not know"));
			continue;
		}
		if ((ret = exec_put_back(&a->x, c, err)))
			break;
		if (verb == CLU_VERB_LOCK)
			continue;          /* an earlier holder's record, closed */
		what = undone_what(a, c);
		say(a, "restored: %s", what);
		add_item(&a->r->restored, &a->r->n_restored, what,
			 clu__xasprintf("run %lld, step %u", (long long)c->run_id, c->step));
	}
	return ret;
}

/* ---- 5. the end --------------------------------------------------------------- */

static int settle_tick(void *ctx, const char *unmet, struct clu_err *err)
{
	struct abort_ctx *a = ctx;

	(void)unmet;
	return exec_lock_renew(&a->x, false, err);
}

/* The engine acts on the undo (a group back where it may run): let it finish. */
static int settle(struct abort_ctx *a, struct clu_err *err)
{
	struct clu_settle how = {
		.timeout_ms = a->opt->settle_timeout_ms, .poll_ms = a->x.opt.poll_ms,
		.tick = settle_tick, .ctx = a,
	};
	int ret;

	say(a, "waiting for the cluster to settle");
	ret = a->x.backend->ops->settle(a->x.backend, &how, err);
	if (ret)
		clu_err_prefix(err, "everything is put back, but the cluster did not settle");
	return ret;
}

static void mark_aborted(struct abort_ctx *a, int64_t run, const char *message,
			 struct clu_err *err, int *ret)
{
	for (size_t i = 0; i < a->r->n_aborted; i++)
		if (a->r->aborted[i] == run)
			return;
	if (!*ret)
		*ret = clu_journal_run_end(a->x.journal, run, CLU_RUN_ABORTED, message, err);
	if (*ret)
		return;
	a->r->aborted = clu__xrealloc(a->r->aborted, (a->r->n_aborted + 1) *
				      sizeof(*a->r->aborted));
	a->r->aborted[a->r->n_aborted++] = run;
}

static int end_runs(struct abort_ctx *a, struct clu_err *err)
{
	char *message = clu__xasprintf("%zu change%s put back, %zu kept (%s)",
				       a->r->n_restored, a->r->n_restored == 1 ? "" : "s",
				       a->r->n_kept, a->r->n_kept ? "see 'clupdate status'"
				       : "none");
	char *with = clu__xasprintf("aborted with run %lld", (long long)a->x.run_id);
	int ret = 0;

	if (!a->was_aborted || a->r->n_restored)
		mark_aborted(a, a->x.run_id, message, err, &ret);
	for (size_t i = 0; i < a->n_changes; i++)
		if (a->changes[i].run_id != a->x.run_id)
			mark_aborted(a, a->changes[i].run_id, with, err, &ret);
	free(message);
	free(with);
	return ret;
}

/* ---- the whole ------------------------------------------------------------------ */

static void options_defaults(struct clu_abort_options *o)
{
	if (!o->stop_timeout_ms)
		o->stop_timeout_ms = 120000;
	if (!o->poll_ms)
		o->poll_ms = 500;
	if (!o->settle_timeout_ms)
		o->settle_timeout_ms = 120000;
	if (!o->lock_stale_ms)
		o->lock_stale_ms = 60000;
}

static int undo_run(struct abort_ctx *a, struct clu_err *err)
{
	int ret;

	exec_lock_init(&a->x);
	ret = exec_lock_take(&a->x, err);
	if (!ret)
		ret = a->x.backend->ops->read(a->x.backend, true, &a->live, err);
	if (!ret)
		ret = open_changes(a, err);
	if (!ret)
		ret = keep_guard(a, err);
	if (!ret)
		ret = undo_all(a, err);
	if (!ret)
		ret = settle(a, err);
	if (!ret)
		ret = end_runs(a, err);
	exec_lock_release(&a->x);
	return ret;
}

int clu_abort_run(struct clu_backend *backend, struct clu_journal *journal,
		  const struct clu_abort_options *options, struct clu_abort_result *result,
		  struct clu_err *err)
{
	static const struct clu_plan no_plan;
	struct clu_abort_options o = *options;
	struct clu_exec_result unused;
	struct clu_manifest update;
	struct clu_run_record run;
	struct abort_ctx a = { .opt = &o, .r = result };
	bool found = false;
	int ret;

	memset(result, 0, sizeof(*result));
	memset(&unused, 0, sizeof(unused));
	memset(&update, 0, sizeof(update));
	memset(&run, 0, sizeof(run));
	options_defaults(&o);
	a.x = (struct executor){
		.plan = &no_plan, .manifest = &update, .backend = backend, .journal = journal,
		.result = &unused,
		.opt = { .settle_timeout_ms = o.settle_timeout_ms, .poll_ms = 100,
			 .lock_stale_ms = o.lock_stale_ms, .break_stale_lock = o.break_stale_lock,
			 .lock_renew_ms = 5000 },
	};
	ret = find_run(&a, &run, &found, err);
	/* A run at work is stopped first, whatever this journal holds. */
	if (!ret)
		ret = stop_running(&a, err);
	if (!ret && found && run.state == CLU_RUN_SUCCEEDED) {
		found = false;
		if (!result->stopped)
			ret = clu_err_set(err, CLU_E_REFUSED, "run %lld (%s %s) succeeded: there is "
					  "nothing to abort", (long long)run.id, run.update,
					  run.version);
	}
	if (!ret && !found) {
		if (result->stopped)
			result->nothing_here = true;
		else if (o.run_id)
			ret = clu_err_set(err, CLU_E_USAGE, "no run %lld in the journal (see "
					  "'clupdate history')", (long long)o.run_id);
		else
			ret = clu_err_set(err, CLU_E_USAGE, "the journal has no run: nothing to "
					  "abort");
	}
	if (!ret && found) {
		a.x.run_id = result->run_id = run.id;
		a.was_aborted = run.state == CLU_RUN_ABORTED;
		update.name = run.update;
		update.version = run.version;
		a.x.run_start_mono = a.x.step_start_mono = clu_now_mono_ms();
		ret = undo_run(&a, err);
	}
	clu_cluster_release(&a.live);
	clu_changes_free(a.changes, a.n_changes);
	clu_run_record_release(&run);
	free(a.x.lock_lost);
	free(a.x.abort_requested);
	free(a.x.pending);
	clu__strv_release(&a.x.failures_before);
	clu_lock_holder_release(&a.x.lock);
	return ret;
}
