/*
 * The simulated cluster: an engine in memory, behind the backend interface
 * (backend.h), so that `clupdate apply` can be rehearsed end to end with no
 * engine and no root (`--cluster sim:FILE`), and the executor can be tested
 * at every step, fault and crash point.
 *
 * It is built on the cluster model (cluster.h) and the placement rules the
 * planner simulates with (clu_node_may_host): a managed group that may not
 * stay where it runs (its node offline, in standby, or banned) is moved by
 * the "engine" to the node it prefers, else to the first node that may
 * host it, in node order; the engine does not know data versions (as
 * Pacemaker does not): only bans keep a group off an old node. A pinned
 * (unmanaged) group stays where it is. Each placement change keeps the
 * engine busy for a few looks (idle() false), as a transition would.
 *
 * Node commands are acted, not run: an installer sets the node's version
 * to the target (and, with data migration, the data version of every group
 * running there); verify prints the node's version; hooks and checks
 * succeed; a command on an offline node fails as an unreachable ssh does.
 * A managed group whose node's installer runs is seen to fail and is
 * failed over (a "SURPRISE FAILOVER" in the log). A virtual clock
 * advances with every operation, and the settle wait runs on it: it
 * never sleeps.
 *
 * Every change, engine action and command is appended to a log, each line
 * "t=MS WHAT"; after each, the version guard is checked (no group runs on
 * a node older than its data) and a breach is logged and counted.
 *
 * The description file is the static format (static.h, doc/static-cluster.md)
 * plus two optional sections, documented in doc/sim.md:
 *
 *   [sim]              busy-looks (2), command-ms (1000), transition-ms (500),
 *                      data-migration (yes)
 *   [fault "NAME"]     what (node-dies, node-returns, install-fails,
 *                      command-hangs, settle-never, group-moves),
 *                      node, group, after (armed after the Nth successful
 *                      apply or undo call), on (install, verify, hook,
 *                      check) with nth (default 1: the Nth such command on
 *                      node once armed), times (how often it fires,
 *                      default 1)
 *   [prefer "GROUP"]   nodes: move preferences in place
 *   [lock], [state]    written in the state file (doc/sim.md)
 *
 * State: a simulation opened with a state path writes its whole state
 * (cluster, lock, constraints, clock, faults not yet fired, breaches)
 * there after every change, atomically (write and rename), and reopening
 * with the same path continues from it: so a run can crash and be run
 * again, as on a real cluster. The log is appended to STATE.log.
 */
#ifndef CLUPDATE_SIM_H
#define CLUPDATE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/backend.h"
#include "clupdate/cluster.h"
#include "clupdate/err.h"

/* The simulation's change kinds (journal column `kind`; see doc/sim.md). */
#define CLU_SIM_CHANGE_PIN "sim-pin"
#define CLU_SIM_CHANGE_DRAIN "sim-drain"
#define CLU_SIM_CHANGE_BAN "sim-ban"
#define CLU_SIM_CHANGE_PREFER "sim-prefer"
#define CLU_SIM_CHANGE_VERSION "sim-version"

struct clu_sim;

/*
 * Open a simulation: from state_path if that file exists, else from the
 * description at path (state_path NULL: in memory only). Errors are the
 * static reader's ("PATH:LINE: [SECTION] KEY: ..."), CLU_E_CLUSTER, or
 * CLU_E_IO.
 */
int clu_sim_open(struct clu_sim **sim, const char *path, const char *state_path,
		 struct clu_err *err);
/* The same, from a description in memory (tests); where names it in errors. */
int clu_sim_open_text(struct clu_sim **sim, const char *text, const char *where,
		      const char *state_path, struct clu_err *err);
void clu_sim_close(struct clu_sim *sim);

/* The backend of sim (owned by sim; valid until close). clu_backend_free()
 * on it is clu_sim_close(sim): a caller that only keeps the backend may
 * free it so, and must not close sim too. */
struct clu_backend *clu_sim_backend(struct clu_sim *sim);

/* The simulated cluster as it is now (owned by sim). */
const struct clu_cluster *clu_sim_cluster(const struct clu_sim *sim);

enum clu_sim_fault_kind {
	CLU_SIM_NODE_DIES,        /* node goes offline; its groups fail over */
	CLU_SIM_NODE_RETURNS,     /* node comes back online */
	CLU_SIM_INSTALL_FAILS,    /* the installer on node exits 1 */
	CLU_SIM_COMMAND_HANGS,    /* a command on node times out */
	CLU_SIM_SETTLE_NEVER,     /* the engine stays busy from then on */
	CLU_SIM_GROUP_MOVES,      /* group fails over by itself to another node */
};

struct clu_sim_fault {
	enum clu_sim_fault_kind kind;
	const char *node;
	const char *group;
	unsigned after;           /* armed after the Nth apply/undo (0: from the start) */
	enum clu_command_role on; /* with on_nth: fire at the Nth such command on node */
	unsigned on_nth;          /* 0: not so */
	unsigned times;           /* how many times it fires; 0 means 1 */
};

/* Add a fault (strings copied), named "api-N" in the log. One armed at
 * once that waits for no command (after 0, on_nth 0) fires now; the
 * commands' faults (install-fails, command-hangs) default to on_nth 1. */
void clu_sim_add_fault(struct clu_sim *sim, const struct clu_sim_fault *fault);

/* The log so far, one line per entry (owned by sim). */
const char *const *clu_sim_log(const struct clu_sim *sim, size_t *n);

/* Breaches of the version guard so far; *first: the first, or NULL. */
size_t clu_sim_guard_breaches(const struct clu_sim *sim, const char **first);

/* The location constraints (bans and preferences) in place, "ban G N" / "prefer G N". */
const char *const *clu_sim_constraints(const struct clu_sim *sim, size_t *n);

/* The virtual clock, in ms since the simulation began. */
int64_t clu_sim_now_ms(const struct clu_sim *sim);

#endif
