/*
 * Transports (see transport.h): turning "run this on node N" into the argv
 * of a local process: the command itself (local, for this node), nsenter
 * into the lab node's namespaces (netns), or ssh with a quoted remote
 * command line (ssh, and local for every other node).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clupdate/cluster.h"
#include "clupdate/transport.h"
#include "util.h"

const char *clu_transport_name(enum clu_transport_kind kind)
{
	switch (kind) {
	case CLU_TRANSPORT_LOCAL:
		return "local";
	case CLU_TRANSPORT_NETNS:
		return "netns";
	case CLU_TRANSPORT_SSH:
		return "ssh";
	}
	BUG("unknown transport %d", (int)kind);
}

/*
 * The settings every ssh connection shares (ssh, and local for other
 * nodes); an ssh_config that cannot be read is refused (t released).
 */
static int ssh_settings(struct clu_transport *t, const char *ssh_config, const char *control_dir,
			struct clu_err *err)
{
	int ret;

	t->connect_timeout_s = 10;
	t->ssh_config = clu__xstrdup_or_null(ssh_config);
	t->control_dir = control_dir ? clu__xstrdup(control_dir)
				     : clu__xasprintf("/run/clupdate/ssh-%u", (unsigned)geteuid());
	if (!ssh_config || access(ssh_config, R_OK) == 0)
		return 0;
	ret = clu_err_set(err, CLU_E_IO, "cannot read ssh configuration '%s': %s", ssh_config,
			  strerror(errno));
	clu_transport_release(t);
	return ret;
}

int clu_transport_init_local(struct clu_transport *t, const char *self, const char *ssh_config,
			     struct clu_err *err)
{
	memset(t, 0, sizeof(*t));
	t->kind = CLU_TRANSPORT_LOCAL;
	t->self = clu__xstrdup_or_null(self);
	return ssh_settings(t, ssh_config, NULL, err);
}

int clu_transport_init_netns(struct clu_transport *t, const char *lab, struct clu_err *err)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->kind = CLU_TRANSPORT_NETNS;
	t->lab = clu__xstrdup(lab);
	t->lab_root = clu__xstrdup(getenv("CLU_LAB_ROOT") ? getenv("CLU_LAB_ROOT") : CLU_LAB_ROOT);
	ret = clu_lab_layout_load(&t->layout, t->lab_root, lab, err);
	if (ret)
		clu_transport_release(t);
	return ret;
}

static int make_private_dir(const char *path, struct clu_err *err)
{
	char partial[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof(partial))
		return clu_err_set(err, CLU_E_IO, "path too long: '%s'", path);
	/* mkdir -p, the last component private to us. */
	for (const char *p = strchr(path + 1, '/'); ; p = strchr(p + 1, '/')) {
		size_t len = p ? (size_t)(p - path) : strlen(path);

		memcpy(partial, path, len);
		partial[len] = '\0';
		if (mkdir(partial, p ? 0755 : 0700) != 0 && errno != EEXIST)
			return clu_err_set(err, CLU_E_IO, "cannot create '%s': %s", partial,
					   strerror(errno));
		if (!p)
			break;
	}
	/* lstat: a symlink planted there would lead our sockets elsewhere. */
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		return clu_err_set(err, CLU_E_IO, "'%s' must be a directory (not a symlink) owned "
				   "by us with mode 0700 (it holds ssh control sockets)", path);
	return 0;
}

int clu_transport_init_ssh(struct clu_transport *t, const char *ssh_config,
			   const char *control_dir, struct clu_err *err)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->kind = CLU_TRANSPORT_SSH;
	if ((ret = ssh_settings(t, ssh_config, control_dir, err)))
		return ret;
	ret = make_private_dir(t->control_dir, err);
	if (ret)
		clu_transport_release(t);
	t->control_ready = !ret;
	return ret;
}

