/*
 * The text writer: results for people. A plan reads like the runbook an
 * operator would otherwise follow from a wiki page: the cluster as found,
 * numbered steps with what to check before and after each, the guards
 * (where a group must not run, and why), and the predicted interruptions.
 */
#include <stdlib.h>
#include <string.h>

#include "output-internal.h"

static void print_facts(FILE *f, const char *label, const struct clu_fact *facts, size_t n)
{
	if (!n)
		return;
	fprintf(f, "%16s%s ", "", label);
	for (size_t i = 0; i < n; i++) {
		char *text = clu_fact_describe(&facts[i]);

		fprintf(f, "%s%s", i ? "; " : "", text);
		free(text);
	}
	fputc('\n', f);
}

static const char *step_subject(const struct clu_step *s, char *buf, size_t size)
{
	if (s->group && s->node)
		snprintf(buf, size, "%s '%s' %s '%s'", clu_action_name(s->action), s->group,
			 s->action == CLU_ACTION_BAN ? "from" : (s->action == CLU_ACTION_MOVE ? "to" : "on"),
			 s->node);
	else
		snprintf(buf, size, "%s '%s'", clu_action_name(s->action), s->group ? s->group : s->node);
	return buf;
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

		fprintf(f, "  %3u. %-28s %s\n", s->index, step_subject(s, subject, sizeof(subject)), "");
		fprintf(f, "%16s%s\n", "", text);
		free(text);
		print_facts(f, "check before:", s->pre, s->n_pre);
		print_facts(f, "check after: ", s->post, s->n_post);
		if (s->n_interrupts)
			fprintf(f, "%16susers see an interruption of '%s' (predicted %.1f s)\n", "",
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
