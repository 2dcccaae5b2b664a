/*
 * Fuzz target: the static cluster file (clu_static_load(), lib/static.c on
 * lib/ini-file.c). The input is the file's bytes, through
 * fuzz_input_file(); a cluster that loads is validated again and released.
 *
 * Covers: lib/static.c lib/ini-file.c
 */
#include "clupdate/static.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clu_cluster cluster;
	struct clu_err err = CLU_ERR_INIT;

	if (clu_static_load(&cluster, fuzz_input_file(data, size), &err) == 0) {
		/* The loader's contract: what it returns passes validation. */
		if (clu_cluster_validate(&cluster, "fuzz", &err) != 0)
			__builtin_trap();
		clu_cluster_release(&cluster);
	}
	return 0;
}
