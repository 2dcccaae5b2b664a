/*
 * The cluster model (see cluster.h): building, copying, looking up and
 * checking it, the one rule for names and versions, and comparing
 * versions. State readers fill it; the planner copies it and simulates
 * each step on the copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "clupdate/cluster.h"
#include "clupdate/display.h"
#include "util.h"

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **copy_strings(char *const *v, size_t n)
{
	char **copy;

	if (!n)
		return NULL;
	copy = clu__xcalloc(n, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = clu__xstrdup(v[i]);
	return copy;
}

static void node_release(struct clu_node *node)
{
	free(node->name);
	free(node->version);
}

static void group_release(struct clu_group *group)
{
	free(group->name);
	free_strings(group->members, group->n_members);
	free(group->owner);
	free(group->trouble);
	free(group->partly_on);
	free_strings(group->banned, group->n_banned);
	free(group->data_version);
	free(group->address);
	free(group->pinned_by_clupdate);
}

static void failure_release(struct clu_failure *f)
{
	free(f->resource);
	free(f->node);
	free(f->task);
	free(f->status);
	free(f->reason);
}

static void failure_copy(struct clu_failure *d, const struct clu_failure *s)
{
	d->resource = clu__xstrdup(s->resource);
	d->node = clu__xstrdup(s->node);
	d->task = clu__xstrdup(s->task);
	d->status = clu__xstrdup(s->status);
	d->reason = clu__xstrdup_or_null(s->reason);
	d->call = s->call;
}

void clu_cluster_add_failure(struct clu_cluster *cluster, const struct clu_failure *failure)
{
	cluster->failures = clu__xrealloc(cluster->failures,
					  (cluster->n_failures + 1) * sizeof(*cluster->failures));
	failure_copy(&cluster->failures[cluster->n_failures++], failure);
}

bool clu_group_has_member(const struct clu_group *group, const char *resource)
{
	for (size_t i = 0; i < group->n_members; i++)
		if (clu__streq(group->members[i], resource))
			return true;
	return false;
}

bool clu_group_not_installed_on(const struct clu_cluster *cluster,
				const struct clu_group *group, const char *node)
{
	if (!node || !clu__streq(group->partly_on, node))
		return false;
	for (size_t i = 0; i < cluster->n_failures; i++) {
		const struct clu_failure *f = &cluster->failures[i];

		if (clu__streq(f->node, node) && clu__streq(f->status, "not installed") &&
		    clu_group_has_member(group, f->resource))
			return true;
	}
	return false;
}

const char *clu_group_placed_on(const struct clu_cluster *cluster,
				const struct clu_group *group)
{
	if (group->owner)
		return group->owner;
	return clu_group_not_installed_on(cluster, group, group->partly_on) ?
	       group->partly_on : NULL;
}

char *clu_failure_key(const struct clu_failure *f)
{
	return clu__xasprintf("%s %s %s %ld", f->node, f->resource, f->task, f->call);
}

char *clu_failure_describe(const struct clu_failure *f)
{
	return clu__xasprintf("'%s' %s on '%s' failed: %s%s%s%s", f->resource, f->task, f->node,
			      f->status, f->reason && *f->reason ? " (" : "",
			      f->reason && *f->reason ? f->reason : "",
			      f->reason && *f->reason ? ")" : "");
}

/* ---- the name index ---------------------------------------------------- */

/*
 * Below this many entries a lookup compares names one by one: as fast as
 * hashing, and the many small models (the executor reads one per step,
 * tests build them by hand) need no index at all.
 */
#define INDEX_MIN 8

/*
 * Names -> position + 1, for one array of nodes or groups. The keys are
 * the entries' own name strings (borrowed: names are never changed in
 * place, and an entry's name lives as long as the entry); `at` and `n`
 * are the array and count it was made for: when they are not the
 * model's, the index is stale and is remade.
 */
struct names {
	GHashTable *table;
	const void *at;
	size_t n;
};

struct clu__cluster_index {
	struct names nodes, groups;
};

static void names_release(struct names *names)
{
	if (names->table)
		g_hash_table_destroy(names->table);
	memset(names, 0, sizeof(*names));
}

