/*
 * The XML writer: the same envelope and documents as JSON, written with
 * libxml2's xmlTextWriter in Pacemaker's style:
 *
 *   <clupdate-result api-version="1.0" request="plan">
 *     <plan update="mail-sp2" version="2" strategy="in-place">
 *       <steps><step index="1" action="pin" node="b" group="mail">...
 *     </plan>
 *     <status code="0" message="ok"/>
 *   </clupdate-result>
 *
 * The conversion is generic: scalars become attributes, objects child
 * elements, arrays a container of items named by the singular of the
 * array's name, and a few maps keyed by data (interruptions) a list of
 * items that carry the key as an attribute. doc/clupdate-output.rng is
 * the schema.
 */
#include <string.h>

#include <libxml/xmlwriter.h>

#include "output-internal.h"

/* Arrays and maps: their items' element name (and a map's key attribute). */
static const struct {
	const char *container;
	const char *item;
	const char *key;      /* maps only */
} names[] = {
	{ "steps", "step", NULL },
	{ "guards", "guard", NULL },
	{ "notes", "note", NULL },
	{ "pre", "fact", NULL },
	{ "post", "fact", NULL },
	{ "interrupts", "group", NULL },
	{ "outages", "outage", NULL },
	{ "runs", "run", NULL },
	{ "nodes", "node", NULL },
	{ "groups", "group", NULL },
	{ "members", "member", NULL },
	{ "banned", "node", NULL },
	{ "changes", "change", NULL },
	{ "remaining", "change", NULL },
	{ "attempts", "attempt", NULL },
	{ "events", "event", NULL },
	{ "service_windows", "window", NULL },
	{ "probes", "probe", NULL },
	{ "lost_ids", "id", NULL },
	{ "restored", "item", NULL },
	{ "kept", "item", NULL },
	{ "aborted_runs", "run", NULL },
	{ "interruptions", "interruption", "group" },
	{ "groups", "group", "name" },
};

/* The item name of an array (map false) or a map keyed by data (map true). */
static const char *item_name(const char *container, bool map, const char **key)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].container, container) && (names[i].key != NULL) == map) {
			*key = names[i].key;
			return names[i].item;
		}
	*key = NULL;
	return "item";
}

static const char *scalar_text(struct json_object *value)
{
	if (json_object_is_type(value, json_type_boolean))
		return json_object_get_boolean(value) ? "true" : "false";
	return json_object_get_string(value);
}

static bool is_scalar(struct json_object *value)
{
	return value && !json_object_is_type(value, json_type_object) &&
	       !json_object_is_type(value, json_type_array);
}

static void write_element(xmlTextWriterPtr w, const char *name, struct json_object *value);

/* Attributes first (XML requires it), then child elements. */
static void write_object_body(xmlTextWriterPtr w, struct json_object *obj)
{
	json_object_object_foreach(obj, key, value)
		if (is_scalar(value))
			xmlTextWriterWriteAttribute(w, BAD_CAST key, BAD_CAST scalar_text(value));
	json_object_object_foreach(obj, key2, value2)
		if (!is_scalar(value2) && value2)
			write_element(w, key2, value2);
}

static void write_element(xmlTextWriterPtr w, const char *name, struct json_object *value)
{
	bool array = json_object_is_type(value, json_type_array);
	const char *key_attr;
	const char *item = item_name(name, !array, &key_attr);

	xmlTextWriterStartElement(w, BAD_CAST name);
	if (array) {
		for (size_t i = 0; i < json_object_array_length(value); i++) {
			struct json_object *elem = json_object_array_get_idx(value, i);

			if (is_scalar(elem))
				xmlTextWriterWriteElement(w, BAD_CAST item, BAD_CAST scalar_text(elem));
			else
				write_element(w, item, elem);
		}
	} else if (key_attr) {
		json_object_object_foreach(value, key, entry) {
			xmlTextWriterStartElement(w, BAD_CAST item);
			xmlTextWriterWriteAttribute(w, BAD_CAST key_attr, BAD_CAST key);
			write_object_body(w, entry);
			xmlTextWriterEndElement(w);
		}
	} else {
		write_object_body(w, value);
	}
	xmlTextWriterEndElement(w);
}

int clu__write_xml(FILE *stream, const char *request, struct json_object *results,
		   int code, const char *message)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
	char status[16];

	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	xmlTextWriterStartElement(w, BAD_CAST "clupdate-result");
	xmlTextWriterWriteAttribute(w, BAD_CAST "api-version", BAD_CAST CLU_API_VERSION);
	xmlTextWriterWriteAttribute(w, BAD_CAST "request", BAD_CAST request);
	json_object_object_foreach(results, key, value)
		write_element(w, key, value);
	snprintf(status, sizeof(status), "%d", clu_exit_status(code));
	xmlTextWriterStartElement(w, BAD_CAST "status");
	xmlTextWriterWriteAttribute(w, BAD_CAST "code", BAD_CAST status);
	xmlTextWriterWriteAttribute(w, BAD_CAST "message",
				    BAD_CAST (message ? message : clu_strerror(code)));
	xmlTextWriterEndElement(w);
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	fputs((const char *)xmlBufferContent(buf), stream);
	xmlBufferFree(buf);
	return 0;
}
