/*
 * The model's JSON documents as json-c trees, for the output module, which
 * puts them in its envelope (JSON) or turns them into XML. Library-
 * internal: the public contract is clupdate/model-json.h.
 */
#ifndef CLU_MODEL_JSON_INTERNAL_H
#define CLU_MODEL_JSON_INTERNAL_H

#include <json.h>

#include "clupdate/model-json.h"

/* New trees, owned by the caller (json_object_put()). */
struct json_object *clu__plan_doc(const struct clu_plan *plan);
struct json_object *clu__cluster_doc(const struct clu_cluster *cluster);

#endif
