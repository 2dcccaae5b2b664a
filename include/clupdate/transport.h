/*
 * Transports: how clupdate runs a command on a cluster node.
 *
 *   local   on this machine (clupdate runs on the node itself)
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

#include <stddef.h>

#include "clupdate/err.h"
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
	char *lab;              /* netns: the lab's name */
	char *lab_root;         /* netns: CLU_LAB_ROOT unless changed */
	char *ssh_config;       /* ssh: an ssh_config file (-F), or NULL */
	char *control_dir;      /* ssh: directory of the master connections' sockets */
	unsigned connect_timeout_s;     /* ssh: default 10 */
	char **masters;         /* ssh: nodes with a master connection, closed on release */
	size_t n_masters;
};

/* Local: every command runs here. */
void clu_transport_init_local(struct clu_transport *t);

/* netns: the nodes of lab `lab`; CLU_E_IO when no such lab is running. */
int clu_transport_init_netns(struct clu_transport *t, const char *lab, struct clu_err *err);

/*
 * ssh: ssh_config may be NULL (the user's own configuration applies);
 * control_dir is created (mode 0700) if missing; NULL picks
 * /run/clupdate/ssh-UID.
 */
int clu_transport_init_ssh(struct clu_transport *t, const char *ssh_config,
			   const char *control_dir, struct clu_err *err);

/* Close ssh master connections this transport opened; free its contents. */
void clu_transport_release(struct clu_transport *t);

/*
 * Prepare proc (initialised, argv still empty) to run argv on node.
 * node may be NULL for the local transport. Environment changes made to
 * proc BEFORE this call (clu_proc_setenv) reach the command on every
 * transport (over ssh, through `env` on the remote side).
 * Returns 0, or CLU_E_USAGE for a node the transport cannot address.
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

/* "local", "netns", "ssh". */
const char *clu_transport_name(enum clu_transport_kind kind);

#endif
