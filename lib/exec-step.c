/*
 * One step of the plan (see exec.h), through the same stages each time,
 * so that the code reads like the procedure: open the guards that start
 * here (bans), re-read the live state and check the preconditions and the
 * invariants, act (a journalled change through the backend, or a manifest
 * command on the node), wait for the engine to settle into the
 * postconditions, check the invariants again, close the guards that end
 * here. A node command that fails is retried as the manifest says.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/model-json.h"
#include "exec-internal.h"

/* ---- waiting for the engine ------------------------------------------- */

/* Between looks: the run goes on living (lock, progress, interruption). */
static int settle_tick(void *ctx, const char *unmet, struct clu_err *err)
{
	struct executor *x = ctx;
	char *msg;
	int ret;

	if (exec_interrupted(x))
		return clu_err_set(err, CLU_E_ABORTED, "interrupted while waiting for the cluster%s%s",
				   x->abort_requested ? ": abort requested by " : "",
				   x->abort_requested ? x->abort_requested : "");
	if ((ret = exec_lock_renew(x, false, err)))
		return ret;
	msg = clu__xasprintf("waiting for the cluster%s%s", unmet ? ": " : "",
			     unmet ? unmet : " to settle");
	exec_progress(x, CLU_EXEC_STEP_WAIT, x->step, 1, msg);
	free(msg);
	return 0;
}

/*
 * Wait until the facts hold, timed: the report tells it from clupdate's own
 * overhead. last (may be NULL) receives the state the wait saw last.
 */
static int settle(struct executor *x, const struct clu_fact *facts, size_t n,
		  struct clu_cluster *last, struct clu_err *err)
{
	struct clu_settle how = {
		.facts = facts, .n_facts = n, .manifest = x->manifest,
		.timeout_ms = x->opt.settle_timeout_ms, .poll_ms = x->opt.poll_ms,
		.failures_before = (const char *const *)x->failures_before.v,
		.n_failures_before = x->failures_before.n,
		.tick = settle_tick, .ctx = x, .last = last,
	};
	int64_t start = clu_now_mono_ms();
	int ret = x->backend->ops->settle(x->backend, &how, err);

	x->step_wait_ms += clu_now_mono_ms() - start;
	return ret;
}

/* ---- the live state --------------------------------------------------- */

/* The live state (seen, when the caller has just seen it), snapshotted. */
static int read_live(struct executor *x, struct clu_cluster *live, struct clu_cluster *seen,
		     unsigned step, const char *phase, struct clu_err *err)
{
	char *json;
	int ret = 0;

	if (seen)
		*live = *seen;     /* taken over */
	else
		ret = x->backend->ops->read(x->backend, true, live, err);

	if (ret)
		return ret;
	json = clu_cluster_to_json(live);
	ret = clu_journal_snapshot(x->journal, x->run_id, step, phase, json, err);
	free(json);
	if (ret)
		clu_cluster_release(live);
	return ret;
}

static bool facts_hold(const struct executor *x, const struct clu_cluster *live,
		       const struct clu_fact *facts, size_t n, char **unmet)
{
	for (size_t i = 0; i < n; i++)
		if (!clu_fact_holds(&facts[i], live, x->manifest)) {
			*unmet = clu_fact_describe(&facts[i]);
			return false;
		}
	return true;
}

/* The failures the engine has recorded as a step begins: older than it. */
static void remember_failures(struct executor *x, const struct clu_cluster *live)
{
	clu__strv_release(&x->failures_before);
	for (size_t i = 0; i < live->n_failures; i++) {
		char *key = clu_failure_key(&live->failures[i]);

		clu__strv_push(&x->failures_before, key);
		free(key);
	}
}

/* Whether node runs no group at all, whole or in part (nothing to move away). */
static bool runs_nothing(const struct clu_cluster *live, const char *node)
{
	for (size_t i = 0; i < live->n_groups; i++) {
		const struct clu_group *g = &live->groups[i];

		if (clu__streq(g->owner, node) || (!g->owner && g->trouble))
			return false;
	}
	return true;
}

