/*
 * Targets (see target.h): from a --cluster string to a transport and a
 * backend (live clusters) or a saved state (files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/pacemaker.h"
#include "clupdate/pacemaker-backend.h"
#include "clupdate/plan.h"
#include "clupdate/probe.h"
#include "clupdate/proc.h"
#include "clupdate/sim.h"
#include "clupdate/static.h"
#include "clupdate/target.h"
#include "util.h"

/*
 * This machine's name in its cluster (`crm_node -n`): the node whose
 * commands run here; every other node's go over ssh.
 */
static int this_node(char **name, struct clu_err *err)
{
	struct clu_proc proc;
	struct clu_err why = CLU_ERR_INIT;
	size_t len;
	int ret;

	*name = NULL;
	clu_proc_init(&proc);
	clu_proc_args(&proc, (const char *const[]){ "crm_node", "-n", NULL });
	proc.timeout_ms = 30000;
	ret = clu_proc_run(&proc, &why);
	len = proc.out.buf ? strcspn(proc.out.buf, "\n") : 0;
	if (!ret && len)
		*name = clu__xstrndup(proc.out.buf, len);
	else
		ret = clu_err_set(err, CLU_E_CLUSTER, "this machine is not a running cluster node "
				  "(%s): run clupdate on a node of the cluster, or from an admin "
				  "host with --cluster ssh:NODE[,NODE...]",
				  ret ? why.msg : "'crm_node -n' printed no name");
	clu_proc_release(&proc);
	return ret;
}

/*
 * Which node this machine is, it learns before the first command for a
 * node (clu_target_check_nodes()): reading the cluster needs no more.
 */
static int open_this_node(struct clu_target *t, const char *arg, const char *ssh_config,
			  struct clu_err *err)
{
	(void)arg;
	int ret = clu_transport_init_local(&t->transport, NULL, ssh_config, err);

	if (!ret)
		t->backend = clu_pacemaker_backend_new(&t->transport, NULL, 0, t->version_attribute);
	return ret;
}

/* A lab: its nodes, in order, from the layout file it wrote (lab-layout.h). */
static int open_lab(struct clu_target *t, const char *name, const char *ssh_config,
		    struct clu_err *err)
{
	const struct clu_lab_layout *layout;
	const char **names;
	int ret = clu_transport_init_netns(&t->transport, name, err);

	(void)ssh_config;
	if (ret)
		return ret;
	layout = &t->transport.layout;
	names = clu__xcalloc(layout->n_nodes + 1, sizeof(*names));
	for (size_t i = 0; i < layout->n_nodes; i++)
		names[i] = layout->nodes[i].name;
	t->backend = clu_pacemaker_backend_new(&t->transport, names, layout->n_nodes,
					       t->version_attribute);
	free(names);
	t->lab = clu__xstrdup(name);
	return 0;
}

static int open_ssh(struct clu_target *t, const char *hosts, const char *ssh_config,
		    struct clu_err *err)
{
	struct clu__strv nodes = { 0 };
	char *copy = clu__xstrdup(hosts), *save = NULL;
	int ret;

	for (char *h = strtok_r(copy, ",", &save); h; h = strtok_r(NULL, ",", &save))
		clu__strv_push(&nodes, h);
	free(copy);
	if (!nodes.n)
		return clu_err_set(err, CLU_E_USAGE, "cluster 'ssh:' names no host "
				   "(expected ssh:HOST[,HOST...])");
	ret = clu_transport_init_ssh(&t->transport, ssh_config, NULL, err);
	if (!ret)
		t->backend = clu_pacemaker_backend_new(&t->transport, (const char *const *)nodes.v,
						       nodes.n, t->version_attribute);
	clu__strv_release(&nodes);
	return ret;
}

/* A simulated cluster: its state lives beside its description, in FILE.state. */
static int open_sim(struct clu_target *t, const char *file, const char *ssh_config,
		    struct clu_err *err)
{
	char *state = clu__xasprintf("%s.state", file);
	int ret = clu_sim_open(&t->sim, file, state, err);

	(void)ssh_config;
	free(state);
	if (!ret)
		t->backend = clu_sim_backend(t->sim);
	return ret;
}

static int read_xml(struct clu_target *t, struct clu_cluster *out, struct clu_err *err)
{
	return clu_pacemaker_read_file(out, t->arg, t->version_attribute, err);
}

static int read_static(struct clu_target *t, struct clu_cluster *out, struct clu_err *err)
{
	return clu_static_load(out, t->arg, err);
}

/*
 * The kinds of --cluster: a live one is opened to a backend, a saved state
 * is read by clu_target_read(). A new backend is one line here.
 */
struct target_kind {
	const char *name;         /* "pacemaker", or the KIND of "KIND:ARG" */
	const char *arg;          /* "FILE", ...: what follows the colon; NULL: none */
	const char *noun;         /* for "cluster 'xml:' names no file" */
	int (*open)(struct clu_target *t, const char *arg, const char *ssh_config,
		    struct clu_err *err);
	int (*read)(struct clu_target *t, struct clu_cluster *out, struct clu_err *err);
};

