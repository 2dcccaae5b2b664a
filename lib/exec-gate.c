/*
 * The gates a run passes between nodes (see exec-internal.h), each one
 * the manifest's word on when it is safe to go on:
 *
 *   the version record  after a node's verify printed the target version,
 *                       the executor itself records it in the node's
 *                       version attribute (a journalled change through
 *                       the backend: the installer need not know the
 *                       cluster);
 *   the health gate     [install] check on the node: the service can run
 *                       there, not only the version is right; a failure
 *                       is the node's failure (retried, given up or
 *                       stopping the run as for an installer);
 *   the soak            [install] soak: a wait after the gate, the lock
 *                       kept and progress told, then the gate again;
 *   the service back    after a switchover, each probe of the moved group
 *                       must see its service up again (within its
 *                       up-timeout) before the next step;
 *   the outage budget   [probe] max-outage: before a step that takes
 *                       something out of service (a pin, a drain, a
 *                       move), a probe that has seen its group down for
 *                       longer than its budget stops the run there, so
 *                       that what it leaves is what the last node needed
 *                       and nothing more.
 *
 * Each gate journals what it saw as events (version-recorded is a change;
 * health-check, soak-begin, soak-end, service-back, outage-budget,
 * outage-budget-exceeded), for the report.
 */
#include <stdlib.h>
#include <string.h>

#include "exec-internal.h"

/* ---- the version record ------------------------------------------------ */

static int record_version(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	struct clu_intent version = { CLU_VERB_VERSION, NULL, s->node, x->manifest->version };
	int ret = exec_change(x, s->index, &version, 1, err);

	if (ret)
		clu_err_prefix(err, "cannot record version %s in the attribute '%s' of node '%s'",
			       x->manifest->version, x->manifest->version_attribute, s->node);
	return ret;
}

/* ---- the health gate and the soak -------------------------------------- */

/* The last non-blank line of a command's output, for a one-line message. */
static char *last_line(const struct clu_proc *proc)
{
	const char *out = proc->out.buf ? proc->out.buf : "";
	size_t end = strlen(out), start;

	while (end && (out[end - 1] == '\n' || out[end - 1] == '\r' || out[end - 1] == ' '))
		end--;
	for (start = end; start && out[start - 1] != '\n'; start--)
		;
	return clu__xstrndup(out + start, end - start);
}

static int health_check(struct executor *x, const struct clu_step *s, const char *when,
			struct clu_err *err)
{
	struct clu_proc proc;
	char how[128], *detail, *line;
	int ret;

	clu_proc_init(&proc);
	ret = exec_step_command(x, s, "health check", CLU_COMMAND_HEALTH,
				x->manifest->check_command, x->manifest->check_timeout_ms, &proc,
				err);
	line = last_line(&proc);
	if (ret)
		detail = clu__xasprintf("%s: failed: %s%s%s", when, err->msg, *line ? ": " : "",
					line);
	else
		detail = clu__xasprintf("%s: passed (%s)", when,
					clu_proc_describe(&proc, how, sizeof(how)));
	exec_event(x, clu_now_mono_ms(), "health-check", s->node, NULL, detail);
	if (ret && ret != CLU_E_LOCKED)
		ret = clu_err_set(err, CLU_E_STEP, "health check on '%s' failed %s: %s%s%s", s->node,
				  when, err->msg, *line ? ": " : "", line);
	free(detail);
	free(line);
	clu_proc_release(&proc);
	return ret;
}

/* Wait the soak time, the lock kept, progress told each second. */
static int soak(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	int64_t start = clu_now_mono_ms(), end = start + x->manifest->soak_ms, now;
	char *detail = clu__xasprintf("soak of %u ms before the next node", x->manifest->soak_ms);
	int ret = 0;

	exec_event(x, start, "soak-begin", s->node, NULL, detail);
	free(detail);
	while (!ret && (now = clu_now_mono_ms()) < end) {
		char *msg = clu__xasprintf("soaking: %lld s left", (long long)((end - now + 999) / 1000));

		if (exec_interrupted(x))
			ret = clu_err_set(err, CLU_E_ABORTED, "interrupted while soaking on '%s'",
					  s->node);
		if (!ret)
			ret = exec_lock_renew(x, false, err);
		if (!ret) {
			exec_progress(x, CLU_EXEC_STEP_WAIT, s, 1, msg);
			clu__sleep_ms((unsigned)(end - now < 1000 ? end - now : 1000));
		}
		free(msg);
	}
	detail = clu__xasprintf("ms=%lld%s", (long long)(clu_now_mono_ms() - start),
				ret ? " (cut short)" : "");
	exec_event(x, clu_now_mono_ms(), "soak-end", s->node, NULL, detail);
	free(detail);
	return ret;
}

