/*
 * The simulated cluster's files (see sim.h and doc/sim.md): the
 * description and the state are one format, the static cluster
 * description (static.c) with sections of the simulation's own, read by
 * the static reader's extension; the state is written back in the same
 * format, atomically, after every change, and the log is appended to
 * STATE_PATH.log. A state file is a description: it can be opened as one.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clupdate/static.h"
#include "ini-file.h"
#include "sim-internal.h"

/* ---- the sections ------------------------------------------------------ */

/* [state] and [lock] as read, before they go into the simulation. */
struct state_row {
	unsigned now_ms, busy, changes, breaches, fault_serial;
	char *first_breach;
	char **broken;
	size_t n_broken;
	bool settle_never;
};

struct lock_row {
	char *token, *host, *since, *abort_by;
	unsigned pid, run, beat;
};

/* [prefer "GROUP"]: nodes = N... */
struct prefer_row {
	char *group;
	char **nodes;
	size_t n_nodes;
};

struct reader {
	struct clu_sim *sim;
	struct state_row state;
	struct lock_row lock;
	bool has_lock;
	struct prefer_row *prefers;
	size_t n_prefers, prefers_alloc;
};

static const struct clu__ini_choice fault_kinds[] = {
	{ "node-dies", CLU_SIM_NODE_DIES },
	{ "node-returns", CLU_SIM_NODE_RETURNS },
	{ "install-fails", CLU_SIM_INSTALL_FAILS },
	{ "command-hangs", CLU_SIM_COMMAND_HANGS },
	{ "settle-never", CLU_SIM_SETTLE_NEVER },
	{ "group-moves", CLU_SIM_GROUP_MOVES },
	{ NULL, 0 },
};

static const struct clu__ini_choice roles[] = {
	{ "install", CLU_COMMAND_INSTALL },
	{ "verify", CLU_COMMAND_VERIFY },
	{ "hook", CLU_COMMAND_HOOK },
	{ "check", CLU_COMMAND_CHECK },
	{ "health", CLU_COMMAND_HEALTH },
	{ NULL, 0 },
};

static const char *word_of(const struct clu__ini_choice *choices, int value)
{
	for (; choices->word; choices++)
		if (choices->value == value)
			return choices->word;
	return "?";
}

const char *clu__sim_fault_kind_name(int kind)
{
	return word_of(fault_kinds, kind);
}

const char *clu__sim_role_name(int role)
{
	return word_of(roles, role);
}

#define MS_MAX (24u * 3600u * 1000u)
#define COUNT_MAX 1000000u
#define CONFIG(f) offsetof(struct clu__sim_config, f)
#define STATE(f) offsetof(struct state_row, f)
#define LOCK(f) offsetof(struct lock_row, f)
#define FAULT(f) offsetof(struct clu__sim_fault, f)

static const struct clu__ini_key sim_keys[] = {
	{ "busy-looks", CLU__INI_UINT, CONFIG(busy_looks), .min = 0, .max = 1000 },
	{ "command-ms", CLU__INI_UINT, CONFIG(command_ms), .min = 0, .max = MS_MAX },
	{ "transition-ms", CLU__INI_UINT, CONFIG(transition_ms), .min = 0, .max = MS_MAX },
	{ "data-migration", CLU__INI_BOOL, CONFIG(data_migration), .required = false },
	{ "real-command-ms", CLU__INI_UINT, CONFIG(real_command_ms), .min = 0, .max = 60000 },
	{ .name = NULL },
};

static const struct clu__ini_key state_keys[] = {
	{ "now-ms", CLU__INI_UINT, STATE(now_ms), .min = 0, .max = UINT32_MAX },
	{ "busy", CLU__INI_UINT, STATE(busy), .min = 0, .max = 1000 },
	{ "settle-never", CLU__INI_BOOL, STATE(settle_never), .required = false },
	{ "changes", CLU__INI_UINT, STATE(changes), .min = 0, .max = UINT32_MAX },
	{ "breaches", CLU__INI_UINT, STATE(breaches), .min = 0, .max = UINT32_MAX },
	{ "first-breach", CLU__INI_COMMAND, STATE(first_breach),
	  .expected = "the first breach's description" },
	{ "broken", CLU__INI_NAMES, STATE(broken), .count_offset = STATE(n_broken),
	  .noun = "group" },
	{ "fault-serial", CLU__INI_UINT, STATE(fault_serial), .min = 0, .max = UINT32_MAX },
	{ .name = NULL },
};

