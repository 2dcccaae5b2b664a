/*
 * The HTML writer: a run's report as one self-contained page (no network:
 * inline CSS, inline SVG). This first version lists the outage windows;
 * the timeline view replaces it.
 */
#include <stdio.h>
#include <string.h>

#include "output-internal.h"

static void escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

int clu__write_html(FILE *f, struct json_object *report)
{
	struct json_object *outages = json_object_object_get(report, "outages");

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>clupdate run report</title>"
	      "</head><body><h1>Run ", f);
	escaped(f, json_object_get_string(json_object_object_get(report, "run")));
	fputs("</h1><table><tr><th>group</th><th>start ms</th><th>duration ms</th><th>step</th></tr>\n", f);
	for (size_t i = 0; i < json_object_array_length(outages); i++) {
		struct json_object *o = json_object_array_get_idx(outages, i);

		fputs("<tr><td>", f);
		escaped(f, json_object_get_string(json_object_object_get(o, "group")));
		fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%d</td></tr>\n",
			(long long)json_object_get_int64(json_object_object_get(o, "start_ms")),
			(long long)json_object_get_int64(json_object_object_get(o, "duration_ms")),
			json_object_get_int(json_object_object_get(o, "step")));
	}
	fputs("</table></body></html>\n", f);
	return 0;
}