/*
 * A group found running only in part on the step's node (add_restarts in
 * plan.c): after a stranded group's restart, or at the pin of one an
 * earlier run left so; its install is done again there, and the operator
 * should hear why the run goes on with it so.
 */
static void note_in_part(struct executor *x, const struct clu_step *s,
			 const struct clu_cluster *seen)
{
	const struct clu_group *g = clu_cluster_group(seen, s->group);

	if (!g || !clu__streq(g->partly_on, s->node))
		return;
	free(x->step_note);
	x->step_note = clu__xasprintf("'%s' runs on '%s' only in part (%s): its install is done "
				      "again there, then the unpin after it has the engine start "
				      "the rest", s->group, s->node, g->trouble);
	exec_event(x, clu_now_mono_ms(), "group-in-part", s->node, s->group, x->step_note);
}

/* Whether the plan restarts s's group before s (that restart said it). */
static bool restarted_before(const struct clu_plan *plan, const struct clu_step *s)
{
	for (size_t i = 0; i + 1 < s->index && i < plan->n_steps; i++)
		if (clu__streq(plan->steps[i].group, s->group) &&
		    clu_step_restarts(plan, &plan->steps[i]))
			return true;
	return false;
}

/*
 * Check a step's preconditions (after false) or postconditions (after true)
 * and the invariants on the live state (seen: as the wait for the engine
 * saw it last; NULL: read now), snapshotted into the journal. Before
 * the step, the guards are those of the step before, less those that ended
 * there (their bans are cleared); a guard that starts here is about the
 * state this step makes.
 */
static int check_live(struct executor *x, const struct clu_step *s, bool after,
		      struct clu_cluster *seen, struct clu_err *err)
{
	struct clu_cluster live;
	char *unmet = NULL;
	int ret = read_live(x, &live, seen, s->index, after ? "after" : "before", err);

	if (ret)
		return ret;
	if (!after) {
		remember_failures(x, &live);
		x->runs_nothing = s->node && runs_nothing(&live, s->node);
	}
	if (!facts_hold(x, &live, after ? s->post : s->pre, after ? s->n_post : s->n_pre, &unmet))
		ret = clu_err_set(err, CLU_E_STEP, "step %u (%s): %s not met%s: expected %s",
				  s->index, clu_action_name(s->action),
				  after ? "postcondition" : "precondition",
				  after ? "" : " on the live cluster", unmet);
	else if ((ret = after ? clu_plan_check_state(x->plan, x->manifest, &live, s->index, err)
			      : clu_plan_check_between(x->plan, x->manifest, &live, s->index - 1,
						       err)))
		clu_err_prefix(err, "step %u (%s): %s", s->index, clu_action_name(s->action),
			       after ? "the cluster breaks an invariant after it"
				     : "the live cluster breaks an invariant");
	else if (!after && s->action == CLU_ACTION_PIN && !restarted_before(x->plan, s))
		note_in_part(x, s, &live);
	free(unmet);
	clu_cluster_release(&live);
	return ret;
}

/* ---- guards ----------------------------------------------------------- */

static int open_guards(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	for (size_t i = 0; i < x->plan->n_guards; i++) {
		const struct clu_guard *g = &x->plan->guards[i];
		struct clu_intent ban = { CLU_VERB_BAN, g->group, g->node, NULL };
		int ret;

		if (g->from != s->index || g->enforced_by)
			continue;
		if ((ret = exec_change(x, s->index, &ban, 1, err)))
			return ret;
	}
	return 0;
}

static int close_guards(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	for (size_t i = 0; i < x->plan->n_guards; i++) {
		const struct clu_guard *g = &x->plan->guards[i];
		bool found;
		int ret;

		if (g->until != s->index || g->enforced_by)
			continue;
		if ((ret = exec_restore(x, CLU_VERB_BAN, g->group, g->node, &found, err)))
			return ret;
	}
	return 0;
}

