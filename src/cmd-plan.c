/*
 * `clupdate plan MANIFEST`: read the manifest and the cluster's state,
 * plan the update and print the plan (a runbook, or JSON/XML). Nothing is
 * changed on the cluster. When the journal (--state-dir, default
 * /var/lib/clupdate) holds finished runs on the same cluster, the plan
 * predicts with what they measured; no journal is created for that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/cluster.h"
#include "clupdate/history.h"
#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "clupdate/plan.h"
#include "cmd.h"

/*
 * What earlier runs on this cluster measured: from the journal in the
 * state directory if there is one there (a plan creates none). Without
 * --state-dir, a default directory that cannot be read is no journal;
 * with it, an error.
 */
static int learn(struct cmd_ctx *ctx, struct clu_history *history, struct clu_err *err)
{
	const char *dir = ctx->opt.state_dir ? ctx->opt.state_dir : CLU_STATE_DIR;
	struct clu_journal *journal = NULL;
	char *db = NULL;
	bool exists;
	int ret;

	memset(history, 0, sizeof(*history));
	if (asprintf(&db, "%s/journal.db", dir) < 0)
		return clu_err_set(err, CLU_E_IO, "out of memory");
	exists = access(db, F_OK) == 0;
	free(db);
	if (!exists)
		return 0;
	ret = clu_journal_open(&journal, dir, err);
	if (!ret)
		ret = clu_history_load(history, journal, ctx->opt.cluster, err);
	clu_journal_close(journal);
	if (ret && !ctx->opt.state_dir) {
		err->code = 0;
		err->msg[0] = '\0';
		return 0;
	}
	return ret;
}

static int run_plan(struct cmd_ctx *ctx)
{
	struct clu_cluster cluster = { 0 };
	struct clu_plan plan;
	struct clu_history history = { 0 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out = clu_output_new(ctx->opt.format, stdout, "plan");
	bool have_plan = false;
	int ret;

	ret = learn(ctx, &history, &err);
	if (!ret)
		ret = clu_target_read(&ctx->target, &cluster, &err);
	if (!ret)
		ret = clu_plan_make_learned(&plan, &ctx->manifest, &cluster, ctx->opt.strategy,
					    &history, &err);
	if (!ret) {
		have_plan = true;
		clu_output_plan(out, &plan, &ctx->manifest, &cluster);
	}
	if (clu_output_finish(out, ret, ret ? err.msg : NULL) && !ret)
		ret = clu_err_set(&err, CLU_E_IO, "cannot write the plan: %s", strerror(errno));
	if (have_plan)
		clu_plan_release(&plan);
	clu_cluster_release(&cluster);
	clu_history_release(&history);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

static const struct cmd_option options[] = {
	CMD_OPTION_CLUSTER("SOURCE",
		"where the cluster's state comes from (default: pacemaker)\n"
		"  pacemaker    ask the local Pacemaker (crm_mon)\n"
		"  lab:NAME     a 'clupdate lab' cluster\n"
		"  ssh:HOST,..  a cluster reached with ssh (see --ssh-config)\n"
		"  sim:FILE     a simulated cluster (doc/sim.md)\n"
		"  xml:FILE     a saved 'crm_mon --output-as=xml' capture\n"
		"  static:FILE  a cluster described in a file\n"
		"               (doc/static-cluster.md)"),
	CMD_OPTION_STRATEGY(
		"in-place, rolling or auto, instead of the manifest's\n"
		"  in-place  the owner first, pinned (no failover), then\n"
		"            each passive node drained and updated\n"
		"  rolling   passive nodes first, one switchover, the\n"
		"            old owner last (needs takeover-compatible)\n"
		"  auto      the permitted one with the smaller predicted\n"
		"            interruption"),
	CMD_OPTION_SSH_CONFIG("ssh_config for ssh: clusters (host names, ports, keys)"),
	CMD_OPTION_STATE_DIR(
		"the journal whose finished runs on the same --cluster\n"
		"the plan learns from (default /var/lib/clupdate, when\n"
		"it has one): each step's duration and each group's\n"
		"interruption are predicted with what they measured,\n"
		"else with the manifest's expected times"),
	CMD_OPTION_OUTPUT_AS("text (a runbook, default), json or xml (an envelope with\n"
			     "api-version and status; schema in doc/)"),
	CMD_OPTION_END,
};

const struct cmd cmd_plan_entry = {
	.name = "plan",
	.summary = "show the ordered, checked plan for applying a service pack",
	.operands = "MANIFEST", .operand = "MANIFEST", .min_operands = 1, .max_operands = 1,
	.needs = CMD_MANIFEST | CMD_TARGET | CMD_ENVELOPE,
	.options = options,
	.about =
"Show the ordered, checked plan for applying the service pack described by\n"
"MANIFEST (see clupdate-manifest(5), doc/manifest.md) to the cluster. Nothing\n"
"is changed. The plan is simulated step by step on a copy of the cluster's\n"
"state; a plan that would break an invariant is refused with the step and\n"
"the reason:\n"
"  version guard     a group never runs on, and cannot fail over to, a node\n"
"                    whose installed version is older than the group's data\n"
"  availability      never more nodes out of service than max-unavailable\n"
"  quorum            no step leaves fewer votes present than the cluster\n"
"                    needs (a majority), counting nodes already offline;\n"
"                    each step shows the votes present, needed and margin\n"
"  no surprise       a group under its installer is pinned: the engine will\n"
"  failover          not move it\n"
"With max-unavailable above 1, passive nodes are updated in waves, as many\n"
"at once as it and the quorum margin allow: drained together, their\n"
"installers and verifies run at once, undrained together.\n"
"Each step's duration, each group's interruption and the run's duration\n"
"are predicted, and say where the figure comes from: the manifest's\n"
"expected-install-time and expected-switchover-time, or what earlier runs\n"
"on the same cluster measured (the median of the newest 10 that\n"
"succeeded, from the journal in --state-dir). auto chooses with them.\n",
	.epilogue =
"examples:\n"
"  clupdate plan demo/sp2/sp2.conf\n"
"  clupdate plan sp3.conf --cluster xml:crm_mon.xml --output-as json\n"
"\n"
"exit status: 0 planned, 2 usage, 3 bad manifest, 4 cluster unreadable,\n"
"5 refused as unsafe.\n",
	.run = run_plan,
};
