/*
 * The apply pipeline: what `clupdate apply` does, as one library entry
 * point, so that a front end only presents it. In order:
 *
 *   1. lock     another run at work is named before anything is planned
 *               (unless the lock is to be broken: the executor does that)
 *   2. read     the live state of the target, once the engine has settled
 *               (a node joining, an election, a transition: waited for)
 *   3. recover  nodes an unfinished earlier run of this update drained are
 *               marked, so the plan updates and undrains them first
 *   4. plan     the ordered, checked plan (clu_plan_make; for a rollback,
 *               clu_rollback_plan, and its manifest is the one that runs)
 *   5. confirm  the front end shows the plan and says whether to go on
 *   6. check    every node the plan runs a command on answers as itself
 *   7. probes   the manifest's probes, resolved for this target (none on a
 *               simulated cluster: it has no service to measure)
 *   8. run      the executor (clu_exec_run), with the front end's progress
 *   9. record   the run as the journal holds it, for the report
 *
 * Nothing changes in the cluster before step 8, and step 8 journals every
 * change before making it.
 */
#ifndef CLUPDATE_APPLY_H
#define CLUPDATE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "clupdate/exec.h"
#include "clupdate/journal.h"
#include "clupdate/manifest.h"
#include "clupdate/plan.h"
#include "clupdate/rollback.h"
#include "clupdate/target.h"

struct clu_apply {
	/* In: what to apply where; borrowed, they outlive the call. */
	struct clu_target *target;            /* a live one */
	const struct clu_manifest *manifest;
	struct clu_journal *journal;
	int strategy;                         /* -1: the manifest's */
	bool rollback;                        /* put the previous version back
						 (rollback.h) instead of applying */
	bool no_probes;
	struct clu_exec_options exec;         /* progress, interruption, timeouts */
	/* The plan is made: show it, return whether to go on (NULL: go on). */
	bool (*confirm)(void *ctx, const struct clu_plan *plan,
			const struct clu_manifest *manifest, const struct clu_cluster *cluster);
	/* The engine is busy: the read waits for it to settle, at most
	 * timeout_ms; called once, at the first busy look (may be NULL). */
	void (*settling)(void *ctx, unsigned timeout_ms);
	/* Before each node is checked, for progress (may be NULL). */
	void (*checking)(void *ctx, const char *node);
	/* Right before the first change (may be NULL). */
	void (*starting)(void *ctx, const struct clu_plan *plan);
	void *ctx;

	/* Out: what happened, released by clu_apply_release(). */
	bool declined;                        /* confirm said no: nothing changed */
	const char *no_probes_why;            /* probes not run, and why; NULL */
	size_t n_probes;
	bool executed;                        /* the executor ran: result is filled */
	struct clu_exec_result result;
	bool have_run;                        /* run holds the journal's record */
	struct clu_run_record run;
	char *run_load_error;                 /* why the record could not be read */

	/* Private. */
	struct clu_cluster cluster;
	struct clu_plan plan;
	bool planned;
	struct clu_rollback rollback_decided;         /* what a rollback runs */
	bool have_rollback;
	struct clu_probe_target *probes;
};

/*
 * Run the pipeline. Returns 0 when every step is done (or the operator
 * declined), else the first error: the lock (CLU_E_LOCKED), the cluster's
 * state (CLU_E_CLUSTER, also when the engine did not settle before
 * planning; CLU_E_ABORTED when interrupted or past the deadline while it
 * waited), the plan (CLU_E_REFUSED), a node check, the probes, or the
 * executor's (see clu_exec_run()). *a's out fields say how far it got.
 */
int clu_apply_run(struct clu_apply *a, struct clu_err *err);
void clu_apply_release(struct clu_apply *a);

#endif
