/*
 * Unit tests of the run report (lib/report.c) and of its HTML page
 * (lib/output-html.c).
 *
 * A synthetic but realistic run, an in-place update of two nodes with a
 * retried install, is written into a journal through the journal API,
 * read back and reported on; the report's numbers are asserted exactly:
 * the outage windows and the step each is attributed to, the durations,
 * the wall / installer / engine-wait / overhead arithmetic, the messages
 * acknowledged and lost, an open window cut at the probe's stop. Records
 * built by hand cover what a journal cannot easily hold (a run still
 * running, no probes, names that need escaping).
 *
 * The journal takes its own clock readings for runs and steps, so after
 * writing it the test sets those times to the synthetic timeline with
 * SQL on the database (the schema is doc/journal.md's): the numbers are
 * then exact, and the CLI test can check them too.
 *
 * Dual use: `test-report --make-journal DIR` writes the synthetic run
 * into a journal in DIR and exits 0 (tests/cli/t0300-report-html.sh uses
 * it); without arguments it runs the tests.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "scratch-dir.h"

#include <sqlite3.h>

#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "clupdate/report.h"

/* ---- the synthetic run ---------------------------------------------------- */

/*
 * sp2 to 2.0 in place on nodes A and B, 'mail' on B, 'web' watched too.
 * Times are ms from the run's start. The smtp probe sees 'mail' down
 * while B's installer runs (1250..9300, inside step 2) and for 50 ms
 * between steps 8 and the end (attributed to step 8, the one before);
 * the http probe sees 'web' go down at 49000 and never come back before
 * it stops at 51500 (an open window, cut there). A's install fails once
 * and is retried.
 */
#define RUN_WALL_MS 52000

static const struct synthetic_step {
	unsigned step, attempt;
	const char *action, *node, *group;
	int64_t start, end;
	enum clu_step_state state;
} synthetic_steps[] = {
	{ 1, 1, "pin",     "B", "mail",     0,   120, CLU_STEP_DONE },
	{ 2, 1, "install", "B", NULL,     200, 20200, CLU_STEP_DONE },
	{ 3, 1, "verify",  "B", NULL,   20300, 21300, CLU_STEP_DONE },
	{ 4, 1, "unpin",   "B", "mail", 21400, 21500, CLU_STEP_DONE },
	{ 5, 1, "drain",   "A", NULL,   21600, 26600, CLU_STEP_DONE },
	{ 6, 1, "install", "A", NULL,   26700, 30700, CLU_STEP_FAILED },
	{ 6, 2, "install", "A", NULL,   30800, 45800, CLU_STEP_DONE },
	{ 7, 1, "verify",  "A", NULL,   45900, 46900, CLU_STEP_DONE },
	{ 8, 1, "undrain", "A", NULL,   47000, 50000, CLU_STEP_DONE },
};

