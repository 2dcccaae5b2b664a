/*
 * The model as JSON (see model-json.h): a plan and a cluster's state as
 * json-c documents, and as compact text. The output module builds its
 * "plan" result from clu__plan_doc() and the journal keeps the text of the
 * same documents, so that what a run journalled is what `plan` shows.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model-json-internal.h"
#include "util.h"

static void add_string(struct json_object *obj, const char *key, const char *value)
{
	if (value)
		json_object_object_add(obj, key, json_object_new_string(value));
}

static const char *fact_kind_name(enum clu_fact_kind kind)
{
	static const char *const names[] = {
		[CLU_FACT_NODE_ONLINE] = "node-online",
		[CLU_FACT_NODE_STANDBY] = "node-standby",
		[CLU_FACT_NODE_ACTIVE] = "node-active",
		[CLU_FACT_NODE_VERSION] = "node-version",
		[CLU_FACT_NODE_HOSTS_NONE] = "node-hosts-none",
		[CLU_FACT_GROUP_ON] = "group-on",
		[CLU_FACT_GROUP_PLACED_ON] = "group-placed-on",
		[CLU_FACT_GROUP_PINNED] = "group-pinned",
		[CLU_FACT_GROUP_MANAGED] = "group-managed",
		[CLU_FACT_GROUP_BANNED] = "group-banned",
		[CLU_FACT_GROUP_UNBANNED] = "group-unbanned",
	};

	return names[kind];
}

static struct json_object *facts_doc(const struct clu_fact *facts, size_t n)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *fact = json_object_new_object();
		char *text = clu_fact_describe(&facts[i]);

		add_string(fact, "fact", fact_kind_name(facts[i].kind));
		add_string(fact, "node", facts[i].node);
		add_string(fact, "group", facts[i].group);
		add_string(fact, "version", facts[i].version);
		add_string(fact, "text", text);
		free(text);
		json_object_array_add(array, fact);
	}
	return array;
}

/*
 * A prediction: KEY_seconds, KEY_from ("manifest", "journal") and, when
 * learned, KEY_runs; nothing when there is none (from: none).
 */
static void add_prediction(struct json_object *obj, const char *key, unsigned ms,
			   const struct clu_prediction *from)
{
	char name[64];

	if (from->basis == CLU_BASIS_NONE)
		return;
	snprintf(name, sizeof(name), "%s_seconds", key);
	json_object_object_add(obj, name, json_object_new_double(ms / 1000.0));
	snprintf(name, sizeof(name), "%s_from", key);
	add_string(obj, name, clu_basis_name(from->basis));
	snprintf(name, sizeof(name), "%s_runs", key);
	if (from->basis == CLU_BASIS_JOURNAL)
		json_object_object_add(obj, name, json_object_new_int((int)from->runs));
}

