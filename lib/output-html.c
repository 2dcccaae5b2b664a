/*
 * The HTML writer: a run's report (the document of clu__report_doc) as one
 * self-contained page, for a person to open after a run or to attach to a
 * change ticket. No scripts and no external resources: inline CSS and one
 * inline SVG, so the page shows the same offline, in a mail or a browser.
 *
 * The page has a header (what was updated, where, how it ended), the
 * summary (wall time split into installers, engine waits and clupdate's
 * overhead; messages acknowledged and lost), the interruptions per group,
 * a timeline, and the tables behind it. The timeline's x axis is seconds
 * from the run's start; there is a lane per node with its steps as bars
 * coloured by kind of action and the installers' own service windows as a
 * thin band under them, and a lane per probe with its outage windows in
 * red, so that what users saw lines up with the step that caused it.
 *
 * Every string of the document is escaped: node, group and probe names
 * come from the cluster and the manifest, not from us.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "output-internal.h"

/* Geometry of the timeline, in SVG user units (= CSS px at 1:1). */
#define SVG_WIDTH      1140
#define LABEL_WIDTH    150
#define PLOT_X         (LABEL_WIDTH + 10)
#define PLOT_WIDTH     (SVG_WIDTH - PLOT_X - 20)
#define AXIS_HEIGHT    30
#define NODE_LANE      40
#define PROBE_LANE     30
#define SECTION_GAP    22
#define MIN_BAR_PX     2.0
#define RUNNING_STUB_PX 12.0

/* The outage colour: the CLI test looks for its pixels in a screenshot. */
#define OUTAGE_RED     "#d62728"
#define SERVICE_BAND   "#333333"
#define PROBE_UP       "#dcefd9"
#define OTHER_ACTION   "#9a9a9a"

/* Kinds of action, each with the colour of its bars (the CLI test looks for install's). */
static const struct action_kind {
	const char *label;
	const char *colour;
	const char *actions[4];
} action_kinds[] = {
	{ "pin / unpin",        "#8c6bc8", { "pin", "unpin" } },
	{ "drain / undrain",    "#f0922b", { "drain", "undrain" } },
	{ "install",            "#2f6fd0", { "install" } },
	{ "verify",             "#2e9e5b", { "verify" } },
	{ "hooks",              "#a0764f", { "pre-hook", "post-hook" } },
	{ "move / ban / clear", "#1aa3b8", { "move", "ban", "clear" } },
};

/* The lane of steps that name no node (e.g. clear). */
static const char no_node_lane[] = "(cluster)";

/* ---- reading the document ---------------------------------------------- */

static struct json_object *field(struct json_object *obj, const char *key)
{
	return obj ? json_object_object_get(obj, key) : NULL;
}

/* A string field, or NULL when absent or null. */
static const char *text_of(struct json_object *obj, const char *key)
{
	struct json_object *v = field(obj, key);

	return v ? json_object_get_string(v) : NULL;
}

static int64_t ms_of(struct json_object *obj, const char *key)
{
	return json_object_get_int64(field(obj, key));
}

static bool known(struct json_object *obj, const char *key)
{
	return field(obj, key) != NULL;
}

/* The length of an array field; 0 when it is missing or not an array. */
static size_t count(struct json_object *array)
{
	return json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;
}

static struct json_object *item(struct json_object *array, size_t i)
{
	return json_object_array_get_idx(array, i);
}

/* ---- writing ------------------------------------------------------------- */

/* Text and attribute values alike: the five characters that matter. */
static void escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void escaped_or(FILE *f, const char *s, const char *absent)
{
	escaped(f, s ? s : absent);
}

/* "12.3 s" for summaries, "0.050 s" for short windows. */
static void seconds(FILE *f, int64_t ms)
{
	if (ms >= 100000 || ms <= -100000)
		fprintf(f, "%.1f s", ms / 1000.0);
	else
		fprintf(f, "%.3f s", ms / 1000.0);
}

