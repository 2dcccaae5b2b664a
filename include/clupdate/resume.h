/*
 * `clupdate resume`: the explicit continuation of a run that did not
 * finish (it crashed: still "running" in the journal; or it stopped:
 * "failed", a step failed or it was interrupted). Resume is `apply` of the
 * same update (apply.h): the live state is read again and planned from, so
 * that a node already at the target version is not reinstalled, and what
 * the run left (pins, bans, drained nodes) is adopted as `apply` adopts
 * the leftovers of an earlier unfinished run of its update. What resume
 * adds is the choice of that run and of its manifest, and a summary, for
 * the operator, of what the run did and what the new plan does again.
 *
 *   1. find       the last run, or a given one, that is unfinished
 *                 (clu_resume_find)
 *   2. manifest   the run's manifest file, as long as its text is still
 *                 the one the run began with (clu_resume_manifest)
 *   3. plan       clu_apply_run() with that manifest and the run's
 *                 strategy; in its confirmation, clu_resume_summarize()
 *                 says per node what the run did and what happens now
 */
#ifndef CLUPDATE_RESUME_H
#define CLUPDATE_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "clupdate/cluster.h"
#include "clupdate/err.h"
#include "clupdate/journal.h"
#include "clupdate/manifest.h"
#include "clupdate/plan.h"

/*
 * The run to resume into *run: run_id, or the journal's last run when 0.
 * It must be unfinished (RUNNING or FAILED) and not completed since by a
 * later run of the same update. Errors, all CLU_E_USAGE, name the run and
 * its state: "the journal has no run: nothing to resume", "no run 7 in the
 * journal (see 'clupdate history')", "nothing to resume: the last run, 3
 * (mail-sp2 2), succeeded", "... was aborted ...", "nothing to resume: run
 * 1 (mail-sp2 2) was completed by run 3"; else the journal's error. On
 * error *run holds nothing; otherwise release it with
 * clu_run_record_release().
 */
int clu_resume_find(struct clu_journal *journal, int64_t run_id, struct clu_run_record *run,
		    struct clu_err *err);

/*
 * Load the manifest of run from its file (run->manifest_path, as it was
 * given to the run: a relative path is relative to the current directory)
 * into *manifest. The file's text must be the journalled one: otherwise
 * CLU_E_MANIFEST "manifest 'PATH' changed since run N began: ..." (apply
 * the new one with `clupdate apply`, or restore the old one); a file that
 * cannot be read or parsed gives clu_manifest_load()'s error, prefixed
 * with "the manifest of run N". On error *manifest holds nothing.
 */
int clu_resume_manifest(const struct clu_run_record *run, struct clu_manifest *manifest,
			struct clu_err *err);

/* What becomes of a node's update on resume. */
enum clu_resume_fate {
	CLU_RESUME_AT_TARGET,     /* at the target version already: not reinstalled */
	CLU_RESUME_REDONE,        /* the run worked there and it is not at the target:
				     its steps are done again */
	CLU_RESUME_NOT_REACHED,   /* the run had not reached it: updated as planned */
	CLU_RESUME_NOT_PLANNED,   /* not at the target, and nothing planned there
				     (an offline node the plan skips: its notes say why) */
};

struct clu_resume_node {
	char *name;
	enum clu_resume_fate fate;
	char *version;            /* its live version; NULL when unknown */
	char *did;                /* what the run did there, for people ("drain done;
				     install failed (step 6)"); NULL: nothing */
	char *now;                /* what the new plan does there, for people ("already
				     at version 2: not reinstalled") */
	size_t n_steps;           /* steps of the new plan on it */
};

struct clu_resume_summary {
	int64_t run_id;
	struct clu_resume_node *nodes;    /* in the cluster's node order */
	size_t n_nodes;
};

/*
 * Compare what run did, node by node, with plan (made from live, the
 * cluster as it is now) into *summary (which it initialises; release it
 * with clu_resume_summary_release()). A node is at the target when its
 * live version is plan->version or newer.
 */
void clu_resume_summarize(struct clu_resume_summary *summary, const struct clu_run_record *run,
			  const struct clu_plan *plan, const struct clu_cluster *live);
void clu_resume_summary_release(struct clu_resume_summary *summary);

#endif