enum { LOCK_TOKEN };
static const struct clu__ini_key lock_keys[] = {
	[LOCK_TOKEN] = { "token", CLU__INI_NAME, LOCK(token), .required = true },
	{ "host", CLU__INI_NAME, LOCK(host) },
	{ "pid", CLU__INI_UINT, LOCK(pid), .min = 0, .max = UINT32_MAX },
	{ "run", CLU__INI_UINT, LOCK(run), .min = 0, .max = UINT32_MAX },
	{ "since", CLU__INI_COMMAND, LOCK(since), .expected = "a UTC time, ISO 8601" },
	{ "beat", CLU__INI_UINT, LOCK(beat), .min = 0, .max = UINT32_MAX },
	{ "abort-by", CLU__INI_COMMAND, LOCK(abort_by), .expected = "who asked it to stop" },
	{ .name = NULL },
};

enum { FAULT_WHAT, FAULT_NODE, FAULT_GROUP, FAULT_AFTER, FAULT_ON, FAULT_NTH, FAULT_TIMES };
static const struct clu__ini_key fault_keys[] = {
	[FAULT_WHAT] = { "what", CLU__INI_CHOICE, FAULT(kind), .required = true,
			 .choices = fault_kinds, .noun = "fault" },
	[FAULT_NODE] = { "node", CLU__INI_NAME, FAULT(node) },
	[FAULT_GROUP] = { "group", CLU__INI_NAME, FAULT(group) },
	[FAULT_AFTER] = { "after", CLU__INI_UINT, FAULT(after), .min = 0, .max = COUNT_MAX },
	[FAULT_ON] = { "on", CLU__INI_CHOICE, FAULT(on), .choices = roles,
		       .noun = "command role" },
	[FAULT_NTH] = { "nth", CLU__INI_UINT, FAULT(nth), .min = 1, .max = COUNT_MAX },
	[FAULT_TIMES] = { "times", CLU__INI_UINT, FAULT(times), .min = 1, .max = COUNT_MAX },
	{ "seen", CLU__INI_UINT, FAULT(seen), .min = 0, .max = UINT32_MAX },
	{ "fired", CLU__INI_UINT, FAULT(fired), .min = 0, .max = UINT32_MAX },
	{ .name = NULL },
};

static const struct clu__ini_key prefer_keys[] = {
	{ "nodes", CLU__INI_NAMES, offsetof(struct prefer_row, nodes), .required = true,
	  .count_offset = offsetof(struct prefer_row, n_nodes), .noun = "node" },
	{ .name = NULL },
};

enum section_kind { SECTION_SIM, SECTION_STATE, SECTION_LOCK, SECTION_FAULT, SECTION_PREFER };

static const struct clu__ini_section_spec sim_sections[] = {
	[SECTION_SIM] = { "sim", false, sim_keys },
	[SECTION_STATE] = { "state", false, state_keys },
	[SECTION_LOCK] = { "lock", false, lock_keys },
	[SECTION_FAULT] = { "fault", true, fault_keys },
	[SECTION_PREFER] = { "prefer", true, prefer_keys },
};

static void open_section(void *user, struct clu__ini *ini, struct clu__ini_section *sec,
			 unsigned kind)
{
	struct reader *r = user;
	struct clu_sim *sim = r->sim;

	(void)ini;
	if (kind == SECTION_FAULT) {
		CLU_ALLOC_GROW(sim->faults, sim->n_faults + 1, sim->faults_alloc);
		sim->faults[sim->n_faults].name = clu__xstrdup(sec->name);
		sec->index = sim->n_faults++;
	} else if (kind == SECTION_PREFER) {
		CLU_ALLOC_GROW(r->prefers, r->n_prefers + 1, r->prefers_alloc);
		r->prefers[r->n_prefers].group = clu__xstrdup(sec->name);
		sec->index = r->n_prefers++;
	} else if (kind == SECTION_LOCK) {
		r->has_lock = true;
	}
}

static void *section_fields(void *user, const struct clu__ini_section *sec, unsigned kind)
{
	struct reader *r = user;

	switch (kind) {
	case SECTION_SIM:
		return &r->sim->config;
	case SECTION_STATE:
		return &r->state;
	case SECTION_LOCK:
		return &r->lock;
	case SECTION_FAULT:
		return &r->sim->faults[sec->index];
	case SECTION_PREFER:
		return &r->prefers[sec->index];
	}
	BUG("section kind %u", kind);
}

