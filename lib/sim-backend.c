/*
 * The simulated cluster's backend operations (see sim.h, backend.h): the
 * ops table of the engine in sim.c. Reading and the settle wait on the
 * virtual clock, the sim-* changes (prepare, apply, undo), node commands
 * acted on the model, and the lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/plan.h"
#include "sim-internal.h"

static struct clu_sim *sim_of(struct clu_backend *b)
{
	return (struct clu_sim *)b;     /* the backend is the simulation's first member */
}

/* ---- reading and waiting ------------------------------------------------ */

static int sim_read(struct clu_backend *b, bool full, struct clu_cluster *out, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	(void)full;
	(void)err;
	sim->now_ms += CLU__SIM_OP_MS;
	clu_cluster_copy(out, &sim->cluster);
	return 0;
}

static int sim_idle(struct clu_backend *b, bool *idle, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	(void)err;
	sim->now_ms += CLU__SIM_OP_MS;
	*idle = !sim->settle_never && !sim->busy;
	if (sim->busy)
		sim->busy--;
	return 0;
}

static char *first_unmet(const struct clu_settle *how, const struct clu_cluster *cluster)
{
	for (size_t i = 0; i < how->n_facts; i++)
		if (!clu_fact_holds(&how->facts[i], cluster, how->manifest))
			return clu_fact_describe(&how->facts[i]);
	return NULL;
}

/*
 * The settle wait on the virtual clock: the looks of clu_backend_settle_poll()
 * without its sleeps, so that a rehearsal or a test waits for nothing real
 * (a wait that never ends, settle-never, ends at once with CLU_E_STEP).
 */
static int sim_settle(struct clu_backend *b, const struct clu_settle *how, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);
	int64_t start = sim->now_ms;
	char *unmet = NULL;
	int good = 0, ret = 0;
	bool idle;

	for (;;) {
		sim_idle(b, &idle, err);
		free(unmet);
		unmet = first_unmet(how, &sim->cluster);
		good = idle && !unmet ? good + 1 : 0;
		if (good >= (how->looks ? (int)how->looks : 2))
			break;
		if (sim->now_ms - start > (int64_t)how->timeout_ms) {
			ret = clu_err_set(err, CLU_E_STEP, "the cluster did not settle within %u s%s%s",
					  how->timeout_ms / 1000, unmet ? ": still not true: " : "",
					  unmet ? unmet : " (a transition is still running)");
			break;
		}
		if (how->tick && (ret = how->tick(how->ctx, unmet, err)))
			break;
		sim->now_ms += how->poll_ms ? how->poll_ms : 100;
	}
	free(unmet);
	if (!ret && how->last)
		ret = sim_read(b, true, how->last, err);
	return ret;
}

/* ---- changes ------------------------------------------------------------ */

static const char *const kinds[] = {
	[CLU_VERB_PIN] = CLU_SIM_CHANGE_PIN,
	[CLU_VERB_DRAIN] = CLU_SIM_CHANGE_DRAIN,
	[CLU_VERB_BAN] = CLU_SIM_CHANGE_BAN,
	[CLU_VERB_PREFER] = CLU_SIM_CHANGE_PREFER,
	[CLU_VERB_VERSION] = CLU_SIM_CHANGE_VERSION,
};

static enum clu_verb sim_verb_of(const struct clu_change *c)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (clu__streq(c->kind, kinds[i]))
			return (enum clu_verb)i;
	if (clu__streq(c->kind, CLU_CHANGE_LOCK) || clu__streq(c->kind, CLU_CHANGE_LOCK_OLD))
		return CLU_VERB_LOCK;
	return CLU_VERB_NONE;
}

static struct clu__sim_prefer *find_prefer(struct clu_sim *sim, const char *group,
					   const char *node)
{
	for (size_t i = 0; i < sim->n_prefers; i++)
		if (!strcmp(sim->prefers[i].group, group) && !strcmp(sim->prefers[i].node, node))
			return &sim->prefers[i];
	return NULL;
}

/* The group and node a verb needs, found; CLU_E_CLUSTER naming the missing one. */
static int find(struct clu_sim *sim, const char *group, const char *node, bool need_group,
		bool need_node, struct clu_group **g, struct clu_node **n, struct clu_err *err)
{
	*g = group ? clu_cluster_group(&sim->cluster, group) : NULL;
	*n = clu__sim_node(sim, node);
	if (need_group && !*g)
		return clu_err_set(err, CLU_E_CLUSTER, "the simulated cluster has no group '%s'",
				   group ? group : "(none)");
	if (need_node && !*n)
		return clu_err_set(err, CLU_E_CLUSTER, "the simulated cluster has no node '%s'",
				   node ? node : "(none)");
	return 0;
}

