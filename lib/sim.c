/*
 * The simulated cluster (see sim.h, doc/sim.md): an engine in memory
 * behind the backend interface. Every operation that changes it ends the
 * same way (end_change): the engine places the managed groups, the
 * version guard is checked, and the whole state is saved; node commands
 * are acted on the model; faults fire after the Nth change or at the Nth
 * command of a role on a node. The files (description, state, log) are
 * sim-file.c's.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clupdate/plan.h"
#include "sim-internal.h"

static struct clu_sim *sim_of(struct clu_backend *b)
{
	return (struct clu_sim *)b;     /* the backend is the simulation's first member */
}

/* Append "t=MS WHAT" to the log. */
static void note(struct clu_sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct clu_sim *sim, const char *fmt, ...)
{
	char what[CLU_ERR_MAX], *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	line = clu__xasprintf("t=%lld %s", (long long)sim->now_ms, what);
	clu__strv_push(&sim->log, line);
	free(line);
}

static const char *or_unknown(const char *version)
{
	return version ? version : "unknown";
}

/* ---- the engine --------------------------------------------------------- */

static struct clu_node *node_named(struct clu_sim *sim, const char *name)
{
	return name ? clu_cluster_node(&sim->cluster, name) : NULL;
}

/* The first node other than not that may host g: a node g prefers first. */
static struct clu_node *eligible(struct clu_sim *sim, const struct clu_group *g, const char *not)
{
	for (size_t i = 0; i < sim->n_prefers; i++) {
		struct clu_node *n = node_named(sim, sim->prefers[i].node);

		if (!strcmp(sim->prefers[i].group, g->name) && n && !clu__streq(n->name, not) &&
		    clu_node_may_host(g, n))
			return n;
	}
	for (size_t i = 0; i < sim->cluster.n_nodes; i++) {
		struct clu_node *n = &sim->cluster.nodes[i];

		if (!clu__streq(n->name, not) && clu_node_may_host(g, n))
			return n;
	}
	return NULL;
}

/* Where the engine wants managed group g; NULL: stopped. */
static struct clu_node *placement(struct clu_sim *sim, const struct clu_group *g)
{
	struct clu_node *owner = node_named(sim, g->owner);

	/* The engine leaves a node in maintenance alone, with what runs there. */
	if (owner && owner->online && owner->maintenance)
		return owner;
	for (size_t i = 0; i < sim->n_prefers; i++) {
		struct clu_node *n = node_named(sim, sim->prefers[i].node);

		if (!strcmp(sim->prefers[i].group, g->name) && n && clu_node_may_host(g, n))
			return n;
	}
	if (owner && clu_node_may_host(g, owner))
		return owner;
	return eligible(sim, g, NULL);
}

/* The engine moves (starts, stops) g: a transition, busy for a few looks. */
static void move_group(struct clu_sim *sim, struct clu_group *g, const struct clu_node *to,
		       const char *why)
{
	if (to && g->owner)
		note(sim, "engine: '%s' moves from '%s' to '%s'%s", g->name, g->owner, to->name, why);
	else if (to)
		note(sim, "engine: '%s' starts on '%s'%s", g->name, to->name, why);
	else
		note(sim, "engine: '%s' stops on '%s': no node may host it%s", g->name, g->owner, why);
	clu_set_string(&g->owner, to ? to->name : NULL);
	sim->now_ms += sim->config.transition_ms;
	sim->busy = sim->config.busy_looks;
}

/* One placement pass over the managed groups; pinned ones stay. */
static void place(struct clu_sim *sim)
{
	for (size_t i = 0; i < sim->cluster.n_groups; i++) {
		struct clu_group *g = &sim->cluster.groups[i];
		const struct clu_node *to;

		if (!g->managed)
			continue;
		to = placement(sim, g);
		if (to ? !clu__streq(to->name, g->owner) : g->owner != NULL)
			move_group(sim, g, to, "");
	}
}

