/*
 * The one way clupdate parses XML that another program wrote (crm_mon,
 * cibadmin): libxml2's tree API, hardened. Library-internal.
 */
#ifndef CLU_XML_H
#define CLU_XML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "clupdate/err.h"

/*
 * Parse xml[0..len) (need not be NUL-terminated), the output of the
 * program `what` (e.g. "crm_mon"), into a document. where names the source
 * in messages (e.g. "xml:lab.xml", "pacemaker").
 *
 * Pacemaker's tools never write a document type declaration, and one is
 * what entity expansion attacks need (the "billion laughs" and its
 * quadratic cousins, which turn a few hundred kilobytes into gigabytes,
 * and entities that make an attribute's value two nodes, of which a
 * reader sees one): a document with a DTD, internal or external, is
 * refused as soon as the parser meets "<!DOCTYPE", before any entity is
 * declared. There is no network access, no entity substitution, no
 * XML_PARSE_HUGE (libxml2's default limits on depth and text size hold),
 * and libxml2 prints nothing: what goes wrong is in err.
 *
 * Returns the document, to be freed with xmlFreeDoc(), or NULL with
 * CLU_E_CLUSTER in err (which may be NULL), e.g.
 *   "xml:x.xml: empty crm_mon output"
 *   "xml:x.xml: not XML: line 3: Opening and ending tag mismatch: ..."
 *   "xml:x.xml: crm_mon output has a document type declaration
 *    (<!DOCTYPE pacemaker-result>), which crm_mon never writes: refused"
 * The root element of a returned document exists.
 */
xmlDoc *clu__xml_read(const char *xml, size_t len, const char *what, const char *where,
		      struct clu_err *err);

#endif
