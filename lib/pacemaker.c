/*
 * Pacemaker state reader (see pacemaker.h): crm_mon's XML, parsed with
 * libxml2's tree API, into the cluster model; and the live reader that
 * runs crm_mon through the spawn API.
 *
 * The document is walked, never validated against the schema: crm_mon
 * versions add elements and attributes, and clupdate only needs a few.
 * What it needs is checked, and reported with the source it came from:
 * names and versions by the rule of cluster.h, where they are read, and
 * quoted in messages as clu_display() shows them, as is all text of the
 * document that a message quotes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/tree.h>

#include "clupdate/display.h"
#include "clupdate/pacemaker.h"
#include "clupdate/proc.h"
#include "util.h"
#include "xml.h"

/* Pacemaker's score for -INFINITY. */
#define SCORE_MINUS_INFINITY (-1000000L)

static const char *const status_argv[] = {
	"crm_mon", "--output-as=xml", "--inactive", "--exclude=all",
	"--include=summary,options,nodes,resources,attributes,bans,failures", NULL
};

static const char *const config_argv[] = {
	"cibadmin", "--query", "--scope=configuration", NULL
};

const char *const *clu_pacemaker_status_argv(void)
{
	return status_argv;
}

const char *const *clu_pacemaker_config_argv(void)
{
	return config_argv;
}

struct reader {
	const char *where;
	const char *version_attribute;
	struct clu_cluster *cluster;
	struct clu_err *err;
};

static bool is_element(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)node->name, name) == 0;
}

static xmlNode *first_child(const xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (is_element(c, name))
			return c;
	return NULL;
}

/*
 * An attribute's value, borrowed from the document; NULL when absent.
 * Without a DTD (clu__xml_read() refuses one) there are no entities but
 * the predefined ones and character references, which libxml2 decodes
 * into the one text node read here.
 */
static const char *attr(const xmlNode *node, const char *name)
{
	xmlAttr *a = xmlHasProp(node, (const xmlChar *)name);

	if (!a)
		return NULL;
	if (!a->children || !a->children->content)
		return "";
	return (const char *)a->children->content;
}

/* Quote at most this much of a value of the document in a message. */
#define QUOTE_MAX 80

/* What an element is, for messages: <node name="n1">, <group id="mail">. */
static void describe(const xmlNode *node, char *buf, size_t size)
{
	const char *id = attr(node, "id"), *name = attr(node, "name");
	char *shown = clu_display(name ? name : id, QUOTE_MAX);

	if (shown)
		snprintf(buf, size, "<%s %s=\"%s\">", (const char *)node->name,
			 name ? "name" : "id", shown);
	else
		snprintf(buf, size, "<%s>", (const char *)node->name);
	free(shown);
}

static int missing(struct reader *r, const xmlNode *node, const char *name)
{
	char what[256];

	describe(node, what, sizeof(what));
	return clu_err_set(r->err, CLU_E_CLUSTER, "%s: %s without '%s'", r->where, what, name);
}

static const char *required(struct reader *r, const xmlNode *node, const char *name)
{
	const char *value = attr(node, name);

	if (!value || !*value)
		missing(r, node, name);
	return value && *value ? value : NULL;
}

/*
 * Attribute `name` of element, required, and a name by the rule of
 * cluster.h; what says whose name it is ("node name"). NULL when it is
 * not, the error naming the element's parent: "xml:x.xml: <nodes>: node
 * name '-oProxyCommand=id' starts with '-' (expected ...)".
 */
static const char *name_attr(struct reader *r, const xmlNode *element, const char *name,
			     const char *what)
{
	const char *value = required(r, element, name);
	char parent[256], *where;

	if (!value || !clu_name_check(value))
		return value;
	describe(element->parent, parent, sizeof(parent));
	where = clu__xasprintf("%s: %s", r->where, parent);
	clu_name_validate(value, what, where, r->err);
	free(where);
	return NULL;
}

