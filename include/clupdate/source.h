/*
 * Where the cluster state comes from: one string names the source, as the
 * command line's --cluster option gives it, and clu_cluster_load() reads
 * the model from it with the right reader.
 *
 *   pacemaker      the live cluster: crm_mon on this machine (pacemaker.h)
 *   xml:FILE       a saved `crm_mon --output-as=xml` (pacemaker.h)
 *   static:FILE    a description file (static.h, doc/static-cluster.md)
 */
#ifndef CLUPDATE_SOURCE_H
#define CLUPDATE_SOURCE_H

#include "clupdate/cluster.h"
#include "clupdate/err.h"

/*
 * Read the cluster model from source into *out (which it initialises; on
 * error it holds nothing to release). version_attribute names the node
 * attribute holding the installed version for the Pacemaker sources (the
 * manifest's version-attribute); a static file carries versions itself and
 * ignores it. NULL leaves Pacemaker versions unknown.
 *
 * Returns 0, or the reader's error (CLU_E_CLUSTER, CLU_E_IO, CLU_E_SPAWN),
 * or CLU_E_USAGE for a source it does not know:
 *   "unknown cluster source 'pcmk' (expected pacemaker, xml:FILE or static:FILE)"
 *   "cluster source 'xml:' names no file (expected xml:FILE)"
 */
int clu_cluster_load(struct clu_cluster *out, const char *source,
		     const char *version_attribute, struct clu_err *err);

#endif
