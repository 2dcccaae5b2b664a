/*
 * The JSON writer: the envelope {"api-version", "request", results...,
 * "status": {"code", "message"}} around the neutral documents, pretty
 * printed by json-c. status.code is the program's exit status for the
 * result (0 on success), so scripts can read either.
 */
#include <stdio.h>

#include "output-internal.h"

int clu__write_json(FILE *stream, const char *request, struct json_object *results,
		    int code, const char *message)
{
	struct json_object *envelope = json_object_new_object();
	struct json_object *status = json_object_new_object();
	const char *text;

	json_object_object_add(envelope, "api-version", json_object_new_string(CLU_API_VERSION));
	json_object_object_add(envelope, "request", json_object_new_string(request));
	json_object_object_foreach(results, key, value)
		json_object_object_add(envelope, key, json_object_get(value));
	json_object_object_add(status, "code", json_object_new_int(clu_exit_status(code)));
	json_object_object_add(status, "message",
			       json_object_new_string(message ? message : clu_strerror(code)));
	json_object_object_add(envelope, "status", status);

	text = json_object_to_json_string_ext(envelope, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	fprintf(stream, "%s\n", text);
	json_object_put(envelope);
	return 0;
}
