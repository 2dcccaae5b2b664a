/*
 * The journal (see journal.h): one SQLite database, journal.db, in the
 * state directory. doc/journal.md describes its tables for operators who
 * open it with sqlite3.
 *
 * Crash safety rests on three settings and one rule. WAL with
 * synchronous=FULL makes every commit durable (the WAL is fsynced) before
 * sqlite3_step() returns; the busy timeout lets `status` read while
 * `apply` writes (WAL readers never block the writer); foreign keys keep
 * steps, changes and events attached to a run that exists. The rule:
 * every public write is one statement in autocommit mode, so it is its
 * own transaction, committed before the function returns. Only opening
 * (schema migration) and run_load (a consistent read of one run) use an
 * explicit transaction.
 *
 * Thread safety: a mutex in struct clu_journal is held around every
 * public function, so the probe thread may call clu_journal_event() on
 * the executor's handle. The mutex, not SQLite's own, is what makes that
 * correct: preparing, binding, stepping and reading sqlite3_errmsg() and
 * sqlite3_changes() are several calls that must not interleave with
 * another thread's. The connection is also opened SQLITE_OPEN_FULLMUTEX,
 * as a safety net for any future function that forgets to lock.
 *
 * Statements are prepared per call from constant SQL with bound
 * parameters; no SQL text is ever built from data. States are stored by
 * name ("running", "applied", ...) so that the database reads well in
 * sqlite3, and CHECK constraints keep them to the known names.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clupdate/journal.h"
#include "util.h"
#include "xml.h"

#define JOURNAL_FILE "journal.db"

/* What SQLite keeps next to journal.db: the WAL, its index, and the
 * rollback journal it uses before WAL mode is set. */
static const char *const companion_suffixes[] = { "", "-wal", "-shm", "-journal" };

/* Long enough to outlast any write of `apply` (one fsync) or a checkpoint. */
#define BUSY_TIMEOUT_MS 10000

/* PRAGMA application_id: "CLUP", so that `file journal.db` can tell. */
#define APPLICATION_ID 1129076048 /* 0x434C5550 */

struct clu_journal {
	sqlite3 *db;
	char *path;               /* of journal.db, for messages */
	pthread_mutex_t lock;     /* held around every public function */
	void (*written)(void *ctx, unsigned long n);   /* see clu_journal_observe() */
	void *written_ctx;
	unsigned long n_written;
};

/* ---- schema ---- */

static int backfill_constraint_nodes(struct clu_journal *journal, struct clu_err *err);

/*
 * Migrations: migrations[v] takes a database at user_version v to v + 1:
 * its SQL, which ends by setting that version, then its backfill (if any)
 * for what SQL alone cannot compute. All pending ones run in one
 * transaction at open, so a crash leaves the old schema or the new one.
 * To change the schema, append a step; never edit a released one.
 */