/*
 * Check value, node's version attribute read in context (an element),
 * by the rule of cluster.h. Returns 0 or CLU_E_CLUSTER: "xml:x.xml:
 * <node_attributes>: node 'n1' mail-version '2 beta' has a space (...)".
 */
static int check_version(const char *where, const char *context, const char *node,
			 const char *attribute, const char *value, struct clu_err *err)
{
	char *at, *what;
	int rc;

	if (!clu_version_check(value))
		return 0;
	at = clu__xasprintf("%s: %s", where, context);
	what = clu__xasprintf("node '%s' %s", node, attribute);
	rc = clu_version_validate(value, what, at, err);
	free(what);
	free(at);
	return rc;
}

/* An xsd:boolean attribute; absent is dflt. Returns 0 or CLU_E_CLUSTER. */
static int boolean(struct reader *r, const xmlNode *node, const char *name,
		   bool dflt, bool *value)
{
	const char *text = attr(node, name);
	char what[256];

	if (!text)
		*value = dflt;
	else if (!strcmp(text, "true") || !strcmp(text, "1"))
		*value = true;
	else if (!strcmp(text, "false") || !strcmp(text, "0"))
		*value = false;
	else {
		char *shown = clu_display(text, QUOTE_MAX);
		int rc;

		describe(node, what, sizeof(what));
		rc = clu_err_set(r->err, CLU_E_CLUSTER, "%s: %s: %s=\"%s\" is not a boolean",
				 r->where, what, name, shown);
		free(shown);
		return rc;
	}
	return 0;
}

/* "a; b; c" from <errors><error>, shown for messages; "" when there are none. */
static char *status_errors(const xmlNode *status)
{
	const xmlNode *errors = first_child(status, "errors");
	char *joined = clu__xstrdup(""), *next;

	for (xmlNode *e = errors ? errors->children : NULL; e; e = e->next) {
		xmlChar *text;

		if (!is_element(e, "error"))
			continue;
		text = xmlNodeGetContent(e);
		next = clu__xasprintf("%s%s%s", joined, *joined ? "; " : "",
				      text ? (const char *)text : "");
		xmlFree(text);
		free(joined);
		joined = next;
	}
	next = clu_display(joined, 0);
	free(joined);
	return next;
}

static int read_status(struct reader *r, const xmlNode *root)
{
	const xmlNode *status = first_child(root, "status");
	const char *code = status ? attr(status, "code") : NULL;
	char *shown_code, *message, *errors;
	int rc;

	if (!code || !strcmp(code, "0"))
		return 0;
	shown_code = clu_display(code, QUOTE_MAX);
	message = clu_display(attr(status, "message"), QUOTE_MAX);
	errors = status_errors(status);
	rc = clu_err_set(r->err, CLU_E_CLUSTER, "%s: crm_mon failed with status %s (%s)%s%s",
			 r->where, shown_code, message ? message : "no message",
			 *errors ? ": " : "", errors);
	free(errors);
	free(message);
	free(shown_code);
	return rc;
}

/* The required section `name` of the output, or an error that quotes
 * crm_mon's own errors (it reports "OK" when it could not even connect). */
static xmlNode *section(struct reader *r, const xmlNode *root, const char *name)
{
	xmlNode *found = first_child(root, name);
	char *errors;

	if (found)
		return found;
	errors = status_errors(first_child(root, "status"));
	clu_err_set(r->err, CLU_E_CLUSTER, "%s: no <%s> in crm_mon output%s%s%s", r->where,
		    name, *errors ? " (" : "", errors, *errors ? ")" : "");
	free(errors);
	return NULL;
}

