/*
 * `clupdate rollback MANIFEST`: put back the version that MANIFEST's
 * update replaced, node by node, with the manifest's `rollback` command
 * (and `down-migration` on the owners when the data was migrated): the
 * apply pipeline with a rollback plan (clupdate/rollback.h), presented as
 * apply presents it (apply-view.c). --dry-run shows the plan, as `plan`
 * shows an update's, and changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/apply.h"
#include "clupdate/output.h"
#include "apply-view.h"
#include "cmd.h"

static bool confirm(void *ctx, const struct clu_plan *plan, const struct clu_manifest *manifest,
		    const struct clu_cluster *cluster)
{
	const struct apply_view *v = ctx;
	char *question = NULL;
	bool yes;

	apply_view_runbook(plan, manifest, cluster);
	if (asprintf(&question, "Roll %s back to version %s on %s?", manifest->name,
		     plan->version, v->source) < 0)
		return false;
	yes = apply_view_ask(question);
	free(question);
	return yes;
}

/* --dry-run: the plan as a result document, then stop (declined). */
struct dry_run {
	struct clu_output *out;
};

static bool show_plan(void *ctx, const struct clu_plan *plan, const struct clu_manifest *manifest,
		      const struct clu_cluster *cluster)
{
	struct dry_run *d = ctx;

	clu_output_plan(d->out, plan, manifest, cluster);
	return false;
}

/* A busy engine before planning: said, with no view to draw above. */
static void dry_run_settling(void *ctx, unsigned timeout_ms)
{
	(void)ctx;
	apply_view_settling(NULL, timeout_ms);
}

static int dry_run(struct cmd_ctx *ctx, struct clu_apply *a)
{
	struct dry_run d = { clu_output_new(ctx->opt.format, stdout, "plan") };
	struct clu_err err = CLU_ERR_INIT;
	int ret;

	/* The pipeline stops at the question: the callbacks reached before it
	 * (the wait for a busy engine, the question) get d, not the view. */
	a->settling = dry_run_settling;
	a->confirm = show_plan;
	a->ctx = &d;
	ret = clu_apply_run(a, &err);
	if (clu_output_finish(d.out, ret, ret ? err.msg : NULL) && !ret)
		ret = clu_err_set(&err, CLU_E_IO, "cannot write the plan: %s", strerror(errno));
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

static int run_rollback(struct cmd_ctx *ctx)
{
	struct apply_view v;
	struct clu_apply a;
	int status;

	apply_view_init(&v, &a, ctx, &ctx->target, &ctx->manifest, ctx->opt.cluster);
	a.rollback = true;
	if (ctx->opt.dry_run) {
		status = dry_run(ctx, &a);
		clu_apply_release(&a);
		return status;
	}
	if (!ctx->opt.yes)
		a.confirm = confirm;
	return apply_view_run(&v, &a, ctx);
}

static const struct cmd_option options[] = {
	APPLY_VIEW_OPTION_CLUSTER,
	{ "dry-run", 'n', CMD_ARG_NONE, false, NULL, 0, CMD_FIELD(dry_run), 0,
	  "show the rollback's plan (as 'clupdate plan' shows an\n"
	  "update's, in --output-as) and change nothing" },
	APPLY_VIEW_OPTION_YES,
	APPLY_VIEW_OPTION_STATE_DIR,
	APPLY_VIEW_OPTIONS_RUN,
	APPLY_VIEW_OPTION_DEADLINE(
	  "stop safely at the first step boundary after D (90s,\n"
	  "10m, 2h) from now, as an interruption does (exit 11)"),
	CMD_OPTION_END,
};

const struct cmd cmd_rollback_entry = {
	.name = "rollback",
	.summary = "put back the version a service pack replaced, node by node",
	.operands = "MANIFEST", .operand = "MANIFEST", .min_operands = 1, .max_operands = 1,
	.needs = CMD_MANIFEST | CMD_TARGET | CMD_LIVE | CMD_JOURNAL | CMD_ASKS | CMD_ENVELOPE,
	.options = options,
	.about =
"Roll the update described by MANIFEST back: run its [install] rollback\n"
"command on every node newer than the previous version, in place (each\n"
"owner first with its groups pinned, then every other node drained, one at\n"
"a time), and check that verify prints the previous version. The previous\n"
"version is the manifest's previous-version, else the version of the nodes\n"
"the update has not reached. The run is journalled as any apply (strategy\n"
"'rollback'); 'clupdate resume' and 'clupdate abort' work on it.\n"
"\n"
"With data-migration = yes, the data counts as migrated when the group's\n"
"owner (the node whose install migrates it) is newer than the previous\n"
"version: the version guard never lets a group run on a node older than\n"
"its data. Migrated data is rolled back only when the manifest declares\n"
"[install] down-migration: it runs on the owner, pinned, before the\n"
"owner's rollback, and the other nodes are kept off the group until each\n"
"is rolled back. Otherwise the rollback is refused (exit 5), naming the\n"
"group and the node, and nothing is changed.\n",
	.epilogue =
"examples:\n"
"  clupdate rollback demo/sp3/sp3.conf --cluster lab:lab\n"
"  clupdate rollback sp2.conf --dry-run\n"
"\n"
"exit status: as apply: 0 done, 2 usage, 3 bad manifest, 4 cluster\n"
"unreadable (or never idle before planning), 5 refused (migrated data without a down-migration, no\n"
"rollback command, no previous version, or unsafe), 6 a node cannot be\n"
"reached, 7 a file cannot be read, 8 journal, 9 a step failed, 10 locked\n"
"by another run, 11 interrupted.\n",
	.run = run_rollback,
};