int exec_after_verify(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	const struct clu_manifest *m = x->manifest;
	int ret = record_version(x, s, err);

	if (!ret && m->check_command)
		ret = health_check(x, s, "after the install", err);
	if (!ret && m->soak_ms) {
		ret = soak(x, s, err);
		if (!ret && m->check_command)
			ret = health_check(x, s, "after the soak", err);
	}
	return ret;
}

/* ---- the service back after a switchover ------------------------------- */

/* Wait until probe i sees the service up in a probe begun after since. */
static int wait_probe_up(struct executor *x, const struct clu_step *s, size_t i, int64_t since,
			 struct clu_err *err)
{
	const struct clu_probe_spec *spec = x->opt.probes[i].spec;
	int64_t deadline = since + spec->up_timeout_ms;
	struct clu_probe_look look;
	char *detail;
	int ret = 0;

	for (clu_prober_look(x->prober, i, &look); !ret && look.up_at < since;
	     clu_prober_look(x->prober, i, &look)) {
		if (clu_now_mono_ms() >= deadline)
			ret = clu_err_set(err, CLU_E_STEP, "after the switchover, probe '%s' did not "
					  "see '%s' up again within %u ms (up-timeout)", spec->name,
					  spec->group, spec->up_timeout_ms);
		else if (exec_interrupted(x))
			ret = clu_err_set(err, CLU_E_ABORTED, "interrupted while waiting for '%s' "
					  "to answer again", spec->group);
		else if (!(ret = exec_lock_renew(x, false, err))) {
			exec_progress(x, CLU_EXEC_STEP_WAIT, s, 1, "waiting for the service to "
				      "answer its probe again");
			clu__sleep_ms(spec->interval_ms ? spec->interval_ms : 50);
		}
	}
	detail = ret ? clu__xasprintf("timeout_ms=%u (not back)", spec->up_timeout_ms)
		     : clu__xasprintf("ms=%lld", (long long)(clu_now_mono_ms() - since));
	exec_event(x, ret ? clu_now_mono_ms() : look.up_at, "service-back", spec->name,
		   spec->group, detail);
	free(detail);
	return ret;
}

int exec_wait_service(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	int64_t since = clu_now_mono_ms();
	int ret = 0;

	for (size_t i = 0; !ret && x->prober && i < x->opt.n_probes; i++)
		if (clu__streq(x->opt.probes[i].spec->group, s->group))
			ret = wait_probe_up(x, s, i, since, err);
	return ret;
}

/* ---- the outage budget ------------------------------------------------- */

void exec_note_budgets(struct executor *x)
{
	for (size_t i = 0; x->prober && i < x->opt.n_probes; i++) {
		const struct clu_probe_spec *spec = x->opt.probes[i].spec;
		char *detail;

		if (!spec->max_outage_ms)
			continue;
		detail = clu__xasprintf("budget_ms=%u", spec->max_outage_ms);
		exec_event(x, clu_now_mono_ms(), "outage-budget", spec->name, spec->group, detail);
		free(detail);
	}
}

/* Whether step s takes something out of service: where an exceeded budget stops. */
static bool disrupts(const struct clu_step *s)
{
	return s->action == CLU_ACTION_PIN || s->action == CLU_ACTION_DRAIN ||
	       s->action == CLU_ACTION_MOVE;
}

int exec_check_budget(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	for (size_t i = 0; x->prober && disrupts(s) && i < x->opt.n_probes; i++) {
		const struct clu_probe_spec *spec = x->opt.probes[i].spec;
		struct clu_probe_look look;
		char *detail;

		if (!spec->max_outage_ms)
			continue;
		clu_prober_look(x->prober, i, &look);
		if (look.longest_ms <= spec->max_outage_ms)
			continue;
		detail = clu__xasprintf("budget_ms=%u measured_ms=%lld step=%u", spec->max_outage_ms,
					(long long)look.longest_ms, s->index);
		exec_event(x, clu_now_mono_ms(), "outage-budget-exceeded", spec->name, spec->group,
			   detail);
		free(detail);
		return clu_err_set(err, CLU_E_STEP, "probe '%s' saw '%s' down for %lld ms, over its "
				   "budget (max-outage = %u ms): stopped before step %u (%s)",
				   spec->name, spec->group, (long long)look.longest_ms,
				   spec->max_outage_ms, s->index, clu_action_name(s->action));
	}
	return 0;
}
