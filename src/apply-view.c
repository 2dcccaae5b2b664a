/*
 * The apply pipeline presented (apply-view.h): progress while it runs, and
 * after it, what it left, the probes' count, the run and its report. Moved
 * out of cmd-apply.c so that `resume` shows a run exactly as `apply` does.
 *
 * On a terminal, progress is a status area at the bottom of what stderr
 * shows, redrawn in place with ANSI cursor movement (up N lines, erase to
 * the end of the screen): a few lines, each cut to the terminal's width so
 * that none wraps (a wrapped line would throw the count off), the width
 * read again at every redraw (a resized terminal needs no signal). Lines
 * for the log (a step finished, the lock watched) are printed above it:
 * the area is erased, the line printed, the area drawn again. At the end
 * the area is erased, leaving the terminal as a log would, and a summary
 * line is printed below. No curses: a handful of ANSI sequences every
 * terminal emulator since the VT100 knows do the job.
 *
 * Otherwise (not a terminal, or --verbose) one plain line per event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clupdate/display.h"
#include "clupdate/output.h"
#include "clupdate/report.h"
#include "apply-view.h"

/* The area is redrawn at most this often while waiting (the engine is polled faster). */
#define AREA_REDRAW_MS 200
#define AREA_MAX_LINES 12

static unsigned terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/*
 * line cut to at most width - 1 columns (the last column left free: some
 * terminals wrap when it is written), counting a UTF-8 character as one
 * column; line holds nothing a terminal acts on (it is made of
 * clu_display()ed text).
 */
static void fit(char *line, unsigned width)
{
	unsigned columns = 0;

	for (char *c = line; *c; c++) {
		if (((unsigned char)*c & 0xc0) == 0x80)
			continue;      /* a continuation byte: same column */
		if (++columns >= width) {
			*c = '\0';
			return;
		}
	}
}

/* The area's frame is built whole, then written with one call: no flicker. */
struct frame {
	char *text;
	size_t len, size;
	unsigned lines;
	unsigned width;
};

