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
	char *owner;         /* node where every member runs; NULL otherwise */
	char *trouble;       /* NULL, or why it is not whole: a member failed,
				blocked, or stopped while others run (e.g. "'maild'
				is stopped while 2 of 3 members run on 'n2'") */
	char *partly_on;     /* a managed group in trouble whose running members
				are on one node: that node (it has no owner);
				NULL otherwise */
	bool managed;        /* false: pinned (is-managed=false) */
	char **banned;       /* nodes it may not run on (location -INFINITY) */
	size_t n_banned;
	char *data_version;  /* version of its shared data; NULL if unknown */
	char *address;       /* service address (e.g. an IPaddr2 ip); NULL if none */
	char *pinned_by_clupdate;  /* the node an earlier clupdate run that did not
				      finish pinned it on (the journal says so), while
				      it still is pinned; NULL otherwise. Pinned and
				      running nowhere, its owner died under the pin:
				      the plan lets the engine start it there again */
};

/* A failed operation in the engine's history (crm_mon's <failures>). */
struct clu_failure {
	char *resource;
	char *node;
	char *task;          /* "start", "monitor", ... */
	char *status;        /* the agent's exit status, e.g. "not installed" */
	char *reason;        /* the agent's own message; NULL if none */
	long call;           /* the operation's call id on that node */
};

struct clu_cluster {
	char *name;          /* cluster name if known; NULL otherwise */
	bool quorum;         /* the partition we read from has quorum */
	struct clu_node *nodes;
	size_t n_nodes;
	struct clu_group *groups;
	size_t n_groups;
	struct clu_failure *failures;   /* live clusters only */
	size_t n_failures;

	/*
	 * The library's: the name index behind clu_cluster_node() and
	 * clu_cluster_group(), made by their first lookup in a model of
	 * more than a few nodes or groups and freed by clu_cluster_release().
	 * A model built by hand starts with it NULL (zeroed), as every other
	 * field; clu_cluster_add_node() and _add_group() keep it up to date,
	 * and a lookup remakes it when `nodes` or `groups` was replaced or
	 * resized by other code. Names are never changed in place.
	 */
	struct clu__cluster_index *index;
};

/* Free the contents of *cluster (its index too) and zero it. */
void clu_cluster_release(struct clu_cluster *cluster);

/* Deep copy of src into *dst (which is overwritten, not released); dst gets
 * an index of its own when it is first looked up. */
void clu_cluster_copy(struct clu_cluster *dst, const struct clu_cluster *src);

/*
 * Lookups by name; NULL when absent (or name NULL). With two nodes (groups)
 * of one name, the first. The pointers live until the model's arrays
 * change. O(1) (a hash index, kept in cluster->index, which a lookup may
 * make or remake even though cluster is const: not for two threads at once).
 */
struct clu_node *clu_cluster_node(const struct clu_cluster *cluster, const char *name);
struct clu_group *clu_cluster_group(const struct clu_cluster *cluster, const char *name);

/* Number of nodes that are online (cluster members). */
size_t clu_cluster_online(const struct clu_cluster *cluster);

/* Whether group is banned from node. */
bool clu_group_banned(const struct clu_group *group, const char *node);

/*
 * The engine's placement rule: whether it could start (or fail over)
 * group on node right now: online, not in standby or maintenance, not
 * banned. Data versions are not its concern (nor Pacemaker's): the
 * version guard is kept by bans.
 */
bool clu_node_may_host(const struct clu_group *group, const struct clu_node *node);

/* Whether resource is one of group's members. */
bool clu_group_has_member(const struct clu_group *group, const char *resource);

/*
 * Whether group runs on node only in part because a member is not
 * installed there (the agent said so: "not installed"), as on a node that
 * lost its power in the middle of its installer: its running members are
 * on node, and one of its members failed there so.
 */
bool clu_group_not_installed_on(const struct clu_cluster *cluster,
				const struct clu_group *group, const char *node);

/*
 * The node group is placed on: its owner, where it runs whole; or, when
 * it runs only in part because a member is not installed there, that
 * node (a half-installed owner, whose installer is to run again with the
 * data it finds there). NULL: it runs nowhere, or in part for another
 * reason.
 */
const char *clu_group_placed_on(const struct clu_cluster *cluster,
				const struct clu_group *group);

