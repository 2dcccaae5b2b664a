/*
 * The command table: every verb of clupdate, its one-line summary and its
 * help, plus the small helpers every command shares (error reporting,
 * finding the program's own files).
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/err.h"
#include "clupdate/journal.h"
#include "clupdate/output.h"
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

	fputs("clupdate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
			*format = clu_format_parse(optarg);
			if (*format < 0) {
				*status = cmd_fail(CLU_E_USAGE, "%s: unknown output format '%s' "
						   "(expected text, json or xml)", argv[0], optarg);
				return -1;
			}
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