/* name, the value of key in sec, names a node (a group) of the model. */
static bool known(struct clu__ini *ini, const struct clu__ini_section *sec, int line,
		  const char *key, const char *name, bool node, const struct clu_cluster *c)
{
	if (!name || (node ? (void *)clu_cluster_node(c, name) : (void *)clu_cluster_group(c, name)))
		return true;
	return clu__ini_fail(ini, line, sec, key, "'%s' is not a %s of this file (expected "
			     "the name of a [%s \"NAME\"])", name, node ? "node" : "group",
			     node ? "node" : "group");
}

/* What a fault needs, and its defaults (also for faults from the API). */
static bool check_fault(struct reader *r, struct clu__ini *ini, const struct clu__ini_section *sec)
{
	struct clu__sim_fault *f = &r->sim->faults[sec->index];
	const int *lines = sec->key_lines;
	const struct clu_cluster *c = &r->sim->cluster;
	bool needs_node = f->kind != CLU_SIM_SETTLE_NEVER && f->kind != CLU_SIM_GROUP_MOVES;

	if (!clu__ini_check_required(ini, sec))
		return false;
	if (!f->node && (needs_node || lines[FAULT_ON]))
		return clu__ini_fail(ini, sec->line, sec, NULL, "missing key 'node' (expected "
				     "node = NAME for %s%s)", lines[FAULT_ON] ? "a fault with 'on' or " : "",
				     clu__sim_fault_kind_name(f->kind));
	if (f->kind == CLU_SIM_GROUP_MOVES && !f->group)
		return clu__ini_fail(ini, sec->line, sec, NULL, "missing key 'group' (expected "
				     "group = NAME for group-moves)");
	if (!known(ini, sec, lines[FAULT_NODE], "node", f->node, true, c) ||
	    !known(ini, sec, lines[FAULT_GROUP], "group", f->group, false, c))
		return false;
	if (lines[FAULT_ON] && !f->nth)
		f->nth = 1;
	if (!lines[FAULT_TIMES])
		f->times = 1;
	return true;
}

static bool check_section(void *user, struct clu__ini *ini, const struct clu__ini_section *sec,
			  unsigned kind)
{
	struct reader *r = user;
	const struct clu_cluster *c = &r->sim->cluster;

	if (kind == SECTION_FAULT)
		return check_fault(r, ini, sec);
	if (kind == SECTION_LOCK)
		return clu__ini_check_required(ini, sec);
	if (kind != SECTION_PREFER)
		return true;
	if (!known(ini, sec, sec->line, NULL, sec->name, false, c))
		return false;
	for (size_t i = 0; i < r->prefers[sec->index].n_nodes; i++)
		if (!known(ini, sec, sec->key_lines[0], "nodes", r->prefers[sec->index].nodes[i],
			   true, c))
			return false;
	return true;
}