static const struct synthetic_event {
	int64_t at;
	const char *kind, *source, *group, *detail;
} synthetic_events[] = {
	{    50, "probe-start", "smtp", "mail", NULL },
	{    60, "probe-start", "http", "web", NULL },
	{  1200, "service-stopped", "B", NULL, "maild stopped at mono_ms=..." },
	{  1250, "probe-down", "smtp", "mail", "connection refused" },
	{  9200, "service-started", "B", NULL, "maild started at mono_ms=..." },
	{  9300, "probe-up", "smtp", "mail", NULL },
	{ 26600, "cluster-wait", "A", NULL, "step=5 ms=4500" },
	{ 31500, "service-stopped", "A", NULL, "maild stopped at mono_ms=..." },
	{ 33000, "service-started", "A", NULL, "maild started at mono_ms=..." },
	{ 49000, "probe-down", "http", "web", "timed out" },
	{ 50000, "cluster-wait", "A", NULL, "step=8 ms=2800" },
	{ 50020, "probe-down", "smtp", "mail", "connection refused" },
	{ 50070, "probe-up", "smtp", "mail", NULL },
	{ 51500, "probe-stop", "smtp", "mail", "probes=1020 failures=162 windows=2 cpu_ms=37" },
	{ 51500, "probe-stop", "http", "web", "probes=1019 failures=50 windows=1 cpu_ms=12" },
	{ 51510, "probe-acknowledged", "smtp", "mail", "m1 m2 m3 m4 m5" },
	{ 51700, "probe-lost", "smtp", "mail", "m2 m4" },
	{ 51800, "probe-checked", "smtp", "mail", "acknowledged=5 lost=2 on=A" },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void die(const char *what, const char *why)
{
	fprintf(stderr, "test-report: %s: %s\n", what, why);
	exit(1);
}

/* Set a run's and its steps' times to the synthetic timeline. */
static void retime(const char *state_dir, int64_t run_id, int64_t mono, int64_t real)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *run, *step;

	snprintf(path, sizeof(path), "%s/journal.db", state_dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "UPDATE runs SET started_mono_ms = ?2, started_real_ms = ?3, "
			       "ended_mono_ms = ?2 + ?4, ended_real_ms = ?3 + ?4 WHERE id = ?1",
			       -1, &run, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE step_attempts SET started_mono_ms = ?4 + ?6, "
			       "started_real_ms = ?5 + ?6, ended_mono_ms = ?4 + ?7, "
			       "ended_real_ms = ?5 + ?7 WHERE run_id = ?1 AND step = ?2 AND attempt = ?3",
			       -1, &step, NULL) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	sqlite3_bind_int64(run, 1, run_id);
	sqlite3_bind_int64(run, 2, mono);
	sqlite3_bind_int64(run, 3, real);
	sqlite3_bind_int64(run, 4, RUN_WALL_MS);
	if (sqlite3_step(run) != SQLITE_DONE || sqlite3_changes(db) != 1)
		die(path, "cannot retime the run");
	for (size_t i = 0; i < N_OF(synthetic_steps); i++) {
		const struct synthetic_step *s = &synthetic_steps[i];

		sqlite3_reset(step);
		sqlite3_bind_int64(step, 1, run_id);
		sqlite3_bind_int64(step, 2, s->step);
		sqlite3_bind_int64(step, 3, s->attempt);
		sqlite3_bind_int64(step, 4, mono);
		sqlite3_bind_int64(step, 5, real);
		sqlite3_bind_int64(step, 6, s->start);
		sqlite3_bind_int64(step, 7, s->end);
		if (sqlite3_step(step) != SQLITE_DONE || sqlite3_changes(db) != 1)
			die(path, "cannot retime a step");
	}
	sqlite3_finalize(run);
	sqlite3_finalize(step);
	if (sqlite3_close(db) != SQLITE_OK)
		die(path, "cannot close");
}

/* Write the synthetic run into the journal in state_dir; returns its id (0: error). */
static int64_t write_synthetic_run(const char *state_dir, struct clu_err *err)
{
	struct clu_journal *journal;
	struct clu_run_begin begin = {
		.update = "sp2", .version = "2.0", .manifest_path = "sp2.conf",
		.manifest_text = "[update]\nname = sp2\n", .strategy = "in-place",
		.cluster = "static:2node.ini", .plan_json = "{}", .n_steps = 8,
	};
	int64_t run_id = 0, mono = clu_now_mono_ms(), real = clu_now_real_ms();
	int ret = clu_journal_open(&journal, state_dir, err);

	if (!ret)
		ret = clu_journal_run_begin(journal, &begin, &run_id, err);
	for (size_t i = 0; !ret && i < N_OF(synthetic_steps); i++) {
		const struct synthetic_step *s = &synthetic_steps[i];
		bool failed = s->state == CLU_STEP_FAILED;

		ret = clu_journal_step_begin(journal, run_id, s->step, s->attempt, s->action, s->node,
					     s->group, NULL, err);
		if (!ret)
			ret = clu_journal_step_end(journal, run_id, s->step, s->attempt, s->state,
						   failed ? 1 : 0, NULL, 0,
						   failed ? "installer exited with status 1" : NULL, err);
	}
	for (size_t i = 0; !ret && i < N_OF(synthetic_events); i++) {
		const struct synthetic_event *e = &synthetic_events[i];

		ret = clu_journal_event(journal, run_id, mono + e->at, real + e->at, e->kind,
					e->source, e->group, e->detail, err);
	}
	if (!ret)
		ret = clu_journal_run_end(journal, run_id, CLU_RUN_SUCCEEDED, NULL, err);
	clu_journal_close(journal);
	if (ret)
		return 0;
	retime(state_dir, run_id, mono, real);
	return run_id;
}

