/*
 * `clupdate lab`: a real Pacemaker + Corosync cluster on this machine.
 *
 * The lab is namespace plumbing (ip, unshare, nsenter, mount) and lives in
 * the shell script lab/clupdate-lab, where that plumbing reads best. This
 * command finds the script and the demo service (in the build tree, or
 * where `make install` put them) and hands over to it, passing their
 * places in the environment: CLUPDATE (this program), CLU_DEMO_DIR.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/err.h"
#include "cmd.h"

const char cmd_lab_help[] =
"usage: clupdate lab up [--nodes N] [--name NAME] [--fencing none|lab]\n"
"       clupdate lab down [--name NAME]\n"
"       clupdate lab status [--name NAME]\n"
"       clupdate lab exec [--name NAME] NODE -- CMD [ARGS...]\n"
"       clupdate lab client [--name NAME] -- CMD [ARGS...]\n"
"       clupdate lab kill [--name NAME] NODE\n"
"       clupdate lab start [--name NAME] NODE\n"
"\n"
"Run a genuine Pacemaker + Corosync cluster on this machine, to rehearse,\n"
"demonstrate and test updates. Each node is a network namespace with its\n"
"own mount and UTS namespaces; a bridge in a namespace of its own joins\n"
"them, so no packet leaves the lab. The lab runs the demo clustered mail\n"
"service (group 'mail': virtual IP, shared store, SMTP daemon) at version 1\n"
"on every node. Needs root; installs Debian's pacemaker, corosync and\n"
"resource-agents if they are missing.\n"
"\n"
"  up       build and start a lab, wait until every node is online and the\n"
"           group 'mail' is started, print how to reach it\n"
"             --nodes N      2 to 16 nodes (default 3)\n"
"             --name NAME    scopes namespaces, addresses, state (default 'lab')\n"
"             --fencing none no fencing: stonith-enabled=false (default)\n"
"             --fencing lab  a real fence agent that powers nodes off and on\n"
"  down     remove everything 'up' made, also after a crashed 'up'; idempotent\n"
"  status   nodes, their processes and the cluster's view\n"
"  exec     run a command inside a node (network, mount and UTS namespaces)\n"
"  client   run a command from the client namespace, where the users stand\n"
"  kill     hard power-off of a node: SIGKILL all its processes, pull its cable\n"
"  start    boot a killed or stopped node again\n"
"\n"
"examples:\n"
"  clupdate lab up --nodes 3\n"
"  clupdate lab exec n1 -- crm_mon -1\n"
"  clupdate lab client -- swaks --server 10.77.1.100   # any SMTP client\n"
"  clupdate lab down\n";

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int cmd_lab(int argc, char **argv)
{
	char script[PATH_MAX], demo[PATH_MAX], self[PATH_MAX];
	const char *dir = cmd_self_dir();

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(cmd_lab_help, stdout);
		return 0;
	}

	/* In the build tree the program is build/clupdate; installed, libexec. */
	snprintf(script, sizeof(script), "%s/../lab/clupdate-lab", dir);
	snprintf(demo, sizeof(demo), "%s/demo", dir);
	if (!exists(script)) {
		snprintf(script, sizeof(script), "%s/lab/clupdate-lab", CLU_LIBEXECDIR);
		snprintf(demo, sizeof(demo), "%s/demo", CLU_LIBEXECDIR);
	}
	if (!exists(script))
		return cmd_fail(CLU_E_IO, "cannot find the lab script (looked in '%s/../lab' and '%s/lab')",
				dir, CLU_LIBEXECDIR);

	snprintf(self, sizeof(self), "%s/clupdate", dir);
	setenv("CLUPDATE", self, 1);
	if (!getenv("CLU_DEMO_DIR"))
		setenv("CLU_DEMO_DIR", demo, 1);

	argv[0] = script;
	execv(script, argv);
	return cmd_fail(CLU_E_SPAWN, "cannot run '%s': %s", script, strerror(errno));
}
