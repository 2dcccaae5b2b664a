/*
 * The run report (see report.h): one pass over a run's steps and events,
 * and the predictions of the plan the journal kept with the run (its JSON
 * document, model-json.h) set against what was measured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clupdate/report.h"
#include "util.h"

static struct clu_report_probe *probe_of(struct clu_report *r, const char *name,
					 const char *group)
{
	for (size_t i = 0; i < r->n_probes; i++)
		if (clu__streq(r->probes[i].name, name))
			return &r->probes[i];
	r->probes = clu__xrealloc(r->probes, (r->n_probes + 1) * sizeof(*r->probes));
	memset(&r->probes[r->n_probes], 0, sizeof(*r->probes));
	r->probes[r->n_probes].name = clu__xstrdup(name ? name : "?");
	r->probes[r->n_probes].group = clu__xstrdup_or_null(group);
	r->probes[r->n_probes].back_ms = -1;
	return &r->probes[r->n_probes++];
}

/* The step (last attempt) running at offset t, or NULL. */
static const struct clu_report_step *step_at(const struct clu_report *r, int64_t t)
{
	const struct clu_report_step *found = NULL;

	for (size_t i = 0; i < r->n_steps; i++)
		if (r->steps[i].start_ms <= t && t <= r->steps[i].end_ms)
			found = &r->steps[i];
	/* Between steps: the one that ended last before t caused it. */
	if (!found)
		for (size_t i = 0; i < r->n_steps; i++)
			if (r->steps[i].end_ms <= t)
				found = &r->steps[i];
	return found;
}

static void add_node(struct clu_report *r, const char *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < r->n_nodes; i++)
		if (!strcmp(r->nodes[i], node))
			return;
	r->nodes = clu__xrealloc(r->nodes, (r->n_nodes + 1) * sizeof(char *));
	r->nodes[r->n_nodes++] = clu__xstrdup(node);
}

static void add_outage(struct clu_report *r, const struct clu_event_record *down, int64_t base)
{
	struct clu_outage *o;

	r->outages = clu__xrealloc(r->outages, (r->n_outages + 1) * sizeof(*o));
	o = &r->outages[r->n_outages++];
	memset(o, 0, sizeof(*o));
	o->group = clu__xstrdup_or_null(down->group);
	o->probe = clu__xstrdup_or_null(down->source);
	o->start_ms = down->at_mono_ms - base;
	o->end_ms = o->start_ms;
	o->open = true;
	o->start_real_ms = down->at_real_ms;
}

static struct clu_outage *open_outage(struct clu_report *r, const char *probe)
{
	for (size_t i = r->n_outages; i-- > 0; )
		if (r->outages[i].open && clu__streq(r->outages[i].probe, probe))
			return &r->outages[i];
	return NULL;
}