/* ---- fixtures and helpers ------------------------------------------------- */

struct fixture {
	char dir[256];
	struct clu_run_record run;
	struct clu_report report;
};

/* The synthetic run, written, loaded back and reported on. */
static int setup_journal(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	struct clu_journal *journal;
	struct clu_err err = CLU_ERR_INIT;
	int64_t id;

	if (!f)
		return -1;
	*state = f;
	snprintf(f->dir, sizeof(f->dir), "%s/test-report.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	id = write_synthetic_run(f->dir, &err);
	if (!id || clu_journal_open(&journal, f->dir, &err))
		goto failed;
	if (clu_journal_run_load(journal, id, &f->run, &err)) {
		clu_journal_close(journal);
		goto failed;
	}
	clu_journal_close(journal);
	if (clu_report_make(&f->report, &f->run, &err))
		goto failed;
	return 0;
failed:
	fprintf(stderr, "test-report: %s\n", err.msg);
	return -1;
}

static int teardown_journal(void **state)
{
	struct fixture *f = *state;

	clu_report_release(&f->report);
	clu_run_record_release(&f->run);
	scratch_dir_remove(f->dir);
	free(f);
	return 0;
}

/* The report's HTML page, newly allocated. */
static char *html_of(const struct clu_report *report)
{
	char *page = NULL;
	size_t len = 0;
	FILE *stream = open_memstream(&page, &len);
	struct clu_output *out;

	assert_non_null(stream);
	out = clu_output_new(CLU_FORMAT_HTML, stream, "report");
	clu_output_report(out, report);
	assert_int_equal(clu_output_finish(out, 0, NULL), 0);
	assert_int_equal(fclose(stream), 0);
	assert_non_null(page);
	return page;
}

static size_t occurrences(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void assert_outage(const struct clu_outage *o, const char *group, const char *probe,
			  int64_t start, int64_t end, bool open, unsigned step,
			  const char *action, const char *node)
{
	assert_string_equal(o->group, group);
	assert_string_equal(o->probe, probe);
	assert_int_equal(o->start_ms, start);
	assert_int_equal(o->end_ms, end);
	assert_int_equal(o->open, open);
	assert_int_equal(o->step, step);
	assert_string_equal(o->step_action, action);
	assert_string_equal(o->step_node, node);
}

/* ---- the report from a journal ------------------------------------------- */

static void test_outages_attributed_to_steps(void **state)
{
	struct fixture *f = *state;
	const struct clu_report *r = &f->report;

	assert_int_equal(r->n_outages, 3);
	/* Begins inside B's install: the installer stopped the service. */
	assert_outage(&r->outages[0], "mail", "smtp", 1250, 9300, false, 2, "install", "B");
	/* Begins during A's undrain; still down when the probe stopped: cut there. */
	assert_outage(&r->outages[1], "web", "http", 49000, 51500, true, 8, "undrain", "A");
	/* Begins after the last step ended: the step before caused it. */
	assert_outage(&r->outages[2], "mail", "smtp", 50020, 50070, false, 8, "undrain", "A");
	assert_int_equal(r->outages[0].start_real_ms - f->run.started_real_ms, 1250);
}

static void test_time_arithmetic(void **state)
{
	struct fixture *f = *state;
	const struct clu_report *r = &f->report;

	assert_int_equal(r->run_id, 1);
	assert_string_equal(r->state, "succeeded");
	assert_int_equal(r->wall_ms, RUN_WALL_MS);
	/* Both attempts of A's install count: the failed one ran too. */
	assert_int_equal(r->installer_ms, 20000 + 4000 + 15000);
	assert_int_equal(r->engine_wait_ms, 4500 + 2800);
	assert_int_equal(r->overhead_ms, 52000 - 39000 - 7300);
}

static void test_steps_nodes_and_service_windows(void **state)
{
	struct fixture *f = *state;
	const struct clu_report *r = &f->report;

	assert_int_equal(r->n_steps, N_OF(synthetic_steps));
	for (size_t i = 0; i < r->n_steps; i++) {
		assert_int_equal(r->steps[i].index, synthetic_steps[i].step);
		assert_string_equal(r->steps[i].action, synthetic_steps[i].action);
		assert_int_equal(r->steps[i].start_ms, synthetic_steps[i].start);
		assert_int_equal(r->steps[i].end_ms, synthetic_steps[i].end);
	}
	assert_string_equal(r->steps[5].state, "failed");
	assert_string_equal(r->steps[6].state, "done");
	assert_int_equal(r->n_nodes, 2);
	assert_string_equal(r->nodes[0], "B");
	assert_string_equal(r->nodes[1], "A");
	assert_int_equal(r->n_service, 2);
	assert_string_equal(r->service[0].node, "B");
	assert_int_equal(r->service[0].stopped_ms, 1200);
	assert_int_equal(r->service[0].started_ms, 9200);
	assert_string_equal(r->service[1].node, "A");
	assert_int_equal(r->service[1].stopped_ms, 31500);
	assert_int_equal(r->service[1].started_ms, 33000);
}

static void test_probes_acknowledged_and_lost(void **state)
{
	struct fixture *f = *state;
	const struct clu_report *r = &f->report;

	assert_int_equal(r->n_probes, 2);
	assert_string_equal(r->probes[0].name, "smtp");
	assert_string_equal(r->probes[0].group, "mail");
	assert_int_equal(r->probes[0].probes, 1020);
	assert_int_equal(r->probes[0].failures, 162);
	assert_int_equal(r->probes[0].cpu_ms, 37);
	assert_int_equal(r->probes[0].start_ms, 50);
	assert_int_equal(r->probes[0].stop_ms, 51500);
	assert_string_equal(r->probes[1].name, "http");
	assert_int_equal(r->probes[1].start_ms, 60);
	assert_int_equal(r->acknowledged, 5);
	assert_true(r->lost_checked);
	assert_int_equal(r->lost, 2);
	assert_int_equal(r->n_lost_ids, 2);
	assert_string_equal(r->lost_ids[0], "m2");
	assert_string_equal(r->lost_ids[1], "m4");
}

/* ---- the HTML page ------------------------------------------------------- */

static void test_html_has_the_lanes(void **state)
{
	struct fixture *f = *state;
	char *page = html_of(&f->report);

	assert_non_null(strstr(page, "<!DOCTYPE html>"));
	assert_non_null(strstr(page, "</html>\n"));
	assert_int_equal(occurrences(page, "<g class=\"lane node-lane\""), 2);
	assert_non_null(strstr(page, "data-node=\"A\""));
	assert_non_null(strstr(page, "data-node=\"B\""));
	assert_int_equal(occurrences(page, "<g class=\"lane probe-lane\""), 2);
	assert_non_null(strstr(page, "data-probe=\"smtp\""));
	assert_non_null(strstr(page, "data-probe=\"http\""));
	/* A red rectangle per outage window, one of them open. */
	assert_int_equal(occurrences(page, "<rect class=\"outage"), 3);
	assert_int_equal(occurrences(page, "<rect class=\"outage open\""), 1);
	assert_int_equal(occurrences(page, "fill=\"#d62728\"/>"), 3 + 1);
	/* A bar per step attempt, the failed one marked, a band per service window. */
	assert_int_equal(occurrences(page, "<g class=\"step"), 9);
	assert_int_equal(occurrences(page, "<g class=\"step failed\""), 1);
	assert_int_equal(occurrences(page, "<g class=\"service-window\">"), 2);
	assert_non_null(strstr(page, "<title>step 6: install on A, 4.000 s from +26.700 s, "
				     "failed</title>"));
	/* The 50 ms window at 52 s is 0.95 px wide at this scale: drawn 2 px wide. */
	assert_non_null(strstr(page, "width=\"2.00\" height=\"22\" fill=\"#d62728\""));
	/* The summary and the tables. */
	assert_non_null(strstr(page, "<th>wall time</th><td class=\"num\">52.000 s"));
	assert_non_null(strstr(page, "<th>clupdate's overhead</th><td class=\"num\">5.700 s"));
	assert_non_null(strstr(page, "<th>messages acknowledged</th><td class=\"num\">5</td>"));
	assert_non_null(strstr(page, "<th>lost</th><td class=\"num\">2</td>"));
	assert_non_null(strstr(page, "<td>m4</td>"));
	assert_non_null(strstr(page, "<td class=\"num\">8.050 s</td><td>2 install B</td>"));
	assert_non_null(strstr(page, "<td>mail</td><td class=\"num\">2</td>"));
	/* Self-contained: nothing fetched, nothing run. */
	assert_null(strstr(page, "http://"));
	assert_null(strstr(page, "https://"));
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "src="));
	free(page);
}

