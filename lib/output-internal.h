/*
 * Shared between the output writers: the output object and the neutral
 * document (a json-c tree) that the JSON and XML writers serialise. Each
 * result is turned into a document once (output.c; a plan's in
 * model-json.c, which the journal's copy of a plan comes from too); each
 * format has one writer (output-json.c, output-xml.c, output-text.c).
 */
#ifndef CLU_OUTPUT_INTERNAL_H
#define CLU_OUTPUT_INTERNAL_H

#include <json.h>

#include "clupdate/output.h"
#include "model-json-internal.h"

struct clu_output {
	enum clu_format format;
	FILE *stream;
	char *request;
	struct json_object *results;   /* key -> document, in order added */
};

/* Serialise the envelope around results with status code and message. */
int clu__write_json(FILE *stream, const char *request, struct json_object *results,
		    int code, const char *message);
int clu__write_xml(FILE *stream, const char *request, struct json_object *results,
		   int code, const char *message);

/* The HTML writer: a report as one self-contained page (output-html.c). */
int clu__write_html(FILE *stream, struct json_object *report);

/* The text writer of a report. */
void clu__text_report(FILE *stream, const struct clu_report *report);

/* The text writer of a plan: a runbook. */
void clu__text_plan(FILE *stream, const struct clu_plan *plan,
		    const struct clu_manifest *manifest, const struct clu_cluster *cluster);

/* The text writers of runs. */
void clu__text_run(FILE *stream, const struct clu_run_record *run, bool detail);
struct clu_abort_result;
void clu__text_abort(FILE *stream, const struct clu_abort_result *result);
void clu__text_history(FILE *stream, const struct clu_run_record *runs, size_t n);

/* Documents of results (a plan's is clu__plan_doc(), model-json-internal.h). */
struct json_object *clu__run_doc(const struct clu_run_record *run, bool detail);
struct json_object *clu__report_doc(const struct clu_report *report);

/* "2026-11-24T03:50:01.123Z" for ms since the epoch, into buf. */
const char *clu__iso_time(int64_t ms, char *buf, size_t size);

#endif
