/*
 * `clupdate show RUN`: one run in full, with every step attempt and the
 * output of its node commands.
 */
#include <stdint.h>

#include "clupdate/journal.h"
#include "cmd.h"

static int run_show(struct cmd_ctx *ctx)
{
	struct clu_err err = CLU_ERR_INIT;
	int64_t id = 0;
	int ret = cmd_run_id(ctx->journal, ctx->opt.operands[0], &id, &err);

	ret = cmd_print_run(ctx, id, true, ret, &err);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

const struct cmd cmd_show_entry = {
	.name = "show",
	.summary = "one run in full, with each command's output",
	.operands = "RUN", .operand = "RUN", .min_operands = 1, .max_operands = 1,
	.needs = CMD_JOURNAL,
	.options = cmd_journal_options,
	.about =
"Show one run (its id from 'clupdate history', or 'last') in full: every\n"
"step attempt with its times, exit status and the output of the installer,\n"
"verify and hook commands; every change made to the cluster with its prior\n"
"value and state; and the timeline's events.\n",
	.run = run_show,
};