static const struct migration {
	const char *sql;
	int (*backfill)(struct clu_journal *journal, struct clu_err *err);
} migrations[] = {
	/* 0 -> 1: the first schema. */
	{ "PRAGMA application_id = 1129076048;\n"
	"CREATE TABLE runs (\n"
	"	id              INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	update_name     TEXT,\n"
	"	version         TEXT,\n"
	"	manifest_path   TEXT,\n"
	"	manifest_text   TEXT,\n"
	"	strategy        TEXT,\n"
	"	cluster         TEXT,\n"
	"	plan_json       TEXT,\n"
	"	n_planned       INTEGER NOT NULL CHECK (n_planned >= 0),\n"
	"	state           TEXT NOT NULL CHECK (state IN\n"
	"	                ('running', 'succeeded', 'failed', 'aborted')),\n"
	"	message         TEXT,\n"
	"	started_real_ms INTEGER NOT NULL,\n"
	"	started_mono_ms INTEGER NOT NULL,\n"
	"	ended_real_ms   INTEGER,\n"
	"	ended_mono_ms   INTEGER\n"
	");\n"
	"CREATE TABLE step_attempts (\n"
	"	id              INTEGER PRIMARY KEY,\n"
	"	run_id          INTEGER NOT NULL REFERENCES runs (id),\n"
	"	step            INTEGER NOT NULL CHECK (step >= 0),\n"
	"	attempt         INTEGER NOT NULL CHECK (attempt >= 1),\n"
	"	action          TEXT NOT NULL,\n"
	"	node            TEXT,\n"
	"	group_name      TEXT,\n"
	"	description     TEXT,\n"
	"	state           TEXT NOT NULL CHECK (state IN\n"
	"	                ('pending', 'running', 'done', 'failed', 'skipped')),\n"
	"	exit_code       INTEGER,\n"
	"	output          TEXT,\n"
	"	output_bytes    INTEGER,\n"
	"	message         TEXT,\n"
	"	started_real_ms INTEGER NOT NULL,\n"
	"	started_mono_ms INTEGER NOT NULL,\n"
	"	ended_real_ms   INTEGER,\n"
	"	ended_mono_ms   INTEGER,\n"
	"	UNIQUE (run_id, step, attempt)\n"
	");\n"
	"CREATE TABLE changes (\n"
	"	id               INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	run_id           INTEGER NOT NULL REFERENCES runs (id),\n"
	"	step             INTEGER NOT NULL CHECK (step >= 0),\n"
	"	kind             TEXT NOT NULL,\n"
	"	target           TEXT NOT NULL,\n"
	"	name             TEXT,\n"
	"	prior            TEXT,\n"
	"	value            TEXT,\n"
	"	detail           TEXT,\n"
	"	state            TEXT NOT NULL CHECK (state IN\n"
	"	                 ('intended', 'applied', 'restored', 'failed')),\n"
	"	intended_real_ms INTEGER NOT NULL,\n"
	"	marked_real_ms   INTEGER\n"
	");\n"
	"CREATE INDEX changes_by_run ON changes (run_id, id);\n"
	"CREATE TABLE snapshots (\n"
	"	id              INTEGER PRIMARY KEY,\n"
	"	run_id          INTEGER NOT NULL REFERENCES runs (id),\n"
	"	step            INTEGER NOT NULL CHECK (step >= 0),\n"
	"	phase           TEXT NOT NULL,\n"
	"	cluster_json    TEXT NOT NULL,\n"
	"	at_real_ms      INTEGER NOT NULL,\n"
	"	at_mono_ms      INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX snapshots_by_run ON snapshots (run_id, step);\n"
	"CREATE TABLE events (\n"
	"	id              INTEGER PRIMARY KEY,\n"
	"	run_id          INTEGER NOT NULL REFERENCES runs (id),\n"
	"	at_mono_ms      INTEGER NOT NULL,\n"
	"	at_real_ms      INTEGER NOT NULL,\n"
	"	kind            TEXT NOT NULL,\n"
	"	source          TEXT,\n"
	"	group_name      TEXT,\n"
	"	detail          TEXT\n"
	");\n"
	"CREATE INDEX events_by_time ON events (run_id, at_mono_ms, id);\n"
	"PRAGMA user_version = 1;\n", NULL },
	/*
	 * 1 -> 2: the node and the group a change is about, as columns, so
	 * that nobody splits a constraint id such as clupdate-ban-G-on-N at
	 * "-on-" (wrong for a group named add-on-svc). Existing rows get what
	 * their kind implies; a constraint's node comes from the node
	 * attribute of its rsc_location XML (backfill_constraint_nodes()).
	 */
	{ "ALTER TABLE changes ADD COLUMN node TEXT;\n"
	  "ALTER TABLE changes ADD COLUMN group_name TEXT;\n"
	  "UPDATE changes SET group_name = target WHERE kind = 'meta';\n"
	  "UPDATE changes SET node = target WHERE kind = 'node-attribute';\n"
	  "UPDATE changes SET group_name = name WHERE kind = 'constraint';\n"
	  "PRAGMA user_version = 2;\n", backfill_constraint_nodes },
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- state names ---- */

static const char *const run_state_names[] = {
	[CLU_RUN_RUNNING] = "running",
	[CLU_RUN_SUCCEEDED] = "succeeded",
	[CLU_RUN_FAILED] = "failed",
	[CLU_RUN_ABORTED] = "aborted",
};

static const char *const step_state_names[] = {
	[CLU_STEP_PENDING] = "pending",
	[CLU_STEP_RUNNING] = "running",
	[CLU_STEP_DONE] = "done",
	[CLU_STEP_FAILED] = "failed",
	[CLU_STEP_SKIPPED] = "skipped",
};

static const char *const change_state_names[] = {
	[CLU_CHANGE_INTENDED] = "intended",
	[CLU_CHANGE_APPLIED] = "applied",
	[CLU_CHANGE_RESTORED] = "restored",
	[CLU_CHANGE_FAILED] = "failed",
};

#define NAMES(a) (a), (sizeof(a) / sizeof((a)[0]))

static const char *state_name(const char *const *names, size_t n, unsigned state)
{
	return state < n ? names[state] : NULL;
}

/* The index of name in names, or -1. */
static int state_parse(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *clu_run_state_name(enum clu_run_state state)
{
	const char *name = state_name(NAMES(run_state_names), state);

	return name ? name : "unknown";
}

const char *clu_step_state_name(enum clu_step_state state)
{
	const char *name = state_name(NAMES(step_state_names), state);

	return name ? name : "unknown";
}

const char *clu_change_state_name(enum clu_change_state state)
{
	const char *name = state_name(NAMES(change_state_names), state);

	return name ? name : "unknown";
}

/* ---- clocks ---- */

static int64_t clock_ms(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		BUG("clock_gettime(%d): %s", (int)clock, strerror(errno));
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clu_now_real_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t clu_now_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* ---- errors ---- */

/* "journal 'PATH': WHAT" (no SQLite message: the error is ours). */
__attribute__((format(printf, 3, 4)))
static int journal_error(const struct clu_journal *journal, struct clu_err *err,
			 const char *fmt, ...)
{
	char what[CLU_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return clu_err_set(err, CLU_E_JOURNAL, "journal '%s': %s", journal->path, what);
}

/*
 * "journal 'PATH': WHAT: SQLITE MESSAGE". A failed foreign key on an
 * insert can only mean the run does not exist, so it says that instead
 * of SQLite's "FOREIGN KEY constraint failed".
 */
__attribute__((format(printf, 4, 5)))
static int sqlite_error(const struct clu_journal *journal, struct clu_err *err,
			int64_t run_id, const char *fmt, ...)
{
	char what[CLU_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (run_id && sqlite3_extended_errcode(journal->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		return journal_error(journal, err, "%s: no run %" PRId64, what, run_id);
	return journal_error(journal, err, "%s: %s", what, sqlite3_errmsg(journal->db));
}

/* ---- small SQLite helpers ---- */

static void journal_lock(struct clu_journal *journal)
{
	int rc = pthread_mutex_lock(&journal->lock);

	if (rc)
		BUG("journal mutex: %s", strerror(rc));
}

static void journal_unlock(struct clu_journal *journal)
{
	int rc = pthread_mutex_unlock(&journal->lock);

	if (rc)
		BUG("journal mutex: %s", strerror(rc));
}

void clu_journal_observe(struct clu_journal *journal,
			 void (*written)(void *ctx, unsigned long n), void *ctx)
{
	journal_lock(journal);
	journal->written = written;
	journal->written_ctx = ctx;
	journal->n_written = 0;
	journal_unlock(journal);
}

/* A write is durable: tell the observer (with the lock held). */
static void written(struct clu_journal *journal, int ret)
{
	if (!ret && journal->written)
		journal->written(journal->written_ctx, ++journal->n_written);
}

/* SQLITE_OK or an SQLite code; sqlite3_errmsg() says why. */
static int prepare(struct clu_journal *journal, const char *sql, sqlite3_stmt **stmt)
{
	return sqlite3_prepare_v2(journal->db, sql, -1, stmt, NULL);
}

/* Bind a string, or NULL for NULL (SQLite copies it: no lifetime rule). */
static int bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	return sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

/* A column as an owned NUL-terminated string; NULL for SQL NULL. */
static char *column_text(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);
	size_t len;
	char *copy;

	if (!text)
		return NULL;
	len = (size_t)sqlite3_column_bytes(stmt, column);
	copy = clu__xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	return copy;
}

/* An integer column; 0 for SQL NULL (an end time not yet recorded). */
static int64_t column_int64(sqlite3_stmt *stmt, int column)
{
	return sqlite3_column_int64(stmt, column);
}

/* ---- opening ---- */

/* PATH without its trailing slashes ("/" stays "/"). */
static char *strip_slashes(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	return clu__xstrndup(path, len);
}

/*
 * fsync a directory, so that an entry just created in it survives a
 * crash. Some file systems cannot sync directories (EINVAL): nothing to
 * do there.
 */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	int saved;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = -1;
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* The directory that holds path ("." for a bare name). */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return clu__xstrdup(".");
	if (slash == path)
		return clu__xstrdup("/");
	return clu__xstrndup(path, (size_t)(slash - path));
}

/* "root" for uid 0; the number alone for a uid without a name. */
static void user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) == 0 && found)
		snprintf(buf, size, "%s", found->pw_name);
	else
		snprintf(buf, size, "%lu", (unsigned long)uid);
}

/*
 * Refuse path (lstat()ed into st) unless only we can change it: not a
 * symbolic link, owned by the effective user, not writable by its group
 * or others. The journal records what clupdate, as root, will later undo
 * on the cluster, and SQLite writes wherever its files lead: whoever can
 * plant a link in the state directory, or swap the journal, could make a
 * run write through that link or forge what an abort restores. The
 * parents of the state directory are trusted, as for any path an
 * operator gives.
 */
static int check_private(struct clu_journal *journal, const char *what, const char *path,
			 const struct stat *st, struct clu_err *err)
{
	mode_t writable = st->st_mode & (S_IWGRP | S_IWOTH);
	char owner[128], self[128];

	if (S_ISLNK(st->st_mode)) {
		char target[512];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		target[n > 0 ? n : 0] = '\0';
		return journal_error(journal, err, "%s '%s' is a symbolic link (to '%s'): "
				     "refusing to follow it", what, path, target);
	}
	if (st->st_uid != geteuid()) {
		user_name(st->st_uid, owner, sizeof(owner));
		user_name(geteuid(), self, sizeof(self));
		return journal_error(journal, err, "%s '%s' is owned by '%s', not by '%s' who "
				     "runs clupdate: fix with chown %s '%s'", what, path, owner,
				     self, self, path);
	}
	if (writable)
		return journal_error(journal, err, "%s '%s' is writable by %s (mode %04o): "
				     "fix with chmod go-w '%s'", what, path,
				     writable == S_IWGRP ? "its group" :
				     writable == S_IWOTH ? "others" : "its group and others",
				     (unsigned)(st->st_mode & 07777), path);
	return 0;
}

/*
 * mkdir -p: missing parents get 0755 as mkdir -p would give them, the
 * state directory itself 0700 whatever the umask. An existing state
 * directory keeps its mode, the operator's choice, within the bounds of
 * check_private().
 */
static int make_state_dir(struct clu_journal *journal, const char *dir, struct clu_err *err)
{
	char *path = clu__xstrdup(dir);
	char *parent = NULL;
	struct stat st;
	int ret = 0;

	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			ret = journal_error(journal, err, "cannot create directory '%s': %s",
					    path, strerror(errno));
			goto out;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) == 0) {
		parent = parent_dir(path);
		if (chmod(path, 0700) < 0 || sync_dir(parent) < 0) {
			ret = journal_error(journal, err, "cannot create directory '%s': %s",
					    path, strerror(errno));
			goto out;
		}
	} else if (errno != EEXIST) {
		ret = journal_error(journal, err, "cannot create directory '%s': %s",
				    path, strerror(errno));
		goto out;
	}
	if (lstat(path, &st) < 0)
		ret = journal_error(journal, err, "cannot use directory '%s': %s",
				    path, strerror(errno));
	else if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		ret = journal_error(journal, err, "cannot use directory '%s': %s",
				    path, strerror(ENOTDIR));
	else
		ret = check_private(journal, "state directory", path, &st, err);
out:
	free(parent);
	free(path);
	return ret;
}