static void split_ids(struct clu_report *r, const char *list)
{
	char *copy = clu__xstrdup(list), *save = NULL;

	for (char *id = strtok_r(copy, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
		r->lost_ids = clu__xrealloc(r->lost_ids, (r->n_lost_ids + 1) * sizeof(char *));
		r->lost_ids[r->n_lost_ids++] = clu__xstrdup(id);
	}
	free(copy);
}

static long long detail_field(const char *detail, const char *key)
{
	const char *p = detail ? strstr(detail, key) : NULL;

	return p ? atoll(p + strlen(key)) : 0;
}

static void read_steps(struct clu_report *r, const struct clu_run_record *run, int64_t base)
{
	for (size_t i = 0; i < run->n_steps; i++) {
		const struct clu_step_record *s = &run->steps[i];
		struct clu_report_step *rs;

		r->steps = clu__xrealloc(r->steps, (r->n_steps + 1) * sizeof(*rs));
		rs = &r->steps[r->n_steps++];
		rs->index = s->step;
		rs->attempt = s->attempt;
		rs->action = clu__xstrdup(s->action);
		rs->node = clu__xstrdup_or_null(s->node);
		rs->group = clu__xstrdup_or_null(s->group);
		rs->state = clu__xstrdup(clu_step_state_name(s->state));
		rs->start_ms = s->started_mono_ms - base;
		rs->end_ms = (s->ended_mono_ms ? s->ended_mono_ms : s->started_mono_ms) - base;
		if (!strcmp(s->action, "install") && s->ended_mono_ms)
			r->installer_ms += s->ended_mono_ms - s->started_mono_ms;
		add_node(r, s->node);
	}
}

static void read_events(struct clu_report *r, const struct clu_run_record *run, int64_t base)
{
	for (size_t i = 0; i < run->n_events; i++) {
		const struct clu_event_record *e = &run->events[i];
		int64_t t = e->at_mono_ms - base;
		struct clu_outage *o;

		if (!strcmp(e->kind, "probe-down")) {
			add_outage(r, e, base);
		} else if (!strcmp(e->kind, "probe-up") && (o = open_outage(r, e->source))) {
			o->end_ms = t;
			o->open = false;
		} else if (!strcmp(e->kind, "probe-start")) {
			probe_of(r, e->source, e->group)->start_ms = t;
		} else if (!strcmp(e->kind, "probe-stop")) {
			struct clu_report_probe *p = probe_of(r, e->source, e->group);

			p->stop_ms = t;
			p->probes = (unsigned)detail_field(e->detail, "probes=");
			p->failures = (unsigned)detail_field(e->detail, "failures=");
			p->cpu_ms = detail_field(e->detail, "cpu_ms=");
			if ((o = open_outage(r, e->source)))
				o->end_ms = t;   /* still down at the end: open, cut here */
		} else if (!strcmp(e->kind, "probe-acknowledged")) {
			const char *d = e->detail ? e->detail : "";

			r->acknowledged += *d ? 1 : 0;
			for (; *d; d++)
				r->acknowledged += *d == ' ';
		} else if (!strcmp(e->kind, "probe-checked")) {
			r->lost_checked = true;
		} else if (!strcmp(e->kind, "probe-lost")) {
			split_ids(r, e->detail ? e->detail : "");
		} else if (!strcmp(e->kind, "outage-budget")) {
			probe_of(r, e->source, e->group)->budget_ms = detail_field(e->detail,
										   "budget_ms=");
		} else if (!strcmp(e->kind, "outage-budget-exceeded")) {
			probe_of(r, e->source, e->group)->over_budget = true;
		} else if (!strcmp(e->kind, "service-back")) {
			struct clu_report_probe *p = probe_of(r, e->source, e->group);

			p->not_back = e->detail && strstr(e->detail, "not back");
			p->back_ms = p->not_back ? detail_field(e->detail, "timeout_ms=")
						 : detail_field(e->detail, "ms=");
		} else if (!strcmp(e->kind, "cluster-wait")) {
			r->engine_wait_ms += detail_field(e->detail, "ms=");
		} else if (!strcmp(e->kind, "service-stopped")) {
			r->service = clu__xrealloc(r->service, (r->n_service + 1) * sizeof(*r->service));
			r->service[r->n_service].node = clu__xstrdup_or_null(e->source);
			r->service[r->n_service].stopped_ms = t;
			r->service[r->n_service].started_ms = -1;
			r->n_service++;
		} else if (!strcmp(e->kind, "service-started")) {
			for (size_t k = r->n_service; k-- > 0; )
				if (clu__streq(r->service[k].node, e->source) && r->service[k].started_ms < 0) {
					r->service[k].started_ms = t;
					break;
				}
		}
	}
	r->lost = r->n_lost_ids;
}

/* Each probe's longest window, against its budget. */
static void measure_budgets(struct clu_report *r)
{
	for (size_t i = 0; i < r->n_outages; i++) {
		const struct clu_outage *o = &r->outages[i];

		for (size_t k = 0; k < r->n_probes; k++) {
			struct clu_report_probe *p = &r->probes[k];

			if (!clu__streq(p->name, o->probe) || o->end_ms - o->start_ms <= p->longest_ms)
				continue;
			p->longest_ms = o->end_ms - o->start_ms;
			if (p->budget_ms && p->longest_ms > p->budget_ms)
				p->over_budget = true;
		}
	}
}

static struct clu_report_group *group_of(struct clu_report *r, const char *name)
{
	struct clu_report_group *g;

	for (size_t i = 0; i < r->n_groups; i++)
		if (clu__streq(r->groups[i].group, name))
			return &r->groups[i];
	r->groups = clu__xrealloc(r->groups, (r->n_groups + 1) * sizeof(*r->groups));
	g = &r->groups[r->n_groups++];
	memset(g, 0, sizeof(*g));
	g->group = clu__xstrdup(name);
	g->predicted_ms = -1;
	g->measured_ms = -1;
	return g;
}

static int64_t seconds_ms(struct json_object *obj, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ?
	       (int64_t)(json_object_get_double(v) * 1000.0 + 0.5) : -1;
}

static void basis_of(struct json_object *obj, const char *from_key, const char *runs_key,
		     char **from, unsigned *runs)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, from_key, &v))
		*from = clu__xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(obj, runs_key, &v))
		*runs = (unsigned)json_object_get_int(v);
}

