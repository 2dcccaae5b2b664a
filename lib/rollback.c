/*
 * Rollback (see rollback.h): from an update's manifest and the live state
 * to the manifest of its rollback and the plan that runs it. The decision
 * (which version goes back, whether the data allows it) is made here; the
 * order and its safety are the planner's, and the run is the executor's,
 * as for any update.
 */
#include <stdlib.h>
#include <string.h>

#include "clupdate/rollback.h"
#include "util.h"

static char **strv_dup(char *const *v, size_t n)
{
	char **copy = clu__xcalloc(n ? n : 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		copy[i] = clu__xstrdup_or_null(v[i]);
	return copy;
}

/* A deep copy of src (every string its own). */
static void manifest_copy(struct clu_manifest *dst, const struct clu_manifest *src)
{
	*dst = *src;
	dst->path = clu__xstrdup_or_null(src->path);
	dst->text = clu__xstrdup_or_null(src->text);
	dst->name = clu__xstrdup_or_null(src->name);
	dst->version = clu__xstrdup_or_null(src->version);
	dst->groups = strv_dup(src->groups, src->n_groups);
	if (src->group_settings) {
		dst->group_settings = clu__xcalloc(src->n_groups ? src->n_groups : 1,
						   sizeof(*dst->group_settings));
		memcpy(dst->group_settings, src->group_settings,
		       src->n_groups * sizeof(*dst->group_settings));
	}
	dst->version_attribute = clu__xstrdup_or_null(src->version_attribute);
	dst->previous_version = clu__xstrdup_or_null(src->previous_version);
	dst->install_command = clu__xstrdup_or_null(src->install_command);
	dst->verify_command = clu__xstrdup_or_null(src->verify_command);
	dst->rollback_command = clu__xstrdup_or_null(src->rollback_command);
	dst->down_migration_command = clu__xstrdup_or_null(src->down_migration_command);
	dst->hooks = clu__xcalloc(src->n_hooks ? src->n_hooks : 1, sizeof(*dst->hooks));
	for (size_t i = 0; i < src->n_hooks; i++) {
		dst->hooks[i] = src->hooks[i];
		dst->hooks[i].name = clu__xstrdup_or_null(src->hooks[i].name);
		dst->hooks[i].pre = clu__xstrdup_or_null(src->hooks[i].pre);
		dst->hooks[i].post = clu__xstrdup_or_null(src->hooks[i].post);
	}
	dst->probes = clu__xcalloc(src->n_probes ? src->n_probes : 1, sizeof(*dst->probes));
	for (size_t i = 0; i < src->n_probes; i++) {
		const struct clu_probe_spec *p = &src->probes[i];

		dst->probes[i] = *p;
		dst->probes[i].name = clu__xstrdup_or_null(p->name);
		dst->probes[i].group = clu__xstrdup_or_null(p->group);
		dst->probes[i].address = clu__xstrdup_or_null(p->address);
		dst->probes[i].command = clu__xstrdup_or_null(p->command);
		dst->probes[i].check = clu__xstrdup_or_null(p->check);
	}
}

static const char *where(const struct clu_manifest *m)
{
	return m->path ? m->path : m->name;
}

/*
 * The version to put back, and where it was learnt (a static phrase):
 * previous-version, else the one version of the nodes older than the
 * manifest's version (those its run has not reached).
 */
static int previous_version(const struct clu_manifest *m, const struct clu_cluster *c,
			    const char **version, const char **from, struct clu_err *err)
{
	const char *seen = NULL;

	if (m->previous_version) {
		*version = m->previous_version;
		*from = "the manifest's previous-version";
		return 0;
	}
	for (size_t i = 0; i < c->n_nodes; i++) {
		const char *v = c->nodes[i].version;

		if (!v || clu_version_cmp(v, m->version) >= 0)
			continue;
		if (seen && clu_version_cmp(seen, v))
			return clu_err_set(err, CLU_E_REFUSED, "rollback of %s: cannot tell the "
					   "version to put back: nodes older than version %s have "
					   "versions %s and %s; set previous-version in [update] "
					   "of '%s'", m->name, m->version, seen, v, where(m));
		seen = v;
	}
	if (!seen)
		return clu_err_set(err, CLU_E_REFUSED, "rollback of %s: cannot tell the version "
				   "to put back: no node has a version older than %s; set "
				   "previous-version in [update] of '%s'", m->name, m->version,
				   where(m));
	*version = seen;
	*from = "the nodes the update has not reached";
	return 0;
}

/*
 * Whether the data of one of m's groups is newer than `previous` (see
 * rollback.h): its data version says so, or, unknown, its owner's
 * version. *group and *node say which (node NULL: the group is stopped).
 */
static bool data_migrated(const struct clu_manifest *m, const struct clu_cluster *c,
			  const char *previous, const char **group, const char **node)
{
	if (!m->data_migration)
		return false;
	for (size_t i = 0; i < m->n_groups; i++) {
		const struct clu_group *g = clu_cluster_group(c, m->groups[i]);
		const struct clu_node *owner = g ? clu_cluster_node(c, g->owner) : NULL;
		const char *data = g && g->data_version ? g->data_version
				   : owner ? owner->version : NULL;

		*group = m->groups[i];
		*node = owner ? owner->name : NULL;
		if (data && clu_version_cmp(data, previous) > 0)
			return true;
		/* Stopped, data version unknown: migrated if any node could have. */
		for (size_t j = 0; g && !data && j < c->n_nodes; j++)
			if (clu_version_cmp(c->nodes[j].version, previous) > 0)
				return true;
	}
	return false;
}

static int refuse_migrated(const struct clu_manifest *m, const char *group, const char *node,
			   const char *previous, struct clu_err *err)
{
	if (!node)
		return clu_err_set(err, CLU_E_REFUSED, "rollback of %s refused: group '%s' is "
				   "stopped, and with data-migration = yes its data may be newer "
				   "than version %s; '%s' declares no down-migration command "
				   "([install] down-migration)", m->name, group, previous, where(m));
	return clu_err_set(err, CLU_E_REFUSED, "rollback of %s refused: the data of group '%s' "
			   "is migrated: the install of %s %s on '%s', its owner, migrated it "
			   "(data-migration = yes), and version %s cannot read it; '%s' "
			   "declares no down-migration command ([install] down-migration)",
			   m->name, group, m->name, m->version, node, previous, where(m));
}

static void add_note(struct clu_plan *plan, char *note)
{
	plan->notes = clu__xrealloc(plan->notes, (plan->n_notes + 1) * sizeof(char *));
	plan->notes[plan->n_notes++] = note;
}

/* On each owner, the install step runs the down-migration, then the rollback. */
static void add_down_migrations(struct clu_plan *plan, const struct clu_manifest *m)
{
	for (size_t i = 0; i < plan->n_steps; i++) {
		struct clu_step *s = &plan->steps[i];

		if (s->action == CLU_ACTION_INSTALL && s->n_interrupts)
			s->command = clu__xasprintf("(\n%s\n) && (\n%s\n)",
						    m->down_migration_command,
						    m->rollback_command);
	}
}

int clu_rollback_prepare(struct clu_rollback *r, const struct clu_manifest *m,
			 const struct clu_cluster *c, struct clu_err *err)
{
	const char *previous = NULL, *from = NULL, *group = NULL, *node = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!m->rollback_command)
		return clu_err_set(err, CLU_E_REFUSED, "rollback of %s: '%s' declares no rollback "
				   "command ([install] rollback)", m->name, where(m));
	if ((ret = previous_version(m, c, &previous, &from, err)))
		return ret;
	r->migrated = data_migrated(m, c, previous, &group, &node);
	if (r->migrated && !m->down_migration_command)
		return refuse_migrated(m, group, node, previous, err);

	manifest_copy(&r->manifest, m);
	clu_set_string(&r->manifest.version, previous);
	/* What the rollback replaces: the update's version (its runs' leftovers are ours). */
	clu_set_string(&r->manifest.previous_version, m->version);
	clu_set_string(&r->manifest.install_command, m->rollback_command);
	r->manifest.strategy = CLU_STRATEGY_IN_PLACE;
	r->manifest.takeover_compatible = false;
	/* Down-migrated data is older than the nodes not yet rolled back: guard them. */
	r->manifest.data_migration = m->data_migration && m->down_migration_command;
	r->note_version = clu__xasprintf("rollback of %s %s to version %s (from %s)", m->name,
					 m->version, previous, from);
	if (r->migrated)
		r->note_data = clu__xasprintf("the data of '%s' is migrated (%s%s%s): the "
					      "down-migration runs on the owner, pinned, before "
					      "its rollback", group, node ? "its owner '" : "",
					      node ? node : "the group is stopped",
					      node ? "' is newer than the version put back" : "");
	else
		r->note_data = clu__xstrdup(m->data_migration ? "the data is not migrated: "
					    "every node may simply be rolled back"
					    : "data-migration = no: the data stays as it is");
	return 0;
}

int clu_rollback_plan(struct clu_plan *plan, const struct clu_rollback *r,
		      const struct clu_cluster *c, struct clu_err *err)
{
	int ret = clu_plan_make_rollback(plan, &r->manifest, c, err);

	if (ret)
		return ret;
	if (r->migrated)
		add_down_migrations(plan, &r->manifest);
	add_note(plan, clu__xstrdup(r->note_version));
	add_note(plan, clu__xstrdup(r->note_data));
	return 0;
}

void clu_rollback_release(struct clu_rollback *r)
{
	clu_manifest_release(&r->manifest);
	free(r->note_version);
	free(r->note_data);
	memset(r, 0, sizeof(*r));
}
