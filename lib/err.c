/*
 * Errors: filling struct clu_err, and the table that gives each CLU_E_*
 * code its description and its exit status (documented in doc/clupdate.1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clupdate/err.h"

static const struct {
	int code;
	int exit_status;
	const char *text;
} codes[] = {
	{ CLU_OK,         0,  "success" },
	{ CLU_E_USAGE,    2,  "usage error" },
	{ CLU_E_MANIFEST, 3,  "invalid manifest" },
	{ CLU_E_CLUSTER,  4,  "cannot read the cluster state" },
	{ CLU_E_REFUSED,  5,  "refused: the update would not be safe" },
	{ CLU_E_SPAWN,    6,  "a command failed" },
	{ CLU_E_IO,       7,  "input/output error" },
	{ CLU_E_JOURNAL,  8,  "journal error" },
	{ CLU_E_STEP,     9,  "a step failed" },
	{ CLU_E_LOCKED,   10, "the cluster is locked by another run" },
	{ CLU_E_ABORTED,  11, "interrupted" },
};

static void truncate_marker(char *msg, int written)
{
	if (written >= CLU_ERR_MAX)
		memcpy(msg + CLU_ERR_MAX - 4, "...", 4);
}

int clu_err_set(struct clu_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	truncate_marker(err->msg, n);
	return code;
}

void clu_err_prefix(struct clu_err *err, const char *fmt, ...)
{
	char prefix[CLU_ERR_MAX], old[CLU_ERR_MAX];
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	n = snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	truncate_marker(err->msg, n);
}

const char *clu_strerror(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].text;
	return "unknown error";
}

int clu_exit_status(int code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].exit_status;
	return 1;
}
