/*
 * The planner (see plan.h): builds the steps of a strategy, then proves
 * them safe by simulating every step on a copy of the cluster model and
 * checking DESIGN.md's invariants after each one. The same invariant check
 * (clu_plan_check_state) serves the executor against the live cluster, so
 * what the plan promised is what is enforced.
 *
 * Building and simulating are separate on purpose: the builder says what
 * the procedure is, the simulator says whether it is safe here. A builder
 * mistake is then refused like any unsafe plan, instead of being trusted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "clupdate/plan.h"
#include "util.h"

/* ---- names and descriptions ------------------------------------------ */

static const char *const action_names[] = {
	[CLU_ACTION_PIN] = "pin",
	[CLU_ACTION_UNPIN] = "unpin",
	[CLU_ACTION_DRAIN] = "drain",
	[CLU_ACTION_UNDRAIN] = "undrain",
	[CLU_ACTION_PRE_HOOK] = "pre-hook",
	[CLU_ACTION_INSTALL] = "install",
	[CLU_ACTION_VERIFY] = "verify",
	[CLU_ACTION_POST_HOOK] = "post-hook",
	[CLU_ACTION_MOVE] = "move",
	[CLU_ACTION_BAN] = "ban",
	[CLU_ACTION_CLEAR] = "clear",
};

bool clu_action_runs_on_node(enum clu_action a)
{
	return a == CLU_ACTION_INSTALL || a == CLU_ACTION_VERIFY || a == CLU_ACTION_PRE_HOOK ||
	       a == CLU_ACTION_POST_HOOK;
}

const char *clu_action_name(enum clu_action action)
{
	if ((size_t)action >= sizeof(action_names) / sizeof(action_names[0]))
		BUG("unknown action %d", (int)action);
	return action_names[action];
}

char *clu_fact_describe(const struct clu_fact *f)
{
	switch (f->kind) {
	case CLU_FACT_NODE_ONLINE:
		return clu__xasprintf("'%s' is online", f->node);
	case CLU_FACT_NODE_STANDBY:
		return clu__xasprintf("'%s' is in standby", f->node);
	case CLU_FACT_NODE_ACTIVE:
		return clu__xasprintf("'%s' is online and not in standby", f->node);
	case CLU_FACT_NODE_VERSION:
		return clu__xasprintf("'%s' has version %s installed", f->node, f->version);
	case CLU_FACT_NODE_HOSTS_NONE:
		return clu__xasprintf("'%s' runs none of the updated groups", f->node);
	case CLU_FACT_GROUP_ON:
		return clu__xasprintf("'%s' runs on '%s'", f->group, f->node);
	case CLU_FACT_GROUP_PLACED_ON:
		return clu__xasprintf("'%s' runs on '%s', whole or but for a member not "
				      "installed there", f->group, f->node);
	case CLU_FACT_GROUP_PINNED:
		return clu__xasprintf("'%s' is pinned (unmanaged)", f->group);
	case CLU_FACT_GROUP_MANAGED:
		return clu__xasprintf("'%s' is managed", f->group);
	case CLU_FACT_GROUP_BANNED:
		return clu__xasprintf("'%s' may not run on '%s'", f->group, f->node);
	case CLU_FACT_GROUP_UNBANNED:
		return clu__xasprintf("'%s' is not banned from '%s'", f->group, f->node);
	}
	BUG("unknown fact %d", (int)f->kind);
}

static bool is_updated_group(const struct clu_manifest *m, const char *group)
{
	for (size_t i = 0; i < m->n_groups; i++)
		if (strcmp(m->groups[i], group) == 0)
			return true;
	return false;
}

bool clu_fact_holds(const struct clu_fact *f, const struct clu_cluster *c,
		    const struct clu_manifest *m)
{
	const struct clu_node *node = clu_cluster_node(c, f->node);
	const struct clu_group *group = clu_cluster_group(c, f->group);

	switch (f->kind) {
	case CLU_FACT_NODE_ONLINE:
		return node && node->online;
	case CLU_FACT_NODE_STANDBY:
		return node && node->standby;
	case CLU_FACT_NODE_ACTIVE:
		return node && node->online && !node->standby;
	case CLU_FACT_NODE_VERSION:
		return node && clu_version_cmp(node->version, f->version) == 0;
	case CLU_FACT_NODE_HOSTS_NONE:
		for (size_t i = 0; i < c->n_groups; i++)
			if (is_updated_group(m, c->groups[i].name) &&
			    clu__streq(clu_group_placed_on(c, &c->groups[i]), f->node))
				return false;
		return true;
	case CLU_FACT_GROUP_ON:
		return group && clu__streq(group->owner, f->node);
	case CLU_FACT_GROUP_PLACED_ON:
		return group && clu__streq(clu_group_placed_on(c, group), f->node);
	case CLU_FACT_GROUP_PINNED:
		return group && !group->managed;
	case CLU_FACT_GROUP_MANAGED:
		return group && group->managed;
	case CLU_FACT_GROUP_BANNED:
		return group && clu_group_banned(group, f->node);
	case CLU_FACT_GROUP_UNBANNED:
		return group && !clu_group_banned(group, f->node);
	}
	BUG("unknown fact %d", (int)f->kind);
}

const char *clu_step_label(const struct clu_step *s, char *buf, size_t size)
{
	if (s->group && s->node)
		snprintf(buf, size, "%s '%s' %s '%s'", clu_action_name(s->action), s->group,
			 s->action == CLU_ACTION_BAN ? "from" : s->action == CLU_ACTION_MOVE ? "to" : "on",
			 s->node);
	else
		snprintf(buf, size, "%s '%s'", clu_action_name(s->action),
			 s->group ? s->group : s->node);
	return buf;
}

bool clu_step_restarts(const struct clu_plan *plan, const struct clu_step *s)
{
	if (s->action != CLU_ACTION_UNPIN)
		return false;
	for (size_t i = 0; i + 1 < s->index && i < plan->n_steps; i++)
		if (plan->steps[i].action == CLU_ACTION_PIN &&
		    clu__streq(plan->steps[i].group, s->group))
			return false;
	return true;
}

char *clu_step_describe(const struct clu_step *s, const struct clu_plan *plan)
{
	switch (s->action) {
	case CLU_ACTION_PIN:
		return clu__xasprintf("pin '%s' to its owner '%s' (unmanaged: the engine "
				      "will not fail it over while the installer stops it)",
				      s->group, s->node);
	case CLU_ACTION_UNPIN:
		if (plan && clu_step_restarts(plan, s))
			return clu__xasprintf("unpin '%s', which an unfinished run pinned on '%s' "
					      "and which runs nowhere: the engine starts it there "
					      "again, so that the update goes on from its owner",
					      s->group, s->node);
		return clu__xasprintf("unpin '%s' (managed again)", s->group);
	case CLU_ACTION_DRAIN:
		return clu__xasprintf("drain '%s' (standby: its resources move away)", s->node);
	case CLU_ACTION_UNDRAIN:
		return clu__xasprintf("undrain '%s' (back in service)", s->node);
	case CLU_ACTION_PRE_HOOK:
		return clu__xasprintf("run hook '%s' (pre) on '%s'; failure vetoes the node",
				      s->hook, s->node);
	case CLU_ACTION_INSTALL:
		if (plan && plan->rollback && s->command)
			return clu__xasprintf("roll '%s' back to version %s: %s's down-migration, "
					      "then its rollback, while '%s' stays pinned there",
					      s->node, plan->version, plan->update, s->interrupts[0]);
		if (plan && plan->rollback)
			return clu__xasprintf("roll '%s' back to version %s (%s's rollback)", s->node,
					      plan->version, plan->update);
		if (s->n_interrupts)
			return clu__xasprintf("install %s %s on '%s' (the installer stops and "
					      "restarts '%s' there: users see an interruption)",
					      plan->update, plan->version, s->node, s->interrupts[0]);
		return clu__xasprintf("install %s %s on '%s'", plan->update, plan->version, s->node);
	case CLU_ACTION_VERIFY:
		return clu__xasprintf("verify '%s' reports version %s", s->node, plan->version);
	case CLU_ACTION_POST_HOOK:
		return clu__xasprintf("run hook '%s' (post) on '%s'", s->hook, s->node);
	case CLU_ACTION_MOVE:
		return clu__xasprintf("move '%s' to the updated node '%s' (one switchover)",
				      s->group, s->node);
	case CLU_ACTION_BAN:
		for (size_t i = s->index; plan && i < plan->n_steps; i++) {
			const struct clu_step *next = &plan->steps[i];

			if (next->action == CLU_ACTION_BAN)
				continue;
			if (next->action == CLU_ACTION_MOVE && clu__streq(next->group, s->group))
				return clu__xasprintf("ban '%s' from '%s' (not updated yet), in one "
						      "cluster update with step %u: one switchover",
						      s->group, s->node, next->index);
			break;
		}
		return clu__xasprintf("ban '%s' from '%s' (not updated yet)", s->group, s->node);
	case CLU_ACTION_CLEAR:
		return clu__xasprintf("clear the bans and move preference of '%s'", s->group);
	}
	BUG("unknown action %d", (int)s->action);
}

/* ---- plan building ---------------------------------------------------- */

static void fact_release(struct clu_fact *f)
{
	free(f->node);
	free(f->group);
	free(f->version);
}

static void step_release(struct clu_step *s)
{
	free(s->node);
	free(s->group);
	free(s->hook);
	free(s->command);
	for (size_t i = 0; i < s->n_pre; i++)
		fact_release(&s->pre[i]);
	for (size_t i = 0; i < s->n_post; i++)
		fact_release(&s->post[i]);
	free(s->pre);
	free(s->post);
	for (size_t i = 0; i < s->n_interrupts; i++)
		free(s->interrupts[i]);
	free(s->interrupts);
}