/* Add or remove a ban of group from node (no-op if already so). */
void clu_group_ban(struct clu_group *group, const char *node);
void clu_group_unban(struct clu_group *group, const char *node);

/* Model building helpers for state readers (copy their arguments). */
struct clu_node *clu_cluster_add_node(struct clu_cluster *cluster, const char *name);
struct clu_group *clu_cluster_add_group(struct clu_cluster *cluster, const char *name);
void clu_group_add_member(struct clu_group *group, const char *resource);
/* Add a failure (strings copied; reason may be NULL). */
void clu_cluster_add_failure(struct clu_cluster *cluster, const struct clu_failure *failure);
/* "maild start on 'n2' failed: not installed (store format 1 ...)", newly allocated. */
char *clu_failure_describe(const struct clu_failure *failure);
/* A failure's identity, "NODE RESOURCE TASK CALL" (newly allocated): an
 * operation of a resource on a node, to tell new failures from old. */
char *clu_failure_key(const struct clu_failure *failure);
void clu_set_string(char **field, const char *value);   /* replace, NULL-safe */

/*
 * Compare two version strings component by component: dotted numbers
 * compare numerically ("2.10" > "2.9"), other text by strcmp. NULL (unknown)
 * sorts before every version. Returns <0, 0 or >0.
 */
int clu_version_cmp(const char *a, const char *b);

/*
 * What a name and a version may be, whatever the source (the static file,
 * crm_mon, the CIB): one rule, documented for users in
 * doc/static-cluster.md. Names travel into runbooks, messages, argv
 * vectors (ssh, crm_resource), constraint ids and XPath literals, so they
 * are held to what host names and Pacemaker ids are in practice:
 *
 *  - a name (of the cluster, a node, a group or a resource): 1 to
 *    CLU_NAME_MAX ASCII letters, digits, '.', '_' and '-', the first a
 *    letter, a digit or '_' (never '-': it would read as an option of
 *    ssh or crm_resource; never '.': no "." or ".." path components);
 *  - a version: 1 to CLU_VERSION_MAX letters, digits, '.', '_', '+', '~',
 *    ':' and '-' (Debian's and RPM's version characters), the first a
 *    letter or a digit.
 *
 * Anything else (a space, a ';', a control character, a non-ASCII byte) is
 * refused where it is read, before anything is planned.
 */
#define CLU_NAME_MAX 253      /* the longest DNS name */
#define CLU_VERSION_MAX 64
#define CLU_NAME_EXPECTED "1 to 253 letters, digits, '.', '_' and '-', the first a " \
	"letter, a digit or '_'"
#define CLU_VERSION_EXPECTED "1 to 64 letters, digits, '.', '_', '+', '~', ':' and '-', " \
	"the first a letter or a digit"

/*
 * Whether name (version) follows the rule above: NULL when it does, else
 * what is wrong with it, a static phrase to follow the quoted value in a
 * message ("'-x' starts with '-'"): "is empty", "is longer than 253
 * characters", "has a control character", "has a space", "has a character
 * other than letters, digits, '.', '_' and '-'", "starts with '-'"...
 * name may be NULL ("is missing").
 */
const char *clu_name_check(const char *name);
const char *clu_version_check(const char *version);

/*
 * The same checks, as errors: 0, or CLU_E_CLUSTER with
 *   "WHERE: WHAT 'VALUE' WHY (expected CLU_NAME_EXPECTED)"
 * e.g. "xml:x.xml: <nodes>: node name 'n3\n[4/4]' has a control character
 * (expected ...)", the value shown by clu_display() (at most 80 bytes of
 * it). what says what the value is ("node name"); where, where it was read.
 * A NULL version is an unknown one, and valid.
 */
int clu_name_validate(const char *name, const char *what, const char *where,
		      struct clu_err *err);
int clu_version_validate(const char *version, const char *what, const char *where,
			 struct clu_err *err);

/*
 * Check a model for internal consistency: every name and version follows
 * clu_name_check() and clu_version_check(), node and group names are
 * unique, owners and bans name known nodes. Fills err (CLU_E_CLUSTER),
 * where names the source for messages (e.g. "static:lab.ini"); the
 * offending value is quoted as clu_display() shows it.
 */
int clu_cluster_validate(const struct clu_cluster *cluster, const char *where,
			 struct clu_err *err);

#endif