/* Add entry i named name, unless an earlier entry has that name (it wins). */
static void names_add(struct names *names, const char *name, size_t i)
{
	if (!g_hash_table_contains(names->table, name))
		g_hash_table_insert(names->table, (gpointer)name, GSIZE_TO_POINTER(i + 1));
}

/* Remake names for the n entries at `at`, each `size` bytes, whose name is
 * their first member (struct clu_node's and struct clu_group's are). */
static void names_make(struct names *names, const void *at, size_t n, size_t size)
{
	if (names->table)
		g_hash_table_remove_all(names->table);
	else
		names->table = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t i = 0; i < n; i++)
		names_add(names, *(char *const *)((const char *)at + i * size), i);
	names->at = at;
	names->n = n;
}

/*
 * The position of name among the n entries at `at`, or -1: through names,
 * made (or remade, when stale) on the way, or one by one when names is
 * NULL. A hit is checked against the entry's name all the same, so an
 * index that missed a change never returns a wrong entry.
 */
static ptrdiff_t names_find(struct names *names, const void *at, size_t n, size_t size,
			    const char *name)
{
	gpointer found;
	size_t i;

	if (!names) {
		for (i = 0; i < n; i++)
			if (!strcmp(*(char *const *)((const char *)at + i * size), name))
				return (ptrdiff_t)i;
		return -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!names->table || names->at != at || names->n != n)
			names_make(names, at, n, size);
		found = g_hash_table_lookup(names->table, name);
		if (!found)
			return -1;
		i = GPOINTER_TO_SIZE(found) - 1;
		if (i < n && !strcmp(*(char *const *)((const char *)at + i * size), name))
			return (ptrdiff_t)i;
		names->at = NULL;       /* stale after all: remake it */
	}
	BUG("the name index of a fresh model does not find '%s'", name);
}

/* The model's index, made empty when it has none: a cache, so even a
 * const model gets one. */
static struct clu__cluster_index *index_of(const struct clu_cluster *cluster)
{
	struct clu_cluster *mutable = (struct clu_cluster *)cluster;

	if (!mutable->index)
		mutable->index = clu__xcalloc(1, sizeof(*mutable->index));
	return mutable->index;
}

static void index_free(struct clu__cluster_index *index)
{
	if (!index)
		return;
	names_release(&index->nodes);
	names_release(&index->groups);
	free(index);
}

/*
 * Entry i (the last) was appended, moving the array from `before` (with
 * i entries) to `at`: a fresh index takes it in, a stale one stays stale.
 */
static void names_appended(struct names *names, const void *before, const void *at,
			   size_t i, const char *name)
{
	if (!names->table || names->at != before || names->n != i)
		return;
	names_add(names, name, i);
	names->at = at;
	names->n = i + 1;
}

void clu_cluster_release(struct clu_cluster *cluster)
{
	if (!cluster)
		return;
	index_free(cluster->index);
	for (size_t i = 0; i < cluster->n_nodes; i++)
		node_release(&cluster->nodes[i]);
	for (size_t i = 0; i < cluster->n_groups; i++)
		group_release(&cluster->groups[i]);
	for (size_t i = 0; i < cluster->n_failures; i++)
		failure_release(&cluster->failures[i]);
	free(cluster->nodes);
	free(cluster->groups);
	free(cluster->failures);
	free(cluster->name);
	memset(cluster, 0, sizeof(*cluster));
}

