/*
 * The planner: "apply this service pack to this cluster" -> an ordered,
 * checked plan.
 *
 * A plan is a list of steps (pin, install, verify, drain, move, ...), each
 * with the facts that must hold before it and the facts it establishes,
 * plus guards (a group must not run on a node for a span of steps, because
 * its data will be newer than the node) and the predicted interruptions of
 * each group. The planner builds the plan for a strategy, then simulates
 * it step by step on a copy of the cluster model and checks DESIGN.md's
 * invariants after every step: version guard, availability (max-unavailable
 * and quorum), no surprise failover. A plan that would break one is
 * refused with a message naming the step and the invariant.
 *
 * Strategies:
 *   in-place  for each owner: pin its groups, [pre-hook], install, verify,
 *             [post-hook], unpin; then for each passive node: drain,
 *             [pre-hook], install, verify, [post-hook], undrain. With
 *             data-migration, a guard keeps each group off every node not
 *             yet verified from the owner's install on; the executor
 *             enforces guards with location bans.
 *   rolling   passive nodes first (drain ... undrain); then for each owner:
 *             ban its groups from every node not yet updated (the owner
 *             included) and move them to an updated node, in one switchover;
 *             install and verify the old owner; finally clear the bans and
 *             the move preferences. No failback.
 *   auto      the permitted strategy with the smaller predicted interruption
 *             (in-place when equal: it is the seed's procedure).
 *
 * Waves: passive nodes are updated several at once when max-unavailable
 * allows it and the quorum margin stays >= 0: a wave drains its nodes,
 * runs their pre hooks, installers, verifies and post hooks (each kind
 * at once on every node of the wave), then undrains them. Owners are
 * always one node per wave. No step may leave fewer votes present than
 * the cluster needs, counting nodes already offline; with the manifest's
 * require-all-nodes-online, no node may be offline at all.
 */
#ifndef CLUPDATE_PLAN_H
#define CLUPDATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/cluster.h"
#include "clupdate/err.h"
#include "clupdate/history.h"
#include "clupdate/manifest.h"

enum clu_action {
	CLU_ACTION_PIN,        /* group unmanaged where it runs: no failover */
	CLU_ACTION_UNPIN,      /* group managed again */
	CLU_ACTION_DRAIN,      /* node standby on */
	CLU_ACTION_UNDRAIN,    /* node standby off */
	CLU_ACTION_PRE_HOOK,   /* a hook's pre command on a node */
	CLU_ACTION_INSTALL,    /* the installer on a node */
	CLU_ACTION_VERIFY,     /* the verify command prints the target version */
	CLU_ACTION_POST_HOOK,  /* a hook's post command on a node */
	CLU_ACTION_MOVE,       /* move a group to a node (prefer it) */
	CLU_ACTION_BAN,        /* keep a group off a node */
	CLU_ACTION_CLEAR,      /* remove the bans and move preferences of a group */
};

/* A fact about the cluster that a step needs or establishes. */
enum clu_fact_kind {
	CLU_FACT_NODE_ONLINE,      /* node */
	CLU_FACT_NODE_STANDBY,     /* node */
	CLU_FACT_NODE_ACTIVE,      /* node: online and not in standby */
	CLU_FACT_NODE_VERSION,     /* node, version: node's installed version is version */
	CLU_FACT_NODE_HOSTS_NONE,  /* node: runs none of the updated groups */
	CLU_FACT_GROUP_ON,         /* group, node: group runs on node */
	CLU_FACT_GROUP_PLACED_ON,  /* group, node: group runs on node, whole, or in
				      part as a member is not installed there */
	CLU_FACT_GROUP_PINNED,     /* group: unmanaged */
	CLU_FACT_GROUP_MANAGED,    /* group: managed */
	CLU_FACT_GROUP_BANNED,     /* group, node: group may not run on node */
	CLU_FACT_GROUP_UNBANNED,   /* group, node: no ban of group from node */
};

struct clu_fact {
	enum clu_fact_kind kind;
	char *node;
	char *group;
	char *version;
};

/* Where a predicted figure comes from (lib/plan-predict.c). */
enum clu_basis {
	CLU_BASIS_NONE,        /* nothing predicts it: the figure is 0 (unknown) */
	CLU_BASIS_MANIFEST,    /* the manifest's expected-install-time or
				  expected-switchover-time */
	CLU_BASIS_JOURNAL,     /* measured by earlier runs of this cluster (a median) */
};