void clu_plan_release(struct clu_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n_steps; i++)
		step_release(&plan->steps[i]);
	free(plan->steps);
	for (size_t i = 0; i < plan->n_guards; i++) {
		free(plan->guards[i].group);
		free(plan->guards[i].node);
	}
	free(plan->guards);
	for (size_t i = 0; i < plan->n_interruptions; i++)
		free(plan->interruptions[i].group);
	free(plan->interruptions);
	for (size_t i = 0; i < plan->n_notes; i++)
		free(plan->notes[i]);
	free(plan->notes);
	free(plan->update);
	free(plan->version);
	free(plan->choice);
	memset(plan, 0, sizeof(*plan));
}

/*
 * What the builder needs while it lays out steps. The sets and maps keep
 * it linear in the size of the plan: each question it asks of a node or a
 * group is a lookup, never a walk over every node or group.
 */
struct builder {
	struct clu_plan *plan;
	const struct clu_manifest *manifest;
	const struct clu_cluster *cluster;   /* the state the plan starts from */
	bool rollback;               /* nodes newer than the manifest's version are the
					ones to work on (clu_plan_make_rollback) */
	struct clu__strv owners;     /* nodes running updated groups, to update */
	GHashTable *owner_set;       /* the same, as a set */
	struct clu__strv passives;   /* other nodes to update */
	struct clu__strv undrain;    /* updated already, left drained by an earlier run */
	GHashTable *verified;        /* nodes at the target version, so far (a set) */
	GHashTable *hosting;         /* node -> GPtrArray of the updated groups it runs
					at the start, in manifest order */
	size_t *load;                /* per node: manifest groups it runs at the start */
	GHashTable *open_guards;     /* node -> GArray of the guards (indexes) on it
					that its verify step closes */
	size_t steps_alloc, guards_alloc;   /* room in plan->steps, plan->guards */
	unsigned wave;               /* the wave steps are added to */
	size_t wave_size;            /* passive nodes that may be updated together */
	GHashTable *in_part;         /* groups an earlier run left unfinished on an
					owner whose install is done again in place:
					they may run there but for a member not
					installed until it is (a set; add_restarts) */
};

/* A set of strings that outlive it. */
static GHashTable *set_new(void)
{
	return g_hash_table_new(g_str_hash, g_str_equal);
}

static void set_add(GHashTable *set, const char *s)
{
	g_hash_table_add(set, (gpointer)s);
}

static bool set_has(GHashTable *set, const char *s)
{
	return g_hash_table_contains(set, s);
}

/* The GArray of guint that key maps to in map (made empty if none). */
static GArray *indexes_of(GHashTable *map, const char *key)
{
	GArray *a = g_hash_table_lookup(map, key);

	if (!a) {
		a = g_array_new(FALSE, FALSE, sizeof(guint));
		g_hash_table_insert(map, (gpointer)key, a);
	}
	return a;
}

static GHashTable *indexes_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				     (GDestroyNotify)(void (*)(void))g_array_unref);
}

static struct clu_step *add_step(struct builder *b, enum clu_action action,
				 const char *node, const char *group)
{
	struct clu_plan *plan = b->plan;
	struct clu_step *s;

	CLU_ALLOC_GROW(plan->steps, plan->n_steps + 1, b->steps_alloc);
	s = &plan->steps[plan->n_steps++];
	memset(s, 0, sizeof(*s));
	s->index = (unsigned)plan->n_steps;
	s->wave = b->wave;
	s->action = action;
	s->node = clu__xstrdup_or_null(node);
	s->group = clu__xstrdup_or_null(group);
	return s;
}

static void add_fact(struct clu_fact **v, size_t *n, enum clu_fact_kind kind,
		     const char *node, const char *group, const char *version)
{
	struct clu_fact *f;

	*v = clu__xrealloc(*v, (*n + 1) * sizeof(**v));
	f = &(*v)[(*n)++];
	f->kind = kind;
	f->node = clu__xstrdup_or_null(node);
	f->group = clu__xstrdup_or_null(group);
	f->version = clu__xstrdup_or_null(version);
}

#define PRE(s, kind, node, group, version) \
	add_fact(&(s)->pre, &(s)->n_pre, kind, node, group, version)
#define POST(s, kind, node, group, version) \
	add_fact(&(s)->post, &(s)->n_post, kind, node, group, version)

static void add_note(struct clu_plan *plan, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_note(struct clu_plan *plan, const char *fmt, ...)
{
	va_list ap;
	char *note;

	va_start(ap, fmt);
	if (vasprintf(&note, fmt, ap) < 0)
		BUG("vasprintf failed");
	va_end(ap);
	plan->notes = clu__xrealloc(plan->notes, (plan->n_notes + 1) * sizeof(char *));
	plan->notes[plan->n_notes++] = note;
}

static void add_guard(struct builder *b, const char *group, const char *node,
		      unsigned from, unsigned enforced_by)
{
	struct clu_plan *plan = b->plan;
	struct clu_guard *g;
	guint i = (guint)plan->n_guards;

	CLU_ALLOC_GROW(plan->guards, plan->n_guards + 1, b->guards_alloc);
	g = &plan->guards[plan->n_guards++];
	g->group = clu__xstrdup(group);
	g->node = clu__xstrdup(node);
	g->from = from;
	g->until = 0;           /* closed by close_guards() at the node's verify */
	g->enforced_by = enforced_by;
	g_array_append_val(indexes_of(b->open_guards, g->node), i);
}

/* The node's verify step closes every guard that keeps a group off it. */
static void close_guards(struct builder *b, const char *node, unsigned verify_step)
{
	GArray *open = g_hash_table_lookup(b->open_guards, node);

	for (guint i = 0; open && i < open->len; i++) {
		struct clu_guard *g = &b->plan->guards[g_array_index(open, guint, i)];

		if (!g->until)
			g->until = verify_step;
	}
	if (open)
		g_array_set_size(open, 0);
}

/* The groups being updated that run on node in the starting state. */
static void groups_on(const struct builder *b, const char *node, struct clu__strv *out)
{
	GPtrArray *hosted = g_hash_table_lookup(b->hosting, node);

	for (guint i = 0; hosted && i < hosted->len; i++)
		clu__strv_push(out, g_ptr_array_index(hosted, i));
}

static bool needs_update(const struct builder *b, const char *node)
{
	return !set_has(b->verified, node);
}

/*
 * Where the updated groups run at the start (b->hosting, b->load): every
 * updated group is known (classify_nodes checked).
 */
static void map_hosting(struct builder *b)
{
	const struct clu_cluster *c = b->cluster;

	b->hosting = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					   (GDestroyNotify)(void (*)(void))g_ptr_array_unref);
	b->load = clu__xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(*b->load));
	for (size_t i = 0; i < b->manifest->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(c, b->manifest->groups[i]);
		const struct clu_node *owner = clu_cluster_node(c, g->owner);
		GPtrArray *hosted;

		if (!g->owner)
			continue;
		if (owner)
			b->load[owner - c->nodes]++;
		if (!(hosted = g_hash_table_lookup(b->hosting, g->owner))) {
			hosted = g_ptr_array_new();
			g_hash_table_insert(b->hosting, g->owner, hosted);
		}
		g_ptr_array_add(hosted, g->name);
	}
}

/* Each node's step of a hook (pre or post), hook by hook. */
static void add_hook_steps(struct builder *b, const char *const *nodes, size_t n, bool pre)
{
	const struct clu_manifest *m = b->manifest;

	for (size_t i = 0; i < m->n_hooks; i++) {
		if (!(pre ? m->hooks[i].pre : m->hooks[i].post))
			continue;
		for (size_t k = 0; k < n; k++) {
			struct clu_step *s = add_step(b, pre ? CLU_ACTION_PRE_HOOK : CLU_ACTION_POST_HOOK,
						      nodes[k], NULL);

			s->hook = clu__xstrdup(m->hooks[i].name);
			PRE(s, CLU_FACT_NODE_ONLINE, nodes[k], NULL, NULL);
		}
	}
}

/* The installer on node; `hosted` are the updated groups running there (pinned). */
static void add_install(struct builder *b, const char *node, const struct clu__strv *hosted)
{
	const struct clu_manifest *m = b->manifest;
	struct clu_step *s = add_step(b, CLU_ACTION_INSTALL, node, NULL);

	PRE(s, CLU_FACT_NODE_ONLINE, node, NULL, NULL);
	for (size_t i = 0; i < hosted->n; i++) {
		PRE(s, CLU_FACT_GROUP_ON, node, hosted->v[i], NULL);
		PRE(s, CLU_FACT_GROUP_PINNED, NULL, hosted->v[i], NULL);
	}
	if (!hosted->n)
		PRE(s, CLU_FACT_NODE_HOSTS_NONE, node, NULL, NULL);
	if (hosted->n) {
		s->n_interrupts = hosted->n;
		s->interrupts = clu__xcalloc(hosted->n, sizeof(char *));
		for (size_t i = 0; i < hosted->n; i++)
			s->interrupts[i] = clu__xstrdup(hosted->v[i]);
	}
	/* With migration, the data is newer than every node not yet verified. */
	if (m->data_migration)
		for (size_t i = 0; i < hosted->n; i++)
			for (size_t j = 0; j < b->cluster->n_nodes; j++) {
				const char *other = b->cluster->nodes[j].name;

				if (strcmp(other, node) && needs_update(b, other) &&
				    !clu_group_banned(clu_cluster_group(b->cluster, hosted->v[i]), other))
					add_guard(b, hosted->v[i], other, s->index, 0);
			}
}

/*
 * The nodes' own work: pre hooks, install, verify, post hooks, each kind
 * on every node before the next kind (a wave runs each kind at once).
 * `hosted` are the updated groups running on the node (an owner's,
 * pinned: then it is the only node), which the installer interrupts.
 */