static const char *action_colour(const char *action)
{
	for (size_t k = 0; k < sizeof(action_kinds) / sizeof(action_kinds[0]); k++)
		for (size_t a = 0; a < 4 && action_kinds[k].actions[a]; a++)
			if (action && !strcmp(action, action_kinds[k].actions[a]))
				return action_kinds[k].colour;
	return OTHER_ACTION;
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- lanes --------------------------------------------------------------- */

/*
 * The names of the lanes of one section, in order of first appearance. A
 * cluster has at most 32 nodes; lanes beyond what fits here are left out.
 */
struct lanes {
	const char *name[64];
	size_t n;
};

static void lane_add(struct lanes *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			return;
	if (l->n < sizeof(l->name) / sizeof(l->name[0]))
		l->name[l->n++] = name;
}

static const char *step_lane(struct json_object *step)
{
	const char *node = text_of(step, "node");

	return node ? node : no_node_lane;
}

/* Nodes: the document's list, then any other node a step or window names. */
static void node_lanes(struct json_object *report, struct lanes *l)
{
	struct json_object *nodes = field(report, "nodes");
	struct json_object *steps = field(report, "steps");
	struct json_object *service = field(report, "service_windows");

	for (size_t i = 0; i < count(nodes); i++)
		if (json_object_get_string(item(nodes, i)))
			lane_add(l, json_object_get_string(item(nodes, i)));
	for (size_t i = 0; i < count(steps); i++)
		lane_add(l, step_lane(item(steps, i)));
	for (size_t i = 0; i < count(service); i++)
		if (text_of(item(service, i), "node"))
			lane_add(l, text_of(item(service, i), "node"));
}

/* Probes: those that ran, then any that only an outage names. */
static void probe_lanes(struct json_object *report, struct lanes *l)
{
	struct json_object *probes = field(report, "probes");
	struct json_object *outages = field(report, "outages");

	for (size_t i = 0; i < count(probes); i++)
		lane_add(l, text_of(item(probes, i), "name") ? text_of(item(probes, i), "name") : "?");
	for (size_t i = 0; i < count(outages); i++)
		lane_add(l, text_of(item(outages, i), "probe") ? text_of(item(outages, i), "probe") : "?");
}

/* ---- the time scale ------------------------------------------------------ */

struct scale {
	int64_t span_ms;       /* the axis runs from 0 to span_ms */
	int64_t tick_ms;
};

static int64_t later(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The axis covers the run and everything recorded in it, at least 1 s. */
static int64_t span_of(struct json_object *report)
{
	struct json_object *steps = field(report, "steps");
	struct json_object *outages = field(report, "outages");
	struct json_object *probes = field(report, "probes");
	struct json_object *service = field(report, "service_windows");
	int64_t span = later(ms_of(report, "wall_ms"), 1000);

	for (size_t i = 0; i < count(steps); i++)
		span = later(span, ms_of(item(steps, i), "end_ms"));
	for (size_t i = 0; i < count(outages); i++)
		span = later(span, ms_of(item(outages, i), "end_ms"));
	for (size_t i = 0; i < count(probes); i++)
		span = later(span, ms_of(item(probes, i), "stop_ms"));
	for (size_t i = 0; i < count(service); i++)
		span = later(span, later(ms_of(item(service, i), "stopped_ms"),
					 ms_of(item(service, i), "started_ms")));
	return span;
}

/* A round tick interval giving at most 12 ticks. */
static int64_t tick_of(int64_t span)
{
	static const int64_t nice[] = { 1, 2, 5 };
	int64_t decade = 1;

	for (;;) {
		for (size_t i = 0; i < 3; i++)
			if (span / (nice[i] * decade) <= 12)
				return nice[i] * decade;
		decade *= 10;
	}
}

static double x_at(const struct scale *s, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	return PLOT_X + (double)ms * PLOT_WIDTH / (double)s->span_ms;
}

/* The width of [from, to], never under MIN_BAR_PX: a 50 ms window stays visible. */
static double width_of(const struct scale *s, int64_t from, int64_t to)
{
	double w = x_at(s, to) - x_at(s, from);

	return w < MIN_BAR_PX ? MIN_BAR_PX : w;
}

static void tick_label(FILE *f, int64_t ms, int64_t tick)
{
	int decimals = tick % 1000 == 0 ? 0 : tick % 100 == 0 ? 1 : tick % 10 == 0 ? 2 : 3;

	fprintf(f, "%.*f s", decimals, ms / 1000.0);
}

/* Grid lines through every lane, labels on top, the caption below. */
static void axis(FILE *f, const struct scale *s, int height)
{
	fputs("<g class=\"axis\">\n", f);
	for (int64_t t = 0; t <= s->span_ms; t += s->tick_ms) {
		double x = x_at(s, t);

		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
			"<text x=\"%.1f\" y=\"%d\" class=\"tick\">", x, AXIS_HEIGHT - 6, x,
			height - 24, x, AXIS_HEIGHT - 11);
		tick_label(f, t, s->tick_ms);
		fputs("</text>\n", f);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"caption\">seconds from the run's start</text>\n",
		PLOT_X + PLOT_WIDTH / 2, height - 6);
	fputs("</g>\n", f);
}

/* ---- the node lanes ------------------------------------------------------ */

static void step_tooltip(FILE *f, struct json_object *step)
{
	fprintf(f, "<title>step %d: ", json_object_get_int(field(step, "index")));
	escaped_or(f, text_of(step, "action"), "?");
	if (text_of(step, "group")) {
		fputs(" ", f);
		escaped(f, text_of(step, "group"));
	}
	if (text_of(step, "node")) {
		fputs(" on ", f);
		escaped(f, text_of(step, "node"));
	}
	if (same(text_of(step, "state"), "running")) {
		fputs(", running since +", f);
		seconds(f, ms_of(step, "start_ms"));
		fputs("</title>", f);
		return;
	}
	fputs(", ", f);
	seconds(f, ms_of(step, "duration_ms"));
	fputs(" from +", f);
	seconds(f, ms_of(step, "start_ms"));
	fputs(", ", f);
	escaped_or(f, text_of(step, "state"), "?");
	fputs("</title>", f);
}

/* A step as a bar; failed ones hatched and outlined, running ones dashed. */
static void step_bar(FILE *f, const struct scale *s, struct json_object *step, int y)
{
	const char *state = text_of(step, "state");
	const char *action = text_of(step, "action");
	int64_t start = ms_of(step, "start_ms"), end = ms_of(step, "end_ms");
	bool failed = same(state, "failed"), running = same(state, "running");
	double x = x_at(s, start), w = width_of(s, start, end);

	/* A running step has no end yet: a stub that says so. */
	if (running && w < RUNNING_STUB_PX)
		w = RUNNING_STUB_PX;

	fprintf(f, "<g class=\"step%s\" data-step=\"%d\">", failed ? " failed" : running ?
		" running" : "", json_object_get_int(field(step, "index")));
	step_tooltip(f, step);
	fprintf(f, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"%s\"%s/>",
		x, y, w, NODE_LANE - 18, action_colour(action),
		same(state, "skipped") ? " fill-opacity=\"0.35\"" : "");
	if (failed)
		fprintf(f, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" rx=\"2\" "
			"fill=\"url(#hatch)\" stroke=\"#000\" stroke-width=\"2\"/>",
			x, y, w, NODE_LANE - 18);
	if (running)
		fprintf(f, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" rx=\"2\" "
			"fill=\"none\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>",
			x, y, w, NODE_LANE - 18);
	/* Name the action inside the bar when it fits (about 7 px a letter). */
	if (action && w > 7.0 * (double)strlen(action) + 8) {
		fprintf(f, "<text x=\"%.2f\" y=\"%d\" class=\"bar-label\">", x + 4, y + 15);
		escaped(f, action);
		fputs("</text>", f);
	}
	fputs("</g>\n", f);
}

/* The installer's own stop-to-start window, a thin band under the steps. */
static void service_band(FILE *f, const struct scale *s, struct json_object *window, int y)
{
	int64_t stopped = ms_of(window, "stopped_ms");
	bool restarted = known(window, "started_ms");
	int64_t started = restarted ? ms_of(window, "started_ms") : s->span_ms;

	fprintf(f, "<g class=\"service-window\"><title>the installer stopped the service at +");
	seconds(f, stopped);
	if (restarted) {
		fputs(" and started it at +", f);
		seconds(f, started);
		fputs(": ", f);
		seconds(f, started - stopped);
	} else {
		fputs(" and never logged its start", f);
	}
	fprintf(f, "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"5\" fill=\"%s\"%s/></g>\n",
		x_at(s, stopped), y, width_of(s, stopped, started), SERVICE_BAND,
		restarted ? "" : " fill-opacity=\"0.5\"");
}

static void lane_label(FILE *f, int y, const char *name, const char *sub)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"lane-label\">", LABEL_WIDTH, y);
	escaped(f, name);
	fputs("</text>", f);
	if (sub) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"lane-sub\">", LABEL_WIDTH, y + 12);
		escaped(f, sub);
		fputs("</text>", f);
	}
	fputc('\n', f);
}