static int sim_prepare(struct clu_backend *b, const struct clu_intent *in, struct clu_change *c,
		       bool *already, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);
	enum clu_verb v = in->verb;
	bool constraint = v == CLU_VERB_BAN || v == CLU_VERB_PREFER;
	const char *score = v == CLU_VERB_BAN ? "-INFINITY" : "INFINITY";
	struct clu_group *g;
	struct clu_node *n;
	int ret;

	memset(c, 0, sizeof(*c));
	*already = false;
	if (v < 0 || v >= CLU_VERB_LOCK)
		return clu_err_set(err, CLU_E_CLUSTER, "the simulated cluster has no '%s' change "
				   "(the lock has operations of its own)", clu_verb_name(v));
	ret = find(sim, in->group, in->node, v == CLU_VERB_PIN || constraint,
		   v != CLU_VERB_PIN, &g, &n, err);
	if (ret)
		return ret;
	if (v == CLU_VERB_VERSION && !in->value)
		return clu_err_set(err, CLU_E_CLUSTER, "no version to record for node '%s'", n->name);
	c->kind = clu__xstrdup(kinds[v]);
	c->group = g ? clu__xstrdup(g->name) : NULL;
	c->node = clu__xstrdup_or_null(n ? n->name : g->owner);
	if (v == CLU_VERB_PIN) {
		c->target = clu__xstrdup(g->name);
		c->name = clu__xstrdup("managed");
		c->prior = clu__xstrdup(g->managed ? "true" : "false");
		c->value = clu__xstrdup("false");
	} else if (v == CLU_VERB_DRAIN) {
		c->target = clu__xstrdup(n->name);
		c->name = clu__xstrdup("standby");
		c->prior = n->standby ? clu__xstrdup("on") : NULL;
		c->value = clu__xstrdup("on");
	} else if (v == CLU_VERB_VERSION) {
		c->target = clu__xstrdup(n->name);
		c->name = clu__xstrdup("version");
		c->prior = clu__xstrdup_or_null(n->version);
		c->value = clu__xstrdup(in->value);
	} else {
		*already = v == CLU_VERB_BAN ? clu_group_banned(g, n->name)
					      : find_prefer(sim, g->name, n->name) != NULL;
		c->target = clu__xasprintf("clupdate-%s-%s-on-%s", clu_verb_name(v), g->name, n->name);
		c->name = clu__xstrdup(g->name);
		c->prior = *already ? clu__xstrdup(score) : NULL;
		c->value = clu__xstrdup(score);
	}
	return 0;
}

/* Whether c can be made (or undone) here: its kind known, its node and group there. */
static int check_change(struct clu_sim *sim, const struct clu_change *c, bool undo,
			struct clu_err *err)
{
	enum clu_verb v = sim_verb_of(c);
	struct clu_group *g;
	struct clu_node *n;

	if (v == CLU_VERB_NONE || (v == CLU_VERB_LOCK && !undo))
		return clu_err_set(err, CLU_E_CLUSTER, "the simulated cluster cannot %s a change "
				   "of kind '%s'", undo ? "undo" : "apply", c->kind ? c->kind : "");
	if (v == CLU_VERB_LOCK)
		return 0;
	return find(sim, c->group, c->node, v != CLU_VERB_DRAIN && v != CLU_VERB_VERSION,
		    v != CLU_VERB_PIN, &g, &n, err);
}

