/*
 * `clupdate status`: the run in progress, or the last one: its state, its
 * steps with their times, and what it left in the cluster.
 */
#include <stdio.h>

#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "cmd.h"

const char cmd_status_help[] =
"usage: clupdate status [--state-dir DIR] [--output-as text|json|xml]\n"
"\n"
"Show the run in progress, or the last run: its state (running, succeeded,\n"
"failed, aborted), each step with its state and time, the reason of a\n"
"failure with the failed command's output, and the changes it left in the\n"
"cluster (pins, bans, drained nodes) with their prior values. Reads the\n"
"journal only; another clupdate may be applying at the same time.\n"
"\n"
"  --state-dir DIR   where the journal lives (default /var/lib/clupdate)\n"
"  --output-as F     text (default), json or xml\n"
"\n"
"exit status: 0 (also when there is no run yet), 8 journal unreadable.\n";

int cmd_status(int argc, char **argv)
{
	const char *state_dir;
	int format, status = 0, ret;
	int first = cmd_journal_options(argc, argv, cmd_status_help, &state_dir, &format, &status);
	struct clu_journal *journal;
	struct clu_run_record run;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out;
	int64_t id = 0;

	if (first < 0)
		return status;
	if (first != argc)
		return cmd_fail(CLU_E_USAGE, "status: takes no operand (see 'clupdate show RUN')");
	journal = cmd_open_journal(state_dir, &status);
	if (!journal)
		return status;
	out = clu_output_new(format, stdout, "status");
	ret = clu_journal_last_run(journal, &id, &err);
	if (!ret && id) {
		ret = clu_journal_run_load(journal, id, &run, &err);
		if (!ret) {
			clu_output_run(out, &run, false);
			clu_run_record_release(&run);
		}
	} else if (!ret && format == CLU_FORMAT_TEXT) {
		printf("No runs yet (journal in %s).\n", state_dir);
	}
	clu_output_finish(out, ret, ret ? err.msg : NULL);
	clu_journal_close(journal);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}
