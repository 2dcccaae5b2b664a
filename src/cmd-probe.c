/*
 * `clupdate probe MANIFEST -- CMD...`: measure the outage users see while
 * any command runs (a manual switchover, a restart, a maintenance script),
 * with the manifest's probes, exactly as `apply` measures its own runs.
 *
 * The probes journal into a scratch journal (removed afterwards unless
 * --state-dir is given); the windows come out of the same report code as
 * `clupdate report`. SIGINT, SIGTERM and SIGHUP end the measurement early
 * (once CMD has ended: it runs in a process group of its own and is left
 * to finish), and what was measured until then is still printed.
 */
#include <stdio.h>
#include <time.h>

#include "clupdate/journal.h"
#include "clupdate/manifest.h"
#include "clupdate/output.h"
#include "clupdate/probe.h"
#include "clupdate/proc.h"
#include "clupdate/report.h"
#include "clupdate/target.h"
#include "cmd.h"

/* Sleep ms, or less when a stop is asked for. */
static void sleep_unless_stopped(unsigned ms, volatile sig_atomic_t *stop)
{
	while (ms && !*stop) {
		unsigned slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)slice * 1000000L };

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

static int run_probe(struct cmd_ctx *ctx)
{
	const struct cmd_options *o = &ctx->opt;
	struct clu_probe_target *probes = NULL;
	struct clu_prober *prober = NULL;
	struct clu_err err = CLU_ERR_INIT, cmd_err = CLU_ERR_INIT;
	struct clu_run_begin begin = { .update = "probe", .version = "-", .strategy = "none",
				       .plan_json = "{}", .manifest_text = "",
				       .manifest_path = ctx->manifest.path, .cluster = o->cluster };
	volatile sig_atomic_t *stop;
	size_t n_probes = 0;
	int64_t run_id = 0;
	int ret = 0, cmd_ret = 0;

	if (!ctx->manifest.n_probes)
		ret = clu_err_set(&err, CLU_E_USAGE, "probe: '%s' has no [probe] section",
				  ctx->manifest.path);
	if (!ret)
		ret = clu_target_probe_targets(&ctx->target, &ctx->manifest, &probes, &n_probes,
					       &err);
	if (!ret)
		ret = clu_journal_run_begin(ctx->journal, &begin, &run_id, &err);
	/* Before the probes' first look (the start waits for it): a signal stops cleanly. */
	stop = cmd_stop_on_signals();
	if (!ret)
		ret = clu_prober_start(&prober, probes, n_probes, ctx->journal, run_id, &err);
	if (ret)
		goto out;

	if (o->n_operands > 1) {
		struct clu_proc proc;

		clu_proc_init(&proc);
		clu_proc_args(&proc, (const char *const *)o->operands + 1);
		proc.in.mode = CLU_PROC_INHERIT;
		proc.out.mode = CLU_PROC_INHERIT;
		proc.err.mode = CLU_PROC_INHERIT;
		cmd_ret = clu_proc_run(&proc, &cmd_err);
		clu_proc_release(&proc);
		sleep_unless_stopped(o->settle_ms, stop);
	} else {
		sleep_unless_stopped(o->duration_ms, stop);
	}
	clu_prober_stop(prober, NULL, NULL);
	if (*stop && !cmd_ret)
		cmd_ret = clu_err_set(&cmd_err, CLU_E_ABORTED, "interrupted by a signal");
	ret = clu_journal_run_end(ctx->journal, run_id, cmd_ret ? CLU_RUN_FAILED :
				  CLU_RUN_SUCCEEDED, cmd_ret ? cmd_err.msg : NULL, &err);
	if (!ret)
		ret = cmd_print_report(ctx->journal, run_id, o->format, &err);
out:
	clu_probe_targets_free(probes, n_probes);
	if (ret)
		return cmd_fail(ret, "%s", err.msg);
	if (cmd_ret == CLU_E_ABORTED)
		return cmd_fail(cmd_ret, "probe: stopped by a signal; what was measured is above");
	if (cmd_ret)
		return cmd_fail(cmd_ret, "probe: the command failed: %s", cmd_err.msg);
	return 0;
}

static const struct cmd_option options[] = {
	CMD_OPTION_CLUSTER("C", "pacemaker (default), lab:NAME or ssh:HOST[,HOST...]"),
	{ "duration", 0, CMD_ARG_SECONDS, false, "S", 86400, CMD_FIELD(duration_ms), 0,
	  "without CMD: probe for S seconds (default 10)" },
	{ "settle", 0, CMD_ARG_MILLISECONDS, false, "MS", 600000, CMD_FIELD(settle_ms), 0,
	  "keep probing MS milliseconds after CMD ends (default 1000),\n"
	  "so a window it opened is seen to close" },
	CMD_OPTION_STATE_DIR("keep the measurement in this journal (default: a scratch\n"
			     "journal, removed afterwards)"),
	CMD_OPTION_SSH_CONFIG("ssh_config for ssh: clusters (host names, ports, keys)"),
	CMD_OPTION_OUTPUT_AS("text (default), json, xml or html"),
	CMD_OPTION_END,
};

const struct cmd cmd_probe_entry = {
	.name = "probe",
	.summary = "measure the outage users see while any command runs",
	.operands = "MANIFEST", .operands_after = "[-- CMD ARGS...]", .operand = "MANIFEST",
	.min_operands = 1, .max_operands = UINT_MAX,
	.needs = CMD_MANIFEST | CMD_TARGET | CMD_JOURNAL | CMD_SCRATCH_JOURNAL,
	.options = options,
	.about =
"Run the manifest's probes against the group's service, from where its users\n"
"stand (in a lab: the client namespace), while CMD runs, or for --duration\n"
"seconds; then report the outage windows they saw, as 'clupdate report'\n"
"does. Use it to measure any maintenance action the same way clupdate\n"
"measures its own runs, e.g. a bare Pacemaker switchover:\n"
"\n"
"  clupdate probe sp3.conf --cluster lab:demo -- \\\n"
"      clupdate lab exec --name demo n1 -- crm_resource --move -r mail -N n2 --wait\n",
	.epilogue =
"signals: SIGINT, SIGTERM and SIGHUP end the measurement (after CMD, which\n"
"is left to finish); the windows seen until then are printed, exit 11.\n"
"\n"
"exit status: CMD's failure is reported (6) after the windows are printed.\n",
	.run = run_probe,
};