/*
 * Create journal.db ourselves, mode 0600 whatever the umask, before SQLite
 * opens it (SQLite would create it 0644). SQLite gives the -wal and -shm
 * files the mode of the database.
 */
static int create_db_file(struct clu_journal *journal, const char *dir, struct clu_err *err)
{
	int fd = open(journal->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return journal_error(journal, err, "cannot create: %s", strerror(errno));
	}
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0 || sync_dir(dir) < 0)
		ret = journal_error(journal, err, "cannot create: %s", strerror(errno));
	close(fd);
	return ret;
}

/*
 * journal.db and whichever of its companions exist are regular files of
 * ours (check_private()). SQLite opens them itself, by name: this check
 * gives the precise message, SQLITE_OPEN_NOFOLLOW the guarantee.
 */
static int check_db_files(struct clu_journal *journal, struct clu_err *err)
{
	size_t n = sizeof(companion_suffixes) / sizeof(companion_suffixes[0]);
	int ret = 0;

	for (size_t i = 0; !ret && i < n; i++) {
		char *path = clu__xasprintf("%s%s", journal->path, companion_suffixes[i]);
		struct stat st;

		if (lstat(path, &st) < 0) {
			if (errno != ENOENT)
				ret = journal_error(journal, err, "cannot use '%s': %s", path,
						    strerror(errno));
		} else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			ret = journal_error(journal, err, "journal file '%s' is not a regular "
					    "file", path);
		} else {
			ret = check_private(journal, "journal file", path, &st, err);
		}
		free(path);
	}
	return ret;
}

/* A PRAGMA that returns one integer, e.g. user_version. */
static int pragma_int(struct clu_journal *journal, const char *sql, int *value,
		      struct clu_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	if (prepare(journal, sql, &stmt) != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW)
		ret = sqlite_error(journal, err, 0, "cannot read the schema version");
	else
		*value = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return ret;
}

/*
 * The node attribute of the rsc_location element in xml[0..len), as a new
 * string; NULL when xml is not such an element or has no node.
 */
static char *location_node(const char *xml, size_t len)
{
	xmlDoc *doc = clu__xml_read(xml, len, "journal", "journal", NULL);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlChar *node = NULL;
	char *copy = NULL;

	if (root && xmlStrEqual(root->name, BAD_CAST "rsc_location"))
		node = xmlGetProp(root, BAD_CAST "node");
	if (node)
		copy = clu__xstrdup((const char *)node);
	xmlFree(node);
	xmlFreeDoc(doc);
	return copy;
}

/*
 * Migration 1 -> 2: a constraint's node, from the rsc_location XML that
 * its detail holds to restore it. A detail that is not such XML leaves
 * the node NULL: the row stays as it was, and the journal opens.
 */