static void node_lane(FILE *f, const struct scale *s, struct json_object *report,
		      const char *node, size_t index, int y)
{
	struct json_object *steps = field(report, "steps");
	struct json_object *service = field(report, "service_windows");

	fputs("<g class=\"lane node-lane\" data-node=\"", f);
	escaped(f, node);
	fputs("\">\n", f);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"lane-bg%s\"/>\n",
		PLOT_X, y, PLOT_WIDTH, NODE_LANE, index % 2 ? " odd" : "");
	lane_label(f, y + 17, node, "node");
	for (size_t i = 0; i < count(steps); i++)
		if (!strcmp(step_lane(item(steps, i)), node))
			step_bar(f, s, item(steps, i), y + 5);
	for (size_t i = 0; i < count(service); i++)
		if (same(text_of(item(service, i), "node"), node))
			service_band(f, s, item(service, i), y + NODE_LANE - 10);
	fputs("</g>\n", f);
}

/* ---- the probe lanes ----------------------------------------------------- */

static void outage_tooltip(FILE *f, struct json_object *outage)
{
	fputs("<title>", f);
	escaped_or(f, text_of(outage, "group"), "?");
	fputs(" down at +", f);
	seconds(f, ms_of(outage, "start_ms"));
	fputs(" for ", f);
	seconds(f, ms_of(outage, "duration_ms"));
	if (json_object_get_boolean(field(outage, "open")))
		fputs(" (still down when the probe stopped)", f);
	if (json_object_get_int(field(outage, "step"))) {
		fprintf(f, ", during step %d (", json_object_get_int(field(outage, "step")));
		escaped_or(f, text_of(outage, "step_action"), "?");
		if (text_of(outage, "step_node")) {
			fputs(" ", f);
			escaped(f, text_of(outage, "step_node"));
		}
		fputs(")", f);
	}
	fputs("</title>", f);
}