/* The ssh options every connection uses, before the host. */
static void ssh_options(const struct clu_transport *t, struct clu_proc *proc)
{
	clu_proc_arg(proc, "ssh");
	if (t->ssh_config) {
		clu_proc_arg(proc, "-F");
		clu_proc_arg(proc, t->ssh_config);
	}
	clu_proc_args(proc, (const char *const[]){
		"-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "ControlMaster=auto",
		"-o", "ControlPersist=30",
		"-o", "LogLevel=ERROR",
		NULL });
	clu_proc_argf(proc, "-oConnectTimeout=%u", t->connect_timeout_s);
	clu_proc_argf(proc, "-oControlPath=%s/%%C", t->control_dir);
}

static void remember_master(struct clu_transport *t, const char *node)
{
	for (size_t i = 0; i < t->n_masters; i++)
		if (!strcmp(t->masters[i], node))
			return;
	t->masters = clu__xrealloc(t->masters, (t->n_masters + 1) * sizeof(char *));
	t->masters[t->n_masters++] = clu__xstrdup(node);
}

void clu_transport_release(struct clu_transport *t)
{
	for (size_t i = 0; i < t->n_masters; i++) {
		struct clu_proc proc;

		/* End the master connection we started; it would linger otherwise. */
		clu_proc_init(&proc);
		ssh_options(t, &proc);
		clu_proc_args(&proc, (const char *const[]){ "-O", "exit", "--", t->masters[i], NULL });
		proc.timeout_ms = 5000;
		clu_proc_run(&proc, NULL);
		clu_proc_release(&proc);
		free(t->masters[i]);
	}
	free(t->masters);
	free(t->self);
	free(t->lab);
	free(t->lab_root);
	clu_lab_layout_release(&t->layout);
	free(t->ssh_config);
	free(t->control_dir);
	memset(t, 0, sizeof(*t));
}

char *clu_shell_quote(const char *s)
{
	size_t n = 2;
	char *q, *out;

	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	out = q = clu__xmalloc(n + 1);
	*q++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(q, "'\\''", 4);
			q += 4;
		} else {
			*q++ = *p;
		}
	}
	*q++ = '\'';
	*q = '\0';
	return out;
}

/* Append the quoted word to a growing remote command line. */
static void append_word(char **line, const char *word)
{
	char *quoted = clu_shell_quote(word);
	char *next = clu__xasprintf("%s%s%s", *line ? *line : "", *line ? " " : "", quoted);

	free(quoted);
	free(*line);
	*line = next;
}

/*
 * A node name follows the one rule of cluster.h, so it cannot read as an
 * ssh option, user@host, a %-token or more than one shell word.
 */
static bool valid_node(const char *node)
{
	return !clu_name_check(node);
}

bool clu_transport_is_here(const struct clu_transport *t, const char *node)
{
	return t->kind == CLU_TRANSPORT_LOCAL && (!node || clu__streq(node, t->self));
}

/* ssh to node: the quoted remote command line (env first, then argv). */
static int ssh_command(struct clu_transport *t, const char *node, struct clu_proc *proc,
		       const char *const *argv, struct clu_err *err)
{
	char *remote = NULL;

	if (!valid_node(node)) {
		struct clu_err why = CLU_ERR_INIT;

		clu_name_validate(node, "node name", "ssh", &why);
		return clu_err_set(err, CLU_E_USAGE, "%s", why.msg);
	}
	if (!t->control_ready) {
		int ret = make_private_dir(t->control_dir, err);

		if (ret)
			return ret;
		t->control_ready = true;
	}
	ssh_options(t, proc);
	clu_proc_arg(proc, "--");
	clu_proc_arg(proc, node);
	/* The remote side runs a shell: quote every word, env first. */
	if (proc->n_env) {
		append_word(&remote, "env");
		for (size_t i = 0; i < proc->n_env; i++) {
			if (strchr(proc->env[i], '=')) {
				append_word(&remote, proc->env[i]);
			} else {
				append_word(&remote, "-u");
				append_word(&remote, proc->env[i]);
			}
		}
	}
	for (size_t i = 0; argv[i]; i++)
		append_word(&remote, argv[i]);
	clu_proc_arg(proc, remote);
	free(remote);
	remember_master(t, node);
	return 0;
}