/* Set what c is about to value (c->value to apply it, c->prior to undo it). */
static void set_change(struct clu_sim *sim, const struct clu_change *c, const char *value)
{
	struct clu_group *g = c->group ? clu_cluster_group(&sim->cluster, c->group) : NULL;
	struct clu_node *n = clu__sim_node(sim, c->node);
	struct clu__sim_prefer *p;

	switch (sim_verb_of(c)) {
	case CLU_VERB_PIN:
		g->managed = !clu__streq(value, "false");
		clu__sim_note(sim, "%s '%s' (managed: %s)", g->managed ? "unpin" : "pin", g->name,
		     g->managed ? "yes" : "no");
		break;
	case CLU_VERB_DRAIN:
		n->standby = value != NULL;
		clu__sim_note(sim, "%s '%s' (standby: %s)", value ? "drain" : "undrain", n->name,
		     value ? "on" : "off");
		break;
	case CLU_VERB_BAN:
		if (value)
			clu_group_ban(g, n->name);
		else
			clu_group_unban(g, n->name);
		clu__sim_note(sim, "%s '%s' %s '%s'", value ? "ban" : "unban", g->name,
		     value ? "from" : "on", n->name);
		break;
	case CLU_VERB_PREFER:
		p = find_prefer(sim, g->name, n->name);
		if (value && !p) {
			CLU_ALLOC_GROW(sim->prefers, sim->n_prefers + 1, sim->prefers_alloc);
			sim->prefers[sim->n_prefers].group = clu__xstrdup(g->name);
			sim->prefers[sim->n_prefers++].node = clu__xstrdup(n->name);
		} else if (!value && p) {
			free(p->group);
			free(p->node);
			*p = sim->prefers[--sim->n_prefers];
		}
		clu__sim_note(sim, "%s '%s' %s '%s'", value ? "prefer" : "unprefer", g->name,
		     value ? "on" : "from", n->name);
		break;
	case CLU_VERB_VERSION:
		clu_set_string(&n->version, value);
		clu__sim_note(sim, "record version %s on '%s'", clu__sim_or_unknown(value), n->name);
		break;
	case CLU_VERB_LOCK:
		if (!value && sim->locked && clu__streq(sim->lock.token, c->name)) {
			clu__sim_note(sim, "lock released by '%s' (undo)", c->name);
			clu_lock_holder_release(&sim->lock);
			sim->locked = false;
		}
		break;
	case CLU_VERB_NONE:
		BUG("change of kind '%s' not checked", c->kind);
	}
	sim->now_ms += CLU__SIM_OP_MS;
}

/* Changes made (undone) as one update of the engine: one placement after them all. */
static int update(struct clu_sim *sim, const struct clu_change *changes, size_t n, bool undo,
		  struct clu_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int ret = check_change(sim, &changes[i], undo, err);

		if (ret)
			return ret;
	}
	for (size_t i = 0; i < n; i++)
		set_change(sim, &changes[i], undo ? changes[i].prior : changes[i].value);
	clu__sim_place(sim);
	sim->changes++;
	clu__sim_fire_armed(sim);
	return clu__sim_end_change(sim, err);
}

static int sim_apply(struct clu_backend *b, const struct clu_change *changes, size_t n,
		     struct clu_err *err)
{
	return update(sim_of(b), changes, n, false, err);
}

static int sim_undo(struct clu_backend *b, const struct clu_change *change, struct clu_err *err)
{
	return update(sim_of(b), change, 1, true, err);
}

static int sim_refresh(struct clu_backend *b, const char *group, const char *node,
		       struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);
	struct clu_group *g;
	struct clu_node *n;
	int ret = find(sim, group, node, true, true, &g, &n, err);

	if (ret)
		return ret;
	clu__sim_note(sim, "refresh '%s' on '%s'", g->name, n->name);
	sim->now_ms += CLU__SIM_OP_MS;
	return clu__sim_save(sim, err);
}

static int sim_group_address(struct clu_backend *b, const char *group, char **address,
			     struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);
	struct clu_group *g;
	struct clu_node *n;
	int ret = find(sim, group, NULL, true, false, &g, &n, err);

	*address = ret ? NULL : clu__xstrdup_or_null(g->address);
	return ret;
}

/* ---- node commands ------------------------------------------------------ */

/* What a captured stream holds after a run: text (malloc'd, as clu_proc_run's). */
static void capture(struct clu_proc_output *o, const char *text)
{
	size_t len = strlen(text);

	if (o->mode == CLU_PROC_DEFAULT || o->mode == CLU_PROC_CAPTURE) {
		free(o->buf);
		o->buf = clu__xstrdup(text);
		o->len = o->total = len;
		o->truncated = false;
	} else if (o->mode == CLU_PROC_FD && len && write(o->fd, text, len) < 0) {
		/* The caller's descriptor: what a real child's write would have met. */
	}
}

/* The command ran for ms and exited with status (-1: killed by SIGTERM). */
static void finish(struct clu_sim *sim, struct clu_proc *proc, int status, unsigned ms,
		   const char *out, const char *errors)
{
	bool merged = proc->err.mode == CLU_PROC_STDOUT;
	char *both = clu__xasprintf("%s%s", out, merged ? errors : "");

	proc->result.started = true;
	proc->result.pid = 0;
	proc->result.exit_code = status;
	proc->result.signal = status < 0 ? SIGTERM : 0;
	proc->result.duration_ms = ms;
	capture(&proc->out, both);
	capture(&proc->err, merged ? "" : errors);
	sim->now_ms += ms;
	/* Only for watching a rehearsal (doc/sim.md): the clock above is the sim's own. */
	if (sim->config.real_command_ms)
		clu__sleep_ms(sim->config.real_command_ms);
	free(both);
}

