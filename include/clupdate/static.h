/*
 * A cluster described in a file: for clusters without an engine clupdate
 * can read (or without one at all), for rehearsing a plan, and for tests.
 *
 * An INI file (read by lib/ini-file.c), documented with a complete example in
 * doc/static-cluster.md:
 *
 *   [cluster]       name, quorum                          (optional)
 *   [node "NAME"]   online, standby, maintenance, version (one or more)
 *   [group "NAME"]  members, owner, managed, banned, data-version, address
 *                                                         (zero or more)
 *
 * Strict like the manifest parser: unknown sections and keys, duplicates,
 * malformed values, and owners or bans that name no node of the file are
 * errors, each "PATH:LINE: [SECTION] KEY: what is wrong (expected ...)".
 */
#ifndef CLUPDATE_STATIC_H
#define CLUPDATE_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "clupdate/cluster.h"
#include "clupdate/err.h"

/*
 * Read the description at path into *out (which it initialises); on error
 * *out holds nothing to release. Defaults: quorum yes, a node online, not
 * in standby or maintenance, version unknown; a group managed, with one
 * member named after itself, stopped (no owner), its data_version that of
 * its owner's installed version (as the Pacemaker reader infers it).
 * The result passes clu_cluster_validate() with where "static:PATH".
 *
 * Returns 0, CLU_E_IO ("cannot read 'PATH': No such file or directory"),
 * or CLU_E_CLUSTER, e.g.
 *   "lab.ini:7: [node \"n1\"] online: 'maybe' is not a boolean (expected yes or no)"
 *   "lab.ini:9: [group \"mail\"] unknown key 'ownr', did you mean 'owner'? (expected one of: ...)"
 */
int clu_static_load(struct clu_cluster *out, const char *path, struct clu_err *err);

/*
 * Library-internal (lib/ini-file.h's types): the reader for a format built
 * on this one, with section kinds of its own after [cluster], [node] and
 * [group] (the simulated cluster's [sim], [fault "NAME"], ...; sim.h).
 * The static sections are read and checked as by clu_static_load(), with
 * the same messages, except those that list the sections, which say
 * sections_expected instead. Each callback gets user and the section's
 * kind as an index into sections:
 *
 *   open    a header of kind was read: make room for what it describes
 *           and set sec->index (NULL: nothing to do);
 *   fields  the struct the section's keys are stored in, at their offsets;
 *   check   once the file is read and the model passed the static checks
 *           (not yet clu_cluster_validate()), one section: report what is
 *           wrong with clu__ini_fail() and return false (NULL: no check).
 *
 * What open and fields allocated is the caller's to free, on error too.
 */
struct clu__ini;
struct clu__ini_section;
struct clu__ini_section_spec;

struct clu__static_ext {
	const struct clu__ini_section_spec *sections;
	size_t n_sections;
	const char *sections_expected;   /* every section, e.g. "[cluster], ... or [sim]" */
	void *user;
	void (*open)(void *user, struct clu__ini *ini, struct clu__ini_section *sec,
		     unsigned kind);
	void *(*fields)(void *user, const struct clu__ini_section *sec, unsigned kind);
	bool (*check)(void *user, struct clu__ini *ini, const struct clu__ini_section *sec,
		      unsigned kind);
};

/* clu_static_load() with ext's sections too; ext NULL: the same as it. */
int clu__static_load_ext(struct clu_cluster *out, const char *path,
			 const struct clu__static_ext *ext, struct clu_err *err);

#endif