/* An outage window: red; an open one (never came back up) ends in an arrow. */
static void outage_rect(FILE *f, const struct scale *s, struct json_object *outage, int y)
{
	int64_t start = ms_of(outage, "start_ms"), end = ms_of(outage, "end_ms");
	bool open = json_object_get_boolean(field(outage, "open"));
	double x = x_at(s, start), w = width_of(s, start, end);

	fputs("<g>", f);
	outage_tooltip(f, outage);
	fprintf(f, "<rect class=\"outage%s\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
		"fill=\"" OUTAGE_RED "\"/>", open ? " open" : "", x, y, w, PROBE_LANE - 8);
	if (w > 56)
		fprintf(f, "<text x=\"%.2f\" y=\"%d\" class=\"bar-label\">%.3f s</text>", x + 4,
			y + 15, (double)(end - start) / 1000.0);
	/* Open: an arrow out of its end, and said in words before its start. */
	if (open)
		fprintf(f, "<path d=\"M%.2f %d l8 %d l-8 %d z\" fill=\"" OUTAGE_RED "\"/>"
			"<text x=\"%.2f\" y=\"%d\" class=\"open-label\">still down at the end</text>",
			x + w, y, (PROBE_LANE - 8) / 2, (PROBE_LANE - 8) / 2, x - 5, y + 15);
	fputs("</g>\n", f);
}

static struct json_object *probe_named(struct json_object *report, const char *name)
{
	struct json_object *probes = field(report, "probes");

	for (size_t i = 0; i < count(probes); i++)
		if (same(text_of(item(probes, i), "name"), name))
			return item(probes, i);
	return NULL;
}

static void probe_lane(FILE *f, const struct scale *s, struct json_object *report,
		       const char *name, size_t index, int y)
{
	struct json_object *probe = probe_named(report, name);
	struct json_object *outages = field(report, "outages");

	fputs("<g class=\"lane probe-lane\" data-probe=\"", f);
	escaped(f, name);
	fputs("\">\n", f);
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"lane-bg%s\"/>\n",
		PLOT_X, y, PLOT_WIDTH, PROBE_LANE, index % 2 ? " odd" : "");
	lane_label(f, y + 13, name, probe ? text_of(probe, "group") : NULL);
	if (probe) {
		/* Green where the probe measured: white is "not measured", not "up". */
		int64_t from = ms_of(probe, "start_ms");
		int64_t to = ms_of(probe, "stop_ms") > from ? ms_of(probe, "stop_ms") : s->span_ms;

		fprintf(f, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"" PROBE_UP
			"\"><title>measuring</title></rect>\n", x_at(s, from), y + 4,
			width_of(s, from, to), PROBE_LANE - 8);
	}
	for (size_t i = 0; i < count(outages); i++) {
		const char *owner = text_of(item(outages, i), "probe");

		if (!strcmp(owner ? owner : "?", name))
			outage_rect(f, s, item(outages, i), y + 4);
	}
	fputs("</g>\n", f);
}

/* ---- the timeline -------------------------------------------------------- */

static void section_title(FILE *f, int y, const char *title)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"section\">%s</text>\n", 8, y, title);
}

/* The end of the run (or of what was recorded of a running one). */
static void end_marker(FILE *f, const struct scale *s, struct json_object *report, int height)
{
	bool running = same(text_of(report, "state"), "running");
	double x = x_at(s, ms_of(report, "wall_ms"));

	fprintf(f, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" class=\"end\"/>"
		"<text x=\"%.2f\" y=\"%d\" class=\"end-label\">%s</text>\n", x, AXIS_HEIGHT - 4, x,
		height - 24, x - 3, height - 26, running ? "last recorded" : "end");
}