void clu_cluster_copy(struct clu_cluster *dst, const struct clu_cluster *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->name = clu__xstrdup_or_null(src->name);
	dst->quorum = src->quorum;
	dst->n_nodes = src->n_nodes;
	dst->nodes = clu__xcalloc(src->n_nodes, sizeof(*dst->nodes));
	for (size_t i = 0; i < src->n_nodes; i++) {
		dst->nodes[i] = src->nodes[i];
		dst->nodes[i].name = clu__xstrdup(src->nodes[i].name);
		dst->nodes[i].version = clu__xstrdup_or_null(src->nodes[i].version);
	}
	dst->n_failures = src->n_failures;
	dst->failures = clu__xcalloc(src->n_failures ? src->n_failures : 1, sizeof(*dst->failures));
	for (size_t i = 0; i < src->n_failures; i++)
		failure_copy(&dst->failures[i], &src->failures[i]);
	dst->n_groups = src->n_groups;
	dst->groups = clu__xcalloc(src->n_groups, sizeof(*dst->groups));
	for (size_t i = 0; i < src->n_groups; i++) {
		const struct clu_group *s = &src->groups[i];
		struct clu_group *d = &dst->groups[i];

		*d = *s;
		d->name = clu__xstrdup(s->name);
		d->members = copy_strings(s->members, s->n_members);
		d->owner = clu__xstrdup_or_null(s->owner);
		d->trouble = clu__xstrdup_or_null(s->trouble);
		d->partly_on = clu__xstrdup_or_null(s->partly_on);
		d->banned = copy_strings(s->banned, s->n_banned);
		d->data_version = clu__xstrdup_or_null(s->data_version);
		d->address = clu__xstrdup_or_null(s->address);
		d->pinned_by_clupdate = clu__xstrdup_or_null(s->pinned_by_clupdate);
	}
}

struct clu_node *clu_cluster_node(const struct clu_cluster *cluster, const char *name)
{
	ptrdiff_t i;

	if (!name || !cluster->n_nodes)
		return NULL;
	i = names_find(cluster->n_nodes > INDEX_MIN ? &index_of(cluster)->nodes : NULL,
		       cluster->nodes, cluster->n_nodes, sizeof(*cluster->nodes), name);
	return i < 0 ? NULL : &cluster->nodes[i];
}

struct clu_group *clu_cluster_group(const struct clu_cluster *cluster, const char *name)
{
	ptrdiff_t i;

	if (!name || !cluster->n_groups)
		return NULL;
	i = names_find(cluster->n_groups > INDEX_MIN ? &index_of(cluster)->groups : NULL,
		       cluster->groups, cluster->n_groups, sizeof(*cluster->groups), name);
	return i < 0 ? NULL : &cluster->groups[i];
}

size_t clu_cluster_online(const struct clu_cluster *cluster)
{
	size_t n = 0;

	for (size_t i = 0; i < cluster->n_nodes; i++)
		n += cluster->nodes[i].online;
	return n;
}

bool clu_node_may_host(const struct clu_group *g, const struct clu_node *n)
{
	return n->online && !n->standby && !n->maintenance && !clu_group_banned(g, n->name);
}

bool clu_group_banned(const struct clu_group *group, const char *node)
{
	for (size_t i = 0; i < group->n_banned; i++)
		if (strcmp(group->banned[i], node) == 0)
			return true;
	return false;
}

void clu_group_ban(struct clu_group *group, const char *node)
{
	if (clu_group_banned(group, node))
		return;
	group->banned = clu__xrealloc(group->banned, (group->n_banned + 1) * sizeof(char *));
	group->banned[group->n_banned++] = clu__xstrdup(node);
}

void clu_group_unban(struct clu_group *group, const char *node)
{
	for (size_t i = 0; i < group->n_banned; i++) {
		if (strcmp(group->banned[i], node) != 0)
			continue;
		free(group->banned[i]);
		memmove(&group->banned[i], &group->banned[i + 1],
			(group->n_banned - i - 1) * sizeof(char *));
		group->n_banned--;
		return;
	}
}

struct clu_node *clu_cluster_add_node(struct clu_cluster *cluster, const char *name)
{
	const void *before = cluster->nodes;
	struct clu_node *node;

	cluster->nodes = clu__xrealloc(cluster->nodes, (cluster->n_nodes + 1) * sizeof(*node));
	node = &cluster->nodes[cluster->n_nodes++];
	memset(node, 0, sizeof(*node));
	node->name = clu__xstrdup(name);
	if (cluster->index)
		names_appended(&cluster->index->nodes, before, cluster->nodes,
			       cluster->n_nodes - 1, node->name);
	return node;
}

struct clu_group *clu_cluster_add_group(struct clu_cluster *cluster, const char *name)
{
	const void *before = cluster->groups;
	struct clu_group *group;

