/*
 * `clupdate apply MANIFEST`: plan the update against the live cluster,
 * show the plan and ask (on a terminal), then execute it step by step,
 * with progress on stderr, and print what was done.
 *
 * On a terminal, progress is one live line (step k/n, node, action,
 * elapsed); otherwise one plain, timestamped line per event, for logs.
 * SIGINT, SIGTERM and SIGHUP stop the run at the next safe point: the
 * cluster is left safe and the journal says what remains. A closed stdout
 * or stderr (SIGPIPE, see main.c) only loses the lines written to it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/exec.h"
#include "clupdate/journal.h"
#include "clupdate/manifest.h"
#include "clupdate/output.h"
#include "clupdate/plan.h"
#include "clupdate/probe.h"
#include "clupdate/report.h"
#include "clupdate/target.h"
#include "clupdate/display.h"
#include "cmd.h"

static void show_check(void *ctx, const char *node)
{
	(void)ctx;
	fprintf(stderr, "clupdate: checking that node '%s' answers as itself\n", node);
}

struct progress_view {
	bool tty;
	bool line_open;      /* a live line is on the terminal */
};

static void show_progress(void *ctx, const struct clu_exec_progress *p)
{
	struct progress_view *view = ctx;
	const struct clu_step *s = p->step;
	const char *subject;
	static const char *const events[] = {
		[CLU_EXEC_STEP_START] = "start", [CLU_EXEC_STEP_WAIT] = "wait",
		[CLU_EXEC_STEP_DONE] = "done", [CLU_EXEC_STEP_SKIPPED] = "skipped",
		[CLU_EXEC_STEP_RETRY] = "retry", [CLU_EXEC_STEP_FAILED] = "failed",
	};

	if (!s) {
		fprintf(stderr, "clupdate: the cluster is locked by %s; watching its heartbeat\n",
			p->message);
		return;
	}
	subject = s->node ? s->node : s->group;
	if (view->tty) {
		/* One live line, rewritten in place; finished steps stay. */
		fprintf(stderr, "\r\033[K[%u/%u] %-9s %-10s %6.1f s  %s", s->index, p->n_steps,
			clu_action_name(s->action), subject, p->step_elapsed_ms / 1000.0,
			p->event == CLU_EXEC_STEP_DONE ? "done" :
			p->event == CLU_EXEC_STEP_FAILED ? "FAILED" :
			p->event == CLU_EXEC_STEP_RETRY ? "retrying" :
			p->message ? p->message : "");
		view->line_open = true;
		if (p->event == CLU_EXEC_STEP_DONE || p->event == CLU_EXEC_STEP_FAILED ||
		    p->event == CLU_EXEC_STEP_SKIPPED) {
			fputc('\n', stderr);
			view->line_open = false;
		}
		return;
	}
	if (p->event == CLU_EXEC_STEP_WAIT)
		return;   /* plain logs get one line per state change, not per poll */
	fprintf(stderr, "clupdate: step %u/%u %s %s %s attempt=%u elapsed_ms=%lld run_ms=%lld%s%s\n",
		s->index, p->n_steps, clu_action_name(s->action), subject, events[p->event],
		p->attempt, (long long)p->step_elapsed_ms, (long long)p->run_elapsed_ms,
		p->message ? ": " : "", p->message ? p->message : "");
}