static const struct target_kind kinds[] = {
	{ "pacemaker", NULL, NULL, open_this_node, NULL },
	{ "lab", "NAME", "lab", open_lab, NULL },
	{ "ssh", "HOST[,HOST...]", "host", open_ssh, NULL },
	{ "sim", "FILE", "file", open_sim, NULL },
	{ "xml", "FILE", "file", NULL, read_xml },
	{ "static", "FILE", "file", NULL, read_static },
};

/* The kind spec names, and its argument; NULL for an unknown spec. */
static const struct target_kind *kind_of(const char *spec, const char **arg)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].name);

		if (strncmp(spec, kinds[i].name, n))
			continue;
		if (!kinds[i].arg && !spec[n]) {
			*arg = NULL;
			return &kinds[i];
		}
		if (kinds[i].arg && spec[n] == ':') {
			*arg = spec + n + 1;
			return &kinds[i];
		}
	}
	return NULL;
}

static int open_kind(struct clu_target *t, const char *ssh_config, struct clu_err *err)
{
	const struct target_kind *k = kind_of(t->spec, &t->arg);

	if (!k && !*t->spec)
		return clu_err_set(err, CLU_E_USAGE, "no cluster (expected " CLU_TARGETS_EXPECTED ")");
	if (!k)
		return clu_err_set(err, CLU_E_USAGE, "unknown cluster '%s' (expected "
				   CLU_TARGETS_EXPECTED ")", t->spec);
	if (k->arg && !*t->arg)
		return clu_err_set(err, CLU_E_USAGE, "cluster '%s' names no %s (expected %s:%s)",
				   t->spec, k->noun, k->name, k->arg);
	t->read = k->read;
	return k->open ? k->open(t, t->arg, ssh_config, err) : 0;
}

int clu_target_open(struct clu_target *t, const char *spec, const char *version_attribute,
		    const char *ssh_config, struct clu_err *err)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->spec = clu__xstrdup(spec ? spec : "");
	t->version_attribute = clu__xstrdup_or_null(version_attribute);
	ret = open_kind(t, ssh_config, err);
	t->live = !ret && t->backend;
	if (ret) {
		free(t->spec);
		free(t->version_attribute);
		memset(t, 0, sizeof(*t));
	}
	return ret;
}

int clu_target_read(struct clu_target *t, struct clu_cluster *out, struct clu_err *err)
{
	if (t->live)
		return t->backend->ops->read(t->backend, true, out, err);
	memset(out, 0, sizeof(*out));
	return t->read(t, out, err);
}

int clu_target_check_nodes(struct clu_target *t, const struct clu_plan *plan,
			   void (*checking)(void *ctx, const char *node), void *ctx,
			   struct clu_err *err)
{
	struct clu__strv seen = { 0 };
	int ret = 0;

	if (!t->live)
		BUG("checking the nodes of a saved state");
	if (t->sim)
		return 0;   /* simulated nodes are what they say */
	if (t->transport.kind == CLU_TRANSPORT_LOCAL && !t->transport.self)
		ret = this_node(&t->transport.self, err);
	for (size_t i = 0; !ret && i < plan->n_steps; i++) {
		const struct clu_step *s = &plan->steps[i];

		if (!clu_action_runs_on_node(s->action) || clu__strv_has(&seen, s->node))
			continue;
		clu__strv_push(&seen, s->node);
		if (checking)
			checking(ctx, s->node);
		ret = clu_transport_check_node(&t->transport, s->node, err);
	}
	clu__strv_release(&seen);
	return ret;
}

void clu_target_release(struct clu_target *t)
{
	if (t->sim) {
		clu_sim_close(t->sim);
	} else if (t->live) {
		clu_backend_free(t->backend);
		clu_transport_release(&t->transport);
	}
	free(t->spec);
	free(t->lab);
	free(t->version_attribute);
	memset(t, 0, sizeof(*t));
}

void clu_probe_targets_free(struct clu_probe_target *targets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(targets[i].host);
		free(targets[i].netns);
	}
	free(targets);
}

int clu_target_probe_targets(struct clu_target *t, const struct clu_manifest *m,
			     struct clu_probe_target **targets, size_t *n, struct clu_err *err)
{
	struct clu_probe_target *out = clu__xcalloc(m->n_probes ? m->n_probes : 1, sizeof(*out));
	int ret = 0;

	for (size_t i = 0; i < m->n_probes && !ret; i++) {
		const struct clu_probe_spec *spec = &m->probes[i];

		out[i].spec = spec;
		if (t->lab)
			out[i].netns = clu__xstrdup(t->transport.layout.client_netns);
		if (spec->type == CLU_PROBE_COMMAND)
			continue;
		ret = clu_probe_parse_address(spec->address, &out[i].host, &out[i].port, err);
		if (ret)
			clu_err_prefix(err, "probe '%s'", spec->name);
		if (!ret && !out[i].host) {
			ret = t->live ? t->backend->ops->group_address(t->backend, spec->group,
								       &out[i].host, err) : 0;
			if (!ret && !out[i].host)
				ret = clu_err_set(err, CLU_E_CLUSTER, "probe '%s': group '%s' has no "
						  "service address (no IPaddr2 member): give "
						  "address = HOST:PORT", spec->name, spec->group);
		}
	}
	if (ret) {
		clu_probe_targets_free(out, m->n_probes);
		out = NULL;
	}
	*targets = out;
	*n = ret ? 0 : m->n_probes;
	return ret;
}
