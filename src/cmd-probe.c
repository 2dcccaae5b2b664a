/*
 * `clupdate probe MANIFEST -- CMD...`: measure the outage users see while
 * any command runs (a manual switchover, a restart, a maintenance script),
 * with the manifest's probes, exactly as `apply` measures its own runs.
 *
 * The probes journal into a scratch journal (removed afterwards unless
 * --state-dir is given); the windows come out of the same report code as
 * `clupdate report`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clupdate/journal.h"
#include "clupdate/manifest.h"
#include "clupdate/output.h"
#include "clupdate/probe.h"
#include "clupdate/proc.h"
#include "clupdate/report.h"
#include "clupdate/target.h"
#include "cmd.h"

const char cmd_probe_help[] =
"usage: clupdate probe MANIFEST [--cluster C] [--duration S] [--settle MS]\n"
"                      [--state-dir DIR] [--output-as text|json|xml|html] [-- CMD ARGS...]\n"
"\n"
"Run the manifest's probes against the group's service, from where its users\n"
"stand (in a lab: the client namespace), while CMD runs, or for --duration\n"
"seconds; then report the outage windows they saw, as 'clupdate report'\n"
"does. Use it to measure any maintenance action the same way clupdate\n"
"measures its own runs, e.g. a bare Pacemaker switchover:\n"
"\n"
"  clupdate probe sp3.conf --cluster lab:demo -- \\\n"
"      clupdate lab exec --name demo n1 -- crm_resource --move -r mail -N n2 --wait\n"
"\n"
"options:\n"
"  --cluster C        pacemaker (default), lab:NAME or ssh:HOST[,HOST...]\n"
"  --duration S       without CMD: probe for S seconds (default 10)\n"
"  --settle MS        keep probing MS milliseconds after CMD ends (default 1000),\n"
"                     so a window it opened is seen to close\n"
"  --state-dir DIR    keep the measurement in this journal (default: a scratch\n"
"                     journal, removed afterwards)\n"
"  --output-as F      text (default), json, xml or html\n"
"\n"
"exit status: CMD's failure is reported (6) after the windows are printed.\n";

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option options[] = {
		{ "cluster", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'D' },
		{ "settle", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "output-as", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *source = "pacemaker", *state_dir = NULL;
	unsigned duration_s = 10, settle_ms = 1000;
	int format = CLU_FORMAT_TEXT, opt, ret, cmd_ret = 0;
	char scratch[] = "/tmp/clupdate-probe-XXXXXX";
	struct clu_manifest manifest;
	struct clu_target target;
	struct clu_probe_target *probes = NULL;
	struct clu_journal *journal = NULL;
	struct clu_prober *prober = NULL;
	struct clu_err err = CLU_ERR_INIT, cmd_err = CLU_ERR_INIT;
	struct clu_run_begin begin = { .update = "probe", .version = "-", .strategy = "none",
				       .plan_json = "{}", .manifest_text = "" };
	bool have_manifest = false, have_target = false;
	size_t n_probes = 0;
	int64_t run_id = 0;

	opterr = 0;
	/* Options stop at "--" (getopt consumes it): CMD's own options stay CMD's. */
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': source = optarg; break;
		case 'd': state_dir = optarg; break;
		case 'D': duration_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': settle_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'o':
			if ((cmd_ret = cmd_format_option("probe", optarg, true, &format)))
				return cmd_ret;
			break;
		case 'h':
			fputs(cmd_probe_help, stdout);
			return 0;
		default:
			return cmd_fail(CLU_E_USAGE, "probe: unknown option '%s' (see 'clupdate help probe')",
					argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cmd_fail(CLU_E_USAGE, "probe: expected a MANIFEST (see 'clupdate help probe')");

	ret = clu_manifest_load(&manifest, argv[optind], &err);
	if (ret)
		goto out;
	have_manifest = true;
	if (!manifest.n_probes) {
		ret = clu_err_set(&err, CLU_E_USAGE, "probe: '%s' has no [probe] section", manifest.path);
		goto out;
	}
	ret = clu_target_open(&target, source, manifest.version_attribute, NULL, &err);
	if (ret)
		goto out;
	have_target = true;
	ret = clu_target_probe_targets(&target, &manifest, &probes, &n_probes, &err);
	if (!ret && !state_dir) {
		if (!mkdtemp(scratch))
			ret = clu_err_set(&err, CLU_E_IO, "cannot make a scratch directory");
	}
	if (!ret)
		ret = clu_journal_open(&journal, state_dir ? state_dir : scratch, &err);
	begin.manifest_path = manifest.path;
	begin.cluster = source;
	if (!ret)
		ret = clu_journal_run_begin(journal, &begin, &run_id, &err);
	if (!ret)
		ret = clu_prober_start(&prober, probes, n_probes, journal, run_id, &err);
	if (ret)
		goto out;

	if (optind + 1 < argc) {
		struct clu_proc proc;

		clu_proc_init(&proc);
		clu_proc_args(&proc, (const char *const *)argv + optind + 1);
		proc.in.mode = CLU_PROC_INHERIT;
		proc.out.mode = CLU_PROC_INHERIT;
		proc.err.mode = CLU_PROC_INHERIT;
		cmd_ret = clu_proc_run(&proc, &cmd_err);
		clu_proc_release(&proc);
		sleep_ms(settle_ms);
	} else {
		sleep_ms(duration_s * 1000);
	}
	clu_prober_stop(prober, NULL, NULL);
	ret = clu_journal_run_end(journal, run_id, cmd_ret ? CLU_RUN_FAILED : CLU_RUN_SUCCEEDED,
				  cmd_ret ? cmd_err.msg : NULL, &err);
	if (!ret)
		ret = cmd_print_report(journal, run_id, format, &err);
out:
	clu_journal_close(journal);
	if (!state_dir && scratch[strlen(scratch) - 1] != 'X') {
		char *paths[] = { "journal.db", "journal.db-wal", "journal.db-shm" };

		for (size_t i = 0; i < 3; i++) {
			char *path = NULL;

			if (asprintf(&path, "%s/%s", scratch, paths[i]) > 0) {
				unlink(path);
				free(path);
			}
		}
		rmdir(scratch);
	}
	clu_probe_targets_free(probes, n_probes);
	if (have_target)
		clu_target_release(&target);
	if (have_manifest)
		clu_manifest_release(&manifest);
	if (ret)
		return cmd_fail(ret, "%s", err.msg);
	if (cmd_ret)
		return cmd_fail(cmd_ret, "probe: the command failed: %s", cmd_err.msg);
	return 0;
}
