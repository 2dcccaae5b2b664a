/*
 * Transports: how clupdate runs a command on a cluster node.
 *
 *   local   clupdate runs on a cluster node (`self`): that node's commands
 *           run here, every other node's over ssh, exactly as the ssh
 *           transport runs them (a command never runs on the wrong node)
 *   netns   inside a node of a `clupdate lab` (nsenter into the node's
 *           network, mount and UTS namespaces, exactly as `lab exec`)
 *   ssh     with the OpenSSH client: BatchMode=yes, StrictHostKeyChecking=yes,
 *           a ConnectTimeout, and one master connection per node reused by
 *           every command (ControlMaster). The node's name is the ssh host:
 *           map it to an address, port, user and key in an ssh_config file.
 *
 * A transport only prepares a struct clu_proc (see proc.h); the caller runs
 * it and owns the result, so timeouts, capture and errors work the same on
 * every transport. Commands are argv vectors; data never enters a shell
 * line. The one exception is ssh itself, whose remote side always runs a
 * shell: there every argument is quoted for it (single quotes), so a node
 * name or value reaches the remote program as one argument, verbatim.
 */
#ifndef CLUPDATE_TRANSPORT_H
#define CLUPDATE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "clupdate/err.h"
#include "clupdate/lab-layout.h"
#include "clupdate/proc.h"

enum clu_transport_kind {
	CLU_TRANSPORT_LOCAL,
	CLU_TRANSPORT_NETNS,
	CLU_TRANSPORT_SSH,
};

/* Where labs keep their state (lab/clupdate-lab). */
#define CLU_LAB_ROOT "/var/lib/clupdate-lab"

struct clu_transport {
	enum clu_transport_kind kind;
	char *self;             /* local: the cluster node this machine is, or NULL */
	char *lab;              /* netns: the lab's name */
	char *lab_root;         /* netns: CLU_LAB_ROOT unless changed */
	struct clu_lab_layout layout;   /* netns: the lab's namespaces, from its layout file */
	char *ssh_config;       /* ssh, local: an ssh_config file (-F), or NULL */
	char *control_dir;      /* ssh, local: directory of the master connections' sockets */
	bool control_ready;     /* control_dir checked (local: at the first ssh) */
	unsigned connect_timeout_s;     /* ssh: default 10 */
	char **masters;         /* ssh: nodes with a master connection, closed on release */
	size_t n_masters;
};

/*
 * Local: this machine is the cluster node `self` (NULL when it is none:
 * then only commands for no node in particular can run). Commands for
 * `self` (or for no node) run here; commands for any other node go over
 * ssh with ssh_config (may be NULL: the user's own configuration), the
 * control directory made at the first of them. CLU_E_IO for an ssh_config
 * that cannot be read.
 */
int clu_transport_init_local(struct clu_transport *t, const char *self, const char *ssh_config,
			     struct clu_err *err);

/*
 * netns: the nodes of lab `lab`, as its layout file says (lab-layout.h;
 * the lab root is $CLU_LAB_ROOT, else CLU_LAB_ROOT). CLU_E_IO when no such
 * lab is running, CLU_E_CLUSTER when its layout file cannot be parsed.
 */
int clu_transport_init_netns(struct clu_transport *t, const char *lab, struct clu_err *err);

/*
 * ssh: ssh_config may be NULL (the user's own configuration applies);
 * control_dir is created (mode 0700) if missing; NULL picks
 * /run/clupdate/ssh-UID. An existing control_dir must be a directory (not
 * a symlink) owned by us with mode 0700, or CLU_E_IO.
 */
int clu_transport_init_ssh(struct clu_transport *t, const char *ssh_config,
			   const char *control_dir, struct clu_err *err);

/* Close ssh master connections this transport opened; free its contents. */
void clu_transport_release(struct clu_transport *t);

/*
 * Prepare proc (initialised, argv still empty) to run argv on node.
 * node may be NULL for the local transport (this machine). Environment
 * changes made to proc BEFORE this call (clu_proc_setenv) reach the
 * command on every transport (over ssh, through `env` on the remote side).
 * Returns 0, CLU_E_USAGE for a node the transport cannot address (a name
 * that is no host name, a node of no lab, another node when the local
 * transport does not know which node it is), or CLU_E_IO when the ssh
 * control directory is unsafe.
 */
int clu_transport_command(struct clu_transport *t, const char *node, struct clu_proc *proc,
			  const char *const *argv, struct clu_err *err);

/*
 * Prepare proc to run a manifest command string (installer, verify, hook)
 * with /bin/sh on node, with env ("NAME=VALUE", NULL-terminated) added to
 * its environment: the way data reaches such a command.
 */
int clu_transport_shell(struct clu_transport *t, const char *node, struct clu_proc *proc,
			const char *command, const char *const *env, struct clu_err *err);

/*
 * Quote s for a POSIX shell: the result, newly allocated, is one word that
 * the shell turns back into exactly s.
 */
char *clu_shell_quote(const char *s);

/*
 * Whether node's commands run on this machine (local transport, node
 * NULL or self), rather than through ssh or nsenter.
 */
bool clu_transport_is_here(const struct clu_transport *t, const char *node);

/*
 * Check, before any change, that node answers on this transport and is
 * the machine the cluster calls node: its own name for itself (`crm_node
 * -n`, or `uname -n` where the cluster stack is down) must be node. So an
 * ssh_config that maps a name to the wrong host is caught before a single
 * installer runs there. CLU_E_SPAWN (cannot reach it: how to fix that is in
 * the message) or CLU_E_CLUSTER (it is another machine).
 */
int clu_transport_check_node(struct clu_transport *t, const char *node, struct clu_err *err);

/* "local", "netns", "ssh". */
const char *clu_transport_name(enum clu_transport_kind kind);

#endif