/* What the plan kept with the run predicted: its duration, each group's interruption. */
static void read_predictions(struct clu_report *r, const struct clu_run_record *run)
{
	struct json_object *plan = run->plan_json ? json_tokener_parse(run->plan_json) : NULL;
	struct json_object *interruptions;

	r->predicted_ms = -1;
	if (!plan)
		return;
	r->predicted_ms = seconds_ms(plan, "predicted_seconds");
	basis_of(plan, "predicted_from", "predicted_runs", &r->predicted_from, &r->predicted_runs);
	if (json_object_object_get_ex(plan, "interruptions", &interruptions) &&
	    json_object_is_type(interruptions, json_type_object)) {
		json_object_object_foreach(interruptions, name, entry) {
			struct clu_report_group *g = group_of(r, name);
			struct json_object *count;

			g->predicted_ms = seconds_ms(entry, "seconds");
			if (json_object_object_get_ex(entry, "count", &count))
				g->predicted_windows = (unsigned)json_object_get_int(count);
			basis_of(entry, "from", "runs", &g->predicted_from, &g->predicted_runs);
		}
	}
	json_object_put(plan);
}

/*
 * Each probed group's measured interruption: per probe, its windows added
 * up; the group's is its probe that saw the most (two probes of one group
 * see the same outage, not two).
 */
static void measure_groups(struct clu_report *r)
{
	for (size_t k = 0; k < r->n_probes; k++) {
		const struct clu_report_probe *p = &r->probes[k];
		struct clu_report_group *g;
		int64_t ms = 0;
		unsigned windows = 0;

		if (!p->group)
			continue;
		for (size_t i = 0; i < r->n_outages; i++)
			if (clu__streq(r->outages[i].probe, p->name)) {
				ms += r->outages[i].end_ms - r->outages[i].start_ms;
				windows++;
			}
		g = group_of(r, p->group);
		if (ms > g->measured_ms) {
			g->measured_ms = ms;
			g->measured_windows = windows;
		}
	}
}

int clu_report_make(struct clu_report *r, const struct clu_run_record *run, struct clu_err *err)
{
	int64_t base = run->started_mono_ms;
	int64_t end = run->ended_mono_ms;

	memset(r, 0, sizeof(*r));
	if (!base)
		return clu_err_set(err, CLU_E_JOURNAL, "run %lld has no start time", (long long)run->id);
	r->run_id = run->id;
	r->update = clu__xstrdup(run->update);
	r->version = clu__xstrdup(run->version);
	r->strategy = clu__xstrdup(run->strategy);
	r->cluster = clu__xstrdup(run->cluster);
	r->state = clu__xstrdup(clu_run_state_name(run->state));
	read_predictions(r, run);
	read_steps(r, run, base);
	read_events(r, run, base);
	measure_budgets(r);
	measure_groups(r);
	for (size_t i = 0; i < r->n_outages; i++) {
		const struct clu_report_step *s = step_at(r, r->outages[i].start_ms);

		if (s) {
			r->outages[i].step = s->index;
			r->outages[i].step_action = clu__xstrdup(s->action);
			r->outages[i].step_node = clu__xstrdup_or_null(s->node);
		}
	}
	if (!end && r->n_steps)
		end = base + r->steps[r->n_steps - 1].end_ms;
	r->wall_ms = end ? end - base : 0;
	r->overhead_ms = r->wall_ms - r->installer_ms - r->engine_wait_ms;
	return 0;
}

void clu_report_release(struct clu_report *r)
{
	for (size_t i = 0; i < r->n_outages; i++) {
		free(r->outages[i].group);
		free(r->outages[i].probe);
		free(r->outages[i].step_action);
		free(r->outages[i].step_node);
	}
	for (size_t i = 0; i < r->n_steps; i++) {
		free(r->steps[i].action);
		free(r->steps[i].node);
		free(r->steps[i].group);
		free(r->steps[i].state);
	}
	for (size_t i = 0; i < r->n_service; i++)
		free(r->service[i].node);
	for (size_t i = 0; i < r->n_probes; i++) {
		free(r->probes[i].name);
		free(r->probes[i].group);
	}
	for (size_t i = 0; i < r->n_lost_ids; i++)
		free(r->lost_ids[i]);
	for (size_t i = 0; i < r->n_nodes; i++)
		free(r->nodes[i]);
	free(r->outages);
	free(r->steps);
	free(r->service);
	free(r->probes);
	free(r->lost_ids);
	free(r->nodes);
	for (size_t i = 0; i < r->n_groups; i++) {
		free(r->groups[i].group);
		free(r->groups[i].predicted_from);
	}
	free(r->groups);
	free(r->predicted_from);
	free(r->update);
	free(r->version);
	free(r->strategy);
	free(r->cluster);
	free(r->state);
	memset(r, 0, sizeof(*r));
}