static int read_quorum(struct reader *r, const xmlNode *summary)
{
	const xmlNode *dc = first_child(summary, "current_dc");
	bool present = false, with_quorum = false;
	int rc;

	/* No coordinator, no quorum to speak of: assume none, the safe side. */
	if (dc && ((rc = boolean(r, dc, "present", false, &present)) ||
		   (rc = boolean(r, dc, "with_quorum", false, &with_quorum))))
		return rc;
	r->cluster->quorum = present && with_quorum;
	return 0;
}

static int read_nodes(struct reader *r, const xmlNode *nodes)
{
	for (xmlNode *n = nodes->children; n; n = n->next) {
		const char *name, *type;
		struct clu_node *node;
		bool online, standby, standby_onfail, maintenance;
		int rc;

		if (!is_element(n, "node"))
			continue;
		if (!(name = name_attr(r, n, "name", "node name")))
			return CLU_E_CLUSTER;
		type = attr(n, "type");
		if (type && !strcmp(type, "ping"))
			continue;
		if (!attr(n, "online"))
			return missing(r, n, "online");
		if ((rc = boolean(r, n, "online", false, &online)) ||
		    (rc = boolean(r, n, "standby", false, &standby)) ||
		    (rc = boolean(r, n, "standby_onfail", false, &standby_onfail)) ||
		    (rc = boolean(r, n, "maintenance", false, &maintenance)))
			return rc;
		node = clu_cluster_add_node(r->cluster, name);
		node->online = online;
		node->standby = standby || standby_onfail;
		node->maintenance = maintenance;
	}
	return 0;
}

/* An empty value is no version: unknown, as when there is no attribute. */
static int read_versions(struct reader *r, const xmlNode *attributes)
{
	int rc;

	if (!r->version_attribute || !attributes)
		return 0;
	for (xmlNode *n = attributes->children; n; n = n->next) {
		struct clu_node *node;

		if (!is_element(n, "node") ||
		    !(node = clu_cluster_node(r->cluster, attr(n, "name"))))
			continue;
		for (xmlNode *a = n->children; a; a = a->next) {
			const char *value = attr(a, "value");

			if (!is_element(a, "attribute") ||
			    !clu__streq(attr(a, "name"), r->version_attribute))
				continue;
			if (value && !*value)
				value = NULL;
			if (value && (rc = check_version(r->where, "<node_attributes>", node->name,
							 r->version_attribute, value, r->err)))
				return rc;
			clu_set_string(&node->version, value);
		}
	}
	return 0;
}

/* Add the nodes resource runs on (its <node> children) to nodes, once each. */
static void add_running_on(const xmlNode *resource, struct clu__strv *nodes)
{
	for (xmlNode *on = resource->children; on; on = on->next) {
		const char *name = is_element(on, "node") ? attr(on, "name") : NULL;

		if (name && !clu__strv_has(nodes, name))
			clu__strv_push(nodes, name);
	}
}

/* Whether resource runs on a node: a <node> child that names one. */
static bool runs_somewhere(const xmlNode *resource)
{
	for (xmlNode *on = resource->children; on; on = on->next)
		if (is_element(on, "node") && attr(on, "name"))
			return true;
	return false;
}

/* What read_member() learns of a group's members, for its owner and trouble. */
struct members {
	struct clu__strv nodes;      /* where any member runs, once each */
	size_t n, running;           /* members; members running somewhere */
	char *trouble;               /* the first member failed or blocked */
	char *stopped;               /* the first member that runs nowhere */
};

/* One member of a group (or a lone primitive): its id, managed, where it runs. */
static int read_member(struct reader *r, struct clu_group *group, const xmlNode *resource,
		       struct members *m)
{
	const char *id = name_attr(r, resource, "id", "resource name");
	bool managed, failed, blocked;
	int rc;