struct json_object *clu__plan_doc(const struct clu_plan *plan)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *steps = json_object_new_array();
	struct json_object *guards = json_object_new_array();
	struct json_object *interruptions = json_object_new_object();
	struct json_object *notes = json_object_new_array();

	add_string(doc, "update", plan->update);
	add_string(doc, "version", plan->version);
	add_string(doc, "strategy", clu_strategy_name(plan->strategy));
	add_string(doc, "choice", plan->choice);
	add_prediction(doc, "predicted", plan->predicted_ms, &plan->predicted_from);

	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];
		struct json_object *step = json_object_new_object();
		char *text = clu_step_describe(s, plan);

		json_object_object_add(step, "index", json_object_new_int((int)s->index));
		add_string(step, "action", clu_action_name(s->action));
		add_string(step, "node", s->node);
		add_string(step, "group", s->group);
		add_string(step, "hook", s->hook);
		json_object_object_add(step, "wave", json_object_new_int((int)s->wave));
		json_object_object_add(step, "votes_present", json_object_new_int((int)s->votes_present));
		json_object_object_add(step, "votes_needed", json_object_new_int((int)s->votes_needed));
		json_object_object_add(step, "quorum_margin",
				       json_object_new_int((int)s->votes_present - (int)s->votes_needed));
		add_string(step, "description", text);
		free(text);
		json_object_object_add(step, "pre", facts_doc(s->pre, s->n_pre));
		json_object_object_add(step, "post", facts_doc(s->post, s->n_post));
		if (s->n_interrupts) {
			struct json_object *groups = json_object_new_array();

			for (size_t k = 0; k < s->n_interrupts; k++)
				json_object_array_add(groups, json_object_new_string(s->interrupts[k]));
			json_object_object_add(step, "interrupts", groups);
			add_prediction(step, "interrupts", s->interrupts_ms, &s->interrupts_from);
		}
		add_prediction(step, "predicted", s->predicted_ms, &s->predicted_from);
		json_object_array_add(steps, step);
	}
	json_object_object_add(doc, "steps", steps);

	for (size_t i = 0; i < plan->n_guards; i++) {
		const struct clu_guard *g = &plan->guards[i];
		struct json_object *guard = json_object_new_object();

		add_string(guard, "group", g->group);
		add_string(guard, "node", g->node);
		json_object_object_add(guard, "from", json_object_new_int((int)g->from));
		json_object_object_add(guard, "until", json_object_new_int((int)g->until));
		add_string(guard, "enforced-by", g->enforced_by ? "plan" : "executor");
		if (g->enforced_by)
			json_object_object_add(guard, "ban-step", json_object_new_int((int)g->enforced_by));
		json_object_array_add(guards, guard);
	}
	json_object_object_add(doc, "guards", guards);

	for (size_t i = 0; i < plan->n_interruptions; i++) {
		const struct clu_interruption *in = &plan->interruptions[i];
		struct json_object *entry = json_object_new_object();

		json_object_object_add(entry, "count", json_object_new_int((int)in->count));
		json_object_object_add(entry, "seconds", json_object_new_double(in->ms / 1000.0));
		add_string(entry, "from", clu_basis_name(in->from.basis));
		if (in->from.basis == CLU_BASIS_JOURNAL)
			json_object_object_add(entry, "runs", json_object_new_int((int)in->from.runs));
		json_object_object_add(interruptions, in->group, entry);
	}
	json_object_object_add(doc, "interruptions", interruptions);

	for (size_t i = 0; i < plan->n_notes; i++)
		json_object_array_add(notes, json_object_new_string(plan->notes[i]));
	json_object_object_add(doc, "notes", notes);
	return doc;
}

static struct json_object *strings_doc(char *const *v, size_t n)
{
	struct json_object *array = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(array, json_object_new_string(v[i]));
	return array;
}

struct json_object *clu__cluster_doc(const struct clu_cluster *c)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *nodes = json_object_new_array();
	struct json_object *groups = json_object_new_array();

	add_string(doc, "name", c->name);
	json_object_object_add(doc, "quorum", json_object_new_boolean(c->quorum));
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct clu_node *n = &c->nodes[i];
		struct json_object *node = json_object_new_object();

		add_string(node, "name", n->name);
		json_object_object_add(node, "online", json_object_new_boolean(n->online));
		json_object_object_add(node, "standby", json_object_new_boolean(n->standby));
		json_object_object_add(node, "maintenance", json_object_new_boolean(n->maintenance));
		add_string(node, "version", n->version);
		json_object_array_add(nodes, node);
	}
	json_object_object_add(doc, "nodes", nodes);
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct clu_group *g = &c->groups[i];
		struct json_object *group = json_object_new_object();

		add_string(group, "name", g->name);
		add_string(group, "owner", g->owner);
		json_object_object_add(group, "managed", json_object_new_boolean(g->managed));
		add_string(group, "data-version", g->data_version);
		json_object_object_add(group, "members", strings_doc(g->members, g->n_members));
		json_object_object_add(group, "banned", strings_doc(g->banned, g->n_banned));
		json_object_array_add(groups, group);
	}
	json_object_object_add(doc, "groups", groups);
	return doc;
}

static char *doc_text(struct json_object *doc)
{
	char *text = clu__xstrdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(doc);
	return text;
}

char *clu_plan_to_json(const struct clu_plan *plan)
{
	return doc_text(clu__plan_doc(plan));
}

char *clu_cluster_to_json(const struct clu_cluster *cluster)
{
	return doc_text(clu__cluster_doc(cluster));
}
