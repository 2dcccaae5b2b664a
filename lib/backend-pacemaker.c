/*
 * The Pacemaker backend (see pacemaker-backend.h): the live state and the
 * small, restorable changes clupdate makes, each one Pacemaker CLI command
 * run on a control node through the transport.
 *
 * Facts about the CLI this relies on (Pacemaker 2.1.5, checked on a lab):
 *  - exit status 105 (CRM_EX_NOSUCH) means "no such attribute/object";
 *    102 (CRM_EX_DISCONNECT) means the node's cluster stack is not
 *    answering, so the next control node is tried, as for ssh's 255;
 *  - `crm_resource --meta -g` exits 0 even when the attribute is absent,
 *    so meta attributes are read from the CIB with an XPath instead;
 *  - `crmadmin -q -S NODE` prints the controller's state (S_IDLE when the
 *    coordinator has no transition to run);
 *  - `cibadmin --create` of an element whose id exists fails with 108
 *    (CRM_EX_EXISTS), the CIB manager serialising writes: the lock's
 *    compare-and-set. `--modify --xpath` of no match fails with 105;
 *    `--delete --xpath` of no match succeeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "clupdate/pacemaker-backend.h"
#include "clupdate/pacemaker.h"
#include "clupdate/proc.h"
#include "util.h"
#include "xml.h"

enum {
	EXIT_NOSUCH = 105,
	EXIT_EXISTS = 108,
	EXIT_DISCONNECT = 102,
	EXIT_SSH = 255,
};

struct pcmk {
	struct clu_backend base;
	struct clu_transport *transport;   /* borrowed */
	char **control_nodes;    /* where to run the CLI, in order; NULL entry: local */
	size_t n_control_nodes;
	size_t preferred;        /* index of the last control node that answered */
	char *version_attribute; /* node attribute with the installed version */
	unsigned timeout_ms;     /* per CLI command */
	char *dc;                /* the coordinator, while it answers as one; NULL */
	char *cluster_name;      /* from the configuration, once read ("": none) */
};

/* A location constraint clupdate adds. */
struct clu_location {
	const char *id;          /* clupdate-ban-G-on-N, clupdate-prefer-G */
	const char *resource;    /* the group */
	const char *node;
	bool ban;                /* -INFINITY, else +INFINITY (prefer) */
};

static bool unreachable(const struct clu_proc *proc)
{
	return !proc->result.started || proc->result.timed_out ||
	       proc->result.exit_code == EXIT_DISCONNECT || proc->result.exit_code == EXIT_SSH;
}

/*
 * Run argv on the first control node that answers, starting with the one
 * that answered last. *proc is left with the result for the caller (who
 * releases it); a non-zero exit status is not an error here: callers know
 * which statuses mean what. Returns CLU_E_SPAWN only when no node answers,
 * CLU_E_CLUSTER when the answer was too large to capture whole (*proc is
 * then empty).
 */
static int run_cli(struct pcmk *b, const char *const *argv, struct clu_proc *proc,
		   struct clu_err *err)
{
	struct clu_err last = CLU_ERR_INIT;

	for (size_t k = 0; k < b->n_control_nodes; k++) {
		size_t i = (b->preferred + k) % b->n_control_nodes;
		const char *node = b->control_nodes[i];
		int ret;

		clu_proc_init(proc);
		proc->timeout_ms = b->timeout_ms;
		ret = clu_transport_command(b->transport, node, proc, argv, err);
		if (ret)
			return ret;
		clu_proc_run(proc, &last);
		if (!unreachable(proc) && proc->out.truncated) {
			/* Bounded by CLU_PROC_CAPTURE_MAX, not set here; every node
			 * would print the same: trying the next one is no help. */
			ret = clu_err_set(err, CLU_E_CLUSTER, "'%s' on '%s': output larger than "
					  "%zu MiB, truncated: refusing to parse a partial "
					  "cluster state", argv[0], node ? node : "this machine",
					  CLU_PROC_CAPTURE_MAX >> 20);
			clu_proc_release(proc);
			return ret;
		}
		if (!unreachable(proc)) {
			b->preferred = i;
			return 0;
		}
		if (!proc->result.started || proc->result.timed_out)
			; /* last already says why */
		else
			clu_err_set(&last, CLU_E_SPAWN, "'%s' on '%s': %s", argv[0],
				    node ? node : "this machine",
				    proc->err.len ? proc->err.buf : "the cluster does not answer");
		clu_proc_release(proc);
	}
	clu_proc_init(proc);
	return clu_err_set(err, CLU_E_SPAWN, "no control node answers (%zu tried); last: %s",
			   b->n_control_nodes, last.msg);
}

