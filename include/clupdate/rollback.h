/*
 * Rollback: "put the previous version back", as a plan the executor runs
 * like any update (`clupdate rollback MANIFEST`).
 *
 * The manifest's [install] `rollback` command puts the previous version
 * back on one node. It is run node by node in the order that keeps the
 * version guard: each owner first with its groups pinned, then every other
 * node drained, one at a time (in place). Whether that is safe depends on
 * the groups' data:
 *
 *   - not migrated: allowed. With `data-migration = no` nothing ever is;
 *     with `data-migration = yes` the data is migrated once the owner's
 *     install ran, and clupdate knows it from the live state: the group's
 *     data version (a simulated or static cluster says it), else the
 *     version of the node that runs the group. The version guard never lets
 *     a group run on a node older than its data, so an owner still at the
 *     previous version means data still at the previous version.
 *   - migrated, and the manifest declares a `down-migration` command:
 *     allowed. On the owner, with its groups pinned, the down-migration runs
 *     first, then the rollback, in one step (like the seed's install); the
 *     other nodes are kept off the group (guards) until each is rolled back.
 *   - migrated, no `down-migration`: refused (CLU_E_REFUSED), naming the
 *     group, the node whose install migrated its data, and that the
 *     manifest declares no down-migration.
 *
 * The previous version is the manifest's `previous-version`, else the one
 * version that the nodes older than the manifest's version have (a partial
 * run); with neither, the rollback is refused and asks for the key.
 */
#ifndef CLUPDATE_ROLLBACK_H
#define CLUPDATE_ROLLBACK_H

#include "clupdate/cluster.h"
#include "clupdate/err.h"
#include "clupdate/manifest.h"
#include "clupdate/plan.h"

/* A rollback decided (clu_rollback_prepare), to be planned. */
struct clu_rollback {
	/*
	 * The manifest the plan and the executor follow: the update's name,
	 * groups, hooks and probes; version: the previous one; previous_version:
	 * the update's version (so the leftovers of its stopped runs, and of
	 * this rollback's, are adopted); the rollback as the installer; strategy
	 * in-place; data-migration when a down-migration may run.
	 */
	struct clu_manifest manifest;
	bool migrated;           /* the data is migrated: the owners down-migrate it */
	char *note_version;      /* the plan's notes: which version, learnt where */
	char *note_data;         /* and what the data needs */
};

/*
 * Decide as above for manifest on cluster, and fill *r (which it
 * initialises). Returns 0, or CLU_E_REFUSED (no rollback command, no
 * previous version, migrated data without a down-migration) with the
 * reason in err; then *r holds nothing.
 */
int clu_rollback_prepare(struct clu_rollback *r, const struct clu_manifest *manifest,
			 const struct clu_cluster *cluster, struct clu_err *err);

/*
 * Plan the rollback r on cluster (clu_plan_make_rollback(), with r's
 * manifest), with the owners' down-migration steps and r's notes. Returns
 * 0, or the planner's error (CLU_E_REFUSED, CLU_E_CLUSTER).
 */
int clu_rollback_plan(struct clu_plan *plan, const struct clu_rollback *r,
		      const struct clu_cluster *cluster, struct clu_err *err);

/* Free the contents of *r and zero it. */
void clu_rollback_release(struct clu_rollback *r);

#endif
