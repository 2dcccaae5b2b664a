/*
 * The command table of the front end: each `clupdate VERB` is one entry,
 * implemented in src/cmd-VERB.c. main() dispatches, `clupdate help VERB`
 * prints the entry's help.
 */
#ifndef CLU_CMD_H
#define CLU_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "clupdate/err.h"

struct cmd {
	const char *name;
	const char *summary;     /* one line for `clupdate --help` */
	const char *help;        /* the whole help of `clupdate help VERB` */
	int (*run)(int argc, char **argv);   /* returns the exit status */
};

extern const struct cmd commands[];

const struct cmd *cmd_find(const char *name);

/* Print a command's help on stdout. */
void cmd_print_help(const struct cmd *cmd);

/*
 * Report an error on stderr as "clupdate: MESSAGE" and return the exit
 * status for code.
 */
int cmd_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The directory of this executable (for finding lab/ and build/demo/). */
const char *cmd_self_dir(void);

/*
 * The options of the commands that read the journal (status, history,
 * show): --state-dir DIR, --output-as F, --help. Returns the index of the
 * first operand, or -1 with *status set to the exit status to return.
 */
int cmd_journal_options(int argc, char **argv, const char *help, const char **state_dir,
			int *format, int *status);

/*
 * The shared options: --output-as F (html only where html_ok: reports) and
 * --strategy S. Return 0, or print the error and return the exit status.
 */
int cmd_format_option(const char *verb, const char *arg, bool html_ok, int *format);
int cmd_strategy_option(const char *verb, const char *arg, int *strategy);
/* "--OPTION S": whole seconds from 1 to max, into *ms; else a usage error's status. */
int cmd_seconds_option(const char *verb, const char *option, const char *arg, unsigned max,
		       unsigned *ms);

/* Open the journal, or print why not and return the exit status in *status. */
struct clu_journal;
struct clu_journal *cmd_open_journal(const char *state_dir, int *status);

/* A run id operand: a number, or "last". */
int cmd_run_id(struct clu_journal *journal, const char *operand, int64_t *id,
	       struct clu_err *err);

/* Load run id and print its report in format (stdout). */
int cmd_print_report(struct clu_journal *journal, int64_t id, int format, struct clu_err *err);

int cmd_plan(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_lab(int argc, char **argv);

extern const char cmd_plan_help[];
extern const char cmd_report_help[];
extern const char cmd_probe_help[];
extern const char cmd_apply_help[];
extern const char cmd_status_help[];
extern const char cmd_history_help[];
extern const char cmd_show_help[];
extern const char cmd_lab_help[];

#endif