	cluster->groups = clu__xrealloc(cluster->groups, (cluster->n_groups + 1) * sizeof(*group));
	group = &cluster->groups[cluster->n_groups++];
	memset(group, 0, sizeof(*group));
	group->name = clu__xstrdup(name);
	group->managed = true;
	if (cluster->index)
		names_appended(&cluster->index->groups, before, cluster->groups,
			       cluster->n_groups - 1, group->name);
	return group;
}

void clu_group_add_member(struct clu_group *group, const char *resource)
{
	group->members = clu__xrealloc(group->members, (group->n_members + 1) * sizeof(char *));
	group->members[group->n_members++] = clu__xstrdup(resource);
}

void clu_set_string(char **field, const char *value)
{
	char *copy = clu__xstrdup_or_null(value);

	free(*field);
	*field = copy;
}

/* Compare one component of two versions: numbers numerically, text as text. */
static int component_cmp(const char **pa, const char **pb)
{
	const char *a = *pa, *b = *pb;
	size_t la = strcspn(a, ".-"), lb = strcspn(b, ".-");
	int result;

	if (la && lb && strspn(a, "0123456789") >= la && strspn(b, "0123456789") >= lb) {
		/* Skip leading zeros, then the longer number is larger. */
		const char *da = a, *db = b;
		size_t na = la, nb = lb;

		while (na > 1 && *da == '0') da++, na--;
		while (nb > 1 && *db == '0') db++, nb--;
		result = na != nb ? (na < nb ? -1 : 1) : strncmp(da, db, na);
	} else {
		result = strncmp(a, b, la < lb ? la : lb);
		if (!result && la != lb)
			result = la < lb ? -1 : 1;
	}
	*pa = a + la + (a[la] ? 1 : 0);
	*pb = b + lb + (b[lb] ? 1 : 0);
	return result;
}

int clu_version_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	while (*a || *b) {
		int c;

		if (!*a)
			return -1;
		if (!*b)
			return 1;
		c = component_cmp(&a, &b);
		if (c)
			return c < 0 ? -1 : 1;
	}
	return 0;
}

/* ASCII only, whatever the locale: names end up in the CIB and in argv. */
static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * The rule of cluster.h, with the characters allowed after the first
 * (others) and the first (first, besides letters and digits); described
 * with the phrases of clu_name_check(), the most telling one first.
 */
static const char *check_word(const char *s, size_t max, const char *others,
			      const char *first, const char *too_long, const char *other_char,
			      const char *bad_first)
{
	size_t n = strlen(s ? s : "");

	if (!s)
		return "is missing";
	if (!*s)
		return "is empty";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "has a control character";
	if (s[0] == '-')
		return "starts with '-'";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == ' ')
			return "has a space";
		if (!is_alnum(*p) && !strchr(others, *p))
			return other_char;
	}
	if (!is_alnum((unsigned char)s[0]) && !strchr(first, s[0]))
		return bad_first;
	if (n > max)
		return too_long;
	return NULL;
}

const char *clu_name_check(const char *name)
{
	return check_word(name, CLU_NAME_MAX, "._-", "_", "is longer than 253 characters",
			  "has a character other than letters, digits, '.', '_' and '-'",
			  "does not start with a letter, a digit or '_'");
}

const char *clu_version_check(const char *version)
{
	return check_word(version, CLU_VERSION_MAX, "._+~:-", "", "is longer than 64 characters",
			  "has a character other than letters, digits, '.', '_', '+', '~', "
			  "':' and '-'", "does not start with a letter or a digit");
}

/* Quote at most this much of an offending value in a message. */
#define QUOTE_MAX 80

/* "WHERE: WHAT 'VALUE' WHY (expected EXPECTED)" for a value check failed. */
static int bad_value(struct clu_err *err, const char *where, const char *what,
		     const char *value, const char *why, const char *expected)
{
	char *shown = clu_display(value ? value : "", QUOTE_MAX);
	int rc = clu_err_set(err, CLU_E_CLUSTER, "%s: %s '%s' %s (expected %s)", where, what,
			     shown, why, expected);

	free(shown);
	return rc;
}

int clu_name_validate(const char *name, const char *what, const char *where,
		      struct clu_err *err)
{
	const char *why = clu_name_check(name);

