/*
 * Fuzz target: the update manifest parser (clu_manifest_load(), on the
 * INI reader of lib/ini-file.c). The input is a manifest
 * file's bytes; the parser takes a path only, so they go through
 * fuzz_input_file(). A manifest that loads is read back through the
 * accessors the planner uses, then released.
 *
 * Covers: lib/manifest.c lib/ini-file.c
 */
#include <string.h>

#include "clupdate/manifest.h"
#include "fuzz.h"

/* Where the lengths go, so that the compiler keeps the reads. */
static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clu_manifest manifest;
	struct clu_err err = CLU_ERR_INIT;

	if (clu_manifest_load(&manifest, fuzz_input_file(data, size), &err) == 0) {
		/* Every string the manifest promises is there to be read. */
		size_t total = strlen(clu_strategy_name(manifest.strategy)) +
			       strlen(manifest.name) + strlen(manifest.version) +
			       strlen(manifest.version_attribute) +
			       strlen(manifest.install_command) + strlen(manifest.verify_command);

		for (size_t i = 0; i < manifest.n_groups; i++)
			total += strlen(manifest.groups[i]) +
				 manifest.group_settings[i].expected_install_ms +
				 clu_manifest_switchover_ms(&manifest, manifest.groups[i]);
		total += clu_manifest_install_ms(&manifest, manifest.groups, manifest.n_groups);
		for (size_t i = 0; i < manifest.n_probes; i++)
			total += strlen(manifest.probes[i].group) +
				 strlen(clu_probe_type_name(manifest.probes[i].type));
		sink = total;
		clu_manifest_release(&manifest);
	}
	return 0;
}
