/* `clupdate plan`: placeholder until the planner lands (issue 2). */
#include "clupdate/err.h"
#include "cmd.h"

const char cmd_plan_help[] = "usage: clupdate plan MANIFEST\n";

int cmd_plan(int argc, char **argv)
{
	(void)argc; (void)argv;
	return cmd_fail(CLU_E_USAGE, "plan: not implemented yet");
}
