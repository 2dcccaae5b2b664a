/*
 * Output: the one writer per format (text, json, xml) for every result
 * the library returns.
 *
 * The front end opens an output for a command, hands it results (a plan,
 * later a run status or a report), and finishes it with the command's
 * status. JSON and XML carry an envelope with an api-version, the request
 * and a final status {code, message}, described by doc/clupdate-output.rng
 * and doc/output.md; text is for people (a plan reads like a runbook) and
 * says nothing on error (the front end reports errors on stderr).
 */
#ifndef CLUPDATE_OUTPUT_H
#define CLUPDATE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "clupdate/journal.h"
#include "clupdate/manifest.h"
/*
 * clu_plan_to_json() and clu_cluster_to_json() moved to model-json.h;
 * included here only until lib/exec.c includes model-json.h itself.
 */
#include "clupdate/model-json.h"
#include "clupdate/plan.h"
#include "clupdate/report.h"

/* Version of the JSON/XML output schema; bumped on incompatible change. */
#define CLU_API_VERSION "1.0"

enum clu_format {
	CLU_FORMAT_TEXT,
	CLU_FORMAT_JSON,
	CLU_FORMAT_XML,
	CLU_FORMAT_HTML,     /* reports only: one self-contained page */
};

/* "text", "json", "xml", "html" -> format; -1 when unknown. */
int clu_format_parse(const char *name);

struct clu_output;

/*
 * Open an output of format on stream (not closed by the output) for the
 * request `request` (e.g. "plan", recorded in the envelope).
 */
struct clu_output *clu_output_new(enum clu_format format, FILE *stream, const char *request);

/*
 * Add a plan to the output (made for manifest, from cluster). JSON and XML
 * carry the document of clu_plan_to_json() (model-json.h).
 */
void clu_output_plan(struct clu_output *out, const struct clu_plan *plan,
		     const struct clu_manifest *manifest, const struct clu_cluster *cluster);

/*
 * Add a run from the journal. detail: also each node command's output
 * (`show`); otherwise a summary (`status`, `apply`).
 */
void clu_output_run(struct clu_output *out, const struct clu_run_record *run, bool detail);

/* Add a run's report (what users saw). */
void clu_output_report(struct clu_output *out, const struct clu_report *report);

/* Add what `abort` did: stopped, put back, kept (and why), runs aborted. */
struct clu_abort_result;
void clu_output_abort(struct clu_output *out, const struct clu_abort_result *result);

/* Add the list of runs, newest first (`history`). */
void clu_output_history(struct clu_output *out, const struct clu_run_record *runs, size_t n);

/*
 * Write what is pending and the envelope's status (code: 0 or a CLU_E_*
 * code; message: NULL for "ok"), then free the output. Returns 0, or
 * CLU_E_IO when the stream could not be written.
 */
int clu_output_finish(struct clu_output *out, int code, const char *message);

#endif
