/*
 * What the fuzz targets (tests/fuzz/fuzz-*.c) share. Each target defines
 * LLVMFuzzerTestOneInput(), the libFuzzer entry point: it hands one input
 * to one parser of the library and frees what the parser returned, so
 * that the sanitizers see every out-of-bounds access, leak and undefined
 * behaviour the input provokes. The same object is linked either with
 * libFuzzer (clang, `make fuzz`) or with replay.c (any compiler, `make
 * check`), which calls it on saved inputs.
 */
#ifndef CLU_FUZZ_H
#define CLU_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point: 0, always (a crash is the sanitizers' to report). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A path whose file holds data[0..size), for parsers that read only from
 * a path (the manifest, the static cluster file). The file is an anonymous
 * memory file, one per process, rewritten on each call: the path stays
 * valid until the next call. Aborts when the file cannot be written (the
 * fuzzer cannot go on without it).
 */
const char *fuzz_input_file(const uint8_t *data, size_t size);

#endif
