/*
 * `clupdate report RUN`: what users saw during a run: the outage windows,
 * each with the step that caused it, the steps per node, the wall time and
 * clupdate's own overhead, and the messages acknowledged and lost.
 */
#include <stdint.h>

#include "clupdate/journal.h"
#include "cmd.h"

static int run_report(struct cmd_ctx *ctx)
{
	struct clu_err err = CLU_ERR_INIT;
	int64_t id;
	int ret = cmd_run_id(ctx->journal, ctx->opt.operands[0], &id, &err);

	if (!ret)
		ret = cmd_print_report(ctx->journal, id, ctx->opt.format, &err);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

static const struct cmd_option options[] = {
	CMD_OPTION_STATE_DIR("where the journal lives (default /var/lib/clupdate)"),
	CMD_OPTION_OUTPUT_AS("text (default), json, xml, or html: one self-contained\n"
			     "page (no network) with a timeline: a lane per node\n"
			     "(steps as bars) and a lane per probe (outages in red);\n"
			     "redirect it to a file and open it"),
	CMD_OPTION_END,
};

const struct cmd cmd_report_entry = {
	.name = "report",
	.summary = "what users saw during a run: outage windows, timeline, lost mail",
	.operands = "RUN", .operand = "RUN", .min_operands = 1, .max_operands = 1,
	.needs = CMD_JOURNAL,
	.options = options,
	.about =
"Report what the users of the updated groups saw during a run (its id from\n"
"'clupdate history', or 'last'):\n"
"  - each outage window, as the probes saw it: its start, end, duration,\n"
"    and the step that was running when it began;\n"
"  - the installers' own stop-to-start windows, to compare with;\n"
"  - each node's steps and their durations;\n"
"  - the wall time, split into installer time, time waiting for the\n"
"    cluster engine, and clupdate's own overhead;\n"
"  - the messages acknowledged to the smtp probes, and how many of them\n"
"    were missing from the store afterwards (lost).\n",
	.epilogue =
"example:\n"
"  clupdate report last --output-as html > report.html\n",
	.run = run_report,
};
