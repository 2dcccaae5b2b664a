/*
 * What earlier runs on a cluster measured, for the planner to predict with.
 *
 * The planner predicts each step's duration and each group's interruption
 * from the manifest's estimates (expected-install-time,
 * expected-switchover-time). Once the journal holds finished runs of the
 * same cluster, their measured figures are better: the median duration of
 * each kind of step (install, verify, drain, ...) that ended done, and the
 * outage the probes measured per group, for each strategy. A figure says
 * how many runs it was learned from, so the plan can tell the operator
 * where each prediction comes from.
 *
 * clu_history_load() reads the figures from a journal (lib/history.c,
 * built on the journal's run records and the report's outage windows);
 * the planner only reads a struct clu_history, so a test can also build
 * one by hand.
 */
#ifndef CLUPDATE_HISTORY_H
#define CLUPDATE_HISTORY_H

#include <stddef.h>

#include "clupdate/err.h"

struct clu_journal;

/* At most this many of the newest matching runs are learned from. */
#define CLU_HISTORY_RUNS 10

/* How long one kind of step took: the median of its done attempts. */
struct clu_history_step {
	char *action;          /* "install", "verify", "drain", ... (clu_action_name) */
	unsigned ms;           /* median duration */
	unsigned samples;      /* done attempts measured */
	unsigned runs;         /* runs they come from */
};

/*
 * What users of a group saw in one strategy's runs: per run, the longest
 * total outage one of its probes measured (the windows of that probe
 * added up); ms is the median of those per-run totals.
 */
struct clu_history_outage {
	char *group;
	char *strategy;        /* "in-place" or "rolling" (clu_strategy_name) */
	unsigned ms;
	unsigned runs;         /* runs whose probes measured the group */
};

struct clu_history {
	char *cluster;         /* the cluster source the runs were made on */
	unsigned runs;         /* succeeded runs learned from (<= CLU_HISTORY_RUNS) */
	struct clu_history_step *steps;
	size_t n_steps;
	struct clu_history_outage *outages;
	size_t n_outages;
};

/*
 * Fill *history (which it initialises) from the newest CLU_HISTORY_RUNS
 * runs in journal that succeeded on cluster (the cluster source as runs
 * record it: "lab:demo", "sim:FILE", "pacemaker", ...), rollbacks left
 * out. No such run is no error: history->runs is 0. Returns 0, or
 * CLU_E_JOURNAL (err says why) with *history holding nothing.
 */
int clu_history_load(struct clu_history *history, struct clu_journal *journal,
		     const char *cluster, struct clu_err *err);

/* Free the contents of *history and zero it; a zeroed one is fine. */
void clu_history_release(struct clu_history *history);

/* The figure for a kind of step, or NULL; history may be NULL. */
const struct clu_history_step *clu_history_step(const struct clu_history *history,
						const char *action);

/* The outage figure of group in strategy's runs, or NULL; history may be NULL. */
const struct clu_history_outage *clu_history_outage(const struct clu_history *history,
						    const char *group, const char *strategy);

#endif
