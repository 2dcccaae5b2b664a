/*
 * Fuzz target: crm_mon's XML (clu_pacemaker_parse(), lib/pacemaker.c over
 * libxml2). The input is the XML as crm_mon would print it; the version
 * attribute is the one the fixtures carry (mail-version), so that the
 * node attribute path is reached.
 *
 * Covers: lib/pacemaker.c:-clu_pacemaker_status_argv,-clu_pacemaker_config_argv,
 *   -clu_pacemaker_parse_config,-sets_value,-set_value,-config_version,
 *   -clu_pacemaker_read_file lib/xml.c
 */
#include "clupdate/pacemaker.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clu_cluster cluster;
	struct clu_err err = CLU_ERR_INIT;

	if (clu_pacemaker_parse(&cluster, (const char *)data, size, "mail-version", "xml:fuzz",
				&err) == 0)
		clu_cluster_release(&cluster);
	return 0;
}
