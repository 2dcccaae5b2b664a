/*
 * Replay saved inputs through a fuzz target without libFuzzer: the driver
 * `make check` links with each target (tests/fuzz/run-replay), built by
 * gcc under AddressSanitizer and UndefinedBehaviorSanitizer, and the
 * driver of the coverage build (tests/fuzz/run-long). Each argument is a
 * file, or a directory whose files are all replayed. A crash is the
 * sanitizers' to report: they end the process with a non-zero status.
 *
 * Usage: replay-TARGET FILE|DIR...
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, alloc = 0, got;

	if (!f) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", path, strerror(errno));
		return 1;
	}
	do {
		if (alloc - len < 4096) {
			alloc = alloc ? 2 * alloc : 65536;
			data = realloc(data, alloc);
			if (!data)
				abort();
		}
		got = fread(data + len, 1, alloc - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		fclose(f);
		free(data);
		return 1;
	}
	fclose(f);
	/* To the exact size: a read past the input is a read past an allocation. */
	data = realloc(data, len ? len : 1);
	if (!data)
		abort();
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), failed = 0;

	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			failed |= replay_file(path);
		free(names[i]);
	}
	free(names);
	return failed;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			failed |= replay_dir(argv[i]);
		else
			failed |= replay_file(argv[i]);
	}
	return failed;
}