/* ---- records built by hand ------------------------------------------------ */

static struct clu_run_record hand_run(void)
{
	struct clu_run_record run = {
		.id = 7, .update = "sp3", .version = "3.0", .strategy = "rolling",
		.cluster = "pacemaker", .state = CLU_RUN_RUNNING,
		.started_real_ms = 1700000000000, .started_mono_ms = 100000,
	};

	return run;
}

/* A run still going: no end, a step running, a probe still measuring. */
static void test_running_run(void **state)
{
	struct clu_step_record steps[] = {
		{ .step = 1, .attempt = 1, .action = "drain", .node = "n1", .state = CLU_STEP_DONE,
		  .started_mono_ms = 100500, .ended_mono_ms = 103000 },
		{ .step = 2, .attempt = 1, .action = "install", .node = "n1",
		  .state = CLU_STEP_RUNNING, .started_mono_ms = 103100 },
	};
	struct clu_event_record events[] = {
		{ .at_mono_ms = 100010, .at_real_ms = 1700000000010, .kind = "probe-start",
		  .source = "smtp", .group = "mail" },
		{ .at_mono_ms = 103500, .at_real_ms = 1700000003500, .kind = "probe-down",
		  .source = "smtp", .group = "mail" },
	};
	struct clu_run_record run = hand_run();
	struct clu_report r;
	struct clu_err err = CLU_ERR_INIT;
	char *page;

	(void)state;
	run.steps = steps;
	run.n_steps = N_OF(steps);
	run.events = events;
	run.n_events = N_OF(events);
	assert_int_equal(clu_report_make(&r, &run, &err), 0);
	/* The wall time so far: up to the running step's start. */
	assert_int_equal(r.wall_ms, 3100);
	assert_int_equal(r.installer_ms, 0);
	assert_int_equal(r.n_outages, 1);
	assert_true(r.outages[0].open);
	assert_int_equal(r.outages[0].start_ms, 3500);
	/* Down after the running step began: that step. */
	assert_int_equal(r.outages[0].step, 2);
	assert_false(r.lost_checked);

	page = html_of(&r);
	assert_non_null(strstr(page, "<span class=\"state running\">running</span>"));
	assert_non_null(strstr(page, "<g class=\"step running\""));
	assert_non_null(strstr(page, ">last recorded</text>"));
	assert_non_null(strstr(page, "<rect class=\"outage open\""));
	assert_non_null(strstr(page, "<th>lost</th><td class=\"none\">not checked</td>"));
	free(page);
	clu_report_release(&r);
}