/* ---- node commands ---------------------------------------------------- */

/* The environment of every manifest command: how its data reaches it. */
#define RUN_ENV_SIZE 7

static void run_env(const struct executor *x, const char *node, char *env[RUN_ENV_SIZE])
{
	char *groups = clu__join(x->manifest->groups, x->manifest->n_groups, " ");

	env[0] = clu__xasprintf("CLU_NODE=%s", node);
	env[1] = clu__xasprintf("CLU_VERSION=%s", x->manifest->version);
	env[2] = clu__xasprintf("CLU_UPDATE=%s", x->manifest->name);
	env[3] = clu__xasprintf("CLU_GROUPS=%s", groups);
	env[4] = clu__xasprintf("CLU_MANIFEST_DIR=%s", x->manifest_dir);
	env[5] = clu__xasprintf("CLU_RUN_ID=%lld", (long long)x->run_id);
	env[6] = NULL;
	free(groups);
}

/* Start a manifest command on node (see the backend's start op). */
static int node_command_start(struct executor *x, const char *node,
			      enum clu_command_role role, const char *command,
			      struct clu_proc *proc, struct clu_err *err)
{
	char *env[RUN_ENV_SIZE];
	struct clu_node_command cmd = {
		.node = node, .role = role, .command = command, .env = (const char *const *)env,
		.version = x->manifest->version, .data_migration = x->manifest->data_migration,
	};
	int ret;

	run_env(x, node, env);
	ret = x->backend->ops->start(x->backend, &cmd, proc, err);
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	return ret;
}

int exec_node_command(struct executor *x, const char *node, enum clu_command_role role,
		      const char *command, struct clu_proc *proc, struct clu_err *err)
{
	int ret = node_command_start(x, node, role, command, proc, err);

	return !ret && clu_proc_running(proc) ? clu_proc_finish(proc, err) : ret;
}

/*
 * Start a step's manifest command on its node; proc keeps its stdout and
 * stderr together (bounded, the tail kept) for the journal. The caller
 * ends it with step_command_end() and releases proc.
 */
static int step_command(struct executor *x, const struct clu_step *s, const char *role_name,
			enum clu_command_role role, const char *command, unsigned timeout_ms,
			struct clu_proc *proc, struct clu_err *err)
{
	char *waiting;

	proc->name = role_name;          /* "'installer' exited with status 28" */
	proc->timeout_ms = timeout_ms;
	proc->err.mode = CLU_PROC_STDOUT;
	proc->out.max = CLU_JOURNAL_OUTPUT_MAX;
	proc->out.keep_tail = true;
	/* The installer may run for minutes: the lock stays renewed. */
	proc->watch = exec_lock_watchdog;
	proc->watch_ctx = x;
	proc->watch_ms = 1000;     /* the lock is renewed every lock_renew_ms only */
	waiting = clu__xasprintf("waiting for the %s on '%s'", role_name, s->node);
	exec_progress(x, CLU_EXEC_STEP_WAIT, s, 1, waiting);
	free(waiting);
	return node_command_start(x, s->node, role, command, proc, err);
}

static const struct clu_hook *hook_of(const struct executor *x, const struct clu_step *s)
{
	for (size_t i = 0; i < x->manifest->n_hooks; i++)
		if (!strcmp(x->manifest->hooks[i].name, s->hook))
			return &x->manifest->hooks[i];
	BUG("no hook '%s'", s->hook);
}

/* The verify command must print the target version alone on its first line. */
static int check_verify_output(struct executor *x, const struct clu_step *s,
			       const struct clu_proc *proc, struct clu_err *err)
{
	const char *out = proc->out.buf ? proc->out.buf : "";
	size_t len = strcspn(out, "\n");

	while (len && (out[len - 1] == ' ' || out[len - 1] == '\t' || out[len - 1] == '\r'))
		len--;
	while (len && (*out == ' ' || *out == '\t'))
		out++, len--;
	if (len == strlen(x->manifest->version) && !strncmp(out, x->manifest->version, len))
		return 0;
	return clu_err_set(err, CLU_E_STEP, "verify on '%s' printed '%.*s', expected version %s",
			   s->node, (int)len, out, x->manifest->version);
}