/* A failed command as an error: its name, how it ended, its stderr's last line. */
static int cli_failed(const struct clu_proc *proc, const char *what, struct clu_err *err)
{
	char how[128];
	const char *msg = proc->err.len ? proc->err.buf : proc->out.buf;
	size_t len = msg ? strlen(msg) : 0;

	while (len && msg[len - 1] == '\n')
		len--;
	return clu_err_set(err, CLU_E_CLUSTER, "cannot %s: '%s' %s%s%.*s", what, proc->argv[0],
			   clu_proc_describe(proc, how, sizeof(how)), len ? ": " : "",
			   (int)len, msg ? msg : "");
}

/* Run a CLI command for its effect; exit statuses in `ok` (besides 0) pass. */
static int run_effect(struct pcmk *b, const char *const *argv, int ok,
		      const char *what, struct clu_err *err)
{
	struct clu_proc proc;
	int ret = run_cli(b, argv, &proc, err);

	if (!ret && proc.result.exit_code != 0 && proc.result.exit_code != ok)
		ret = cli_failed(&proc, what, err);
	clu_proc_release(&proc);
	return ret;
}

/*
 * Run a CLI command that answers yes (exit 0) or no (exit `no`, e.g. 105
 * "no such object"); any other status is a failure to do `what`. The
 * caller releases *proc, which keeps the output of a yes.
 */
static int run_query(struct pcmk *b, const char *const *argv, int no, const char *what,
		     bool *yes, struct clu_proc *proc, struct clu_err *err)
{
	int ret = run_cli(b, argv, proc, err);

	*yes = !ret && proc->result.exit_code == 0;
	if (!ret && !*yes && proc->result.exit_code != no)
		ret = cli_failed(proc, what, err);
	return ret;
}

static int pcmk_read_status(struct pcmk *b, struct clu_cluster *out, struct clu_err *err)
{
	struct clu_proc proc;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = run_cli(b, clu_pacemaker_status_argv(), &proc, err);
	if (!ret)
		ret = clu_pacemaker_parse(out, proc.out.buf, proc.out.len, b->version_attribute,
					  "pacemaker", err);
	clu_proc_release(&proc);
	return ret;
}

/* Whether crm_mon told every node's version: the configuration adds nothing then. */
static bool versions_known(const struct clu_cluster *c)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (!c->nodes[i].version)
			return false;
	return true;
}

static int pcmk_read(struct pcmk *b, struct clu_cluster *out, struct clu_err *err)
{
	struct clu_proc proc;
	int ret;

	ret = pcmk_read_status(b, out, err);
	if (ret)
		return ret;
	/*
	 * crm_mon has no attributes for offline nodes, nor the cluster's name:
	 * the configuration has them. The name is read once; the rest only
	 * while a node's version is unknown (one CLI round trip less a look).
	 */
	if (b->cluster_name && versions_known(out)) {
		if (*b->cluster_name && !out->name)
			clu_set_string(&out->name, b->cluster_name);
		return 0;
	}
	ret = run_cli(b, clu_pacemaker_config_argv(), &proc, err);
	if (!ret && proc.result.exit_code != 0)
		ret = cli_failed(&proc, "read the configuration", err);
	if (!ret)
		ret = clu_pacemaker_parse_config(out, proc.out.buf, proc.out.len, b->version_attribute,
						 "pacemaker", err);
	clu_proc_release(&proc);
	if (ret)
		clu_cluster_release(out);
	else if (!b->cluster_name)
		b->cluster_name = clu__xstrdup(out->name ? out->name : "");
	return ret;
}

/* Names go into XPath literals and XML: only names of the one rule (cluster.h). */
static int check_name(const char *name, const char *what, struct clu_err *err)
{
	return clu_name_validate(name, what, "pacemaker", err);
}

/* The value attribute of the first element of an XML reply; NULL if none. */
static char *xml_value(const char *xml, size_t len)
{
	xmlDocPtr doc = clu__xml_read(xml, len, "cibadmin", "cib", NULL);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlChar *value = root ? xmlGetProp(root, BAD_CAST "value") : NULL;
	char *copy = value ? clu__xstrdup((const char *)value) : NULL;

	xmlFree(value);
	xmlFreeDoc(doc);
	return copy;
}

/*
 * The CIB's element at xpath (cibadmin --query --xpath): *found false when
 * there is none. The caller releases *proc, which holds its XML.
 */
static int cib_query(struct pcmk *b, const char *xpath, const char *what, bool *found,
		     struct clu_proc *proc, struct clu_err *err)
{
	return run_query(b, (const char *const[]){ "cibadmin", "--query", "--xpath", xpath, NULL },
			 EXIT_NOSUCH, what, found, proc, err);
}

