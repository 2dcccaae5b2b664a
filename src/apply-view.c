/*
 * The apply pipeline presented (apply-view.h): progress while it runs, and
 * after it, what it left, the probes' count, the run and its report. Moved
 * out of cmd-apply.c so that `resume` shows a run exactly as `apply` does.
 *
 * On a terminal, progress is one live line (step k/n, node, action,
 * elapsed); otherwise one plain, timestamped line per event, for logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/display.h"
#include "clupdate/output.h"
#include "clupdate/report.h"
#include "apply-view.h"

static void show_check(void *ctx, const char *node)
{
	(void)ctx;
	fprintf(stderr, "clupdate: checking that node '%s' answers as itself\n", node);
}

static void show_progress(void *ctx, const struct clu_exec_progress *p)
{
	struct apply_view *view = ctx;
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

static void show_start(void *ctx, const struct clu_plan *plan)
{
	const struct apply_view *v = ctx;

	if (plan->rollback)
		fprintf(stderr, "clupdate: rolling %s %s back to version %s on %s (%zu steps); "
			"journal in %s\n", v->manifest->name, v->manifest->version, plan->version,
			v->source, plan->n_steps, v->state_dir);
	else
		fprintf(stderr, "clupdate: applying %s %s to %s (%s, %zu steps); journal in %s\n",
			v->manifest->name, v->manifest->version, v->source,
			clu_strategy_name(plan->strategy), plan->n_steps, v->state_dir);
}

void apply_view_init(struct apply_view *v, struct clu_apply *a, struct cmd_ctx *ctx,
		     struct clu_target *target, const struct clu_manifest *manifest,
		     const char *source)
{
	const struct cmd_options *o = &ctx->opt;

	*v = (struct apply_view){
		.tty = isatty(STDERR_FILENO), .source = source, .state_dir = o->state_dir,
		.manifest = manifest,
	};
	*a = (struct clu_apply){
		.target = target, .manifest = manifest, .journal = ctx->journal,
		.strategy = o->strategy, .no_probes = o->no_probes,
		.exec = {
			.break_stale_lock = o->break_lock, .lock_stale_ms = o->lock_stale_ms,
			.settle_timeout_ms = o->settle_timeout_ms,
			.interrupted = cmd_stop_on_signals(), .cluster_source = source,
			.progress = show_progress, .progress_ctx = v,
		},
		.checking = show_check, .starting = show_start, .ctx = v,
	};
	/* From the command's start: the operator's window, prompt included. */
	if (o->deadline_ms)
		a->exec.deadline_mono_ms = clu_now_mono_ms() + o->deadline_ms;
}

void apply_view_runbook(const struct clu_plan *plan, const struct clu_manifest *manifest,
			const struct clu_cluster *cluster)
{
	struct clu_output *runbook = clu_output_new(CLU_FORMAT_TEXT, stdout, "plan");

	clu_output_plan(runbook, plan, manifest, cluster);
	clu_output_finish(runbook, 0, NULL);
}

bool apply_view_ask(const char *question)
{
	char answer[16] = "";

	fprintf(stderr, "\n%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
		fputs("Nothing was changed.\n", stderr);
		return false;
	}
	return true;
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

int apply_view_present(struct apply_view *v, const struct clu_apply *a, struct cmd_ctx *ctx,
		       int ret, const struct clu_err *err)
{
	const struct clu_exec_result *r = &a->result;
	int format = ctx->opt.format;
	struct clu_output *out;

	if (v->line_open)
		fputc('\n', stderr);
	v->line_open = false;
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
	out = clu_output_new(format, stdout, ctx->cmd->name);
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
	return ret ? cmd_fail(ret, "%s", err->msg) : 0;
}

int apply_view_run(struct apply_view *v, struct clu_apply *a, struct cmd_ctx *ctx)
{
	struct clu_err err = CLU_ERR_INIT;
	int ret = clu_apply_run(a, &err);
	int status = apply_view_present(v, a, ctx, ret, &err);

	clu_apply_release(a);
	return status;
}
