/*
 * Shared between the output writers: the output object and the neutral
 * document (a json-c tree) that the JSON and XML writers serialise. Each
 * result is turned into a document once (output.c); each format has one
 * writer (output-json.c, output-xml.c, output-text.c).
 */
#ifndef CLU_OUTPUT_INTERNAL_H
#define CLU_OUTPUT_INTERNAL_H

#include <json.h>

#include "clupdate/output.h"

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

/* The text writer of a plan: a runbook. */
void clu__text_plan(FILE *stream, const struct clu_plan *plan,
		    const struct clu_manifest *manifest, const struct clu_cluster *cluster);

/* Documents of results. */
struct json_object *clu__plan_doc(const struct clu_plan *plan);

#endif
