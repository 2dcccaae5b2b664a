/*
 * The command table of the front end, in the manner of tmux's cmd_entry:
 * each `clupdate VERB` declares itself in one struct cmd (src/cmd-VERB.c):
 * its name, summary, prose, options (with their argument kinds and help),
 * operand bounds and what it needs opened. One parser (cmd_parse(), a
 * getopt_long built from the entry) and one opener (cmd_open(): manifest,
 * target, journal, as the entry's flags say) serve every command, and each
 * command's --help is generated from its entry, so no two commands drift
 * apart. The same table is what a man page or a bash completion can be
 * generated from.
 */
#ifndef CLU_CMD_H
#define CLU_CMD_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/err.h"
#include "clupdate/manifest.h"
#include "clupdate/target.h"

/* What an option's argument is: how it is checked and where it goes. */
enum cmd_arg {
	CMD_ARG_NONE,          /* a flag: a bool field set to true */
	CMD_ARG_STRING,        /* a const char * field, unchecked */
	CMD_ARG_PATH,          /* a file (const char *) */
	CMD_ARG_DIR,           /* a directory (const char *) */
	CMD_ARG_CLUSTER,       /* a cluster spec (target.h; const char *) */
	CMD_ARG_FORMAT,        /* --output-as: an int CLU_FORMAT_* */
	CMD_ARG_STRATEGY,      /* an int CLU_STRATEGY_* */
	CMD_ARG_SECONDS,       /* whole seconds from 1 to max, kept as unsigned ms */
	CMD_ARG_MILLISECONDS,  /* whole milliseconds from 0 to max, an unsigned */
	CMD_ARG_DURATION,      /* a duration as the manifest's (90s, 10m, 2h), unsigned ms */
};

/* One option of a command. */
struct cmd_option {
	const char *name;       /* long name, without "--" */
	char letter;            /* its short letter, or 0 */
	enum cmd_arg arg;
	bool arg_optional;      /* --name[=ARG]: the argument may be left out */
	const char *arg_name;   /* "FILE", "S": in usage and help */
	unsigned max;           /* SECONDS, MILLISECONDS: the largest value */
	size_t field;           /* offsetof(struct cmd_options, the value) */
	size_t given;           /* arg_optional: offsetof a bool set when the option is given */
	const char *help;       /* for --help: lines of at most 57 columns, '\n' between */
};

/* What a command needs opened before it runs (struct cmd's flags). */
enum cmd_needs {
	CMD_MANIFEST = 1 << 0,  /* the first operand is a manifest: loaded */
	CMD_TARGET = 1 << 1,    /* --cluster (--ssh-config, the manifest's version attribute) */
	CMD_LIVE = 1 << 2,      /* the target must be a running cluster, not a saved state */
	CMD_JOURNAL = 1 << 3,   /* the journal in --state-dir (default CLU_STATE_DIR) */
	CMD_SCRATCH_JOURNAL = 1 << 4,  /* without --state-dir, a journal removed at the end */
	CMD_ASKS = 1 << 5,      /* asks before changing things: --yes when stdin is no terminal */
	CMD_ENVELOPE = 1 << 6,  /* prints a result document: a failure to open is one too */
	CMD_RAW = 1 << 7,       /* gets argv untouched (lab: the script parses it) */
};

/* Every command's parsed options; a command reads the ones it declared. */
struct cmd_options {
	const char *verb;               /* first: a field offset of 0 means "none" */
	const char *cluster;            /* --cluster, default "pacemaker" */
	bool cluster_given;             /* --cluster was given (resume: else the run's) */
	const char *ssh_config;         /* --ssh-config, or NULL */
	const char *state_dir;          /* --state-dir; after cmd_open(), the journal's */
	int format;                     /* --output-as, default CLU_FORMAT_TEXT */
	int strategy;                   /* --strategy, -1: the manifest's */
	bool yes;                       /* --yes */
	bool verbose;                   /* --verbose: progress as log lines, even on a terminal */
	bool dry_run;                   /* --dry-run: the plan only, nothing changed */
	bool no_probes;                 /* --no-probes */
	bool break_lock;                /* --break-lock given */
	unsigned lock_stale_ms;         /* --break-lock=S, 0: the executor's default */
	unsigned settle_timeout_ms;     /* --settle-timeout, 0: the executor's default */
	unsigned duration_ms;           /* --duration, default 10 s */
	unsigned settle_ms;             /* --settle, default 1000 ms */
	unsigned deadline_ms;           /* --deadline, 0: none */
	char **operands;                /* what follows the options (argv's) */
	size_t n_operands;
};

/* What cmd_open() opened for a command, and its options. */
struct cmd_ctx {
	const struct cmd *cmd;
	struct cmd_options opt;
	struct clu_manifest manifest;   /* CMD_MANIFEST */
	struct clu_target target;       /* CMD_TARGET */
	struct clu_journal *journal;    /* CMD_JOURNAL */
	bool have_manifest, have_target;
	char scratch[64];               /* CMD_SCRATCH_JOURNAL's directory, or "" */
};

struct cmd {
	const char *name;
	const char *summary;     /* one line for `clupdate --help` */
	const char *operands;    /* in the usage line, before the options: "MANIFEST", "RUN" */
	const char *operands_after;     /* and after them: "[-- CMD ARGS...]" */
	const char *operand;     /* the operand's name in messages ("MANIFEST") */
	unsigned min_operands, max_operands;    /* max UINT_MAX: no bound */
	unsigned needs;          /* enum cmd_needs */
	const struct cmd_option *options;       /* ends with a NULL name */
	const char *about;       /* prose between the usage and the options */
	const char *epilogue;    /* prose after the options (examples, exit status) */
	const char *help;        /* CMD_RAW: the whole help, written by hand */
	int (*run)(struct cmd_ctx *ctx);        /* all is open; returns the exit status */
	int (*run_raw)(int argc, char **argv);  /* CMD_RAW */
};