struct clu_prediction {
	enum clu_basis basis;
	unsigned runs;         /* CLU_BASIS_JOURNAL: learned from this many runs */
};

struct clu_step {
	unsigned index;            /* 1-based position in the plan */
	enum clu_action action;
	char *node;                /* pin: owner; move: destination; ban: banned node;
				      drain/install/...: the node; clear: NULL */
	char *group;               /* pin/unpin/move/ban/clear; NULL otherwise */
	char *hook;                /* pre-hook/post-hook: the hook's name */
	char *command;             /* install: shell text run instead of the manifest's
				      installer (a rollback's down-migration then rollback
				      on the owner); NULL: the manifest's `command` */
	struct clu_fact *pre;      /* must hold before the step */
	size_t n_pre;
	struct clu_fact *post;     /* must hold after the step */
	size_t n_post;
	unsigned with_move;        /* ban: the move step it is applied with, as one
				      switchover (one engine update); 0: alone */
	unsigned interrupts_ms;    /* predicted interruption caused by this step, 0 if none */
	unsigned predicted_ms;     /* predicted duration of the step, 0 if unknown */
	char **interrupts;         /* the groups it interrupts */
	size_t n_interrupts;
	/*
	 * The wave the step belongs to (1-based): the steps of one node, or
	 * of several passive nodes updated together (drained together, their
	 * installers and verifies run at once, undrained together). A plan
	 * with max-unavailable 1 has one node per wave.
	 */
	unsigned wave;
	/*
	 * Quorum after the step, as the simulation saw it: votes present
	 * (nodes online and in service: a node drained, in maintenance,
	 * offline or under work is not counted on) and votes needed (a
	 * majority of the cluster's nodes; 1 of a two-node cluster, as
	 * corosync's two_node). The margin is present - needed, never < 0.
	 */
	unsigned votes_present;
	unsigned votes_needed;
	struct clu_prediction predicted_from;    /* of predicted_ms */
	struct clu_prediction interrupts_from;   /* of interrupts_ms */
};

/*
 * A guard: group must not run on node from step `from` to step `until`
 * (inclusive), because from `from` on its data is newer than node's
 * installed version. enforced_by is the ban step that enforces it, or 0
 * when the executor must place a location ban itself before step `from`
 * and clear it after step `until`.
 */
struct clu_guard {
	char *group;
	char *node;
	unsigned from;
	unsigned until;
	unsigned enforced_by;
};

struct clu_interruption {
	char *group;
	unsigned count;            /* predicted number of outage windows */
	unsigned ms;               /* predicted total outage */
	struct clu_prediction from;        /* journal when a step's figure was learned */
};

struct clu_plan {
	char *update;              /* manifest name */
	char *version;             /* target version */
	enum clu_strategy strategy;        /* the one planned (never auto) */
	bool rollback;             /* a rollback plan (clu_plan_make_rollback): each
				      install puts `version`, the previous one, back */
	char *choice;              /* why this strategy (for auto), or NULL */
	struct clu_step *steps;
	size_t n_steps;
	struct clu_guard *guards;
	size_t n_guards;
	struct clu_interruption *interruptions;    /* one per updated group */
	size_t n_interruptions;
	char **notes;              /* things the operator should know: skipped
				      nodes, stopped groups, ... */
	size_t n_notes;
	/*
	 * Predicted duration of the whole run: the steps' predicted_ms, the
	 * node commands of one kind in one wave counted once (they run at
	 * once). Steps with no prediction count 0. predicted_from is
	 * journal when any step's figure was learned.
	 */
	unsigned predicted_ms;
	struct clu_prediction predicted_from;
};

/*
 * Plan the update described by manifest for cluster, with the manifest's
 * strategy, or `strategy` when it is >= 0 (a command-line override).
 * Fills *plan (which it initialises). Returns 0; CLU_E_REFUSED when the
 * strategy is forbidden by the manifest or the plan would break an
 * invariant (err names the step and the invariant; for auto, why neither
 * strategy is possible); CLU_E_CLUSTER when the cluster does not match
 * the manifest (an updated group that does not exist). On error *plan
 * holds nothing to release.
 */
int clu_plan_make(struct clu_plan *plan, const struct clu_manifest *manifest,
		  const struct clu_cluster *cluster, int strategy,
		  struct clu_err *err);

