/*
 * The layout of a `clupdate lab`, as the lab itself describes it: the file
 * STATE/layout that `clupdate lab up` writes (lab/README.md, "The layout
 * file"). It says where each node's network, mount and UTS namespaces are,
 * in which order the nodes come, and where the client (the users) stands,
 * so that the library never rebuilds those paths from naming rules of the
 * lab script.
 *
 * The format, one record a line, fields separated by spaces or tabs (no
 * field holds white space), blank lines and lines starting with '#'
 * ignored:
 *
 *   lab NAME
 *   client-netns PATH
 *   node NAME NETNS-PATH MOUNT-NS-PATH UTS-NS-PATH     (one a node, in order)
 *
 * Every path is absolute; node names follow clu_name_check() (cluster.h).
 */
#ifndef CLUPDATE_LAB_LAYOUT_H
#define CLUPDATE_LAB_LAYOUT_H

#include <stddef.h>

#include "clupdate/err.h"

/* The file's name inside the lab's state directory (ROOT/NAME/). */
#define CLU_LAB_LAYOUT_FILE "layout"

struct clu_lab_node {
	char *name;           /* "n1": the node's cluster name */
	char *netns;          /* its network namespace, for nsenter --net= */
	char *mount_ns;       /* its mount namespace, for nsenter --mount= */
	char *uts_ns;         /* its UTS namespace, for nsenter --uts= */
};

struct clu_lab_layout {
	char *path;                   /* the file read (for messages) */
	char *lab;                    /* the lab's name */
	char *client_netns;           /* where the users stand (probes run there) */
	struct clu_lab_node *nodes;   /* in the lab's order (n1 first) */
	size_t n_nodes;
};

/*
 * Read the layout of lab `lab` kept under root (ROOT/LAB/layout) into
 * *layout (initialised by it; release with clu_lab_layout_release(), also
 * after a failure). CLU_E_IO when there is no such file (no such lab is
 * running: the message says how to start one) or it cannot be read;
 * CLU_E_CLUSTER when its text is not a layout (file and line named), or
 * names a lab other than `lab`.
 */
int clu_lab_layout_load(struct clu_lab_layout *layout, const char *root, const char *lab,
			struct clu_err *err);

/*
 * Parse the text of a layout file; path only names it in messages. The
 * same errors and ownership as clu_lab_layout_load() (the lab's name is
 * not checked against anything).
 */
int clu_lab_layout_parse(struct clu_lab_layout *layout, const char *text, const char *path,
			 struct clu_err *err);

/* The node called name, or NULL when the lab has none. */
const struct clu_lab_node *clu_lab_layout_node(const struct clu_lab_layout *layout,
					       const char *name);

/* Free the contents of *layout and zero it. */
void clu_lab_layout_release(struct clu_lab_layout *layout);

#endif
