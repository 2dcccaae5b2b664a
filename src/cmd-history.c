/*
 * `clupdate history`: every run in the journal, newest first.
 */
#include <stdio.h>

#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "cmd.h"

static int run_history(struct cmd_ctx *ctx)
{
	struct clu_run_record *runs = NULL;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out = clu_output_new(ctx->opt.format, stdout, "history");
	size_t n = 0;
	int ret = clu_journal_runs(ctx->journal, &runs, &n, &err);

	if (!ret)
		clu_output_history(out, runs, n);
	clu_output_finish(out, ret, ret ? err.msg : NULL);
	clu_run_records_free(runs, n);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

const struct cmd cmd_history_entry = {
	.name = "history",
	.summary = "every run recorded in the journal",
	.needs = CMD_JOURNAL,
	.options = cmd_journal_options,
	.about =
"List every run recorded in the journal, newest first: its id (for\n"
"'clupdate show RUN'), start, update, version, strategy, state and time.\n",
	.run = run_history,
};