/* The value attribute of the CIB's element at xpath; *value NULL if none. */
static int query_value(struct pcmk *b, const char *xpath, const char *what, char **value,
		       struct clu_err *err)
{
	struct clu_proc proc;
	bool found;
	int ret = cib_query(b, xpath, what, &found, &proc, err);

	*value = found ? xml_value(proc.out.buf, proc.out.len) : NULL;
	clu_proc_release(&proc);
	return ret;
}

static int pcmk_get_meta(struct pcmk *b, const char *resource, const char *name,
			 char **value, struct clu_err *err)
{
	char *xpath;
	int ret;

	*value = NULL;
	if ((ret = check_name(resource, "resource", err)) || (ret = check_name(name, "attribute", err)))
		return ret;
	xpath = clu__xasprintf("//resources//*[@id='%s']/meta_attributes/nvpair[@name='%s']",
			       resource, name);
	ret = query_value(b, xpath, "read a meta attribute", value, err);
	free(xpath);
	return ret;
}

static int pcmk_set_meta(struct pcmk *b, const char *resource, const char *name,
			 const char *value, struct clu_err *err)
{
	int ret;

	if ((ret = check_name(resource, "resource", err)))
		return ret;
	if (!value)
		return run_effect(b, (const char *const[]){ "crm_resource", "--resource", resource,
				  "--meta", "--delete-parameter", name, NULL }, EXIT_NOSUCH,
				  "delete a meta attribute", err);
	return run_effect(b, (const char *const[]){ "crm_resource", "--resource", resource,
			  "--meta", "--set-parameter", name, "--parameter-value", value, NULL }, 0,
			  "set a meta attribute", err);
}

/* The first line of a command's output, without its newline. */
static char *first_line(const struct clu_proc *proc)
{
	const char *out = proc->out.buf ? proc->out.buf : "";

	return clu__xstrndup(out, strcspn(out, "\n"));
}

/* Query with crm_attribute: exit 105 means absent. */
static int attribute_query(struct pcmk *b, const char *const *argv, char **value,
			   struct clu_err *err)
{
	struct clu_proc proc;
	bool found;
	int ret = run_query(b, argv, EXIT_NOSUCH, "read an attribute", &found, &proc, err);

	*value = found ? first_line(&proc) : NULL;
	clu_proc_release(&proc);
	return ret;
}

static int pcmk_get_node_attr(struct pcmk *b, const char *node, const char *name,
			      char **value, struct clu_err *err)
{
	return attribute_query(b, (const char *const[]){ "crm_attribute", "--node", node,
			       "--name", name, "--lifetime", "forever", "--query", "--quiet",
			       NULL }, value, err);
}

static int pcmk_set_node_attr(struct pcmk *b, const char *node, const char *name,
			      const char *value, struct clu_err *err)
{
	if (!value)
		return run_effect(b, (const char *const[]){ "crm_attribute", "--node", node,
				  "--name", name, "--lifetime", "forever", "--delete", NULL },
				  EXIT_NOSUCH, "delete a node attribute", err);
	return run_effect(b, (const char *const[]){ "crm_attribute", "--node", node, "--name",
			  name, "--lifetime", "forever", "--update", value, NULL }, 0,
			  "set a node attribute", err);
}

/* ---- the cluster lock ---- */

#define LOCK_SET "clupdate-lock"
/* The lock's fields, each an nvpair of the set: never one string to parse. */
#define LOCK_TOKEN "clupdate-lock-token"
#define LOCK_BEAT "clupdate-lock-beat"
/* Present: `clupdate abort` asked the holder to stop (value: who asked). */
#define LOCK_ABORT "clupdate-lock-abort"

/* The set whose token is `token`, as an XPath (token: [A-Za-z0-9-] only). */
static char *lock_xpath(const char *token, const char *below)
{
	return clu__xasprintf("//crm_config/cluster_property_set[@id='" LOCK_SET "']"
			      "[nvpair[@name='" LOCK_TOKEN "'][@value='%s']]%s", token, below);
}