static bool confirm(const char *cluster)
{
	char answer[16] = "";

	fprintf(stderr, "\nApply this plan to %s? [y/N] ", cluster);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

static void print_failure(const struct clu_exec_result *result)
{
	if (result->failed_output && *result->failed_output) {
		const char *out = result->failed_output;
		size_t len = strlen(out);

		/* The end of the output is where installers say what went wrong. */
		if (len > 2000)
			out += len - 2000;
		fprintf(stderr, "clupdate: output of the failed command on '%s':\n",
			result->failed_node ? result->failed_node : "?");
		for (const char *line = out; *line; ) {
			size_t n = strcspn(line, "\n");
			char *raw = strndup(line, n), *shown = clu_display(raw, 0);

			fprintf(stderr, "  | %s\n", shown ? shown : "");
			free(shown);
			free(raw);
			line += n + (line[n] ? 1 : 0);
		}
	}
	if (result->n_remaining) {
		fputs("clupdate: left in place to keep the cluster safe:\n", stderr);
		for (size_t i = 0; i < result->n_remaining; i++)
			fprintf(stderr, "  - %s: %s\n", result->remaining[i].what,
				result->remaining[i].why);
	}
}

/* The body of `apply`, once cmd_open() has opened the manifest, the target
 * (a live one) and the journal: it reads its options from ctx->opt. */
static int run_apply(struct cmd_ctx *ctx)
{
	const struct cmd_options *o = &ctx->opt;
	const char *source = o->cluster, *state_dir = o->state_dir;
	int strategy = o->strategy, format = o->format, ret = 0;
	bool yes = o->yes, probes_wanted = !o->no_probes;
	struct clu_probe_target *probes = NULL;
	size_t n_probes = 0;
	struct clu_exec_options exec_opt = {
		.break_stale_lock = o->break_lock, .lock_stale_ms = o->lock_stale_ms,
		.settle_timeout_ms = o->settle_timeout_ms,
	};
	struct progress_view view = { .tty = isatty(STDERR_FILENO) };
	struct clu_manifest *manifest = &ctx->manifest;
	struct clu_target *target = &ctx->target;
	struct clu_cluster cluster = { 0 };
	struct clu_plan plan;
	struct clu_journal *journal = ctx->journal;
	struct clu_exec_result result = { 0 };
	struct clu_run_record run = { 0 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out = NULL;
	bool have_plan = false, have_run = false;

	/* Another run at work: say so now, not after a plan (break-lock: later). */
	if (!exec_opt.break_stale_lock)
		ret = clu_exec_check_lock(target->backend, &err);
	if (!ret)
		ret = clu_target_read(target, &cluster, &err);
	/* Nodes left drained by an unfinished earlier run are ours to undrain. */
	if (!ret)
		ret = clu_exec_mark_leftovers(target->backend, journal, manifest, &cluster, &err);
	if (!ret)
		ret = clu_plan_make(&plan, manifest, &cluster, strategy, &err);
	if (ret)
		goto out;
	have_plan = true;

	if (!yes) {
		struct clu_output *runbook = clu_output_new(CLU_FORMAT_TEXT, stdout, "plan");

		clu_output_plan(runbook, &plan, manifest, &cluster);
		clu_output_finish(runbook, 0, NULL);
		if (!confirm(source)) {
			fputs("Nothing was changed.\n", stderr);
			goto out;
		}
	}
	/* Every node must answer as itself before the first change. */
	ret = clu_target_check_nodes(target, &plan, show_check, NULL, &err);
	if (!ret && probes_wanted)
		ret = clu_target_probe_targets(target, manifest, &probes, &n_probes, &err);
	if (ret)
		goto out;
	exec_opt.probes = probes;
	exec_opt.n_probes = n_probes;

	exec_opt.interrupted = cmd_stop_on_signals();
	exec_opt.cluster_source = source;
	exec_opt.progress = show_progress;
	exec_opt.progress_ctx = &view;
	fprintf(stderr, "clupdate: applying %s %s to %s (%s, %zu steps); journal in %s\n",
		manifest->name, manifest->version, source, clu_strategy_name(plan.strategy),
		plan.n_steps, state_dir);
	ret = clu_exec_run(&plan, manifest, target->backend, journal, &exec_opt, &result, &err);
	if (view.line_open)
		fputc('\n', stderr);
	if (ret)
		print_failure(&result);
	if (n_probes && ret != CLU_E_LOCKED)
		fprintf(stderr, "clupdate: %zu message%s acknowledged to the probes, %zu lost%s%s%s\n",
			result.acknowledged, result.acknowledged == 1 ? "" : "s", result.lost,
			result.lost_checked ? "" : " (not checked: ",
			result.lost_checked ? "" : result.check_failure ? result.check_failure
			: "no probe has a check command", result.lost_checked ? "" : ")");
	if (result.run_id) {
		struct clu_err load_err = CLU_ERR_INIT;

		have_run = !clu_journal_run_load(journal, result.run_id, &run, &load_err);
		if (!have_run)
			fprintf(stderr, "clupdate: %s\n", load_err.msg);
	}
out:
	out = clu_output_new(format, stdout, "apply");
	if (have_run) {
		struct clu_report report;
		struct clu_err report_err = CLU_ERR_INIT;

		clu_output_run(out, &run, false);
		if (!clu_report_make(&report, &run, &report_err)) {
			if (format == CLU_FORMAT_TEXT)
				fputc('\n', stdout);
			clu_output_report(out, &report);
			clu_report_release(&report);
		}
	}
	clu_output_finish(out, ret, ret ? err.msg : NULL);
	if (have_run)
		clu_run_record_release(&run);
	clu_exec_result_release(&result);
	clu_probe_targets_free(probes, n_probes);
	if (have_plan)
		clu_plan_release(&plan);
	clu_cluster_release(&cluster);
	if (ret)
		return cmd_fail(ret, "%s", err.msg);
	return 0;
}

static const struct cmd_option options[] = {
	CMD_OPTION_CLUSTER("C",
		"pacemaker (the default: clupdate runs on a node of the\n"
		"cluster), ssh:HOST[,HOST...] (from an admin host) or\n"
		"lab:NAME (a 'clupdate lab')"),
	CMD_OPTION_STRATEGY("in-place, rolling or auto, instead of the manifest's"),
	{ "yes", 'y', CMD_ARG_NONE, false, NULL, 0, CMD_FIELD(yes), 0,
	  "do not ask for confirmation (needed when stdin is not\n"
	  "a terminal)" },
	CMD_OPTION_STATE_DIR(
		"where the journal lives (default /var/lib/clupdate): a\n"
		"directory of yours, not a link, not writable by group\n"
		"or others (else refused, exit 8)"),
	CMD_OPTION_SSH_CONFIG(
		"ssh_config (host names, keys, known_hosts) for the\n"
		"nodes reached over ssh"),
	CMD_OPTION_OUTPUT_AS("the final result as text (default), json or xml"),
	{ "break-lock", 0, CMD_ARG_SECONDS, true, "S", 3600, CMD_FIELD(lock_stale_ms),
	  CMD_FIELD(break_lock),
	  "when another run holds the cluster lock, watch its\n"
	  "heartbeat for S seconds (60) and take the lock over if\n"
	  "it never moved: no clock of another host is trusted (a\n"
	  "holder on this host whose process is gone is taken over\n"
	  "at once, without this option)" },
	{ "no-probes", 0, CMD_ARG_NONE, false, NULL, 0, CMD_FIELD(no_probes), 0,
	  "do not run the manifest's probes (no outage measured)" },
	{ "settle-timeout", 0, CMD_ARG_SECONDS, false, "S", 86400, CMD_FIELD(settle_timeout_ms), 0,
	  "how long to wait for the cluster after a change (120)" },
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
"11; 'clupdate status' shows what remains. SIGPIPE is ignored: a closed\n"
"stdout or stderr loses progress lines, not the run.\n"
"\n"
"exit status: 0 done, 2 usage, 3 bad manifest, 4 cluster unreadable or a\n"
"node is not who it should be, 5 refused as unsafe, 6 a node cannot be\n"
"reached (or a command cannot run), 7 a file cannot be read, 8 journal,\n"
"9 a step failed, 10 locked by another run, 11 interrupted.\n",
	.run = run_apply,
};
