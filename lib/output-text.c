/*
 * The text writer: results for people. A plan reads like the runbook an
 * operator would otherwise follow from a wiki page: the cluster as found,
 * numbered steps with what to check before and after each, the guards
 * (where a group must not run, and why), and the predicted interruptions.
 *
 * Every string that is not this file's own text (names, versions, messages,
 * an installer's output, all of which come from the cluster, a manifest or
 * a journal) is printed as show() gives it, escaped by clu_display(): it
 * cannot forge a line of the runbook or send the terminal an escape.
 */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "clupdate/abort.h"
#include "clupdate/display.h"
#include "output-internal.h"
#include "util.h"

/* The strings one writer has shown, freed together when it is done. */
struct shown {
	char **v;
	size_t n, alloc;
};

/* text as it may be printed (clu_display()); NULL for NULL. Lives until
 * shown_release(). */
static const char *show(struct shown *sh, const char *text)
{
	if (!text)
		return NULL;
	CLU_ALLOC_GROW(sh->v, sh->n + 1, sh->alloc);
	return sh->v[sh->n++] = clu_display(text, 0);
}

/* show() for text this writer owns (freed here). */
static const char *show_owned(struct shown *sh, char *text)
{
	const char *shown = show(sh, text);

	free(text);
	return shown;
}

static void shown_release(struct shown *sh)
{
	for (size_t i = 0; i < sh->n; i++)
		free(sh->v[i]);
	free(sh->v);
	memset(sh, 0, sizeof(*sh));
}

static void print_facts(FILE *f, struct shown *sh, const char *label,
			const struct clu_fact *facts, size_t n)
{
	if (!n)
		return;
	fprintf(f, "%7s%s ", "", label);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "; " : "", show_owned(sh, clu_fact_describe(&facts[i])));
	fputc('\n', f);
}

static void print_cluster(FILE *f, struct shown *sh, const struct clu_cluster *c,
			  const struct clu_manifest *m)
{
	fprintf(f, "Cluster%s%s: %zu of %zu nodes online, %s.\n", c->name ? " " : "",
		c->name ? show(sh, c->name) : "", clu_cluster_online(c), c->n_nodes,
		c->quorum ? "quorum" : "NO QUORUM");
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct clu_node *n = &c->nodes[i];

		fprintf(f, "  node  %-12s version %-8s %s%s%s\n", show(sh, n->name),
			n->version ? show(sh, n->version) : "unknown",
			n->online ? "online" : "OFFLINE",
			n->standby ? ", standby" : "", n->maintenance ? ", maintenance" : "");
	}
	for (size_t i = 0; i < m->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(c, m->groups[i]);

		if (!g)
			continue;
		fprintf(f, "  group %-12s %s%s%s, data version %s%s\n", show(sh, g->name),
			g->owner ? "on " : "stopped", g->owner ? show(sh, g->owner) : "",
			g->managed ? "" : " (unmanaged)",
			g->data_version ? show(sh, g->data_version) : "unknown",
			g->n_banned ? ", has bans" : "");
	}
}

/*
 * The heading of a wave of several nodes (steps from `first` on): they are
 * out of service together, and each kind of their steps runs at once.
 */
static void print_wave(FILE *f, struct shown *sh, const struct clu_plan *plan, size_t first)
{
	struct clu__strv nodes = { 0 };

	/* Each node of a wave is installed once. */
	for (size_t i = first; i < plan->n_steps && plan->steps[i].wave == plan->steps[first].wave;
	     i++)
		if (plan->steps[i].action == CLU_ACTION_INSTALL)
			clu__strv_push(&nodes, plan->steps[i].node);
	if (nodes.n > 1) {
		fprintf(f, "  wave %u: %zu nodes together (", plan->steps[first].wave, nodes.n);
		for (size_t i = 0; i < nodes.n; i++)
			fprintf(f, "%s'%s'", i ? ", " : "", show(sh, nodes.v[i]));
		fputs("): drained together, their installers and verifies run at once\n", f);
	}
	clu__strv_release(&nodes);
}

/* Where a prediction comes from, for people: "the manifest", "learned from 2 runs". */
static const char *basis_text(const char *from, unsigned runs, char *buf, size_t size)
{
	if (from && !strcmp(from, "journal"))
		snprintf(buf, size, "learned from %u run%s", runs, runs == 1 ? "" : "s");
	else if (from && !strcmp(from, "manifest"))
		snprintf(buf, size, "the manifest's estimate");
	else
		snprintf(buf, size, "no estimate");
	return buf;
}

