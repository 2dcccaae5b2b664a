/*
 * Output (see output.h): the output object, the formats' dispatch, and
 * the conversion of each result into the neutral document the JSON and
 * XML writers share, so that both formats always carry the same data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "clupdate/abort.h"
#include "output-internal.h"
#include "util.h"

int clu_format_parse(const char *name)
{
	if (!strcmp(name, "text"))
		return CLU_FORMAT_TEXT;
	if (!strcmp(name, "json"))
		return CLU_FORMAT_JSON;
	if (!strcmp(name, "xml"))
		return CLU_FORMAT_XML;
	if (!strcmp(name, "html"))
		return CLU_FORMAT_HTML;
	return -1;
}

struct clu_output *clu_output_new(enum clu_format format, FILE *stream, const char *request)
{
	struct clu_output *out = clu__xcalloc(1, sizeof(*out));

	out->format = format;
	out->stream = stream;
	out->request = clu__xstrdup(request);
	out->results = json_object_new_object();
	return out;
}

static void add_string(struct json_object *obj, const char *key, const char *value)
{
	if (value)
		json_object_object_add(obj, key, json_object_new_string(value));
}

const char *clu__iso_time(int64_t ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}

static void add_time(struct json_object *obj, const char *key, int64_t ms)
{
	char buf[40];

	json_object_object_add(obj, key, ms ? json_object_new_string(clu__iso_time(ms, buf, sizeof(buf)))
					    : NULL);
}

static struct json_object *run_summary_doc(const struct clu_run_record *run)
{
	struct json_object *doc = json_object_new_object();

	json_object_object_add(doc, "id", json_object_new_int64(run->id));
	add_string(doc, "update", run->update);
	add_string(doc, "version", run->version);
	add_string(doc, "strategy", run->strategy);
	add_string(doc, "cluster", run->cluster);
	add_string(doc, "manifest", run->manifest_path);
	add_string(doc, "state", clu_run_state_name(run->state));
	add_string(doc, "message", run->message);
	add_time(doc, "started", run->started_real_ms);
	add_time(doc, "ended", run->ended_real_ms);
	if (run->ended_mono_ms)
		json_object_object_add(doc, "wall_ms",
				       json_object_new_int64(run->ended_mono_ms - run->started_mono_ms));
	json_object_object_add(doc, "steps_planned", json_object_new_int((int)run->n_planned));
	return doc;
}

/* A change; one an earlier run made (left in place) says which run. */
static struct json_object *change_doc(const struct clu_change *c, int64_t this_run)
{
	struct json_object *doc = json_object_new_object();

	if (c->run_id != this_run)
		json_object_object_add(doc, "run", json_object_new_int64(c->run_id));

	json_object_object_add(doc, "step", json_object_new_int((int)c->step));
	add_string(doc, "kind", c->kind);
	add_string(doc, "target", c->target);
	add_string(doc, "name", c->name);
	json_object_object_add(doc, "prior", c->prior ? json_object_new_string(c->prior) : NULL);
	json_object_object_add(doc, "value", c->value ? json_object_new_string(c->value) : NULL);
	add_string(doc, "state", clu_change_state_name(c->state));
	add_time(doc, "at", c->at_real_ms);
	return doc;
}

struct json_object *clu__run_doc(const struct clu_run_record *run, bool detail)
{
	struct json_object *doc = run_summary_doc(run);
	struct json_object *steps = json_object_new_array();
	struct json_object *changes = json_object_new_array();
	struct json_object *remaining = json_object_new_array();
	struct json_object *events = json_object_new_array();