static bool valid_token(const char *token)
{
	return token && *token && strspn(token, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
				  strlen(token);
}

/* An nvpair of the lock (id = name), in set or, set NULL, the root of a new doc. */
static xmlNodePtr add_nvpair(xmlNodePtr set, const char *name, const char *value)
{
	xmlNodePtr pair = set ? xmlNewChild(set, NULL, BAD_CAST "nvpair", NULL)
			      : xmlNewNode(NULL, BAD_CAST "nvpair");

	if (!set)
		xmlDocSetRootElement(xmlNewDoc(BAD_CAST "1.0"), pair);
	xmlNewProp(pair, BAD_CAST "id", BAD_CAST name);
	xmlNewProp(pair, BAD_CAST "name", BAD_CAST name);
	xmlNewProp(pair, BAD_CAST "value", BAD_CAST value);
	return pair;
}

/* Serialise a node built with libxml2, so names are always escaped. */
static char *xml_text(xmlNodePtr node);

static char *lock_set_xml(const struct clu_lock_holder *h)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr set = xmlNewNode(NULL, BAD_CAST "cluster_property_set");
	char pid[32], run[32], beat[32];
	char *text;

	snprintf(pid, sizeof(pid), "%ld", h->pid);
	snprintf(run, sizeof(run), "%lld", (long long)h->run);
	snprintf(beat, sizeof(beat), "%lu", h->beat);
	xmlDocSetRootElement(doc, set);
	xmlNewProp(set, BAD_CAST "id", BAD_CAST LOCK_SET);
	add_nvpair(set, LOCK_TOKEN, h->token);
	add_nvpair(set, "clupdate-lock-host", h->host);
	add_nvpair(set, "clupdate-lock-pid", pid);
	add_nvpair(set, "clupdate-lock-run", run);
	add_nvpair(set, "clupdate-lock-since", h->since);
	add_nvpair(set, LOCK_BEAT, beat);
	text = xml_text(set);
	xmlFreeDoc(doc);
	return text;
}

/* The holder from the lock set's XML (cibadmin --query of it). */
static int parse_lock(const char *xml, size_t len, struct clu_lock_holder *h, struct clu_err *err)
{
	xmlDocPtr doc = clu__xml_read(xml, len, "cibadmin", "cib", NULL);
	xmlNodePtr set = doc ? xmlDocGetRootElement(doc) : NULL;

	memset(h, 0, sizeof(*h));
	for (xmlNodePtr p = set ? set->children : NULL; p; p = p->next) {
		xmlChar *name, *value;

		if (p->type != XML_ELEMENT_NODE || xmlStrcmp(p->name, BAD_CAST "nvpair"))
			continue;
		name = xmlGetProp(p, BAD_CAST "name");
		value = xmlGetProp(p, BAD_CAST "value");
		if (name && value) {
			const char *n = (const char *)name, *v = (const char *)value;

			if (!strcmp(n, LOCK_TOKEN))
				h->token = clu__xstrdup(v);
			else if (!strcmp(n, "clupdate-lock-host"))
				h->host = clu__xstrdup(v);
			else if (!strcmp(n, "clupdate-lock-pid"))
				h->pid = strtol(v, NULL, 10);
			else if (!strcmp(n, "clupdate-lock-run"))
				h->run = strtoll(v, NULL, 10);
			else if (!strcmp(n, "clupdate-lock-since"))
				h->since = clu__xstrdup(v);
			else if (!strcmp(n, LOCK_BEAT))
				h->beat = strtoul(v, NULL, 10);
			else if (!strcmp(n, LOCK_ABORT))
				h->abort_by = clu__xstrdup(v);
		}
		xmlFree(name);
		xmlFree(value);
	}
	xmlFreeDoc(doc);
	if (!h->token) {
		clu_lock_holder_release(h);
		return clu_err_set(err, CLU_E_CLUSTER, "the cluster lock (cluster property set '"
				   LOCK_SET "') has no token: remove it with 'cibadmin --delete "
				   "--xpath \"//cluster_property_set[@id='" LOCK_SET "']\"' once no "
				   "clupdate runs");
	}
	if (!h->host)
		h->host = clu__xstrdup("?");
	if (!h->since)
		h->since = clu__xstrdup("?");
	return 0;
}

static int pcmk_lock_read(struct pcmk *b, struct clu_lock_holder *h, bool *exists,
			  struct clu_err *err)
{
	struct clu_proc proc;
	int ret;

	memset(h, 0, sizeof(*h));
	ret = cib_query(b, "//crm_config/cluster_property_set[@id='" LOCK_SET "']",
			"read the cluster lock", exists, &proc, err);
	if (!ret && *exists)
		ret = parse_lock(proc.out.buf, proc.out.len, h, err);
	*exists = *exists && !ret;
	clu_proc_release(&proc);
	return ret;
}

static int pcmk_lock_create(struct pcmk *b, const struct clu_lock_holder *h,
			    bool *created, struct clu_err *err)
{
	struct clu_proc proc;
	char *text;
	int ret;

	*created = false;
	if (!valid_token(h->token))
		BUG("lock token '%s'", h->token ? h->token : "(null)");
	text = lock_set_xml(h);
	/* Create only: the CIB manager refuses an id that exists (EEXIST). */
	ret = run_query(b, (const char *const[]){ "cibadmin", "--create", "--scope", "crm_config",
			"--xml-text", text, NULL }, EXIT_EXISTS, "take the cluster lock", created,
			&proc, err);
	clu_proc_release(&proc);
	free(text);
	if (!ret && !*created) {
		/* Ours after all? (A create that timed out on a first node.) */
		struct clu_lock_holder now;
		bool exists;

		ret = pcmk_lock_read(b, &now, &exists, err);
		*created = !ret && exists && !strcmp(now.token, h->token);
		clu_lock_holder_release(&now);
	}
	return ret;
}