static void timeline(FILE *f, struct json_object *report)
{
	struct lanes nodes = { .n = 0 }, probes = { .n = 0 };
	struct scale s;
	int y, height;

	node_lanes(report, &nodes);
	probe_lanes(report, &probes);
	s.span_ms = span_of(report);
	s.tick_ms = tick_of(s.span_ms);
	height = AXIS_HEIGHT + SECTION_GAP + (nodes.n ? (int)nodes.n : 1) * NODE_LANE + SECTION_GAP +
		 (probes.n ? (int)probes.n * PROBE_LANE : PROBE_LANE) + 34;

	fprintf(f, "<svg class=\"timeline\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"timeline of the run\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height);
	fputs("<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#000\" "
	      "fill-opacity=\"0.45\"/></pattern></defs>\n", f);
	axis(f, &s, height);

	y = AXIS_HEIGHT + SECTION_GAP;
	section_title(f, y - 6, "Nodes: steps");
	for (size_t i = 0; i < nodes.n; i++, y += NODE_LANE)
		node_lane(f, &s, report, nodes.name[i], i, y);
	if (!nodes.n) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"note\">no step has run yet</text>\n",
			PLOT_X + 6, y + 24);
		y += NODE_LANE;
	}
	y += SECTION_GAP;
	section_title(f, y - 6, "Probes: what users saw");
	for (size_t i = 0; i < probes.n; i++, y += PROBE_LANE)
		probe_lane(f, &s, report, probes.name[i], i, y);
	if (!probes.n)
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"note\">no probes: the outage was not "
			"measured</text>\n", PLOT_X + 6, y + 19);
	end_marker(f, &s, report, height);
	fputs("</svg>\n", f);
}

static void swatch(FILE *f, const char *style, const char *label)
{
	fprintf(f, "<span class=\"key\"><span class=\"swatch\" style=\"%s\"></span>%s</span>\n",
		style, label);
}

static void legend(FILE *f)
{
	fputs("<div class=\"legend\">\n", f);
	for (size_t k = 0; k < sizeof(action_kinds) / sizeof(action_kinds[0]); k++) {
		char style[64];

		snprintf(style, sizeof(style), "background:%s", action_kinds[k].colour);
		swatch(f, style, action_kinds[k].label);
	}
	swatch(f, "background:repeating-linear-gradient(45deg,#777 0 3px,#bbb 3px 6px);"
	       "outline:2px solid #000", "failed step");
	swatch(f, "background:" SERVICE_BAND ";height:5px", "installer's service window");
	swatch(f, "background:" PROBE_UP, "probe measuring");
	swatch(f, "background:" OUTAGE_RED, "outage (users saw it down)");
	fputs("</div>\n", f);
}

/* ---- the header, summary and tables -------------------------------------- */