static void add_node_work(struct builder *b, const char *const *nodes, size_t n,
			  const struct clu__strv *hosted)
{
	if (hosted->n && n != 1)
		BUG("an owner is updated alone");
	add_hook_steps(b, nodes, n, true);
	for (size_t k = 0; k < n; k++)
		add_install(b, nodes[k], hosted);
	for (size_t k = 0; k < n; k++) {
		struct clu_step *s = add_step(b, CLU_ACTION_VERIFY, nodes[k], NULL);

		POST(s, CLU_FACT_NODE_VERSION, nodes[k], NULL, b->manifest->version);
		set_add(b->verified, s->node);
		close_guards(b, nodes[k], s->index);
	}
	add_hook_steps(b, nodes, n, false);
}

/*
 * A wave of nodes that run no updated group: drained together, their
 * work, undrained together (those we drained, or an earlier run did).
 */
static void add_wave(struct builder *b, const char *const *nodes, size_t n)
{
	struct clu__strv none = { 0 };
	struct clu_step *s;

	b->wave++;
	for (size_t k = 0; k < n; k++) {
		if (clu_cluster_node(b->cluster, nodes[k])->standby)
			continue;
		s = add_step(b, CLU_ACTION_DRAIN, nodes[k], NULL);
		PRE(s, CLU_FACT_NODE_ACTIVE, nodes[k], NULL, NULL);
		PRE(s, CLU_FACT_NODE_HOSTS_NONE, nodes[k], NULL, NULL);
		POST(s, CLU_FACT_NODE_STANDBY, nodes[k], NULL, NULL);
	}
	add_node_work(b, nodes, n, &none);
	/* Back in service, unless an administrator had drained it. */
	for (size_t k = 0; k < n; k++) {
		const struct clu_node *node = clu_cluster_node(b->cluster, nodes[k]);

		if (node->standby && !node->drained_by_clupdate)
			continue;
		s = add_step(b, CLU_ACTION_UNDRAIN, nodes[k], NULL);
		PRE(s, CLU_FACT_NODE_VERSION, nodes[k], NULL, b->manifest->version);
		POST(s, CLU_FACT_NODE_ACTIVE, nodes[k], NULL, NULL);
	}
}

/* Every passive node, in waves of at most b->wave_size. */
static void add_passives(struct builder *b)
{
	for (size_t i = 0; i < b->passives.n; i += b->wave_size) {
		size_t n = b->passives.n - i;

		add_wave(b, (const char *const *)b->passives.v + i,
			 n < b->wave_size ? n : b->wave_size);
	}
}

/* in-place, for one owner: pin its groups, work, unpin. */
static void add_owner_in_place(struct builder *b, const char *node)
{
	struct clu__strv hosted = { 0 };
	struct clu_step *s;

	groups_on(b, node, &hosted);
	b->wave++;
	for (size_t i = 0; i < hosted.n; i++) {
		s = add_step(b, CLU_ACTION_PIN, node, hosted.v[i]);
		PRE(s, set_has(b->in_part, hosted.v[i]) ? CLU_FACT_GROUP_PLACED_ON :
		    CLU_FACT_GROUP_ON, node, hosted.v[i], NULL);
		POST(s, CLU_FACT_GROUP_PINNED, NULL, hosted.v[i], NULL);
		POST(s, CLU_FACT_GROUP_ON, node, hosted.v[i], NULL);
	}
	add_node_work(b, &node, 1, &hosted);
	for (size_t i = 0; i < hosted.n; i++) {
		s = add_step(b, CLU_ACTION_UNPIN, node, hosted.v[i]);
		PRE(s, CLU_FACT_GROUP_PINNED, NULL, hosted.v[i], NULL);
		PRE(s, CLU_FACT_NODE_VERSION, node, NULL, b->manifest->version);
		POST(s, CLU_FACT_GROUP_MANAGED, NULL, hosted.v[i], NULL);
		POST(s, CLU_FACT_GROUP_ON, node, hosted.v[i], NULL);
	}
	clu__strv_release(&hosted);
}

/*
 * The updated node that should take a group over: active, allowed, and
 * hosting the fewest updated groups so far (in node order on a tie).
 * `placed` counts groups already moved there by this plan.
 */
static const char *takeover_node(const struct builder *b, const struct clu_group *group,
				 const size_t *placed)
{
	const char *best = NULL;
	size_t best_load = 0;

	for (size_t i = 0; i < b->cluster->n_nodes; i++) {
		const struct clu_node *n = &b->cluster->nodes[i];
		size_t load = placed[i];

		if (needs_update(b, n->name) || !n->online || n->standby ||
		    n->maintenance || clu_group_banned(group, n->name))
			continue;
		load += b->load[i];
		if (!best || load < best_load) {
			best = n->name;
			best_load = load;
		}
	}
	return best;
}

/*
 * rolling, for one owner: for each of its groups, ban it from every node
 * not yet updated (the owner first) and move it to an updated node, as one
 * switchover; then the owner's own work.
 */
static int add_owner_rolling(struct builder *b, const char *node, size_t *placed,
			     struct clu__strv *moved, struct clu_err *err)
{
	struct clu__strv hosted = { 0 }, none = { 0 };
	const struct clu_manifest *m = b->manifest;
	struct clu_step *s;
	int ret = 0;

	groups_on(b, node, &hosted);
	b->wave++;
	for (size_t i = 0; i < hosted.n; i++) {
		const struct clu_group *g = clu_cluster_group(b->cluster, hosted.v[i]);
		const char *target = takeover_node(b, g, placed);
		size_t first_guard = b->plan->n_guards;
		unsigned first_ban = 0;

		if (!target) {
			ret = clu_err_set(err, CLU_E_REFUSED,
					  "rolling: no updated node can take over '%s' from '%s' "
					  "(each is offline, in standby, or banned)", g->name, node);
			goto out;
		}
		/* The owner first: its ban and the move are one switchover. */
		for (int pass = 0; pass < 2; pass++)
			for (size_t j = 0; j < b->cluster->n_nodes; j++) {
				const char *other = b->cluster->nodes[j].name;
				bool is_owner = strcmp(other, node) == 0;

				if ((pass == 0) != is_owner || !needs_update(b, other) ||
				    clu_group_banned(g, other))
					continue;
				s = add_step(b, CLU_ACTION_BAN, other, g->name);
				POST(s, CLU_FACT_GROUP_BANNED, other, g->name, NULL);
				if (!first_ban)
					first_ban = s->index;
				if (m->data_migration)
					add_guard(b, g->name, other, 0, s->index);
			}
		s = add_step(b, CLU_ACTION_MOVE, target, g->name);
		PRE(s, CLU_FACT_GROUP_MANAGED, NULL, g->name, NULL);
		PRE(s, CLU_FACT_NODE_ACTIVE, target, NULL, NULL);
		PRE(s, CLU_FACT_NODE_VERSION, target, NULL, m->version);
		POST(s, CLU_FACT_GROUP_ON, target, g->name, NULL);
		s->n_interrupts = 1;
		s->interrupts = clu__xcalloc(1, sizeof(char *));
		s->interrupts[0] = clu__xstrdup(g->name);
		/* The data is migrated when the new version starts on target. Only
		 * the guards of these bans can still have no start: every other
		 * got one from its install step or from an earlier move. */
		for (size_t k = first_guard; k < b->plan->n_guards; k++)
			if (b->plan->guards[k].from == 0)
				b->plan->guards[k].from = s->index;
		/* Its bans and the move: one batch, one switchover. */
		for (unsigned k = first_ban; k && k < s->index; k++)
			b->plan->steps[k - 1].with_move = s->index;
		placed[clu_cluster_node(b->cluster, target) - b->cluster->nodes]++;
		clu__strv_push(moved, g->name);
	}
	add_node_work(b, &node, 1, &none);
out:
	clu__strv_release(&hosted);
	return ret;
}

/* ---- simulation and invariants ---------------------------------------- */

/* Out of service whatever work runs: offline, drained or in maintenance. */
static bool out_of_service(const struct clu_node *n)
{
	return !n->online || n->standby || n->maintenance;
}

/* The invariants with the guards of `step`; `closed`: those ending there are not. */
static int check_state(const struct clu_plan *plan, const struct clu_manifest *m,
		       const struct clu_cluster *c, unsigned step, bool closed,
		       struct clu_err *err)
{
	if (!c->quorum && c->n_nodes && clu_cluster_online(c) == c->n_nodes)
		return clu_err_set(err, CLU_E_REFUSED, "quorum: the cluster has no quorum although "
				   "all %zu nodes are online: a node joining, or an election under "
				   "way?", c->n_nodes);
	if (!c->quorum)
		return clu_err_set(err, CLU_E_REFUSED,
				   "quorum: the cluster has no quorum (only %zu of %zu nodes online)",
				   clu_cluster_online(c), c->n_nodes);
	/*
	 * The data version only matters when this update migrates the data:
	 * otherwise every version can read it (and the reader's inference of
	 * the data version from the owner's version would be wrong).
	 */
	for (size_t i = 0; m->data_migration && i < m->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(c, m->groups[i]);
		const struct clu_node *owner;

		if (!g || !g->data_version)
			continue;
		owner = clu_cluster_node(c, g->owner);
		if (owner && clu_version_cmp(owner->version, g->data_version) < 0)
			return clu_err_set(err, CLU_E_REFUSED,
					   "version guard: '%s' runs on '%s' (version %s), older than "
					   "its data (version %s)", g->name, owner->name,
					   owner->version ? owner->version : "unknown", g->data_version);
		if (!g->managed)
			continue;   /* pinned: the engine will not move it */
		for (size_t j = 0; j < c->n_nodes; j++) {
			const struct clu_node *n = &c->nodes[j];

			/* The version first: banned is a walk over the group's bans. */
			if (clu_version_cmp(n->version, g->data_version) < 0 && clu_node_may_host(g, n))
				return clu_err_set(err, CLU_E_REFUSED,
						   "version guard: '%s' could fail over to '%s' (version %s), "
						   "older than its data (version %s)", g->name, n->name,
						   n->version ? n->version : "unknown", g->data_version);
		}
	}
	/* Guards hold even where the data version is unknown. */
	for (size_t i = 0; plan && step && i < plan->n_guards; i++) {
		const struct clu_guard *gd = &plan->guards[i];
		const struct clu_group *g = clu_cluster_group(c, gd->group);
		const struct clu_node *n = clu_cluster_node(c, gd->node);

		if (step < gd->from || step > gd->until || (closed && step == gd->until) || !g || !n)
			continue;
		if (clu__streq(g->owner, n->name))
			return clu_err_set(err, CLU_E_REFUSED, "version guard: '%s' runs on '%s', "
					   "which must not host it until step %u", g->name, n->name,
					   gd->until);
		if (g->managed && clu_node_may_host(g, n))
			return clu_err_set(err, CLU_E_REFUSED, "version guard: '%s' could fail over "
					   "to '%s', which must not host it until step %u", g->name,
					   n->name, gd->until);
	}
	return 0;
}