/* Start a node command step once; output goes to *proc for the journal. */
static int node_step_start(struct executor *x, const struct clu_step *s, struct clu_proc *proc,
			   struct clu_err *err)
{
	const struct clu_manifest *m = x->manifest;
	const struct clu_hook *hook;

	switch (s->action) {
	case CLU_ACTION_INSTALL:
		return step_command(x, s, "installer", CLU_COMMAND_INSTALL,
				    s->command ? s->command : m->install_command,
				    m->install_timeout_ms, proc, err);
	case CLU_ACTION_VERIFY:
		return step_command(x, s, "verify", CLU_COMMAND_VERIFY, m->verify_command, 60000,
				    proc, err);
	case CLU_ACTION_PRE_HOOK:
	case CLU_ACTION_POST_HOOK:
		hook = hook_of(x, s);
		return step_command(x, s, s->action == CLU_ACTION_PRE_HOOK ? "pre hook" : "post hook",
				    CLU_COMMAND_HOOK, s->action == CLU_ACTION_PRE_HOOK ? hook->pre
				    : hook->post, hook->timeout_ms, proc, err);
	default:
		BUG("not a node command: %s", clu_action_name(s->action));
	}
}

/* How a command started by step_command() ended (ret: its start's). */
static int step_command_end(struct executor *x, struct clu_proc *proc, int ret,
			    struct clu_err *err)
{
	if (!ret && clu_proc_running(proc))
		ret = clu_proc_finish(proc, err);
	/* Lost while it ran: the command's own outcome is journalled, then we stop. */
	if (x->lock_lost && !ret)
		ret = clu_err_set(err, CLU_E_LOCKED, "%s (after the %s succeeded)", x->lock_lost,
				  proc->name);
	return ret;
}

int exec_step_command(struct executor *x, const struct clu_step *s, const char *role_name,
		      enum clu_command_role role, const char *command, unsigned timeout_ms,
		      struct clu_proc *proc, struct clu_err *err)
{
	int ret = step_command(x, s, role_name, role, command, timeout_ms, proc, err);

	return step_command_end(x, proc, ret, err);
}

/* How a node command step started by node_step_start() ended (ret: its start's). */
static int node_step_end(struct executor *x, const struct clu_step *s, struct clu_proc *proc,
			 int ret, struct clu_err *err)
{
	ret = step_command_end(x, proc, ret, err);
	switch (s->action) {
	case CLU_ACTION_VERIFY:
		if (!ret)
			ret = check_verify_output(x, s, proc, err);
		return ret ? ret : exec_after_verify(x, s, err);
	case CLU_ACTION_PRE_HOOK:
		/* The hook's answer, not a mishap: no retry, and the node is not updated. */
		if (ret && ret != CLU_E_LOCKED)
			clu_err_prefix(err, "hook '%s' vetoed node '%s'", hook_of(x, s)->name, s->node);
		return ret;
	default:
		return ret;
	}
}

/* Run a node command step once. */
static int node_step(struct executor *x, const struct clu_step *s, struct clu_proc *proc,
		     struct clu_err *err)
{
	return node_step_end(x, s, proc, node_step_start(x, s, proc, err), err);
}

/* ---- cluster actions -------------------------------------------------- */

/*
 * An earlier run's pin of a group that runs nowhere (its owner died under
 * it): undone, so the engine starts the group again; the step's wait for
 * the engine then sees it started where the plan expects.
 */
static int unpin_leftover(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	bool found;
	int ret = exec_undo_leftover(x, CLU_VERB_PIN, s->group, NULL, &found, err);

	if (!ret && !found)
		ret = clu_err_set(err, CLU_E_STEP, "no run of this update pinned '%s': nothing to "
				  "unpin (was it unpinned by hand since?)", s->group);
	return ret;
}

