/*
 * The Pacemaker backend (see backend.h for the interface it implements):
 * the live state from crm_mon and cibadmin, and each change one Pacemaker
 * command-line tool run on a control node through a transport:
 *
 *   pin      resource meta attribute is-managed=false on the group
 *            (kind "meta", target the group, name "is-managed")
 *   drain    permanent node attribute standby=on
 *            (kind "node-attribute", target the node, name "standby")
 *   version  permanent node attribute VERSION_ATTRIBUTE=VERSION
 *   ban      location constraint clupdate-ban-G-on-N, -INFINITY
 *   prefer   location constraint clupdate-prefer-G, +INFINITY
 *            (kind "constraint", target its id, name the group, detail
 *            its XML); added and removed by id, so an administrator's own
 *            constraints (cli-ban-*) are never touched; several in ONE
 *            CIB update (a ban and a move: one switchover)
 *   lock     cluster_property_set "clupdate-lock" in crm_config
 *
 * The CLI runs on the first control node that answers (a node that is
 * down cannot run it: the next one is tried).
 */
#ifndef CLUPDATE_PACEMAKER_BACKEND_H
#define CLUPDATE_PACEMAKER_BACKEND_H

#include <stddef.h>

#include "clupdate/backend.h"
#include "clupdate/transport.h"

#define CLU_PCMK_CHANGE_META "meta"
#define CLU_PCMK_CHANGE_NODE_ATTRIBUTE "node-attribute"
#define CLU_PCMK_CHANGE_CONSTRAINT "constraint"

/*
 * A backend for the cluster reached through transport (borrowed: it must
 * outlive the backend); nodes are the control nodes to try, in order
 * (copied); n_nodes 0 means "this machine" (local transport).
 * version_attribute is the node attribute holding the installed version.
 */
struct clu_backend *clu_pacemaker_backend_new(struct clu_transport *transport,
					      const char *const *nodes, size_t n_nodes,
					      const char *version_attribute);

#endif