int clu_plan_check_state(const struct clu_plan *plan, const struct clu_manifest *m,
			 const struct clu_cluster *c, unsigned step, struct clu_err *err)
{
	return check_state(plan, m, c, step, false, err);
}

int clu_plan_check_between(const struct clu_plan *plan, const struct clu_manifest *m,
			   const struct clu_cluster *c, unsigned step, struct clu_err *err)
{
	return check_state(plan, m, c, step, true, err);
}

/*
 * The simulation's model and what it keeps beside it, so that a step
 * costs what it changes, not a walk over every node, group or guard:
 * per node, the groups that may run there (every group that ever did:
 * each list a superset, sorted, so that walking it and checking the
 * owner sees the groups in the order a walk over all of them would); per
 * step, the guards that open and close there.
 */
struct simulation {
	const struct clu_plan *plan;
	const struct clu_manifest *manifest;
	struct clu_cluster model;
	const char *working;         /* node between its install and verify/hooks */
	bool *held;                  /* per node: in standby for this update (drained
					by the plan, or left drained by an earlier run) */
	size_t n_held;
	size_t online;               /* nodes online (no step changes it) */
	GHashTable *added_bans;      /* group -> GPtrArray of the nodes the plan banned
					it from, in order (a node again after a clear) */
	size_t out;                  /* nodes out_of_service() */
	GArray **entries;            /* per group: its positions in the manifest */
	size_t *hosted;              /* per node: updated groups that run there */
	GArray **ran;                /* per node: groups that ran there (indexes) */
	GArray **ran_updated;        /* per node: the same, as manifest positions */
	GArray **opening;            /* per step: guards opened before it (indexes) */
	GArray **closing;            /* per step: guards closed after it */

	/*
	 * The model's bans, as sets: the plan adds and clears thousands
	 * (a guard per group and node), which the model's arrays would
	 * search and shift one by one. Per group, NULL when it has none;
	 * written back to the model (sim_sync_bans) before anything reads
	 * the model's own.
	 */
	GHashTable **bans;
	bool *bans_changed;          /* per group: its array is not its set */

	/*
	 * For the invariants, checked again only where a step changed what
	 * they read (sim_unsafe): the nodes and the groups it changed, and
	 * each guard by group, by node and by the step it starts at.
	 */
	GArray *changed_nodes, *changed_groups;
	bool *node_changed, *group_changed;
	GArray **guards_of_group, **guards_of_node, **guards_from;
};

/* n arrays of guint, each made when first added to (NULL: empty). */
static GArray **arrays_new(size_t n)
{
	return clu__xcalloc(n ? n : 1, sizeof(GArray *));
}

static GArray *array_at(GArray **a, size_t i)
{
	if (!a[i])
		a[i] = g_array_new(FALSE, FALSE, sizeof(guint));
	return a[i];
}

static guint array_len(const GArray *a)
{
	return a ? a->len : 0;
}

static void arrays_free(GArray **a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		if (a[i])
			g_array_unref(a[i]);
	free(a);
}

/* Add v to the sorted array a, unless it is there. */
static void sorted_add(GArray *a, guint v)
{
	guint lo = 0, hi = a->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (g_array_index(a, guint, mid) < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == a->len || g_array_index(a, guint, lo) != v)
		g_array_insert_val(a, lo, v);
}

static const struct clu_node *sim_node(const struct simulation *sim, const char *name)
{
	return clu_cluster_node(&sim->model, name);
}

static size_t node_at(const struct simulation *sim, const struct clu_node *n)
{
	return (size_t)(n - sim->model.nodes);
}

/* Nodes out of service, the one being worked on included. */
static size_t count_out(const struct simulation *sim)
{
	const struct clu_node *working = sim_node(sim, sim->working);

	return sim->out + (working && !out_of_service(working));
}

/* Group g now runs on owner (a name; NULL: stopped). */
static void sim_set_owner(struct simulation *sim, struct clu_group *g, const char *owner)
{
	size_t at = (size_t)(g - sim->model.groups);
	const struct clu_node *from = sim_node(sim, g->owner), *to = sim_node(sim, owner);
	const GArray *entries = sim->entries[at];

	if (array_len(entries) && from)
		sim->hosted[node_at(sim, from)]--;
	if (to) {
		if (array_len(entries))
			sim->hosted[node_at(sim, to)]++;
		sorted_add(array_at(sim->ran, node_at(sim, to)), (guint)at);
		for (guint k = 0; k < array_len(entries); k++)
			sorted_add(array_at(sim->ran_updated, node_at(sim, to)),
				   g_array_index(entries, guint, k));
	}
	clu_set_string(&g->owner, owner);
}

static bool sim_banned(const struct simulation *sim, const struct clu_group *g,
		       const char *node)
{
	const GHashTable *bans = sim->bans[g - sim->model.groups];

	return bans && g_hash_table_contains((GHashTable *)bans, node);
}

/* clu_node_may_host() with the simulation's bans. */
static bool sim_may_host(const struct simulation *sim, const struct clu_group *g,
			 const struct clu_node *n)
{
	return n->online && !n->standby && !n->maintenance && !sim_banned(sim, g, n->name);
}

static void mark_node(struct simulation *sim, const struct clu_node *n)
{
	guint at = (guint)node_at(sim, n);

	if (!sim->node_changed[at]) {
		sim->node_changed[at] = true;
		g_array_append_val(sim->changed_nodes, at);
	}
}

static void mark_group(struct simulation *sim, const struct clu_group *g)
{
	guint at = (guint)(g - sim->model.groups);

	if (!sim->group_changed[at]) {
		sim->group_changed[at] = true;
		g_array_append_val(sim->changed_groups, at);
	}
}

/* Ban g from node in the simulation's sets; false if it already was. */
static bool sets_ban(struct simulation *sim, const struct clu_group *g, const char *node)
{
	size_t at = (size_t)(g - sim->model.groups);

	if (!sim->bans[at])
		sim->bans[at] = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	if (g_hash_table_contains(sim->bans[at], node))
		return false;
	g_hash_table_add(sim->bans[at], clu__xstrdup(node));
	sim->bans_changed[at] = true;
	return true;
}

/*
 * Lift the ban of g from node: g may run there again, which the
 * invariants check, for the node (a verify closing the guards on it) or,
 * with by_group, for the group (a clear lifting all of its bans).
 */
static void sim_unban(struct simulation *sim, const struct clu_group *g, const char *node,
		      bool by_group)
{
	size_t at = (size_t)(g - sim->model.groups);
	const struct clu_node *n = sim_node(sim, node);

	if (!sim->bans[at] || !g_hash_table_remove(sim->bans[at], node))
		return;
	sim->bans_changed[at] = true;
	if (by_group)
		mark_group(sim, g);
	else if (n)
		mark_node(sim, n);
}

/* The model's ban arrays made what the sets say, for code that reads them. */
static void sim_sync_bans(struct simulation *sim)
{
	for (size_t i = 0; i < sim->model.n_groups; i++) {
		struct clu_group *g = &sim->model.groups[i];
		GHashTableIter it;
		gpointer node;

		if (!sim->bans_changed[i])
			continue;
		for (size_t j = 0; j < g->n_banned; j++)
			free(g->banned[j]);
		g->n_banned = 0;
		g_hash_table_iter_init(&it, sim->bans[i]);
		while (g_hash_table_iter_next(&it, &node, NULL))
			clu_group_ban(g, node);
		sim->bans_changed[i] = false;
	}
}