static int do_unpin(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	struct clu_fact on_owner = { CLU_FACT_GROUP_ON, s->node, s->group, NULL };
	bool found;
	int ret;

	if (clu_step_restarts(x->plan, s))
		return unpin_leftover(x, s, err);
	/*
	 * The installer stopped and restarted the service while it was pinned:
	 * a monitor may have seen it down, and the engine, managing it again,
	 * would "recover" it with one more restart. Have it probe the group
	 * afresh, and wait for the result, before letting it act.
	 */
	ret = x->backend->ops->refresh(x->backend, s->group, s->node, err);
	if (!ret)
		ret = settle(x, &on_owner, 1, NULL, err);
	if (!ret)
		ret = exec_restore(x, CLU_VERB_PIN, s->group, NULL, &found, err);
	return ret;
}

static int do_undrain(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	bool found;
	int ret = exec_restore(x, CLU_VERB_DRAIN, NULL, s->node, &found, err);

	/* Not drained by this run: by an earlier one that did not finish. */
	if (!ret && !found)
		ret = exec_undo_leftover(x, CLU_VERB_DRAIN, NULL, s->node, &found, err);
	if (!ret && !found)
		ret = clu_err_set(err, CLU_E_STEP, "no run of this update drained '%s': nothing "
				  "to undrain (was it drained by hand since?)", s->node);
	return ret;
}

/* A ban that goes with a move waits for it: the plan's batch, one switchover. */
static void defer_ban(struct executor *x, const struct clu_step *s)
{
	x->pending = clu__xrealloc(x->pending, (x->n_pending + 1) * sizeof(*x->pending));
	x->pending[x->n_pending++] = (struct clu_intent){ CLU_VERB_BAN, s->group, s->node, NULL };
}

static int do_move(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	int ret;

	defer_ban(x, s);
	x->pending[x->n_pending - 1].verb = CLU_VERB_PREFER;
	ret = exec_change(x, s->index, x->pending, x->n_pending, err);
	free(x->pending);
	x->pending = NULL;
	x->n_pending = 0;
	return ret;
}

static int do_clear(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	int ret = exec_restore_all(x, CLU_VERB_BAN, s->group, err);

	return ret ? ret : exec_restore_all(x, CLU_VERB_PREFER, s->group, err);
}

static int cluster_step(struct executor *x, const struct clu_step *s, bool *deferred,
			struct clu_err *err)
{
	struct clu_intent intent = { .group = s->group, .node = s->node };

	*deferred = false;
	switch (s->action) {
	case CLU_ACTION_PIN:
		intent.verb = CLU_VERB_PIN;
		return exec_change(x, s->index, &intent, 1, err);
	case CLU_ACTION_DRAIN:
		intent.verb = CLU_VERB_DRAIN;
		intent.group = NULL;
		return exec_change(x, s->index, &intent, 1, err);
	case CLU_ACTION_BAN:
		intent.verb = CLU_VERB_BAN;
		if (!s->with_move)
			return exec_change(x, s->index, &intent, 1, err);
		*deferred = true;
		defer_ban(x, s);
		return 0;
	case CLU_ACTION_UNPIN:
		return do_unpin(x, s, err);
	case CLU_ACTION_UNDRAIN:
		return do_undrain(x, s, err);
	case CLU_ACTION_MOVE:
		return do_move(x, s, err);
	case CLU_ACTION_CLEAR:
		return do_clear(x, s, err);
	default:
		BUG("not a cluster action: %s", clu_action_name(s->action));
	}
}

/* ---- one step --------------------------------------------------------- */