static int backfill_constraint_nodes(struct clu_journal *journal, struct clu_err *err)
{
	static const char select_sql[] =
		"SELECT id, detail FROM changes WHERE kind = 'constraint' AND detail IS NOT NULL";
	static const char update_sql[] = "UPDATE changes SET node = ?2 WHERE id = ?1";
	struct found {
		int64_t id;
		char *node;
	} *found = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *stmt = NULL;
	int rc = SQLITE_OK, ret = 0;

	/* Read them all first: no update under a running select. */
	if (prepare(journal, select_sql, &stmt) != SQLITE_OK) {
		ret = sqlite_error(journal, err, 0, "cannot read the constraints to migrate");
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(stmt, 1);
		char *node = location_node(detail, (size_t)sqlite3_column_bytes(stmt, 1));

		if (!node)
			continue;
		CLU_ALLOC_GROW(found, n + 1, alloc);
		found[n].id = column_int64(stmt, 0);
		found[n++].node = node;
	}
	if (rc != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot read the constraints to migrate");
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (ret)
		goto out;
	if (n && prepare(journal, update_sql, &stmt) != SQLITE_OK) {
		ret = sqlite_error(journal, err, 0, "cannot migrate the constraints' nodes");
		goto out;
	}
	for (size_t i = 0; i < n && !ret; i++)
		if (sqlite3_bind_int64(stmt, 1, found[i].id) ||
		    bind_text(stmt, 2, found[i].node) ||
		    sqlite3_step(stmt) != SQLITE_DONE || sqlite3_reset(stmt) != SQLITE_OK)
			ret = sqlite_error(journal, err, 0, "cannot migrate the node of change %"
					   PRId64, found[i].id);
out:
	sqlite3_finalize(stmt);
	for (size_t i = 0; i < n; i++)
		free(found[i].node);
	free(found);
	return ret;
}

/* 1 when the schema is current, 0 when it needs migrations, or an error. */
static int check_schema(struct clu_journal *journal, int *version, struct clu_err *err)
{
	int app_id = 0;

	if (pragma_int(journal, "PRAGMA user_version", version, err) ||
	    pragma_int(journal, "PRAGMA application_id", &app_id, err))
		return CLU_E_JOURNAL;
	if (app_id != 0 && app_id != APPLICATION_ID)
		return journal_error(journal, err,
				     "not a clupdate journal (application_id %d)", app_id);
	if (*version > SCHEMA_VERSION)
		return journal_error(journal, err,
				     "schema version %d is newer than this clupdate supports (%d)",
				     *version, SCHEMA_VERSION);
	return *version == SCHEMA_VERSION;
}

/*
 * Bring the schema to SCHEMA_VERSION. The version is read again under the
 * write lock (BEGIN IMMEDIATE): two processes opening a new journal at
 * once must not both create it.
 */
static int migrate(struct clu_journal *journal, struct clu_err *err)
{
	int version = 0;
	int ret = check_schema(journal, &version, err);

	if (ret)
		return ret < 0 ? ret : 0;
	if (sqlite3_exec(journal->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_error(journal, err, 0, "cannot lock to create the schema");
	/* Another process may have migrated it while we waited for the lock. */
	ret = check_schema(journal, &version, err);
	if (ret < 0)
		goto out;
	ret = 0;
	for (int v = version; v < SCHEMA_VERSION; v++) {
		if (sqlite3_exec(journal->db, migrations[v].sql, NULL, NULL, NULL) != SQLITE_OK) {
			ret = sqlite_error(journal, err, 0,
					   "cannot migrate the schema from version %d to %d",
					   v, v + 1);
			goto out;
		}
		if (migrations[v].backfill && (ret = migrations[v].backfill(journal, err)))
			goto out;
	}
	if (sqlite3_exec(journal->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		ret = sqlite_error(journal, err, 0, "cannot commit the schema");
out:
	if (ret)
		sqlite3_exec(journal->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

/* Per-connection settings, then WAL, which is persistent but verified. */
static int configure(struct clu_journal *journal, struct clu_err *err)
{
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	int ret = 0;

	sqlite3_extended_result_codes(journal->db, 1);
	if (sqlite3_busy_timeout(journal->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		return sqlite_error(journal, err, 0, "cannot set the busy timeout");
	if (sqlite3_exec(journal->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_error(journal, err, 0, "cannot enable foreign keys");
	if (sqlite3_exec(journal->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_error(journal, err, 0, "cannot set synchronous=FULL");
	/* A file system without shared memory leaves the mode as it was. */
	if (prepare(journal, "PRAGMA journal_mode = WAL", &stmt) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW) {
		ret = sqlite_error(journal, err, 0, "cannot set WAL mode");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (!mode || strcmp(mode, "wal") != 0)
		ret = journal_error(journal, err, "cannot set WAL mode: journal mode stays '%s'",
				    mode ? mode : "(none)");
out:
	sqlite3_finalize(stmt);
	return ret;
}

int clu_journal_open(struct clu_journal **journal, const char *state_dir,
		     struct clu_err *err)
{
	struct clu_journal *j = clu__xcalloc(1, sizeof(*j));
	char *dir = strip_slashes(state_dir);
	char *real_dir = NULL, *real_path = NULL;
	int ret = 0, rc;

	*journal = NULL;
	pthread_mutex_init(&j->lock, NULL);
	if (strcmp(dir, "/") == 0)
		j->path = clu__xstrdup("/" JOURNAL_FILE);
	else
		j->path = clu__xasprintf("%s/%s", *dir ? dir : ".", JOURNAL_FILE);
	if (!*dir) {
		ret = journal_error(j, err, "the state directory is empty");
		goto out;
	}
	ret = make_state_dir(j, dir, err);
	if (!ret)
		ret = create_db_file(j, dir, err);
	if (!ret)
		ret = check_db_files(j, err);
	if (ret)
		goto out;
	/*
	 * SQLITE_OPEN_NOFOLLOW refuses a link anywhere in the name, also in
	 * the parents, which are the operator's business (/var may well be a
	 * link): SQLite gets the name with the parents resolved. The state
	 * directory itself is no link (checked above).
	 */
	real_dir = realpath(dir, NULL);
	if (!real_dir) {
		ret = journal_error(j, err, "cannot use directory '%s': %s", dir, strerror(errno));
		goto out;
	}
	real_path = clu__xasprintf("%s/%s", strcmp(real_dir, "/") ? real_dir : "", JOURNAL_FILE);
	rc = sqlite3_open_v2(real_path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
			     SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		ret = journal_error(j, err, "cannot open: %s",
				    j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
		goto out;
	}
	ret = configure(j, err);
	if (!ret)
		ret = migrate(j, err);
out:
	free(real_path);
	free(real_dir);
	free(dir);
	if (ret)
		clu_journal_close(j);
	else
		*journal = j;
	return ret;
}

void clu_journal_close(struct clu_journal *journal)
{
	if (!journal)
		return;
	/* Every statement is finalized by the function that made it. */
	if (journal->db && sqlite3_close(journal->db) != SQLITE_OK)
		BUG("journal '%s': close: %s", journal->path, sqlite3_errmsg(journal->db));
	pthread_mutex_destroy(&journal->lock);
	free(journal->path);
	free(journal);
}

/* ---- runs ---- */

int clu_journal_run_begin(struct clu_journal *journal, const struct clu_run_begin *run,
			  int64_t *run_id, struct clu_err *err)
{
	static const char sql[] =
		"INSERT INTO runs (update_name, version, manifest_path, manifest_text,"
		" strategy, cluster, plan_json, n_planned, state,"
		" started_real_ms, started_mono_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10)";
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    bind_text(stmt, 1, run->update) ||
	    bind_text(stmt, 2, run->version) ||
	    bind_text(stmt, 3, run->manifest_path) ||
	    bind_text(stmt, 4, run->manifest_text) ||
	    bind_text(stmt, 5, run->strategy) ||
	    bind_text(stmt, 6, run->cluster) ||
	    bind_text(stmt, 7, run->plan_json) ||
	    sqlite3_bind_int64(stmt, 8, run->n_steps) ||
	    sqlite3_bind_int64(stmt, 9, clu_now_real_ms()) ||
	    sqlite3_bind_int64(stmt, 10, clu_now_mono_ms()) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot record the run of '%s'",
				   run->update ? run->update : "(unnamed)");
	else
		*run_id = sqlite3_last_insert_rowid(journal->db);
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

int clu_journal_run_end(struct clu_journal *journal, int64_t run_id, enum clu_run_state state,
			const char *message, struct clu_err *err)
{
	static const char sql[] =
		"UPDATE runs SET state = ?2, message = ?3, ended_real_ms = ?4, ended_mono_ms = ?5"
		" WHERE id = ?1";
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	if (state == CLU_RUN_RUNNING || !state_name(NAMES(run_state_names), state))
		return journal_error(journal, err, "cannot end run %" PRId64 " as '%s'",
				     run_id, clu_run_state_name(state));
	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run_id) ||
	    bind_text(stmt, 2, run_state_names[state]) ||
	    bind_text(stmt, 3, message) ||
	    sqlite3_bind_int64(stmt, 4, clu_now_real_ms()) ||
	    sqlite3_bind_int64(stmt, 5, clu_now_mono_ms()) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot record the end of run %" PRId64, run_id);
	else if (sqlite3_changes(journal->db) == 0)
		ret = journal_error(journal, err, "no run %" PRId64, run_id);
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

int clu_journal_run_discard(struct clu_journal *journal, int64_t run_id, struct clu_err *err)
{
	static const char *const sql[] = {
		"BEGIN IMMEDIATE",
		"DELETE FROM events WHERE run_id = ?1",
		"DELETE FROM snapshots WHERE run_id = ?1",
		"DELETE FROM changes WHERE run_id = ?1 AND state IN ('failed', 'restored')",
		"DELETE FROM step_attempts WHERE run_id = ?1",
		/* Only a run with nothing left open: else the whole delete fails. */
		("DELETE FROM runs WHERE id = ?1 AND NOT EXISTS"
		 " (SELECT 1 FROM changes WHERE run_id = ?1)"),
		"COMMIT",
	};
	int ret = 0;

	journal_lock(journal);
	for (size_t i = 0; !ret && i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *stmt = NULL;

		if (prepare(journal, sql[i], &stmt) != SQLITE_OK ||
		    (sqlite3_bind_parameter_count(stmt) && sqlite3_bind_int64(stmt, 1, run_id)) ||
		    sqlite3_step(stmt) != SQLITE_DONE)
			ret = sqlite_error(journal, err, 0, "cannot discard run %" PRId64, run_id);
		else if (i == sizeof(sql) / sizeof(sql[0]) - 2 && sqlite3_changes(journal->db) == 0)
			ret = journal_error(journal, err, "run %" PRId64 " left a change open: "
					    "not discarded", run_id);
		sqlite3_finalize(stmt);
	}
	if (ret)
		sqlite3_exec(journal->db, "ROLLBACK", NULL, NULL, NULL);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

/* ---- steps ---- */

int clu_journal_step_begin(struct clu_journal *journal, int64_t run_id, unsigned step,
			   unsigned attempt, const char *action, const char *node,
			   const char *group, const char *description, struct clu_err *err)
{
	static const char sql[] =
		"INSERT INTO step_attempts (run_id, step, attempt, action, node, group_name,"
		" description, state, started_real_ms, started_mono_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?9)";
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run_id) ||
	    sqlite3_bind_int64(stmt, 2, step) ||
	    sqlite3_bind_int64(stmt, 3, attempt) ||
	    bind_text(stmt, 4, action) ||
	    bind_text(stmt, 5, node) ||
	    bind_text(stmt, 6, group) ||
	    bind_text(stmt, 7, description) ||
	    sqlite3_bind_int64(stmt, 8, clu_now_real_ms()) ||
	    sqlite3_bind_int64(stmt, 9, clu_now_mono_ms()) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		ret = sqlite_error(journal, err, run_id,
				   "cannot record step %u attempt %u of run %" PRId64,
				   step, attempt, run_id);
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

/*
 * Output beyond CLU_JOURNAL_OUTPUT_MAX: the first and last halves of the
 * bound, joined by a marker line that says how much was left out. The cut
 * is by bytes (it may split a UTF-8 character or a line): what is kept is
 * exactly the bytes the installer wrote there.
 */
static char *bound_output(const char *output, size_t len, size_t *kept)
{
	size_t head = CLU_JOURNAL_OUTPUT_MAX / 2;
	size_t tail = CLU_JOURNAL_OUTPUT_MAX - head;
	char marker[64];
	int marker_len;
	char *bounded;

	marker_len = snprintf(marker, sizeof(marker), "\n[... %zu bytes omitted ...]\n",
			      len - CLU_JOURNAL_OUTPUT_MAX);
	*kept = head + (size_t)marker_len + tail;
	bounded = clu__xmalloc(*kept);
	memcpy(bounded, output, head);
	memcpy(bounded + head, marker, (size_t)marker_len);
	memcpy(bounded + head + marker_len, output + len - tail, tail);
	return bounded;
}

int clu_journal_step_end(struct clu_journal *journal, int64_t run_id, unsigned step,
			 unsigned attempt, enum clu_step_state state, int exit_code,
			 const char *output, size_t output_len, const char *message,
			 struct clu_err *err)
{
	static const char sql[] =
		"UPDATE step_attempts SET state = ?4, exit_code = ?5, output = ?6,"
		" output_bytes = ?7, message = ?8, ended_real_ms = ?9, ended_mono_ms = ?10"
		" WHERE run_id = ?1 AND step = ?2 AND attempt = ?3 AND state = 'running'";
	sqlite3_stmt *stmt = NULL;
	char *bounded = NULL;
	const char *kept = output;
	size_t kept_len = output_len;
	int ret = 0;

	if (state != CLU_STEP_DONE && state != CLU_STEP_FAILED && state != CLU_STEP_SKIPPED)
		return journal_error(journal, err,
				     "cannot end step %u attempt %u of run %" PRId64 " in state '%s'",
				     step, attempt, run_id, clu_step_state_name(state));
	if (!output)
		output_len = kept_len = 0;
	else if (output_len > CLU_JOURNAL_OUTPUT_MAX)
		kept = bounded = bound_output(output, output_len, &kept_len);
	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run_id) ||
	    sqlite3_bind_int64(stmt, 2, step) ||
	    sqlite3_bind_int64(stmt, 3, attempt) ||
	    bind_text(stmt, 4, step_state_names[state]) ||
	    sqlite3_bind_int(stmt, 5, exit_code) ||
	    sqlite3_bind_text(stmt, 6, kept, (int)kept_len, SQLITE_STATIC) ||
	    (output ? sqlite3_bind_int64(stmt, 7, (sqlite3_int64)output_len)
		    : sqlite3_bind_null(stmt, 7)) ||
	    bind_text(stmt, 8, message) ||
	    sqlite3_bind_int64(stmt, 9, clu_now_real_ms()) ||
	    sqlite3_bind_int64(stmt, 10, clu_now_mono_ms()) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0,
				   "cannot record the end of step %u attempt %u of run %" PRId64,
				   step, attempt, run_id);
	else if (sqlite3_changes(journal->db) == 0)
		ret = journal_error(journal, err,
				    "no running step %u attempt %u in run %" PRId64,
				    step, attempt, run_id);
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	free(bounded);
	return ret;
}

/* ---- cluster changes ---- */

int clu_journal_change_intend(struct clu_journal *journal, struct clu_change *change,
			      struct clu_err *err)
{
	static const char sql[] =
		"INSERT INTO changes (run_id, step, kind, target, name, prior, value, detail,"
		" node, group_name, state, intended_real_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'intended', ?11)";
	sqlite3_stmt *stmt = NULL;
	int64_t now = clu_now_real_ms();
	int ret = 0;

	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, change->run_id) ||
	    sqlite3_bind_int64(stmt, 2, change->step) ||
	    bind_text(stmt, 3, change->kind) ||
	    bind_text(stmt, 4, change->target) ||
	    bind_text(stmt, 5, change->name) ||
	    bind_text(stmt, 6, change->prior) ||
	    bind_text(stmt, 7, change->value) ||
	    bind_text(stmt, 8, change->detail) ||
	    bind_text(stmt, 9, change->node) ||
	    bind_text(stmt, 10, change->group) ||
	    sqlite3_bind_int64(stmt, 11, now) ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		ret = sqlite_error(journal, err, change->run_id,
				   "cannot record the change of %s '%s'",
				   change->kind ? change->kind : "(no kind)",
				   change->target ? change->target : "(no target)");
	} else {
		change->id = sqlite3_last_insert_rowid(journal->db);
		change->state = CLU_CHANGE_INTENDED;
		change->at_real_ms = now;
	}
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

int clu_journal_change_mark(struct clu_journal *journal, int64_t change_id,
			    enum clu_change_state state, struct clu_err *err)
{
	static const char sql[] =
		"UPDATE changes SET state = ?2, marked_real_ms = ?3 WHERE id = ?1";
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	if (state == CLU_CHANGE_INTENDED || !state_name(NAMES(change_state_names), state))
		return journal_error(journal, err, "cannot mark change %" PRId64 " as '%s'",
				     change_id, clu_change_state_name(state));
	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, change_id) ||
	    bind_text(stmt, 2, change_state_names[state]) ||
	    sqlite3_bind_int64(stmt, 3, clu_now_real_ms()) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot mark change %" PRId64 " %s",
				   change_id, change_state_names[state]);
	else if (sqlite3_changes(journal->db) == 0)
		ret = journal_error(journal, err, "no change %" PRId64, change_id);
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

#define CHANGE_COLUMNS \
	"id, run_id, step, kind, target, name, prior, value, detail, state, intended_real_ms," \
	" node, group_name"

static int read_change(struct clu_journal *journal, sqlite3_stmt *stmt,
		       struct clu_change *change, struct clu_err *err)
{
	const char *state = (const char *)sqlite3_column_text(stmt, 9);
	int index = state_parse(NAMES(change_state_names), state);

	change->id = column_int64(stmt, 0);
	if (index < 0)
		return journal_error(journal, err, "change %" PRId64 " has unknown state '%s'",
				     change->id, state ? state : "");
	change->run_id = column_int64(stmt, 1);
	change->step = (unsigned)sqlite3_column_int64(stmt, 2);
	change->kind = column_text(stmt, 3);
	change->target = column_text(stmt, 4);
	change->name = column_text(stmt, 5);
	change->prior = column_text(stmt, 6);
	change->value = column_text(stmt, 7);
	change->detail = column_text(stmt, 8);
	change->state = (enum clu_change_state)index;
	change->at_real_ms = column_int64(stmt, 10);
	change->node = column_text(stmt, 11);
	change->group = column_text(stmt, 12);
	return 0;
}

/* Rows of a prepared, bound query -> a new array of changes. */
static int read_changes(struct clu_journal *journal, sqlite3_stmt *stmt,
			struct clu_change **changes, size_t *n, struct clu_err *err)
{
	size_t alloc = 0;
	int rc, ret = 0;

	*changes = NULL;
	*n = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		CLU_ALLOC_GROW(*changes, *n + 1, alloc);
		ret = read_change(journal, stmt, &(*changes)[(*n)++], err);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot read changes");
	if (ret) {
		clu_changes_free(*changes, *n);
		*changes = NULL;
		*n = 0;
	}
	return ret;
}

int clu_journal_changes_open(struct clu_journal *journal, int64_t run_id,
			     struct clu_change **changes, size_t *n, struct clu_err *err)
{
	static const char sql[] =
		"SELECT " CHANGE_COLUMNS " FROM changes"
		" WHERE run_id = ?1 AND state IN ('intended', 'applied') ORDER BY id DESC";
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	*changes = NULL;
	*n = 0;
	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run_id))
		ret = sqlite_error(journal, err, 0, "cannot read the open changes of run %" PRId64,
				   run_id);
	else
		ret = read_changes(journal, stmt, changes, n, err);
	sqlite3_finalize(stmt);
	journal_unlock(journal);
	return ret;
}

static void change_release(struct clu_change *change)
{
	free(change->kind);
	free(change->target);
	free(change->name);
	free(change->prior);
	free(change->value);
	free(change->detail);
	free(change->node);
	free(change->group);
}

void clu_changes_free(struct clu_change *changes, size_t n)
{
	for (size_t i = 0; changes && i < n; i++)
		change_release(&changes[i]);
	free(changes);
}

/* ---- snapshots and events ---- */

int clu_journal_snapshot(struct clu_journal *journal, int64_t run_id, unsigned step,
			 const char *phase, const char *cluster_json, struct clu_err *err)
{
	static const char sql[] =
		"INSERT INTO snapshots (run_id, step, phase, cluster_json, at_real_ms, at_mono_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run_id) ||
	    sqlite3_bind_int64(stmt, 2, step) ||
	    bind_text(stmt, 3, phase) ||
	    bind_text(stmt, 4, cluster_json) ||
	    sqlite3_bind_int64(stmt, 5, clu_now_real_ms()) ||
	    sqlite3_bind_int64(stmt, 6, clu_now_mono_ms()) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		ret = sqlite_error(journal, err, run_id,
				   "cannot record the snapshot of step %u (%s) of run %" PRId64,
				   step, phase ? phase : "no phase", run_id);
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

int clu_journal_event(struct clu_journal *journal, int64_t run_id, int64_t at_mono_ms,
		      int64_t at_real_ms, const char *kind, const char *source,
		      const char *group, const char *detail, struct clu_err *err)
{
	static const char sql[] =
		"INSERT INTO events (run_id, at_mono_ms, at_real_ms, kind, source, group_name,"
		" detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run_id) ||
	    sqlite3_bind_int64(stmt, 2, at_mono_ms) ||
	    sqlite3_bind_int64(stmt, 3, at_real_ms) ||
	    bind_text(stmt, 4, kind) ||
	    bind_text(stmt, 5, source) ||
	    bind_text(stmt, 6, group) ||
	    bind_text(stmt, 7, detail) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		ret = sqlite_error(journal, err, run_id, "cannot record event '%s' of run %" PRId64,
				   kind ? kind : "(no kind)", run_id);
	sqlite3_finalize(stmt);
	written(journal, ret);
	journal_unlock(journal);
	return ret;
}

/* ---- reading back ---- */

#define RUN_COLUMNS \
	"id, update_name, version, manifest_path, manifest_text, strategy, cluster," \
	" plan_json, n_planned, state, message, started_real_ms, ended_real_ms," \
	" started_mono_ms, ended_mono_ms"

static int read_run(struct clu_journal *journal, sqlite3_stmt *stmt,
		    struct clu_run_record *run, struct clu_err *err)
{
	const char *state = (const char *)sqlite3_column_text(stmt, 9);
	int index = state_parse(NAMES(run_state_names), state);

	run->id = column_int64(stmt, 0);
	if (index < 0)
		return journal_error(journal, err, "run %" PRId64 " has unknown state '%s'",
				     run->id, state ? state : "");
	run->update = column_text(stmt, 1);
	run->version = column_text(stmt, 2);
	run->manifest_path = column_text(stmt, 3);
	run->manifest_text = column_text(stmt, 4);
	run->strategy = column_text(stmt, 5);
	run->cluster = column_text(stmt, 6);
	run->plan_json = column_text(stmt, 7);
	run->n_planned = (unsigned)sqlite3_column_int64(stmt, 8);
	run->state = (enum clu_run_state)index;
	run->message = column_text(stmt, 10);
	run->started_real_ms = column_int64(stmt, 11);
	run->ended_real_ms = column_int64(stmt, 12);
	run->started_mono_ms = column_int64(stmt, 13);
	run->ended_mono_ms = column_int64(stmt, 14);
	return 0;
}

static int load_steps(struct clu_journal *journal, struct clu_run_record *run,
		      struct clu_err *err)
{
	static const char sql[] =
		"SELECT step, attempt, action, node, group_name, description, state, exit_code,"
		" output, message, started_real_ms, ended_real_ms, started_mono_ms, ended_mono_ms"
		" FROM step_attempts WHERE run_id = ?1 ORDER BY id";
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc = SQLITE_OK, ret = 0;

	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run->id)) {
		ret = sqlite_error(journal, err, 0, "cannot read the steps of run %" PRId64, run->id);
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(stmt, 6);
		int index = state_parse(NAMES(step_state_names), state);
		struct clu_step_record *s;

		CLU_ALLOC_GROW(run->steps, run->n_steps + 1, alloc);
		s = &run->steps[run->n_steps++];
		s->step = (unsigned)sqlite3_column_int64(stmt, 0);
		s->attempt = (unsigned)sqlite3_column_int64(stmt, 1);
		if (index < 0) {
			ret = journal_error(journal, err,
					    "step %u attempt %u of run %" PRId64
					    " has unknown state '%s'",
					    s->step, s->attempt, run->id, state ? state : "");
			goto out;
		}
		s->action = column_text(stmt, 2);
		s->node = column_text(stmt, 3);
		s->group = column_text(stmt, 4);
		s->description = column_text(stmt, 5);
		s->state = (enum clu_step_state)index;
		/* No exit code while the attempt runs: -1, as for "no command". */
		s->exit_code = sqlite3_column_type(stmt, 7) == SQLITE_NULL
			? -1 : sqlite3_column_int(stmt, 7);
		s->output = column_text(stmt, 8);
		s->message = column_text(stmt, 9);
		s->started_real_ms = column_int64(stmt, 10);
		s->ended_real_ms = column_int64(stmt, 11);
		s->started_mono_ms = column_int64(stmt, 12);
		s->ended_mono_ms = column_int64(stmt, 13);
	}
	if (rc != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot read the steps of run %" PRId64, run->id);
out:
	sqlite3_finalize(stmt);
	return ret;
}

/*
 * The run's changes; and those still open that earlier unfinished runs of
 * the same update left (they are in effect too, and the run's record says
 * so).
 */
static int load_changes(struct clu_journal *journal, struct clu_run_record *run,
			struct clu_err *err)
{
	static const char *const sql[] = {
		"SELECT " CHANGE_COLUMNS " FROM changes WHERE run_id = ?1 ORDER BY id",
		("SELECT " CHANGE_COLUMNS " FROM changes WHERE state IN ('intended', 'applied')"
		 " AND kind NOT IN ('lock', 'property') AND run_id IN (SELECT e.id FROM runs e,"
		 " runs r WHERE r.id = ?1 AND e.id < r.id AND e.state != 'succeeded'"
		 " AND e.update_name IS r.update_name AND e.version IS r.version) ORDER BY id"),
	};
	struct clu_change **into[] = { &run->changes, &run->left_earlier };
	size_t *counts[] = { &run->n_changes, &run->n_left_earlier };
	int ret = 0;

	for (size_t i = 0; !ret && i < 2; i++) {
		sqlite3_stmt *stmt = NULL;

		if (prepare(journal, sql[i], &stmt) != SQLITE_OK ||
		    sqlite3_bind_int64(stmt, 1, run->id))
			ret = sqlite_error(journal, err, 0, "cannot read the changes of run %"
					   PRId64, run->id);
		else
			ret = read_changes(journal, stmt, into[i], counts[i], err);
		sqlite3_finalize(stmt);
	}
	return ret;
}

static int load_events(struct clu_journal *journal, struct clu_run_record *run,
		       struct clu_err *err)
{
	static const char sql[] =
		"SELECT at_mono_ms, at_real_ms, kind, source, group_name, detail"
		" FROM events WHERE run_id = ?1 ORDER BY at_mono_ms, id";
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc = SQLITE_OK, ret = 0;

	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run->id)) {
		ret = sqlite_error(journal, err, 0, "cannot read the events of run %" PRId64,
				   run->id);
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct clu_event_record *e;

		CLU_ALLOC_GROW(run->events, run->n_events + 1, alloc);
		e = &run->events[run->n_events++];
		e->at_mono_ms = column_int64(stmt, 0);
		e->at_real_ms = column_int64(stmt, 1);
		e->kind = column_text(stmt, 2);
		e->source = column_text(stmt, 3);
		e->group = column_text(stmt, 4);
		e->detail = column_text(stmt, 5);
	}
	if (rc != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot read the events of run %" PRId64,
				   run->id);
out:
	sqlite3_finalize(stmt);
	return ret;
}

/* The run's row, then its steps, changes and events, as one read. */
static int load_run(struct clu_journal *journal, int64_t run_id, struct clu_run_record *run,
		    struct clu_err *err)
{
	static const char sql[] = "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1";
	sqlite3_stmt *stmt = NULL;
	int rc = SQLITE_OK, ret = 0;

	if (prepare(journal, sql, &stmt) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 1, run_id) ||
	    ((rc = sqlite3_step(stmt)) != SQLITE_ROW && rc != SQLITE_DONE)) {
		ret = sqlite_error(journal, err, 0, "cannot read run %" PRId64, run_id);
		goto out;
	}
	if (rc == SQLITE_DONE) {
		ret = journal_error(journal, err, "no run %" PRId64, run_id);
		goto out;
	}
	ret = read_run(journal, stmt, run, err);
	if (!ret)
		ret = load_steps(journal, run, err);
	if (!ret)
		ret = load_changes(journal, run, err);
	if (!ret)
		ret = load_events(journal, run, err);
out:
	sqlite3_finalize(stmt);
	return ret;
}

int clu_journal_run_load(struct clu_journal *journal, int64_t run_id,
			 struct clu_run_record *run, struct clu_err *err)
{
	int ret;

	memset(run, 0, sizeof(*run));
	journal_lock(journal);
	/* One read transaction: the run as it was at one commit of `apply`. */
	if (sqlite3_exec(journal->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		ret = sqlite_error(journal, err, 0, "cannot read run %" PRId64, run_id);
		goto out;
	}
	ret = load_run(journal, run_id, run, err);
	/* Nothing was written: ending the read cannot lose anything. */
	sqlite3_exec(journal->db, "COMMIT", NULL, NULL, NULL);
out:
	journal_unlock(journal);
	if (ret)
		clu_run_record_release(run);
	return ret;
}

int clu_journal_last_run(struct clu_journal *journal, int64_t *run_id, struct clu_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int ret = 0;

	*run_id = 0;
	journal_lock(journal);
	if (prepare(journal, "SELECT max(id) FROM runs", &stmt) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW)
		ret = sqlite_error(journal, err, 0, "cannot read the last run");
	else
		*run_id = column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	journal_unlock(journal);
	return ret;
}

int clu_journal_runs(struct clu_journal *journal, struct clu_run_record **runs, size_t *n,
		     struct clu_err *err)
{
	static const char sql[] = "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC";
	sqlite3_stmt *stmt = NULL;
	size_t alloc = 0;
	int rc = SQLITE_OK, ret = 0;

	*runs = NULL;
	*n = 0;
	journal_lock(journal);
	if (prepare(journal, sql, &stmt) != SQLITE_OK) {
		ret = sqlite_error(journal, err, 0, "cannot list runs");
		goto out;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		CLU_ALLOC_GROW(*runs, *n + 1, alloc);
		ret = read_run(journal, stmt, &(*runs)[(*n)++], err);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE)
		ret = sqlite_error(journal, err, 0, "cannot list runs");
out:
	sqlite3_finalize(stmt);
	journal_unlock(journal);
	if (ret) {
		clu_run_records_free(*runs, *n);
		*runs = NULL;
		*n = 0;
	}
	return ret;
}

void clu_run_record_release(struct clu_run_record *run)
{
	if (!run)
		return;
	free(run->update);
	free(run->version);
	free(run->manifest_path);
	free(run->manifest_text);
	free(run->strategy);
	free(run->cluster);
	free(run->plan_json);
	free(run->message);
	for (size_t i = 0; i < run->n_steps; i++) {
		struct clu_step_record *s = &run->steps[i];

		free(s->action);
		free(s->node);
		free(s->group);
		free(s->description);
		free(s->output);
		free(s->message);
	}
	free(run->steps);
	clu_changes_free(run->changes, run->n_changes);
	clu_changes_free(run->left_earlier, run->n_left_earlier);
	for (size_t i = 0; i < run->n_events; i++) {
		struct clu_event_record *e = &run->events[i];

		free(e->kind);
		free(e->source);
		free(e->group);
		free(e->detail);
	}
	free(run->events);
	memset(run, 0, sizeof(*run));
}

void clu_run_records_free(struct clu_run_record *runs, size_t n)
{
	for (size_t i = 0; runs && i < n; i++)
		clu_run_record_release(&runs[i]);
	free(runs);
}