/* A failed run without probes: nothing measured, and the page says so. */
static void test_failed_run_without_probes(void **state)
{
	struct clu_step_record steps[] = {
		{ .step = 1, .attempt = 1, .action = "install", .node = "n1",
		  .state = CLU_STEP_FAILED, .started_mono_ms = 100200, .ended_mono_ms = 104200 },
		{ .step = 2, .attempt = 1, .action = "clear", .group = "mail",
		  .state = CLU_STEP_DONE, .started_mono_ms = 104300, .ended_mono_ms = 104400 },
	};
	struct clu_event_record events[] = {
		{ .at_mono_ms = 104250, .kind = "cluster-wait", .source = "mail",
		  .detail = "step=1 ms=50" },
	};
	struct clu_run_record run = hand_run();
	struct clu_report r;
	struct clu_err err = CLU_ERR_INIT;
	char *page;

	(void)state;
	run.state = CLU_RUN_FAILED;
	run.ended_mono_ms = 105000;
	run.ended_real_ms = 1700000005000;
	run.steps = steps;
	run.n_steps = N_OF(steps);
	run.events = events;
	run.n_events = N_OF(events);
	assert_int_equal(clu_report_make(&r, &run, &err), 0);
	assert_int_equal(r.wall_ms, 5000);
	assert_int_equal(r.installer_ms, 4000);
	assert_int_equal(r.engine_wait_ms, 50);
	assert_int_equal(r.overhead_ms, 950);
	assert_int_equal(r.n_outages, 0);
	assert_int_equal(r.n_probes, 0);
	assert_int_equal(r.n_nodes, 1);

	page = html_of(&r);
	assert_non_null(strstr(page, "<span class=\"state failed\">failed</span>"));
	assert_int_equal(occurrences(page, "<g class=\"lane node-lane\""), 2);
	assert_non_null(strstr(page, "data-node=\"(cluster)\""));
	assert_int_equal(occurrences(page, "<g class=\"lane probe-lane\""), 0);
	assert_int_equal(occurrences(page, "<rect class=\"outage"), 0);
	assert_non_null(strstr(page, "no probes: the outage was not measured"));
	assert_non_null(strstr(page, "<g class=\"step failed\""));
	assert_non_null(strstr(page, "<tr class=\"failed\"><td class=\"num\">1</td><td>install</td>"));
	free(page);
	clu_report_release(&r);
}

