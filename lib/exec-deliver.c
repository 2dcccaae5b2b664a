/*
 * The delivery check (see exec.h): after the last step the probes stop,
 * and for each smtp probe with a `check` command, the group's owner is
 * asked which of the messages acknowledged during the run its store does
 * not have (ids on stdin, one a line; the missing ones on stdout). An
 * update that lost acknowledged mail did not succeed. Also after a run
 * that stopped early: where the group runs is read once the engine has
 * settled, if it was between nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "exec-internal.h"

/* The lines of out, each non-empty one an id. */
static void split_ids(const char *out, struct clu__strv *ids)
{
	for (const char *line = out ? out : ""; *line; ) {
		size_t l = strcspn(line, "\n");

		if (l) {
			char *id = clu__xstrndup(line, l);

			clu__strv_push(ids, id);
			free(id);
		}
		line += l + (line[l] ? 1 : 0);
	}
}

static void record_lost(struct executor *x, const struct clu_probe_target *t,
			const struct clu_probe_stats *stats, const char *owner,
			const struct clu__strv *ids)
{
	char *detail;

	x->result->lost += ids->n;
	if (ids->n) {
		char *list = clu__join(ids->v, ids->n, " ");

		exec_event(x, clu_now_mono_ms(), "probe-lost", t->spec->name, t->spec->group, list);
		free(list);
	}
	detail = clu__xasprintf("acknowledged=%zu lost=%zu on=%s", stats->n_acknowledged,
				ids->n, owner);
	exec_event(x, clu_now_mono_ms(), "probe-checked", t->spec->name, t->spec->group, detail);
	free(detail);
}

/* Ask owner which of the probe's acknowledged messages its store lacks. */
static int check_probe(struct executor *x, const struct clu_probe_target *t,
		       const struct clu_probe_stats *stats, const char *owner,
		       struct clu_err *err)
{
	char *joined = clu__join(stats->acknowledged, stats->n_acknowledged, "\n");
	char *input = clu__xasprintf("%s%s", joined, stats->n_acknowledged ? "\n" : "");
	struct clu__strv ids = { 0 };
	struct clu_proc proc;
	int ret;

	free(joined);
	clu_proc_init(&proc);
	proc.name = "probe check";
	proc.in.mode = CLU_PROC_BUFFER;
	proc.in.data = input;
	proc.in.len = strlen(input);
	proc.timeout_ms = 60000;
	ret = exec_node_command(x, owner, CLU_COMMAND_CHECK, t->spec->check, &proc, err);
	if (!ret) {
		split_ids(proc.out.buf, &ids);
		record_lost(x, t, stats, owner, &ids);
	} else {
		clu_err_prefix(err, "probe '%s': check on '%s'", t->spec->name, owner);
	}
	clu_proc_release(&proc);
	clu__strv_release(&ids);
	free(input);
	return ret;
}

/* Between looks while the engine settles: the lock only. A run stopped by
 * an interruption or an abort request still checks what it acknowledged. */
static int check_tick(void *ctx, const char *unmet, struct clu_err *err)
{
	(void)unmet;
	return exec_lock_renew(ctx, false, err);
}

/*
 * The live state into *live once the engine has settled: a run stopped in
 * the middle of a step (an unpin's refresh, a switchover) may leave the
 * group between two nodes for a moment, and the store is only read where
 * the group runs.
 */
static int settled_state(struct executor *x, struct clu_cluster *live, struct clu_err *err)
{
	struct clu_settle how = {
		.manifest = x->manifest, .timeout_ms = x->opt.settle_timeout_ms,
		.poll_ms = x->opt.poll_ms,
		.failures_before = (const char *const *)x->failures_before.v,
		.n_failures_before = x->failures_before.n,
		.tick = check_tick, .ctx = x, .last = live,
	};

	return x->backend->ops->settle(x->backend, &how, err);
}

/*
 * The owner of the probe's group, from the live state (read once; when the
 * group runs nowhere, read again once the engine has settled); CLU_E_STEP
 * when it still runs nowhere.
 */
static int probe_owner(struct executor *x, const struct clu_probe_target *t,
		       struct clu_cluster *live, bool *have_live, const char **owner,
		       struct clu_err *err)
{
	const struct clu_group *group;
	int ret = 0;

	if (!*have_live && (ret = x->backend->ops->read(x->backend, true, live, err)))
		return ret;
	*have_live = true;
	group = clu_cluster_group(live, t->spec->group);
	if (group && !group->owner) {
		clu_cluster_release(live);
		*have_live = false;
		if ((ret = settled_state(x, live, err)))
			return ret;
		*have_live = true;
		group = clu_cluster_group(live, t->spec->group);
	}
	*owner = group ? group->owner : NULL;
	if (!*owner)
		return clu_err_set(err, CLU_E_STEP, "probe '%s': cannot check the acknowledged "
				   "messages: '%s' runs nowhere", t->spec->name, t->spec->group);
	return 0;
}

int exec_check_delivered(struct executor *x, struct clu_err *err)
{
	struct clu_probe_stats *stats = NULL;
	struct clu_cluster live = { 0 };
	size_t n = 0;
	int ret = 0;
	bool have_live = false;

	clu_prober_stop(x->prober, &stats, &n);
	x->prober = NULL;
	x->result->lost_checked = true;
	for (size_t i = 0; i < n; i++) {
		const struct clu_probe_target *t = &x->opt.probes[i];
		const char *owner = NULL;
		int checked;

		x->result->acknowledged += stats[i].n_acknowledged;
		if (t->spec->type != CLU_PROBE_SMTP || !t->spec->check) {
			x->result->lost_checked &= t->spec->type != CLU_PROBE_SMTP;
			continue;
		}
		checked = probe_owner(x, t, &live, &have_live, &owner, err);
		if (checked == CLU_E_STEP || (!checked && (checked = check_probe(x, t, &stats[i],
										 owner, err))))
			x->result->lost_checked = false;
		if (checked)
			ret = checked;
		if (checked && checked != CLU_E_STEP && !owner)
			break;   /* the cluster could not be read */
	}
	clu_probe_stats_free(stats, n);
	clu_cluster_release(&live);
	return ret;
}
