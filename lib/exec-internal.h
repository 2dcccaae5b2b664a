/*
 * The executor's parts, and the one state they share: a run in progress.
 *
 *   exec.c          the run: the lock, the probes, the steps in order,
 *                   nodes given up, the end
 *   exec-step.c     one step: its checks, its action or node command, the
 *                   wait for the engine, its retries
 *   exec-gate.c     the gates between nodes: the version record, the
 *                   health check and soak, the service back after a
 *                   switchover, the outage budget
 *   exec-change.c   journalled changes: intended before they are made,
 *                   marked after, and put back (every undo goes there)
 *   exec-lock.c     the cluster lock: taken, renewed, released, broken
 *   exec-recover.c  what earlier unfinished runs of the same update left:
 *                   adopted, undone once resolved, listed
 *   exec-deliver.c  after the run: acknowledged messages against the store
 *   exec-abort.c    `abort`: a run stopped, its changes put back (abort.h)
 *
 * Only this header's functions cross those files; the executor knows the
 * cluster only through the backend interface (backend.h).
 */
#ifndef CLUPDATE_EXEC_INTERNAL_H
#define CLUPDATE_EXEC_INTERNAL_H

#include "clupdate/exec.h"
#include "util.h"

struct executor {
	const struct clu_plan *plan;
	const struct clu_manifest *manifest;
	struct clu_backend *backend;
	struct clu_journal *journal;
	struct clu_exec_options opt;
	struct clu_exec_result *result;

	int64_t run_id;
	int64_t run_start_mono;
	const struct clu_step *step;    /* the step at work; NULL before the first */
	int64_t step_start_mono;
	char *manifest_dir;
	struct clu_lock_holder lock;    /* this run, as the cluster lock names it */
	bool lock_held;
	bool lock_ever_held;
	int64_t lock_renewed_mono;
	char *lock_lost;           /* set while a command ran: why the lock is lost */
	char *abort_requested;     /* an abort was asked through the lock: by whom */
	struct clu__strv failures_before;   /* the engine's failures as the step began */
	struct clu_intent *pending;     /* bans applied with the move they go with */
	size_t n_pending;
	int64_t step_wait_ms;      /* time this step spent waiting for the engine */
	char *step_note;           /* how the step went, when it deserves a word: its
				      journal message and progress when done */
	bool runs_nothing;         /* the step's node ran no group as the step began */
	struct clu_prober *prober;
	struct clu__strv failed_nodes;  /* passive nodes given up (max-failed-nodes) */
	char *first_failure;       /* why the first of them failed */
};

/* exec.c */
void exec_progress(struct executor *x, enum clu_exec_event event, const struct clu_step *s,
		   unsigned attempt, const char *message);
bool exec_interrupted(const struct executor *x);
/* A timeline event; losing one must not stop a run. */
void exec_event(struct executor *x, int64_t at_mono, const char *kind, const char *source,
		const char *group, const char *detail);

/* exec-step.c: run step s (with its retries); 0 when done. */
int exec_run_step(struct executor *x, const struct clu_step *s, struct clu_err *err);
/*
 * Run the first attempts of n node command steps of one kind (a wave's
 * installers, or verifies) at once: each journalled and checked, then
 * every command started, then each ended as soon as it is done (its
 * retries, if it failed, one after the other). rets[i] and errs[i] are
 * step i's outcome, as exec_run_step() would give it. Returns non-zero
 * when the wave could not even be started (the journal or the lock
 * failed): then steps not begun were not run.
 */
int exec_run_together(struct executor *x, const struct clu_step *const *steps, size_t n,
		      int *rets, struct clu_err *errs);
/* Journal step s as skipped (its node was given up). */
int exec_skip_step(struct executor *x, const struct clu_step *s, struct clu_err *err);
/*
 * A manifest command on node, with the run's data in its environment
 * (CLU_NODE ... CLU_RUN_ID); proc is initialised by the caller.
 */
int exec_node_command(struct executor *x, const char *node, enum clu_command_role role,
		      const char *command, struct clu_proc *proc, struct clu_err *err);

/*
 * Run a step's manifest command (role_name: "installer", "pre hook", ...)
 * on its node, the lock renewed while it runs; proc (initialised by the
 * caller, released by it) keeps stdout and stderr together, bounded.
 */
