/*
 * The plan's predictions (plan.h: clu_plan_predict): how long each step
 * should take, how long users of each group should see the service down,
 * and how long the whole run should take, each saying where its figure
 * comes from.
 *
 * The manifest gives two estimates: expected-install-time (an install's
 * duration, and in place the interruption of the groups its node runs)
 * and expected-switchover-time (a rolling move's interruption and
 * duration). Earlier runs of the same cluster (history.h) give measured
 * figures, which win where there are any: the median duration of each
 * kind of step, and the median outage per group measured by the probes in
 * runs of the same strategy. A kind of step neither knows is predicted 0
 * (unknown) and says so.
 */
#include "clupdate/plan.h"
#include "util.h"

const char *clu_basis_name(enum clu_basis basis)
{
	switch (basis) {
	case CLU_BASIS_MANIFEST:
		return "manifest";
	case CLU_BASIS_JOURNAL:
		return "journal";
	case CLU_BASIS_NONE:
		break;
	}
	return "none";
}

static struct clu_prediction learned(const struct clu_history *h)
{
	return (struct clu_prediction){ .basis = CLU_BASIS_JOURNAL, .runs = h->runs };
}

static const struct clu_prediction from_manifest = { .basis = CLU_BASIS_MANIFEST };

/* The step's duration: learned for its kind, else the manifest's estimate. */
static void predict_duration(struct clu_step *s, const struct clu_manifest *m,
			     const struct clu_history *h)
{
	const struct clu_history_step *measured = clu_history_step(h, clu_action_name(s->action));

	s->predicted_ms = 0;
	s->predicted_from = (struct clu_prediction){ 0 };
	if (measured) {
		s->predicted_ms = measured->ms;
		s->predicted_from = learned(h);
		s->predicted_from.runs = measured->runs;
	} else if (s->action == CLU_ACTION_INSTALL) {
		s->predicted_ms = clu_manifest_install_ms(m, s->interrupts, s->n_interrupts);
		s->predicted_from = from_manifest;
	} else if (s->action == CLU_ACTION_MOVE) {
		s->predicted_ms = clu_manifest_switchover_ms(m, s->group);
		s->predicted_from = from_manifest;
	}
}

/*
 * The interruption a step causes: in place, the installer's window on the
 * owner; rolling, the switchover. A group's measured outage in runs of
 * the same strategy wins; with several groups interrupted at once, the
 * longest of theirs.
 */
static void predict_interruption(struct clu_step *s, const struct clu_plan *plan,
				 const struct clu_manifest *m, const struct clu_history *h)
{
	const char *strategy = clu_strategy_name(plan->strategy);

	s->interrupts_ms = 0;
	s->interrupts_from = (struct clu_prediction){ 0 };
	if (!s->n_interrupts)
		return;
	for (size_t i = 0; !plan->rollback && i < s->n_interrupts; i++) {
		const struct clu_history_outage *o = clu_history_outage(h, s->interrupts[i], strategy);

		if (o && (s->interrupts_from.basis != CLU_BASIS_JOURNAL || o->ms > s->interrupts_ms)) {
			s->interrupts_ms = o->ms;
			s->interrupts_from = learned(h);
			s->interrupts_from.runs = o->runs;
		}
	}
	if (s->interrupts_from.basis == CLU_BASIS_JOURNAL)
		return;
	s->interrupts_from = from_manifest;
	if (s->action == CLU_ACTION_MOVE)
		s->interrupts_ms = clu_manifest_switchover_ms(m, s->group);
	else
		s->interrupts_ms = clu_manifest_install_ms(m, s->interrupts, s->n_interrupts);
}

/* The step's place in the run's duration: 0 when it runs at once with the one before. */
static bool runs_with_previous(const struct clu_plan *plan, size_t i)
{
	const struct clu_step *s = &plan->steps[i], *prev = i ? &plan->steps[i - 1] : NULL;

	return prev && prev->wave == s->wave && prev->action == s->action &&
	       clu_action_runs_on_node(s->action) &&
	       ((!prev->hook && !s->hook) || clu__streq(prev->hook, s->hook));
}

/* A's basis combined with b's: learned wins (from the most runs), then the manifest. */
static void combine(struct clu_prediction *a, const struct clu_prediction *b)
{
	if (b->basis > a->basis || (b->basis == a->basis && b->runs > a->runs))
		*a = *b;
}

unsigned clu_plan_remaining_ms(const struct clu_plan *plan, const bool *done, unsigned current,
			       int64_t elapsed_ms)
{
	unsigned total = 0, together = 0;   /* the longest of the commands running at once */

	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];
		int64_t left = s->predicted_ms;

		if (!runs_with_previous(plan, i)) {
			total += together;
			together = 0;
		}
		if (done && done[i])
			continue;
		if (s->index == current)
			left = left > elapsed_ms ? left - elapsed_ms : 0;
		if (left > together)
			together = (unsigned)left;
	}
	return total + together;
}

void clu_plan_predict(struct clu_plan *plan, const struct clu_manifest *m,
		      const struct clu_history *history)
{
	const struct clu_history *h = history && history->runs ? history : NULL;

	plan->predicted_from = (struct clu_prediction){ 0 };
	for (size_t i = 0; i < plan->n_steps; i++) {
		struct clu_step *s = &plan->steps[i];

		predict_duration(s, m, h);
		predict_interruption(s, plan, m, h);
		combine(&plan->predicted_from, &s->predicted_from);
	}
	plan->predicted_ms = clu_plan_remaining_ms(plan, NULL, 0, 0);

	for (size_t g = 0; g < plan->n_interruptions; g++) {
		struct clu_interruption *in = &plan->interruptions[g];

		in->ms = 0;
		in->from = (struct clu_prediction){ 0 };
		for (size_t i = 0; i < plan->n_steps; i++) {
			const struct clu_step *s = &plan->steps[i];

			for (size_t k = 0; k < s->n_interrupts; k++)
				if (!strcmp(s->interrupts[k], in->group)) {
					in->ms += s->interrupts_ms;
					combine(&in->from, &s->interrupts_from);
				}
		}
		/* No window: nothing to predict, and the manifest says so. */
		if (!in->count)
			in->from = from_manifest;
	}
}