/*
 * clu_plan_make() predicting with what earlier runs of this cluster
 * measured (history.h; NULL or no runs: the manifest's estimates only):
 * each step's duration and each interruption, and so auto's choice. Each
 * figure says where it came from (struct clu_prediction).
 */
int clu_plan_make_learned(struct clu_plan *plan, const struct clu_manifest *manifest,
			  const struct clu_cluster *cluster, int strategy,
			  const struct clu_history *history, struct clu_err *err);

/*
 * Plan a rollback: manifest is the one clu_rollback_manifest() derives
 * (version: the version put back; command: the rollback), and the nodes
 * newer than its version are the ones to work on, in place: each owner
 * first with its groups pinned, then each other node drained. The same
 * simulation and invariants as clu_plan_make(); a node older than the
 * version put back is refused. plan->rollback is set.
 */
int clu_plan_make_rollback(struct clu_plan *plan, const struct clu_manifest *manifest,
			   const struct clu_cluster *cluster, struct clu_err *err);

/*
 * Fill the predictions of a built plan: each step's predicted_ms and
 * interrupts_ms with where they come from, the interruptions per group
 * and the plan's predicted duration, from history's figures where it has
 * them, else the manifest's. history may be NULL. Called by the planner;
 * exposed for tests.
 */
void clu_plan_predict(struct clu_plan *plan, const struct clu_manifest *manifest,
		      const struct clu_history *history);

/*
 * What is left of the plan's predicted duration during a run: the steps
 * not done (done[i] for step i + 1; NULL: none done), counted as
 * plan->predicted_ms counts them, the step at work (current, 1-based; 0:
 * none) less the elapsed_ms it has run already (never below 0).
 */
unsigned clu_plan_remaining_ms(const struct clu_plan *plan, const bool *done, unsigned current,
			       int64_t elapsed_ms);

/* "manifest", "journal" ("none" for CLU_BASIS_NONE). */
const char *clu_basis_name(enum clu_basis basis);

/* Free the contents of *plan and zero it. */
void clu_plan_release(struct clu_plan *plan);

/*
 * Check the invariants on a cluster state with the plan's guards active at
 * step `step` (0: before the first step). Used by the planner after every
 * simulated step and by the executor against the live cluster. Returns 0
 * or CLU_E_REFUSED with the broken invariant in err.
 */
int clu_plan_check_state(const struct clu_plan *plan, const struct clu_manifest *manifest,
			 const struct clu_cluster *cluster, unsigned step,
			 struct clu_err *err);

/*
 * The same between step `step` and the next: the guards that end at
 * `step` are closed (their bans cleared), so they no longer hold. What
 * the executor checks before each step (0: before the first).
 */
int clu_plan_check_between(const struct clu_plan *plan, const struct clu_manifest *manifest,
			   const struct clu_cluster *cluster, unsigned step,
			   struct clu_err *err);

/*
 * The votes a cluster of n_nodes needs for quorum: a majority, or 1 of a
 * two-node cluster (corosync's two_node).
 */
unsigned clu_plan_votes_needed(size_t n_nodes);

/* Whether fact holds in cluster. */
bool clu_fact_holds(const struct clu_fact *fact, const struct clu_cluster *cluster,
		    const struct clu_manifest *manifest);

/* "pin", "unpin", "drain", "undrain", "pre-hook", "install", "verify",
 * "post-hook", "move", "ban", "clear". */
const char *clu_action_name(enum clu_action action);

/* Whether the action runs a manifest command on its node (install, verify, hooks). */
bool clu_action_runs_on_node(enum clu_action action);

/*
 * Whether an unpin step lets the engine start its group again after an
 * earlier run's pin (the group's owner died under it: it runs nowhere),
 * rather than ending a pin of this plan: no pin of its group comes before
 * it in plan.
 */
bool clu_step_restarts(const struct clu_plan *plan, const struct clu_step *step);

/*
 * A runbook sentence for a step ("pin group 'mail' to its owner 'b' (no
 * failover)") or a fact ("'mail' runs on 'b'"), newly allocated; the
 * caller frees it.
 */
char *clu_step_describe(const struct clu_step *step, const struct clu_plan *plan);

/*
 * A step's short label into buf (always NUL-terminated), returned:
 * "pin 'mail' on 'b'", "ban 'mail' from 'b'", "move 'mail' to 'a'",
 * "install 'b'", "clear 'mail'".
 */
const char *clu_step_label(const struct clu_step *step, char *buf, size_t size);
char *clu_fact_describe(const struct clu_fact *fact);

#endif
