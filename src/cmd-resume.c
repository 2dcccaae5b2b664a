/*
 * `clupdate resume [RUN]`: continue the last run (or RUN) that did not
 * finish (resume.h). Before anything, what that run did and left in place
 * (as `status` shows it); then, once the plan is made from the live state,
 * what becomes of each node (not reinstalled, done again, not reached),
 * and the question; then apply's pipeline for the run's own manifest and
 * strategy, presented as apply presents it (apply-view.c).
 *
 * The summaries are text for people: on stdout with the text output, on
 * stderr when stdout carries a JSON or XML document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/apply.h"
#include "clupdate/output.h"
#include "clupdate/resume.h"
#include "apply-view.h"
#include "cmd.h"

struct resume_view {
	struct apply_view apply;         /* first: the pipeline's callbacks get it */
	const struct clu_run_record *run;
	FILE *text;                      /* where the summaries go */
	bool ask;
};

/* What the interrupted run did and left in place, as `status` shows it. */
static void show_run(const struct resume_view *v)
{
	struct clu_output *out = clu_output_new(CLU_FORMAT_TEXT, v->text, "status");

	fprintf(v->text, "Run %lld did not finish; as the journal has it:\n\n",
		(long long)v->run->id);
	clu_output_run(out, v->run, false);
	clu_output_finish(out, 0, NULL);
	fflush(v->text);
}

/* The plan is made: per node, what the run did and what happens now; ask. */
static bool confirm(void *ctx, const struct clu_plan *plan, const struct clu_manifest *manifest,
		    const struct clu_cluster *cluster)
{
	const struct resume_view *v = ctx;
	struct clu_resume_summary summary;
	char *question = NULL;
	bool yes = true;

	if (v->ask)
		apply_view_runbook(plan, manifest, cluster);
	clu_resume_summarize(&summary, v->run, plan, cluster);
	fprintf(v->text, "\nResuming run %lld from the live state of %s: a new run of %zu "
		"step%s.\n", (long long)v->run->id, v->apply.source, plan->n_steps,
		plan->n_steps == 1 ? "" : "s");
	for (size_t i = 0; i < summary.n_nodes; i++) {
		const struct clu_resume_node *n = &summary.nodes[i];

		fprintf(v->text, "  %s: %s\n", n->name, n->now);
		if (n->did)
			fprintf(v->text, "      run %lld: %s\n", (long long)v->run->id, n->did);
	}
	if (!v->ask)
		fputc('\n', v->text);     /* before the result; the question has its own */
	fflush(v->text);
	clu_resume_summary_release(&summary);
	if (v->ask && asprintf(&question, "Resume run %lld with this plan on %s?",
			       (long long)v->run->id, v->apply.source) >= 0) {
		yes = apply_view_ask(question);
		free(question);
	}
	return yes;
}

/*
 * The run, its manifest (unchanged), its cluster: then the pipeline. What
 * fails before the pipeline is presented as the pipeline's own errors are.
 */
static int run_resume(struct cmd_ctx *ctx)
{
	const struct cmd_options *o = &ctx->opt;
	struct clu_run_record run = { 0 };
	struct clu_manifest manifest;
	struct clu_target target;
	struct resume_view v = { .run = &run, .ask = !o->yes };
	struct clu_apply a;
	struct clu_err err = CLU_ERR_INIT;
	bool have_run = false, have_manifest = false, have_target = false;
	int64_t id = 0;
	int ret = 0, status;

	v.text = o->format == CLU_FORMAT_TEXT ? stdout : stderr;
	if (o->n_operands)
		ret = cmd_run_id(ctx->journal, o->operands[0], &id, &err);
	if (!ret)
		have_run = !(ret = clu_resume_find(ctx->journal, id, &run, &err));
	if (!ret)
		have_manifest = !(ret = clu_resume_manifest(&run, &manifest, &err));
	/* The cluster the run changed, unless the operator names it otherwise. */
	apply_view_init(&v.apply, &a, ctx, &target, &manifest,
			o->cluster_given || !have_run || !run.cluster ? o->cluster : run.cluster);
	if (!ret)
		have_target = !(ret = clu_target_open(&target, v.apply.source,
						       manifest.version_attribute, o->ssh_config,
						       &err));
	if (!ret && !target.live)
		ret = clu_err_set(&err, CLU_E_USAGE, "resume: '%s' is a saved state, not a running "
				  "cluster (use --cluster pacemaker, lab:NAME, ssh:HOST or sim:FILE)",
				  v.apply.source);
	/* A run still at work is not resumed: say so before showing it. */
	if (!ret && !o->break_lock && (ret = clu_exec_check_lock(target.backend, &err)))
		clu_err_prefix(&err, "run %lld cannot be resumed now", (long long)run.id);
	if (!ret) {
		show_run(&v);
		a.strategy = clu_strategy_parse(run.strategy);
		/* A rollback's run goes on as a rollback (its strategy says so). */
		a.rollback = run.strategy && !strcmp(run.strategy, "rollback");
		a.confirm = confirm;
		ret = clu_apply_run(&a, &err);
	}
	status = apply_view_present(&v.apply, &a, ctx, ret, &err);
	clu_apply_release(&a);
	if (have_target)
		clu_target_release(&target);
	if (have_manifest)
		clu_manifest_release(&manifest);
	if (have_run)
		clu_run_record_release(&run);
	return status;
}

