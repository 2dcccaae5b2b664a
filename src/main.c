/*
 * clupdate: apply a service pack to an application on a failover cluster,
 * node by node, safely and with the least interruption for its users.
 *
 * main() handles the global options (--help, --version), makes a closed
 * stdout or stderr an error instead of a death (SIGPIPE), and hands the
 * command line to the command table in cmd.c.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "clupdate/err.h"
#include "cmd.h"

static void usage(FILE *out)
{
	fputs("usage: clupdate [--version] [--help] COMMAND [ARGS]\n"
	      "\n"
	      "Apply a service pack to an application on a Pacemaker/Corosync\n"
	      "cluster in the safe order: the owner of the group first, pinned so\n"
	      "the group cannot fail over, then the passive nodes; or drain the\n"
	      "passives first and switch over once. Every step is checked against\n"
	      "the live cluster and journalled.\n"
	      "\n"
	      "commands:\n", out);
	for (const struct cmd *const *c = commands; *c; c++)
		fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fputs("\n"
	      "'clupdate help COMMAND' explains a command and its options.\n"
	      "Exit status: 0 ok, 2 usage, 3 bad manifest, 4 cluster unreadable,\n"
	      "5 refused as unsafe, 6 command failed, 7 i/o, 8 journal, 9 step\n"
	      "failed, 10 cluster locked, 11 interrupted (see clupdate(1)).\n", out);
}

static void discard_signal(int sig)
{
	(void)sig;
}

/*
 * A reader that goes away (`clupdate apply ... | head`) must not kill
 * clupdate in the middle of a run, with the cluster locked and the run
 * "running" in the journal: writes to a closed pipe fail with EPIPE
 * instead, and each command decides what a failed write means (progress
 * lines are dropped, a plan that cannot be written is an i/o error).
 *
 * Caught by a handler that does nothing rather than set to SIG_IGN: an
 * ignored signal stays ignored across exec(), a caught one is reset to the
 * default. So whatever clupdate executes (the lab script of `clupdate lab`,
 * which exec()s without going through lib/proc.c) starts with the default
 * SIGPIPE, as shell pipelines expect.
 */
static void survive_closed_pipes(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = discard_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;

	survive_closed_pipes();
	if (argc < 2) {
		usage(stderr);
		return clu_exit_status(CLU_E_USAGE);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("clupdate %s\n", CLU_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[2], "--man"))  /* the build's, for the man pages */
			return cmd_print_man(argc > 3 ? argv[3] : NULL);
		cmd = cmd_find(argv[2]);
		if (!cmd)
			return cmd_fail(CLU_E_USAGE, "no such command '%s' (see 'clupdate --help')", argv[2]);
		cmd_print_help(cmd);
		return 0;
	}
	if (!strcmp(argv[1], "complete"))     /* the bash completion's, not listed */
		return cmd_complete(argc - 1, argv + 1);
	cmd = cmd_find(argv[1]);
	if (!cmd)
		return cmd_fail(CLU_E_USAGE, "no such command '%s' (see 'clupdate --help')", argv[1]);
	return cmd_execute(cmd, argc - 1, argv + 1);
}