/* What the simulation keeps beside its model, from the model as it starts. */
static void sim_init(struct simulation *sim)
{
	const struct clu_cluster *c = &sim->model;
	const struct clu_plan *plan = sim->plan;

	sim->added_bans = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						(GDestroyNotify)(void (*)(void))g_ptr_array_unref);
	sim->entries = arrays_new(c->n_groups);
	sim->hosted = clu__xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(size_t));
	sim->ran = arrays_new(c->n_nodes);
	sim->ran_updated = arrays_new(c->n_nodes);
	for (guint j = 0; j < sim->manifest->n_groups; j++) {
		const struct clu_group *g = clu_cluster_group(c, sim->manifest->groups[j]);

		if (g)
			g_array_append_val(array_at(sim->entries, (size_t)(g - c->groups)), j);
	}
	for (guint i = 0; i < c->n_groups; i++) {
		const struct clu_node *owner = sim_node(sim, c->groups[i].owner);
		const GArray *entries = sim->entries[i];

		if (!owner)
			continue;
		sim->hosted[node_at(sim, owner)] += array_len(entries) > 0;
		g_array_append_val(array_at(sim->ran, node_at(sim, owner)), i);
		for (guint k = 0; k < array_len(entries); k++)
			sorted_add(array_at(sim->ran_updated, node_at(sim, owner)),
				   g_array_index(entries, guint, k));
	}
	sim->held = clu__xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(bool));
	for (size_t i = 0; i < c->n_nodes; i++) {
		sim->out += out_of_service(&c->nodes[i]);
		sim->held[i] = c->nodes[i].online && c->nodes[i].standby &&
			       c->nodes[i].drained_by_clupdate;
		sim->n_held += sim->held[i];
	}
	sim->online = clu_cluster_online(c);
	sim->opening = arrays_new(plan->n_steps + 1);
	sim->closing = arrays_new(plan->n_steps + 1);
	sim->bans = clu__xcalloc(c->n_groups ? c->n_groups : 1, sizeof(*sim->bans));
	sim->bans_changed = clu__xcalloc(c->n_groups ? c->n_groups : 1, sizeof(bool));
	for (size_t i = 0; i < c->n_groups; i++) {
		for (size_t j = 0; j < c->groups[i].n_banned; j++)
			sets_ban(sim, &c->groups[i], c->groups[i].banned[j]);
		sim->bans_changed[i] = false;
	}
	sim->changed_nodes = g_array_new(FALSE, FALSE, sizeof(guint));
	sim->changed_groups = g_array_new(FALSE, FALSE, sizeof(guint));
	sim->node_changed = clu__xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(bool));
	sim->group_changed = clu__xcalloc(c->n_groups ? c->n_groups : 1, sizeof(bool));
	sim->guards_of_group = arrays_new(c->n_groups);
	sim->guards_of_node = arrays_new(c->n_nodes);
	sim->guards_from = arrays_new(plan->n_steps + 1);
	for (guint i = 0; i < plan->n_guards; i++) {
		const struct clu_guard *gd = &plan->guards[i];
		const struct clu_group *g = clu_cluster_group(c, gd->group);
		const struct clu_node *n = sim_node(sim, gd->node);

		/* A guard without a start holds from the first step. */
		if (g && n && gd->from <= plan->n_steps) {
			g_array_append_val(array_at(sim->guards_of_group, (size_t)(g - c->groups)), i);
			g_array_append_val(array_at(sim->guards_of_node, node_at(sim, n)), i);
			g_array_append_val(array_at(sim->guards_from, gd->from ? gd->from : 1), i);
		}
		if (gd->enforced_by)
			continue;
		if (gd->from >= 1 && gd->from <= plan->n_steps)
			g_array_append_val(array_at(sim->opening, gd->from), i);
		if (gd->until >= 1 && gd->until <= plan->n_steps)
			g_array_append_val(array_at(sim->closing, gd->until), i);
	}
}

static void sim_release(struct simulation *sim)
{
	for (size_t i = 0; i < sim->model.n_groups; i++)
		if (sim->bans[i])
			g_hash_table_destroy(sim->bans[i]);
	free(sim->bans);
	free(sim->bans_changed);
	g_array_unref(sim->changed_nodes);
	g_array_unref(sim->changed_groups);
	free(sim->node_changed);
	free(sim->group_changed);
	arrays_free(sim->guards_of_group, sim->model.n_groups);
	arrays_free(sim->guards_of_node, sim->model.n_nodes);
	arrays_free(sim->guards_from, sim->plan->n_steps + 1);
	g_hash_table_destroy(sim->added_bans);
	arrays_free(sim->entries, sim->model.n_groups);
	free(sim->hosted);
	free(sim->held);
	arrays_free(sim->ran, sim->model.n_nodes);
	arrays_free(sim->ran_updated, sim->model.n_nodes);
	arrays_free(sim->opening, sim->plan->n_steps + 1);
	arrays_free(sim->closing, sim->plan->n_steps + 1);
	clu_cluster_release(&sim->model);
}