static const struct cmd_option options[] = {
	{ "cluster", 0, CMD_ARG_CLUSTER, false, "C", 0, CMD_FIELD(cluster),
	  CMD_FIELD(cluster_given),
	  "the cluster to resume on: by default the run's own, as\n"
	  "the journal has it (pacemaker, ssh:HOST[,HOST...],\n"
	  "lab:NAME or sim:FILE)" },
	APPLY_VIEW_OPTION_YES,
	CMD_OPTION_STATE_DIR("where the journal lives (default /var/lib/clupdate)"),
	APPLY_VIEW_OPTIONS_RUN,
	APPLY_VIEW_OPTION_DEADLINE(
	  "stop safely at the first step boundary after D (90s,\n"
	  "10m, 2h) from now, as an interruption does (exit 11);\n"
	  "what is left is printed ('clupdate resume' again\n"
	  "continues, 'clupdate abort' puts it back)"),
	CMD_OPTION_END,
};

const struct cmd cmd_resume_entry = {
	.name = "resume",
	.summary = "continue a run that did not finish (crashed, failed or interrupted)",
	.operands = "[RUN]", .operand = "RUN", .min_operands = 0, .max_operands = 1,
	.needs = CMD_JOURNAL | CMD_ASKS | CMD_ENVELOPE,
	.options = options,
	.about =
"Continue the last run (or RUN, an id or 'last') if it did not finish: it\n"
"crashed (still 'running' in the journal, its process gone), a step failed,\n"
"or it was interrupted. First it shows what that run did and what it left\n"
"in place, as 'clupdate status' does; then it reads the cluster again,\n"
"plans from its live state and says, node by node, what becomes of the\n"
"run's work: a node already at the target version is not reinstalled, one\n"
"the run worked on without finishing is done again, one it had not reached\n"
"is updated as planned. Then it asks (or --yes) and applies, exactly as\n"
"'clupdate apply' of the same manifest would, as a new run that takes over\n"
"what the old one left (pins, bans, drained nodes).\n"
"\n"
"The run's manifest file is used, as long as its text is the one the run\n"
"began with: a changed manifest is another update, and is refused (exit 3):\n"
"restore it, or apply the new one with 'clupdate apply'. The cluster is the\n"
"run's own unless --cluster names another; the strategy is the run's.\n",
	.epilogue =
"examples:\n"
"  clupdate resume\n"
"  clupdate resume 12 --cluster lab:lab --yes --output-as json\n"
"\n"
"signals: as for apply: SIGINT, SIGTERM and SIGHUP stop the run at the next\n"
"safe point and exit 11.\n"
"\n"
"exit status: as apply's: 0 done, 2 usage, or nothing to resume (no run,\n"
"or the last run succeeded or was aborted), 3 the manifest changed since\n"
"the run began (or is invalid), 4 cluster unreadable (or never idle before\n"
"planning) or a node is not who it should be, 5 refused as unsafe, 6 a node cannot be reached (or a\n"
"command cannot run), 7 the manifest file cannot be read, 8 journal, 9 a\n"
"step failed, 10 the run is still at work (the cluster is locked), 11\n"
"interrupted (a signal, an abort request, or the deadline).\n",
	.run = run_resume,
};