int exec_step_command(struct executor *x, const struct clu_step *s, const char *role_name,
		      enum clu_command_role role, const char *command, unsigned timeout_ms,
		      struct clu_proc *proc, struct clu_err *err);

/* exec-gate.c */
/* After verify step s succeeded: record the version, the health check, the soak. */
int exec_after_verify(struct executor *x, const struct clu_step *s, struct clu_err *err);
/* After move step s: every probe of its group sees the service up again. */
int exec_wait_service(struct executor *x, const struct clu_step *s, struct clu_err *err);
/* Journal each probe's outage budget (at the run's start). */
void exec_note_budgets(struct executor *x);
/* Before step s: CLU_E_STEP when it takes something out of service and a
 * probe has seen its group down longer than its budget. */
int exec_check_budget(struct executor *x, const struct clu_step *s, struct clu_err *err);

/* exec-change.c */
/*
 * Make the changes of intents (one engine update: a ban and a move are
 * one switchover): each prepared, journalled as intended, then applied
 * (unless already in place), and marked applied or failed.
 */
int exec_change(struct executor *x, unsigned step, const struct clu_intent *intents, size_t n,
		struct clu_err *err);
/* Journal a prepared change as intended (adopting an earlier run's). */
int exec_journal_intent(struct executor *x, struct clu_change *c, struct clu_err *err);
/* Which verb a journalled change is (the lock's kind is the executor's). */
enum clu_verb exec_verb_of(const struct executor *x, const struct clu_change *c);
/* Whether change c is of verb about group and node (NULL: any). */
bool exec_change_about(const struct executor *x, const struct clu_change *c,
		       enum clu_verb verb, const char *group, const char *node);
/* Put a journalled change back and mark it restored. */
int exec_put_back(struct executor *x, const struct clu_change *c, struct clu_err *err);
/*
 * Put back this run's open change of verb about group and node (NULL:
 * any); *found false when there is none.
 */
int exec_restore(struct executor *x, enum clu_verb verb, const char *group, const char *node,
		 bool *found, struct clu_err *err);
/* Put back every open change of this run of verb about group. */
int exec_restore_all(struct executor *x, enum clu_verb verb, const char *group,
		     struct clu_err *err);

/* exec-lock.c */
void exec_lock_init(struct executor *x);
int exec_lock_take(struct executor *x, struct clu_err *err);
/* Renew when due (always, with force); CLU_E_LOCKED once lost. */
int exec_lock_renew(struct executor *x, bool force, struct clu_err *err);
/* While a node command runs (a clu_proc watch callback). */
void exec_lock_watchdog(void *ctx);
void exec_lock_release(struct executor *x);
/* "run 12 (clupdate pid 4711 on host 'n1', since ..., heartbeat 3)" */
char *exec_lock_describe(const struct clu_lock_holder *h);
/* The holder is provably gone: on this host, its process no more (or a zombie). */
bool exec_lock_holder_gone(const struct clu_lock_holder *h);

/* exec-recover.c */
/*
 * Call visit() for every change still open that earlier unfinished runs
 * of this same update left, until it fails.
 */
int exec_each_leftover(struct clu_journal *journal, const struct clu_manifest *m,
		       int64_t this_run,
		       int (*visit)(void *ctx, const struct clu_change *c, struct clu_err *err),
		       void *ctx, struct clu_err *err);
/*
 * Undo what an earlier unfinished run left: its drain of node
 * (CLU_VERB_DRAIN) or its pin of group (CLU_VERB_PIN); *found false if
 * none did.
 */
int exec_undo_leftover(struct executor *x, enum clu_verb verb, const char *group,
		       const char *node, bool *found, struct clu_err *err);
/* After a successful run: undo what earlier runs left, where resolved. */
int exec_adopt_leftovers(struct executor *x, struct clu_err *err);
/* After a stopped run: what stays in place, and why, into the result. */
void exec_collect_remaining(struct executor *x);

/* exec-deliver.c: stop the probes; check acknowledged mail on the owner. */
int exec_check_delivered(struct executor *x, struct clu_err *err);

#endif