static int pcmk_lock_renew(struct pcmk *b, const char *token, unsigned long beat,
			   bool *held, struct clu_err *err)
{
	char value[32], *text, *xpath;
	struct clu_proc proc;
	xmlNodePtr pair;
	int ret;

	*held = false;
	if (!valid_token(token))
		BUG("lock token '%s'", token ? token : "(null)");
	snprintf(value, sizeof(value), "%lu", beat);
	pair = add_nvpair(NULL, LOCK_BEAT, value);
	text = xml_text(pair);
	xmlFreeDoc(pair->doc);
	/* Modify only where the token is ours and no abort is asked: no
	 * match, no change (ENXIO); the holder then reads why. */
	xpath = lock_xpath(token, "[not(nvpair[@name='" LOCK_ABORT "'])]"
			   "/nvpair[@name='" LOCK_BEAT "']");
	ret = run_query(b, (const char *const[]){ "cibadmin", "--modify", "--xpath", xpath,
			"--xml-text", text, NULL }, EXIT_NOSUCH, "renew the cluster lock", held,
			&proc, err);
	clu_proc_release(&proc);
	free(xpath);
	free(text);
	return ret;
}

static int pcmk_lock_delete(struct pcmk *b, const char *token, unsigned long beat,
			    struct clu_err *err)
{
	char *below = beat ? clu__xasprintf("[nvpair[@name='" LOCK_BEAT "'][@value='%lu']]", beat)
			   : clu__xstrdup("");
	char *xpath;
	int ret;

	if (!valid_token(token))
		BUG("lock token '%s'", token ? token : "(null)");
	xpath = lock_xpath(token, below);
	/* Delete only the set holding this token (and beat): nobody else's. */
	ret = run_effect(b, (const char *const[]){ "cibadmin", "--delete", "--xpath", xpath, NULL },
			 EXIT_NOSUCH, "release the cluster lock", err);
	free(xpath);
	free(below);
	return ret;
}

/*
 * An abort request: one more nvpair in the lock's set, merged in with a
 * modify on the set that holds token (as a renewal is), so that it lands
 * only on that holder's lock.
 */
static int pcmk_lock_request_abort(struct pcmk *b, const char *token, const char *by,
				   bool *held, struct clu_err *err)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr set = xmlNewNode(NULL, BAD_CAST "cluster_property_set");
	char *text, *xpath;
	struct clu_proc proc;
	int ret;

	*held = false;
	if (!valid_token(token))
		BUG("lock token '%s'", token ? token : "(null)");
	xmlDocSetRootElement(doc, set);
	xmlNewProp(set, BAD_CAST "id", BAD_CAST LOCK_SET);
	add_nvpair(set, LOCK_ABORT, by);
	text = xml_text(set);
	xmlFreeDoc(doc);
	xpath = lock_xpath(token, "");
	ret = run_query(b, (const char *const[]){ "cibadmin", "--modify", "--xpath", xpath,
			"--xml-text", text, NULL }, EXIT_NOSUCH, "ask the lock's holder to stop",
			held, &proc, err);
	clu_proc_release(&proc);
	free(xpath);
	free(text);
	return ret;
}

static char *ban_id(const char *group, const char *node)
{
	return clu__xasprintf("clupdate-ban-%s-on-%s", group, node);
}

static char *prefer_id(const char *group)
{
	return clu__xasprintf("clupdate-prefer-%s", group);
}

static int pcmk_constraint_exists(struct pcmk *b, const char *id, bool *exists,
				  struct clu_err *err)
{
	struct clu_proc proc;
	char *xpath;
	int ret;

	*exists = false;
	if ((ret = check_name(id, "constraint", err)))
		return ret;
	xpath = clu__xasprintf("//constraints/*[@id='%s']", id);
	ret = cib_query(b, xpath, "look up a constraint", exists, &proc, err);
	clu_proc_release(&proc);
	free(xpath);
	return ret;
}