static const char style_sheet[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:#1d1d1f;background:#fff;margin:0}\n"
	"main{max-width:1160px;margin:0 auto;padding:18px 20px 40px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px;"
	"border-bottom:1px solid #ddd;padding-bottom:4px}\n"
	".meta{color:#555;margin:0 0 6px}.meta b{color:#1d1d1f;font-weight:600}\n"
	".state{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;font-weight:600;"
	"font-size:13px;background:#777}\n"
	".state.succeeded{background:#2e9e5b}.state.failed{background:#c62828}"
	".state.running{background:#d08700}.state.aborted{background:#6d6d6d}\n"
	".cards{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start}\n"
	"table{border-collapse:collapse;font-size:13px}th,td{padding:3px 10px;text-align:left;"
	"border-bottom:1px solid #eee}th{background:#f4f5f7;font-weight:600}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr.failed td{color:#b00020}tr.open td{font-weight:600}\n"
	".none{color:#555;font-style:italic}\n"
	".legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:4px 0 10px;font-size:13px}\n"
	".key{display:inline-flex;align-items:center;gap:6px}"
	".swatch{display:inline-block;width:18px;height:12px;border-radius:2px}\n"
	"svg.timeline{display:block;max-width:100%;height:auto;font-family:inherit}\n"
	"svg .grid{stroke:#e3e3e3;stroke-width:1}svg .tick{font-size:11px;fill:#555;"
	"text-anchor:middle}\n"
	"svg .caption{font-size:12px;fill:#555;text-anchor:middle}\n"
	"svg .lane-bg{fill:#fafafa}svg .lane-bg.odd{fill:#f2f3f5}\n"
	"svg .lane-label{font-size:13px;font-weight:600;text-anchor:end;fill:#1d1d1f}\n"
	"svg .lane-sub{font-size:11px;text-anchor:end;fill:#666}\n"
	"svg .section{font-size:12px;font-weight:600;fill:#444;text-transform:uppercase;"
	"letter-spacing:.04em}\n"
	"svg .bar-label{font-size:11px;fill:#fff;pointer-events:none}\n"
	"svg .open-label{font-size:11px;font-weight:600;fill:" OUTAGE_RED ";text-anchor:end}\n"
	"svg .end{stroke:#444;stroke-width:1;stroke-dasharray:3 3}"
	"svg .end-label{font-size:11px;fill:#444;text-anchor:end}\n"
	"svg .note{font-size:13px;fill:#666;font-style:italic}\n";

static void header(FILE *f, struct json_object *report)
{
	const char *state = text_of(report, "state");

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<title>clupdate: run ", f);
	fprintf(f, "%" PRId64 " report (", ms_of(report, "run"));
	escaped_or(f, text_of(report, "update"), "?");
	fprintf(f, ")</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", style_sheet);
	fprintf(f, "<h1>Run %" PRId64 ": ", ms_of(report, "run"));
	escaped_or(f, text_of(report, "update"), "?");
	fputs(" to version ", f);
	escaped_or(f, text_of(report, "version"), "?");
	fputs(" <span class=\"state ", f);
	escaped_or(f, state, "unknown");
	fputs("\">", f);
	escaped_or(f, state, "unknown");
	fputs("</span></h1>\n<p class=\"meta\">update <b>", f);
	escaped_or(f, text_of(report, "update"), "?");
	fputs("</b> &#183; version <b>", f);
	escaped_or(f, text_of(report, "version"), "?");
	fputs("</b> &#183; strategy <b>", f);
	escaped_or(f, text_of(report, "strategy"), "?");
	fputs("</b> &#183; cluster <b>", f);
	escaped_or(f, text_of(report, "cluster"), "?");
	fputs("</b></p>\n", f);
}

static void summary_row(FILE *f, const char *label, int64_t ms, int64_t wall)
{
	fprintf(f, "<tr><th>%s</th><td class=\"num\">", label);
	seconds(f, ms);
	if (wall > 0)
		fprintf(f, "</td><td class=\"num\">%.0f%%", 100.0 * (double)ms / (double)wall);
	else
		fputs("</td><td>", f);
	fputs("</td></tr>\n", f);
}

static void summary(FILE *f, struct json_object *report)
{
	int64_t wall = ms_of(report, "wall_ms");
	struct json_object *lost_ids = field(report, "lost_ids");

	fputs("<h2>Summary</h2>\n<div class=\"cards\">\n<table class=\"summary\">\n", f);
	summary_row(f, same(text_of(report, "state"), "running") ? "wall time so far" : "wall time",
		    wall, 0);
	summary_row(f, "installers", ms_of(report, "installer_ms"), wall);
	summary_row(f, "waiting for the engine", ms_of(report, "engine_wait_ms"), wall);
	summary_row(f, "clupdate's overhead", ms_of(report, "overhead_ms"), wall);
	fputs("</table>\n<table class=\"messages\">\n", f);
	if (!count(field(report, "probes"))) {
		fputs("<tr><td class=\"none\">no probes: the outage was not measured</td></tr>\n", f);
	} else {
		fprintf(f, "<tr><th>messages acknowledged</th><td class=\"num\">%" PRId64 "</td></tr>\n",
			ms_of(report, "acknowledged"));
		if (known(report, "lost"))
			fprintf(f, "<tr><th>lost</th><td class=\"num\">%" PRId64 "</td></tr>\n",
				ms_of(report, "lost"));
		else
			fputs("<tr><th>lost</th><td class=\"none\">not checked</td></tr>\n", f);
		for (size_t i = 0; i < count(lost_ids); i++) {
			fputs("<tr class=\"failed\"><td>lost message</td><td>", f);
			escaped(f, json_object_get_string(item(lost_ids, i)));
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table>\n</div>\n", f);
}

static void groups_table(FILE *f, struct json_object *report)
{
	struct json_object *groups = field(report, "groups");

	fputs("<h2>Interruptions per group</h2>\n", f);
	if (!json_object_is_type(groups, json_type_object) || !json_object_object_length(groups)) {
		fprintf(f, "<p class=\"none\">%s</p>\n", count(field(report, "probes")) ?
			"none: the service answered every probe" : "not measured (no probes)");
		return;
	}
	fputs("<table><tr><th>group</th><th class=\"num\">interruptions</th>"
	      "<th class=\"num\">total outage</th></tr>\n", f);
	json_object_object_foreach(groups, name, group) {
		fputs("<tr><td>", f);
		escaped(f, name);
		fprintf(f, "</td><td class=\"num\">%d</td><td class=\"num\">",
			json_object_get_int(field(group, "interruptions")));
		seconds(f, ms_of(group, "outage_ms"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* A predicted figure and where it came from, or "not predicted". */
static void predicted_cell(FILE *f, struct json_object *obj, const char *ms_key,
			   const char *from_key, const char *runs_key)
{
	const char *from = text_of(obj, from_key);

	fputs("<td class=\"num\">", f);
	if (!known(obj, ms_key)) {
		fputs("<span class=\"none\">not predicted</span></td><td></td>", f);
		return;
	}
	seconds(f, ms_of(obj, ms_key));
	fputs("</td><td>", f);
	if (from && !strcmp(from, "journal"))
		fprintf(f, "learned from %d run%s", json_object_get_int(field(obj, runs_key)),
			json_object_get_int(field(obj, runs_key)) == 1 ? "" : "s");
	else
		escaped_or(f, from && !strcmp(from, "manifest") ? "the manifest's estimate" : NULL,
			   "no estimate");
	fputs("</td>", f);
}

static void prediction_table(FILE *f, struct json_object *report)
{
	struct json_object *p = field(report, "prediction"), *groups = field(p, "groups");

	if (!p)
		return;
	fputs("<h2>Predicted against measured</h2>\n<table><tr><th></th>"
	      "<th class=\"num\">predicted</th><th>from</th><th class=\"num\">measured</th></tr>\n"
	      "<tr><td>duration</td>", f);
	predicted_cell(f, p, "duration_ms", "duration_from", "duration_runs");
	fputs("<td class=\"num\">", f);
	seconds(f, ms_of(p, "measured_duration_ms"));
	fputs("</td></tr>\n", f);
	if (json_object_is_type(groups, json_type_object)) {
		json_object_object_foreach(groups, name, group) {
			fputs("<tr><td>interruption of ", f);
			escaped(f, name);
			fputs("</td>", f);
			predicted_cell(f, group, "predicted_ms", "predicted_from", "predicted_runs");
			fputs("<td class=\"num\">", f);
			if (known(group, "measured_ms"))
				seconds(f, ms_of(group, "measured_ms"));
			else
				fputs("<span class=\"none\">not measured</span>", f);
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table>\n", f);
}

static void outage_step(FILE *f, struct json_object *outage)
{
	int step = json_object_get_int(field(outage, "step"));

	if (!step) {
		fputs("-", f);
		return;
	}
	fprintf(f, "%d ", step);
	escaped_or(f, text_of(outage, "step_action"), "?");
	if (text_of(outage, "step_node")) {
		fputs(" ", f);
		escaped(f, text_of(outage, "step_node"));
	}
}

static void outages_table(FILE *f, struct json_object *report)
{
	struct json_object *outages = field(report, "outages");

	fputs("<h2>Outage windows</h2>\n", f);
	if (!count(outages)) {
		fprintf(f, "<p class=\"none\">%s</p>\n", count(field(report, "probes")) ?
			"none: the service answered every probe" : "not measured (no probes)");
		return;
	}
	fputs("<table class=\"outages\"><tr><th>group</th><th>probe</th><th class=\"num\">start</th>"
	      "<th class=\"num\">end</th><th class=\"num\">duration</th><th>caused by step</th></tr>\n",
	      f);
	for (size_t i = 0; i < count(outages); i++) {
		struct json_object *o = item(outages, i);
		bool open = json_object_get_boolean(field(o, "open"));

		fprintf(f, "<tr%s><td>", open ? " class=\"open\"" : "");
		escaped_or(f, text_of(o, "group"), "?");
		fputs("</td><td>", f);
		escaped_or(f, text_of(o, "probe"), "?");
		fputs("</td><td class=\"num\">+", f);
		seconds(f, ms_of(o, "start_ms"));
		fputs("</td><td class=\"num\">+", f);
		seconds(f, ms_of(o, "end_ms"));
		fputs(open ? " (still down)" : "", f);
		fputs("</td><td class=\"num\">", f);
		seconds(f, ms_of(o, "duration_ms"));
		fputs("</td><td>", f);
		outage_step(f, o);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void step_row(FILE *f, struct json_object *step)
{
	const char *state = text_of(step, "state");

	fprintf(f, "<tr%s><td class=\"num\">%d</td><td>", same(state, "failed") ? " class=\"failed\"" : "",
		json_object_get_int(field(step, "index")));
	escaped_or(f, text_of(step, "action"), "?");
	fputs("</td><td>", f);
	escaped_or(f, text_of(step, "group"), "-");
	fputs("</td><td>", f);
	escaped_or(f, state, "?");
	fputs("</td><td class=\"num\">+", f);
	seconds(f, ms_of(step, "start_ms"));
	if (same(state, "running")) {
		fputs("</td><td class=\"num\">running</td><td class=\"num\">-</td></tr>\n", f);
		return;
	}
	fputs("</td><td class=\"num\">+", f);
	seconds(f, ms_of(step, "end_ms"));
	fputs("</td><td class=\"num\">", f);
	seconds(f, ms_of(step, "duration_ms"));
	fputs("</td></tr>\n", f);
}

static void steps_table(FILE *f, struct json_object *report)
{
	struct json_object *steps = field(report, "steps");
	struct lanes nodes = { .n = 0 };

	fputs("<h2>Steps per node</h2>\n", f);
	if (!count(steps)) {
		fputs("<p class=\"none\">no step has run</p>\n", f);
		return;
	}
	node_lanes(report, &nodes);
	fputs("<table class=\"steps\"><tr><th class=\"num\">step</th><th>action</th><th>group</th>"
	      "<th>state</th><th class=\"num\">start</th><th class=\"num\">end</th>"
	      "<th class=\"num\">duration</th></tr>\n", f);
	for (size_t n = 0; n < nodes.n; n++) {
		fputs("<tr><th colspan=\"7\">", f);
		escaped(f, nodes.name[n]);
		fputs("</th></tr>\n", f);
		for (size_t i = 0; i < count(steps); i++)
			if (!strcmp(step_lane(item(steps, i)), nodes.name[n]))
				step_row(f, item(steps, i));
	}
	fputs("</table>\n", f);
}

static void service_table(FILE *f, struct json_object *report)
{
	struct json_object *service = field(report, "service_windows");

	if (!count(service))
		return;
	fputs("<h2>The installers' own service windows</h2>\n<table><tr><th>node</th>"
	      "<th class=\"num\">stopped</th><th class=\"num\">started</th>"
	      "<th class=\"num\">duration</th></tr>\n", f);
	for (size_t i = 0; i < count(service); i++) {
		struct json_object *w = item(service, i);

		fputs("<tr><td>", f);
		escaped_or(f, text_of(w, "node"), "?");
		fputs("</td><td class=\"num\">+", f);
		seconds(f, ms_of(w, "stopped_ms"));
		if (known(w, "started_ms")) {
			fputs("</td><td class=\"num\">+", f);
			seconds(f, ms_of(w, "started_ms"));
			fputs("</td><td class=\"num\">", f);
			seconds(f, ms_of(w, "duration_ms"));
		} else {
			fputs("</td><td class=\"none\">never logged</td><td>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* A probe's outage budget against its longest outage, and its wait after a switchover. */
static void probe_gates(FILE *f, struct json_object *p)
{
	fputs("<td class=\"num\">", f);
	seconds(f, ms_of(p, "longest_outage_ms"));
	fputs("</td><td class=\"num\">", f);
	if (known(p, "max_outage_ms")) {
		seconds(f, ms_of(p, "max_outage_ms"));
		fputs(json_object_get_boolean(field(p, "over_budget")) ? " (exceeded)" : " (kept)", f);
	} else {
		fputs("-", f);
	}
	fputs("</td><td class=\"num\">", f);
	if (known(p, "back_after_switchover_ms")) {
		fputs(json_object_get_boolean(field(p, "back")) ? "" : "not within ", f);
		seconds(f, ms_of(p, "back_after_switchover_ms"));
	} else {
		fputs("-", f);
	}
	fputs("</td></tr>\n", f);
}

static void probes_table(FILE *f, struct json_object *report)
{
	struct json_object *probes = field(report, "probes");

	if (!count(probes))
		return;
	fputs("<h2>Probes</h2>\n<table><tr><th>probe</th><th>group</th><th class=\"num\">probes</th>"
	      "<th class=\"num\">failed</th><th class=\"num\">CPU</th>"
	      "<th class=\"num\">longest outage</th><th class=\"num\">budget</th>"
	      "<th class=\"num\">back after switchover</th></tr>\n", f);
	for (size_t i = 0; i < count(probes); i++) {
		struct json_object *p = item(probes, i);

		fputs("<tr><td>", f);
		escaped_or(f, text_of(p, "name"), "?");
		fputs("</td><td>", f);
		escaped_or(f, text_of(p, "group"), "-");
		fprintf(f, "</td><td class=\"num\">%d</td><td class=\"num\">%d</td>"
			"<td class=\"num\">%" PRId64 " ms</td>",
			json_object_get_int(field(p, "probes")), json_object_get_int(field(p, "failures")),
			ms_of(p, "cpu_ms"));
		probe_gates(f, p);
	}
	fputs("</table>\n", f);
}

int clu__write_html(FILE *f, struct json_object *report)
{
	header(f, report);
	summary(f, report);
	groups_table(f, report);
	prediction_table(f, report);
	fputs("<h2>Timeline</h2>\n", f);
	legend(f);
	timeline(f, report);
	outages_table(f, report);
	steps_table(f, report);
	service_table(f, report);
	probes_table(f, report);
	fputs("<p class=\"meta\">Made by clupdate from the run's journal. Outage windows are "
	      "measured by the probes, to the resolution of their interval.</p>\n"
	      "</main>\n</body>\n</html>\n", f);
	return ferror(f) ? CLU_E_IO : 0;
}