	if (!id)
		return CLU_E_CLUSTER;
	if ((rc = boolean(r, resource, "managed", true, &managed)) ||
	    (rc = boolean(r, resource, "failed", false, &failed)) ||
	    (rc = boolean(r, resource, "blocked", false, &blocked)))
		return rc;
	clu_group_add_member(group, id);
	if (!managed)
		group->managed = false;
	add_running_on(resource, &m->nodes);
	m->n++;
	if (runs_somewhere(resource))
		m->running++;
	else if (!m->stopped)
		m->stopped = clu__xstrdup(id);
	if ((failed || blocked) && !m->trouble)
		m->trouble = clu__xasprintf("'%s' %s", id, blocked ? "is blocked (the engine "
					    "cannot stop it)" : "failed");
	return 0;
}

/*
 * A group's trouble, once its members are read: a member failed or
 * blocked, or stopped while others run. Such a group has no owner while
 * the engine manages it, only the node its running members are on
 * (partly_on); a pinned group, which the engine leaves alone, keeps that
 * node as its owner.
 */
static void set_trouble(struct clu_group *group, struct members *m)
{
	if (m->trouble) {
		group->trouble = m->trouble;
		m->trouble = NULL;
	} else if (m->running && m->running < m->n) {
		group->trouble = clu__xasprintf("'%s' is stopped while %zu of %zu members run on "
						"'%s'", m->stopped, m->running, m->n, m->nodes.v[0]);
	}
	if (group->managed && m->running < m->n) {
		clu_set_string(&group->partly_on, group->owner);
		clu_set_string(&group->owner, NULL);
	}
}

/*
 * The owner of a group whose members run on nodes: the one node, or none.
 * A group active on more than one node at once (split between nodes, or a
 * member multi-active) is not one clupdate can pin, move or update: it is
 * refused, naming the nodes, until the cluster has recovered it.
 */
static int set_owner(struct reader *r, struct clu_group *group, const struct clu__strv *nodes)
{
	struct clu__strv quoted = { 0 };
	char *list;
	int rc;

	if (nodes->n <= 1) {
		clu_set_string(&group->owner, nodes->n ? nodes->v[0] : NULL);
		return 0;
	}
	for (size_t i = 0; i < nodes->n; i++) {
		char *shown = clu_display(nodes->v[i], QUOTE_MAX);
		char *one = clu__xasprintf("'%s'", shown);

		clu__strv_push(&quoted, one);
		free(one);
		free(shown);
	}
	list = clu__join(quoted.v, quoted.n, ", ");
	rc = clu_err_set(r->err, CLU_E_CLUSTER, "%s: group '%s' is active on more than one "
			 "node: %s (expected one node: let the cluster recover it first)",
			 r->where, group->name, list);
	free(list);
	clu__strv_release(&quoted);
	return rc;
}

/* A <group>, or a lone <resource> (element itself the only member). */
static int read_group(struct reader *r, const xmlNode *element)
{
	bool lone = is_element(element, "resource");
	const char *id = name_attr(r, element, "id", lone ? "resource name" : "group name");
	struct members m = { 0 };
	struct clu_group *group;
	bool managed;
	int rc;

	if (!id)
		return CLU_E_CLUSTER;
	group = clu_cluster_add_group(r->cluster, id);
	if (lone) {
		rc = read_member(r, group, element, &m);
	} else if (!(rc = boolean(r, element, "managed", true, &managed))) {
		group->managed = managed;
		for (xmlNode *e = element->children; e && !rc; e = e->next)
			if (is_element(e, "resource"))
				rc = read_member(r, group, e, &m);
	}
	if (!rc)
		rc = set_owner(r, group, &m.nodes);
	if (!rc)
		set_trouble(group, &m);
	clu__strv_release(&m.nodes);
	free(m.trouble);
	free(m.stopped);
	return rc;
}

