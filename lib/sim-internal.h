/*
 * The simulated cluster's insides, shared by its engine and backend
 * (sim.c) and its files (sim-file.c: the description and state reader,
 * the state writer and the log). Not part of the public contract: sim.h
 * is.
 */
#ifndef CLU_SIM_INTERNAL_H
#define CLU_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/sim.h"
#include "util.h"

/* Defaults of the [sim] section. */
#define CLU__SIM_BUSY_LOOKS 2u
#define CLU__SIM_COMMAND_MS 1000u
#define CLU__SIM_TRANSITION_MS 500u
/* What every other operation costs on the virtual clock. */
#define CLU__SIM_OP_MS 10
/* How long a hanging command runs when it has no timeout of its own. */
#define CLU__SIM_HANG_MS (3600u * 1000u)

/* The [sim] section. */
struct clu__sim_config {
	unsigned busy_looks;      /* looks idle() answers false after a placement change */
	unsigned command_ms;      /* a node command's duration */
	unsigned transition_ms;   /* each placement change's */
	bool data_migration;      /* installers migrate data when asked (no: never) */
	unsigned real_command_ms; /* a node command also sleeps this long in real time
				     (a rehearsal slow enough to watch; 0: none) */
};

/* A fault, as the file and the state have it (ints: the reader's CHOICE). */
struct clu__sim_fault {
	char *name;               /* its section's NAME */
	int kind;                 /* enum clu_sim_fault_kind */
	char *node, *group;
	unsigned after;           /* armed after this many changes (0: from the start) */
	int on;                   /* enum clu_command_role */
	unsigned nth;             /* fires at the nth command `on` node once armed (0: not so) */
	unsigned times;           /* how many times it fires */
	unsigned seen;            /* commands `on` node seen while armed */
	unsigned fired;           /* times it fired */
};

/* A location constraint of +INFINITY: group prefers node. */
struct clu__sim_prefer {
	char *group, *node;
};

struct clu_sim {
	struct clu_backend backend;    /* clu_sim_backend(): ops only */
	struct clu_cluster cluster;
	struct clu__sim_config config;

	struct clu__sim_prefer *prefers;
	size_t n_prefers, prefers_alloc;
	struct clu__sim_fault *faults;
	size_t n_faults, faults_alloc;
	unsigned fault_serial;         /* names faults added by the API: "api-N" */

	int64_t now_ms;                /* the virtual clock */
	unsigned busy;                 /* looks idle() still answers false */
	bool settle_never;
	unsigned changes;              /* successful apply and undo calls */
	size_t breaches;
	char *first_breach;
	struct clu__strv broken;       /* groups in breach at the last check */

	bool locked;
	struct clu_lock_holder lock;

	struct clu__strv log;
	size_t log_saved;              /* lines of log already in the log file */
	struct clu__strv constraints;  /* "ban G N", "prefer G N" */

	char *state_path;              /* NULL: in memory only */
	char *log_path;                /* STATE_PATH.log */
};

/*
 * Read a description or state file at path into *sim (zeroed by the
 * caller, with the [sim] defaults set); errors as clu_static_load()'s,
 * with the simulated cluster's sections too. On error sim holds what
 * was read so far, for clu__sim_release().
 */
int clu__sim_read(struct clu_sim *sim, const char *path, struct clu_err *err);

/*
 * Write sim's whole state to its state path (nothing without one),
 * atomically (a temporary file, fsync, rename, fsync of the directory),
 * then append the log lines not yet written to STATE_PATH.log and fsync
 * it. CLU_E_IO naming the file.
 */
int clu__sim_save(struct clu_sim *sim, struct clu_err *err);

/* The lines of the log file at path, into sim->log (none when it is absent). */
int clu__sim_read_log(struct clu_sim *sim, const char *path, struct clu_err *err);

/* Free what sim holds (not sim). */
void clu__sim_release(struct clu_sim *sim);

/* ---- the engine (sim.c), for the backend's operations (sim-backend.c) ---- */

extern const struct clu_backend_ops clu__sim_ops;

/* Append "t=MS WHAT" to the log. */
void clu__sim_note(struct clu_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* version, or "unknown" for NULL. */
const char *clu__sim_or_unknown(const char *version);
/* The node called name; NULL when name is NULL or no node. */
struct clu_node *clu__sim_node(struct clu_sim *sim, const char *name);
/* One placement pass over the managed groups; pinned ones stay. */
void clu__sim_place(struct clu_sim *sim);
/* g's service failed on from: the engine recovers it on another node, if any. */
void clu__sim_fail_over(struct clu_sim *sim, struct clu_group *g, const char *from);
/*
 * How every change ends: a placement pass, the version guard checked, the
 * constraints listed, the state saved (clu__sim_save()'s errors; err may
 * be NULL).
 */
int clu__sim_end_change(struct clu_sim *sim, struct clu_err *err);

/* Whether a fault kind acts on a command (install-fails, command-hangs). */
bool clu__sim_is_command_fault(int kind);
/* Event faults armed and not waiting for a command: they fire now. */
void clu__sim_fire_armed(struct clu_sim *sim);

/* What the faults of a command do to it. */
struct clu__sim_outcome {
	bool fails, hangs;
};
/* The faults that wait for cmd: events fire, the rest say its outcome. */
struct clu__sim_outcome clu__sim_command_faults(struct clu_sim *sim,
						const struct clu_node_command *cmd);

/* "node-dies", ...; "install", "verify", "hook", "check". */
const char *clu__sim_fault_kind_name(int kind);
const char *clu__sim_role_name(int role);

#endif
