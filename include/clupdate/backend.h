/*
 * The backend interface: what the executor, the lock and recovery may ask
 * of a cluster engine, as an ops table (in the shape of git's
 * transport_vtable). The executor knows only these verbs; each engine is
 * one implementation behind them:
 *
 *   pacemaker   Pacemaker's command-line tools run on a control node
 *               through a transport (backend-pacemaker.c, pacemaker-backend.h)
 *   sim         an in-memory cluster with a virtual clock and injectable
 *               faults, for rehearsals and tests (sim.c, sim.h)
 *
 * Adding an engine means one new file that fills a struct clu_backend_ops,
 * and one line in the --cluster resolver (target.c) that creates it.
 *
 * Every change a backend makes is a small, restorable primitive, so that
 * the executor can journal "what it was" before making it and an undo can
 * put it back: the executor asks the backend to *prepare* an intent (a
 * verb on a group and/or node), which reads the prior value live and
 * describes the change as a journal record (struct clu_change: kind,
 * target, name, prior, value, detail, node, group); the executor journals
 * it as intended, then asks the backend to *apply* it (several at once in
 * one update: a ban and a move are one switchover), and later to *undo*
 * it from the journal record alone (after a crash too). The kind, target,
 * name and detail are the backend's own: only it interprets them, and it
 * tells the executor which verb a journalled change is (verb_of).
 *
 * Change kinds, by backend (journal column `kind`):
 *
 *   pacemaker  (CLU_PCMK_CHANGE_*, pacemaker-backend.h)
 *              "meta"            a resource meta attribute (pin: target the
 *                                group, name "is-managed")
 *              "node-attribute"  a permanent node attribute (drain: target
 *                                the node, name "standby"; version: the
 *                                version attribute)
 *              "constraint"      a location constraint of clupdate's own
 *                                (ban -INFINITY, prefer +INFINITY; target
 *                                its id, name the group, detail its XML)
 *   sim        (CLU_SIM_CHANGE_*, sim.h) "sim-pin", "sim-drain", "sim-ban",
 *              "sim-prefer", "sim-version"
 *   executor   "lock"            the cluster lock (target "clupdate-lock",
 *                                name the holder's token; "property" in
 *                                journals of clupdate 0.1): journalled and
 *                                undone by the executor through the lock ops
 *
 * Errors: CLU_E_CLUSTER when the engine refused or answered something
 * unreadable, CLU_E_SPAWN when no control node answered (the change may or
 * may not have been made: the executor leaves it "intended").
 */
#ifndef CLUPDATE_BACKEND_H
#define CLUPDATE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/cluster.h"
#include "clupdate/err.h"
#include "clupdate/journal.h"
#include "clupdate/proc.h"

struct clu_manifest;
struct clu_fact;

/* What the executor wants changed; each has its undo (unpin, undrain, clear). */
enum clu_verb {
	CLU_VERB_NONE = -1,   /* a change this backend does not know */
	CLU_VERB_PIN,         /* group: unmanaged where it runs (no failover) */
	CLU_VERB_DRAIN,       /* node: standby (its groups move away) */
	CLU_VERB_BAN,         /* group, node: group may not run on node */
	CLU_VERB_PREFER,      /* group, node: move group to node */
	CLU_VERB_VERSION,     /* node, value: the node's recorded version */
	CLU_VERB_LOCK,        /* the cluster lock */
};

const char *clu_verb_name(enum clu_verb verb);   /* "pin", "drain", ... */

struct clu_intent {
	enum clu_verb verb;
	const char *group;
	const char *node;
	const char *value;    /* CLU_VERB_VERSION: the version */
};

/* The journal's kind for the lock, the same for every backend. */
#define CLU_CHANGE_LOCK "lock"
#define CLU_CHANGE_LOCK_OLD "property"
#define CLU_LOCK_TARGET "clupdate-lock"

/*
 * The cluster lock: one record in the cluster's own configuration, taken
 * with a create-only write that the engine refuses when it exists (so of
 * two runs exactly one gets it), renewed and released only where its
 * token is the caller's. Staleness is judged by the holder's beat not
 * moving, watched on the watcher's own clock: never by comparing clocks
 * of two hosts.
 */
struct clu_lock_holder {
	char *token;             /* unique to the run: [a-z0-9-] */
	char *host;              /* where its clupdate runs */
	long pid;                /* its process there */
	int64_t run;             /* its run id, in its own journal */
	char *since;             /* when it took the lock, UTC ISO 8601 (its clock; for people) */
	unsigned long beat;      /* renewals so far */
	char *abort_by;          /* `clupdate abort` asked this run to stop: who
				    ("host 'H' pid P"); NULL: nobody */
};
void clu_lock_holder_release(struct clu_lock_holder *h);

/* What a command on a node is for: the simulated backend acts on it. */
enum clu_command_role {
	CLU_COMMAND_INSTALL,
	CLU_COMMAND_VERIFY,
	CLU_COMMAND_HOOK,
	CLU_COMMAND_CHECK,       /* a probe's check of acknowledged messages */
	CLU_COMMAND_HEALTH,      /* the manifest's health gate ([install] check) */
};

struct clu_node_command {
	const char *node;
	enum clu_command_role role;
	const char *command;          /* a shell command line */
	const char *const *env;       /* "K=V", NULL-terminated */
	const char *version;          /* the update's target version */
	bool data_migration;          /* the installer migrates the data of the
					 groups running on node (manifest) */
};

