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

#include "clupdate/apply.h"
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

struct view {
	struct progress_view progress;
	const char *source, *state_dir;
	const struct clu_manifest *manifest;
};

/* The plan, as a runbook, and the question; on a terminal only (see CMD_ASKS). */
static bool confirm(void *ctx, const struct clu_plan *plan, const struct clu_manifest *manifest,
		    const struct clu_cluster *cluster)
{
	const char *source = ((const struct view *)ctx)->source;
	struct clu_output *runbook = clu_output_new(CLU_FORMAT_TEXT, stdout, "plan");
	char answer[16] = "";

	clu_output_plan(runbook, plan, manifest, cluster);
	clu_output_finish(runbook, 0, NULL);
	fprintf(stderr, "\nApply this plan to %s? [y/N] ", source);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
		fputs("Nothing was changed.\n", stderr);
		return false;
	}
	return true;
}


static void show_start(void *ctx, const struct clu_plan *plan)
{
	const struct view *v = ctx;

	fprintf(stderr, "clupdate: applying %s %s to %s (%s, %zu steps); journal in %s\n",
		v->manifest->name, v->manifest->version, v->source,
		clu_strategy_name(plan->strategy), plan->n_steps, v->state_dir);
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

/* After the run: what it left, the probes' count, then the result and report. */
static void present(const struct clu_apply *a, int format, int ret, const struct clu_err *err)
{
	const struct clu_exec_result *r = &a->result;
	struct clu_output *out;

	if (ret && a->executed)
		print_failure(r);
	if (a->no_probes_why && a->executed)
		fprintf(stderr, "clupdate: probes not run (%s): no outage measured\n",
			a->no_probes_why);
	if (a->n_probes && ret != CLU_E_LOCKED)
		fprintf(stderr, "clupdate: %zu message%s acknowledged to the probes, %zu lost%s%s%s\n",
			r->acknowledged, r->acknowledged == 1 ? "" : "s", r->lost,
			r->lost_checked ? "" : " (not checked: ",
			r->lost_checked ? "" : r->check_failure ? r->check_failure
			: "no probe has a check command", r->lost_checked ? "" : ")");
	if (a->run_load_error)
		fprintf(stderr, "clupdate: %s\n", a->run_load_error);
	out = clu_output_new(format, stdout, "apply");
	if (a->have_run) {
		struct clu_report report;
		struct clu_err report_err = CLU_ERR_INIT;

		clu_output_run(out, &a->run, false);
		if (!clu_report_make(&report, &a->run, &report_err)) {
			if (format == CLU_FORMAT_TEXT)
				fputc('\n', stdout);
			clu_output_report(out, &report);
			clu_report_release(&report);
		}
	}
	clu_output_finish(out, ret, ret ? err->msg : NULL);
}

/* The body of `apply`, once cmd_open() has opened the manifest, the target
 * (a live one) and the journal: the library's pipeline, presented. */
static int run_apply(struct cmd_ctx *ctx)
{
	const struct cmd_options *o = &ctx->opt;
	struct view v = {
		.progress = { .tty = isatty(STDERR_FILENO) },
		.source = o->cluster, .state_dir = o->state_dir, .manifest = &ctx->manifest,
	};
	struct clu_apply a = {
		.target = &ctx->target, .manifest = &ctx->manifest, .journal = ctx->journal,
		.strategy = o->strategy, .no_probes = o->no_probes,
		.exec = {
			.break_stale_lock = o->break_lock, .lock_stale_ms = o->lock_stale_ms,
			.settle_timeout_ms = o->settle_timeout_ms,
			.interrupted = cmd_stop_on_signals(), .cluster_source = o->cluster,
			.progress = show_progress, .progress_ctx = &v.progress,
		},
		.confirm = o->yes ? NULL : confirm, .checking = show_check, .starting = show_start,
		.ctx = &v,
	};
	struct clu_err err = CLU_ERR_INIT;
	int ret;

	/* From the command's start: the operator's window, prompt included. */
	if (o->deadline_ms)
		a.exec.deadline_mono_ms = clu_now_mono_ms() + o->deadline_ms;
	ret = clu_apply_run(&a, &err);
	if (v.progress.line_open)
		fputc('\n', stderr);
	present(&a, o->format, ret, &err);
	clu_apply_release(&a);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

static const struct cmd_option options[] = {
	CMD_OPTION_CLUSTER("C",
		"pacemaker (the default: clupdate runs on a node of the\n"
		"cluster), ssh:HOST[,HOST...] (from an admin host),\n"
		"lab:NAME (a 'clupdate lab') or sim:FILE (a simulated\n"
		"cluster, for a rehearsal: doc/sim.md)"),
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
	{ "deadline", 0, CMD_ARG_DURATION, false, "D", 0, CMD_FIELD(deadline_ms), 0,
	  "stop safely at the first step boundary after D (90s,\n"
	  "10m, 2h) from now, as an interruption does (exit 11);\n"
	  "what is left is printed ('clupdate abort' or the same\n"
	  "apply again then)" },
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
"11; 'clupdate status' shows what remains. A --deadline that passed stops it\n"
"the same way, at a step boundary. SIGPIPE is ignored: a closed stdout or\n"
"stderr loses progress lines, not the run.\n"
"\n"
"exit status: 0 done, 2 usage, 3 bad manifest, 4 cluster unreadable or a\n"
"node is not who it should be, 5 refused as unsafe, 6 a node cannot be\n"
"reached (or a command cannot run), 7 a file cannot be read, 8 journal,\n"
"9 a step failed, 10 locked by another run, 11 interrupted (a signal, an\n"
"abort request, or the deadline).\n",
	.run = run_apply,
};
