/*
 * The static cluster description (see static.h and doc/static-cluster.md):
 * an INI file -> the cluster model.
 *
 * The INI reader (ini.c) does the syntax, the values and the messages; this
 * file has the sections and keys of the format, where their values go in
 * the model, and what is checked once the whole file is read, with the
 * line of the key: names and versions by the rule every source of the
 * model follows (clu_name_check(), clu_version_check(): the reader's own
 * check is of their characters only), and the rules that span sections
 * (an owner or a ban must name a node of the file). The first error wins;
 * the partial model is freed. A format built on this one (the simulated
 * cluster's) adds section kinds after these three (clu__static_load_ext()).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clupdate/static.h"
#include "ini-file.h"
#include "util.h"

/* A host name or IP address: printable, no spaces. */
static const char *check_address(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			return "is not an address";
	return NULL;
}

#define CLUSTER(field) offsetof(struct clu_cluster, field)
#define NODE(field) offsetof(struct clu_node, field)
#define GROUP(field) offsetof(struct clu_group, field)

/* Indexes into the tables of keys, for the checks after reading. */
enum { CLUSTER_NAME };
enum { NODE_VERSION = 3 };
enum { GROUP_MEMBERS, GROUP_OWNER, GROUP_MANAGED, GROUP_BANNED, GROUP_DATA_VERSION };

static const struct clu__ini_key cluster_keys[] = {
	[CLUSTER_NAME] = { "name", CLU__INI_NAME, CLUSTER(name), .required = false },
	{ "quorum", CLU__INI_BOOL, CLUSTER(quorum), .required = false },
	{ .name = NULL },
};

static const struct clu__ini_key node_keys[] = {
	{ "online", CLU__INI_BOOL, NODE(online), .required = false },
	{ "standby", CLU__INI_BOOL, NODE(standby), .required = false },
	{ "maintenance", CLU__INI_BOOL, NODE(maintenance), .required = false },
	[NODE_VERSION] = { "version", CLU__INI_VERSION, NODE(version), .required = false },
	{ .name = NULL },
};

static const struct clu__ini_key group_keys[] = {
	[GROUP_MEMBERS] = { "members", CLU__INI_NAMES, GROUP(members),
			    .count_offset = GROUP(n_members) },
	[GROUP_OWNER] = { "owner", CLU__INI_NAME, GROUP(owner), .required = false },
	[GROUP_MANAGED] = { "managed", CLU__INI_BOOL, GROUP(managed), .required = false },
	[GROUP_BANNED] = { "banned", CLU__INI_NAMES, GROUP(banned),
			   .count_offset = GROUP(n_banned) },
	[GROUP_DATA_VERSION] = { "data-version", CLU__INI_VERSION, GROUP(data_version),
				 .required = false },
	{ "address", CLU__INI_CHECKED, GROUP(address), .check = check_address,
	  .expected = "a host name or IP address, without spaces" },
	{ .name = NULL },
};

enum section_kind { SECTION_CLUSTER, SECTION_NODE, SECTION_GROUP };

static const struct clu__ini_section_spec section_specs[] = {
	[SECTION_CLUSTER] = { "cluster", false, cluster_keys },
	[SECTION_NODE] = { "node", true, node_keys },
	[SECTION_GROUP] = { "group", true, group_keys },
};
#define SECTIONS_EXPECTED "[cluster], [node \"NAME\"] or [group \"NAME\"]"
#define N_STATIC_SECTIONS (sizeof(section_specs) / sizeof(section_specs[0]))

/* What a load fills: the model, and the sections of an extension (or none). */
struct load {
	struct clu_cluster *cluster;
	const struct clu__static_ext *ext;
};

static struct clu_cluster *cluster_of(const struct clu__ini *ini)
{
	return ((const struct load *)ini->user)->cluster;
}

static const struct clu__static_ext *ext_of(const struct clu__ini *ini)
{
	return ((const struct load *)ini->user)->ext;
}

/* A node or group header: add it to the model, with its defaults. */
static void open_section(struct clu__ini *ini, struct clu__ini_section *sec)
{
	struct clu_cluster *c = cluster_of(ini);
	const struct clu__static_ext *ext = ext_of(ini);

	if (sec->kind >= N_STATIC_SECTIONS) {
		if (ext->open)
			ext->open(ext->user, ini, sec, sec->kind - N_STATIC_SECTIONS);
	} else if (sec->kind == SECTION_NODE) {
		clu_cluster_add_node(c, sec->name)->online = true;
		sec->index = c->n_nodes - 1;
	} else if (sec->kind == SECTION_GROUP) {
		clu_cluster_add_group(c, sec->name);
		sec->index = c->n_groups - 1;
	}
}

