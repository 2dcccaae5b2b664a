/*
 * What earlier runs measured (history.h), read from the journal: the
 * newest succeeded runs of one cluster, each loaded as a run record; step
 * durations come from its done attempts, outages from its report (the
 * same windows `clupdate report` shows), so that what the plan learns is
 * what the operator was shown.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/history.h"
#include "clupdate/journal.h"
#include "clupdate/report.h"
#include "util.h"

/* Samples of one figure while the runs are read. */
struct samples {
	char *action;          /* a step kind; or NULL for an outage */
	char *group, *strategy;
	unsigned *ms;
	size_t n, alloc;
	int64_t last_run;
	unsigned runs;
};

struct gathering {
	struct samples *v;
	size_t n, alloc;
};

static struct samples *samples_of(struct gathering *g, const char *action, const char *group,
				  const char *strategy)
{
	struct samples *s;

	for (size_t i = 0; i < g->n; i++)
		if (clu__streq(g->v[i].action, action) ||
		    (!action && !g->v[i].action && clu__streq(g->v[i].group, group) &&
		     clu__streq(g->v[i].strategy, strategy)))
			return &g->v[i];
	CLU_ALLOC_GROW(g->v, g->n + 1, g->alloc);
	s = &g->v[g->n++];
	s->action = clu__xstrdup_or_null(action);
	s->group = clu__xstrdup_or_null(group);
	s->strategy = clu__xstrdup_or_null(strategy);
	return s;
}

static void add_sample(struct samples *s, int64_t run_id, int64_t ms)
{
	CLU_ALLOC_GROW(s->ms, s->n + 1, s->alloc);
	s->ms[s->n++] = ms < 0 ? 0 : ms > (int64_t)UINT32_MAX ? UINT32_MAX : (unsigned)ms;
	if (s->last_run != run_id) {
		s->last_run = run_id;
		s->runs++;
	}
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* The median (the lower of the two middle ones: a figure that was measured). */
static unsigned median(struct samples *s)
{
	qsort(s->ms, s->n, sizeof(*s->ms), cmp_unsigned);
	return s->ms[(s->n - 1) / 2];
}

static void learn_run(struct gathering *g, const struct clu_run_record *run)
{
	struct clu_report report;
	struct clu_err ignored = CLU_ERR_INIT;

	for (size_t i = 0; i < run->n_steps; i++) {
		const struct clu_step_record *st = &run->steps[i];

		if (st->state == CLU_STEP_DONE && st->ended_mono_ms)
			add_sample(samples_of(g, st->action, NULL, NULL), run->id,
				   st->ended_mono_ms - st->started_mono_ms);
	}
	if (clu_report_make(&report, run, &ignored))
		return;
	for (size_t i = 0; i < report.n_groups; i++)
		if (report.groups[i].measured_ms >= 0)
			add_sample(samples_of(g, NULL, report.groups[i].group, run->strategy),
				   run->id, report.groups[i].measured_ms);
	clu_report_release(&report);
}

static void keep(struct clu_history *h, struct gathering *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct samples *s = &g->v[i];

		if (s->action) {
			h->steps = clu__xrealloc(h->steps, (h->n_steps + 1) * sizeof(*h->steps));
			h->steps[h->n_steps++] = (struct clu_history_step){
				.action = s->action, .ms = median(s), .samples = (unsigned)s->n,
				.runs = s->runs,
			};
		} else {
			h->outages = clu__xrealloc(h->outages, (h->n_outages + 1) * sizeof(*h->outages));
			h->outages[h->n_outages++] = (struct clu_history_outage){
				.group = s->group, .strategy = s->strategy, .ms = median(s),
				.runs = s->runs,
			};
		}
		free(s->ms);
	}
	free(g->v);
}

int clu_history_load(struct clu_history *h, struct clu_journal *journal, const char *cluster,
		     struct clu_err *err)
{
	struct clu_run_record *runs = NULL;
	struct gathering g = { 0 };
	size_t n = 0;
	int ret;

	memset(h, 0, sizeof(*h));
	ret = clu_journal_runs(journal, &runs, &n, err);
	for (size_t i = 0; !ret && i < n && h->runs < CLU_HISTORY_RUNS; i++) {
		struct clu_run_record run;

		if (runs[i].state != CLU_RUN_SUCCEEDED || !clu__streq(runs[i].cluster, cluster) ||
		    !strcmp(runs[i].strategy, "rollback"))
			continue;
		ret = clu_journal_run_load(journal, runs[i].id, &run, err);
		if (ret)
			break;
		learn_run(&g, &run);
		clu_run_record_release(&run);
		h->runs++;
	}
	clu_run_records_free(runs, n);
	h->cluster = clu__xstrdup(cluster);
	keep(h, &g);
	if (ret)
		clu_history_release(h);
	return ret;
}

void clu_history_release(struct clu_history *h)
{
	for (size_t i = 0; i < h->n_steps; i++)
		free(h->steps[i].action);
	for (size_t i = 0; i < h->n_outages; i++) {
		free(h->outages[i].group);
		free(h->outages[i].strategy);
	}
	free(h->steps);
	free(h->outages);
	free(h->cluster);
	memset(h, 0, sizeof(*h));
}

const struct clu_history_step *clu_history_step(const struct clu_history *h, const char *action)
{
	for (size_t i = 0; h && i < h->n_steps; i++)
		if (!strcmp(h->steps[i].action, action))
			return &h->steps[i];
	return NULL;
}

const struct clu_history_outage *clu_history_outage(const struct clu_history *h,
						    const char *group, const char *strategy)
{
	for (size_t i = 0; h && i < h->n_outages; i++)
		if (!strcmp(h->outages[i].group, group) && !strcmp(h->outages[i].strategy, strategy))
			return &h->outages[i];
	return NULL;
}