static void frame_line(struct frame *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void frame_line(struct frame *f, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t n;

	if (f->lines >= AREA_MAX_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fit(line, f->width);
	n = strlen(line);
	if (f->len + n + 2 > f->size) {
		f->size = (f->len + n + 2) * 2;
		f->text = realloc(f->text, f->size);
		if (!f->text)
			abort();
	}
	memcpy(f->text + f->len, line, n);
	f->len += n;
	f->text[f->len++] = '\n';
	f->text[f->len] = '\0';
	f->lines++;
}

static void erase_area(struct apply_view *v)
{
	if (!v->area_lines)
		return;
	/* The cursor is below the area: up to its first line, erase to the end. */
	fprintf(stderr, "\r\033[%uA\033[J", v->area_lines);
	v->area_lines = 0;
}

static void seconds_text(char *buf, size_t size, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms >= 3600000)
		snprintf(buf, size, "%lldh%02lldm", (long long)(ms / 3600000),
			 (long long)(ms / 60000 % 60));
	else if (ms >= 60000)
		snprintf(buf, size, "%lldm%02llds", (long long)(ms / 60000),
			 (long long)(ms / 1000 % 60));
	else
		snprintf(buf, size, "%.1fs", ms / 1000.0);
}

/* The remainder the plan predicts, adjusted by what the step at work has taken. */
static void remaining_text(const struct apply_view *v, char *buf, size_t size)
{
	char left[32];
	unsigned ms;

	if (!v->plan || v->plan->predicted_from.basis == CLU_BASIS_NONE) {
		snprintf(buf, size, "unknown");
		return;
	}
	ms = clu_plan_remaining_ms(v->plan, v->done, v->step ? v->step->index : 0,
				   v->step_elapsed_ms);
	seconds_text(left, sizeof(left), ms);
	if (v->plan->predicted_from.basis == CLU_BASIS_JOURNAL)
		snprintf(buf, size, "~%s (learned from %u run%s)", left, v->plan->predicted_from.runs,
			 v->plan->predicted_from.runs == 1 ? "" : "s");
	else
		snprintf(buf, size, "~%s (manifest's estimate)", left);
}

static void probe_lines(struct frame *f, const struct apply_view *v)
{
	const struct clu_apply *a = v->apply;

	for (size_t i = 0; i < v->n_probes; i++) {
		const struct clu_probe_look *look = &v->probes[i];
		const struct clu_probe_spec *spec = a && i < a->exec.n_probes ?
						    a->exec.probes[i].spec : NULL;
		char *name = clu_display(spec ? spec->name : "?", 40);
		char *group = clu_display(spec && spec->group ? spec->group : "?", 40);
		char outage[32];

		seconds_text(outage, sizeof(outage), look->outage_ms);
		frame_line(f, " probe %s (%s): %s  outage so far %s in %u window%s  acknowledged %zu",
			   name, group, !look->up_at && !look->down ? "not seen yet" :
			   look->down ? "DOWN" : "up", outage, look->windows,
			   look->windows == 1 ? "" : "s", look->acknowledged);
		free(name);
		free(group);
	}
}

static void draw_area(struct apply_view *v)
{
	struct frame f = { .width = terminal_width() };
	char label[256], elapsed[32], step_elapsed[32], remaining[96];
	char *shown_label, *waiting;

	if (!v->step)
		return;
	seconds_text(elapsed, sizeof(elapsed), v->run_elapsed_ms);
	seconds_text(step_elapsed, sizeof(step_elapsed), v->step_elapsed_ms);
	remaining_text(v, remaining, sizeof(remaining));
	shown_label = clu_display(clu_step_label(v->step, label, sizeof(label)), 0);
	waiting = clu_display(v->waiting ? v->waiting : "", 0);
	frame_line(&f, "-- step %u/%zu  wave %u  %s%s", v->step->index, v->plan->n_steps,
		   v->step->wave, shown_label, v->attempt > 1 ? "  (retry)" : "");
	frame_line(&f, " %s", waiting);
	frame_line(&f, " elapsed %s (this step %s)  predicted remaining %s", elapsed, step_elapsed,
		   remaining);
	probe_lines(&f, v);
	free(shown_label);
	free(waiting);
	erase_area(v);
	fputs(f.text ? f.text : "", stderr);
	fflush(stderr);
	v->area_lines = f.lines;
	v->drawn_mono_ms = clu_now_mono_ms();
	free(f.text);
}

/* A line for the log, above the area (which is drawn again at the next event). */
static void log_line(struct apply_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(struct apply_view *v, const char *fmt, ...)
{
	va_list ap;

	erase_area(v);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void apply_view_settling(void *ctx, unsigned timeout_ms)
{
	struct apply_view *v = ctx;

	if (v)
		erase_area(v);
	fprintf(stderr, "clupdate: the engine is busy (a node joining, an election or a "
		"transition): waiting up to %u s for it to settle before planning\n",
		timeout_ms / 1000);
}

static void show_check(void *ctx, const char *node)
{
	log_line(ctx, "clupdate: checking that node '%s' answers as itself\n", node);
}

/* The area follows the run: the step at work, what it waits for, the probes. */
static void follow(struct apply_view *v, const struct clu_exec_progress *p)
{
	const struct clu_step *s = p->step;

	if (p->plan && v->plan != p->plan) {
		free(v->done);
		v->plan = p->plan;
		v->done = calloc(p->plan->n_steps ? p->plan->n_steps : 1, sizeof(*v->done));
		if (!v->done)
			abort();
	}
	if (v->step != s || p->event == CLU_EXEC_STEP_START) {
		free(v->waiting);
		v->waiting = NULL;
	}
	v->step = s;
	v->attempt = p->attempt;
	if (p->message && (p->event == CLU_EXEC_STEP_WAIT || p->event == CLU_EXEC_STEP_START)) {
		free(v->waiting);
		v->waiting = strdup(p->message);
	} else if (p->event != CLU_EXEC_STEP_WAIT) {
		free(v->waiting);
		v->waiting = strdup(p->event == CLU_EXEC_STEP_DONE ? "done" :
				    p->event == CLU_EXEC_STEP_SKIPPED ? "skipped (already true)" :
				    p->event == CLU_EXEC_STEP_RETRY ? "failed: retrying" : "FAILED");
	}
	v->step_elapsed_ms = p->step_elapsed_ms;
	v->run_elapsed_ms = p->run_elapsed_ms;
	if (p->n_probes) {
		if (v->n_probes != p->n_probes) {
			free(v->probes);
			v->probes = calloc(p->n_probes, sizeof(*v->probes));
			if (!v->probes)
				abort();
			v->n_probes = p->n_probes;
		}
		memcpy(v->probes, p->probes, p->n_probes * sizeof(*p->probes));
	}
	if ((p->event == CLU_EXEC_STEP_DONE || p->event == CLU_EXEC_STEP_SKIPPED) &&
	    v->done && s->index >= 1 && s->index <= v->plan->n_steps)
		v->done[s->index - 1] = true;
}

static void show_area(struct apply_view *v, const struct clu_exec_progress *p)
{
	const struct clu_step *s = p->step;
	char label[256], took[32];
	char *shown;
	bool news;

	/* A new thing waited for is shown at once; the same one, with the clock, at a pace. */
	news = p->message && (!v->waiting || strcmp(v->waiting, p->message));
	follow(v, p);
	if (p->event != CLU_EXEC_STEP_WAIT && p->event != CLU_EXEC_STEP_START) {
		shown = clu_display(clu_step_label(s, label, sizeof(label)), 0);
		seconds_text(took, sizeof(took), p->step_elapsed_ms);
		if (p->event == CLU_EXEC_STEP_DONE || p->event == CLU_EXEC_STEP_SKIPPED) {
			char *how = p->message ? clu_display(p->message, 300) : NULL;

			log_line(v, "[%u/%u] %s: %s in %s%s%s\n", s->index, p->n_steps, shown,
				 p->event == CLU_EXEC_STEP_DONE ? "done" : "skipped", took,
				 how ? ": " : "", how ? how : "");
			free(how);
		} else {
			char *why = clu_display(p->message ? p->message : "", 300);

			log_line(v, "[%u/%u] %s: %s after %s: %s\n", s->index, p->n_steps, shown,
				 p->event == CLU_EXEC_STEP_FAILED ? "FAILED" : "retrying", took, why);
			free(why);
		}
		free(shown);
	}
	if (p->event == CLU_EXEC_STEP_WAIT && !news && v->area_lines &&
	    clu_now_mono_ms() - v->drawn_mono_ms < AREA_REDRAW_MS)
		return;
	draw_area(v);
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
		if (p->message)
			log_line(view, "clupdate: the cluster is locked by %s; watching its heartbeat\n",
				 p->message);
		return;
	}
	if (view->area) {
		show_area(view, p);
		return;
	}
	if (p->event == CLU_EXEC_STEP_WAIT)
		return;   /* plain logs get one line per state change, not per poll */
	subject = s->node ? s->node : s->group;
	fprintf(stderr, "clupdate: step %u/%u %s %s %s attempt=%u elapsed_ms=%lld run_ms=%lld%s%s\n",
		s->index, p->n_steps, clu_action_name(s->action), subject, events[p->event],
		p->attempt, (long long)p->step_elapsed_ms, (long long)p->run_elapsed_ms,
		p->message ? ": " : "", p->message ? p->message : "");
}

/* The end of the area: erased, and what it showed last summed up below. */
static void close_area(struct apply_view *v)
{
	char took[32], predicted[32];
	size_t done = 0;

	erase_area(v);
	if (!v->plan)
		return;
	for (size_t i = 0; i < v->plan->n_steps; i++)
		done += v->done[i];
	seconds_text(took, sizeof(took), v->run_elapsed_ms);
	seconds_text(predicted, sizeof(predicted), v->plan->predicted_ms);
	fprintf(stderr, "clupdate: %zu of %zu steps done in %s (predicted %s)\n", done,
		v->plan->n_steps, took, predicted);
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
		.area = isatty(STDERR_FILENO) && !o->verbose, .source = source,
		.state_dir = o->state_dir, .manifest = manifest, .apply = a,
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
		.settling = apply_view_settling, .checking = show_check, .starting = show_start, .ctx = v,
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

	close_area(v);
	free(v->done);
	free(v->waiting);
	free(v->probes);
	v->done = NULL;
	v->waiting = NULL;
	v->probes = NULL;
	v->plan = NULL;
	v->step = NULL;
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
