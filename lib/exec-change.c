/*
 * Journalled changes (see exec-internal.h): every change the executor
 * makes to the cluster is prepared by the backend (which reads its prior
 * value live), journalled as intended BEFORE it is made, made, and marked
 * applied or failed; every undo (an unpin, an undrain, a ban's end, a
 * clear, the lock's release) puts a journalled change back through the
 * backend and marks it restored. So a crash at any instant leaves a
 * journal that says what may have been changed and what it was before.
 */
#include <stdlib.h>
#include <string.h>

#include "exec-internal.h"

/* An earlier unfinished run's open change of the same kind, target and name. */
struct adoptable {
	const struct clu_change *spec;
	int64_t id, run_id;
	char *prior;
	bool found;
};

static int find_adoptable(void *ctx, const struct clu_change *c, struct clu_err *err)
{
	struct adoptable *a = ctx;
	const struct clu_change *spec = a->spec;

	(void)err;
	if (!a->found && clu__streq(c->kind, spec->kind) && clu__streq(c->target, spec->target) &&
	    (c->name == spec->name || clu__streq(c->name, spec->name))) {
		a->found = true;
		a->id = c->id;
		a->run_id = c->run_id;
		a->prior = clu__xstrdup_or_null(c->prior);
	}
	return 0;
}

static int adopt(struct executor *x, const struct clu_change *c, const struct adoptable *a,
		 struct clu_err *err)
{
	char *detail = clu__xasprintf("run %lld's %s %s%s%s (prior %s) taken over by run %lld",
				      (long long)a->run_id, c->kind, c->target,
				      c->name ? " " : "", c->name ? c->name : "",
				      a->prior ? a->prior : "absent", (long long)x->run_id);
	int ret = clu_journal_change_mark(x->journal, a->id, CLU_CHANGE_RESTORED, err);

	exec_event(x, clu_now_mono_ms(), "adopted", c->target, c->group, detail);
	free(detail);
	return ret;
}

/*
 * Journal c as intended. Its prior is the value before the update began:
 * when an earlier unfinished run of this same update made the same change
 * and died (its pin, its ban), the live value is that run's, and its
 * journalled prior is the real one. That change is adopted: ours carries
 * its prior, and it is marked restored, taken over by this run, so that
 * one open change stands for the pin and its undo is right.
 */
int exec_journal_intent(struct executor *x, struct clu_change *c, struct clu_err *err)
{
	struct adoptable a = { .spec = c };
	int ret = strcmp(c->kind, CLU_CHANGE_LOCK) ?
		  exec_each_leftover(x->journal, x->manifest, x->run_id, find_adoptable, &a, err) : 0;

	c->run_id = x->run_id;
	if (!ret && a.found) {
		free(c->prior);
		c->prior = a.prior;
		a.prior = NULL;
	}
	if (!ret)
		ret = clu_journal_change_intend(x->journal, c, err);
	if (!ret && a.found)
		ret = adopt(x, c, &a, err);
	free(a.prior);
	return ret;
}

/*
 * Mark a change applied, or failed when the engine refused it. When the
 * command could not tell (no answer, a timeout), the change stays intended:
 * it may have been made, and whoever undoes the run must consider it.
 */
static int journal_outcome(struct executor *x, int64_t id, int made, struct clu_err *err)
{
	struct clu_err jerr = CLU_ERR_INIT;
	int ret;

	if (made && made != CLU_E_CLUSTER)
		return made;
	ret = clu_journal_change_mark(x->journal, id, made ? CLU_CHANGE_FAILED
							   : CLU_CHANGE_APPLIED, &jerr);
	if (ret && !made)
		*err = jerr;
	return made ? made : ret;
}

/* Prepare and journal each intent; already[i]: change i is in place. */
static int intend_all(struct executor *x, unsigned step, const struct clu_intent *intents,
		      size_t n, struct clu_change *changes, bool *already, size_t *n_prepared,
		      struct clu_err *err)
{
	int ret = 0;

