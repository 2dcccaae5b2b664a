/*
 * The update manifest: what a service pack is and how to install it.
 *
 * An INI file in the spirit of a systemd unit (read by lib/ini-file.c),
 * so that a Linux administrator reads it at sight. doc/manifest.md documents
 * every key with a complete example. Unknown sections and keys are errors,
 * and every error names the file, line, key and what was expected.
 *
 *   [update]     name, version, groups, strategy, data-migration,
 *                takeover-compatible, max-unavailable, max-failed-nodes,
 *                require-all-nodes-online,
 *                retries, expected-install-time, expected-switchover-time,
 *                version-attribute, previous-version
 *   [install]    command, verify, rollback, down-migration, timeout, check,
 *                check-timeout, soak
 *   [hook "N"]   pre, post, timeout               (zero or more)
 *   [probe "N"]  type, group, address, command, interval-ms, timeout-ms, check,
 *                max-outage, up-timeout          (zero or more)
 */
#ifndef CLUPDATE_MANIFEST_H
#define CLUPDATE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "clupdate/err.h"

enum clu_strategy {
	CLU_STRATEGY_IN_PLACE,   /* the seed: owner first, pinned; then passives */
	CLU_STRATEGY_ROLLING,    /* passives first; one switchover; old owner last */
	CLU_STRATEGY_AUTO,       /* the permitted one with the smaller interruption */
};

enum clu_probe_type {
	CLU_PROBE_TCP,           /* connect to address */
	CLU_PROBE_SMTP,          /* a full SMTP transaction against address */
	CLU_PROBE_COMMAND,       /* run command; exit 0 means up */
};

struct clu_hook {
	char *name;
	char *pre;               /* run on a node before its install; failure vetoes the node */
	char *post;              /* run on a node after its verify */
	unsigned timeout_ms;     /* default 60 s */
};

struct clu_probe_spec {
	char *name;
	enum clu_probe_type type;
	char *group;             /* the group it watches; default: the first updated group */
	char *address;           /* "HOST:PORT", or ":PORT" for the group's service address */
	char *command;           /* type=command only */
	unsigned interval_ms;    /* default 50 */
	unsigned timeout_ms;     /* one probe's timeout; default 1000 */
	char *check;             /* smtp only, optional: run on the group's owner after
				    the run with the acknowledged queue ids on stdin, one
				    per line; prints those it cannot find, one per line */
	unsigned max_outage_ms;  /* the outage budget of its group: the run stops safely
				    once this probe saw the service down longer; 0: none */
	unsigned up_timeout_ms;  /* after a switchover of its group, how long the run
				    waits for this probe to see it up again; default 60 s */
};

struct clu_manifest {
	char *path;              /* as given to clu_manifest_load() */
	/*
	 * The bytes that were parsed, verbatim: line ends, a BOM, a missing
	 * final newline as in the file, whatever happens to the file later
	 * (what the journal keeps of a run's manifest). NUL-terminated; a
	 * manifest holds no NUL byte, so text_len == strlen(text).
	 */
	char *text;
	size_t text_len;

	/* [update] */
	char *name;              /* required: e.g. "mail-sp2" */
	char *version;           /* required: the version it installs, e.g. "2" */
	char **groups;           /* required: the groups it updates */
	size_t n_groups;
	enum clu_strategy strategy;      /* default auto */
	int strategy_line;       /* line of `strategy`, 0 when defaulted */
	bool data_migration;     /* required: installer upgrades the shared data on the owner */
	bool takeover_compatible;        /* default no: the new version may take over old data */
	unsigned max_unavailable;        /* nodes out of service at once; default 1 */
	unsigned max_failed_nodes;       /* node failures tolerated before stopping; default 0 */
	bool require_all_nodes_online;   /* default no: refuse to start with any node offline */
	unsigned retries;                /* retries of a failed step; default 0 */
	unsigned expected_install_ms;    /* the installer's estimated run; default 60 s */
	unsigned expected_switchover_ms; /* estimated switchover outage; default 5 s */
	char *version_attribute;         /* node attribute holding the installed version;
					    default "clupdate-version" */
	char *previous_version;  /* optional: the version `clupdate rollback` puts back;
				    NULL: learnt from the cluster (rollback.h) */

	/* [install] */
	char *install_command;   /* required: the "Update.exe", run on one node by a shell */
	char *verify_command;    /* required: prints the version installed on the node */
	char *rollback_command;  /* optional: puts the previous version back on a node
				    (`clupdate rollback`, rollback.h) */
	char *down_migration_command;    /* optional: converts migrated data back to the
					    previous version's format, on the owner */
	unsigned install_timeout_ms;     /* default 30 min */
	char *check_command;     /* optional health gate: run on a node after its verify;
				    exit 0 = the service can run there, else the node failed */
	unsigned check_timeout_ms;       /* default 60 s */
	unsigned soak_ms;        /* optional: after a node passed its gate, wait this
				    long and check again before the next node; 0: none */

	struct clu_hook *hooks;
	size_t n_hooks;
	struct clu_probe_spec *probes;
	size_t n_probes;
};

/*
 * Parse the manifest at path into *manifest (which it initialises).
 * Returns 0, or CLU_E_MANIFEST with err holding the first error as one line,
 * "PATH:LINE: [SECTION] KEY: what is wrong (expected WHAT)" (e.g.
 * "sp2.conf:7: [update] unknown key 'stratgy', did you mean 'strategy'?
 * (expected one of: ...)"; without ":LINE" for a missing section), or
 * CLU_E_IO when the file cannot be read. On error *manifest is zeroed and
 * holds nothing that needs releasing. On success every default is filled
 * in: version_attribute and each probe's group are never NULL, and text
 * holds the file's content as read (the file is read once).
 */
int clu_manifest_load(struct clu_manifest *manifest, const char *path,
		      struct clu_err *err);

/* Free the contents of *manifest and zero it. */
void clu_manifest_release(struct clu_manifest *manifest);

/*
 * The expected switchover time (ms) of group (may be NULL): what the
 * planner predicts a rolling move of it interrupts. The one place it is
 * read, so that a per-group setting has one place to go.
 */
unsigned clu_manifest_switchover_ms(const struct clu_manifest *manifest, const char *group);

/*
 * A duration as the manifest writes them ("500ms", "90s", "10m", "2h", or
 * a number of seconds), from 1 ms to 24 h, into *ms: 0, or -1 when text
 * is none.
 */
int clu_duration_parse(const char *text, unsigned *ms);

/* "in-place", "rolling", "auto"; and the reverse (-1 when unknown). */
const char *clu_strategy_name(enum clu_strategy strategy);
int clu_strategy_parse(const char *name);

/* "tcp", "smtp", "command". */
const char *clu_probe_type_name(enum clu_probe_type type);

#endif
