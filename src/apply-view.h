/*
 * How the apply pipeline (clupdate/apply.h) is presented, shared by the
 * commands that run it: `apply`, `resume` and `rollback`. Progress on
 * stderr: on a terminal, a status area of a few lines redrawn in place
 * (the step and its wave, the node and action, what the run waits for,
 * elapsed and the predicted remainder, each probe's state), with each
 * finished step as a line above it; otherwise, or with --verbose, one
 * plain line per event, for logs. Then what the run left, the probes'
 * count, and the result and report on stdout in the chosen format. Also
 * the options these commands take for the run itself, so that they
 * cannot drift apart.
 */
#ifndef CLU_APPLY_VIEW_H
#define CLU_APPLY_VIEW_H

#include <stdbool.h>

#include "clupdate/apply.h"
#include "cmd.h"

struct apply_view {
	bool area;           /* stderr is a terminal and not --verbose: a status area */
	const char *source;  /* the cluster, as named to the operator */
	const char *state_dir;
	const struct clu_manifest *manifest;
	const struct clu_apply *apply;   /* its probes' names, once resolved */
	/* The status area: what it shows, and what is on the terminal. */
	unsigned area_lines;            /* lines drawn, the cursor below them; 0: none */
	int64_t drawn_mono_ms;          /* when last drawn */
	const struct clu_plan *plan;
	bool *done;                     /* per step of plan: done or skipped */
	const struct clu_step *step;    /* at work; NULL before the first */
	unsigned attempt;
	char *waiting;                  /* what it waits for (shown escaped) */
	int64_t step_elapsed_ms, run_elapsed_ms;
	struct clu_probe_look *probes;
	size_t n_probes;
};

/*
 * Fill *a for manifest on target from ctx's options (strategy, probes, lock,
 * settle timeout, deadline, signals) with v's progress callbacks, and *v.
 * a->confirm is left NULL: the command sets its own.
 */
void apply_view_init(struct apply_view *v, struct clu_apply *a, struct cmd_ctx *ctx,
		     struct clu_target *target, const struct clu_manifest *manifest,
		     const char *source);

/*
 * After clu_apply_run() returned ret (err): end a live line, print what the
 * run left, the probes' count, and the result document of ctx's command
 * (the run and its report). Returns the exit status.
 */
int apply_view_present(struct apply_view *v, const struct clu_apply *a, struct cmd_ctx *ctx,
		       int ret, const struct clu_err *err);

/*
 * The pipeline *a (set up by apply_view_init(), a->confirm as the command
 * wants) run, presented as above and released: the exit status.
 */
int apply_view_run(struct apply_view *v, struct clu_apply *a, struct cmd_ctx *ctx);

/* The plan as a runbook, on stdout (before the question). */
void apply_view_runbook(const struct clu_plan *plan, const struct clu_manifest *manifest,
			const struct clu_cluster *cluster);

/*
 * Ask question on stderr ("QUESTION [y/N] ") and read the answer on stdin:
 * true for y or Y; otherwise say that nothing was changed.
 */
bool apply_view_ask(const char *question);

/* clu_apply's settling callback: one line, above the status area of the
 * view ctx (NULL: a command without one, such as rollback --dry-run). */
void apply_view_settling(void *ctx, unsigned timeout_ms);

/* The target of the commands that start a run (`apply`, `rollback`). */
#define APPLY_VIEW_OPTION_CLUSTER \
	CMD_OPTION_CLUSTER("C", \
		"pacemaker (the default: clupdate runs on a node of the\n" \
		"cluster), ssh:HOST[,HOST...] (from an admin host),\n" \
		"lab:NAME (a 'clupdate lab') or sim:FILE (a simulated\n" \
		"cluster, for a rehearsal: doc/sim.md)")

/* Where the journal of a new run lives (`apply`, `rollback`). */
#define APPLY_VIEW_OPTION_STATE_DIR \
	CMD_OPTION_STATE_DIR( \
		"where the journal lives (default /var/lib/clupdate): a\n" \
		"directory of yours, not a link, not writable by group\n" \
		"or others (else refused, exit 8)")

/* The options of a run, as `apply` and `resume` both take them. */
#define APPLY_VIEW_OPTION_BREAK_LOCK \
	{ "break-lock", 0, CMD_ARG_SECONDS, true, "S", 3600, CMD_FIELD(lock_stale_ms), \
	  CMD_FIELD(break_lock), \
	  "when another run holds the cluster lock, watch its\n" \
	  "heartbeat for S seconds (60) and take the lock over if\n" \
	  "it never moved: no clock of another host is trusted (a\n" \
	  "holder on this host whose process is gone is taken over\n" \
	  "at once, without this option)" }
#define APPLY_VIEW_OPTION_VERBOSE \
	{ "verbose", 'v', CMD_ARG_NONE, false, NULL, 0, CMD_FIELD(verbose), 0, \
	  "progress as one line per event on stderr, as in a log,\n" \
	  "even on a terminal (where it is otherwise a status area\n" \
	  "redrawn in place)" }
#define APPLY_VIEW_OPTION_NO_PROBES \
	{ "no-probes", 0, CMD_ARG_NONE, false, NULL, 0, CMD_FIELD(no_probes), 0, \
	  "do not run the manifest's probes (no outage measured)" }
#define APPLY_VIEW_OPTION_SETTLE_TIMEOUT \
	{ "settle-timeout", 0, CMD_ARG_SECONDS, false, "S", 86400, CMD_FIELD(settle_timeout_ms), \
	  0, "how long to wait for the cluster after a change, and\n" \
	  "for a busy engine before planning (120)" }
/* The run's options after --state-dir, in the order --help shows them. */
#define APPLY_VIEW_OPTIONS_RUN \
	CMD_OPTION_SSH_CONFIG( \
		"ssh_config (host names, keys, known_hosts) for the\n" \
		"nodes reached over ssh"), \
	CMD_OPTION_OUTPUT_AS("the final result as text (default), json or xml"), \
	APPLY_VIEW_OPTION_BREAK_LOCK, \
	APPLY_VIEW_OPTION_NO_PROBES, \
	APPLY_VIEW_OPTION_VERBOSE, \
	APPLY_VIEW_OPTION_SETTLE_TIMEOUT
#define APPLY_VIEW_OPTION_DEADLINE(help_) \
	{ "deadline", 0, CMD_ARG_DURATION, false, "D", 0, CMD_FIELD(deadline_ms), 0, help_ }
#define APPLY_VIEW_OPTION_YES \
	{ "yes", 'y', CMD_ARG_NONE, false, NULL, 0, CMD_FIELD(yes), 0, \
	  "do not ask for confirmation (needed when stdin is not\n" \
	  "a terminal)" }

#endif