/* The installer on n: the node at the new version, its groups' data migrated. */
static void install(struct clu_sim *sim, struct clu_node *n, const struct clu_node_command *cmd)
{
	bool migrate = cmd->data_migration && sim->config.data_migration;

	clu__sim_note(sim, "install on '%s': version %s -> %s", n->name, clu__sim_or_unknown(n->version),
	     clu__sim_or_unknown(cmd->version));
	for (size_t i = 0; i < sim->cluster.n_groups; i++) {
		struct clu_group *g = &sim->cluster.groups[i];

		if (!clu__streq(g->owner, n->name))
			continue;
		if (migrate && cmd->version) {
			clu__sim_note(sim, "install on '%s': data of '%s' migrated %s -> %s", n->name, g->name,
			     clu__sim_or_unknown(g->data_version), cmd->version);
			clu_set_string(&g->data_version, cmd->version);
		}
		if (g->managed) {
			clu__sim_note(sim, "SURPRISE FAILOVER: '%s' is managed and its installer on '%s' "
			     "stopped it: the engine recovers it", g->name, n->name);
			clu__sim_fail_over(sim, g, n->name);
		}
	}
	if (cmd->version)
		clu_set_string(&n->version, cmd->version);
}

static int act(struct clu_sim *sim, struct clu_proc *proc, const struct clu_node_command *cmd,
	       struct clu_node *n, struct clu__sim_outcome o, struct clu_err *err)
{
	const char *name = proc->name ? proc->name : cmd->command;
	const char *role = clu__sim_role_name(cmd->role);
	char *text;

	if (!n || !n->online) {
		char *why = clu__xasprintf("ssh: connect to host %s port 22: No route to host",
					   cmd->node);
		char *line = clu__xasprintf("%s\n", why);
		int ret;

		clu__sim_note(sim, "%s on '%s': unreachable", role, cmd->node);
		finish(sim, proc, 255, CLU__SIM_OP_MS, "", line);
		ret = clu_err_set(err, CLU_E_SPAWN, "'%s' exited with status 255: %s", name, why);
		free(why);
		free(line);
		return ret;
	}
	if (o.hangs) {
		unsigned ms = proc->timeout_ms ? proc->timeout_ms : CLU__SIM_HANG_MS;

		clu__sim_note(sim, "%s on '%s': hangs, killed after %u ms", role, n->name, ms);
		finish(sim, proc, -1, ms, "", "");
		proc->result.timed_out = true;
		return clu_err_set(err, CLU_E_SPAWN, "'%s' timed out after %u ms", name, ms);
	}
	if (o.fails) {
		clu__sim_note(sim, "%s on '%s': exits 1", role, n->name);
		finish(sim, proc, 1, sim->config.command_ms, "", "");
		return clu_err_set(err, CLU_E_SPAWN, "'%s' exited with status 1", name);
	}
	if (cmd->role == CLU_COMMAND_INSTALL)
		install(sim, n, cmd);
	else
		clu__sim_note(sim, "%s on '%s'%s%s", role, n->name,
		     cmd->role == CLU_COMMAND_VERIFY ? ": version " : "",
		     cmd->role == CLU_COMMAND_VERIFY ? clu__sim_or_unknown(n->version) : "");
	text = clu__xasprintf("%s%s", cmd->role == CLU_COMMAND_VERIFY && n->version ? n->version : "",
			      cmd->role == CLU_COMMAND_VERIFY ? "\n" : "");
	finish(sim, proc, 0, sim->config.command_ms, text, "");
	free(text);
	return 0;
}

/* A simulated command runs at once, on the virtual clock: proc is finished. */
static int sim_start(struct clu_backend *b, const struct clu_node_command *cmd,
		     struct clu_proc *proc, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);
	struct clu__sim_outcome o;
	int ret, saved;

	if (!proc->argc)
		clu_proc_shell(proc, cmd->command);
	for (size_t i = 0; cmd->env && cmd->env[i]; i++)
		clu_proc_env(proc, cmd->env[i]);
	o = clu__sim_command_faults(sim, cmd);
	ret = act(sim, proc, cmd, clu__sim_node(sim, cmd->node), o, err);
	saved = clu__sim_end_change(sim, ret ? NULL : err);
	if (!ret)
		ret = saved;
	/* What the caller would have done meanwhile (renew its lock). */
	for (long long t = proc->watch_ms; proc->watch && proc->watch_ms &&
	     t <= proc->result.duration_ms && t <= 100LL * proc->watch_ms; t += proc->watch_ms)
		proc->watch(proc->watch_ctx);
	return ret;
}

