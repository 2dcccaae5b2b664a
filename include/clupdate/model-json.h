/*
 * The model as JSON: the one serialiser of a plan and of a cluster's
 * state, below the output module, for whoever must keep them as text.
 *
 * The journal keeps a run's plan and its snapshots of the cluster in this
 * form (lib/exec.c); the output module prints a plan through the same
 * code (`--output-as json|xml`), so the journalled plan is the document
 * `clupdate plan --output-as json` shows under "plan" (compact here,
 * pretty-printed there).
 * doc/output.md and doc/clupdate-output.schema.json describe the plan
 * document; the cluster's is {"name", "quorum", "nodes": [{"name",
 * "online", "standby", "maintenance", "version"}], "groups": [{"name",
 * "owner", "managed", "data-version", "members", "banned"}]}, absent
 * strings left out.
 */
#ifndef CLUPDATE_MODEL_JSON_H
#define CLUPDATE_MODEL_JSON_H

#include "clupdate/cluster.h"
#include "clupdate/plan.h"

/*
 * The plan's JSON document, compact (no white space), as a new string the
 * caller frees. Never fails (out of memory ends the program).
 */
char *clu_plan_to_json(const struct clu_plan *plan);

/* The cluster's JSON document, compact, as a new string the caller frees. */
char *clu_cluster_to_json(const struct clu_cluster *cluster);

#endif