static void add_location_node(xmlNodePtr parent, const struct clu_location *l)
{
	xmlNodePtr node = xmlNewChild(parent, NULL, BAD_CAST "rsc_location", NULL);

	xmlNewProp(node, BAD_CAST "id", BAD_CAST l->id);
	xmlNewProp(node, BAD_CAST "rsc", BAD_CAST l->resource);
	xmlNewProp(node, BAD_CAST "node", BAD_CAST l->node);
	xmlNewProp(node, BAD_CAST "score", BAD_CAST (l->ban ? "-INFINITY" : "INFINITY"));
}

/* Serialise a node built with libxml2, so names are always escaped. */
static char *xml_text(xmlNodePtr node)
{
	xmlBufferPtr buf = xmlBufferCreate();
	char *text;

	xmlNodeDump(buf, node->doc, node, 0, 0);
	text = clu__xstrdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return text;
}

static char *location_xml(const struct clu_location *l)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "constraints");
	char *text;

	xmlDocSetRootElement(doc, root);
	add_location_node(root, l);
	text = xml_text(root->children);
	xmlFreeDoc(doc);
	return text;
}

static int pcmk_add_locations(struct pcmk *b, const struct clu_location *locations,
			      size_t n, struct clu_err *err)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "constraints");
	char *text;
	int ret;

	xmlDocSetRootElement(doc, root);
	for (size_t i = 0; i < n; i++)
		add_location_node(root, &locations[i]);
	text = xml_text(root);
	xmlFreeDoc(doc);
	/* One modify of the constraints section: one CIB update, one transition. */
	ret = run_effect(b, (const char *const[]){ "cibadmin", "--modify", "--allow-create",
			 "--scope", "constraints", "--xml-text", text, NULL }, 0,
			 "add location constraints", err);
	free(text);
	return ret;
}

static int pcmk_remove_constraint(struct pcmk *b, const char *id, struct clu_err *err)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr node = xmlNewNode(NULL, BAD_CAST "rsc_location");
	char *text;
	int ret;

	xmlDocSetRootElement(doc, node);
	xmlNewProp(node, BAD_CAST "id", BAD_CAST id);
	text = xml_text(node);
	xmlFreeDoc(doc);
	ret = run_effect(b, (const char *const[]){ "cibadmin", "--delete", "--scope", "constraints",
			 "--xml-text", text, NULL }, EXIT_NOSUCH, "remove a constraint", err);
	free(text);
	return ret;
}

/*
 * --refresh, not --cleanup, although it costs most of an unpin (every
 * member re-probed: about 3-8 s on a loaded lab): with --cleanup, which
 * forgets only failed operations, 2 of 3 in-place runs of bench/peers saw
 * a second interruption (the engine recovered maild after the unpin).
 */
static int pcmk_refresh(struct pcmk *b, const char *resource, const char *node,
			struct clu_err *err)
{
	return run_effect(b, (const char *const[]){ "crm_resource", "--refresh", "--resource",
			  resource, "--node", node, NULL }, 0, "refresh a resource's state", err);
}

/* The coordinator (DC), found once and kept while it answers as one. */
static int find_dc(struct pcmk *b, struct clu_err *err)
{
	struct clu_proc proc;
	char dc[256] = "";
	int ret;

	if (b->dc)
		return 0;
	ret = run_cli(b, (const char *const[]){ "crmadmin", "--dc_lookup", "--quiet", NULL },
		      &proc, err);
	if (!ret && proc.result.exit_code == 0 && sscanf(proc.out.buf, "%255s", dc) == 1)
		b->dc = clu__xstrdup(dc);
	clu_proc_release(&proc);
	return ret;
}

/*
 * Idle: the coordinator says S_IDLE (no transition running or to run).
 * Anything else (busy, no longer the coordinator, not answering) and the
 * coordinator is looked up again at the next look: an election moves it.
 */
static int pcmk_idle(struct pcmk *b, bool *idle, struct clu_err *err)
{
	struct clu_proc proc;
	int ret = find_dc(b, err);

	*idle = false;
	if (ret || !b->dc)
		return ret;   /* no coordinator yet: not idle */
	ret = run_cli(b, (const char *const[]){ "crmadmin", "--quiet", "--status", b->dc, NULL },
		      &proc, err);
	if (!ret && proc.result.exit_code == 0)
		*idle = strstr(proc.out.buf, "S_IDLE") != NULL;
	clu_proc_release(&proc);
	if (!*idle) {
		free(b->dc);
		b->dc = NULL;
	}
	return ret;
}

static int pcmk_group_address(struct pcmk *b, const char *group, char **address,
			      struct clu_err *err)
{
	char *xpath;
	int ret;

	*address = NULL;
	if ((ret = check_name(group, "group", err)))
		return ret;
	xpath = clu__xasprintf("//resources//*[@id='%s']//primitive[@type='IPaddr2']"
			       "/instance_attributes/nvpair[@name='ip']", group);
	ret = query_value(b, xpath, "read the group's address", address, err);
	free(xpath);
	return ret;
}