/* ---- the lock ----------------------------------------------------------- */

static int sim_lock_read(struct clu_backend *b, struct clu_lock_holder *h, bool *exists,
			 struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	(void)err;
	memset(h, 0, sizeof(*h));
	sim->now_ms += CLU__SIM_OP_MS;
	*exists = sim->locked;
	if (sim->locked) {
		*h = sim->lock;
		h->token = clu__xstrdup(sim->lock.token);
		h->host = clu__xstrdup_or_null(sim->lock.host);
		h->since = clu__xstrdup_or_null(sim->lock.since);
		h->abort_by = clu__xstrdup_or_null(sim->lock.abort_by);
	}
	return 0;
}

static int sim_lock_create(struct clu_backend *b, const struct clu_lock_holder *h,
			   bool *created, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	sim->now_ms += CLU__SIM_OP_MS;
	*created = !sim->locked;
	if (sim->locked) {
		clu__sim_note(sim, "lock refused to '%s': held by '%s'", h->token, sim->lock.token);
		return clu__sim_save(sim, err);
	}
	sim->locked = true;
	sim->lock = *h;
	sim->lock.token = clu__xstrdup(h->token);
	sim->lock.host = clu__xstrdup_or_null(h->host);
	sim->lock.since = clu__xstrdup_or_null(h->since);
	sim->lock.abort_by = NULL;
	clu__sim_note(sim, "lock taken by '%s' (host %s, pid %ld, run %lld)", h->token,
	     h->host ? h->host : "unknown", h->pid, (long long)h->run);
	return clu__sim_save(sim, err);
}

static int sim_lock_renew(struct clu_backend *b, const char *token, unsigned long beat,
			  bool *held, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	sim->now_ms += CLU__SIM_OP_MS;
	*held = sim->locked && clu__streq(sim->lock.token, token);
	if (!*held) {
		clu__sim_note(sim, "lock renewal by '%s' refused: %s%s%s", token,
		     sim->locked ? "held by '" : "not held", sim->locked ? sim->lock.token : "",
		     sim->locked ? "'" : "");
		return clu__sim_save(sim, err);
	}
	/* As the engine's conditional write: no renewal once an abort is asked. */
	if (sim->lock.abort_by) {
		*held = false;
		clu__sim_note(sim, "lock renewal by '%s' refused: an abort was requested (%s)",
			      token, sim->lock.abort_by);
		return clu__sim_save(sim, err);
	}
	sim->lock.beat = beat;
	return clu__sim_save(sim, err);
}

static int sim_lock_request_abort(struct clu_backend *b, const char *token, const char *by,
				  bool *held, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	sim->now_ms += CLU__SIM_OP_MS;
	*held = sim->locked && clu__streq(sim->lock.token, token);
	if (!*held) {
		clu__sim_note(sim, "abort request for '%s': it does not hold the lock", token);
		return clu__sim_save(sim, err);
	}
	free(sim->lock.abort_by);
	sim->lock.abort_by = clu__xstrdup(by);
	clu__sim_note(sim, "abort requested of '%s' by %s", token, by);
	return clu__sim_save(sim, err);
}

static int sim_lock_delete(struct clu_backend *b, const char *token, unsigned long beat,
			   struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	sim->now_ms += CLU__SIM_OP_MS;
	if (!sim->locked || !clu__streq(sim->lock.token, token) ||
	    (beat && sim->lock.beat != beat)) {
		clu__sim_note(sim, "lock release by '%s' at beat %lu: not held so", token, beat);
		return clu__sim_save(sim, err);
	}
	clu__sim_note(sim, "lock released by '%s'", token);
	clu_lock_holder_release(&sim->lock);
	sim->locked = false;
	return clu__sim_save(sim, err);
}

static void sim_release(struct clu_backend *b)
{
	clu_sim_close(sim_of(b));
}

const struct clu_backend_ops clu__sim_ops = {
	.name = "sim",
	.read = sim_read,
	.idle = sim_idle,
	.settle = sim_settle,
	.prepare = sim_prepare,
	.apply = sim_apply,
	.undo = sim_undo,
	.verb_of = sim_verb_of,
	.refresh = sim_refresh,
	.start = sim_start,
	.lock_read = sim_lock_read,
	.lock_create = sim_lock_create,
	.lock_renew = sim_lock_renew,
	.lock_delete = sim_lock_delete,
	.lock_request_abort = sim_lock_request_abort,
	.group_address = sim_group_address,
	.release = sim_release,
};

