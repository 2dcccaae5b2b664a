/*
 * `clupdate history`: every run in the journal, newest first.
 */
#include <stdio.h>

#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "cmd.h"

const char cmd_history_help[] =
"usage: clupdate history [--state-dir DIR] [--output-as text|json|xml]\n"
"\n"
"List every run recorded in the journal, newest first: its id (for\n"
"'clupdate show RUN'), start, update, version, strategy, state and time.\n"
"\n"
"  --state-dir DIR   where the journal lives (default /var/lib/clupdate)\n"
"  --output-as F     text (default), json or xml\n";

int cmd_history(int argc, char **argv)
{
	const char *state_dir;
	int format, status = 0, ret;
	int first = cmd_journal_options(argc, argv, cmd_history_help, &state_dir, &format, &status);
	struct clu_journal *journal;
	struct clu_run_record *runs = NULL;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_output *out;
	size_t n = 0;

	if (first < 0)
		return status;
	if (first != argc)
		return cmd_fail(CLU_E_USAGE, "history: takes no operand");
	journal = cmd_open_journal(state_dir, &status);
	if (!journal)
		return status;
	out = clu_output_new(format, stdout, "history");
	ret = clu_journal_runs(journal, &runs, &n, &err);
	if (!ret)
		clu_output_history(out, runs, n);
	clu_output_finish(out, ret, ret ? err.msg : NULL);
	clu_run_records_free(runs, n);
	clu_journal_close(journal);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}
