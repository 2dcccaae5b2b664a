/*
 * Hardened XML parsing (see xml.h): libxml2 reading from memory, with a
 * SAX hook that stops the parser at a document type declaration, so that
 * no entity is ever declared, let alone expanded.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "clupdate/display.h"
#include "util.h"
#include "xml.h"

/* What the parser met, for the message: the name in <!DOCTYPE name ...>. */
struct doctype {
	bool seen;
	char *name;
};

/* libxml2's internalSubset callback: the parser is at "<!DOCTYPE name ...",
 * before its internal subset is read. Stop there. */
static void refuse_doctype(void *user, const xmlChar *name, const xmlChar *external_id,
			   const xmlChar *system_id)
{
	xmlParserCtxt *ctxt = user;
	struct doctype *doctype = ctxt->_private;

	(void)external_id;
	(void)system_id;
	doctype->seen = true;
	if (!doctype->name)
		doctype->name = clu_display(name ? (const char *)name : "", 64);
	xmlStopParser(ctxt);
}

xmlDoc *clu__xml_read(const char *xml, size_t len, const char *what, const char *where,
		      struct clu_err *err)
{
	struct doctype doctype = { false, NULL };
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (len == 0) {
		clu_err_set(err, CLU_E_CLUSTER, "%s: empty %s output", where, what);
		return NULL;
	}
	if (len > INT_MAX) {
		clu_err_set(err, CLU_E_CLUSTER, "%s: %s output too large (%zu bytes)", where,
			    what, len);
		return NULL;
	}
	xmlInitParser();
	if (!(ctxt = xmlNewParserCtxt()) || !ctxt->sax)
		BUG("out of memory in libxml2");
	ctxt->_private = &doctype;
	ctxt->sax->internalSubset = refuse_doctype;
	/* No XML_PARSE_NOENT (entities are not substituted), no XML_PARSE_HUGE,
	 * no DTD loading; no network; no printing to stderr. The blanks between
	 * elements are not kept (nothing reads them) and short text is stored
	 * in its node: a capture of thousands of resources is read in less
	 * time and memory. */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				XML_PARSE_NOBLANKS | XML_PARSE_COMPACT);
	/* The hook stops the parser; a document that got a DTD some other
	 * way is refused all the same. */
	if (doc && (doc->intSubset || doc->extSubset))
		doctype.seen = true;
	if (doctype.seen) {
		clu_err_set(err, CLU_E_CLUSTER, "%s: %s output has a document type declaration "
			    "(<!DOCTYPE %s>), which %s never writes: refused", where, what,
			    doctype.name ? doctype.name : "", what);
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (!doc || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		const char *message = e && e->message ? e->message : "no document";
		/* Its first line: libxml2's messages end with a newline. */
		char *line = clu__xstrndup(message, strcspn(message, "\n"));
		char *shown = clu_display(line, 0);

		clu_err_set(err, CLU_E_CLUSTER, "%s: not XML: line %d: %s", where,
			    e ? e->line : 0, shown);
		free(shown);
		free(line);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	free(doctype.name);
	xmlFreeParserCtxt(ctxt);
	return doc;
}