static const char *prediction_text(const struct clu_prediction *p, char *buf, size_t size)
{
	return basis_text(clu_basis_name(p->basis), p->runs, buf, size);
}

void clu__text_plan(FILE *f, const struct clu_plan *plan, const struct clu_manifest *m,
		    const struct clu_cluster *c)
{
	struct shown sh = { 0 };
	char subject[256], basis[64];

	fprintf(f, "Plan: %s, version %s, strategy %s%s\n", show(&sh, plan->update),
		show(&sh, plan->version), clu_strategy_name(plan->strategy),
		plan->rollback ? " (a rollback: the previous version put back)" : "");
	if (plan->choice)
		fprintf(f, "  (%s)\n", show(&sh, plan->choice));
	fputc('\n', f);
	print_cluster(f, &sh, c, m);

	fputs("\nSteps:\n", f);
	if (!plan->n_steps)
		fputs("  none: every node already has this version.\n", f);
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];

		if (!i || s->wave != plan->steps[i - 1].wave)
			print_wave(f, &sh, plan, i);
		fprintf(f, "  %3u. %s\n", s->index,
			show(&sh, clu_step_label(s, subject, sizeof(subject))));
		fprintf(f, "%7s%s\n", "", show_owned(&sh, clu_step_describe(s, plan)));
		print_facts(f, &sh, "before:", s->pre, s->n_pre);
		print_facts(f, &sh, "after: ", s->post, s->n_post);
		if (s->predicted_from.basis != CLU_BASIS_NONE)
			fprintf(f, "%7stakes about %.1f s (%s)\n", "", s->predicted_ms / 1000.0,
				prediction_text(&s->predicted_from, basis, sizeof(basis)));
		if (s->n_interrupts)
			fprintf(f, "%7susers see an interruption of '%s' (predicted %.1f s, %s)\n", "",
				show(&sh, s->interrupts[0]), s->interrupts_ms / 1000.0,
				prediction_text(&s->interrupts_from, basis, sizeof(basis)));
		fprintf(f, "%7squorum: %u vote%s present, %u needed, margin %d\n", "",
			s->votes_present, s->votes_present == 1 ? "" : "s", s->votes_needed,
			(int)s->votes_present - (int)s->votes_needed);
	}

	if (plan->n_guards) {
		fputs("\nGuards (the version guard: a group never runs on a node older than its data):\n", f);
		for (size_t i = 0; i < plan->n_guards; i++) {
			const struct clu_guard *g = &plan->guards[i];
			const struct clu_step *from = &plan->steps[g->from - 1];
			const struct clu_step *until = &plan->steps[g->until - 1];
			const char *group = show(&sh, g->group), *node = show(&sh, g->node);

			fprintf(f, "  '%s' may not run on '%s' from step %u (%s '%s') until step %u (%s '%s'):\n",
				group, node, g->from, clu_action_name(from->action),
				show(&sh, from->group && from->action == CLU_ACTION_MOVE ? from->group
											 : from->node),
				g->until, clu_action_name(until->action), show(&sh, until->node));
			fprintf(f, "      from step %u on, the data of '%s' is at version %s, which '%s' "
				"cannot run before it is updated;\n", g->from, group,
				show(&sh, plan->version), node);
			if (g->enforced_by)
				fprintf(f, "      enforced by the ban of step %u.\n", g->enforced_by);
			else
				fprintf(f, "      clupdate enforces it with a location ban placed before "
					"step %u and cleared after step %u.\n", g->from, g->until);
		}
	}

	fputs("\nPredicted interruptions for users:\n", f);
	for (size_t i = 0; i < plan->n_interruptions; i++) {
		const struct clu_interruption *in = &plan->interruptions[i];

		fprintf(f, "  %-12s %u window%s, about %.1f s (%s)\n", show(&sh, in->group), in->count,
			in->count == 1 ? "" : "s", in->ms / 1000.0,
			prediction_text(&in->from, basis, sizeof(basis)));
	}
	if (plan->n_steps)
		fprintf(f, "\nPredicted duration: about %.1f s (%s; steps with no estimate count 0)\n",
			plan->predicted_ms / 1000.0,
			prediction_text(&plan->predicted_from, basis, sizeof(basis)));
	if (plan->n_notes) {
		fputs("\nNotes:\n", f);
		for (size_t i = 0; i < plan->n_notes; i++)
			fprintf(f, "  - %s\n", show(&sh, plan->notes[i]));
	}
	shown_release(&sh);
}