static void *section_fields(struct clu__ini *ini, const struct clu__ini_section *sec)
{
	struct clu_cluster *c = cluster_of(ini);
	const struct clu__static_ext *ext = ext_of(ini);

	if (sec->kind >= N_STATIC_SECTIONS)
		return ext->fields(ext->user, sec, sec->kind - N_STATIC_SECTIONS);
	switch (sec->kind) {
	case SECTION_NODE:
		return &c->nodes[sec->index];
	case SECTION_GROUP:
		return &c->groups[sec->index];
	default:
		return c;
	}
}

static bool key_before_sections(struct clu__ini *ini, const char *key, const char *line,
				size_t len)
{
	(void)key;
	return clu__ini_fail(ini, ini->lineno, NULL, NULL, "'%.*s' before any section "
			     "(expected %s first)", (int)len, line, ini->format->sections_expected);
}

static bool duplicate_name(struct clu__ini *ini, const struct clu__ini_section *first,
			   const char *header, size_t header_len)
{
	return clu__ini_fail(ini, ini->lineno, NULL, NULL, "duplicate [%.*s], first on line "
			     "%d (expected each %s once)", (int)header_len, header, first->line,
			     ini->format->sections[first->kind].word);
}

static const struct clu__ini_format static_format = {
	.code = CLU_E_CLUSTER,
	.sections = section_specs,
	.n_sections = sizeof(section_specs) / sizeof(section_specs[0]),
	.open = open_section,
	.fields = section_fields,
	.what = NULL,
	.sections_expected = SECTIONS_EXPECTED,
	.header_expected = SECTIONS_EXPECTED,
	.header_tail_raw = true,
	.key_before_sections = key_before_sections,
	.duplicate_name = duplicate_name,
};

/* "n1, n2, n3": the nodes of the file, for messages. */
static void node_list(const struct clu_cluster *cluster, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cluster->n_nodes && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 cluster->nodes[i].name);
}

/*
 * value (when not NULL), read at line as key of sec (NULL: its header),
 * against check, one of the rules of cluster.h. The reader let through
 * only a name's or a version's characters: nothing to escape in messages.
 */
static bool follows(struct clu__ini *ini, int line, const struct clu__ini_section *sec,
		    const char *key, const char *what, const char *value,
		    const char *(*check)(const char *), const char *expected)
{
	const char *why = value ? check(value) : NULL;

	return !why || clu__ini_fail(ini, line, sec, key, "%s%s'%s' %s (expected %s)",
				     what ? what : "", what ? " " : "", value, why, expected);
}

