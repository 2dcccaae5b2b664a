/*
 * stamp: print the current instant on both clocks, as
 * "mono_ms=<CLOCK_MONOTONIC ms> real=<ISO 8601 UTC>".
 *
 * The service packs' installers log when they stopped and restarted the
 * daemon with it. CLOCK_MONOTONIC is one clock for every network namespace
 * of the machine (the lab's nodes), so clupdate can set these instants
 * against the outage its probes measured; the real time is for people.
 */
#include "common.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	char real[40];

	(void)argv;
	if (argc != 1) {
		fputs("usage: stamp\n", stderr);
		return 2;
	}
	real_iso(real, sizeof(real));
	printf("mono_ms=%lld real=%s\n", (long long)mono_ms(), real);
	return fflush(stdout) == 0 ? 0 : 1;
}
