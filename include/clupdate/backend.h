/*
 * The cluster backend: reading the live state and changing the cluster,
 * with Pacemaker's command-line tools run on a cluster node through a
 * transport.
 *
 * Every change is a small, restorable primitive, so that the executor can
 * journal "what it was" before making it and `abort` can put it back:
 *
 *   resource meta attribute   pin = is-managed=false on the group
 *   node attribute            drain = standby=on (permanent)
 *   location constraint       clupdate's own ids: clupdate-ban-G-on-N,
 *                             clupdate-prefer-G; added and removed by id,
 *                             so an administrator's own bans (cli-ban-*)
 *                             are never touched
 *
 * The CLI runs on the first control node that answers (a node that is
 * down cannot run it: the next one is tried).
 */
#ifndef CLUPDATE_BACKEND_H
#define CLUPDATE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/cluster.h"
#include "clupdate/err.h"
#include "clupdate/transport.h"

struct clu_backend {
	struct clu_transport *transport;   /* borrowed */
	char **control_nodes;    /* where to run the CLI, in order; NULL entry: local */
	size_t n_control_nodes;
	size_t preferred;        /* index of the last control node that answered */
	char *version_attribute; /* node attribute with the installed version */
	unsigned timeout_ms;     /* per CLI command; default 30 s */
};

/* A location constraint clupdate adds. */
struct clu_location {
	char *id;                /* clupdate-ban-G-on-N, clupdate-prefer-G */
	char *resource;          /* the group */
	char *node;
	bool ban;                /* -INFINITY, else +INFINITY (prefer) */
};

/*
 * Set up a backend on transport; nodes are the control nodes to try, in
 * order (copied); n_nodes 0 means "this machine" (local transport).
 */
void clu_backend_init(struct clu_backend *b, struct clu_transport *transport,
		      const char *const *nodes, size_t n_nodes, const char *version_attribute);
void clu_backend_release(struct clu_backend *b);

/*
 * Read the live state into *out, which it initialises: crm_mon, then the
 * configuration (offline nodes' versions, the cluster's name).
 */
int clu_backend_read(struct clu_backend *b, struct clu_cluster *out, struct clu_err *err);

/*
 * Only crm_mon: what polling needs (where groups run, standby, bans,
 * pins) at half the cost; offline nodes' versions stay unknown.
 */
int clu_backend_read_status(struct clu_backend *b, struct clu_cluster *out, struct clu_err *err);

/* Resource meta attribute: *value NULL when absent. Set NULL to delete. */
int clu_backend_get_meta(struct clu_backend *b, const char *resource, const char *name,
			 char **value, struct clu_err *err);
int clu_backend_set_meta(struct clu_backend *b, const char *resource, const char *name,
			 const char *value, struct clu_err *err);

/* Permanent node attribute (e.g. standby): *value NULL when absent. */
int clu_backend_get_node_attr(struct clu_backend *b, const char *node, const char *name,
			      char **value, struct clu_err *err);
int clu_backend_set_node_attr(struct clu_backend *b, const char *node, const char *name,
			      const char *value, struct clu_err *err);

/*
 * The cluster lock: one cluster_property_set "clupdate-lock" in the CIB's
 * crm_config, holding the fields below as nvpairs. Taken with a create-only
 * write that the CIB manager refuses when the set exists (so of two runs
 * exactly one gets it), renewed and released only where its token is the
 * caller's. Staleness is judged by the holder's beat not moving, watched
 * on the watcher's own clock: never by comparing clocks of two hosts.
 */
struct clu_lock_holder {
	char *token;             /* unique to the run: [a-z0-9-] */
	char *host;              /* where its clupdate runs */
	long pid;                /* its process there */
	int64_t run;             /* its run id, in its own journal */
	char *since;             /* when it took the lock, UTC ISO 8601 (its clock; for people) */
	unsigned long beat;      /* renewals so far */
};
void clu_lock_holder_release(struct clu_lock_holder *h);

/* The current holder; *exists false (and *h empty) when nobody holds it. */
int clu_backend_lock_read(struct clu_backend *b, struct clu_lock_holder *h, bool *exists,
			  struct clu_err *err);
/* Take the lock for h: *created false when another holder has it. */
int clu_backend_lock_create(struct clu_backend *b, const struct clu_lock_holder *h,
			    bool *created, struct clu_err *err);
/* Set the beat of the lock held with token: *held false when it is not (any more). */
int clu_backend_lock_renew(struct clu_backend *b, const char *token, unsigned long beat,
			   bool *held, struct clu_err *err);
/*
 * Delete the lock if it holds token (and, beat not 0, that beat: a stale
 * holder that came back to life in between keeps it); else do nothing.
 */
int clu_backend_lock_delete(struct clu_backend *b, const char *token, unsigned long beat,
			    struct clu_err *err);

/* The ids of clupdate's constraints, newly allocated. */
char *clu_ban_id(const char *group, const char *node);
char *clu_prefer_id(const char *group);

/* Whether a constraint with this id exists. */
int clu_backend_constraint_exists(struct clu_backend *b, const char *id, bool *exists,
				  struct clu_err *err);
/* Add locations in ONE configuration update (a ban and a move as one switchover). */
int clu_backend_add_locations(struct clu_backend *b, const struct clu_location *locations,
			      size_t n, struct clu_err *err);
/* Remove a constraint by id (absent is fine). */
int clu_backend_remove_constraint(struct clu_backend *b, const char *id, struct clu_err *err);

/*
 * Make the engine forget what it recorded of a resource on node and probe
 * it again (crm_resource --refresh): after an installer stopped and
 * restarted it while it was pinned, a monitor may have recorded it as
 * failed, and managing it again would "recover" it with a restart.
 */
int clu_backend_refresh(struct clu_backend *b, const char *resource, const char *node,
			struct clu_err *err);

/* Whether the engine is idle: a coordinator exists and no transition runs. */
int clu_backend_idle(struct clu_backend *b, bool *idle, struct clu_err *err);

/*
 * The service address of a group: the `ip` of its IPaddr2 member, from the
 * configuration; *address NULL when it has none.
 */
int clu_backend_group_address(struct clu_backend *b, const char *group, char **address,
			      struct clu_err *err);

/* The XML of a location, for the journal (to restore or inspect it). */
char *clu_location_xml(const struct clu_location *location);

#endif
