/*
 * The target of a command: the cluster named by --cluster, with what it
 * takes to read it and, for a live cluster, to change it.
 *
 *   pacemaker          the cluster this machine is a node of: the engine is
 *                      asked here; this node's commands run here, every
 *                      other node's over ssh (local transport)
 *   lab:NAME           a `clupdate lab` (netns transport; control nodes n1..nN)
 *   ssh:HOST[,HOST..]  a cluster reached with ssh; the hosts are its control
 *                      nodes, tried in order; node commands go to each node's
 *                      own name (map names to addresses in an ssh_config)
 *   sim:FILE           a simulated cluster (sim.h): FILE describes it, its
 *                      state is kept in FILE.state between commands; no
 *                      engine, no root: for rehearsals and tests
 *   xml:FILE           a saved `crm_mon --output-as=xml` (plan only)
 *   static:FILE        a cluster described in a file (plan only)
 */
#ifndef CLUPDATE_TARGET_H
#define CLUPDATE_TARGET_H

#include <stdbool.h>

#include "clupdate/backend.h"
#include "clupdate/cluster.h"
#include "clupdate/err.h"
#include "clupdate/manifest.h"
#include "clupdate/transport.h"

/* What --cluster may name, for messages. */
#define CLU_TARGETS_EXPECTED "pacemaker, lab:NAME, ssh:HOST[,HOST...], sim:FILE, xml:FILE " \
	"or static:FILE"

struct clu_target {
	char *spec;                   /* as given */
	const char *arg;              /* what follows "KIND:" in spec; NULL: none */
	bool live;                    /* a running cluster clupdate can change */
	char *lab;                    /* lab:NAME: the lab's name; NULL otherwise */
	struct clu_transport transport;       /* a live engine's; kind NONE for sim */
	struct clu_backend *backend;          /* live only */
	struct clu_sim *sim;                  /* sim:FILE only */
	/* A saved state's reader (xml:, static:); NULL for a live one. */
	int (*read)(struct clu_target *t, struct clu_cluster *out, struct clu_err *err);
	char *version_attribute;
};

/*
 * Open the target named by spec: the one place a --cluster string is
 * understood. ssh_config (may be NULL) is for ssh: and for reaching the
 * other nodes from a node (pacemaker). Returns 0, CLU_E_USAGE for an
 * unknown spec ("unknown cluster 'X' (expected CLU_TARGETS_EXPECTED)") or
 * a kind without its FILE, NAME or HOST, CLU_E_IO for a lab that is not
 * running or an unreadable ssh configuration, or a sim: description's
 * error.
 */
int clu_target_open(struct clu_target *t, const char *spec, const char *version_attribute,
		    const char *ssh_config, struct clu_err *err);

/* Read the target's current state into *out (initialised by it). */
int clu_target_read(struct clu_target *t, struct clu_cluster *out, struct clu_err *err);

/*
 * The manifest's probes, ready to run against this target: each address
 * resolved (":PORT" is the group's service address, its IPaddr2 ip), and,
 * for a lab, the client namespace to probe from (where the users stand).
 * *targets (n entries) is freed with clu_probe_targets_free().
 */
struct clu_probe_target;
int clu_target_probe_targets(struct clu_target *t, const struct clu_manifest *manifest,
			     struct clu_probe_target **targets, size_t *n, struct clu_err *err);
void clu_probe_targets_free(struct clu_probe_target *targets, size_t n);

/*
 * Before any change: every node on which the plan runs a command answers
 * on this target's transport and is the machine the cluster calls by that
 * name (see clu_transport_check_node()); on a node (pacemaker), this
 * machine's node name is learnt first (`crm_node -n`: CLU_E_CLUSTER when
 * it is no running cluster node). checking (may be NULL) is told
 * each node before it is tried, for progress. The first failure is the
 * error: CLU_E_SPAWN (unreachable) or CLU_E_CLUSTER (another machine).
 */
struct clu_plan;
int clu_target_check_nodes(struct clu_target *t, const struct clu_plan *plan,
			   void (*checking)(void *ctx, const char *node), void *ctx,
			   struct clu_err *err);

void clu_target_release(struct clu_target *t);

#endif
