/*
 * `clupdate report RUN`: what users saw during a run: the outage windows,
 * each with the step that caused it, the steps per node, the wall time and
 * clupdate's own overhead, and the messages acknowledged and lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/journal.h"
#include "clupdate/output.h"
#include "clupdate/report.h"
#include "cmd.h"

const char cmd_report_help[] =
"usage: clupdate report RUN [--state-dir DIR] [--output-as text|json|xml|html]\n"
"\n"
"Report what the users of the updated groups saw during a run (its id from\n"
"'clupdate history', or 'last'):\n"
"  - each outage window, as the probes saw it: its start, end, duration,\n"
"    and the step that was running when it began;\n"
"  - the installers' own stop-to-start windows, to compare with;\n"
"  - each node's steps and their durations;\n"
"  - the wall time, split into installer time, time waiting for the\n"
"    cluster engine, and clupdate's own overhead;\n"
"  - the messages acknowledged to the smtp probes, and how many of them\n"
"    were missing from the store afterwards (lost).\n"
"\n"
"  --output-as html   one self-contained page (no network) with a timeline:\n"
"                     a lane per node (steps as bars) and a lane per probe\n"
"                     (outages in red); redirect it to a file and open it\n"
"  --state-dir DIR    where the journal lives (default /var/lib/clupdate)\n"
"\n"
"example:\n"
"  clupdate report last --output-as html > report.html\n";

int cmd_report(int argc, char **argv)
{
	const char *state_dir;
	int format, status = 0, ret;
	int first = cmd_journal_options(argc, argv, cmd_report_help, &state_dir, &format, &status);
	struct clu_journal *journal;
	struct clu_err err = CLU_ERR_INIT;
	int64_t id;

	if (first < 0)
		return status;
	if (first != argc - 1)
		return cmd_fail(CLU_E_USAGE, "report: expected one RUN (see 'clupdate history')");
	journal = cmd_open_journal(state_dir, &status);
	if (!journal)
		return status;
	ret = cmd_run_id(journal, argv[first], &id, &err);
	if (!ret)
		ret = cmd_print_report(journal, id, format, &err);
	clu_journal_close(journal);
	return ret ? cmd_fail(ret, "%s", err.msg) : 0;
}