#define SIM_SECTIONS_EXPECTED "[cluster], [node \"NAME\"], [group \"NAME\"], [sim], " \
	"[fault \"NAME\"], [prefer \"GROUP\"], [lock] or [state]"

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The rows into sim (a row's strings are moved or freed). */
static void take_rows(struct reader *r)
{
	struct clu_sim *sim = r->sim;

	sim->now_ms = r->state.now_ms;
	sim->busy = r->state.busy;
	sim->settle_never = r->state.settle_never;
	sim->changes = r->state.changes;
	sim->breaches = r->state.breaches;
	sim->fault_serial = r->state.fault_serial;
	sim->first_breach = r->state.first_breach;
	r->state.first_breach = NULL;
	for (size_t i = 0; i < r->state.n_broken; i++)
		clu__strv_push(&sim->broken, r->state.broken[i]);
	if (r->has_lock) {
		sim->locked = true;
		sim->lock.token = r->lock.token;
		sim->lock.host = r->lock.host;
		sim->lock.since = r->lock.since;
		sim->lock.pid = r->lock.pid;
		sim->lock.run = r->lock.run;
		sim->lock.beat = r->lock.beat;
		sim->lock.abort_by = r->lock.abort_by;
		memset(&r->lock, 0, sizeof(r->lock));
	}
	for (size_t i = 0; i < r->n_prefers; i++) {
		for (size_t j = 0; j < r->prefers[i].n_nodes; j++) {
			CLU_ALLOC_GROW(sim->prefers, sim->n_prefers + 1, sim->prefers_alloc);
			sim->prefers[sim->n_prefers].group = clu__xstrdup(r->prefers[i].group);
			sim->prefers[sim->n_prefers++].node = clu__xstrdup(r->prefers[i].nodes[j]);
		}
	}
}

static void release_rows(struct reader *r)
{
	free(r->state.first_breach);
	free_names(r->state.broken, r->state.n_broken);
	free(r->lock.token);
	free(r->lock.host);
	free(r->lock.since);
	free(r->lock.abort_by);
	for (size_t i = 0; i < r->n_prefers; i++) {
		free(r->prefers[i].group);
		free_names(r->prefers[i].nodes, r->prefers[i].n_nodes);
	}
	free(r->prefers);
}

int clu__sim_read(struct clu_sim *sim, const char *path, struct clu_err *err)
{
	struct reader r = { .sim = sim };
	const struct clu__static_ext ext = {
		.sections = sim_sections,
		.n_sections = sizeof(sim_sections) / sizeof(sim_sections[0]),
		.sections_expected = SIM_SECTIONS_EXPECTED,
		.user = &r,
		.open = open_section,
		.fields = section_fields,
		.check = check_section,
	};
	int ret = clu__static_load_ext(&sim->cluster, path, &ext, err);

	if (!ret)
		take_rows(&r);
	release_rows(&r);
	return ret;
}

/* ---- writing ----------------------------------------------------------- */

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void write_names(FILE *f, const char *key, char *const *names, size_t n)
{
	if (!n)
		return;
	fprintf(f, "%s =", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", names[i]);
	fputc('\n', f);
}

static void write_cluster(FILE *f, const struct clu_cluster *c)
{
	fprintf(f, "[cluster]\n");
	if (c->name)
		fprintf(f, "name = %s\n", c->name);
	fprintf(f, "quorum = %s\n", yes_no(c->quorum));
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct clu_node *n = &c->nodes[i];

		fprintf(f, "\n[node \"%s\"]\nonline = %s\nstandby = %s\nmaintenance = %s\n",
			n->name, yes_no(n->online), yes_no(n->standby), yes_no(n->maintenance));
		if (n->version)
			fprintf(f, "version = %s\n", n->version);
	}
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct clu_group *g = &c->groups[i];

		fprintf(f, "\n[group \"%s\"]\n", g->name);
		write_names(f, "members", g->members, g->n_members);
		if (g->owner)
			fprintf(f, "owner = %s\n", g->owner);
		fprintf(f, "managed = %s\n", yes_no(g->managed));
		write_names(f, "banned", g->banned, g->n_banned);
		if (g->data_version)
			fprintf(f, "data-version = %s\n", g->data_version);
		if (g->address)
			fprintf(f, "address = %s\n", g->address);
	}
}

static void write_fault(FILE *f, const struct clu__sim_fault *fault)
{
	fprintf(f, "\n[fault \"%s\"]\nwhat = %s\n", fault->name,
		clu__sim_fault_kind_name(fault->kind));
	if (fault->node)
		fprintf(f, "node = %s\n", fault->node);
	if (fault->group)
		fprintf(f, "group = %s\n", fault->group);
	if (fault->after)
		fprintf(f, "after = %u\n", fault->after);
	if (fault->nth)
		fprintf(f, "on = %s\nnth = %u\n", clu__sim_role_name(fault->on), fault->nth);
	fprintf(f, "times = %u\nseen = %u\nfired = %u\n", fault->times, fault->seen,
		fault->fired);
}

static void write_sim(FILE *f, const struct clu_sim *sim)
{
	fprintf(f, "\n[sim]\nbusy-looks = %u\ncommand-ms = %u\ntransition-ms = %u\n"
		"data-migration = %s\n", sim->config.busy_looks, sim->config.command_ms,
		sim->config.transition_ms, yes_no(sim->config.data_migration));
	if (sim->config.real_command_ms)
		fprintf(f, "real-command-ms = %u\n", sim->config.real_command_ms);
	fprintf(f, "\n[state]\nnow-ms = %lld\nbusy = %u\nsettle-never = %s\nchanges = %u\n"
		"breaches = %zu\nfault-serial = %u\n", (long long)sim->now_ms, sim->busy,
		yes_no(sim->settle_never), sim->changes, sim->breaches, sim->fault_serial);
	if (sim->first_breach)
		fprintf(f, "first-breach = %s\n", sim->first_breach);
	write_names(f, "broken", sim->broken.v, sim->broken.n);
	if (sim->locked)
		fprintf(f, "\n[lock]\ntoken = %s\nhost = %s\npid = %ld\nrun = %lld\nsince = %s\n"
			"beat = %lu\n", sim->lock.token, sim->lock.host ? sim->lock.host : "unknown",
			sim->lock.pid, (long long)sim->lock.run,
			sim->lock.since ? sim->lock.since : "unknown", sim->lock.beat);
	if (sim->locked && sim->lock.abort_by)
		fprintf(f, "abort-by = %s\n", sim->lock.abort_by);
	for (size_t i = 0; i < sim->cluster.n_groups; i++) {
		const char *group = sim->cluster.groups[i].name;
		bool any = false;

		for (size_t j = 0; j < sim->n_prefers; j++) {
			if (strcmp(sim->prefers[j].group, group))
				continue;
			if (!any)
				fprintf(f, "\n[prefer \"%s\"]\nnodes =", group);
			fprintf(f, " %s", sim->prefers[j].node);
			any = true;
		}
		if (any)
			fputc('\n', f);
	}
	for (size_t i = 0; i < sim->n_faults; i++)
		if (sim->faults[i].fired < sim->faults[i].times)
			write_fault(f, &sim->faults[i]);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int io_error(struct clu_err *err, const char *what, const char *path)
{
	return clu_err_set(err, CLU_E_IO, "cannot %s '%s': %s", what, path, strerror(errno));
}

/* The directory of path, fsynced so that a rename in it is durable. */
static int sync_dir(const char *path, struct clu_err *err)
{
	char *copy = clu__xstrdup(path);
	const char *dir = dirname(copy);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0 || fsync(fd))
		ret = io_error(err, "sync directory", dir);
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
}

