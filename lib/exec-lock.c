/*
 * The cluster lock (see exec.h and struct clu_lock_holder in backend.h):
 * one run per cluster. Taken with a create-only write before the first
 * step and journalled like any change; renewed every lock_renew_ms (5 s)
 * (between steps, in waits, under node commands); released at the end only
 * if it is still this run's. A holder that is provably gone (this host, no
 * such process) is taken over at once; a stale one (its beat still for
 * lock_stale_ms, on our own clock) only with --break-lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include "exec-internal.h"

/* "run 12 (clupdate pid 4711 on host 'n1', since 2026-12-06T17:45:00Z)" */
char *exec_lock_describe(const struct clu_lock_holder *h)
{
	return clu__xasprintf("run %lld (clupdate pid %ld on host '%s', since %s, heartbeat %lu)",
			      (long long)h->run, h->pid, h->host, h->since, h->beat);
}

/*
 * Whether the lock's holder is provably gone: a clupdate on this very host
 * whose process no longer exists (killed, or the machine rebooted under
 * it). Its lock can be taken over at once; its run is marked interrupted.
 */
bool exec_lock_holder_gone(const struct clu_lock_holder *h)
{
	char host[256] = "", path[64], stat[256] = "";
	const char *state;
	FILE *f;

	gethostname(host, sizeof(host) - 1);
	if (h->pid <= 0 || strcmp(h->host, host))
		return false;
	if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH)
		return true;
	/* A zombie (ended, its parent not told yet) runs nothing any more. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", h->pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = '\0';
	fclose(f);
	state = strrchr(stat, ')');
	return state && state[1] == ' ' && state[2] == 'Z';
}

/* CLU_E_LOCKED naming holder, with what the operator can do. */
static int locked_by(const struct clu_lock_holder *holder, bool breaking, struct clu_err *err)
{
	char *who = exec_lock_describe(holder);
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
	int ret = backend->ops->lock_read(backend, &holder, &exists, err);

	if (!ret && exists && !exec_lock_holder_gone(&holder))
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
	exec_event(x, clu_now_mono_ms(), "lock-taken-over", NULL, NULL, why);
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
	char *who = exec_lock_describe(h);
	int ret = 0;

	*stale = false;
	exec_progress(x, CLU_EXEC_STEP_WAIT, NULL, 0, who);
	while (!ret && clu_now_mono_ms() < until) {
		struct clu_lock_holder now;
		bool exists;

		if (exec_interrupted(x)) {
			ret = clu_err_set(err, CLU_E_ABORTED, "interrupted while watching the "
					  "cluster lock of %s", who);
			break;
		}
		clu__sleep_ms(1000);
		ret = x->backend->ops->lock_read(x->backend, &now, &exists, err);
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
int exec_lock_take(struct executor *x, struct clu_err *err)
{
	struct clu_lock_holder *me = &x->lock;
	char *mine = exec_lock_describe(me);
	struct clu_change change = {
		.kind = clu__xstrdup(CLU_CHANGE_LOCK), .target = clu__xstrdup(CLU_LOCK_TARGET),
		.name = clu__xstrdup(me->token), .value = mine,
	};
	bool created = false;
	int ret = exec_journal_intent(x, &change, err);
	int64_t id = change.id;

	clu_change_release(&change);
	for (int tries = 0; !ret && !created && tries < 3; tries++) {
		struct clu_lock_holder holder;
		bool exists = false, gone, stale = false;
		char *who;

		ret = x->backend->ops->lock_create(x->backend, me, &created, err);
		if (!ret && !created)
			ret = x->backend->ops->lock_read(x->backend, &holder, &exists, err);
		if (ret || created || !exists)
			continue;   /* !exists: released in between, try again */
		gone = exec_lock_holder_gone(&holder);
		if (gone)
			mark_interrupted(x, &holder);
		else if (x->opt.break_stale_lock)
			ret = lock_watch(x, &holder, &stale, err);
		who = exec_lock_describe(&holder);
		if (!ret && (stale || gone)) {
			/* Only that holder at that beat: one that came back keeps it. */
			exec_event(x, clu_now_mono_ms(), "lock-broken", NULL, NULL, who);
			ret = x->backend->ops->lock_delete(x->backend, holder.token, holder.beat, err);
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
 * Renew the lock when lock_renew_ms have passed (always, with force): a
 * conditional write that only succeeds while the lock still holds our
 * token. Lost: CLU_E_LOCKED, and the run stops at the next safe point.
 */
int exec_lock_renew(struct executor *x, bool force, struct clu_err *err)
{
	bool held;
	int ret;

	if (!x->lock_held || x->abort_requested ||
	    (!force && clu_now_mono_ms() - x->lock_renewed_mono < x->opt.lock_renew_ms))
		return 0;
	ret = x->backend->ops->lock_renew(x->backend, x->lock.token, x->lock.beat + 1, &held, err);
	if (ret)
		return ret;
	if (!held) {
		struct clu_lock_holder now;
		bool exists = false;
		char *who = NULL;

		if (x->backend->ops->lock_read(x->backend, &now, &exists, err))
			exists = false;
		if (exists && !strcmp(now.token, x->lock.token) && now.abort_by) {
			/* Still ours, and `abort` asks us to stop: as if interrupted. */
			x->abort_requested = clu__xstrdup(now.abort_by);
			exec_event(x, clu_now_mono_ms(), "abort-requested", NULL, NULL, now.abort_by);
			clu_lock_holder_release(&now);
			return 0;
		}
		x->lock_held = false;
		if (exists)
			who = exec_lock_describe(&now);
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
void exec_lock_watchdog(void *ctx)
{
	struct executor *x = ctx;
	struct clu_err err = CLU_ERR_INIT;

	if (exec_lock_renew(x, false, &err) == CLU_E_LOCKED && !x->lock_lost)
		x->lock_lost = clu__xstrdup(err.msg);
	/* A node command runs on: a live view keeps its clock and probes moving. */
	if (x->step)
		exec_progress(x, CLU_EXEC_STEP_WAIT, x->step, 1, NULL);
}

void exec_lock_release(struct executor *x)
{
	struct clu_err ignored = CLU_ERR_INIT;
	bool found;

	if (!x->lock_held)
		return;
	/* A journalled change like any other: put back, i.e. deleted if still ours. */
	exec_restore(x, CLU_VERB_LOCK, NULL, NULL, &found, &ignored);
	x->lock_held = false;
}

/* This run's identity in the lock: a token no other run can have. */
void exec_lock_init(struct executor *x)
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

