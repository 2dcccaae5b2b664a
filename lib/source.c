/*
 * The cluster source dispatcher (see source.h): "pacemaker", "xml:FILE"
 * or "static:FILE" -> the reader that fills the model.
 */
#include <string.h>

#include "clupdate/pacemaker.h"
#include "clupdate/source.h"
#include "clupdate/static.h"

#define SOURCES_EXPECTED "pacemaker, xml:FILE or static:FILE"

/* The FILE of "PREFIX:FILE", or NULL when source has another prefix. */
static const char *file_of(const char *source, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(source, prefix, n) != 0 || source[n] != ':')
		return NULL;
	return source + n + 1;
}

int clu_cluster_load(struct clu_cluster *out, const char *source,
		     const char *version_attribute, struct clu_err *err)
{
	const char *xml_file, *static_file;

	memset(out, 0, sizeof(*out));
	if (!source || !*source)
		return clu_err_set(err, CLU_E_USAGE, "no cluster source (expected "
				   SOURCES_EXPECTED ")");
	if (!strcmp(source, "pacemaker"))
		return clu_pacemaker_read_live(out, version_attribute, 0, err);
	xml_file = file_of(source, "xml");
	static_file = file_of(source, "static");
	if ((xml_file && !*xml_file) || (static_file && !*static_file))
		return clu_err_set(err, CLU_E_USAGE, "cluster source '%s' names no file "
				   "(expected %sFILE)", source, xml_file ? "xml:" : "static:");
	if (xml_file)
		return clu_pacemaker_read_file(out, xml_file, version_attribute, err);
	if (static_file)
		return clu_static_load(out, static_file, err);
	return clu_err_set(err, CLU_E_USAGE, "unknown cluster source '%s' (expected "
			   SOURCES_EXPECTED ")", source);
}