static int refuse_step(const struct clu_step *s, const struct clu_plan *plan,
		       struct clu_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse_step(const struct clu_step *s, const struct clu_plan *plan,
		       struct clu_err *err, const char *fmt, ...)
{
	char reason[CLU_ERR_MAX], subject[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return clu_err_set(err, CLU_E_REFUSED, "%s plan refused at step %u (%s): %s",
			   clu_strategy_name(plan->strategy), s->index,
			   clu_step_label(s, subject, sizeof(subject)), reason);
}

static void sim_ban(struct simulation *sim, struct clu_group *g, const char *node)
{
	GPtrArray *nodes;

	/* A ban only narrows where g may run: no invariant to check again. */
	if (!sets_ban(sim, g, node))
		return;
	if (!(nodes = g_hash_table_lookup(sim->added_bans, g->name))) {
		nodes = g_ptr_array_new_with_free_func(free);
		g_hash_table_insert(sim->added_bans, g->name, nodes);
	}
	g_ptr_array_add(nodes, clu__xstrdup(node));
}

/* Guards the executor enforces itself become bans just before `from`. */
static void sim_open_guards(struct simulation *sim, unsigned step)
{
	const GArray *opening = sim->opening[step];

	for (guint i = 0; i < array_len(opening); i++) {
		const struct clu_guard *gd = &sim->plan->guards[g_array_index(opening, guint, i)];

		sim_ban(sim, clu_cluster_group(&sim->model, gd->group), gd->node);
	}
}

static void sim_close_guards(struct simulation *sim, unsigned step)
{
	const GArray *closing = sim->closing[step];

	for (guint i = 0; i < array_len(closing); i++) {
		const struct clu_guard *gd = &sim->plan->guards[g_array_index(closing, guint, i)];

		sim_unban(sim, clu_cluster_group(&sim->model, gd->group), gd->node, false);
	}
}

/* Where the engine would put group g if it had to place it now. */
static const struct clu_node *sim_placement(const struct simulation *sim, const struct clu_group *g)
{
	for (size_t i = 0; i < sim->model.n_nodes; i++) {
		const struct clu_node *n = &sim->model.nodes[i];

		if (sim_may_host(sim, g, n) && clu_version_cmp(n->version, g->data_version) >= 0)
			return n;
	}
	return NULL;
}

/* A drain: the node held out for the update, its groups placed elsewhere. */
static int sim_drain(struct simulation *sim, const struct clu_step *s, struct clu_node *node,
		     struct clu_err *err)
{
	const GArray *ran = sim->ran[node_at(sim, node)];

	sim->n_held += !sim->held[node_at(sim, node)];
	sim->held[node_at(sim, node)] = true;
	node->standby = true;
	for (guint j = 0; j < array_len(ran); j++) {
		struct clu_group *g = &sim->model.groups[g_array_index(ran, guint, j)];
		const struct clu_node *to;

		if (!clu__streq(g->owner, node->name))
			continue;
		if (!g->managed)
			return refuse_step(s, sim->plan, err, "no surprise failover: '%s' is pinned "
					   "on '%s'; draining would move it", g->name, node->name);
		to = sim_placement(sim, g);
		if (!to)
			return refuse_step(s, sim->plan, err, "availability: '%s' would have no "
					   "node left to run on", g->name);
		sim_set_owner(sim, g, to->name);
		mark_group(sim, g);
	}
	return 0;
}

static int sim_apply(struct simulation *sim, size_t i, struct clu_err *err)
{
	const struct clu_plan *plan = sim->plan;
	const struct clu_manifest *m = sim->manifest;
	const struct clu_step *s = &plan->steps[i];
	struct clu_node *node = clu_cluster_node(&sim->model, s->node);
	struct clu_group *group = clu_cluster_group(&sim->model, s->group);
	const GPtrArray *banned;
	const GArray *ran;
	const struct clu_node *to;

	if (node)
		mark_node(sim, node);
	switch (s->action) {
	case CLU_ACTION_PIN:
		/* Left in part on a half-installed owner (add_restarts): once
		 * pinned, the engine's view of it is that node, its owner. */
		if (!group->owner && clu__streq(clu_group_placed_on(&sim->model, group), s->node))
			sim_set_owner(sim, group, s->node);
		group->managed = false;
		mark_group(sim, group);
		break;
	case CLU_ACTION_UNPIN:
		group->managed = true;
		/* Stranded (clu_step_restarts): the engine places it. */
		if (!group->owner && (to = sim_placement(sim, group)))
			sim_set_owner(sim, group, to->name);
		mark_group(sim, group);
		break;
	case CLU_ACTION_DRAIN:
		return sim_drain(sim, s, node, err);
	case CLU_ACTION_UNDRAIN:
		sim->n_held -= sim->held[node_at(sim, node)];
		sim->held[node_at(sim, node)] = false;
		node->standby = false;
		break;
	case CLU_ACTION_PRE_HOOK:
	case CLU_ACTION_POST_HOOK:
	case CLU_ACTION_VERIFY:
		break;
	case CLU_ACTION_INSTALL:
		ran = sim->ran_updated[node_at(sim, node)];
		for (guint j = 0; j < array_len(ran); j++) {
			struct clu_group *g = clu_cluster_group(&sim->model,
								m->groups[g_array_index(ran, guint, j)]);

			if (!g || !clu__streq(g->owner, node->name))
				continue;
			if (g->managed)
				return refuse_step(s, plan, err, "no surprise failover: '%s' runs on "
						   "'%s' unpinned; the installer's stop would make the "
						   "engine fail it over", g->name, node->name);
			if (m->data_migration) {
				clu_set_string(&g->data_version, m->version);
				mark_group(sim, g);
			}
		}
		clu_set_string(&node->version, m->version);
		break;
	case CLU_ACTION_BAN:
		sim_ban(sim, group, s->node);
		if (clu__streq(group->owner, s->node) && !s->with_move)
			return refuse_step(s, plan, err, "no surprise failover: '%s' runs on '%s'; "
					   "banning it there without a planned move would let the "
					   "engine pick any node", s->group, s->node);
		break;
	case CLU_ACTION_MOVE:
		if (clu_version_cmp(node->version, m->version) < 0 && m->data_migration)
			return refuse_step(s, plan, err, "version guard: '%s' is not updated",
					   node->name);
		sim_set_owner(sim, group, node->name);
		if (m->data_migration)
			clu_set_string(&group->data_version, m->version);
		mark_group(sim, group);
		break;
	case CLU_ACTION_CLEAR:
		banned = g_hash_table_lookup(sim->added_bans, group->name);
		for (guint j = 0; banned && j < banned->len; j++)
			sim_unban(sim, group, g_ptr_array_index(banned, j), true);
		break;
	}
	return 0;
}

static void working_update(struct simulation *sim, const struct clu_step *s)
{
	bool node_work = s->action == CLU_ACTION_PRE_HOOK || s->action == CLU_ACTION_INSTALL ||
			 s->action == CLU_ACTION_VERIFY || s->action == CLU_ACTION_POST_HOOK;

	if (node_work && (s->action == CLU_ACTION_PRE_HOOK || s->action == CLU_ACTION_INSTALL))
		sim->working = s->node;
	else if (!node_work || !clu__streq(sim->working, s->node))
		sim->working = NULL;
}

/* clu_fact_holds() on the model, without walking every group for a node's. */
static bool fact_holds(const struct simulation *sim, const struct clu_fact *f)
{
	const struct clu_node *node = sim_node(sim, f->node);

	const struct clu_group *group = clu_cluster_group(&sim->model, f->group);

	if (f->kind == CLU_FACT_NODE_HOSTS_NONE && node)
		return !sim->hosted[node_at(sim, node)];
	if (f->kind == CLU_FACT_GROUP_BANNED)
		return group && sim_banned(sim, group, f->node);
	if (f->kind == CLU_FACT_GROUP_UNBANNED)
		return group && !sim_banned(sim, group, f->node);
	return clu_fact_holds(f, &sim->model, sim->manifest);
}

static int check_facts(const struct simulation *sim, const struct clu_step *s,
		       const struct clu_fact *facts, size_t n, const char *when,
		       struct clu_err *err)
{
	for (size_t i = 0; i < n; i++) {
		char *what;
		int ret;

		if (fact_holds(sim, &facts[i]))
			continue;
		what = clu_fact_describe(&facts[i]);
		ret = refuse_step(s, sim->plan, err, "%s: expected %s", when, what);
		free(what);
		return ret;
	}
	return 0;
}

/*
 * The invariants of check_state() again, only for what the step changed;
 * each of these says whether its part of check_state() would fail now.
 * Before the step every invariant held, and what a step did not change
 * still holds: a ban added only narrows where a group may run.
 */
static bool guard_broken(const struct simulation *sim, guint at, unsigned step)
{
	const struct clu_guard *gd = &sim->plan->guards[at];
	const struct clu_group *g;
	const struct clu_node *n;

	if (step < gd->from || step > gd->until)
		return false;
	g = clu_cluster_group(&sim->model, gd->group);
	n = sim_node(sim, gd->node);
	return clu__streq(g->owner, n->name) || (g->managed && sim_may_host(sim, g, n));
}

static bool guards_broken(const struct simulation *sim, const GArray *guards, unsigned step)
{
	for (guint i = 0; i < array_len(guards); i++)
		if (guard_broken(sim, g_array_index(guards, guint, i), step))
			return true;
	return false;
}

/* The version guard of g (with data migration, a group updated) on node n. */
static bool data_newer(const struct simulation *sim, const struct clu_group *g,
		       const struct clu_node *n)
{
	if (!g->data_version || clu_version_cmp(n->version, g->data_version) >= 0)
		return false;
	return clu__streq(g->owner, n->name) || (g->managed && sim_may_host(sim, g, n));
}

static bool group_broken(const struct simulation *sim, guint at, unsigned step)
{
	const struct clu_group *g = &sim->model.groups[at];

	if (sim->manifest->data_migration && array_len(sim->entries[at]) && g->data_version)
		for (size_t i = 0; i < sim->model.n_nodes; i++)
			if (data_newer(sim, g, &sim->model.nodes[i]))
				return true;
	return guards_broken(sim, sim->guards_of_group[at], step);
}

static bool node_broken(const struct simulation *sim, guint at, unsigned step)
{
	const struct clu_manifest *m = sim->manifest;
	const struct clu_node *n = &sim->model.nodes[at];

	for (size_t i = 0; m->data_migration && i < m->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(&sim->model, m->groups[i]);

		if (g && data_newer(sim, g, n))
			return true;
	}
	return guards_broken(sim, sim->guards_of_node[at], step);
}

/*
 * Whether clu_plan_check_state() may fail after step `step`: false only
 * when it would pass. Costs what the step changed.
 */
static bool sim_unsafe(struct simulation *sim, unsigned step)
{
	bool unsafe = guards_broken(sim, sim->guards_from[step], step);

	for (guint i = 0; i < sim->changed_nodes->len; i++) {
		guint at = g_array_index(sim->changed_nodes, guint, i);

		unsafe = unsafe || node_broken(sim, at, step);
		sim->node_changed[at] = false;
	}
	for (guint i = 0; i < sim->changed_groups->len; i++) {
		guint at = g_array_index(sim->changed_groups, guint, i);

		unsafe = unsafe || group_broken(sim, at, step);
		sim->group_changed[at] = false;
	}
	g_array_set_size(sim->changed_nodes, 0);
	g_array_set_size(sim->changed_groups, 0);
	return unsafe;
}

/*
 * Votes present: nodes online, less those this update holds out of
 * service (drained for it, or under work): a service pack may restart a
 * node's cluster stack, and a node drained for an update is one the
 * operator has taken away. Standby set by an administrator still votes.
 */
static size_t votes_present(const struct simulation *sim)
{
	const struct clu_node *working = sim_node(sim, sim->working);
	size_t held = sim->n_held;

	if (working && working->online && !sim->held[node_at(sim, working)])
		held++;
	return sim->online > held ? sim->online - held : 0;
}

/*
 * The quorum margin after step s, recorded in it: a step that lowers the
 * votes present below those needed is refused, naming it.
 */
static int quorum_after(struct clu_step *s, const struct clu_plan *plan,
			const struct simulation *sim, size_t present_before, struct clu_err *err)
{
	size_t n_nodes = sim->model.n_nodes, offline = n_nodes - sim->online;

	s->votes_needed = clu_plan_votes_needed(n_nodes);
	s->votes_present = (unsigned)votes_present(sim);
	if (s->votes_present >= s->votes_needed || s->votes_present >= present_before)
		return 0;
	return refuse_step(s, plan, err, "quorum: %u of %zu votes would be present after it "
			   "(%zu node%s offline, %zu held out of service by the update), the "
			   "cluster needs %u", s->votes_present, n_nodes, offline,
			   offline == 1 ? "" : "s", sim->online - s->votes_present,
			   s->votes_needed);
}

/* Simulate the whole plan from the starting state; 0 if it stays safe. */
static int simulate(struct clu_plan *plan, const struct clu_manifest *m,
		    const struct clu_cluster *start, struct clu_err *err)
{
	struct simulation sim = { .plan = plan, .manifest = m };
	int ret;

	clu_cluster_copy(&sim.model, start);
	sim_init(&sim);
	ret = clu_plan_check_state(plan, m, &sim.model, 0, err);
	if (ret) {
		clu_err_prefix(err, "the cluster is not safe to update as it is");
		goto out;
	}
	for (size_t i = 0; i < plan->n_steps; i++) {
		struct clu_step *s = &plan->steps[i];
		const struct clu_node *node = sim_node(&sim, s->node);
		size_t out_before = count_out(&sim), present_before = votes_present(&sim);
		size_t out_after;
		bool was_out = node && out_of_service(node);

		sim_open_guards(&sim, s->index);
		ret = check_facts(&sim, s, s->pre, s->n_pre, "before it", err);
		if (ret)
			goto out;
		ret = sim_apply(&sim, i, err);
		if (ret)
			goto out;
		/* A step changes the state of its own node only. */
		if (node)
			sim.out = sim.out - was_out + out_of_service(node);
		working_update(&sim, s);
		ret = check_facts(&sim, s, s->post, s->n_post, "after it", err);
		if (ret)
			goto out;
		out_after = count_out(&sim);
		if (out_after > m->max_unavailable && out_after > out_before) {
			ret = refuse_step(s, plan, err, "availability: %zu nodes would be out of "
					  "service, the manifest allows %u (max-unavailable)",
					  out_after, m->max_unavailable);
			goto out;
		}
		if ((ret = quorum_after(s, plan, &sim, present_before, err)))
			goto out;
		/* The whole check, for its message, only where it may fail. */
		if (sim_unsafe(&sim, s->index)) {
			sim_sync_bans(&sim);
			ret = clu_plan_check_state(plan, m, &sim.model, s->index, err);
		}
		if (ret) {
			char reason[CLU_ERR_MAX];

			memcpy(reason, err->msg, sizeof(reason));
			ret = refuse_step(s, plan, err, "%s", reason);
			goto out;
		}
		sim_close_guards(&sim, s->index);
	}
out:
	sim_release(&sim);
	return ret;
}

/* ---- putting it together ---------------------------------------------- */

static void tally_interruptions(struct clu_plan *plan, const struct clu_manifest *m)
{
	/* Every interruption of the plan, by group, in one pass over the steps. */
	GHashTable *by_group = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free);

	for (size_t j = 0; j < plan->n_steps; j++)
		for (size_t k = 0; k < plan->steps[j].n_interrupts; k++) {
			const char *group = plan->steps[j].interrupts[k];
			struct clu_interruption *sum = g_hash_table_lookup(by_group, group);

			if (!sum) {
				sum = clu__xcalloc(1, sizeof(*sum));
				g_hash_table_insert(by_group, (gpointer)group, sum);
			}
			sum->count++;
			sum->ms += plan->steps[j].interrupts_ms;
		}
	plan->n_interruptions = m->n_groups;
	plan->interruptions = clu__xcalloc(m->n_groups, sizeof(*plan->interruptions));
	for (size_t i = 0; i < m->n_groups; i++) {
		struct clu_interruption *in = &plan->interruptions[i];
		const struct clu_interruption *sum = g_hash_table_lookup(by_group, m->groups[i]);

		in->group = clu__xstrdup(m->groups[i]);
		if (sum) {
			in->count = sum->count;
			in->ms = sum->ms;
		}
	}
	g_hash_table_destroy(by_group);
}

static unsigned total_ms(const struct clu_plan *plan)
{
	unsigned ms = 0;

	for (size_t i = 0; i < plan->n_interruptions; i++)
		ms += plan->interruptions[i].ms;
	return ms;
}

/*
 * Sort the nodes into owners, passives, already updated and skipped, and
 * refuse a cluster that cannot be updated safely as it is.
 */
/*
 * Per node of c, how many of the manifest's groups (counted as often as
 * the manifest names them) ban it: the groups' bans walked once, instead
 * of every group asked about every node. Freed by the caller.
 */
static size_t *count_bans(const struct clu_manifest *m, const struct clu_cluster *c)
{
	size_t *banned_by = clu__xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(size_t));
	size_t *last = clu__xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(size_t));

	for (size_t j = 0; j < m->n_groups; j++) {
		const struct clu_group *g = clu_cluster_group(c, m->groups[j]);

		for (size_t k = 0; k < g->n_banned; k++) {
			const struct clu_node *n = clu_cluster_node(c, g->banned[k]);
			size_t i = n ? (size_t)(n - c->nodes) : 0;

			/* A node banned twice by one group counts once. */
			if (n && last[i] != j + 1) {
				last[i] = j + 1;
				banned_by[i]++;
			}
		}
	}
	free(last);
	return banned_by;
}

