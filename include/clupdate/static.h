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

#endif
