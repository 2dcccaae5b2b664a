/*
 * The text writer: results for people. A plan reads like the runbook an
 * operator would otherwise follow from a wiki page: the cluster as found,
 * numbered steps with what to check before and after each, the guards
 * (where a group must not run, and why), and the predicted interruptions.
 */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "output-internal.h"

static void print_facts(FILE *f, const char *label, const struct clu_fact *facts, size_t n)
{
	if (!n)
		return;
	fprintf(f, "%7s%s ", "", label);
	for (size_t i = 0; i < n; i++) {
		char *text = clu_fact_describe(&facts[i]);

		fprintf(f, "%s%s", i ? "; " : "", text);
		free(text);
	}
	fputc('\n', f);
}

static void print_cluster(FILE *f, const struct clu_cluster *c, const struct clu_manifest *m)
{
	fprintf(f, "Cluster%s%s: %zu of %zu nodes online, %s.\n", c->name ? " " : "",
		c->name ? c->name : "", clu_cluster_online(c), c->n_nodes,
		c->quorum ? "quorum" : "NO QUORUM");
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct clu_node *n = &c->nodes[i];

		fprintf(f, "  node  %-12s version %-8s %s%s%s\n", n->name,
			n->version ? n->version : "unknown", n->online ? "online" : "OFFLINE",
			n->standby ? ", standby" : "", n->maintenance ? ", maintenance" : "");
	}
	for (size_t i = 0; i < m->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(c, m->groups[i]);

		if (!g)
			continue;
		fprintf(f, "  group %-12s %s%s%s, data version %s%s\n", g->name,
			g->owner ? "on " : "stopped", g->owner ? g->owner : "",
			g->managed ? "" : " (unmanaged)",
			g->data_version ? g->data_version : "unknown",
			g->n_banned ? ", has bans" : "");
	}
}

void clu__text_plan(FILE *f, const struct clu_plan *plan, const struct clu_manifest *m,
		    const struct clu_cluster *c)
{
	char subject[256];

	fprintf(f, "Plan: %s, version %s, strategy %s\n", plan->update, plan->version,
		clu_strategy_name(plan->strategy));
	if (plan->choice)
		fprintf(f, "  (%s)\n", plan->choice);
	fputc('\n', f);
	print_cluster(f, c, m);

	fputs("\nSteps:\n", f);
	if (!plan->n_steps)
		fputs("  none: every node already has this version.\n", f);
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];
		char *text = clu_step_describe(s, plan);

		fprintf(f, "  %3u. %s\n", s->index, clu_step_label(s, subject, sizeof(subject)));
		fprintf(f, "%7s%s\n", "", text);
		free(text);
		print_facts(f, "before:", s->pre, s->n_pre);
		print_facts(f, "after: ", s->post, s->n_post);
		if (s->n_interrupts)
			fprintf(f, "%7susers see an interruption of '%s' (predicted %.1f s)\n", "",
				s->interrupts[0], s->interrupts_ms / 1000.0);
	}

	if (plan->n_guards) {
		fputs("\nGuards (the version guard: a group never runs on a node older than its data):\n", f);
		for (size_t i = 0; i < plan->n_guards; i++) {
			const struct clu_guard *g = &plan->guards[i];
			const struct clu_step *from = &plan->steps[g->from - 1];
			const struct clu_step *until = &plan->steps[g->until - 1];

			fprintf(f, "  '%s' may not run on '%s' from step %u (%s '%s') until step %u (%s '%s'):\n",
				g->group, g->node, g->from, clu_action_name(from->action),
				from->group && from->action == CLU_ACTION_MOVE ? from->group : from->node,
				g->until, clu_action_name(until->action), until->node);
			fprintf(f, "      from step %u on, the data of '%s' is at version %s, which '%s' "
				"cannot run before it is updated;\n", g->from, g->group, plan->version, g->node);
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

		fprintf(f, "  %-12s %u window%s, about %.1f s\n", in->group, in->count,
			in->count == 1 ? "" : "s", in->ms / 1000.0);
	}
	if (plan->n_notes) {
		fputs("\nNotes:\n", f);
		for (size_t i = 0; i < plan->n_notes; i++)
			fprintf(f, "  - %s\n", plan->notes[i]);
	}
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

static void print_indented(FILE *f, const char *text, const char *indent)
{
	const char *line = text;

	while (line && *line) {
		size_t len = strcspn(line, "\n");

		fprintf(f, "%s%.*s\n", indent, (int)len, line);
		line += len + (line[len] ? 1 : 0);
	}
}

void clu__text_run(FILE *f, const struct clu_run_record *run, bool detail)
{
	char t1[40], t2[40];
	unsigned done = 0;

	for (size_t i = 0; i < run->n_steps; i++)
		done += run->steps[i].state == CLU_STEP_DONE;
	fprintf(f, "Run %lld: %s, version %s, %s, on %s\n", (long long)run->id, run->update,
		run->version, run->strategy, run->cluster);
	fprintf(f, "  state     %s%s%s\n", clu_run_state_name(run->state),
		run->message ? ": " : "", run->message ? run->message : "");
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
		fprintf(f, "  %4s  %-10s %-12s %-10s %-8s", step, s->action, s->node ? s->node : "-",
			s->group ? s->group : "-", clu_step_state_name(s->state));
		if (s->ended_mono_ms)
			fprintf(f, " %6.1f s\n", (s->ended_mono_ms - s->started_mono_ms) / 1000.0);
		else
			fputs("        -\n", f);
		if (s->state == CLU_STEP_FAILED && s->message)
			print_indented(f, s->message, "        ");
		if ((detail || s->state == CLU_STEP_FAILED) && s->output && *s->output) {
			fputs("        output:\n", f);
			print_indented(f, s->output, "          | ");
		}
	}
	{
		bool header = false;

		for (size_t i = 0; i < run->n_changes; i++) {
			const struct clu_change *c = &run->changes[i];

			if ((c->state != CLU_CHANGE_APPLIED && c->state != CLU_CHANGE_INTENDED) ||
			    !strcmp(c->kind, "property"))
				continue;
			if (!header)
				fputs("\nStill in place (made by this run):\n", f);
			header = true;
			fprintf(f, "  - %s %s%s%s = %s (was %s; step %u)%s\n", c->kind, c->target,
				c->name ? " " : "", c->name ? c->name : "", c->value ? c->value : "(deleted)",
				c->prior ? c->prior : "absent", c->step,
				c->state == CLU_CHANGE_INTENDED ? " [may not have been made]" : "");
		}
	}
}

