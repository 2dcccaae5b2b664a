/*
 * The journal: what a run did, durably, so that nothing is lost on a crash.
 *
 * An SQLite database (WAL, synchronous=FULL, file mode 0600, in a state
 * directory of mode 0700 that only its owner can change; default
 * /var/lib/clupdate) holding, per run: the
 * manifest and plan, each step's attempts with times and bounded installer
 * output, every change clupdate makes to the cluster with the prior value
 * needed to restore it (recorded as intended BEFORE it is made, then
 * marked applied, restored or failed), snapshots of the cluster's state,
 * and timeline events (probe transitions, installer instants). `abort`
 * undoes the applied changes newest first; `resume` re-reads the live
 * state and continues. Times are kept twice: wall clock (ms since the
 * epoch, for people) and monotonic (ms, for durations and for merging
 * with probe timelines).
 *
 * Every function returns 0 or CLU_E_JOURNAL with the SQLite error in err:
 * "journal 'PATH/journal.db': WHAT FAILED: SQLITE MESSAGE" (or without
 * the SQLite part when the error is the journal's own, e.g. "no run 7").
 * Every write is its own transaction, durable (fsynced) when the function
 * returns. Strings returned inside result structs are owned by those
 * structs and freed by their _release functions; strings passed in are
 * only read (copied into the database).
 *
 * Thread safety: one handle may be used from several threads (the probe
 * thread records events on the executor's handle); a mutex inside it
 * serializes every call. Other processes may open the same journal at
 * the same time (`status` while `apply` runs): readers never wait,
 * writers wait up to 10 s for one another.
 *
 * Monotonic times restart at boot: compare them only between instants of
 * one boot (a run resumed after a reboot has times from two).
 * doc/journal.md gives the schema, for operators who open the database
 * with sqlite3.
 */
#ifndef CLUPDATE_JOURNAL_H
#define CLUPDATE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/err.h"

struct clu_journal;

/* Default state directory, overridden by --state-dir. */
#define CLU_STATE_DIR "/var/lib/clupdate"

/* Bound on kept installer output per step attempt (head and tail kept). */
#define CLU_JOURNAL_OUTPUT_MAX (64 * 1024)

enum clu_run_state {
	CLU_RUN_RUNNING,       /* in progress, or interrupted (no end recorded) */
	CLU_RUN_SUCCEEDED,
	CLU_RUN_FAILED,        /* stopped by a failed step; the cluster left safe */
	CLU_RUN_ABORTED,       /* undone by `abort` */
};

enum clu_step_state {
	CLU_STEP_PENDING,
	CLU_STEP_RUNNING,
	CLU_STEP_DONE,
	CLU_STEP_FAILED,
	CLU_STEP_SKIPPED,      /* already true on resume */
};

enum clu_change_state {
	CLU_CHANGE_INTENDED,   /* recorded, maybe not made (crash in between) */
	CLU_CHANGE_APPLIED,
	CLU_CHANGE_RESTORED,   /* undone: the prior value is back */
	CLU_CHANGE_FAILED,     /* the attempt to make it failed */
};

/*
 * Open (creating if needed) the journal in state_dir: the directory is
 * created as by mkdir -p (missing parents 0755, state_dir itself 0700; an
 * existing one keeps its mode), journal.db with mode 0600, both whatever
 * the umask. The schema is created or migrated to this version. Fails for
 * a database of another program ("not a clupdate journal") or of a newer
 * clupdate ("schema version N is newer than ..."). *journal is NULL on
 * error.
 *
 * Refuses, before writing anything there, a state directory or journal
 * file that anyone but the effective user could change, naming it, why
 * and the fix:
 *   "state directory 'D' is a symbolic link (to 'T'): refusing to follow it"
 *   "state directory 'D' is owned by 'U', not by 'V' who runs clupdate:
 *    fix with chown V 'D'"
 *   "state directory 'D' is writable by its group (mode 0775): fix with
 *    chmod go-w 'D'" (or "by others", "by its group and others")
 *   and the same for "journal file 'D/journal.db'" (-wal, -shm, -journal).
 * Links among the parents of state_dir are followed.
 */
int clu_journal_open(struct clu_journal **journal, const char *state_dir,
		     struct clu_err *err);
/* Close; NULL is fine. */
void clu_journal_close(struct clu_journal *journal);