static const char *local_time(int64_t ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms)
		return "-";
	gmtime_r(&secs, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* text, line by line, each line after indent and shown. */
static void print_indented(FILE *f, struct shown *sh, const char *text, const char *indent)
{
	const char *line = text;

	while (line && *line) {
		size_t len = strcspn(line, "\n");

		fprintf(f, "%s%s\n", indent, show_owned(sh, clu__xstrndup(line, len)));
		line += len + (line[len] ? 1 : 0);
	}
}

/* The changes of a list still in effect (the lock aside), under header. */
static void print_in_place(FILE *f, struct shown *sh, const struct clu_change *changes,
			   size_t n, int64_t this_run, const char *header)
{
	for (size_t i = 0; i < n; i++) {
		const struct clu_change *c = &changes[i];

		if ((c->state != CLU_CHANGE_APPLIED && c->state != CLU_CHANGE_INTENDED) ||
		    !strcmp(c->kind, "property") || !strcmp(c->kind, "lock"))
			continue;
		fputs(header, f);
		header = "";
		fprintf(f, "  - %s %s%s%s = %s (was %s; ", show(sh, c->kind), show(sh, c->target),
			c->name ? " " : "", c->name ? show(sh, c->name) : "",
			c->value ? show(sh, c->value) : "(deleted)",
			c->prior ? show(sh, c->prior) : "absent");
		if (c->run_id != this_run)
			fprintf(f, "run %lld, ", (long long)c->run_id);
		fprintf(f, "step %u)%s\n", c->step,
			c->state == CLU_CHANGE_INTENDED ? " [may not have been made]" : "");
	}
}

void clu__text_run(FILE *f, const struct clu_run_record *run, bool detail)
{
	struct shown sh = { 0 };
	char t1[40], t2[40];
	unsigned done = 0;

	for (size_t i = 0; i < run->n_steps; i++)
		done += run->steps[i].state == CLU_STEP_DONE;
	fprintf(f, "Run %lld: %s, version %s, %s, on %s\n", (long long)run->id,
		show(&sh, run->update), show(&sh, run->version), show(&sh, run->strategy),
		show(&sh, run->cluster));
	fprintf(f, "  state     %s%s%s\n", clu_run_state_name(run->state),
		run->message ? ": " : "", run->message ? show(&sh, run->message) : "");
	fprintf(f, "  started   %s\n", local_time(run->started_real_ms, t1, sizeof(t1)));
	if (run->ended_real_ms)
		fprintf(f, "  ended     %s (%.1f s)\n", local_time(run->ended_real_ms, t2, sizeof(t2)),
			(run->ended_mono_ms - run->started_mono_ms) / 1000.0);
	fprintf(f, "  steps     %u of %u done\n\n", done, run->n_planned);

	fprintf(f, "  %4s  %-10s %-12s %-10s %-8s %8s\n", "STEP", "ACTION", "NODE", "GROUP",
		"STATE", "TIME");
	for (size_t i = 0; i < run->n_steps; i++) {
		const struct clu_step_record *s = &run->steps[i];
		char step[16];

		snprintf(step, sizeof(step), s->attempt > 1 ? "%u.%u" : "%u", s->step, s->attempt);
		fprintf(f, "  %4s  %-10s %-12s %-10s %-8s", step, show(&sh, s->action),
			s->node ? show(&sh, s->node) : "-", s->group ? show(&sh, s->group) : "-",
			clu_step_state_name(s->state));
		if (s->ended_mono_ms)
			fprintf(f, " %6.1f s\n", (s->ended_mono_ms - s->started_mono_ms) / 1000.0);
		else
			fputs("        -\n", f);
		if (s->state == CLU_STEP_FAILED && s->message)
			print_indented(f, &sh, s->message, "        ");
		if ((detail || s->state == CLU_STEP_FAILED) && s->output && *s->output) {
			fputs("        output:\n", f);
			print_indented(f, &sh, s->output, "          | ");
		}
	}
	print_in_place(f, &sh, run->changes, run->n_changes, run->id, "\nStill in place (made by this run):\n");
	print_in_place(f, &sh, run->left_earlier, run->n_left_earlier, run->id,
		       "\nStill in place (left by earlier runs of this update that did not finish):\n");
	shown_release(&sh);
}

void clu__text_history(FILE *f, const struct clu_run_record *runs, size_t n)
{
	struct shown sh = { 0 };
	char t[40];

	if (!n) {
		fputs("No runs yet.\n", f);
		return;
	}
	fprintf(f, "%5s  %-23s  %-14s %-8s %-9s %-10s %8s\n", "RUN", "STARTED", "UPDATE",
		"VERSION", "STRATEGY", "STATE", "TIME");
	for (size_t i = 0; i < n; i++) {
		const struct clu_run_record *r = &runs[i];

		fprintf(f, "%5lld  %-23s  %-14s %-8s %-9s %-10s", (long long)r->id,
			local_time(r->started_real_ms, t, sizeof(t)), show(&sh, r->update),
			show(&sh, r->version), show(&sh, r->strategy), clu_run_state_name(r->state));
		if (r->ended_mono_ms)
			fprintf(f, " %6.1f s\n", (r->ended_mono_ms - r->started_mono_ms) / 1000.0);
		else
			fputs("        -\n", f);
	}
	shown_release(&sh);
}

/* A probe's figures, its outage budget against what it measured, its wait after a move. */
static void text_probe(FILE *f, struct shown *sh, const struct clu_report_probe *p)
{
	fprintf(f, "\nProbe '%s': %u probes, %u failed, %lld ms of CPU", show(sh, p->name),
		p->probes, p->failures, (long long)p->cpu_ms);
	if (p->budget_ms)
		fprintf(f, "\n  outage budget (max-outage) %lld ms, longest outage measured %lld ms: "
			"%s", (long long)p->budget_ms, (long long)p->longest_ms,
			p->over_budget ? "EXCEEDED" : "kept");
	if (p->back_ms >= 0)
		fprintf(f, "\n  after the switchover: %s %lld ms", p->not_back ?
			"the service did not answer within" : "the service answered again after",
			(long long)p->back_ms);
}

/* What the run's plan predicted, against what was measured. */
static void text_prediction(FILE *f, struct shown *sh, const struct clu_report *r)
{
	char basis[64];

	fputs("\nPredicted against measured:\n", f);
	if (r->predicted_ms >= 0)
		fprintf(f, "  %-12s predicted %.1f s (%s), measured %.1f s\n", "duration",
			r->predicted_ms / 1000.0,
			basis_text(r->predicted_from, r->predicted_runs, basis, sizeof(basis)),
			r->wall_ms / 1000.0);
	else
		fprintf(f, "  %-12s not predicted (a plan of an older clupdate), measured %.1f s\n",
			"duration", r->wall_ms / 1000.0);
	for (size_t i = 0; i < r->n_groups; i++) {
		const struct clu_report_group *g = &r->groups[i];

		fprintf(f, "  %-12s ", show(sh, g->group));
		if (g->predicted_ms >= 0)
			fprintf(f, "predicted %.1f s in %u window%s (%s), ", g->predicted_ms / 1000.0,
				g->predicted_windows, g->predicted_windows == 1 ? "" : "s",
				basis_text(g->predicted_from, g->predicted_runs, basis, sizeof(basis)));
		else
			fputs("not predicted, ", f);
		if (g->measured_ms >= 0)
			fprintf(f, "measured %.3f s in %u window%s\n", g->measured_ms / 1000.0,
				g->measured_windows, g->measured_windows == 1 ? "" : "s");
		else
			fputs("not measured (no probe)\n", f);
	}
}

void clu__text_report(FILE *f, const struct clu_report *r)
{
	struct shown sh = { 0 };
	size_t windows = 0;

	fprintf(f, "Report of run %lld: %s, version %s, %s, on %s: %s\n", (long long)r->run_id,
		show(&sh, r->update), show(&sh, r->version), show(&sh, r->strategy),
		show(&sh, r->cluster), show(&sh, r->state));
	fprintf(f, "  wall time %.1f s = installers %.1f s + waiting for the engine %.1f s "
		"+ clupdate's overhead %.1f s\n", r->wall_ms / 1000.0, r->installer_ms / 1000.0,
		r->engine_wait_ms / 1000.0, r->overhead_ms / 1000.0);
	if (r->n_probes) {
		fprintf(f, "  messages acknowledged to the probes: %zu, lost: ", r->acknowledged);
		if (r->lost_checked)
			fprintf(f, "%zu\n", r->lost);
		else
			fputs("not checked (no probe has a check command)\n", f);
		for (size_t i = 0; i < r->n_lost_ids; i++)
			fprintf(f, "    lost: %s\n", show(&sh, r->lost_ids[i]));
	} else {
		fputs("  no probes: the outage was not measured\n", f);
	}

	text_prediction(f, &sh, r);

	fputs("\nWhat users saw (outage windows):\n", f);
	for (size_t i = 0; i < r->n_outages; i++) {
		const struct clu_outage *o = &r->outages[i];

		windows++;
		fprintf(f, "  %-8s %-8s down at +%.3f s for %.3f s%s, during step %u (%s%s%s)\n",
			o->group ? show(&sh, o->group) : "?", o->probe ? show(&sh, o->probe) : "?",
			o->start_ms / 1000.0, (o->end_ms - o->start_ms) / 1000.0,
			o->open ? " (still down at the end)" : "", o->step,
			o->step_action ? show(&sh, o->step_action) : "-", o->step_node ? " " : "",
			o->step_node ? show(&sh, o->step_node) : "");
	}
	if (!windows)
		fputs(r->n_probes ? "  none: the service answered every probe\n"
				  : "  (not measured)\n", f);
	if (r->n_service) {
		fputs("\nThe installers' own service windows (their logged stop and start):\n", f);
		for (size_t i = 0; i < r->n_service; i++) {
			const struct clu_service_window *w = &r->service[i];

			if (w->started_ms >= 0)
				fprintf(f, "  %-8s stopped at +%.3f s, started at +%.3f s: %.3f s\n",
					show(&sh, w->node), w->stopped_ms / 1000.0,
					w->started_ms / 1000.0,
					(w->started_ms - w->stopped_ms) / 1000.0);
			else
				fprintf(f, "  %-8s stopped at +%.3f s, never restarted\n",
					show(&sh, w->node), w->stopped_ms / 1000.0);
		}
	}
	fputs("\nSteps per node:\n", f);
	for (size_t n = 0; n < r->n_nodes; n++) {
		fprintf(f, "  %s:", show(&sh, r->nodes[n]));
		for (size_t i = 0; i < r->n_steps; i++)
			if (r->steps[i].node && !strcmp(r->steps[i].node, r->nodes[n]))
				fprintf(f, " %s %.1f s%s;", show(&sh, r->steps[i].action),
					(r->steps[i].end_ms - r->steps[i].start_ms) / 1000.0,
					strcmp(r->steps[i].state, "done") ? " (FAILED)" : "");
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->n_probes; i++)
		text_probe(f, &sh, &r->probes[i]);
	if (r->n_probes)
		fputc('\n', f);
	shown_release(&sh);
}

static void text_items(FILE *f, struct shown *sh, const char *title,
		       const struct clu_remaining *items, size_t n)
{
	if (!n)
		return;
	fprintf(f, "  %s:\n", title);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "    - %s\n", show(sh, items[i].what));
		fprintf(f, "      %s\n", show(sh, items[i].why));
	}
}

void clu__text_abort(FILE *f, const struct clu_abort_result *r)
{
	struct shown sh = { 0 };

	if (r->stopped)
		fprintf(f, "Stopped %s.\n", show(&sh, r->stopped));
	if (r->nothing_here) {
		fputs("Its journal is not this one: nothing to undo here (run 'clupdate abort' "
		      "where it ran).\n", f);
		return;
	}
	if (!r->run_id)
		return;
	fprintf(f, "Run %lld aborted: %zu change%s put back, %zu kept.\n", (long long)r->run_id,
		r->n_restored, r->n_restored == 1 ? "" : "s", r->n_kept);
	if (r->n_aborted > 1) {
		fputs("  with the earlier unfinished run(s)", f);
		for (size_t i = 1; i < r->n_aborted; i++)
			fprintf(f, " %lld", (long long)r->aborted[i]);
		fputs(" of the same update\n", f);
	}
	text_items(f, &sh, "put back, newest first", r->restored, r->n_restored);
	text_items(f, &sh, "kept", r->kept, r->n_kept);
}