static int read_resources(struct reader *r, const xmlNode *resources)
{
	int rc;

	for (xmlNode *e = resources->children; e; e = e->next) {
		if (is_element(e, "group")) {
			if ((rc = read_group(r, e)))
				return rc;
		} else if (is_element(e, "resource")) {
			const char *agent = attr(e, "resource_agent");
			bool orphaned;

			if ((rc = boolean(r, e, "orphaned", false, &orphaned)))
				return rc;
			if (orphaned || (agent && !strncmp(agent, "stonith:", 8)))
				continue;
			if ((rc = read_group(r, e)))
				return rc;
		}
		/* clone, bundle: not failover groups */
	}
	return 0;
}

/*
 * Resource and group ids -> the first group (index + 1) that is, or has
 * as a member, each: what a ban's resource attribute names. Made once,
 * for all the bans.
 */
static GHashTable *map_resources(const struct clu_cluster *cluster)
{
	GHashTable *groups = g_hash_table_new(g_str_hash, g_str_equal);

	for (size_t i = 0; i < cluster->n_groups; i++) {
		const struct clu_group *group = &cluster->groups[i];

		/* An id an earlier group already is or has stays that group's. */
		if (!g_hash_table_contains(groups, group->name))
			g_hash_table_insert(groups, group->name, GSIZE_TO_POINTER(i + 1));
		for (size_t j = 0; j < group->n_members; j++)
			if (!g_hash_table_contains(groups, group->members[j]))
				g_hash_table_insert(groups, group->members[j], GSIZE_TO_POINTER(i + 1));
	}
	return groups;
}

/* The group that resource id is, or is a member of; NULL if none. */
static struct clu_group *group_of(const struct clu_cluster *cluster, GHashTable **groups,
				  const char *id)
{
	size_t at;

	if (!*groups)
		*groups = map_resources(cluster);
	at = GPOINTER_TO_SIZE(g_hash_table_lookup(*groups, id));
	return at ? &cluster->groups[at - 1] : NULL;
}

/* One <ban> of crm_mon's <bans>: a -INFINITY ban of a group (or of one of
 * its members) from a known node goes into the model; others are not ours. */
static int read_ban(struct reader *r, const xmlNode *b, GHashTable **groups)
{
	const char *resource, *node, *weight;
	struct clu_group *group;
	bool promoted_only;
	char *end;
	long score;
	int rc;

	if (!is_element(b, "ban"))
		return 0;
	if (!(resource = required(r, b, "resource")) || !(node = required(r, b, "node")) ||
	    !(weight = required(r, b, "weight")))
		return CLU_E_CLUSTER;
	if ((rc = boolean(r, b, "promoted-only", false, &promoted_only)))
		return rc;
	errno = 0;
	score = strtol(weight, &end, 10);
	if (errno || *end || end == weight) {
		char what[256], *shown = clu_display(weight, QUOTE_MAX);

		describe(b, what, sizeof(what));
		rc = clu_err_set(r->err, CLU_E_CLUSTER, "%s: %s: weight=\"%s\" is not an "
				 "integer", r->where, what, shown);
		free(shown);
		return rc;
	}
	if (score > SCORE_MINUS_INFINITY || promoted_only ||
	    !clu_cluster_node(r->cluster, node) ||
	    !(group = group_of(r->cluster, groups, resource)))
		return 0;
	clu_group_ban(group, node);
	return 0;
}

static int read_bans(struct reader *r, const xmlNode *bans)
{
	GHashTable *groups = NULL;
	int rc = 0;

	for (xmlNode *b = bans ? bans->children : NULL; b && !rc; b = b->next)
		rc = read_ban(r, b, &groups);
	if (groups)
		g_hash_table_destroy(groups);
	return rc;
}

static void infer_data_versions(struct clu_cluster *cluster)
{
	for (size_t i = 0; i < cluster->n_groups; i++) {
		struct clu_group *group = &cluster->groups[i];
		const struct clu_node *owner = clu_cluster_node(cluster, group->owner);

		if (!group->data_version && owner && owner->version)
			clu_set_string(&group->data_version, owner->version);
	}
}