	for (size_t i = 0; i < run->n_steps; i++) {
		const struct clu_step_record *s = &run->steps[i];
		struct json_object *step = json_object_new_object();

		json_object_object_add(step, "index", json_object_new_int((int)s->step));
		json_object_object_add(step, "attempt", json_object_new_int((int)s->attempt));
		add_string(step, "action", s->action);
		add_string(step, "node", s->node);
		add_string(step, "group", s->group);
		add_string(step, "description", s->description);
		add_string(step, "state", clu_step_state_name(s->state));
		add_time(step, "started", s->started_real_ms);
		add_time(step, "ended", s->ended_real_ms);
		if (s->ended_mono_ms)
			json_object_object_add(step, "duration_ms",
					       json_object_new_int64(s->ended_mono_ms - s->started_mono_ms));
		if (s->exit_code >= 0)
			json_object_object_add(step, "exit_code", json_object_new_int(s->exit_code));
		add_string(step, "message", s->message);
		if (detail)
			add_string(step, "output", s->output);
		json_object_array_add(steps, step);
	}
	json_object_object_add(doc, "steps", steps);
	for (size_t i = 0; i < run->n_changes; i++) {
		const struct clu_change *c = &run->changes[i];

		json_object_array_add(changes, change_doc(c, run->id));
		if ((c->state == CLU_CHANGE_APPLIED || c->state == CLU_CHANGE_INTENDED) &&
		    strcmp(c->kind, "property"))
			json_object_array_add(remaining, change_doc(c, run->id));
	}
	for (size_t i = 0; i < run->n_left_earlier; i++)
		json_object_array_add(remaining, change_doc(&run->left_earlier[i], run->id));
	json_object_object_add(doc, "changes", changes);
	json_object_object_add(doc, "remaining", remaining);
	for (size_t i = 0; i < run->n_events; i++) {
		const struct clu_event_record *e = &run->events[i];
		struct json_object *event = json_object_new_object();

		add_time(event, "at", e->at_real_ms);
		json_object_object_add(event, "at_mono_ms", json_object_new_int64(e->at_mono_ms));
		add_string(event, "kind", e->kind);
		add_string(event, "source", e->source);
		add_string(event, "group", e->group);
		add_string(event, "detail", e->detail);
		json_object_array_add(events, event);
	}
	json_object_object_add(doc, "events", events);
	return doc;
}

void clu_output_run(struct clu_output *out, const struct clu_run_record *run, bool detail)
{
	if (out->format == CLU_FORMAT_TEXT)
		clu__text_run(out->stream, run, detail);
	else
		json_object_object_add(out->results, "run", clu__run_doc(run, detail));
}

/* The outage windows, and per group their count and total. */
static void report_outages(struct json_object *doc, const struct clu_report *r)
{
	struct json_object *groups = json_object_new_object();
	struct json_object *outages = json_object_new_array();

	for (size_t i = 0; i < r->n_outages; i++) {
		const struct clu_outage *o = &r->outages[i];
		struct json_object *outage = json_object_new_object();
		struct json_object *group = json_object_object_get(groups, o->group ? o->group : "?");

		add_string(outage, "group", o->group);
		add_string(outage, "probe", o->probe);
		add_time(outage, "start", o->start_real_ms);
		add_time(outage, "end", o->start_real_ms + (o->end_ms - o->start_ms));
		json_object_object_add(outage, "start_ms", json_object_new_int64(o->start_ms));
		json_object_object_add(outage, "end_ms", json_object_new_int64(o->end_ms));
		json_object_object_add(outage, "duration_ms", json_object_new_int64(o->end_ms - o->start_ms));
		json_object_object_add(outage, "open", json_object_new_boolean(o->open));
		json_object_object_add(outage, "step", json_object_new_int((int)o->step));
		add_string(outage, "step_action", o->step_action);
		add_string(outage, "step_node", o->step_node);
		json_object_array_add(outages, outage);
		if (!group) {
			group = json_object_new_object();
			json_object_object_add(group, "interruptions", json_object_new_int(0));
			json_object_object_add(group, "outage_ms", json_object_new_int64(0));
			json_object_object_add(groups, o->group ? o->group : "?", group);
		}
		json_object_object_add(group, "interruptions", json_object_new_int(
			json_object_get_int(json_object_object_get(group, "interruptions")) + 1));
		json_object_object_add(group, "outage_ms", json_object_new_int64(
			json_object_get_int64(json_object_object_get(group, "outage_ms")) +
			o->end_ms - o->start_ms));
	}
	json_object_object_add(doc, "groups", groups);
	json_object_object_add(doc, "outages", outages);
}

static void report_steps(struct json_object *doc, const struct clu_report *r)
{
	struct json_object *steps = json_object_new_array();

	for (size_t i = 0; i < r->n_steps; i++) {
		const struct clu_report_step *s = &r->steps[i];
		struct json_object *step = json_object_new_object();

		json_object_object_add(step, "index", json_object_new_int((int)s->index));
		json_object_object_add(step, "attempt", json_object_new_int((int)s->attempt));
		add_string(step, "action", s->action);
		add_string(step, "node", s->node);
		add_string(step, "group", s->group);
		add_string(step, "state", s->state);
		json_object_object_add(step, "start_ms", json_object_new_int64(s->start_ms));
		json_object_object_add(step, "end_ms", json_object_new_int64(s->end_ms));
		json_object_object_add(step, "duration_ms", json_object_new_int64(s->end_ms - s->start_ms));
		json_object_array_add(steps, step);
	}
	json_object_object_add(doc, "steps", steps);
}