/* Refused when n is newer than the update (older than a rollback's target). */
static int check_direction(const struct builder *b, const struct clu_node *n, int cmp,
			   struct clu_err *err)
{
	const struct clu_manifest *m = b->manifest;

	if (b->rollback && cmp < 0)
		return clu_err_set(err, CLU_E_REFUSED, "node '%s' has version %s, older than the "
				   "version %s rolls back to (%s)", n->name,
				   n->version ? n->version : "unknown", m->name, m->version);
	if (!b->rollback && cmp > 0)
		return clu_err_set(err, CLU_E_REFUSED, "node '%s' has version %s, newer than %s's "
				   "%s: clupdate does not downgrade", n->name, n->version, m->name,
				   m->version);
	return 0;
}

/* A node already at the version: verified, and undrained first if a run left it drained. */
static void classify_done(struct builder *b, const struct clu_node *n)
{
	set_add(b->verified, n->name);
	if (n->standby && n->drained_by_clupdate) {
		clu__strv_push(&b->undrain, n->name);
		add_note(b->plan, "'%s' already has version %s but an earlier run left it "
			 "drained: it is undrained first", n->name, b->manifest->version);
	} else {
		add_note(b->plan, "'%s' already has version %s: nothing to install there",
			 n->name, b->manifest->version);
	}
}

/*
 * One node: at the version already (verified), refused (newer, in
 * maintenance, offline where it could host an updated group), skipped
 * (offline and banned from every updated group), or to update, as an
 * owner when it hosts a group under work.
 */
static int classify_node(struct builder *b, const struct clu_node *n, bool may_host_any,
			 struct clu_err *err)
{
	struct clu__strv hosted = { 0 };
	int cmp = clu_version_cmp(n->version, b->manifest->version);
	int ret = check_direction(b, n, cmp, err);

	if (ret)
		return ret;
	if (cmp == 0) {
		classify_done(b, n);
		return 0;
	}
	if (n->maintenance)
		return clu_err_set(err, CLU_E_REFUSED, "node '%s' is in maintenance mode: the "
				   "engine does not manage it, so clupdate cannot update it "
				   "safely; end maintenance first", n->name);
	if (!n->online && may_host_any)
		return clu_err_set(err, CLU_E_REFUSED, "node '%s' is offline: it cannot be "
				   "updated, and on its return with version %s it could "
				   "host an updated group; bring it online, or ban the "
				   "groups from it", n->name, n->version ? n->version : "unknown");
	if (!n->online) {
		add_note(b->plan, "'%s' is offline and banned from every updated group: "
			 "skipped; update it before lifting the bans", n->name);
		set_add(b->verified, n->name);   /* nothing more to do there */
		return 0;
	}
	groups_on(b, n->name, &hosted);
	if (hosted.n) {
		clu__strv_push(&b->owners, n->name);
		set_add(b->owner_set, n->name);
	}
	clu__strv_release(&hosted);
	return 0;
}

/* The nodes to update that host no group under work; those already drained first. */
static void order_passives(struct builder *b)
{
	const struct clu_cluster *c = b->cluster;

	/* Passives already drained go first: updating them costs no availability. */
	for (int drained = 1; drained >= 0; drained--)
		for (size_t i = 0; i < c->n_nodes; i++) {
			const struct clu_node *n = &c->nodes[i];

			if (n->standby == drained && !set_has(b->owner_set, n->name) &&
			    !set_has(b->verified, n->name))
				clu__strv_push(&b->passives, n->name);
		}
}

static int classify_nodes(struct builder *b, struct clu_err *err)
{
	const struct clu_manifest *m = b->manifest;
	const struct clu_cluster *c = b->cluster;
	size_t *banned_by;
	int ret = 0;

	for (size_t i = 0; i < m->n_groups; i++)
		if (!clu_cluster_group(c, m->groups[i])) {
			clu_err_set(err, CLU_E_CLUSTER, "group '%s' named in '%s' is not in the cluster",
				    m->groups[i], m->path ? m->path : "the manifest");
			return CLU_E_CLUSTER;
		}
	map_hosting(b);
	banned_by = count_bans(m, c);
	for (size_t i = 0; !ret && i < c->n_nodes; i++)
		ret = classify_node(b, &c->nodes[i], banned_by[i] < m->n_groups, err);
	free(banned_by);
	if (ret)
		return ret;
	order_passives(b);
	for (size_t i = 0; i < m->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(c, m->groups[i]);

		if (!g->owner)
			add_note(b->plan, "'%s' is stopped: no interruption; %s", g->name,
				 m->data_migration ? "its data will be migrated when it next starts "
				 "on an updated node" : "it may start on any updated node");
	}
	return 0;
}

/*
 * rolling, at the end: clear the bans and move preferences of each moved
 * group, each clear expecting every ban the plan placed on its group gone.
 */
static void add_clears(struct builder *b, const struct clu__strv *moved)
{
	GHashTable *bans = indexes_new();     /* group -> its ban steps (indexes) */
	size_t n_steps = b->plan->n_steps;

	for (guint j = 0; j < n_steps; j++)
		if (b->plan->steps[j].action == CLU_ACTION_BAN)
			g_array_append_val(indexes_of(bans, b->plan->steps[j].group), j);
	for (size_t i = 0; i < moved->n; i++) {
		struct clu_step *s = add_step(b, CLU_ACTION_CLEAR, NULL, moved->v[i]);
		GArray *of_group = g_hash_table_lookup(bans, moved->v[i]);

		for (guint k = 0; of_group && k < of_group->len; k++)
			POST(s, CLU_FACT_GROUP_UNBANNED,
			     b->plan->steps[g_array_index(of_group, guint, k)].node, moved->v[i],
			     NULL);
	}
	g_hash_table_destroy(bans);
}

unsigned clu_plan_votes_needed(size_t n_nodes)
{
	return n_nodes == 2 ? 1 : (unsigned)(n_nodes / 2 + 1);
}

/*
 * How many passive nodes a wave may take out of service at once: as many
 * as max-unavailable allows, and as leave the votes the cluster needs,
 * less the nodes already out of service for another reason (offline,
 * drained by an administrator and not to be updated, in maintenance).
 * At least 1: a plan that cannot even do that is refused by the
 * simulation, naming the step.
 */
static size_t wave_size(const struct builder *b)
{
	const struct clu_cluster *c = b->cluster;
	size_t out = 0, online = clu_cluster_online(c), needed = clu_plan_votes_needed(c->n_nodes);
	size_t by_quorum = online > needed ? online - needed : 0, by_availability;
	GHashTable *passive = set_new();

	for (size_t i = 0; i < b->passives.n; i++)
		set_add(passive, b->passives.v[i]);
	for (size_t i = 0; i < c->n_nodes; i++)
		out += out_of_service(&c->nodes[i]) && !set_has(passive, c->nodes[i].name);
	g_hash_table_destroy(passive);
	by_availability = b->manifest->max_unavailable > out ? b->manifest->max_unavailable - out : 0;
	if (by_quorum > by_availability)
		by_quorum = by_availability;
	return by_quorum ? by_quorum : 1;
}

/* A group whose owner died under an earlier run's pin: it runs nowhere. */
static bool stranded(const struct clu_group *g)
{
	return g && !g->managed && !g->owner && g->pinned_by_clupdate;
}

/*
 * Where a group an earlier run left unfinished is to run first: where it
 * was pinned, when stranded; or where it runs in part, but for a member
 * not installed there (that run stopped after the group's restart on its
 * half-installed owner, before the pin). NULL: anything else.
 */
static const char *unfinished_on(const struct clu_cluster *c, const struct clu_group *g)
{
	if (stranded(g))
		return g->pinned_by_clupdate;
	return g && g->managed && !g->owner ? clu_group_placed_on(c, g) : NULL;
}

/*
 * The cluster the plan starts from, into start (a copy of c) when it
 * differs: each group an earlier run left unfinished runs on its node,
 * as the plan's first steps have it (add_restarts).
 */
static bool start_view(const struct clu_manifest *m, const struct clu_cluster *c,
		       struct clu_cluster *start)
{
	bool any = false;

	for (size_t i = 0; i < m->n_groups; i++) {
		const char *node = unfinished_on(c, clu_cluster_group(c, m->groups[i]));
		struct clu_group *g;

		if (!node)
			continue;
		if (!any)
			clu_cluster_copy(start, c);
		any = true;
		g = clu_cluster_group(start, m->groups[i]);
		clu_set_string(&g->owner, node);
		g->managed = true;
	}
	return any;
}