/*
 * Watch the writes: after each durable write (a run, step, change,
 * snapshot or event recorded), written(ctx, n) is called with n counting
 * them from 1, with the handle's lock held (it must not call the journal).
 * For fault injection: a test stops a run at write N (written may _exit).
 * NULL stops watching.
 */
void clu_journal_observe(struct clu_journal *journal,
			 void (*written)(void *ctx, unsigned long n), void *ctx);

/* Clocks, as the journal records them. */
int64_t clu_now_real_ms(void);
int64_t clu_now_mono_ms(void);

/* ---- runs ---- */

struct clu_run_begin {
	const char *update;         /* manifest name */
	const char *version;        /* target version */
	const char *manifest_path;
	const char *manifest_text;  /* the manifest's whole text, kept verbatim */
	const char *strategy;
	const char *cluster;        /* the cluster source, e.g. "pacemaker" or "lab:demo" */
	const char *plan_json;      /* the plan as its JSON document */
	unsigned n_steps;
};

/* Record a new run; *run_id receives its id (1, 2, ...). */
int clu_journal_run_begin(struct clu_journal *journal, const struct clu_run_begin *run,
			  int64_t *run_id, struct clu_err *err);
/*
 * Record the run's end state (not RUNNING) and a one-line message (may be
 * NULL), with the end times. May be called again: a FAILED run becomes
 * ABORTED when `abort` has undone it. "no run N" for an unknown run.
 */
int clu_journal_run_end(struct clu_journal *journal, int64_t run_id, enum clu_run_state state,
			const char *message, struct clu_err *err);

/*
 * Remove a run that changed nothing (refused: another run held the lock)
 * and all it recorded, in one transaction, so the journal's last run stays
 * the one at work. A run with a change still open (intended or applied)
 * is kept: CLU_E_JOURNAL.
 */
int clu_journal_run_discard(struct clu_journal *journal, int64_t run_id, struct clu_err *err);

/* ---- steps ---- */

/*
 * A step attempt begins (attempt counts from 1); state RUNNING. Each
 * (run, step, attempt) is recorded once: a resume continues with the next
 * attempt number. action is required; node, group, description may be
 * NULL. "...: no run N" for an unknown run.
 */
int clu_journal_step_begin(struct clu_journal *journal, int64_t run_id, unsigned step,
			   unsigned attempt, const char *action, const char *node,
			   const char *group, const char *description, struct clu_err *err);
/*
 * The attempt ends: state DONE/FAILED/SKIPPED, exit code (or -1), the
 * command's output (may be NULL; bounded to CLU_JOURNAL_OUTPUT_MAX, head
 * and tail kept), a message (may be NULL). Output longer than the bound
 * is kept as its first CLU_JOURNAL_OUTPUT_MAX / 2 bytes, the line
 * "\n[... N bytes omitted ...]\n", and its last CLU_JOURNAL_OUTPUT_MAX / 2
 * bytes. Only a RUNNING attempt can end: "no running step S attempt A in
 * run N" otherwise.
 */
int clu_journal_step_end(struct clu_journal *journal, int64_t run_id, unsigned step,
			 unsigned attempt, enum clu_step_state state, int exit_code,
			 const char *output, size_t output_len, const char *message,
			 struct clu_err *err);

/* ---- cluster changes ---- */

struct clu_change {
	int64_t id;
	int64_t run_id;
	unsigned step;        /* the step that made it (0: before the first) */
	char *kind;           /* the backend's own ("meta", "node-attribute",
				 "constraint" for Pacemaker, "sim-pin"...: see
				 backend.h), or "lock" (name: its token;
				 "property" in journals of clupdate 0.1) */
	char *target;         /* what the backend changed: a resource, a node,
				 a constraint id */
	char *name;           /* attribute name; for a constraint, the
				 resource it constrains */
	char *prior;          /* value before; NULL when absent */
	char *value;          /* value set; NULL when deleted */
	char *detail;         /* e.g. the constraint's XML, to restore it */
	char *node;           /* the node the change is about, or NULL: the
				 node drained, the node a group is banned
				 from (or moved to) */
	char *group;          /* the group the change is about, or NULL: the
				 group pinned, banned or moved */
	enum clu_change_state state;
	int64_t at_real_ms;   /* when it was recorded as intended */
};