/* The service windows the installers reported, and the probes' own figures. */
static void report_service_and_probes(struct json_object *doc, const struct clu_report *r)
{
	struct json_object *service = json_object_new_array();
	struct json_object *probes = json_object_new_array();

	for (size_t i = 0; i < r->n_service; i++) {
		const struct clu_service_window *w = &r->service[i];
		struct json_object *window = json_object_new_object();

		add_string(window, "node", w->node);
		json_object_object_add(window, "stopped_ms", json_object_new_int64(w->stopped_ms));
		json_object_object_add(window, "started_ms", w->started_ms >= 0 ?
				       json_object_new_int64(w->started_ms) : NULL);
		if (w->started_ms >= 0)
			json_object_object_add(window, "duration_ms",
					       json_object_new_int64(w->started_ms - w->stopped_ms));
		json_object_array_add(service, window);
	}
	json_object_object_add(doc, "service_windows", service);
	for (size_t i = 0; i < r->n_probes; i++) {
		const struct clu_report_probe *p = &r->probes[i];
		struct json_object *probe = json_object_new_object();

		add_string(probe, "name", p->name);
		add_string(probe, "group", p->group);
		json_object_object_add(probe, "probes", json_object_new_int((int)p->probes));
		json_object_object_add(probe, "failures", json_object_new_int((int)p->failures));
		json_object_object_add(probe, "cpu_ms", json_object_new_int64(p->cpu_ms));
		json_object_object_add(probe, "start_ms", json_object_new_int64(p->start_ms));
		json_object_object_add(probe, "stop_ms", json_object_new_int64(p->stop_ms));
		json_object_object_add(probe, "longest_outage_ms", json_object_new_int64(p->longest_ms));
		json_object_object_add(probe, "max_outage_ms", p->budget_ms ?
				       json_object_new_int64(p->budget_ms) : NULL);
		json_object_object_add(probe, "over_budget", json_object_new_boolean(p->over_budget));
		json_object_object_add(probe, "back_after_switchover_ms", p->back_ms >= 0 ?
				       json_object_new_int64(p->back_ms) : NULL);
		json_object_object_add(probe, "back", json_object_new_boolean(!p->not_back));
		json_object_array_add(probes, probe);
	}
	json_object_object_add(doc, "probes", probes);
}

/* A figure in ms, or null when unknown (< 0). */
static struct json_object *ms_or_null(int64_t ms)
{
	return ms < 0 ? NULL : json_object_new_int64(ms);
}

static void add_basis(struct json_object *obj, const char *key, const char *from,
		      const char *runs_key, unsigned runs)
{
	add_string(obj, key, from);
	if (from && !strcmp(from, "journal"))
		json_object_object_add(obj, runs_key, json_object_new_int((int)runs));
}

/* What the run's plan predicted, against what was measured. */
static void report_prediction(struct json_object *doc, const struct clu_report *r)
{
	struct json_object *prediction = json_object_new_object();
	struct json_object *groups = json_object_new_object();

	json_object_object_add(prediction, "duration_ms", ms_or_null(r->predicted_ms));
	add_basis(prediction, "duration_from", r->predicted_from, "duration_runs",
		  r->predicted_runs);
	json_object_object_add(prediction, "measured_duration_ms", json_object_new_int64(r->wall_ms));
	for (size_t i = 0; i < r->n_groups; i++) {
		const struct clu_report_group *g = &r->groups[i];
		struct json_object *group = json_object_new_object();

		json_object_object_add(group, "predicted_ms", ms_or_null(g->predicted_ms));
		json_object_object_add(group, "predicted_windows",
				       json_object_new_int((int)g->predicted_windows));
		add_basis(group, "predicted_from", g->predicted_from, "predicted_runs",
			  g->predicted_runs);
		json_object_object_add(group, "measured_ms", ms_or_null(g->measured_ms));
		json_object_object_add(group, "measured_windows",
				       json_object_new_int((int)g->measured_windows));
		json_object_object_add(groups, g->group, group);
	}
	json_object_object_add(prediction, "groups", groups);
	json_object_object_add(doc, "prediction", prediction);
}