/* A run that has just begun: nothing to draw yet, and the page says so. */
static void test_run_just_begun(void **state)
{
	struct clu_run_record run = hand_run();
	struct clu_report r;
	struct clu_err err = CLU_ERR_INIT;
	char *page;

	(void)state;
	assert_int_equal(clu_report_make(&r, &run, &err), 0);
	assert_int_equal(r.wall_ms, 0);
	assert_int_equal(r.overhead_ms, 0);
	page = html_of(&r);
	assert_non_null(strstr(page, "no step has run yet"));
	assert_non_null(strstr(page, "<p class=\"none\">no step has run</p>"));
	assert_int_equal(occurrences(page, "<g class=\"lane"), 0);
	assert_non_null(strstr(page, "</html>\n"));
	free(page);
	clu_report_release(&r);
}

/* Names come from the cluster and the manifest: every one is escaped. */
static void test_html_escapes_every_string(void **state)
{
	struct clu_step_record steps[] = {
		{ .step = 1, .attempt = 1, .action = "install", .node = "<b>n&1</b>",
		  .state = CLU_STEP_DONE, .started_mono_ms = 100200, .ended_mono_ms = 101200 },
	};
	struct clu_event_record events[] = {
		{ .at_mono_ms = 100300, .kind = "probe-down", .source = "p\"><script>x</script>",
		  .group = "g'1" },
		{ .at_mono_ms = 100400, .kind = "probe-up", .source = "p\"><script>x</script>" },
	};
	struct clu_run_record run = hand_run();
	struct clu_report r;
	struct clu_err err = CLU_ERR_INIT;
	char *page;

	(void)state;
	run.update = "<i>sp</i>";
	run.cluster = "a&b";
	run.steps = steps;
	run.n_steps = N_OF(steps);
	run.events = events;
	run.n_events = N_OF(events);
	assert_int_equal(clu_report_make(&r, &run, &err), 0);
	page = html_of(&r);
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "<b>n"));
	assert_null(strstr(page, "<i>sp"));
	assert_null(strstr(page, "g'1"));
	assert_non_null(strstr(page, "data-node=\"&lt;b&gt;n&amp;1&lt;/b&gt;\""));
	assert_non_null(strstr(page, "data-probe=\"p&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
	assert_non_null(strstr(page, "&lt;i&gt;sp&lt;/i&gt;"));
	assert_non_null(strstr(page, "cluster <b>a&amp;b</b>"));
	assert_non_null(strstr(page, "<td>g&#39;1</td>"));
	free(page);
	clu_report_release(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outages_attributed_to_steps, setup_journal,
						teardown_journal),
		cmocka_unit_test_setup_teardown(test_time_arithmetic, setup_journal, teardown_journal),
		cmocka_unit_test_setup_teardown(test_steps_nodes_and_service_windows, setup_journal,
						teardown_journal),
		cmocka_unit_test_setup_teardown(test_probes_acknowledged_and_lost, setup_journal,
						teardown_journal),
		cmocka_unit_test_setup_teardown(test_html_has_the_lanes, setup_journal,
						teardown_journal),
		cmocka_unit_test(test_running_run),
		cmocka_unit_test(test_failed_run_without_probes),
		cmocka_unit_test(test_run_just_begun),
		cmocka_unit_test(test_html_escapes_every_string),
	};

	if (argc == 3 && !strcmp(argv[1], "--make-journal")) {
		struct clu_err err = CLU_ERR_INIT;

		if (!write_synthetic_run(argv[2], &err))
			die(argv[2], err.msg);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: test-report [--make-journal DIR]\n");
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