/*
 * Record a change BEFORE making it; fills change->id, and sets
 * change->state to INTENDED and change->at_real_ms to now. kind and
 * target are required; node and group are stored as given (NULL: none),
 * so that readers never parse them back out of target or detail.
 * "...: no run N" for an unknown run.
 */
int clu_journal_change_intend(struct clu_journal *journal, struct clu_change *change,
			      struct clu_err *err);
/* Mark a change applied, restored or failed (not intended); "no change N". */
int clu_journal_change_mark(struct clu_journal *journal, int64_t change_id,
			    enum clu_change_state state, struct clu_err *err);
/*
 * The run's changes that are INTENDED or APPLIED (not restored), newest
 * first: what `abort` must undo and what the report lists as remaining.
 */
int clu_journal_changes_open(struct clu_journal *journal, int64_t run_id,
			     struct clu_change **changes, size_t *n, struct clu_err *err);
/* Free an array from clu_journal_changes_open(); NULL is fine. */
void clu_changes_free(struct clu_change *changes, size_t n);

/* ---- snapshots and events ---- */

/*
 * A snapshot of the cluster's state (as JSON) around a step; phase says
 * when, e.g. "before" or "after". Write-only: for reports and post-mortems.
 */
int clu_journal_snapshot(struct clu_journal *journal, int64_t run_id, unsigned step,
			 const char *phase, const char *cluster_json, struct clu_err *err);

/*
 * A timeline event: kind ("probe-down", "probe-up", "service-stopped",
 * "service-started", ...), source (probe name or node), group, and detail.
 * at_mono_ms/at_real_ms of the instant it happened (not of recording).
 * Safe to call from another thread on the same handle.
 */
int clu_journal_event(struct clu_journal *journal, int64_t run_id, int64_t at_mono_ms,
		      int64_t at_real_ms, const char *kind, const char *source,
		      const char *group, const char *detail, struct clu_err *err);

/* ---- reading back ---- */

struct clu_step_record {
	unsigned step;
	unsigned attempt;
	char *action, *node, *group, *description;
	enum clu_step_state state;
	int exit_code;                              /* -1: none, or still running */
	char *output;                               /* bounded; NULL when none */
	char *message;
	int64_t started_real_ms, ended_real_ms;     /* ended 0 while running */
	int64_t started_mono_ms, ended_mono_ms;
};

struct clu_event_record {
	int64_t at_mono_ms, at_real_ms;
	char *kind, *source, *group, *detail;
};

struct clu_run_record {
	int64_t id;
	char *update, *version, *manifest_path, *manifest_text, *strategy, *cluster;
	char *plan_json;
	unsigned n_planned;
	enum clu_run_state state;
	char *message;
	int64_t started_real_ms, ended_real_ms;     /* ended 0 while running */
	int64_t started_mono_ms, ended_mono_ms;
	struct clu_step_record *steps;              /* every attempt, in the order begun */
	size_t n_steps;
	struct clu_change *changes;                 /* in order made */
	size_t n_changes;
	/* Loaded with one run only: changes still open that earlier unfinished
	 * runs of the same update left (not taken over): in effect too. */
	struct clu_change *left_earlier;
	size_t n_left_earlier;
	struct clu_event_record *events;            /* by at_mono_ms, ties as recorded */
	size_t n_events;
};

/*
 * Load one run with its steps, changes and events, as one consistent read
 * (a concurrent writer's later commits are not half seen); CLU_E_JOURNAL
 * "no run N". On error *run holds nothing (no need to release it).
 */
int clu_journal_run_load(struct clu_journal *journal, int64_t run_id,
			 struct clu_run_record *run, struct clu_err *err);
/* The newest run's id, or 0 when there is none. */
int clu_journal_last_run(struct clu_journal *journal, int64_t *run_id, struct clu_err *err);
/*
 * All runs, newest (highest id) first, without their steps/changes/events;
 * *runs is NULL when there is none. Free with clu_run_records_free().
 */
int clu_journal_runs(struct clu_journal *journal, struct clu_run_record **runs, size_t *n,
		     struct clu_err *err);
void clu_run_record_release(struct clu_run_record *run);
void clu_run_records_free(struct clu_run_record *runs, size_t n);

const char *clu_run_state_name(enum clu_run_state state);     /* "running", ... */
const char *clu_step_state_name(enum clu_step_state state);   /* "pending", ... */
const char *clu_change_state_name(enum clu_change_state state);

#endif
