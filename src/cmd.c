/*
 * The command table: every verb of clupdate, its one-line summary and its
 * help, plus the small helpers every command shares (error reporting,
 * finding the program's own files).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/err.h"
#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "clupdate/report.h"
#include "clupdate/display.h"
#include "cmd.h"

const struct cmd commands[] = {
	{ "plan", "show the ordered, checked plan for applying a service pack",
	  cmd_plan_help, cmd_plan },
	{ "apply", "apply a service pack to a running cluster, step by step",
	  cmd_apply_help, cmd_apply },
	{ "status", "the current or last run: its steps and what it left in place",
	  cmd_status_help, cmd_status },
	{ "history", "every run recorded in the journal",
	  cmd_history_help, cmd_history },
	{ "show", "one run in full, with each command's output",
	  cmd_show_help, cmd_show },
	{ "report", "what users saw during a run: outage windows, timeline, lost mail",
	  cmd_report_help, cmd_report },
	{ "probe", "measure the outage users see while any command runs",
	  cmd_probe_help, cmd_probe },
	{ "lab", "run a real Pacemaker cluster on this machine for trials and tests",
	  cmd_lab_help, cmd_lab },
	{ NULL, NULL, NULL, NULL },
};

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cmd_print_help(const struct cmd *cmd)
{
	fputs(cmd->help, stdout);
}

int cmd_fail(int code, const char *fmt, ...)
{
	va_list ap;
	char *message, *shown;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	/* Messages quote names and output from outside: no control character
	 * reaches the terminal raw. */
	shown = clu_display(message ? message : "out of memory", 0);
	fprintf(stderr, "clupdate: %s\n", shown);
	free(shown);
	free(message);
	return clu_exit_status(code);
}

const char *cmd_self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		strcpy(dir, ".");
		return dir;
	}
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	return dir;
}

int cmd_journal_options(int argc, char **argv, const char *help, const char **state_dir,
			int *format, int *status)
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "output-as", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*state_dir = CLU_STATE_DIR;
	*format = CLU_FORMAT_TEXT;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			*state_dir = optarg;
			break;
		case 'o':
			*status = cmd_format_option(argv[0], optarg, !strcmp(argv[0], "report"), format);
			if (*status)
				return -1;
			break;
		case 'h':
			fputs(help, stdout);
			*status = 0;
			return -1;
		default:
			*status = cmd_fail(CLU_E_USAGE, "%s: unknown option '%s' (see 'clupdate help %s')",
					   argv[0], argv[optind - 1], argv[0]);
			return -1;
		}
	}
	return optind;
}

struct clu_journal *cmd_open_journal(const char *state_dir, int *status)
{
	struct clu_journal *journal = NULL;
	struct clu_err err = CLU_ERR_INIT;

	if (clu_journal_open(&journal, state_dir, &err)) {
		*status = cmd_fail(err.code, "%s", err.msg);
		return NULL;
	}
	return journal;
}

int cmd_run_id(struct clu_journal *journal, const char *operand, int64_t *id,
	       struct clu_err *err)
{
	char *end;
	int ret;

	if (!strcmp(operand, "last")) {
		ret = clu_journal_last_run(journal, id, err);
		if (!ret && !*id)
			ret = clu_err_set(err, CLU_E_USAGE, "the journal has no run yet");
		return ret;
	}
	*id = strtoll(operand, &end, 10);
	if (*end || *id <= 0)
		return clu_err_set(err, CLU_E_USAGE, "'%s' is not a run id (see 'clupdate history')",
				   operand);
	return 0;
}

int cmd_print_report(struct clu_journal *journal, int64_t id, int format, struct clu_err *err)
{
	struct clu_run_record run;
	struct clu_report report;
	struct clu_output *out = clu_output_new(format, stdout, "report");
	int ret = clu_journal_run_load(journal, id, &run, err);

	if (!ret) {
		ret = clu_report_make(&report, &run, err);
		if (!ret) {
			clu_output_report(out, &report);
			clu_report_release(&report);
		}
		clu_run_record_release(&run);
	}
	if (clu_output_finish(out, ret, ret ? err->msg : NULL) && !ret)
		ret = clu_err_set(err, CLU_E_IO, "cannot write the report");
	return ret;
}

int cmd_format_option(const char *verb, const char *arg, bool html_ok, int *format)
{
	*format = clu_format_parse(arg);
	if (*format < 0 || (*format == CLU_FORMAT_HTML && !html_ok))
		return cmd_fail(CLU_E_USAGE, "%s: unknown output format '%s' (expected text, json%s)",
				verb, arg, html_ok ? ", xml or html" : " or xml");
	return 0;
}

int cmd_seconds_option(const char *verb, const char *option, const char *arg, unsigned max,
		       unsigned *ms)
{
	char *end = NULL;
	unsigned long seconds;

	errno = 0;
	seconds = arg && *arg >= '0' && *arg <= '9' ? strtoul(arg, &end, 10) : 0;
	if (!end || *end || errno || seconds < 1 || seconds > max)
		return cmd_fail(CLU_E_USAGE, "%s: bad --%s '%s' (expected whole seconds from 1 "
				"to %u)", verb, option, arg ? arg : "", max);
	*ms = (unsigned)seconds * 1000;
	return 0;
}

int cmd_strategy_option(const char *verb, const char *arg, int *strategy)
{
	*strategy = clu_strategy_parse(arg);
	if (*strategy < 0)
		return cmd_fail(CLU_E_USAGE, "%s: unknown strategy '%s' (expected in-place, rolling "
				"or auto)", verb, arg);
	return 0;
}
