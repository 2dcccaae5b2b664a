/*
 * The simulated cluster (see sim.h, doc/sim.md): the engine in memory,
 * its faults, and opening and closing a simulation. Every operation that
 * changes it ends the same way (clu__sim_end_change): the engine places
 * the managed groups, the version guard is checked, and the whole state
 * is saved. Faults fire after the Nth change or at the Nth command of a
 * role on a node. The backend's operations are sim-backend.c's; the files
 * (description, state, log) sim-file.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim-internal.h"

/* Append "t=MS WHAT" to the log. */
void clu__sim_note(struct clu_sim *sim, const char *fmt, ...)
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

const char *clu__sim_or_unknown(const char *version)
{
	return version ? version : "unknown";
}

/* ---- the engine --------------------------------------------------------- */

struct clu_node *clu__sim_node(struct clu_sim *sim, const char *name)
{
	return name ? clu_cluster_node(&sim->cluster, name) : NULL;
}

/* The first node other than not that may host g: a node g prefers first. */
static struct clu_node *eligible(struct clu_sim *sim, const struct clu_group *g, const char *not)
{
	for (size_t i = 0; i < sim->n_prefers; i++) {
		struct clu_node *n = clu__sim_node(sim, sim->prefers[i].node);

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
	struct clu_node *owner = clu__sim_node(sim, g->owner);

	/* The engine leaves a node in maintenance alone, with what runs there. */
	if (owner && owner->online && owner->maintenance)
		return owner;
	for (size_t i = 0; i < sim->n_prefers; i++) {
		struct clu_node *n = clu__sim_node(sim, sim->prefers[i].node);

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
		clu__sim_note(sim, "engine: '%s' moves from '%s' to '%s'%s", g->name, g->owner, to->name, why);
	else if (to)
		clu__sim_note(sim, "engine: '%s' starts on '%s'%s", g->name, to->name, why);
	else
		clu__sim_note(sim, "engine: '%s' stops on '%s': no node may host it%s", g->name, g->owner, why);
	clu_set_string(&g->owner, to ? to->name : NULL);
	sim->now_ms += sim->config.transition_ms;
	sim->busy = sim->config.busy_looks;
}

/* One placement pass over the managed groups; pinned ones stay. */
void clu__sim_place(struct clu_sim *sim)
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
void clu__sim_fail_over(struct clu_sim *sim, struct clu_group *g, const char *from)
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
		const struct clu_node *n = clu__sim_node(sim, g->owner);
		char *what;

		if (!n || !g->data_version || clu_version_cmp(n->version, g->data_version) >= 0)
			continue;
		clu__strv_push(&broken, g->name);
		if (clu__strv_has(&sim->broken, g->name))
			continue;       /* the same breach, still */
		what = clu__xasprintf("'%s' (data version %s) runs on '%s' (version %s)", g->name,
				      g->data_version, n->name, clu__sim_or_unknown(n->version));
		clu__sim_note(sim, "GUARD BROKEN: %s", what);
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
int clu__sim_end_change(struct clu_sim *sim, struct clu_err *err)
{
	clu__sim_place(sim);
	check_guard(sim);
	list_constraints(sim);
	return clu__sim_save(sim, err);
}

/* ---- faults ------------------------------------------------------------- */

bool clu__sim_is_command_fault(int kind)
{
	return kind == CLU_SIM_INSTALL_FAILS || kind == CLU_SIM_COMMAND_HANGS;
}

/* An event fault happens: the world changes, the engine reacts. */
static void fire_event(struct clu_sim *sim, struct clu__sim_fault *f)
{
	struct clu_node *n = clu__sim_node(sim, f->node);
	struct clu_group *g = f->group ? clu_cluster_group(&sim->cluster, f->group) : NULL;
	const char *kind = clu__sim_fault_kind_name(f->kind);

	f->fired++;
	if ((!n && f->kind != CLU_SIM_SETTLE_NEVER && f->kind != CLU_SIM_GROUP_MOVES) ||
	    (!g && f->kind == CLU_SIM_GROUP_MOVES)) {
		clu__sim_note(sim, "fault '%s': %s: ignored: no %s '%s'", f->name, kind,
		     f->kind == CLU_SIM_GROUP_MOVES ? "group" : "node",
		     f->kind == CLU_SIM_GROUP_MOVES ? clu__sim_or_unknown(f->group) : clu__sim_or_unknown(f->node));
		return;
	}
	switch (f->kind) {
	case CLU_SIM_NODE_DIES:
		clu__sim_note(sim, "fault '%s': %s: '%s' goes offline", f->name, kind, f->node);
		n->online = false;
		for (size_t i = 0; i < sim->cluster.n_groups; i++) {
			struct clu_group *h = &sim->cluster.groups[i];

			if (!clu__streq(h->owner, f->node))
				continue;
			if (h->managed)
				clu__sim_fail_over(sim, h, f->node);
			if (clu__streq(h->owner, f->node)) {
				clu__sim_note(sim, "engine: '%s' is stopped with its node '%s'%s", h->name,
				     f->node, h->managed ? "" : " (pinned: not recovered)");
				clu_set_string(&h->owner, NULL);
			}
		}
		break;
	case CLU_SIM_NODE_RETURNS:
		clu__sim_note(sim, "fault '%s': %s: '%s' comes back online", f->name, kind, f->node);
		n->online = true;
		break;
	case CLU_SIM_SETTLE_NEVER:
		clu__sim_note(sim, "fault '%s': %s: the engine stays busy from now on", f->name, kind);
		sim->settle_never = true;
		break;
	case CLU_SIM_GROUP_MOVES:
		clu__sim_note(sim, "fault '%s': %s: '%s' fails on '%s'%s", f->name, kind, f->group,
		     g->owner ? g->owner : "(stopped)",
		     g->managed ? "" : " (pinned: the engine leaves it where it is)");
		if (g->managed && g->owner)
			clu__sim_fail_over(sim, g, g->owner);
		break;
	default:
		BUG("fault kind %d is not an event", f->kind);
	}
	clu__sim_place(sim);
}

/* Event faults without a command to wait for, armed: they fire now. */
void clu__sim_fire_armed(struct clu_sim *sim)
{
	for (size_t i = 0; i < sim->n_faults; i++) {
		struct clu__sim_fault *f = &sim->faults[i];

		if (!clu__sim_is_command_fault(f->kind) && !f->nth && sim->changes >= f->after &&
		    f->fired < f->times)
			fire_event(sim, f);
	}
}

struct clu__sim_outcome clu__sim_command_faults(struct clu_sim *sim,
						const struct clu_node_command *cmd)
{
	struct clu__sim_outcome o = { false, false };

	for (size_t i = 0; i < sim->n_faults; i++) {
		struct clu__sim_fault *f = &sim->faults[i];

		if (!f->nth || sim->changes < f->after || f->fired >= f->times ||
		    !clu__streq(f->node, cmd->node) || f->on != (int)cmd->role)
			continue;
		if (++f->seen < f->nth)
			continue;
		if (!clu__sim_is_command_fault(f->kind)) {
			fire_event(sim, f);
			continue;
		}
		f->fired++;
		o.fails |= f->kind == CLU_SIM_INSTALL_FAILS;
		o.hangs |= f->kind == CLU_SIM_COMMAND_HANGS;
		clu__sim_note(sim, "fault '%s': %s: the %s on '%s'", f->name, clu__sim_fault_kind_name(f->kind),
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
	if (clu__sim_is_command_fault(f->kind) && !f->nth)
		f->nth = 1;
	clu__sim_note(sim, "fault '%s' added: %s", f->name, clu__sim_fault_kind_name(f->kind));
	clu__sim_fire_armed(sim);
	/* The next change saves the state again: a failure to save here shows there. */
	clu__sim_end_change(sim, NULL);
}

/* ---- the simulation ----------------------------------------------------- */

/* Open from the file at path (a description, or the state it continues), shown as shown. */
static int open_file(struct clu_sim **out, const char *path, const char *shown,
		     const char *state_path, struct clu_err *err)
{
	struct clu_sim *sim = clu__xcalloc(1, sizeof(*sim));
	bool resumed = false;
	struct stat st;
	int ret;

	sim->backend.ops = &clu__sim_ops;
	sim->config = (struct clu__sim_config){
		.busy_looks = CLU__SIM_BUSY_LOOKS, .command_ms = CLU__SIM_COMMAND_MS,
		.transition_ms = CLU__SIM_TRANSITION_MS, .data_migration = true,
	};
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
			if (clu__sim_is_command_fault(sim->faults[i].kind) && !sim->faults[i].nth)
				sim->faults[i].nth = 1;
		clu__sim_note(sim, resumed ? "sim: continued from '%s'" : "sim: opened '%s'",
		     resumed ? state_path : shown);
		clu__sim_fire_armed(sim);
		ret = clu__sim_end_change(sim, err);
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
