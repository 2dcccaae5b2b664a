/*
 * The cluster model: what clupdate knows of a cluster at one instant.
 *
 * Nodes (online, standby, maintenance, installed version of the
 * application), groups (member resources, owner, the nodes they may run
 * on, whether the engine manages them, the version of their shared data)
 * and quorum. It is filled by a state reader (pacemaker.c from
 * `crm_mon --output-as=xml`, static.c from a description file) and copied
 * and changed by the planner's simulation. A model owns all its strings.
 */
#ifndef CLUPDATE_CLUSTER_H
#define CLUPDATE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "clupdate/err.h"

struct clu_node {
	char *name;
	bool online;         /* a member of the cluster right now */
	bool standby;        /* drained: may not host resources */
	bool maintenance;    /* the engine does not manage its resources */
	char *version;       /* installed application version; NULL if unknown */
	bool drained_by_clupdate;   /* its standby was set by an earlier clupdate run
				       that did not finish (the journal says so):
				       the plan undrains it once it is updated */
};

struct clu_group {
	char *name;
	char **members;      /* member resource ids, in group order */
	size_t n_members;
	char *owner;         /* node it runs on; NULL when stopped */
	bool managed;        /* false: pinned (is-managed=false) */
	char **banned;       /* nodes it may not run on (location -INFINITY) */
	size_t n_banned;
	char *data_version;  /* version of its shared data; NULL if unknown */
	char *address;       /* service address (e.g. an IPaddr2 ip); NULL if none */
};

struct clu_cluster {
	char *name;          /* cluster name if known; NULL otherwise */
	bool quorum;         /* the partition we read from has quorum */
	struct clu_node *nodes;
	size_t n_nodes;
	struct clu_group *groups;
	size_t n_groups;
};

/* Free the contents of *cluster and zero it. */
void clu_cluster_release(struct clu_cluster *cluster);

/* Deep copy of src into *dst (which is overwritten, not released). */
void clu_cluster_copy(struct clu_cluster *dst, const struct clu_cluster *src);

/* Lookups by name; NULL when absent. The pointers live as long as the model. */
struct clu_node *clu_cluster_node(const struct clu_cluster *cluster, const char *name);
struct clu_group *clu_cluster_group(const struct clu_cluster *cluster, const char *name);

/* Number of nodes that are online (cluster members). */
size_t clu_cluster_online(const struct clu_cluster *cluster);

/* Whether group is banned from node. */
bool clu_group_banned(const struct clu_group *group, const char *node);

/* Add or remove a ban of group from node (no-op if already so). */
void clu_group_ban(struct clu_group *group, const char *node);
void clu_group_unban(struct clu_group *group, const char *node);

/* Model building helpers for state readers (copy their arguments). */
struct clu_node *clu_cluster_add_node(struct clu_cluster *cluster, const char *name);
struct clu_group *clu_cluster_add_group(struct clu_cluster *cluster, const char *name);
void clu_group_add_member(struct clu_group *group, const char *resource);
void clu_set_string(char **field, const char *value);   /* replace, NULL-safe */

/*
 * Compare two version strings component by component: dotted numbers
 * compare numerically ("2.10" > "2.9"), other text by strcmp. NULL (unknown)
 * sorts before every version. Returns <0, 0 or >0.
 */
int clu_version_cmp(const char *a, const char *b);

/*
 * Check a model for internal consistency: unique node and group names,
 * owners and bans that name known nodes. Fills err (CLU_E_CLUSTER), where
 * names the source for messages (e.g. "static:lab.ini").
 */
int clu_cluster_validate(const struct clu_cluster *cluster, const char *where,
			 struct clu_err *err);

#endif