void clu__text_history(FILE *f, const struct clu_run_record *runs, size_t n)
{
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
			local_time(r->started_real_ms, t, sizeof(t)), r->update, r->version,
			r->strategy, clu_run_state_name(r->state));
		if (r->ended_mono_ms)
			fprintf(f, " %6.1f s\n", (r->ended_mono_ms - r->started_mono_ms) / 1000.0);
		else
			fputs("        -\n", f);
	}
}

void clu__text_report(FILE *f, const struct clu_report *r)
{
	size_t windows = 0;

	fprintf(f, "Report of run %lld: %s, version %s, %s, on %s: %s\n", (long long)r->run_id,
		r->update, r->version, r->strategy, r->cluster, r->state);
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
			fprintf(f, "    lost: %s\n", r->lost_ids[i]);
	} else {
		fputs("  no probes: the outage was not measured\n", f);
	}

	fputs("\nWhat users saw (outage windows):\n", f);
	for (size_t i = 0; i < r->n_outages; i++) {
		const struct clu_outage *o = &r->outages[i];

		windows++;
		fprintf(f, "  %-8s %-8s down at +%.3f s for %.3f s%s, during step %u (%s%s%s)\n",
			o->group ? o->group : "?", o->probe ? o->probe : "?", o->start_ms / 1000.0,
			(o->end_ms - o->start_ms) / 1000.0, o->open ? " (still down at the end)" : "",
			o->step, o->step_action ? o->step_action : "-", o->step_node ? " " : "",
			o->step_node ? o->step_node : "");
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
					w->node, w->stopped_ms / 1000.0, w->started_ms / 1000.0,
					(w->started_ms - w->stopped_ms) / 1000.0);
			else
				fprintf(f, "  %-8s stopped at +%.3f s, never restarted\n", w->node,
					w->stopped_ms / 1000.0);
		}
	}
	fputs("\nSteps per node:\n", f);
	for (size_t n = 0; n < r->n_nodes; n++) {
		fprintf(f, "  %s:", r->nodes[n]);
		for (size_t i = 0; i < r->n_steps; i++)
			if (r->steps[i].node && !strcmp(r->steps[i].node, r->nodes[n]))
				fprintf(f, " %s %.1f s%s;", r->steps[i].action,
					(r->steps[i].end_ms - r->steps[i].start_ms) / 1000.0,
					strcmp(r->steps[i].state, "done") ? " (FAILED)" : "");
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->n_probes; i++)
		fprintf(f, "\nProbe '%s': %u probes, %u failed, %lld ms of CPU", r->probes[i].name,
			r->probes[i].probes, r->probes[i].failures, (long long)r->probes[i].cpu_ms);
	if (r->n_probes)
		fputc('\n', f);
}
