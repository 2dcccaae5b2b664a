/*
 * `clupdate abort`: stop a run and put the cluster's admin state back as it
 * was before the update began, from the journal alone (after a crash too).
 *
 *   1. stop    a run that holds the cluster lock and is alive is asked to
 *              stop: on this host with SIGTERM, from another with an abort
 *              request in the lock record (the holder sees it at its next
 *              renewal, every 5 s, and stops as if interrupted); abort
 *              waits, bounded, until the lock is free
 *   2. lock    abort takes the cluster lock itself (a holder provably gone,
 *              i.e. crashed on this host, is taken over), journalled in the
 *              run it aborts
 *   3. guard   from the live state: every node older than a group's data
 *              version must not be able to host it; the bans clupdate put
 *              there stay, and one it had meant to put (intended, not in
 *              place) or never needed (a pin held the group) is put now, so
 *              that no undo below can let a group fail over onto old
 *              binaries; each is named with the reason
 *   4. undo    every change still open of the run, and of the earlier
 *              unfinished runs of the same update (in effect too), newest
 *              first, through the executor's one undo (exec_put_back):
 *              each journalled as restored; a node's recorded version is
 *              not put back (its software is installed: that is rollback)
 *   5. end     the runs are marked ABORTED, the engine is let settle, the
 *              lock is released
 */
#ifndef CLUPDATE_ABORT_H
#define CLUPDATE_ABORT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/backend.h"
#include "clupdate/exec.h"
#include "clupdate/journal.h"

struct clu_abort_options {
	int64_t run_id;                   /* the run to abort; 0: the journal's last */
	unsigned stop_timeout_ms;         /* wait for a running holder to stop; 120 s */
	unsigned poll_ms;                 /* looks at the lock while it stops; 500 ms */
	unsigned settle_timeout_ms;       /* the engine's settle after the undo; 120 s */
	unsigned lock_stale_ms;           /* as clu_exec_options */
	bool break_stale_lock;
	/* What abort is doing (may be NULL): lines for people. */
	void (*progress)(void *ctx, const char *message);
	void *progress_ctx;
};

struct clu_abort_result {
	int64_t run_id;                   /* the run aborted; 0: none in this journal */
	char *stopped;                    /* the running holder that was stopped; NULL */
	bool nothing_here;                /* stopped, but its journal is not this one */
	size_t n_restored;                /* changes put back */
	struct clu_remaining *restored;   /* each, for people (what, and its prior) */
	struct clu_remaining *kept;       /* left in place, and why (the guard's bans) */
	size_t n_kept;
	int64_t *aborted;                 /* runs marked aborted, run_id first */
	size_t n_aborted;
};

/*
 * Abort run options->run_id (0: the last run) of journal on the cluster
 * behind backend; see the top of this file. Returns 0 when everything is
 * put back but what result->kept names; CLU_E_REFUSED for a run that
 * succeeded (nothing to abort: the update is complete); CLU_E_USAGE for an
 * empty journal or an unknown run; CLU_E_LOCKED when the holder did not
 * stop within stop_timeout_ms (or holds the lock and cannot be told);
 * else the backend's or the journal's error, with the run left as it was
 * and abort safe to run again. result is filled in every case; release it
 * with clu_abort_result_release().
 */
int clu_abort_run(struct clu_backend *backend, struct clu_journal *journal,
		  const struct clu_abort_options *options, struct clu_abort_result *result,
		  struct clu_err *err);

void clu_abort_result_release(struct clu_abort_result *result);

#endif
