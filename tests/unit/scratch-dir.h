/*
 * A unit test's scratch directory (journals, simulations, manifests it
 * writes), removed with everything in it at teardown: one helper for the
 * tests that had each their own nftw callback.
 */
#ifndef CLUPDATE_TESTS_SCRATCH_DIR_H
#define CLUPDATE_TESTS_SCRATCH_DIR_H

#include <ftw.h>
#include <stdio.h>

static inline int scratch_remove_entry(const char *path, const struct stat *st, int flag,
				       struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove dir and all it holds, depth first, following no symbolic link. */
static inline void scratch_dir_remove(const char *dir)
{
	nftw(dir, scratch_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