/*
 * crm_mon 2.1 escapes an agent's exit reason once more than XML needs
 * ("store &apos;/srv&apos;" after parsing): undo the five predefined
 * entities, &amp; last. Newly allocated.
 */
static char *unescape_twice_escaped(const char *text)
{
	static const char *const entities[][2] = {
		{ "&apos;", "'" }, { "&quot;", "\"" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&amp;", "&" },
	};
	char *out = clu__xmalloc(strlen(text) + 1), *o = out;

	while (*text) {
		size_t e = 0, n = sizeof(entities) / sizeof(entities[0]);

		while (e < n && strncmp(text, entities[e][0], strlen(entities[e][0])))
			e++;
		if (e < n) {
			*o++ = entities[e][1][0];
			text += strlen(entities[e][0]);
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

/*
 * The engine's failed operations. crm_mon 2.1 names the resource only
 * inside op_key ("RSC_TASK_INTERVAL"); the task and interval are given
 * apart, so the resource is what precedes "_TASK_" at the end.
 */
static int read_failures(struct reader *r, const xmlNode *failures)
{
	for (xmlNode *e = failures ? failures->children : NULL; e; e = e->next) {
		const char *key = attr(e, "op_key"), *task = attr(e, "task");
		const char *node = attr(e, "node"), *call = attr(e, "call");
		struct clu_failure f = { 0 };
		char *suffix;
		const char *end;

		if (!is_element(e, "failure") || !key || !task || !node)
			continue;
		suffix = clu__xasprintf("_%s_", task);
		end = strstr(key, suffix);
		while (end && strstr(end + 1, suffix))
			end = strstr(end + 1, suffix);
		free(suffix);
		if (!end || end == key)
			continue;
		f.resource = clu__xstrndup(key, (size_t)(end - key));
		f.node = (char *)node;
		f.task = (char *)task;
		f.status = (char *)(attr(e, "exitstatus") ? attr(e, "exitstatus") : "error");
		f.reason = attr(e, "exitreason") ? unescape_twice_escaped(attr(e, "exitreason")) : NULL;
		f.call = call ? strtol(call, NULL, 10) : 0;
		if (!clu_name_check(f.resource) && !clu_name_check(f.node))
			clu_cluster_add_failure(r->cluster, &f);
		free(f.resource);
		free(f.reason);
	}
	return 0;
}

static int read_document(struct reader *r, const xmlNode *root)
{
	xmlNode *summary, *nodes, *resources;
	int rc;

	if (!is_element(root, "pacemaker-result") && !is_element(root, "crm_mon"))
		return clu_err_set(r->err, CLU_E_CLUSTER,
				   "%s: not crm_mon output: root element is <%s>",
				   r->where, (const char *)root->name);
	if ((rc = read_status(r, root)))
		return rc;
	if (!(summary = section(r, root, "summary")) || !(nodes = section(r, root, "nodes")) ||
	    !(resources = section(r, root, "resources")))
		return CLU_E_CLUSTER;
	if ((rc = read_quorum(r, summary)) || (rc = read_nodes(r, nodes)) ||
	    (rc = read_versions(r, first_child(root, "node_attributes"))) ||
	    (rc = read_resources(r, resources)) ||
	    (rc = read_bans(r, first_child(root, "bans"))) ||
	    (rc = read_failures(r, first_child(root, "failures"))))
		return rc;
	infer_data_versions(r->cluster);
	return clu_cluster_validate(r->cluster, r->where, r->err);
}

int clu_pacemaker_parse(struct clu_cluster *out, const char *xml, size_t len,
			const char *version_attribute, const char *where,
			struct clu_err *err)
{
	struct reader r = { where, version_attribute, out, err };
	xmlDoc *doc = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	doc = clu__xml_read(xml, len, "crm_mon", where, err);
	rc = doc ? read_document(&r, xmlDocGetRootElement(doc)) : CLU_E_CLUSTER;
	if (rc)
		clu_cluster_release(out);
	xmlFreeDoc(doc);
	return rc;
}

/* The value of nvpair `name` directly in a set (cluster_property_set,
 * instance_attributes) that has no rule: rules make values conditional,
 * which only the cluster itself can evaluate. */
static const char *set_value(const xmlNode *set, const char *name)
{
	const char *value = NULL;

	if (first_child(set, "rule"))
		return NULL;
	for (xmlNode *nv = set->children; nv; nv = nv->next)
		if (is_element(nv, "nvpair") && clu__streq(attr(nv, "name"), name))
			value = attr(nv, "value");
	return value;
}

static const char *sets_value(const xmlNode *parent, const char *set_name, const char *name)
{
	const char *value = NULL, *v;

	for (xmlNode *set = parent ? parent->children : NULL; set; set = set->next)
		if (is_element(set, set_name) && (v = set_value(set, name)))
			value = v;
	return value;
}

/* The version the configuration gives node element n, when the model
 * lacks it (offline nodes); NULL when it gives none or the model has one. */
static const char *config_version(const xmlNode *n, const struct clu_cluster *cluster,
				  const char *version_attribute, struct clu_node **node)
{
	const char *version;

	if (!is_element(n, "node") ||
	    !(*node = clu_cluster_node(cluster, attr(n, "uname"))) || (*node)->version)
		return NULL;
	version = sets_value(n, "instance_attributes", version_attribute);
	return version && *version ? version : NULL;
}

int clu_pacemaker_parse_config(struct clu_cluster *cluster, const char *xml, size_t len,
			       const char *version_attribute, const char *where,
			       struct clu_err *err)
{
	xmlNode *root, *configuration, *nodes, *first;
	xmlDoc *doc;
	const char *name, *version;
	struct clu_node *node;
	int rc = 0;

	if (!(doc = clu__xml_read(xml, len, "cibadmin", where, err)))
		return CLU_E_CLUSTER;
	root = xmlDocGetRootElement(doc);
	configuration = is_element(root, "cib") ? first_child(root, "configuration") : root;
	if (!configuration || !is_element(configuration, "configuration")) {
		rc = clu_err_set(err, CLU_E_CLUSTER, "%s: not the CIB's configuration: root "
				 "element is <%s>", where, (const char *)root->name);
		goto out;
	}
	name = sets_value(first_child(configuration, "crm_config"), "cluster_property_set",
			  "cluster-name");
	if (cluster->name || (name && !*name))
		name = NULL;
	nodes = first_child(configuration, "nodes");
	first = nodes && version_attribute ? nodes->children : NULL;

	/* Everything checked before anything changes: on error the model is
	 * as it was. */
	if (name && (rc = clu_name_validate(name, "cluster-name", where, err)))
		goto out;
	for (xmlNode *n = first; n; n = n->next)
		if ((version = config_version(n, cluster, version_attribute, &node)) &&
		    (rc = check_version(where, "<nodes>", node->name, version_attribute,
					version, err)))
			goto out;

	if (name)
		clu_set_string(&cluster->name, name);
	for (xmlNode *n = first; n; n = n->next)
		if ((version = config_version(n, cluster, version_attribute, &node)))
			clu_set_string(&node->version, version);
	infer_data_versions(cluster);
out:
	xmlFreeDoc(doc);
	return rc;
}

int clu_pacemaker_read_file(struct clu_cluster *out, const char *path,
			    const char *version_attribute, struct clu_err *err)
{
	char *where = clu__xasprintf("xml:%s", path);
	size_t len = 0;
	char *xml = clu__read_file(path, CLU__READ_MAX, &len);
	int rc;

	if (!xml) {
		memset(out, 0, sizeof(*out));
		rc = clu_err_set(err, CLU_E_IO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = clu_pacemaker_parse(out, xml, len, version_attribute, where, err);
out:
	free(xml);
	free(where);
	return rc;
}