/* ---- the backend interface -------------------------------------------- */

static struct pcmk *of(struct clu_backend *b)
{
	return (struct pcmk *)b;
}

static int op_read(struct clu_backend *b, bool full, struct clu_cluster *out,
		   struct clu_err *err)
{
	return full ? pcmk_read(of(b), out, err) : pcmk_read_status(of(b), out, err);
}

static int op_idle(struct clu_backend *b, bool *idle, struct clu_err *err)
{
	return pcmk_idle(of(b), idle, err);
}

/* A constraint change: the location's XML is its detail, to restore it by hand. */
static int prepare_location(struct pcmk *b, const struct clu_intent *in,
			    struct clu_change *c, bool *already, struct clu_err *err)
{
	bool ban = in->verb == CLU_VERB_BAN;
	char *id = ban ? ban_id(in->group, in->node) : prefer_id(in->group);
	struct clu_location loc = { id, in->group, in->node, ban };
	int ret = pcmk_constraint_exists(b, id, already, err);

	c->kind = clu__xstrdup(CLU_PCMK_CHANGE_CONSTRAINT);
	c->target = id;
	c->name = clu__xstrdup(in->group);
	c->value = clu__xstrdup(ban ? "-INFINITY" : "INFINITY");
	c->detail = location_xml(&loc);
	return ret;
}

static int op_prepare(struct clu_backend *base, const struct clu_intent *in,
		      struct clu_change *c, bool *already, struct clu_err *err)
{
	struct pcmk *b = of(base);
	int ret = 0;

	memset(c, 0, sizeof(*c));
	*already = false;
	c->node = clu__xstrdup_or_null(in->node);
	c->group = clu__xstrdup_or_null(in->group);
	switch (in->verb) {
	case CLU_VERB_PIN:
		c->kind = clu__xstrdup(CLU_PCMK_CHANGE_META);
		c->target = clu__xstrdup(in->group);
		c->name = clu__xstrdup("is-managed");
		c->value = clu__xstrdup("false");
		ret = pcmk_get_meta(b, in->group, "is-managed", &c->prior, err);
		break;
	case CLU_VERB_DRAIN:
	case CLU_VERB_VERSION:
		c->kind = clu__xstrdup(CLU_PCMK_CHANGE_NODE_ATTRIBUTE);
		c->target = clu__xstrdup(in->node);
		c->name = clu__xstrdup(in->verb == CLU_VERB_DRAIN ? "standby" : b->version_attribute);
		c->value = clu__xstrdup(in->verb == CLU_VERB_DRAIN ? "on" : in->value);
		ret = pcmk_get_node_attr(b, in->node, c->name, &c->prior, err);
		/* A version the installer recorded already: journalled, not written again. */
		*already = !ret && in->verb == CLU_VERB_VERSION && clu__streq(c->prior, c->value);
		break;
	case CLU_VERB_BAN:
	case CLU_VERB_PREFER:
		ret = prepare_location(b, in, c, already, err);
		break;
	default:
		BUG("the Pacemaker backend cannot prepare '%s'", clu_verb_name(in->verb));
	}
	if (ret)
		clu_change_release(c);
	return ret;
}

static int apply_one(struct pcmk *b, const struct clu_change *c, struct clu_err *err)
{
	if (!strcmp(c->kind, CLU_PCMK_CHANGE_META))
		return pcmk_set_meta(b, c->target, c->name, c->value, err);
	if (!strcmp(c->kind, CLU_PCMK_CHANGE_NODE_ATTRIBUTE))
		return pcmk_set_node_attr(b, c->target, c->name, c->value, err);
	BUG("the Pacemaker backend cannot apply a change of kind '%s'", c->kind);
}

/* Attributes one by one; the constraints together, in one CIB update. */
static int op_apply(struct clu_backend *base, const struct clu_change *changes, size_t n,
		    struct clu_err *err)
{
	struct pcmk *b = of(base);
	struct clu_location *locs = clu__xcalloc(n ? n : 1, sizeof(*locs));
	size_t n_locs = 0;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		const struct clu_change *c = &changes[i];

		if (strcmp(c->kind, CLU_PCMK_CHANGE_CONSTRAINT))
			ret = apply_one(b, c, err);
		else
			locs[n_locs++] = (struct clu_location){ c->target, c->group, c->node,
								c->value && c->value[0] == '-' };
	}
	if (!ret && n_locs)
		ret = pcmk_add_locations(b, locs, n_locs, err);
	free(locs);
	return ret;
}

