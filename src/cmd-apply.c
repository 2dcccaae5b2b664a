/*
 * `clupdate apply MANIFEST`: plan the update against the live cluster,
 * show the plan and ask (on a terminal), then execute it step by step,
 * with progress on stderr, and print what was done (apply-view.c).
 *
 * SIGINT, SIGTERM and SIGHUP stop the run at the next safe point: the
 * cluster is left safe and the journal says what remains. A closed stdout
 * or stderr (SIGPIPE, see main.c) only loses the lines written to it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clupdate/apply.h"
#include "apply-view.h"
#include "cmd.h"

/* The plan, as a runbook, and the question; on a terminal only (see CMD_ASKS). */
static bool confirm(void *ctx, const struct clu_plan *plan, const struct clu_manifest *manifest,
		    const struct clu_cluster *cluster)
{
	const struct apply_view *v = ctx;
	char *question = NULL;
	bool yes;

	apply_view_runbook(plan, manifest, cluster);
	if (asprintf(&question, "Apply this plan to %s?", v->source) < 0)
		return false;
	yes = apply_view_ask(question);
	free(question);
	return yes;
}

/* The body of `apply`, once cmd_open() has opened the manifest, the target
 * (a live one) and the journal: the library's pipeline, presented. */
static int run_apply(struct cmd_ctx *ctx)
{
	struct apply_view v;
	struct clu_apply a;

	apply_view_init(&v, &a, ctx, &ctx->target, &ctx->manifest, ctx->opt.cluster);
	if (!ctx->opt.yes)
		a.confirm = confirm;
	return apply_view_run(&v, &a, ctx);
}

static const struct cmd_option options[] = {
	APPLY_VIEW_OPTION_CLUSTER,
	CMD_OPTION_STRATEGY("in-place, rolling or auto, instead of the manifest's"),
	APPLY_VIEW_OPTION_YES,
	APPLY_VIEW_OPTION_STATE_DIR,
	APPLY_VIEW_OPTIONS_RUN,
	APPLY_VIEW_OPTION_DEADLINE(
	  "stop safely at the first step boundary after D (90s,\n"
	  "10m, 2h) from now, as an interruption does (exit 11);\n"
	  "what is left is printed ('clupdate abort' or the same\n"
	  "apply again then)"),
	CMD_OPTION_END,
};

const struct cmd cmd_apply_entry = {
	.name = "apply",
	.summary = "apply a service pack to a running cluster, step by step",
	.operands = "MANIFEST", .operand = "MANIFEST", .min_operands = 1, .max_operands = 1,
	.needs = CMD_MANIFEST | CMD_TARGET | CMD_LIVE | CMD_JOURNAL | CMD_ASKS | CMD_ENVELOPE,
	.options = options,
	.about =
"Apply the service pack described by MANIFEST to a running cluster, in the\n"
"order of the plan ('clupdate plan' shows it without changing anything).\n"
"The plan is made once the engine is idle: while a node joins, an election\n"
"or a transition runs, apply says so and waits (up to --settle-timeout).\n"
"Before every step clupdate re-reads the cluster and checks the step's\n"
"preconditions and the invariants; it records every change it makes in\n"
"its journal before making it, and waits for the cluster to settle after.\n"
"A failed step is retried as the manifest says, then the run stops and\n"
"leaves the cluster safe: no group can run on a node older than its data.\n"
"What stays in place (a pin, a ban, a drained node) is printed, and\n"
"'clupdate status' shows it later.\n"
"\n"
"Where commands run: each node's installer, verify and hooks run on that\n"
"node, never elsewhere. On a cluster node (the default), the engine is\n"
"asked here, this node's commands run here, and the other nodes' over ssh\n"
"(as this user, no password: keys and known_hosts, or --ssh-config). From\n"
"an admin host (--cluster ssh:...), the engine is asked on the first node\n"
"that answers and every command goes over ssh. Before any change, each\n"
"node must answer and call itself by its cluster name, or nothing is done.\n"
"The manifest's directory must exist at the same path on every node.\n",
	.epilogue =
"examples:\n"
"  clupdate apply demo/sp2/sp2.conf --cluster lab:lab\n"
"  clupdate apply sp2.conf --cluster ssh:node1,node2 --ssh-config ./ssh.conf --yes\n"
"\n"
"signals: SIGINT, SIGTERM and SIGHUP stop the run at the next safe point\n"
"(between steps, or while waiting for the cluster), release the lock and exit\n"
"11; 'clupdate status' shows what remains. A --deadline that passed stops it\n"
"the same way, at a step boundary. SIGPIPE is ignored: a closed stdout or\n"
"stderr loses progress lines, not the run.\n"
"\n"
"exit status: 0 done, 2 usage, 3 bad manifest, 4 cluster unreadable (or\n"
"never idle before planning) or a node is not who it should be, 5 refused\n"
"as unsafe, 6 a node cannot be reached (or a command cannot run), 7 a file\n"
"cannot be read, 8 journal, 9 a step failed, 10 locked by another run, 11\n"
"interrupted (a signal, an abort request, or the deadline).\n",
	.run = run_apply,
};
