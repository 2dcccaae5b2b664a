/*
 * The executor: walks a plan against the live cluster, which it knows only
 * through the backend interface (backend.h): Pacemaker, or a simulation.
 *
 * Before each step it re-reads the cluster's state and checks the step's
 * preconditions and the invariants (clu_plan_check_state); it journals
 * every change before making it (with the prior value needed to restore
 * it), does the step, waits for the engine to settle, and checks the
 * step's postconditions. Installer and verify commands run on their node
 * through the backend, with the run's data in their environment:
 *
 *   CLU_NODE CLU_VERSION CLU_UPDATE CLU_GROUPS CLU_MANIFEST_DIR CLU_RUN_ID
 *
 * Between nodes it passes the manifest's gates (exec-gate.c): after a
 * verify it records the node's version attribute itself (a journalled
 * change), runs the health check ([install] check) and the soak; after a
 * switchover it waits until the group's probes see the service again
 * (up-timeout); before a pin, drain or move it stops when a probe has
 * seen its group down longer than its budget (max-outage). A pre hook
 * that fails vetoes its node (never retried).
 *
 * A failed step is retried as the manifest says; then the run stops and
 * leaves the cluster safe: no group on, or able to fail over to, a node
 * older than its data. What stays in place (a pin, a ban, a drained node)
 * is listed in the result with the reason, and in the journal.
 *
 * Probes (probe.h) measure the service for the whole run, from before the
 * first step to after the last; afterwards each smtp probe's `check`
 * command runs on the group's owner to find acknowledged messages missing
 * from the store. An installer may log the instants it stopped and
 * restarted the service as lines "NAME stopped at mono_ms=N" and "NAME
 * started at mono_ms=N" (CLOCK_MONOTONIC): they are journalled as events
 * ("service-stopped", "service-started") for the timeline, as is the time
 * each step spent waiting for the engine ("cluster-wait").
 *
 * One run per cluster: a lock in the cluster's own configuration (see
 * clu_lock_holder in backend.h), taken with a create-only write before the
 * first step, renewed every few seconds (between steps, while waiting for
 * the engine, and while a node command runs), released at the end only if
 * it is still this run's. A run that loses it stops at the next safe point.
 */
#ifndef CLUPDATE_EXEC_H
#define CLUPDATE_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "clupdate/backend.h"
#include "clupdate/journal.h"
#include "clupdate/manifest.h"
#include "clupdate/plan.h"
#include "clupdate/probe.h"

/* What the executor tells the front end as it goes (for progress lines). */
enum clu_exec_event {
	CLU_EXEC_STEP_START,      /* a step (attempt) begins */
	CLU_EXEC_STEP_WAIT,       /* still waiting (the engine, a command); repeated */
	CLU_EXEC_STEP_DONE,
	CLU_EXEC_STEP_SKIPPED,    /* already true (resume) */
	CLU_EXEC_STEP_RETRY,      /* failed, will be retried */
	CLU_EXEC_STEP_FAILED,
};

struct clu_exec_progress {
	enum clu_exec_event event;
	const struct clu_step *step;      /* NULL: a wait before the first step (the lock) */
	unsigned n_steps;
	unsigned attempt;
	int64_t step_elapsed_ms;
	int64_t run_elapsed_ms;
	const char *message;      /* what it waits for, or why it failed; may be NULL
				     (a WAIT repeated while a node command runs:
				     still the same) */
	const struct clu_plan *plan;      /* the plan run (its steps' predictions) */
	/* Each probe's state now, in the order of clu_exec_options.probes;
	 * NULL (0) while no probe runs. Valid during the call only. */
	const struct clu_probe_look *probes;
	size_t n_probes;
};

struct clu_exec_options {
	unsigned settle_timeout_ms;       /* wait for the engine per step; default 120 s */
	unsigned poll_ms;                 /* state polling while waiting; default 100 ms */
	unsigned lock_stale_ms;           /* a heartbeat still this long is stale; 60 s */
	bool break_stale_lock;            /* watch a held lock that long, take it if stale */
	int64_t deadline_mono_ms;         /* 0: none; once clu_now_mono_ms() passes it,
					     the run stops at the next step boundary
					     (CLU_E_ABORTED), saying what is left */
	unsigned lock_renew_ms;           /* renew the lock at least this often; 5 s (an
					     abort request is seen at a renewal) */
	const char *cluster_source;       /* for the journal, e.g. "lab:demo" */
	void (*progress)(void *ctx, const struct clu_exec_progress *p);
	void *progress_ctx;
	volatile sig_atomic_t *interrupted;   /* set by a signal handler: stop safely */
	const struct clu_probe_target *probes;  /* measured for the whole run; may be 0 */
	size_t n_probes;
};

/* Fill the options left 0 with their defaults (the values above), as the
 * executor does; for a front end's wait that should match a step's. */
void clu_exec_fill_defaults(struct clu_exec_options *o);

/* A change that stays in place after a stopped run, and why. */
struct clu_remaining {
	char *what;               /* "'mail' is pinned on 'n2'", "'n1' is in standby", ... */
	char *why;
};

struct clu_exec_result {
	int64_t run_id;
	size_t acknowledged;      /* messages acknowledged to the smtp probes */
	size_t lost;              /* of those, missing from the store after the run */
	bool lost_checked;        /* a check command ran for every smtp probe */
	char *check_failure;      /* why one could not check (it failed, or the
				     group runs nowhere); NULL */
	unsigned steps_done;
	unsigned failed_step;     /* 0 when none failed */
	char *failed_node;        /* node of the failed step; NULL */
	char *failed_output;      /* its command's output (bounded); NULL */
	struct clu_remaining *remaining;
	size_t n_remaining;
};

/*
 * Apply plan (made from manifest) to the cluster behind backend (node
 * commands too), journalling into journal: step by step, except that the
 * node commands of one kind on the nodes of one wave (their installers,
 * their verifies, a hook) run at once, each journalled on its own; a
 * failing one does not stop the others. Returns 0
 * when every step is done; CLU_E_STEP when a step failed (err names the
 * step, node and reason; result says what remains), CLU_E_LOCKED when
 * another run holds the cluster, CLU_E_ABORTED when interrupted, or the
 * error of a failed journal write or cluster read (the run stops at once:
 * nothing is done that was not journalled first). result is filled in
 * every case; release it with clu_exec_result_release().
 */
int clu_exec_run(const struct clu_plan *plan, const struct clu_manifest *manifest,
		 struct clu_backend *backend, struct clu_journal *journal,
		 const struct clu_exec_options *options, struct clu_exec_result *result,
		 struct clu_err *err);

void clu_exec_result_release(struct clu_exec_result *result);

/*
 * Before planning: CLU_E_LOCKED, naming the holder (run, pid, host, since
 * when), when another run holds the cluster lock and is not provably gone;
 * so a second operator learns it before a plan is made. The lock itself
 * is taken by clu_exec_run().
 */
int clu_exec_check_lock(struct clu_backend *backend, struct clu_err *err);

/*
 * Before planning: mark what an earlier run of this same update that did
 * not finish (a crash, a stopped run) left: the nodes of cluster whose
 * standby it set, so that the plan updates them first and undrains them
 * (clu_node.drained_by_clupdate), and the groups it pinned, still pinned,
 * with the node it pinned them on (clu_group.pinned_by_clupdate), so that
 * a group whose owner died under the pin is started there again first.
 * Reads the journal only.
 */
int clu_exec_mark_leftovers(struct clu_backend *backend, struct clu_journal *journal,
			    const struct clu_manifest *manifest, struct clu_cluster *cluster,
			    struct clu_err *err);

#endif