/* The options most commands share, with their usual help. */
#define CMD_FIELD(f) offsetof(struct cmd_options, f)
#define CMD_OPTION_STATE_DIR(help_) \
	{ "state-dir", 0, CMD_ARG_DIR, false, "DIR", 0, CMD_FIELD(state_dir), 0, help_ }
#define CMD_OPTION_OUTPUT_AS(help_) \
	{ "output-as", 0, CMD_ARG_FORMAT, false, "F", 0, CMD_FIELD(format), 0, help_ }
#define CMD_OPTION_CLUSTER(arg_, help_) \
	{ "cluster", 0, CMD_ARG_CLUSTER, false, arg_, 0, CMD_FIELD(cluster), 0, help_ }
#define CMD_OPTION_SSH_CONFIG(help_) \
	{ "ssh-config", 0, CMD_ARG_PATH, false, "FILE", 0, CMD_FIELD(ssh_config), 0, help_ }
#define CMD_OPTION_STRATEGY(help_) \
	{ "strategy", 0, CMD_ARG_STRATEGY, false, "S", 0, CMD_FIELD(strategy), 0, help_ }
#define CMD_OPTION_END { NULL, 0, CMD_ARG_NONE, false, NULL, 0, 0, 0, NULL }

/* The options of the commands that only read the journal (status, history, show). */
extern const struct cmd_option cmd_journal_options[];

extern const struct cmd *const commands[];

extern const struct cmd cmd_plan_entry, cmd_apply_entry, cmd_status_entry, cmd_history_entry,
	cmd_show_entry, cmd_report_entry, cmd_probe_entry, cmd_lab_entry, cmd_abort_entry,
	cmd_resume_entry, cmd_rollback_entry;

const struct cmd *cmd_find(const char *name);

/* Print a command's help on stdout (generated from its entry). */
void cmd_print_help(const struct cmd *cmd);

/* Whether cmd's --output-as takes html (reports). */
bool cmd_html_allowed(const struct cmd *cmd);

/*
 * Print on stdout the man page clupdate-NAME(1) of command NAME, generated
 * from its entry (src/man.c); with NAME NULL, the list of commands that
 * clupdate(1) shows. Returns the exit status.
 */
int cmd_print_man(const char *name);

/*
 * `clupdate complete WHAT ...`, the words the bash completion offers
 * (src/complete.c; contrib/bash-completion/clupdate). Returns the exit status.
 */
int cmd_complete(int argc, char **argv);

/*
 * Run cmd with argv (argv[0] is the verb): parse, open, run, close.
 * Returns the exit status.
 */
int cmd_execute(const struct cmd *cmd, int argc, char **argv);

/*
 * Parse argv against cmd's options into ctx->opt (defaults first).
 * Returns -1 to go on, or the exit status to return now (--help: 0; a
 * usage error, printed: 2).
 */
int cmd_parse(const struct cmd *cmd, int argc, char **argv, struct cmd_ctx *ctx);

/*
 * Open what ctx->cmd needs, as its flags say: the manifest (the first
 * operand), the target, the journal. 0, or the error in *err (what was
 * opened stays for cmd_close()).
 */
int cmd_open(struct cmd_ctx *ctx, struct clu_err *err);

/* Close and free what cmd_open() opened (a scratch journal is removed). */
void cmd_close(struct cmd_ctx *ctx);

/*
 * Report an error on stderr as "clupdate: MESSAGE" and return the exit
 * status for code.
 */
int cmd_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The directory of this executable (for finding lab/ and build/demo/). */
const char *cmd_self_dir(void);

/*
 * An option's value, checked: --output-as F (html only where html_ok:
 * reports), --strategy S, and a number of seconds (1 to max, into *ms) or
 * milliseconds (0 to max). Return 0, or print the error ("VERB: bad
 * --OPTION 'ARG' (expected ...)") and return the exit status.
 */
int cmd_format_option(const char *verb, const char *arg, bool html_ok, int *format);
int cmd_strategy_option(const char *verb, const char *arg, int *strategy);
int cmd_seconds_option(const char *verb, const char *option, const char *arg, unsigned max,
		       unsigned *ms);
int cmd_milliseconds_option(const char *verb, const char *option, const char *arg,
			    unsigned max, unsigned *ms);

/*
 * SIGINT, SIGTERM and SIGHUP no longer end the program: each sets the
 * returned flag, for the command to stop at its next safe point. A hangup
 * (the operator's ssh session dropped) is one more way to ask for a stop.
 */
volatile sig_atomic_t *cmd_stop_on_signals(void);

/* A run id operand: a number, or "last". */
struct clu_journal;
int cmd_run_id(struct clu_journal *journal, const char *operand, int64_t *id,
	       struct clu_err *err);

/* Load run id and print its report in format (stdout). */
int cmd_print_report(struct clu_journal *journal, int64_t id, int format, struct clu_err *err);

/*
 * Print run id (0: none) as ctx's result document with clu_output_run()
 * (full: with every attempt's output), or the error ret (already in *err)
 * that came before: show and status. Returns ret, or the load's error.
 */
int cmd_print_run(struct cmd_ctx *ctx, int64_t id, bool full, int ret, struct clu_err *err);

#endif