/* "maild stopped at mono_ms=123 ..." lines of an installer: its own instants. */
static void record_instants(struct executor *x, const struct clu_step *s, const char *output)
{
	for (const char *line = output; line && *line; ) {
		size_t len = strcspn(line, "\n");
		char *text = clu__xstrndup(line, len);
		const char *at = strstr(text, " at mono_ms=");
		const char *kind = strstr(text, " stopped at ") ? "service-stopped" :
				   strstr(text, " started at ") ? "service-started" : NULL;

		if (at && kind)
			exec_event(x, atoll(at + strlen(" at mono_ms=")), kind, s->node, NULL, text);
		free(text);
		line += len + (line[len] ? 1 : 0);
	}
}

/* Journal the end of a step attempt; a journal failure replaces ret. */
static int end_attempt(struct executor *x, const struct clu_step *s, unsigned attempt,
		       const struct clu_proc *proc, const char *message, int ret,
		       struct clu_err *err)
{
	struct clu_err jerr = CLU_ERR_INIT;
	char how[128];

	if (!ret && !message && proc->result.started)
		message = clu_proc_describe(proc, how, sizeof(how));
	if (clu_journal_step_end(x->journal, x->run_id, s->index, attempt,
				 ret ? CLU_STEP_FAILED : CLU_STEP_DONE,
				 proc->result.started ? proc->result.exit_code : -1,
				 proc->out.buf, proc->out.len, ret ? err->msg : message, &jerr)) {
		*err = jerr;
		return jerr.code;
	}
	return ret;
}

/*
 * One attempt: the checks before (first attempt only), the action, the
 * wait for the engine, the checks after, the guards that end here.
 */
static int attempt_step(struct executor *x, const struct clu_step *s, unsigned attempt,
			struct clu_proc *proc, bool *deferred, struct clu_err *err)
{
	bool on_node = clu_action_runs_on_node(s->action), settled = false;
	struct clu_cluster seen;
	int ret = 0;

	*deferred = false;
	if (attempt == 1) {
		ret = open_guards(x, s, err);
		if (!ret)
			ret = check_live(x, s, false, NULL, err);
		if (ret)
			return ret;
	}
	ret = on_node ? node_step(x, s, proc, err) : cluster_step(x, s, deferred, err);
	/* A drain of a node that runs nothing has nothing to wait for: the
	 * check after it reads the standby; the engine's bookkeeping (a
	 * fencing device stopped there) goes on while the installer runs. */
	if (!ret && !on_node && !*deferred && !(s->action == CLU_ACTION_DRAIN && x->runs_nothing)) {
		ret = settle(x, s->post, s->n_post, &seen, err);
		settled = !ret;
	}
	if (settled && clu_step_restarts(x->plan, s))
		note_in_part(x, s, &seen);
	/* The wait saw the state after the step last: the check uses it. */
	if (!ret && !*deferred)
		ret = check_live(x, s, true, settled ? &seen : NULL, err);
	/* Moved: its users must get an answer again before anything else goes. */
	if (!ret && s->action == CLU_ACTION_MOVE)
		ret = exec_wait_service(x, s, err);
	if (!ret)
		ret = close_guards(x, s, err);
	return ret;
}

/* After an attempt: its instants and its wait for the engine, for the timeline. */
static void record_attempt(struct executor *x, const struct clu_step *s,
			   const struct clu_proc *proc)
{
	char *detail;

	if (proc->out.buf)
		record_instants(x, s, proc->out.buf);
	if (!x->step_wait_ms)
		return;
	detail = clu__xasprintf("step=%u ms=%lld", s->index, (long long)x->step_wait_ms);
	exec_event(x, clu_now_mono_ms(), "cluster-wait", s->node ? s->node : s->group, s->group,
		   detail);
	free(detail);
}

/*
 * Whether a failed attempt is tried again: a node command that ran, with
 * attempts left; never a pre hook's veto.
 */
static bool retry(const struct clu_step *s, const struct clu_proc *proc, unsigned attempt,
		  unsigned attempts, int ret)
{
	return ret && clu_action_runs_on_node(s->action) && s->action != CLU_ACTION_PRE_HOOK &&
	       proc->result.started &&
	       attempt < attempts && ret != CLU_E_JOURNAL && ret != CLU_E_ABORTED &&
	       ret != CLU_E_LOCKED;
}