/* Every name and version of the file, by the rules of cluster.h. */
static bool check_names(struct clu__ini *ini)
{
	struct clu_cluster *c = cluster_of(ini);

	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct clu__ini_section *sec = &ini->sections[i];
		const int *lines = sec->key_lines;
		const struct clu_node *node;
		const struct clu_group *group;
		bool ok = true;

		switch (sec->kind) {
		case SECTION_CLUSTER:
			ok = follows(ini, lines[CLUSTER_NAME], sec, "name", NULL, c->name,
				     clu_name_check, CLU_NAME_EXPECTED);
			break;
		case SECTION_NODE:
			node = &c->nodes[sec->index];
			ok = follows(ini, sec->line, sec, NULL, "node name", node->name,
				     clu_name_check, CLU_NAME_EXPECTED) &&
			     follows(ini, lines[NODE_VERSION], sec, "version", NULL, node->version,
				     clu_version_check, CLU_VERSION_EXPECTED);
			break;
		case SECTION_GROUP:
			group = &c->groups[sec->index];
			ok = follows(ini, sec->line, sec, NULL, "group name", group->name,
				     clu_name_check, CLU_NAME_EXPECTED) &&
			     follows(ini, lines[GROUP_DATA_VERSION], sec, "data-version", NULL,
				     group->data_version, clu_version_check, CLU_VERSION_EXPECTED);
			for (size_t j = 0; ok && j < group->n_members; j++)
				ok = follows(ini, lines[GROUP_MEMBERS], sec, "members", NULL,
					     group->members[j], clu_name_check, CLU_NAME_EXPECTED);
			break;
		default:     /* an extension's: checked by it, once the model is whole */
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* What can only be checked once the whole file is read. */
static bool check_file(struct clu__ini *ini)
{
	struct clu_cluster *c = cluster_of(ini);
	char nodes[512];

	if (!c->n_nodes)
		return clu__ini_fail(ini, 0, NULL, NULL, "no [node \"NAME\"] section (expected "
				     "at least one node)");
	if (!check_names(ini))
		return false;
	node_list(c, nodes, sizeof(nodes));
	for (size_t i = 0; i < ini->n_sections; i++) {
		const struct clu__ini_section *sec = &ini->sections[i];
		const int *lines = sec->key_lines;
		struct clu_group *group;
		const struct clu_node *owner;

		if (sec->kind != SECTION_GROUP)
			continue;
		group = &c->groups[sec->index];
		if (!lines[GROUP_MEMBERS])
			clu_group_add_member(group, group->name);
		owner = clu_cluster_node(c, group->owner);
		if (group->owner && !owner)
			return clu__ini_fail(ini, lines[GROUP_OWNER], sec, "owner", "'%s' is not "
					     "a node of this file (expected one of: %s)",
					     group->owner, nodes);
		if (owner && !owner->online)
			return clu__ini_fail(ini, lines[GROUP_OWNER], sec, "owner", "node '%s' is "
					     "offline (expected an online node, or no owner for a "
					     "stopped group)", group->owner);
		for (size_t j = 0; j < group->n_banned; j++)
			if (!clu_cluster_node(c, group->banned[j]))
				return clu__ini_fail(ini, lines[GROUP_BANNED], sec, "banned",
						     "'%s' is not a node of this file (expected "
						     "one of: %s)", group->banned[j], nodes);
		if (!group->data_version && owner && owner->version)
			clu_set_string(&group->data_version, owner->version);
	}
	return true;
}

/* The static format with ext's sections after its own, in sections (n of them). */
static void extend_format(struct clu__ini_format *format, const struct clu__static_ext *ext,
			  struct clu__ini_section_spec *sections)
{
	*format = static_format;
	memcpy(sections, section_specs, sizeof(section_specs));
	memcpy(sections + N_STATIC_SECTIONS, ext->sections, ext->n_sections * sizeof(*sections));
	format->sections = sections;
	format->n_sections = N_STATIC_SECTIONS + ext->n_sections;
	format->sections_expected = ext->sections_expected;
	format->header_expected = ext->sections_expected;
}

/* Every section of ext's kinds, by ext's own check, once the model is whole. */
static bool check_ext(struct clu__ini *ini)
{
	const struct clu__static_ext *ext = ext_of(ini);

	for (size_t i = 0; ext && ext->check && i < ini->n_sections; i++) {
		const struct clu__ini_section *sec = &ini->sections[i];

		if (sec->kind >= N_STATIC_SECTIONS &&
		    !ext->check(ext->user, ini, sec, sec->kind - N_STATIC_SECTIONS))
			return false;
	}
	return true;
}

int clu__static_load_ext(struct clu_cluster *out, const char *path,
			 const struct clu__static_ext *ext, struct clu_err *err)
{
	struct load load = { out, ext };
	struct clu__ini_section_spec *sections = NULL;
	struct clu__ini_format format = static_format;
	struct clu__ini ini;
	char *where;
	int rc;

	if (ext) {
		sections = clu__xcalloc(N_STATIC_SECTIONS + ext->n_sections, sizeof(*sections));
		extend_format(&format, ext, sections);
	}
	memset(out, 0, sizeof(*out));
	out->quorum = true;
	rc = clu__ini_parse(&ini, &format, &load, path, err);
	if (!rc && !(check_file(&ini) && check_ext(&ini)))
		rc = CLU_E_CLUSTER;
	clu__ini_release(&ini);
	free(sections);
	if (!rc) {
		where = clu__xasprintf("static:%s", path);
		rc = clu_cluster_validate(out, where, err);
		free(where);
	}
	if (rc)
		clu_cluster_release(out);
	return rc;
}

int clu_static_load(struct clu_cluster *out, const char *path, struct clu_err *err)
{
	return clu__static_load_ext(out, path, NULL, err);
}
