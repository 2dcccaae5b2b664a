/*
 * `clupdate abort [RUN]`: stop the run at work (if any) and put back what
 * the last run (or RUN) and the earlier unfinished runs of its update
 * changed in the cluster, but the version guard's bans (abort.h). The
 * cluster is read with the version attribute of the run's own manifest,
 * as the journal keeps it, so that the guard is judged as that run judged
 * it. Progress goes to stderr; what was put back and kept to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/abort.h"
#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "clupdate/target.h"
#include "cmd.h"

static void show_progress(void *ctx, const char *message)
{
	(void)ctx;
	fprintf(stderr, "clupdate: %s\n", message);
}

/* The manifest as the journal kept it (the file may have changed since). */
static int journalled_manifest(const struct clu_run_record *run, struct clu_manifest *m,
			       struct clu_err *err)
{
	char path[] = "/tmp/clupdate-abort-XXXXXX";
	int fd = mkstemp(path);
	size_t len = run->manifest_text ? strlen(run->manifest_text) : 0;
	int ret;

	if (fd < 0)
		return clu_err_set(err, CLU_E_IO, "cannot make a temporary file in /tmp");
	ret = write(fd, run->manifest_text ? run->manifest_text : "", len) == (ssize_t)len ? 0 :
	      clu_err_set(err, CLU_E_IO, "cannot write '%s'", path);
	close(fd);
	if (!ret)
		ret = clu_manifest_load(m, path, err);
	unlink(path);
	if (ret)
		clu_err_prefix(err, "the manifest of run %lld, as journalled", (long long)run->id);
	return ret;
}

/* The version attribute of the run to abort; NULL when there is no run. */
static int version_attribute(struct cmd_ctx *ctx, int64_t id, char **attribute,
			     struct clu_err *err)
{
	struct clu_run_record run;
	struct clu_manifest m;
	int64_t last = id;
	int ret = last ? 0 : clu_journal_last_run(ctx->journal, &last, err);

	*attribute = NULL;
	if (ret || !last)
		return ret;
	if ((ret = clu_journal_run_load(ctx->journal, last, &run, err)))
		return ret;
	ret = journalled_manifest(&run, &m, err);
	if (!ret) {
		*attribute = strdup(m.version_attribute);
		clu_manifest_release(&m);
	}
	clu_run_record_release(&run);
	return ret;
}

static int run_abort(struct cmd_ctx *ctx)
{
	const struct cmd_options *o = &ctx->opt;
	struct clu_abort_options options = {
		.stop_timeout_ms = o->settle_timeout_ms, .settle_timeout_ms = o->settle_timeout_ms,
		.break_stale_lock = o->break_lock, .lock_stale_ms = o->lock_stale_ms,
		.progress = show_progress,
	};
	struct clu_abort_result result = { 0 };
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out;
	struct clu_target target;
	bool have_target = false;
	char *attribute = NULL;
	int ret = 0;

	if (o->n_operands)
		ret = cmd_run_id(ctx->journal, o->operands[0], &options.run_id, &err);
	if (!ret)
		ret = version_attribute(ctx, options.run_id, &attribute, &err);
	if (!ret) {
		ret = clu_target_open(&target, o->cluster, attribute, o->ssh_config, &err);
		have_target = !ret;
	}
	if (!ret && !target.live)
		ret = clu_err_set(&err, CLU_E_USAGE, "abort: '%s' is a saved state, not a running "
				  "cluster (use --cluster pacemaker, lab:NAME, ssh:HOST or sim:FILE)",
				  o->cluster);
	if (!ret)
		ret = clu_abort_run(target.backend, ctx->journal, &options, &result, &err);
	out = clu_output_new(o->format, stdout, "abort");
	if (result.run_id || result.stopped)
		clu_output_abort(out, &result);
	clu_output_finish(out, ret, ret ? err.msg : NULL);
	if (ret && result.n_restored)
		fprintf(stderr, "clupdate: %zu change%s put back before the error; run abort again "
			"to finish\n", result.n_restored, result.n_restored == 1 ? "" : "s");
	clu_abort_result_release(&result);
	if (have_target)
		clu_target_release(&target);
	free(attribute);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}

static const struct cmd_option options[] = {
	CMD_OPTION_CLUSTER("C",
		"the cluster the run changed: pacemaker (the default),\n"
		"ssh:HOST[,HOST...], lab:NAME or sim:FILE"),
	CMD_OPTION_STATE_DIR("where the journal lives (default /var/lib/clupdate)"),
	CMD_OPTION_SSH_CONFIG("ssh_config for the nodes reached over ssh"),
	CMD_OPTION_OUTPUT_AS("the result as text (default), json or xml"),
	{ "break-lock", 0, CMD_ARG_SECONDS, true, "S", 3600, CMD_FIELD(lock_stale_ms),
	  CMD_FIELD(break_lock),
	  "when the lock's holder does not answer, watch its\n"
	  "heartbeat for S seconds (60) and take the lock over if\n"
	  "it never moved" },
	{ "settle-timeout", 0, CMD_ARG_SECONDS, false, "S", 86400, CMD_FIELD(settle_timeout_ms), 0,
	  "how long to wait for a running run to stop, and for\n"
	  "the cluster to settle after the undo (120)" },
	CMD_OPTION_END,
};

const struct cmd cmd_abort_entry = {
	.name = "abort",
	.summary = "stop a run and put back what it changed (but the version guard)",
	.operands = "[RUN]", .operand = "RUN", .min_operands = 0, .max_operands = 1,
	.needs = CMD_JOURNAL | CMD_ENVELOPE,
	.options = options,
	.about =
"Stop the run at work, if any, and put the cluster's settings back as they\n"
"were before the last run (or RUN, an id or 'last') began: pins\n"
"(is-managed), standby, clupdate's own bans and preferences, newest first,\n"
"each recorded in the journal. The earlier unfinished runs of the same\n"
"update are in effect too: their changes are put back with it. Works after\n"
"a crash, from the journal alone.\n"
"\n"
"Kept: the version guard's bans. A node older than a group's data (the\n"
"group's owner migrated it) must never host the group: its ban stays, and\n"
"is put in place first if it is missing, before any pin is undone; abort\n"
"names each one and why. Software is not rolled back: nodes keep the\n"
"version they have. The next run of the same update removes the kept bans\n"
"once their nodes are updated.\n"
"\n"
"A run at work is stopped first: on this host with SIGTERM (it stops at\n"
"its next safe point and releases the lock); on another host through the\n"
"cluster lock (it sees the request at its next renewal, within 5 s, and\n"
"stops as if interrupted). abort waits for the lock, up to --settle-timeout.\n",
	.epilogue =
"examples:\n"
"  clupdate abort\n"
"  clupdate abort 12 --cluster lab:lab --output-as json\n"
"\n"
"exit status: 0 done (kept bans are named, not an error), 2 usage or no\n"
"run, 4 cluster unreadable, 5 the run succeeded (nothing to abort), 6 a\n"
"node cannot be reached, 8 journal, 9 the cluster did not settle after the\n"
"undo, 10 the run at work did not stop in time (nothing was undone).\n",
	.run = run_abort,
};