static int run_attempt(struct executor *x, const struct clu_step *s, const char *text,
		       unsigned attempt, unsigned attempts, bool *again, struct clu_err *err)
{
	struct clu_proc proc;
	bool deferred = false;
	int ret;

	clu_proc_init(&proc);
	ret = clu_journal_step_begin(x->journal, x->run_id, s->index, attempt,
				     clu_action_name(s->action), s->node, s->group, text, err);
	if (ret)
		return ret;
	exec_progress(x, CLU_EXEC_STEP_START, s, attempt, text);
	x->step_wait_ms = 0;
	ret = attempt_step(x, s, attempt, &proc, &deferred, err);
	record_attempt(x, s, &proc);
	ret = end_attempt(x, s, attempt, &proc, deferred ? "applied with the move that "
			  "follows (one switchover)" : x->step_note, ret, err);
	*again = retry(s, &proc, attempt, attempts, ret);
	if (*again) {
		exec_progress(x, CLU_EXEC_STEP_RETRY, s, attempt, err->msg);
		ret = 0;
	} else {
		if (ret && proc.out.buf && proc.out.len) {
			free(x->result->failed_output);
			x->result->failed_output = clu__xstrdup(proc.out.buf);
		}
		exec_progress(x, ret ? CLU_EXEC_STEP_FAILED : CLU_EXEC_STEP_DONE, s, attempt,
			      ret ? err->msg : x->step_note);
	}
	free(x->step_note);
	x->step_note = NULL;
	clu_proc_release(&proc);
	return ret;
}

/* Attempts of step s from `first` on, while they fail and may be retried. */
static int run_attempts(struct executor *x, const struct clu_step *s, const char *text,
			unsigned first, struct clu_err *err)
{
	unsigned attempts = clu_action_runs_on_node(s->action) ? x->manifest->retries + 1 : 1;
	bool again = true;
	int ret = 0;

	for (unsigned attempt = first; !ret && again && attempt <= attempts; attempt++)
		ret = run_attempt(x, s, text, attempt, attempts, &again, err);
	return ret;
}

int exec_run_step(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	char *text = clu_step_describe(s, x->plan);
	int ret;

	x->step = s;
	x->step_start_mono = clu_now_mono_ms();
	ret = exec_lock_renew(x, false, err);
	if (!ret)
		ret = run_attempts(x, s, text, 1, err);
	free(text);
	return ret;
}

/* ---- steps together (a wave) ------------------------------------------ */

/* One step of a wave, between its start and its end. */
struct together {
	const struct clu_step *s;
	char *text;
	struct clu_proc proc;
	bool begun;          /* journalled as begun: its end must be too */
	bool ended;
};

/* Journal t's first attempt, check it and start its command; 0: started. */
static int together_start(struct executor *x, struct together *t, struct clu_err *err)
{
	const struct clu_step *s = t->s;
	int ret;

	x->step = s;
	x->step_start_mono = clu_now_mono_ms();
	t->text = clu_step_describe(s, x->plan);
	clu_proc_init(&t->proc);
	if ((ret = exec_lock_renew(x, false, err)) ||
	    (ret = clu_journal_step_begin(x->journal, x->run_id, s->index, 1,
					  clu_action_name(s->action), s->node, s->group, t->text,
					  err)))
		return ret;
	t->begun = true;
	exec_progress(x, CLU_EXEC_STEP_START, s, 1, t->text);
	x->step_wait_ms = 0;
	if (!(ret = open_guards(x, s, err)) && !(ret = check_live(x, s, false, NULL, err)))
		ret = node_step_start(x, s, &t->proc, err);
	return ret;
}

/*
 * The end of t's first attempt (ret: how its start went): the checks after
 * it, its journal record, and its further attempts when it failed and may
 * be retried, one after the other.
 */