/* g's service failed on from: the engine recovers it on another node. */
static void fail_over(struct clu_sim *sim, struct clu_group *g, const char *from)
{
	struct clu_node *to = eligible(sim, g, from);

	if (to)
		move_group(sim, g, to, " (failover)");
}

/* The version guard: no group runs on a node older than its data. */
static void check_guard(struct clu_sim *sim)
{
	struct clu__strv broken = { 0 };

	for (size_t i = 0; i < sim->cluster.n_groups; i++) {
		const struct clu_group *g = &sim->cluster.groups[i];
		const struct clu_node *n = node_named(sim, g->owner);
		char *what;

		if (!n || !g->data_version || clu_version_cmp(n->version, g->data_version) >= 0)
			continue;
		clu__strv_push(&broken, g->name);
		if (clu__strv_has(&sim->broken, g->name))
			continue;       /* the same breach, still */
		what = clu__xasprintf("'%s' (data version %s) runs on '%s' (version %s)", g->name,
				      g->data_version, n->name, or_unknown(n->version));
		note(sim, "GUARD BROKEN: %s", what);
		sim->breaches++;
		if (!sim->first_breach)
			sim->first_breach = what;
		else
			free(what);
	}
	clu__strv_release(&sim->broken);
	sim->broken = broken;
}

static void list_constraints(struct clu_sim *sim)
{
	clu__strv_release(&sim->constraints);
	for (size_t i = 0; i < sim->cluster.n_groups; i++) {
		const struct clu_group *g = &sim->cluster.groups[i];

		for (size_t j = 0; j < g->n_banned; j++) {
			char *c = clu__xasprintf("ban %s %s", g->name, g->banned[j]);

			clu__strv_push(&sim->constraints, c);
			free(c);
		}
	}
	for (size_t i = 0; i < sim->n_prefers; i++) {
		char *c = clu__xasprintf("prefer %s %s", sim->prefers[i].group, sim->prefers[i].node);

		clu__strv_push(&sim->constraints, c);
		free(c);
	}
}

/* How every change ends: placement, the guard, the state saved. */
static int end_change(struct clu_sim *sim, struct clu_err *err)
{
	place(sim);
	check_guard(sim);
	list_constraints(sim);
	return clu__sim_save(sim, err);
}

/* ---- faults ------------------------------------------------------------- */

static bool is_command_fault(int kind)
{
	return kind == CLU_SIM_INSTALL_FAILS || kind == CLU_SIM_COMMAND_HANGS;
}

/* An event fault happens: the world changes, the engine reacts. */
static void fire_event(struct clu_sim *sim, struct clu__sim_fault *f)
{
	struct clu_node *n = node_named(sim, f->node);
	struct clu_group *g = f->group ? clu_cluster_group(&sim->cluster, f->group) : NULL;
	const char *kind = clu__sim_fault_kind_name(f->kind);

	f->fired++;
	if ((!n && f->kind != CLU_SIM_SETTLE_NEVER && f->kind != CLU_SIM_GROUP_MOVES) ||
	    (!g && f->kind == CLU_SIM_GROUP_MOVES)) {
		note(sim, "fault '%s': %s: ignored: no %s '%s'", f->name, kind,
		     f->kind == CLU_SIM_GROUP_MOVES ? "group" : "node",
		     f->kind == CLU_SIM_GROUP_MOVES ? or_unknown(f->group) : or_unknown(f->node));
		return;
	}
	switch (f->kind) {
	case CLU_SIM_NODE_DIES:
		note(sim, "fault '%s': %s: '%s' goes offline", f->name, kind, f->node);
		n->online = false;
		for (size_t i = 0; i < sim->cluster.n_groups; i++) {
			struct clu_group *h = &sim->cluster.groups[i];

			if (!clu__streq(h->owner, f->node))
				continue;
			if (h->managed)
				fail_over(sim, h, f->node);
			if (clu__streq(h->owner, f->node)) {
				note(sim, "engine: '%s' is stopped with its node '%s'%s", h->name,
				     f->node, h->managed ? "" : " (pinned: not recovered)");
				clu_set_string(&h->owner, NULL);
			}
		}
		break;
	case CLU_SIM_NODE_RETURNS:
		note(sim, "fault '%s': %s: '%s' comes back online", f->name, kind, f->node);
		n->online = true;
		break;
	case CLU_SIM_SETTLE_NEVER:
		note(sim, "fault '%s': %s: the engine stays busy from now on", f->name, kind);
		sim->settle_never = true;
		break;
	case CLU_SIM_GROUP_MOVES:
		note(sim, "fault '%s': %s: '%s' fails on '%s'%s", f->name, kind, f->group,
		     g->owner ? g->owner : "(stopped)",
		     g->managed ? "" : " (pinned: the engine leaves it where it is)");
		if (g->managed && g->owner)
			fail_over(sim, g, g->owner);
		break;
	default:
		BUG("fault kind %d is not an event", f->kind);
	}
	place(sim);
}