	for (*n_prepared = 0; *n_prepared < n && !ret; (*n_prepared)++) {
		size_t i = *n_prepared;

		ret = x->backend->ops->prepare(x->backend, &intents[i], &changes[i], &already[i], err);
		if (ret)
			break;
		changes[i].step = step;
		ret = exec_journal_intent(x, &changes[i], err);
	}
	return ret;
}

int exec_change(struct executor *x, unsigned step, const struct clu_intent *intents, size_t n,
		struct clu_err *err)
{
	struct clu_change *changes = clu__xcalloc(n, sizeof(*changes));
	struct clu_change *to_apply = clu__xcalloc(n, sizeof(*to_apply));
	bool *already = clu__xcalloc(n, sizeof(*already));
	size_t n_prepared, n_apply = 0;
	int ret = intend_all(x, step, intents, n, changes, already, &n_prepared, err), made = 0;

	for (size_t i = 0; !ret && i < n; i++)
		if (!already[i])
			to_apply[n_apply++] = changes[i];
	if (!ret && n_apply)
		made = x->backend->ops->apply(x->backend, to_apply, n_apply, err);
	/* One update: all made, or none. One in place already (an earlier
	 * run's ban) is applied as it stands. */
	for (size_t i = 0; i < n && (!ret || made); i++) {
		int outcome = journal_outcome(x, changes[i].id, already[i] ? 0 : made, err);

		if (!ret)
			ret = outcome;
	}
	for (size_t i = 0; i < n_prepared; i++)
		clu_change_release(&changes[i]);
	free(changes);
	free(to_apply);
	free(already);
	return ret;
}

/* What a journalled change is: the lock is the executor's, the rest the backend's. */
enum clu_verb exec_verb_of(const struct executor *x, const struct clu_change *c)
{
	if (!strcmp(c->kind, CLU_CHANGE_LOCK) || !strcmp(c->kind, CLU_CHANGE_LOCK_OLD))
		return CLU_VERB_LOCK;
	return x->backend->ops->verb_of(c);
}

int exec_put_back(struct executor *x, const struct clu_change *c, struct clu_err *err)
{
	int ret = exec_verb_of(x, c) == CLU_VERB_LOCK ?
		  x->backend->ops->lock_delete(x->backend, c->name, 0, err) :
		  x->backend->ops->undo(x->backend, c, err);

	if (!ret)
		ret = clu_journal_change_mark(x->journal, c->id, CLU_CHANGE_RESTORED, err);
	return ret;
}

bool exec_change_about(const struct executor *x, const struct clu_change *c,
		       enum clu_verb verb, const char *group, const char *node)
{
	return exec_verb_of(x, c) == verb && (!group || clu__streq(c->group, group)) &&
	       (!node || clu__streq(c->node, node));
}

int exec_restore(struct executor *x, enum clu_verb verb, const char *group, const char *node,
		 bool *found, struct clu_err *err)
{
	struct clu_change *changes = NULL;
	size_t n = 0;
	int ret = clu_journal_changes_open(x->journal, x->run_id, &changes, &n, err);

	*found = false;
	for (size_t i = 0; !ret && !*found && i < n; i++)
		if (exec_change_about(x, &changes[i], verb, group, node)) {
			*found = true;
			ret = exec_put_back(x, &changes[i], err);
		}
	clu_changes_free(changes, n);
	return ret;
}

int exec_restore_all(struct executor *x, enum clu_verb verb, const char *group,
		     struct clu_err *err)
{
	struct clu_change *changes = NULL;
	size_t n = 0;
	int ret = clu_journal_changes_open(x->journal, x->run_id, &changes, &n, err);

	for (size_t i = 0; !ret && i < n; i++)
		if (exec_change_about(x, &changes[i], verb, group, NULL))
			ret = exec_put_back(x, &changes[i], err);
	clu_changes_free(changes, n);
	return ret;
}
