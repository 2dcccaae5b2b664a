/*
 * `clupdate status`: the run in progress, or the last one: its state, its
 * steps with their times, and what it left in the cluster.
 */
#include <stdint.h>
#include <stdio.h>

#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "cmd.h"

static int run_status(struct cmd_ctx *ctx)
{
	struct clu_err err = CLU_ERR_INIT;
	int64_t id = 0;
	int ret = clu_journal_last_run(ctx->journal, &id, &err);

	if (!ret && !id && ctx->opt.format == CLU_FORMAT_TEXT)
		printf("No runs yet (journal in %s).\n", ctx->opt.state_dir);
	ret = cmd_print_run(ctx, id, false, ret, &err);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

const struct cmd cmd_status_entry = {
	.name = "status",
	.summary = "the current or last run: its steps and what it left in place",
	.needs = CMD_JOURNAL,
	.options = cmd_journal_options,
	.about =
"Show the run in progress, or the last run: its state (running, succeeded,\n"
"failed, aborted), each step with its state and time, the reason of a\n"
"failure with the failed command's output, and the changes it left in the\n"
"cluster (pins, bans, drained nodes) with their prior values. Reads the\n"
"journal only; another clupdate may be applying at the same time.\n",
	.epilogue = "exit status: 0 (also when there is no run yet), 8 journal unreadable.\n",
	.run = run_status,
};
