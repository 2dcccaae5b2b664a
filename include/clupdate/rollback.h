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
 * version that the nodes not at the manifest's version have (a partial
 * run); with neither, the rollback is refused and asks for the key.
 */
#ifndef CLUPDATE_ROLLBACK_H
#define CLUPDATE_ROLLBACK_H

#include "clupdate/cluster.h"
#include "clupdate/err.h"
#include "clupdate/manifest.h"
#include "clupdate/plan.h"

/*
 * Decide as above and plan the rollback of manifest on cluster. Fills
 * *rollback with the manifest the plan and the executor follow (which it
 * initialises: the same update name, groups, hooks and probes; version:
 * the previous one; the rollback as the installer; strategy in-place;
 * data-migration when a down-migration may run), and *plan
 * (clu_plan_make_rollback(), with the owners' down-migration steps and
 * notes saying where the previous version came from and what the data
 * needs). Returns 0; CLU_E_REFUSED (no rollback command, no previous
 * version, migrated data without a down-migration, or an unsafe plan);
 * CLU_E_CLUSTER as clu_plan_make(). On error neither holds anything.
 */
int clu_rollback_plan(struct clu_plan *plan, struct clu_manifest *rollback,
		      const struct clu_manifest *manifest, const struct clu_cluster *cluster,
		      struct clu_err *err);

#endif
