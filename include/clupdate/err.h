/*
 * Errors: one result convention for the whole library.
 *
 * Every fallible library function returns an int: 0 on success or a
 * negative CLU_E_* code. When it fails it also fills a caller-owned
 * struct clu_err with one precise, lowercase message that names the file,
 * line, key, node or group involved. The front end decides how to print it
 * and maps the code to the program's exit status (clu_exit_status()).
 */
#ifndef CLUPDATE_ERR_H
#define CLUPDATE_ERR_H

#include <stddef.h>

enum clu_errcode {
	CLU_OK = 0,
	CLU_E_USAGE = -1,      /* bad command line */
	CLU_E_MANIFEST = -2,   /* the update manifest is invalid */
	CLU_E_CLUSTER = -3,    /* cannot read or understand the cluster state */
	CLU_E_REFUSED = -4,    /* the plan would break an invariant, or the manifest forbids it */
	CLU_E_SPAWN = -5,      /* a command could not be run, timed out or failed */
	CLU_E_IO = -6,         /* a file could not be read or written */
	CLU_E_JOURNAL = -7,    /* the journal could not be opened or written */
	CLU_E_STEP = -8,       /* a step of a run failed; the cluster was left safe */
	CLU_E_LOCKED = -9,     /* another run holds the cluster's lock */
	CLU_E_ABORTED = -10,   /* the run was interrupted by the operator */
};

/* Longest message kept; longer ones are truncated with "...". */
#define CLU_ERR_MAX 1024

struct clu_err {
	int code;                 /* the CLU_E_* code, 0 when no error was set */
	char msg[CLU_ERR_MAX];    /* "cannot parse manifest 'sp2.conf' line 7: ..." */
};

#define CLU_ERR_INIT { 0, "" }

/*
 * Set *err (when err is not NULL) to code and a printf-style message, and
 * return code, so that callers can write `return clu_err_set(err, ...)`.
 */
int clu_err_set(struct clu_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in *err with a printf-style context and ": ". */
void clu_err_prefix(struct clu_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A short description of a CLU_E_* code, e.g. "invalid manifest". */
const char *clu_strerror(int code);

/*
 * The documented exit status of the program for a CLU_E_* code:
 * 0 ok, 2 usage, 3 manifest, 4 cluster, 5 refused, 6 spawn, 7 io,
 * 8 journal, 9 step failed, 10 locked, 11 aborted.
 */
int clu_exit_status(int code);

#endif