	return why ? bad_value(err, where, what, name, why, CLU_NAME_EXPECTED) : 0;
}

int clu_version_validate(const char *version, const char *what, const char *where,
			 struct clu_err *err)
{
	const char *why = version ? clu_version_check(version) : NULL;

	return why ? bad_value(err, where, what, version, why, CLU_VERSION_EXPECTED) : 0;
}

/* "WHERE: group 'G' runs on unknown node 'N'": node may be anything. */
static int unknown_node(struct clu_err *err, const char *where, const char *group,
			const char *relation, const char *node)
{
	char *shown = clu_display(node, QUOTE_MAX);
	int rc = clu_err_set(err, CLU_E_CLUSTER, "%s: group '%s' %s unknown node '%s'", where,
			     group, relation, shown);

	free(shown);
	return rc;
}

/* Every name and version of the model, by the rule of cluster.h. */
static int check_words(const struct clu_cluster *cluster, const char *where,
		       struct clu_err *err)
{
	char what[CLU_NAME_MAX + 32];
	int rc;

	if (cluster->name && (rc = clu_name_validate(cluster->name, "cluster name", where, err)))
		return rc;
	for (size_t i = 0; i < cluster->n_nodes; i++) {
		const struct clu_node *n = &cluster->nodes[i];

		if ((rc = clu_name_validate(n->name, "node name", where, err)))
			return rc;
		snprintf(what, sizeof(what), "version of node '%s'", n->name);
		if ((rc = clu_version_validate(n->version, what, where, err)))
			return rc;
	}
	for (size_t i = 0; i < cluster->n_groups; i++) {
		const struct clu_group *g = &cluster->groups[i];

		if ((rc = clu_name_validate(g->name, "group name", where, err)))
			return rc;
		snprintf(what, sizeof(what), "data version of group '%s'", g->name);
		if ((rc = clu_version_validate(g->data_version, what, where, err)))
			return rc;
		snprintf(what, sizeof(what), "resource name in group '%s'", g->name);
		for (size_t j = 0; j < g->n_members; j++)
			if ((rc = clu_name_validate(g->members[j], what, where, err)))
				return rc;
	}
	return 0;
}

/*
 * The first node (group, when nodes is false) that a later one has the
 * name of, or n_nodes (n_groups): a lookup gives the first of a name, so
 * any other of that name is a second.
 */
static size_t described_twice(const struct clu_cluster *cluster, bool nodes)
{
	size_t n = nodes ? cluster->n_nodes : cluster->n_groups, first = n;

	for (size_t i = 0; i < n; i++) {
		size_t f = nodes ? (size_t)(clu_cluster_node(cluster, cluster->nodes[i].name) -
					    cluster->nodes)
				 : (size_t)(clu_cluster_group(cluster, cluster->groups[i].name) -
					    cluster->groups);

		if (f != i && f < first)
			first = f;
	}
	return first;
}

int clu_cluster_validate(const struct clu_cluster *cluster, const char *where,
			 struct clu_err *err)
{
	size_t twice;
	int rc;

	/* Names first: the messages below quote them. */
	if ((rc = check_words(cluster, where, err)))
		return rc;
	if ((twice = described_twice(cluster, true)) < cluster->n_nodes)
		return clu_err_set(err, CLU_E_CLUSTER, "%s: node '%s' is described twice",
				   where, cluster->nodes[twice].name);
	if ((twice = described_twice(cluster, false)) < cluster->n_groups)
		return clu_err_set(err, CLU_E_CLUSTER, "%s: group '%s' is described twice",
				   where, cluster->groups[twice].name);
	for (size_t i = 0; i < cluster->n_groups; i++) {
		const struct clu_group *g = &cluster->groups[i];

		if (g->owner && !clu_cluster_node(cluster, g->owner))
			return unknown_node(err, where, g->name, "runs on", g->owner);
		for (size_t j = 0; j < g->n_banned; j++)
			if (!clu_cluster_node(cluster, g->banned[j]))
				return unknown_node(err, where, g->name, "is banned from",
						    g->banned[j]);
	}
	return 0;
}