/* Event faults without a command to wait for, armed: they fire now. */
static void fire_armed(struct clu_sim *sim)
{
	for (size_t i = 0; i < sim->n_faults; i++) {
		struct clu__sim_fault *f = &sim->faults[i];

		if (!is_command_fault(f->kind) && !f->nth && sim->changes >= f->after &&
		    f->fired < f->times)
			fire_event(sim, f);
	}
}

/* What the faults of a command do to it. */
struct outcome {
	bool fails, hangs;
};

static struct outcome command_faults(struct clu_sim *sim, const struct clu_node_command *cmd)
{
	struct outcome o = { false, false };

	for (size_t i = 0; i < sim->n_faults; i++) {
		struct clu__sim_fault *f = &sim->faults[i];

		if (!f->nth || sim->changes < f->after || f->fired >= f->times ||
		    !clu__streq(f->node, cmd->node) || f->on != (int)cmd->role)
			continue;
		if (++f->seen < f->nth)
			continue;
		if (!is_command_fault(f->kind)) {
			fire_event(sim, f);
			continue;
		}
		f->fired++;
		o.fails |= f->kind == CLU_SIM_INSTALL_FAILS;
		o.hangs |= f->kind == CLU_SIM_COMMAND_HANGS;
		note(sim, "fault '%s': %s: the %s on '%s'", f->name, clu__sim_fault_kind_name(f->kind),
		     clu__sim_role_name(cmd->role), cmd->node);
	}
	return o;
}

void clu_sim_add_fault(struct clu_sim *sim, const struct clu_sim_fault *fault)
{
	struct clu__sim_fault *f;

	CLU_ALLOC_GROW(sim->faults, sim->n_faults + 1, sim->faults_alloc);
	f = &sim->faults[sim->n_faults++];
	f->name = clu__xasprintf("api-%u", ++sim->fault_serial);
	f->kind = (int)fault->kind;
	f->node = clu__xstrdup_or_null(fault->node);
	f->group = clu__xstrdup_or_null(fault->group);
	f->after = fault->after;
	f->on = (int)fault->on;
	f->nth = fault->on_nth;
	f->times = fault->times ? fault->times : 1;
	if (is_command_fault(f->kind) && !f->nth)
		f->nth = 1;
	note(sim, "fault '%s' added: %s", f->name, clu__sim_fault_kind_name(f->kind));
	fire_armed(sim);
	/* The next change saves the state again: a failure to save here shows there. */
	end_change(sim, NULL);
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
		if (good >= 2)
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
	return ret;
}

/* ---- changes ------------------------------------------------------------ */