static int op_undo(struct clu_backend *base, const struct clu_change *c, struct clu_err *err)
{
	struct pcmk *b = of(base);

	if (!strcmp(c->kind, CLU_PCMK_CHANGE_META))
		return pcmk_set_meta(b, c->target, c->name, c->prior, err);
	if (!strcmp(c->kind, CLU_PCMK_CHANGE_NODE_ATTRIBUTE))
		return pcmk_set_node_attr(b, c->target, c->name, c->prior, err);
	if (!strcmp(c->kind, CLU_PCMK_CHANGE_CONSTRAINT))
		return pcmk_remove_constraint(b, c->target, err);
	BUG("the Pacemaker backend cannot undo a change of kind '%s'", c->kind);
}

static enum clu_verb op_verb_of(const struct clu_change *c)
{
	if (!strcmp(c->kind, CLU_PCMK_CHANGE_META))
		return CLU_VERB_PIN;
	if (!strcmp(c->kind, CLU_PCMK_CHANGE_NODE_ATTRIBUTE))
		return clu__streq(c->name, "standby") ? CLU_VERB_DRAIN : CLU_VERB_VERSION;
	if (!strcmp(c->kind, CLU_PCMK_CHANGE_CONSTRAINT))
		return c->value && c->value[0] == '-' ? CLU_VERB_BAN : CLU_VERB_PREFER;
	return CLU_VERB_NONE;
}

static int op_refresh(struct clu_backend *b, const char *group, const char *node,
		      struct clu_err *err)
{
	return pcmk_refresh(of(b), group, node, err);
}

static int op_start(struct clu_backend *base, const struct clu_node_command *cmd,
		    struct clu_proc *proc, struct clu_err *err)
{
	int ret = clu_transport_shell(of(base)->transport, cmd->node, proc, cmd->command,
				      cmd->env, err);

	return ret ? ret : clu_proc_start(proc, err);
}

static int op_lock_read(struct clu_backend *b, struct clu_lock_holder *h, bool *exists,
			struct clu_err *err)
{
	return pcmk_lock_read(of(b), h, exists, err);
}

static int op_lock_create(struct clu_backend *b, const struct clu_lock_holder *h,
			  bool *created, struct clu_err *err)
{
	return pcmk_lock_create(of(b), h, created, err);
}

static int op_lock_renew(struct clu_backend *b, const char *token, unsigned long beat,
			 bool *held, struct clu_err *err)
{
	return pcmk_lock_renew(of(b), token, beat, held, err);
}

static int op_lock_delete(struct clu_backend *b, const char *token, unsigned long beat,
			  struct clu_err *err)
{
	return pcmk_lock_delete(of(b), token, beat, err);
}

static int op_group_address(struct clu_backend *b, const char *group, char **address,
			    struct clu_err *err)
{
	return pcmk_group_address(of(b), group, address, err);
}

static int op_lock_request_abort(struct clu_backend *b, const char *token, const char *by,
				 bool *held, struct clu_err *err)
{
	return pcmk_lock_request_abort(of(b), token, by, held, err);
}

static void op_release(struct clu_backend *base)
{
	struct pcmk *b = of(base);

	for (size_t i = 0; i < b->n_control_nodes; i++)
		free(b->control_nodes[i]);
	free(b->control_nodes);
	free(b->version_attribute);
	free(b->dc);
	free(b->cluster_name);
	free(b);
}

static const struct clu_backend_ops pacemaker_ops = {
	.name = "pacemaker",
	.read = op_read,
	.idle = op_idle,
	.settle = clu_backend_settle_poll,
	.prepare = op_prepare,
	.apply = op_apply,
	.undo = op_undo,
	.verb_of = op_verb_of,
	.refresh = op_refresh,
	.start = op_start,
	.lock_read = op_lock_read,
	.lock_create = op_lock_create,
	.lock_renew = op_lock_renew,
	.lock_delete = op_lock_delete,
	.lock_request_abort = op_lock_request_abort,
	.group_address = op_group_address,
	.release = op_release,
};

struct clu_backend *clu_pacemaker_backend_new(struct clu_transport *transport,
					      const char *const *nodes, size_t n_nodes,
					      const char *version_attribute)
{
	struct pcmk *b = clu__xcalloc(1, sizeof(*b));

	b->base.ops = &pacemaker_ops;
	b->transport = transport;
	b->n_control_nodes = n_nodes ? n_nodes : 1;
	b->control_nodes = clu__xcalloc(b->n_control_nodes, sizeof(char *));
	for (size_t i = 0; i < n_nodes; i++)
		b->control_nodes[i] = clu__xstrdup(nodes[i]);
	b->version_attribute = clu__xstrdup_or_null(version_attribute);
	b->timeout_ms = 30000;
	return &b->base;
}