/*
 * How to wait until the engine has settled: idle (no transition running
 * or pending) with every fact true, seen `looks` times in a row (twice
 * when 0). tick is called
 * between looks (it renews the lock, tells progress, notices an
 * interruption): a non-zero return stops the wait with that error. unmet
 * describes the first fact still false (NULL when all hold and only the
 * engine is busy).
 */
struct clu_settle {
	const struct clu_fact *facts;
	size_t n_facts;
	const struct clu_manifest *manifest;
	unsigned timeout_ms;
	unsigned poll_ms;
	unsigned looks;               /* 0: 2 */
	/* The engine's failures recorded before the step: not news. */
	const char *const *failures_before;
	size_t n_failures_before;
	int (*tick)(void *ctx, const char *unmet, struct clu_err *err);
	void *ctx;
	/* Not NULL: when the wait ends well, the state it saw last, as a
	 * full read gives it (the caller releases it): the step's check after
	 * needs no read of its own. */
	struct clu_cluster *last;
};

struct clu_backend;

struct clu_backend_ops {
	const char *name;                 /* "pacemaker", "sim" */

	/* The live state into *out (initialised by it). full: the offline
	 * nodes' versions and the cluster's name too (slower); else what
	 * polling needs (where groups run, standby, bans, pins, failures). */
	int (*read)(struct clu_backend *b, bool full, struct clu_cluster *out,
		    struct clu_err *err);
	/* Whether the engine is idle: nothing to do, nothing running. */
	int (*idle)(struct clu_backend *b, bool *idle, struct clu_err *err);
	/* Wait until settled (see struct clu_settle); CLU_E_STEP when the
	 * engine gave up or the time ran out, naming what is still false. */
	int (*settle)(struct clu_backend *b, const struct clu_settle *how, struct clu_err *err);

	/* Describe intent as a change record (kind, target, name, prior read
	 * live, value, detail, node, group; run_id, step and state are the
	 * caller's). *already: it is in place (an earlier run's ban): journal
	 * it, but apply nothing. Release with clu_change_release(). */
	int (*prepare)(struct clu_backend *b, const struct clu_intent *intent,
		       struct clu_change *change, bool *already, struct clu_err *err);
	/* Make prepared changes, in one update of the engine where it can. */
	int (*apply)(struct clu_backend *b, const struct clu_change *changes, size_t n,
		     struct clu_err *err);
	/* Put a journalled change back to its prior (absent: removed). */
	int (*undo)(struct clu_backend *b, const struct clu_change *change, struct clu_err *err);
	/* Which verb a journalled change of this backend is; CLU_VERB_NONE. */
	enum clu_verb (*verb_of)(const struct clu_change *change);

	/* Make the engine forget what it recorded of group on node and look
	 * again (after an installer stopped and restarted it while pinned). */
	int (*refresh)(struct clu_backend *b, const char *group, const char *node,
		       struct clu_err *err);

	/* Start a manifest command on its node, without waiting for it, so
	 * that several run at once (a wave's installers). proc is initialised
	 * by the caller (captures, timeout, watch, stdin). On 0, proc is
	 * either started (clu_proc_running(): the caller drives it with
	 * clu_proc_poll() and ends it with clu_proc_finish(), which says how
	 * it ended), or already finished, its result final, when the engine
	 * runs commands at once (the simulated cluster). Otherwise it did not
	 * run, or (at once) failed: proc finished, err says why, as
	 * clu_proc_run() would. */
	int (*start)(struct clu_backend *b, const struct clu_node_command *cmd,
		     struct clu_proc *proc, struct clu_err *err);

	/* The lock (see struct clu_lock_holder). read: *exists false when
	 * free. create: *created false when another holds it. renew: *held
	 * false when it is not ours (any more) or when an abort was requested
	 * of it (read tells which: abort_by). delete: only if token holds it
	 * (and, beat not 0, at that beat). request_abort: mark the lock held
	 * by token with an abort request from by (*held false when token does
	 * not hold it): its holder sees it at its next renewal and stops as
	 * if interrupted (`clupdate abort` from another host). */
	int (*lock_read)(struct clu_backend *b, struct clu_lock_holder *h, bool *exists,
			 struct clu_err *err);
	int (*lock_create)(struct clu_backend *b, const struct clu_lock_holder *h,
			   bool *created, struct clu_err *err);
	int (*lock_renew)(struct clu_backend *b, const char *token, unsigned long beat,
			  bool *held, struct clu_err *err);
	int (*lock_delete)(struct clu_backend *b, const char *token, unsigned long beat,
			   struct clu_err *err);
	int (*lock_request_abort)(struct clu_backend *b, const char *token, const char *by,
				  bool *held, struct clu_err *err);

	/* A group's service address (*address NULL when it has none). */
	int (*group_address)(struct clu_backend *b, const char *group, char **address,
			     struct clu_err *err);

	void (*release)(struct clu_backend *b);
};

/* Every backend's handle begins with this (the rest is its own). */
struct clu_backend {
	const struct clu_backend_ops *ops;
};

/* Release and free b; NULL is fine. */
void clu_backend_free(struct clu_backend *b);

/* Free the strings of a change record and zero it. */
void clu_change_release(struct clu_change *change);

/*
 * The settle wait by polling read and idle every poll_ms: what
 * a backend without change notifications uses for its settle op. It ends
 * early, CLU_E_STEP, when the engine is idle and has plainly given up on
 * a fact (a group member failed since the step began, the group is in
 * trouble, or it runs whole elsewhere), three looks in a row after a
 * second.
 */
int clu_backend_settle_poll(struct clu_backend *b, const struct clu_settle *how,
			    struct clu_err *err);

#endif
