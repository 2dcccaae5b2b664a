/*
 * `clupdate show RUN`: one run in full, with every step attempt and the
 * output of its node commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "cmd.h"

const char cmd_show_help[] =
"usage: clupdate show RUN [--state-dir DIR] [--output-as text|json|xml]\n"
"\n"
"Show one run (its id from 'clupdate history', or 'last') in full: every\n"
"step attempt with its times, exit status and the output of the installer,\n"
"verify and hook commands; every change made to the cluster with its prior\n"
"value and state; and the timeline's events.\n"
"\n"
"  --state-dir DIR   where the journal lives (default /var/lib/clupdate)\n"
"  --output-as F     text (default), json or xml\n";

int cmd_show(int argc, char **argv)
{
	const char *state_dir;
	int format, status = 0, ret;
	int first = cmd_journal_options(argc, argv, cmd_show_help, &state_dir, &format, &status);
	struct clu_journal *journal;
	struct clu_run_record run;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out;
	int64_t id = 0;

	if (first < 0)
		return status;
	if (first != argc - 1)
		return cmd_fail(CLU_E_USAGE, "show: expected one RUN (see 'clupdate history')");
	journal = cmd_open_journal(state_dir, &status);
	if (!journal)
		return status;
	out = clu_output_new(format, stdout, "show");
	ret = cmd_run_id(journal, argv[first], &id, &err);
	if (!ret)
		ret = clu_journal_run_load(journal, id, &run, &err);
	if (!ret) {
		clu_output_run(out, &run, true);
		clu_run_record_release(&run);
	}
	clu_output_finish(out, ret, ret ? err.msg : NULL);
	clu_journal_close(journal);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}
