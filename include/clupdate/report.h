/*
 * The run report: what users saw during a run, at a glance.
 *
 * Made from a run's journal record (clu_journal_run_load): the probes'
 * up/down events become outage windows, each attributed to the step that
 * was running when it began; the steps give each node's durations; the
 * installers' own stop/start instants give the service window they caused,
 * to compare with what the probes saw. All instants are offsets in ms from
 * the run's start on the monotonic clock.
 *
 * Overhead is what clupdate itself adds: wall time minus the time spent in
 * installer commands minus the time spent waiting for the engine's
 * transitions.
 */
#ifndef CLUPDATE_REPORT_H
#define CLUPDATE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clupdate/journal.h"

struct clu_outage {
	char *group;
	char *probe;
	int64_t start_ms, end_ms;    /* offsets from the run's start */
	int64_t start_real_ms;       /* wall clock of the start */
	bool open;                   /* still down when the probe stopped */
	unsigned step;               /* the step running when it began; 0: none */
	char *step_action, *step_node;
};

struct clu_report_step {
	unsigned index;
	unsigned attempt;            /* 1, 2... (retries: one record per attempt) */
	char *action, *node, *group, *state;
	int64_t start_ms, end_ms;    /* offsets; end_ms = start_ms while running */
};

/* The service's own window, from an installer's logged instants. */
struct clu_service_window {
	char *node;
	int64_t stopped_ms, started_ms;   /* started_ms < 0: never logged */
};

struct clu_report_probe {
	char *name, *group;
	unsigned probes, failures;
	int64_t cpu_ms;
	int64_t start_ms, stop_ms;
	int64_t budget_ms;           /* its max-outage; 0: none */
	int64_t longest_ms;          /* its longest outage window */
	bool over_budget;            /* the run stopped on it, or an outage exceeded it */
	int64_t back_ms;             /* after a switchover: until it saw the service up
					again (the last such wait); -1: none */
	bool not_back;               /* a wait ran out (up-timeout) */
};

/*
 * A group's interruption, as the plan predicted it (the plan the journal
 * keeps with the run) against what the probes measured.
 */
struct clu_report_group {
	char *group;
	int64_t predicted_ms;        /* -1: the plan predicted none (an older journal) */
	unsigned predicted_windows;
	char *predicted_from;        /* "manifest", "journal" (clu_basis_name); NULL */
	unsigned predicted_runs;     /* journal: learned from this many runs */
	int64_t measured_ms;         /* the windows of the probe that saw the most
					added up; -1: no probe watched the group */
	unsigned measured_windows;   /* that probe's windows */
};

struct clu_report {
	int64_t run_id;
	char *update, *version, *strategy, *cluster, *state;
	int64_t wall_ms;
	int64_t installer_ms;        /* install steps' commands */
	int64_t engine_wait_ms;      /* waiting for the engine's transitions */
	int64_t overhead_ms;
	size_t acknowledged;
	size_t lost;
	bool lost_checked;           /* a check ran: lost is known */
	char **lost_ids;
	size_t n_lost_ids;
	struct clu_outage *outages;
	size_t n_outages;
	struct clu_report_step *steps;
	size_t n_steps;
	struct clu_service_window *service;
	size_t n_service;
	struct clu_report_probe *probes;
	size_t n_probes;
	char **nodes;                /* nodes with steps, in order of first step */
	size_t n_nodes;
	/* Predicted against measured: the run's duration (wall_ms) ... */
	int64_t predicted_ms;        /* the plan's predicted duration; -1: none */
	char *predicted_from;        /* "manifest", "journal"; NULL */
	unsigned predicted_runs;
	/* ... and each updated group's interruption (then any other probed group). */
	struct clu_report_group *groups;
	size_t n_groups;
};

/* Make the report of a run (0), or CLU_E_JOURNAL when its record is inconsistent. */
int clu_report_make(struct clu_report *report, const struct clu_run_record *run,
		    struct clu_err *err);
void clu_report_release(struct clu_report *report);

#endif