/*
 * First, each stranded group is unpinned, so that the engine starts it
 * again on the node it was pinned on (the guard's bans the unfinished run
 * placed keep it off older nodes); the plan goes on from there as from
 * its owner, whose interrupted install is done again with the group in
 * place (an installer migrates the data it finds there).
 *
 * An owner that died in the middle of its installer may have the new
 * binaries and the old data: there, a member of the group fails to start
 * as "not installed" until the installer has run again. So on an owner
 * to be updated in place, the group may come back but for such a member
 * (what starts, starts there, as the bans keep it): enough for the
 * installer, which finds the data; the unpin after it has the engine
 * probe the group afresh and start the rest. A group an earlier run left
 * so (stopped before the pin) needs no restart: the pin takes it as it is.
 */
static void add_restarts(struct builder *b, const struct clu_cluster *live)
{
	size_t before = b->plan->n_steps;

	b->wave++;
	for (size_t i = 0; i < b->manifest->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(live, b->manifest->groups[i]);
		const char *node = unfinished_on(live, g);
		bool in_part;
		struct clu_step *s;

		if (!node)
			continue;
		in_part = b->plan->strategy == CLU_STRATEGY_IN_PLACE && needs_update(b, node);
		if (in_part)
			set_add(b->in_part, g->name);
		if (!stranded(g))
			continue;
		s = add_step(b, CLU_ACTION_UNPIN, node, g->name);
		PRE(s, CLU_FACT_GROUP_PINNED, NULL, g->name, NULL);
		POST(s, CLU_FACT_GROUP_MANAGED, NULL, g->name, NULL);
		POST(s, in_part ? CLU_FACT_GROUP_PLACED_ON : CLU_FACT_GROUP_ON, node, g->name, NULL);
	}
	b->wave -= b->plan->n_steps == before;
}

static int build(struct clu_plan *plan, const struct clu_manifest *m,
		 const struct clu_cluster *c, enum clu_strategy strategy, bool rollback,
		 const struct clu_history *history, struct clu_err *err)
{
	struct builder b = { .plan = plan, .manifest = m, .cluster = c, .rollback = rollback,
			     .owner_set = set_new(), .verified = set_new(),
			     .in_part = set_new(), .open_guards = indexes_new() };
	struct clu__strv moved = { 0 };
	size_t *placed = clu__xcalloc(c->n_nodes ? c->n_nodes : 1, sizeof(size_t));
	struct clu_cluster start;
	bool unfinished = start_view(m, c, &start);
	int ret;

	if (unfinished)
		b.cluster = &start;
	memset(plan, 0, sizeof(*plan));
	plan->update = clu__xstrdup(m->name);
	plan->version = clu__xstrdup(m->version);
	plan->strategy = strategy;
	plan->rollback = rollback;

	ret = classify_nodes(&b, err);
	if (ret)
		goto out;
	b.wave_size = wave_size(&b);
	add_restarts(&b, c);
	/* Back in service first: updated nodes an earlier run left drained. */
	b.wave += b.undrain.n > 0;
	for (size_t i = 0; i < b.undrain.n; i++) {
		struct clu_step *s = add_step(&b, CLU_ACTION_UNDRAIN, b.undrain.v[i], NULL);

		PRE(s, CLU_FACT_NODE_VERSION, b.undrain.v[i], NULL, m->version);
		POST(s, CLU_FACT_NODE_ACTIVE, b.undrain.v[i], NULL, NULL);
	}

	if (strategy == CLU_STRATEGY_IN_PLACE) {
		for (size_t i = 0; i < b.owners.n; i++)
			add_owner_in_place(&b, b.owners.v[i]);
		add_passives(&b);
	} else {
		add_passives(&b);
		for (size_t i = 0; i < b.owners.n && !ret; i++)
			ret = add_owner_rolling(&b, b.owners.v[i], placed, &moved, err);
		if (ret)
			goto out;
		b.wave += moved.n > 0;
		add_clears(&b, &moved);
	}
	for (size_t i = 0; i < plan->n_guards; i++)
		if (!plan->guards[i].until)
			BUG("guard of '%s' on '%s' never closed", plan->guards[i].group,
			    plan->guards[i].node);
	tally_interruptions(plan, m);
	clu_plan_predict(plan, m, history);
	ret = simulate(plan, m, c, err);
out:
	free(placed);
	free(b.load);
	if (unfinished)
		clu_cluster_release(&start);
	if (b.hosting)
		g_hash_table_destroy(b.hosting);
	g_hash_table_destroy(b.open_guards);
	g_hash_table_destroy(b.owner_set);
	g_hash_table_destroy(b.verified);
	g_hash_table_destroy(b.in_part);
	clu__strv_release(&moved);
	clu__strv_release(&b.owners);
	clu__strv_release(&b.passives);
	clu__strv_release(&b.undrain);
	if (ret)
		clu_plan_release(plan);
	return ret;
}

static bool rolling_forbidden(const struct clu_manifest *m)
{
	return m->data_migration && !m->takeover_compatible;
}

static int refuse_rolling(const struct clu_manifest *m, struct clu_err *err)
{
	return clu_err_set(err, CLU_E_REFUSED,
			   "strategy rolling is forbidden by '%s': data-migration = yes and "
			   "takeover-compatible = no, so once an updated node ran the group "
			   "its data would be migrated while the old owner still runs version "
			   "it cannot read, and the new version cannot take over the old data; "
			   "apply it in place (strategy = in-place)",
			   m->path ? m->path : m->name);
}

/* require-all-nodes-online: refused, naming the offline nodes, when any is. */
static int check_all_online(const struct clu_manifest *m, const struct clu_cluster *c,
			    struct clu_err *err)
{
	struct clu__strv offline = { 0 };
	char *names;
	int ret;

	for (size_t i = 0; i < c->n_nodes; i++)
		if (!c->nodes[i].online)
			clu__strv_push(&offline, c->nodes[i].name);
	if (!m->require_all_nodes_online || !offline.n) {
		clu__strv_release(&offline);
		return 0;
	}
	names = clu__join(offline.v, offline.n, "', '");
	ret = clu_err_set(err, CLU_E_REFUSED, "require-all-nodes-online = yes in '%s', but %zu "
			  "of %zu nodes %s offline: '%s'; bring %s online first",
			  m->path ? m->path : m->name, offline.n, c->n_nodes,
			  offline.n == 1 ? "is" : "are", names, offline.n == 1 ? "it" : "them");
	free(names);
	clu__strv_release(&offline);
	return ret;
}

int clu_plan_make(struct clu_plan *plan, const struct clu_manifest *m,
		  const struct clu_cluster *c, int strategy, struct clu_err *err)
{
	return clu_plan_make_learned(plan, m, c, strategy, NULL, err);
}

int clu_plan_make_learned(struct clu_plan *plan, const struct clu_manifest *m,
			  const struct clu_cluster *c, int strategy,
			  const struct clu_history *history, struct clu_err *err)
{
	struct clu_plan in_place, rolling;
	struct clu_err rolling_err = CLU_ERR_INIT;
	int ret;

	if (strategy < 0)
		strategy = m->strategy;
	memset(plan, 0, sizeof(*plan));
	if ((ret = check_all_online(m, c, err)))
		return ret;

	if (strategy == CLU_STRATEGY_IN_PLACE)
		return build(plan, m, c, CLU_STRATEGY_IN_PLACE, false, history, err);
	if (strategy == CLU_STRATEGY_ROLLING) {
		if (rolling_forbidden(m))
			return refuse_rolling(m, err);
		return build(plan, m, c, CLU_STRATEGY_ROLLING, false, history, err);
	}

	/* auto: the permitted strategy with the smaller predicted interruption. */
	ret = build(&in_place, m, c, CLU_STRATEGY_IN_PLACE, false, history, err);
	if (ret == CLU_E_CLUSTER)
		return ret;
	if (rolling_forbidden(m)) {
		if (ret)
			return ret;
		*plan = in_place;
		plan->choice = clu__xstrdup("auto chose in-place: rolling is not allowed "
					    "(data-migration = yes, takeover-compatible = no)");
		return 0;
	}
	if (build(&rolling, m, c, CLU_STRATEGY_ROLLING, false, history, &rolling_err)) {
		char in_place_why[CLU_ERR_MAX];

		/* err->msg is both a source and the target: copied first. */
		memcpy(in_place_why, err->msg, sizeof(in_place_why));
		if (ret)
			return clu_err_set(err, CLU_E_REFUSED, "auto: neither strategy is safe; "
					   "in-place: %s; rolling: %s", in_place_why, rolling_err.msg);
		*plan = in_place;
		plan->choice = clu__xasprintf("auto chose in-place: rolling is not safe here (%s)",
					      rolling_err.msg);
		return 0;
	}
	if (ret) {
		*plan = rolling;
		plan->choice = clu__xasprintf("auto chose rolling: in-place is not safe here (%s)",
					      err->msg);
		err->code = 0;
		err->msg[0] = '\0';
		return 0;
	}
	if (total_ms(&rolling) < total_ms(&in_place)) {
		*plan = rolling;
		plan->choice = clu__xasprintf("auto chose rolling: predicted interruption %u ms "
					      "(one switchover per group) against %u ms in place",
					      total_ms(&rolling), total_ms(&in_place));
		clu_plan_release(&in_place);
	} else {
		*plan = in_place;
		plan->choice = clu__xasprintf("auto chose in-place: predicted interruption %u ms "
					      "against %u ms rolling", total_ms(&in_place),
					      total_ms(&rolling));
		clu_plan_release(&rolling);
	}
	return 0;
}

int clu_plan_make_rollback(struct clu_plan *plan, const struct clu_manifest *m,
			   const struct clu_cluster *c, struct clu_err *err)
{
	return build(plan, m, c, CLU_STRATEGY_IN_PLACE, true, NULL, err);
}