static int together_end(struct executor *x, struct together *t, int ret, struct clu_err *err)
{
	const struct clu_step *s = t->s;
	unsigned attempts = x->manifest->retries + 1;

	x->step = s;
	t->ended = true;
	if (!t->begun)
		return ret;
	ret = node_step_end(x, s, &t->proc, ret, err);
	if (!ret)
		ret = check_live(x, s, true, NULL, err);
	if (!ret)
		ret = close_guards(x, s, err);
	record_attempt(x, s, &t->proc);
	ret = end_attempt(x, s, 1, &t->proc, NULL, ret, err);
	if (retry(s, &t->proc, 1, attempts, ret)) {
		exec_progress(x, CLU_EXEC_STEP_RETRY, s, 1, err->msg);
		return run_attempts(x, s, t->text, 2, err);
	}
	if (ret && t->proc.out.buf && t->proc.out.len) {
		free(x->result->failed_output);
		x->result->failed_output = clu__xstrdup(t->proc.out.buf);
	}
	exec_progress(x, ret ? CLU_EXEC_STEP_FAILED : CLU_EXEC_STEP_DONE, s, 1,
		      ret ? err->msg : NULL);
	return ret;
}

/* Drive the wave's commands until each is done; stop them all on an interruption. */
static void together_wait(struct executor *x, struct together *t, size_t n, int *rets,
			  struct clu_err *errs)
{
	struct clu_proc **procs = clu__xcalloc(n, sizeof(*procs));

	for (size_t i = 0; i < n; i++)
		procs[i] = &t[i].proc;
	for (;;) {
		bool running = false;

		/* Each one ends as soon as it is done: its journal record says when. */
		for (size_t i = 0; i < n; i++) {
			if (t[i].ended)
				continue;
			if (clu_proc_running(&t[i].proc) && !clu_proc_done(&t[i].proc))
				running = true;
			else
				rets[i] = together_end(x, &t[i], rets[i], &errs[i]);
		}
		if (!running)
			break;
		if (exec_interrupted(x))
			for (size_t i = 0; i < n; i++)
				clu_proc_kill(&t[i].proc);
		clu_proc_poll(procs, n, 1000);
	}
	free(procs);
}

int exec_run_together(struct executor *x, const struct clu_step *const *steps, size_t n,
		      int *rets, struct clu_err *errs)
{
	struct together *t = clu__xcalloc(n, sizeof(*t));
	int fatal = 0;

	for (size_t i = 0; i < n; i++) {
		t[i].s = steps[i];
		rets[i] = fatal ? fatal : together_start(x, &t[i], &errs[i]);
		/* Without the journal, nothing more may start. */
		if (rets[i] == CLU_E_JOURNAL || (!t[i].begun && rets[i]))
			fatal = rets[i];
		if (fatal && !t[i].begun && !errs[i].msg[0])
			clu_err_set(&errs[i], fatal, "not started: an earlier step of its wave "
				    "could not be journalled");
	}
	/* Each command's watch renews the lock when it is due: once for them all. */
	together_wait(x, t, n, rets, errs);
	for (size_t i = 0; i < n; i++) {
		free(t[i].text);
		clu_proc_release(&t[i].proc);
	}
	free(t);
	return fatal;
}

int exec_skip_step(struct executor *x, const struct clu_step *s, struct clu_err *err)
{
	static const char why[] = "its node failed earlier and was given up";
	char *text = clu_step_describe(s, x->plan);
	int ret = clu_journal_step_begin(x->journal, x->run_id, s->index, 1,
					 clu_action_name(s->action), s->node, s->group, text, err);

	if (!ret)
		ret = clu_journal_step_end(x->journal, x->run_id, s->index, 1, CLU_STEP_SKIPPED, -1,
					   NULL, 0, why, err);
	exec_progress(x, CLU_EXEC_STEP_SKIPPED, s, 1, why);
	free(text);
	return ret;
}