static const char *const kinds[] = {
	[CLU_VERB_PIN] = "sim-pin",
	[CLU_VERB_DRAIN] = "sim-drain",
	[CLU_VERB_BAN] = "sim-ban",
	[CLU_VERB_PREFER] = "sim-prefer",
	[CLU_VERB_VERSION] = "sim-version",
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
	*n = node_named(sim, node);
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
	struct clu_node *n = node_named(sim, c->node);
	struct clu__sim_prefer *p;

	switch (sim_verb_of(c)) {
	case CLU_VERB_PIN:
		g->managed = !clu__streq(value, "false");
		note(sim, "%s '%s' (managed: %s)", g->managed ? "unpin" : "pin", g->name,
		     g->managed ? "yes" : "no");
		break;
	case CLU_VERB_DRAIN:
		n->standby = value != NULL;
		note(sim, "%s '%s' (standby: %s)", value ? "drain" : "undrain", n->name,
		     value ? "on" : "off");
		break;
	case CLU_VERB_BAN:
		if (value)
			clu_group_ban(g, n->name);
		else
			clu_group_unban(g, n->name);
		note(sim, "%s '%s' %s '%s'", value ? "ban" : "unban", g->name,
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
		note(sim, "%s '%s' %s '%s'", value ? "prefer" : "unprefer", g->name,
		     value ? "on" : "from", n->name);
		break;
	case CLU_VERB_VERSION:
		clu_set_string(&n->version, value);
		note(sim, "record version %s on '%s'", or_unknown(value), n->name);
		break;
	case CLU_VERB_LOCK:
		if (!value && sim->locked && clu__streq(sim->lock.token, c->name)) {
			note(sim, "lock released by '%s' (undo)", c->name);
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
	place(sim);
	sim->changes++;
	fire_armed(sim);
	return end_change(sim, err);
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
	note(sim, "refresh '%s' on '%s'", g->name, n->name);
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
	free(both);
}

/* The installer on n: the node at the new version, its groups' data migrated. */
static void install(struct clu_sim *sim, struct clu_node *n, const struct clu_node_command *cmd)
{
	bool migrate = cmd->data_migration && sim->config.data_migration;

	note(sim, "install on '%s': version %s -> %s", n->name, or_unknown(n->version),
	     or_unknown(cmd->version));
	for (size_t i = 0; i < sim->cluster.n_groups; i++) {
		struct clu_group *g = &sim->cluster.groups[i];

		if (!clu__streq(g->owner, n->name))
			continue;
		if (migrate && cmd->version) {
			note(sim, "install on '%s': data of '%s' migrated %s -> %s", n->name, g->name,
			     or_unknown(g->data_version), cmd->version);
			clu_set_string(&g->data_version, cmd->version);
		}
		if (g->managed) {
			note(sim, "SURPRISE FAILOVER: '%s' is managed and its installer on '%s' "
			     "stopped it: the engine recovers it", g->name, n->name);
			fail_over(sim, g, n->name);
		}
	}
	if (cmd->version)
		clu_set_string(&n->version, cmd->version);
}

static int act(struct clu_sim *sim, struct clu_proc *proc, const struct clu_node_command *cmd,
	       struct clu_node *n, struct outcome o, struct clu_err *err)
{
	const char *name = proc->name ? proc->name : cmd->command;
	const char *role = clu__sim_role_name(cmd->role);
	char *text;

	if (!n || !n->online) {
		char *why = clu__xasprintf("ssh: connect to host %s port 22: No route to host",
					   cmd->node);
		char *line = clu__xasprintf("%s\n", why);
		int ret;

		note(sim, "%s on '%s': unreachable", role, cmd->node);
		finish(sim, proc, 255, CLU__SIM_OP_MS, "", line);
		ret = clu_err_set(err, CLU_E_SPAWN, "'%s' exited with status 255: %s", name, why);
		free(why);
		free(line);
		return ret;
	}
	if (o.hangs) {
		unsigned ms = proc->timeout_ms ? proc->timeout_ms : CLU__SIM_HANG_MS;

		note(sim, "%s on '%s': hangs, killed after %u ms", role, n->name, ms);
		finish(sim, proc, -1, ms, "", "");
		proc->result.timed_out = true;
		return clu_err_set(err, CLU_E_SPAWN, "'%s' timed out after %u ms", name, ms);
	}
	if (o.fails) {
		note(sim, "%s on '%s': exits 1", role, n->name);
		finish(sim, proc, 1, sim->config.command_ms, "", "");
		return clu_err_set(err, CLU_E_SPAWN, "'%s' exited with status 1", name);
	}
	if (cmd->role == CLU_COMMAND_INSTALL)
		install(sim, n, cmd);
	else
		note(sim, "%s on '%s'%s%s", role, n->name,
		     cmd->role == CLU_COMMAND_VERIFY ? ": version " : "",
		     cmd->role == CLU_COMMAND_VERIFY ? or_unknown(n->version) : "");
	text = clu__xasprintf("%s%s", cmd->role == CLU_COMMAND_VERIFY && n->version ? n->version : "",
			      cmd->role == CLU_COMMAND_VERIFY ? "\n" : "");
	finish(sim, proc, 0, sim->config.command_ms, text, "");
	free(text);
	return 0;
}

static int sim_run(struct clu_backend *b, const struct clu_node_command *cmd,
		   struct clu_proc *proc, struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);
	struct outcome o;
	int ret, saved;

	if (!proc->argc)
		clu_proc_shell(proc, cmd->command);
	for (size_t i = 0; cmd->env && cmd->env[i]; i++)
		clu_proc_env(proc, cmd->env[i]);
	o = command_faults(sim, cmd);
	ret = act(sim, proc, cmd, node_named(sim, cmd->node), o, err);
	saved = end_change(sim, ret ? NULL : err);
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
		note(sim, "lock refused to '%s': held by '%s'", h->token, sim->lock.token);
		return clu__sim_save(sim, err);
	}
	sim->locked = true;
	sim->lock = *h;
	sim->lock.token = clu__xstrdup(h->token);
	sim->lock.host = clu__xstrdup_or_null(h->host);
	sim->lock.since = clu__xstrdup_or_null(h->since);
	note(sim, "lock taken by '%s' (host %s, pid %ld, run %lld)", h->token,
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
		note(sim, "lock renewal by '%s' refused: %s%s%s", token,
		     sim->locked ? "held by '" : "not held", sim->locked ? sim->lock.token : "",
		     sim->locked ? "'" : "");
		return clu__sim_save(sim, err);
	}
	sim->lock.beat = beat;
	return clu__sim_save(sim, err);
}

static int sim_lock_delete(struct clu_backend *b, const char *token, unsigned long beat,
			   struct clu_err *err)
{
	struct clu_sim *sim = sim_of(b);

	sim->now_ms += CLU__SIM_OP_MS;
	if (!sim->locked || !clu__streq(sim->lock.token, token) ||
	    (beat && sim->lock.beat != beat)) {
		note(sim, "lock release by '%s' at beat %lu: not held so", token, beat);
		return clu__sim_save(sim, err);
	}
	note(sim, "lock released by '%s'", token);
	clu_lock_holder_release(&sim->lock);
	sim->locked = false;
	return clu__sim_save(sim, err);
}

/* ---- the simulation ----------------------------------------------------- */

static void sim_release(struct clu_backend *b)
{
	clu_sim_close(sim_of(b));
}

static const struct clu_backend_ops sim_ops = {
	.name = "sim",
	.read = sim_read,
	.idle = sim_idle,
	.settle = sim_settle,
	.prepare = sim_prepare,
	.apply = sim_apply,
	.undo = sim_undo,
	.verb_of = sim_verb_of,
	.refresh = sim_refresh,
	.run = sim_run,
	.lock_read = sim_lock_read,
	.lock_create = sim_lock_create,
	.lock_renew = sim_lock_renew,
	.lock_delete = sim_lock_delete,
	.group_address = sim_group_address,
	.release = sim_release,
};

/* Open from the file at path (a description, or the state it continues), shown as shown. */
static int open_file(struct clu_sim **out, const char *path, const char *shown,
		     const char *state_path, struct clu_err *err)
{
	struct clu_sim *sim = clu__xcalloc(1, sizeof(*sim));
	bool resumed = false;
	struct stat st;
	int ret;

	sim->backend.ops = &sim_ops;
	sim->config = (struct clu__sim_config){ CLU__SIM_BUSY_LOOKS, CLU__SIM_COMMAND_MS,
						CLU__SIM_TRANSITION_MS, true };
	if (state_path) {
		sim->state_path = clu__xstrdup(state_path);
		sim->log_path = clu__xasprintf("%s.log", state_path);
		resumed = stat(state_path, &st) == 0;
	}
	ret = clu__sim_read(sim, resumed ? state_path : path, err);
	if (!ret && resumed)
		ret = clu__sim_read_log(sim, sim->log_path, err);
	if (!ret) {
		for (size_t i = 0; i < sim->n_faults; i++)
			if (is_command_fault(sim->faults[i].kind) && !sim->faults[i].nth)
				sim->faults[i].nth = 1;
		note(sim, resumed ? "sim: continued from '%s'" : "sim: opened '%s'",
		     resumed ? state_path : shown);
		fire_armed(sim);
		ret = end_change(sim, err);
	}
	if (ret) {
		clu_sim_close(sim);
		sim = NULL;
	}
	*out = sim;
	return ret;
}

int clu_sim_open(struct clu_sim **sim, const char *path, const char *state_path,
		 struct clu_err *err)
{
	return open_file(sim, path, path, state_path, err);
}

/* Every "from" in err's message replaced with "to". */
static void rename_in_message(struct clu_err *err, const char *from, const char *to)
{
	char msg[CLU_ERR_MAX];
	size_t used = 0, n = strlen(from);

	for (const char *s = err->msg, *hit; used < sizeof(msg) - 1; s = hit + n) {
		hit = strstr(s, from);
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%.*s%s",
					 hit ? (int)(hit - s) : (int)strlen(s), s, hit ? to : "");
		if (!hit || used >= sizeof(msg))
			break;
	}
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

/*
 * The reader reads files (ini-file.c): the text goes in through a memory
 * file, whose /proc path the messages then name as where.
 */
int clu_sim_open_text(struct clu_sim **sim, const char *text, const char *where,
		      const char *state_path, struct clu_err *err)
{
	int fd = memfd_create("clupdate-sim", MFD_CLOEXEC), ret;
	char path[64];

	*sim = NULL;
	if (fd < 0)
		return clu_err_set(err, CLU_E_IO, "cannot hold the description '%s' in memory: %s",
				   where, strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = clu_err_set(err, CLU_E_IO, "cannot hold the description '%s' in memory: %s",
				  where, strerror(errno));
	else
		ret = open_file(sim, path, where, state_path, err);
	close(fd);
	if (ret)
		rename_in_message(err, path, where);
	return ret;
}

void clu_sim_close(struct clu_sim *sim)
{
	if (!sim)
		return;
	clu__sim_release(sim);
	free(sim);
}

struct clu_backend *clu_sim_backend(struct clu_sim *sim)
{
	return &sim->backend;
}

const struct clu_cluster *clu_sim_cluster(const struct clu_sim *sim)
{
	return &sim->cluster;
}

const char *const *clu_sim_log(const struct clu_sim *sim, size_t *n)
{
	*n = sim->log.n;
	return (const char *const *)sim->log.v;
}

size_t clu_sim_guard_breaches(const struct clu_sim *sim, const char **first)
{
	if (first)
		*first = sim->first_breach;
	return sim->breaches;
}

const char *const *clu_sim_constraints(const struct clu_sim *sim, size_t *n)
{
	*n = sim->constraints.n;
	return (const char *const *)sim->constraints.v;
}

int64_t clu_sim_now_ms(const struct clu_sim *sim)
{
	return sim->now_ms;
}