struct json_object *clu__report_doc(const struct clu_report *r)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *nodes = json_object_new_array();
	struct json_object *lost_ids = json_object_new_array();

	json_object_object_add(doc, "run", json_object_new_int64(r->run_id));
	add_string(doc, "update", r->update);
	add_string(doc, "version", r->version);
	add_string(doc, "strategy", r->strategy);
	add_string(doc, "cluster", r->cluster);
	add_string(doc, "state", r->state);
	json_object_object_add(doc, "wall_ms", json_object_new_int64(r->wall_ms));
	json_object_object_add(doc, "installer_ms", json_object_new_int64(r->installer_ms));
	json_object_object_add(doc, "engine_wait_ms", json_object_new_int64(r->engine_wait_ms));
	json_object_object_add(doc, "overhead_ms", json_object_new_int64(r->overhead_ms));
	json_object_object_add(doc, "acknowledged", json_object_new_int64((int64_t)r->acknowledged));
	json_object_object_add(doc, "lost", r->lost_checked ?
			       json_object_new_int64((int64_t)r->lost) : NULL);
	for (size_t i = 0; i < r->n_lost_ids; i++)
		json_object_array_add(lost_ids, json_object_new_string(r->lost_ids[i]));
	json_object_object_add(doc, "lost_ids", lost_ids);
	report_outages(doc, r);
	report_steps(doc, r);
	report_service_and_probes(doc, r);
	report_prediction(doc, r);
	for (size_t i = 0; i < r->n_nodes; i++)
		json_object_array_add(nodes, json_object_new_string(r->nodes[i]));
	json_object_object_add(doc, "nodes", nodes);
	return doc;
}

void clu_output_report(struct clu_output *out, const struct clu_report *report)
{
	if (out->format == CLU_FORMAT_TEXT)
		clu__text_report(out->stream, report);
	else
		json_object_object_add(out->results, "report", clu__report_doc(report));
}

void clu_output_history(struct clu_output *out, const struct clu_run_record *runs, size_t n)
{
	struct json_object *list;

	if (out->format == CLU_FORMAT_TEXT) {
		clu__text_history(out->stream, runs, n);
		return;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, run_summary_doc(&runs[i]));
	json_object_object_add(out->results, "runs", list);
}

static struct json_object *items_doc(const struct clu_remaining *items, size_t n)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_new_object();

		add_string(item, "what", items[i].what);
		add_string(item, "why", items[i].why);
		json_object_array_add(list, item);
	}
	return list;
}

void clu_output_abort(struct clu_output *out, const struct clu_abort_result *r)
{
	struct json_object *doc, *runs;

	if (out->format == CLU_FORMAT_TEXT) {
		clu__text_abort(out->stream, r);
		return;
	}
	doc = json_object_new_object();
	if (r->run_id)
		json_object_object_add(doc, "run", json_object_new_int64(r->run_id));
	add_string(doc, "stopped", r->stopped);
	json_object_object_add(doc, "restored", items_doc(r->restored, r->n_restored));
	json_object_object_add(doc, "kept", items_doc(r->kept, r->n_kept));
	runs = json_object_new_array();
	for (size_t i = 0; i < r->n_aborted; i++)
		json_object_array_add(runs, json_object_new_int64(r->aborted[i]));
	json_object_object_add(doc, "aborted_runs", runs);
	json_object_object_add(out->results, "abort", doc);
}

void clu_output_plan(struct clu_output *out, const struct clu_plan *plan,
		     const struct clu_manifest *manifest, const struct clu_cluster *cluster)
{
	if (out->format == CLU_FORMAT_TEXT)
		clu__text_plan(out->stream, plan, manifest, cluster);
	else
		json_object_object_add(out->results, "plan", clu__plan_doc(plan));
}

int clu_output_finish(struct clu_output *out, int code, const char *message)
{
	int ret = 0;

	switch (out->format) {
	case CLU_FORMAT_TEXT:
		break;
	case CLU_FORMAT_JSON:
		ret = clu__write_json(out->stream, out->request, out->results, code, message);
		break;
	case CLU_FORMAT_XML:
		ret = clu__write_xml(out->stream, out->request, out->results, code, message);
		break;
	case CLU_FORMAT_HTML:
		/* A page has no envelope: the report, or nothing (errors go to stderr). */
		if (!code && json_object_object_get(out->results, "report"))
			ret = clu__write_html(out->stream, json_object_object_get(out->results, "report"));
		break;
	}
	if (fflush(out->stream) || ferror(out->stream))
		ret = CLU_E_IO;
	json_object_put(out->results);
	free(out->request);
	free(out);
	return ret;
}