static int write_state(const struct clu_sim *sim, struct clu_err *err)
{
	char *text = NULL, *tmp = clu__xasprintf("%s.tmp", sim->state_path);
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int fd, ret = 0;

	if (!f)
		BUG("open_memstream: %s", strerror(errno));
	fprintf(f, "# The state of a simulated cluster (clupdate, doc/sim.md).\n\n");
	write_cluster(f, &sim->cluster);
	write_sim(f, sim);
	fclose(f);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, text, len) || fsync(fd))
		ret = io_error(err, "write", tmp);
	if (fd >= 0 && close(fd) && !ret)
		ret = io_error(err, "write", tmp);
	if (!ret && rename(tmp, sim->state_path))
		ret = io_error(err, "rename to", sim->state_path);
	if (!ret)
		ret = sync_dir(sim->state_path, err);
	free(text);
	free(tmp);
	return ret;
}

static int append_log(struct clu_sim *sim, struct clu_err *err)
{
	int fd, ret = 0;

	if (sim->log_saved == sim->log.n)
		return 0;
	fd = open(sim->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_error(err, "append to", sim->log_path);
	for (size_t i = sim->log_saved; !ret && i < sim->log.n; i++)
		if (write_all(fd, sim->log.v[i], strlen(sim->log.v[i])) || write_all(fd, "\n", 1))
			ret = io_error(err, "append to", sim->log_path);
	if (!ret && fsync(fd))
		ret = io_error(err, "append to", sim->log_path);
	close(fd);
	if (!ret)
		sim->log_saved = sim->log.n;
	return ret;
}

int clu__sim_save(struct clu_sim *sim, struct clu_err *err)
{
	int ret;

	if (!sim->state_path)
		return 0;
	ret = write_state(sim, err);
	return ret ? ret : append_log(sim, err);
}

int clu__sim_read_log(struct clu_sim *sim, const char *path, struct clu_err *err)
{
	char *text = clu__read_file(path, CLU__READ_MAX, NULL);

	if (!text && errno == ENOENT)
		return 0;
	if (!text)
		return io_error(err, "read", path);
	for (char *line = text, *end; *line; line = end + (*end == '\n')) {
		end = line + strcspn(line, "\n");
		if (end > line) {
			char *copy = clu__xstrndup(line, (size_t)(end - line));

			clu__strv_push(&sim->log, copy);
			free(copy);
		}
	}
	free(text);
	sim->log_saved = sim->log.n;
	return 0;
}

void clu__sim_release(struct clu_sim *sim)
{
	clu_cluster_release(&sim->cluster);
	for (size_t i = 0; i < sim->n_prefers; i++) {
		free(sim->prefers[i].group);
		free(sim->prefers[i].node);
	}
	free(sim->prefers);
	for (size_t i = 0; i < sim->n_faults; i++) {
		free(sim->faults[i].name);
		free(sim->faults[i].node);
		free(sim->faults[i].group);
	}
	free(sim->faults);
	free(sim->first_breach);
	clu__strv_release(&sim->broken);
	clu_lock_holder_release(&sim->lock);
	clu__strv_release(&sim->log);
	clu__strv_release(&sim->constraints);
	free(sim->state_path);
	free(sim->log_path);
}