int clu_transport_command(struct clu_transport *t, const char *node, struct clu_proc *proc,
			  const char *const *argv, struct clu_err *err)
{
	const struct clu_lab_node *lab_node;

	if (proc->argc)
		BUG("transport: proc already has a command");
	switch (t->kind) {
	case CLU_TRANSPORT_LOCAL:
		if (clu_transport_is_here(t, node)) {
			clu_proc_args(proc, argv);
			return 0;
		}
		if (!t->self)
			return clu_err_set(err, CLU_E_USAGE, "cannot run a command on node '%s': "
					   "this machine does not know which cluster node it is",
					   node);
		return ssh_command(t, node, proc, argv, err);
	case CLU_TRANSPORT_NETNS:
		if (!valid_node(node))
			return clu_err_set(err, CLU_E_USAGE, "lab '%s': bad node name '%s'", t->lab,
					   node ? node : "(none)");
		lab_node = clu_lab_layout_node(&t->layout, node);
		if (!lab_node)
			return clu_err_set(err, CLU_E_USAGE, "lab '%s' has no node '%s'", t->lab, node);
		clu_proc_arg(proc, "nsenter");
		clu_proc_argf(proc, "--net=%s", lab_node->netns);
		clu_proc_argf(proc, "--mount=%s", lab_node->mount_ns);
		clu_proc_argf(proc, "--uts=%s", lab_node->uts_ns);
		clu_proc_arg(proc, "--wd=/");
		clu_proc_arg(proc, "--");
		clu_proc_args(proc, argv);
		return 0;
	case CLU_TRANSPORT_SSH:
		return ssh_command(t, node, proc, argv, err);
	}
	BUG("unknown transport %d", (int)t->kind);
}

int clu_transport_shell(struct clu_transport *t, const char *node, struct clu_proc *proc,
			const char *command, const char *const *env, struct clu_err *err)
{
	const char *argv[] = { "/bin/sh", "-c", command, NULL };

	for (size_t i = 0; env && env[i]; i++)
		clu_proc_env(proc, env[i]);
	if (!proc->name)
		proc->name = command;
	return clu_transport_command(t, node, proc, argv, err);
}

int clu_transport_check_node(struct clu_transport *t, const char *node, struct clu_err *err)
{
	/* A fixed command line: no data in it. */
	static const char *const whoami[] = {
		"/bin/sh", "-c", "crm_node -n 2>/dev/null || uname -n", NULL
	};
	struct clu_err why = CLU_ERR_INIT;
	struct clu_proc proc;
	int ret;

	clu_proc_init(&proc);
	proc.name = "crm_node -n";
	proc.timeout_ms = (t->connect_timeout_s + 20) * 1000;
	ret = clu_transport_command(t, node, &proc, whoami, err);
	if (!ret && clu_proc_run(&proc, &why)) {
		if (t->kind == CLU_TRANSPORT_NETNS) {
			ret = clu_err_set(err, CLU_E_SPAWN, "cannot reach node '%s' of lab '%s': %s",
					  node, t->lab, why.msg);
		} else {
			char *try = clu__xasprintf("ssh %s%s%s%s true", t->ssh_config ? "-F " : "",
						   t->ssh_config ? t->ssh_config : "",
						   t->ssh_config ? " " : "", node);

			ret = clu_err_set(err, CLU_E_SPAWN, "cannot reach node '%s' over ssh (%s); "
					  "clupdate runs each node's installer on that node: make "
					  "'%s' work as this user without a password (key, "
					  "known_hosts entry), or name an ssh_config with --ssh-config",
					  node, why.msg, try);
			free(try);
		}
	} else if (!ret) {
		const char *name = proc.out.buf ? proc.out.buf : "";
		size_t len = strcspn(name, "\r\n");

		if (len != strlen(node) || strncmp(name, node, len))
			ret = clu_err_set(err, CLU_E_CLUSTER, "node '%s' is not the machine reached "
					  "for it: that machine calls itself '%.*s'%s", node, (int)len,
					  name, t->kind == CLU_TRANSPORT_NETNS ? "" :
					  " (check the ssh_config's HostName for it)");
	}
	clu_proc_release(&proc);
	return ret;
}
