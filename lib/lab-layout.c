/*
 * The reader of a lab's layout file (see lab-layout.h): the lab script
 * writes where its namespaces are, and the netns transport and the target
 * read it here, so the naming rules of lab/clupdate-lab live in one place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/cluster.h"
#include "clupdate/display.h"
#include "clupdate/lab-layout.h"
#include "util.h"

/* The most fields a record has: "node" and its four. */
#define MAX_FIELDS 5

/* Split line (modified in place) into at most MAX_FIELDS + 1 fields. */
static size_t split_fields(char *line, char **fields)
{
	size_t n = 0;
	char *save = NULL;

	for (char *f = strtok_r(line, " \t\r", &save); f && n <= MAX_FIELDS;
	     f = strtok_r(NULL, " \t\r", &save))
		fields[n++] = f;
	return n;
}

static int bad_line(struct clu_err *err, const char *path, unsigned line_no, const char *why,
		    const char *value)
{
	char *shown = clu_display(value ? value : "", 80);
	int ret = clu_err_set(err, CLU_E_CLUSTER, "cannot parse lab layout '%s' line %u: %s%s%s%s",
			      path, line_no, why, value ? " '" : "", value ? shown : "",
			      value ? "'" : "");

	free(shown);
	return ret;
}

static int check_path(struct clu_err *err, const char *path, unsigned line_no, const char *p)
{
	return p[0] == '/' ? 0 : bad_line(err, path, line_no, "not an absolute path:", p);
}

static int parse_node(struct clu_lab_layout *layout, char **fields, size_t n, const char *path,
		      unsigned line_no, struct clu_err *err)
{
	struct clu_lab_node *node;
	char *where;
	int ret;

	if (n != 5)
		return bad_line(err, path, line_no, "expected 'node NAME NETNS MOUNT-NS UTS-NS'",
				NULL);
	where = clu__xasprintf("lab layout '%s' line %u", path, line_no);
	ret = clu_name_validate(fields[1], "node name", where, err);
	free(where);
	if (ret)
		return ret;
	if (clu_lab_layout_node(layout, fields[1]))
		return bad_line(err, path, line_no, "a second line for node", fields[1]);
	for (size_t i = 2; i < 5 && !ret; i++)
		ret = check_path(err, path, line_no, fields[i]);
	if (ret)
		return ret;
	layout->nodes = clu__xrealloc(layout->nodes, (layout->n_nodes + 1) * sizeof(*node));
	node = &layout->nodes[layout->n_nodes++];
	node->name = clu__xstrdup(fields[1]);
	node->netns = clu__xstrdup(fields[2]);
	node->mount_ns = clu__xstrdup(fields[3]);
	node->uts_ns = clu__xstrdup(fields[4]);
	return 0;
}

/* One record; a key given twice is an error, not a silent override. */
static int parse_line(struct clu_lab_layout *layout, char *line, const char *path,
		      unsigned line_no, struct clu_err *err)
{
	char *fields[MAX_FIELDS + 1];
	size_t n = split_fields(line, fields);

	if (!n || fields[0][0] == '#')
		return 0;
	if (!strcmp(fields[0], "node"))
		return parse_node(layout, fields, n, path, line_no, err);
	if (!strcmp(fields[0], "lab")) {
		if (n != 2 || layout->lab)
			return bad_line(err, path, line_no, "expected one 'lab NAME'", NULL);
		layout->lab = clu__xstrdup(fields[1]);
		return 0;
	}
	if (!strcmp(fields[0], "client-netns")) {
		if (n != 2 || layout->client_netns)
			return bad_line(err, path, line_no, "expected one 'client-netns PATH'", NULL);
		int ret = check_path(err, path, line_no, fields[1]);

		if (ret)
			return ret;
		layout->client_netns = clu__xstrdup(fields[1]);
		return 0;
	}
	return bad_line(err, path, line_no, "unknown record", fields[0]);
}

int clu_lab_layout_parse(struct clu_lab_layout *layout, const char *text, const char *path,
			 struct clu_err *err)
{
	char *copy = clu__xstrdup(text), *save = NULL, *line;
	unsigned line_no = 0;
	int ret = 0;

	memset(layout, 0, sizeof(*layout));
	layout->path = clu__xstrdup(path);
	/* strtok_r would skip empty lines and so miscount: walk by hand. */
	for (line = copy; line && !ret; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		line_no++;
		ret = parse_line(layout, line, path, line_no, err);
	}
	free(copy);
	if (!ret && !layout->lab)
		ret = clu_err_set(err, CLU_E_CLUSTER, "lab layout '%s' has no 'lab NAME' line", path);
	if (!ret && !layout->client_netns)
		ret = clu_err_set(err, CLU_E_CLUSTER, "lab layout '%s' has no 'client-netns PATH' "
				  "line", path);
	if (!ret && !layout->n_nodes)
		ret = clu_err_set(err, CLU_E_CLUSTER, "lab layout '%s' has no 'node' line", path);
	return ret;
}

int clu_lab_layout_load(struct clu_lab_layout *layout, const char *root, const char *lab,
			struct clu_err *err)
{
	char *path = clu__xasprintf("%s/%s/%s", root, lab, CLU_LAB_LAYOUT_FILE);
	char *text = clu__read_file(path, CLU__READ_MAX, NULL);
	int ret;

	if (!text) {
		memset(layout, 0, sizeof(*layout));
		if (errno == ENOENT)
			ret = clu_err_set(err, CLU_E_IO, "no lab '%s' is running (no '%s'; see "
					  "'clupdate lab up --name %s')", lab, path, lab);
		else
			ret = clu_err_set(err, CLU_E_IO, "cannot read lab layout '%s': %s", path,
					  strerror(errno));
		free(path);
		return ret;
	}
	ret = clu_lab_layout_parse(layout, text, path, err);
	if (!ret && strcmp(layout->lab, lab))
		ret = clu_err_set(err, CLU_E_CLUSTER, "lab layout '%s' describes lab '%s', not '%s'",
				  path, layout->lab, lab);
	free(text);
	free(path);
	return ret;
}

const struct clu_lab_node *clu_lab_layout_node(const struct clu_lab_layout *layout,
					       const char *name)
{
	for (size_t i = 0; i < layout->n_nodes; i++)
		if (clu__streq(layout->nodes[i].name, name))
			return &layout->nodes[i];
	return NULL;
}

void clu_lab_layout_release(struct clu_lab_layout *layout)
{
	for (size_t i = 0; i < layout->n_nodes; i++) {
		free(layout->nodes[i].name);
		free(layout->nodes[i].netns);
		free(layout->nodes[i].mount_ns);
		free(layout->nodes[i].uts_ns);
	}
	free(layout->nodes);
	free(layout->path);
	free(layout->lab);
	free(layout->client_netns);
	memset(layout, 0, sizeof(*layout));
}
