/*
 * Unit tests of the journal (lib/journal.c): file and directory modes, the
 * SQLite settings that make it crash-safe, round trips of runs, step
 * attempts, bounded output, changes, snapshots and events, what survives
 * a process that dies without closing, concurrent writers (threads on one
 * handle and a second connection), the state directory and files it
 * refuses (links, another owner, writable by others), the migration of a
 * journal of an older schema, and the exact error messages.
 *
 * Every test works in a fresh temporary directory (under $TMPDIR or /tmp),
 * removed afterwards. The database is also opened directly with SQLite to
 * check what an operator would see there.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "scratch-dir.h"

#include <sqlite3.h>

#include "clupdate/journal.h"

struct fixture {
	char base[256];          /* the temporary directory */
	char state_dir[300];     /* base/state: does not exist before the test */
	char db_path[400];
	struct clu_journal *journal;
};

/* ---- helpers ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->base, sizeof(f->base), "%s/test-journal.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->base)) {
		free(f);
		return -1;
	}
	snprintf(f->state_dir, sizeof(f->state_dir), "%s/state", f->base);
	snprintf(f->db_path, sizeof(f->db_path), "%s/journal.db", f->state_dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	clu_journal_close(f->journal);
	scratch_dir_remove(f->base);
	free(f);
	return 0;
}

/* Open the fixture's journal; the test fails on any error. */
static struct clu_journal *open_journal(struct fixture *f)
{
	struct clu_err err = CLU_ERR_INIT;
	int ret = clu_journal_open(&f->journal, f->state_dir, &err);

	if (ret)
		fail_msg("open: %s", err.msg);
	assert_non_null(f->journal);
	return f->journal;
}

static void reopen_journal(struct fixture *f)
{
	clu_journal_close(f->journal);
	f->journal = NULL;
	open_journal(f);
}

/* "journal '<db_path>': <what>": the exact message the journal must give. */
static void assert_journal_error(const struct fixture *f, int ret, const struct clu_err *err,
				 const char *what)
{
	char expected[CLU_ERR_MAX];

	snprintf(expected, sizeof(expected), "journal '%s': %s", f->db_path, what);
	assert_int_equal(ret, CLU_E_JOURNAL);
	assert_int_equal(err->code, CLU_E_JOURNAL);
	assert_string_equal(err->msg, expected);
}

static int64_t begin_run(struct clu_journal *journal, const char *update)
{
	struct clu_run_begin run = {
		.update = update,
		.version = "2",
		.manifest_path = "/etc/clupdate/sp2.conf",
		.manifest_text = "[update]\nname = sp2\n",
		.strategy = "in-place",
		.cluster = "lab:demo",
		.plan_json = "{\"steps\":[]}",
		.n_steps = 4,
	};
	struct clu_err err = CLU_ERR_INIT;
	int64_t run_id = -1;

	if (clu_journal_run_begin(journal, &run, &run_id, &err))
		fail_msg("run_begin: %s", err.msg);
	return run_id;
}

static void ok(int ret, const struct clu_err *err)
{
	if (ret)
		fail_msg("unexpected error %d: %s", ret, err->msg);
}

/* A raw SQLite connection to the fixture's database, as an operator's. */
static sqlite3 *raw_open(const struct fixture *f)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(f->db_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int64_t value;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return value;
}

static void raw_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *text;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	text = sqlite3_column_text(stmt, 0);
	snprintf(buf, size, "%s", text ? (const char *)text : "(null)");
	sqlite3_finalize(stmt);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat '%s': %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- opening ---- */

static void test_open_creates_private_dir_and_file(void **state)
{
	struct fixture *f = *state;
	char wal[450], parent[300];
	mode_t old = umask(0);     /* the modes must not depend on the umask */

	/* mkdir -p: two missing parents above the state directory. */
	snprintf(parent, sizeof(parent), "%s/var", f->base);
	snprintf(f->state_dir, sizeof(f->state_dir), "%s/var/lib/clupdate/", f->base);
	snprintf(f->db_path, sizeof(f->db_path), "%s/var/lib/clupdate/journal.db", f->base);
	open_journal(f);
	umask(old);

	assert_int_equal(mode_of(parent), 0755);
	f->state_dir[strlen(f->state_dir) - 1] = '\0';
	assert_int_equal(mode_of(f->state_dir), 0700);
	assert_int_equal(mode_of(f->db_path), 0600);
	/* SQLite gives the WAL the database's mode; it exists after a write. */
	begin_run(f->journal, "sp2");
	snprintf(wal, sizeof(wal), "%s-wal", f->db_path);
	assert_int_equal(mode_of(wal), 0600);
}

static void test_open_modes_ignore_a_strict_umask(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(0377);  /* would give r-------- to both */

	open_journal(f);
	umask(old);
	assert_int_equal(mode_of(f->state_dir), 0700);
	assert_int_equal(mode_of(f->db_path), 0600);
	begin_run(f->journal, "sp2");
}

static void test_open_keeps_existing_dir_mode(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mkdir(f->state_dir, 0750), 0);
	assert_int_equal(chmod(f->state_dir, 0750), 0);
	open_journal(f);
	assert_int_equal(mode_of(f->state_dir), 0750);
	assert_int_equal(mode_of(f->db_path), 0600);
}

static void test_open_sets_wal_and_schema(void **state)
{
	struct fixture *f = *state;
	char mode[32];
	sqlite3 *db;

	open_journal(f);
	db = raw_open(f);
	raw_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(raw_int(db, "PRAGMA application_id"), 0x434C5550);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
				 " AND name IN ('runs', 'step_attempts', 'changes',"
				 " 'snapshots', 'events')"), 5);
	sqlite3_close(db);
	/* Opening again migrates nothing and keeps the version. */
	reopen_journal(f);
	db = raw_open(f);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
	sqlite3_close(db);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal = (struct clu_journal *)&err;   /* must be reset */
	char expected[CLU_ERR_MAX];
	int fd, ret;

	/* The state directory is a file. */
	fd = open(f->state_dir, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	ret = clu_journal_open(&journal, f->state_dir, &err);
	assert_null(journal);
	snprintf(expected, sizeof(expected), "cannot use directory '%s': Not a directory",
		 f->state_dir);
	assert_journal_error(f, ret, &err, expected);

	/* A parent is a file. */
	snprintf(f->state_dir, sizeof(f->state_dir), "%s/state/sub", f->base);
	snprintf(f->db_path, sizeof(f->db_path), "%s/journal.db", f->state_dir);
	ret = clu_journal_open(&journal, f->state_dir, &err);
	snprintf(expected, sizeof(expected), "cannot create directory '%s': Not a directory",
		 f->state_dir);
	assert_journal_error(f, ret, &err, expected);
}

static void test_open_refuses_foreign_and_newer_databases(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal = NULL;
	sqlite3 *db;
	int ret;

	/* Another program's database that happens to be called journal.db. */
	assert_int_equal(mkdir(f->state_dir, 0700), 0);
	assert_int_equal(sqlite3_open(f->db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA application_id = 42", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	ret = clu_journal_open(&journal, f->state_dir, &err);
	assert_null(journal);
	assert_journal_error(f, ret, &err, "not a clupdate journal (application_id 42)");

	/* A journal written by a newer clupdate. */
	assert_int_equal(unlink(f->db_path), 0);
	open_journal(f);
	clu_journal_close(f->journal);
	f->journal = NULL;
	db = raw_open(f);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ret = clu_journal_open(&journal, f->state_dir, &err);
	assert_null(journal);
	assert_journal_error(f, ret, &err,
			     "schema version 7 is newer than this clupdate supports (2)");
}

/* Open must fail with exactly "journal '<db_path>': <what>". */
static void assert_open_refused(const struct fixture *f, const char *what)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *journal = NULL;
	int ret = clu_journal_open(&journal, f->state_dir, &err);

	assert_null(journal);
	assert_journal_error(f, ret, &err, what);
}

static void test_open_refuses_dir_writable_by_others(void **state)
{
	static const struct { mode_t mode; const char *by; } cases[] = {
		{ 0770, "its group (mode 0770)" },
		{ 0702, "others (mode 0702)" },
		{ 01777, "its group and others (mode 1777)" },
	};
	struct fixture *f = *state;
	char expected[CLU_ERR_MAX];

	assert_int_equal(mkdir(f->state_dir, 0700), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(chmod(f->state_dir, cases[i].mode), 0);
		snprintf(expected, sizeof(expected), "state directory '%s' is writable by %s: "
			 "fix with chmod go-w '%s'", f->state_dir, cases[i].by, f->state_dir);
		assert_open_refused(f, expected);
		/* Refused before anything is written there. */
		assert_int_equal(access(f->db_path, F_OK), -1);
	}
	/* Readable by all is the operator's choice. */
	assert_int_equal(chmod(f->state_dir, 0755), 0);
	open_journal(f);
}

static void test_open_refuses_dir_of_another_user(void **state)
{
	struct fixture *f = *state;
	struct passwd *nobody = getpwnam("nobody");
	char expected[CLU_ERR_MAX];

	if (geteuid() != 0 || !nobody)
		skip();   /* giving a directory away takes root */
	assert_int_equal(mkdir(f->state_dir, 0700), 0);
	assert_int_equal(chown(f->state_dir, nobody->pw_uid, (gid_t)-1), 0);
	snprintf(expected, sizeof(expected), "state directory '%s' is owned by 'nobody', not "
		 "by 'root' who runs clupdate: fix with chown root '%s'", f->state_dir,
		 f->state_dir);
	assert_open_refused(f, expected);
	assert_int_equal(access(f->db_path, F_OK), -1);
}

static void test_open_refuses_symlinked_dir(void **state)
{
	struct fixture *f = *state;
	char real[300], real_db[320], expected[CLU_ERR_MAX];

	snprintf(real, sizeof(real), "%s/real", f->base);
	snprintf(real_db, sizeof(real_db), "%s/journal.db", real);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink("real", f->state_dir), 0);
	snprintf(expected, sizeof(expected), "state directory '%s' is a symbolic link "
		 "(to 'real'): refusing to follow it", f->state_dir);
	assert_open_refused(f, expected);
	assert_int_equal(access(real_db, F_OK), -1);

	/* A link among the parents is the operator's business (/var may be one). */
	snprintf(f->state_dir, sizeof(f->state_dir), "%s/state/sub", f->base);
	snprintf(f->db_path, sizeof(f->db_path), "%s/journal.db", f->state_dir);
	open_journal(f);
	begin_run(f->journal, "sp2");
	snprintf(real_db, sizeof(real_db), "%s/sub/journal.db", real);
	assert_int_equal(mode_of(real_db), 0600);
}

static void test_open_refuses_symlinked_journal_files(void **state)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct fixture *f = *state;
	char victim[300], link_path[450], expected[CLU_ERR_MAX];
	struct stat before, after;
	int fd;

	/* Empty, as a file an attacker wants filled: SQLite would take it for
	 * a new database and write the schema into it. */
	snprintf(victim, sizeof(victim), "%s/victim", f->base);
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(victim, 0644), 0);
	assert_int_equal(stat(victim, &before), 0);
	assert_int_equal(mkdir(f->state_dir, 0700), 0);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(link_path, sizeof(link_path), "%s%s", f->db_path, suffixes[i]);
		assert_int_equal(symlink(victim, link_path), 0);
		snprintf(expected, sizeof(expected), "journal file '%s' is a symbolic link "
			 "(to '%s'): refusing to follow it", link_path, victim);
		assert_open_refused(f, expected);
		assert_int_equal(unlink(link_path), 0);
	}
	/* The file the links led to is as it was: nothing written into it. */
	assert_int_equal(stat(victim, &after), 0);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_size, 0);
}

static void test_open_refuses_journal_file_writable_by_others(void **state)
{
	struct fixture *f = *state;
	char expected[CLU_ERR_MAX];

	open_journal(f);
	clu_journal_close(f->journal);
	f->journal = NULL;
	assert_int_equal(chmod(f->db_path, 0666), 0);
	snprintf(expected, sizeof(expected), "journal file '%s' is writable by its group and "
		 "others (mode 0666): fix with chmod go-w '%s'", f->db_path, f->db_path);
	assert_open_refused(f, expected);
}

/* ---- runs ---- */

static void test_last_run_and_runs_on_empty_journal(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record *runs = (struct clu_run_record *)&err;
	size_t n = 99;
	int64_t run_id = 99;

	open_journal(f);
	ok(clu_journal_last_run(f->journal, &run_id, &err), &err);
	assert_int_equal(run_id, 0);
	ok(clu_journal_runs(f->journal, &runs, &n, &err), &err);
	assert_null(runs);
	assert_int_equal(n, 0);
	clu_run_records_free(runs, n);
}

static void test_run_round_trip(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record run;
	struct clu_run_record *runs = NULL;
	size_t n = 0;
	int64_t first, second, last, before_real, before_mono;

	open_journal(f);
	before_real = clu_now_real_ms();
	before_mono = clu_now_mono_ms();
	first = begin_run(f->journal, "sp2");
	second = begin_run(f->journal, "sp3");
	assert_int_equal(first, 1);
	assert_int_equal(second, 2);
	sleep_ms(5);
	ok(clu_journal_run_end(f->journal, first, CLU_RUN_SUCCEEDED, "all 4 steps done", &err),
	   &err);

	ok(clu_journal_run_load(f->journal, first, &run, &err), &err);
	assert_int_equal(run.id, 1);
	assert_string_equal(run.update, "sp2");
	assert_string_equal(run.version, "2");
	assert_string_equal(run.manifest_path, "/etc/clupdate/sp2.conf");
	assert_string_equal(run.manifest_text, "[update]\nname = sp2\n");
	assert_string_equal(run.strategy, "in-place");
	assert_string_equal(run.cluster, "lab:demo");
	assert_string_equal(run.plan_json, "{\"steps\":[]}");
	assert_int_equal(run.n_planned, 4);
	assert_int_equal(run.state, CLU_RUN_SUCCEEDED);
	assert_string_equal(run.message, "all 4 steps done");
	assert_in_range(run.started_real_ms, before_real, clu_now_real_ms());
	assert_in_range(run.started_mono_ms, before_mono, clu_now_mono_ms());
	assert_in_range(run.ended_real_ms, run.started_real_ms, clu_now_real_ms());
	assert_in_range(run.ended_mono_ms, run.started_mono_ms + 5, clu_now_mono_ms());
	assert_int_equal(run.n_steps, 0);
	assert_int_equal(run.n_changes, 0);
	assert_int_equal(run.n_events, 0);
	clu_run_record_release(&run);

	/* The second run has no end yet: running, ended times 0. */
	ok(clu_journal_run_load(f->journal, second, &run, &err), &err);
	assert_string_equal(run.update, "sp3");
	assert_int_equal(run.state, CLU_RUN_RUNNING);
	assert_null(run.message);
	assert_int_equal(run.ended_real_ms, 0);
	assert_int_equal(run.ended_mono_ms, 0);
	clu_run_record_release(&run);

	ok(clu_journal_last_run(f->journal, &last, &err), &err);
	assert_int_equal(last, 2);
	ok(clu_journal_runs(f->journal, &runs, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].id, 2);
	assert_string_equal(runs[0].update, "sp3");
	assert_int_equal(runs[0].state, CLU_RUN_RUNNING);
	assert_int_equal(runs[1].id, 1);
	assert_string_equal(runs[1].update, "sp2");
	assert_int_equal(runs[1].state, CLU_RUN_SUCCEEDED);
	assert_null(runs[1].steps);
	clu_run_records_free(runs, n);

	/* A failed run can later be aborted (abort undoes what it left). */
	ok(clu_journal_run_end(f->journal, second, CLU_RUN_FAILED, NULL, &err), &err);
	ok(clu_journal_run_end(f->journal, second, CLU_RUN_ABORTED, "undone", &err), &err);
	ok(clu_journal_run_load(f->journal, second, &run, &err), &err);
	assert_int_equal(run.state, CLU_RUN_ABORTED);
	assert_string_equal(run.message, "undone");
	clu_run_record_release(&run);
}

static void test_run_null_fields_stay_null(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_begin begin = { .update = "sp2", .n_steps = 0 };
	struct clu_run_record run;
	int64_t run_id = 0;

	open_journal(f);
	ok(clu_journal_run_begin(f->journal, &begin, &run_id, &err), &err);
	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_string_equal(run.update, "sp2");
	assert_null(run.version);
	assert_null(run.manifest_path);
	assert_null(run.manifest_text);
	assert_null(run.strategy);
	assert_null(run.cluster);
	assert_null(run.plan_json);
	assert_int_equal(run.n_planned, 0);
	clu_run_record_release(&run);
}

static void test_run_errors(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record run;
	int ret;

	open_journal(f);
	ret = clu_journal_run_load(f->journal, 7, &run, &err);
	assert_journal_error(f, ret, &err, "no run 7");
	/* Released on error: nothing to free, nothing dangling. */
	assert_null(run.update);
	assert_null(run.steps);

	ret = clu_journal_run_end(f->journal, 7, CLU_RUN_FAILED, NULL, &err);
	assert_journal_error(f, ret, &err, "no run 7");

	begin_run(f->journal, "sp2");
	ret = clu_journal_run_end(f->journal, 1, CLU_RUN_RUNNING, NULL, &err);
	assert_journal_error(f, ret, &err, "cannot end run 1 as 'running'");
}

/* ---- steps ---- */

static void test_step_attempts_with_retries(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record run;
	const struct clu_step_record *s;
	int64_t run_id, before_mono;

	open_journal(f);
	run_id = begin_run(f->journal, "sp2");
	before_mono = clu_now_mono_ms();
	ok(clu_journal_step_begin(f->journal, run_id, 1, 1, "pin", NULL, "mail",
				  "pin group 'mail' to its owner", &err), &err);
	ok(clu_journal_step_end(f->journal, run_id, 1, 1, CLU_STEP_DONE, -1, NULL, 0, NULL, &err),
	   &err);
	ok(clu_journal_step_begin(f->journal, run_id, 2, 1, "install", "node1", "mail",
				  "run the installer on node1", &err), &err);
	ok(clu_journal_step_end(f->journal, run_id, 2, 1, CLU_STEP_FAILED, 3, "disk full\n", 10,
				"installer exited with status 3", &err), &err);
	ok(clu_journal_step_begin(f->journal, run_id, 2, 2, "install", "node1", "mail",
				  "run the installer on node1", &err), &err);
	sleep_ms(5);
	ok(clu_journal_step_end(f->journal, run_id, 2, 2, CLU_STEP_DONE, 0, "ok\n", 3, NULL, &err),
	   &err);
	ok(clu_journal_step_begin(f->journal, run_id, 3, 1, "verify", "node1", "mail", NULL, &err),
	   &err);

	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_int_equal(run.n_steps, 4);

	s = &run.steps[0];
	assert_int_equal(s->step, 1);
	assert_int_equal(s->attempt, 1);
	assert_string_equal(s->action, "pin");
	assert_null(s->node);
	assert_string_equal(s->group, "mail");
	assert_string_equal(s->description, "pin group 'mail' to its owner");
	assert_int_equal(s->state, CLU_STEP_DONE);
	assert_int_equal(s->exit_code, -1);
	assert_null(s->output);
	assert_null(s->message);
	assert_in_range(s->started_mono_ms, before_mono, s->ended_mono_ms);
	assert_true(s->ended_real_ms >= s->started_real_ms);

	s = &run.steps[1];
	assert_int_equal(s->step, 2);
	assert_int_equal(s->attempt, 1);
	assert_string_equal(s->action, "install");
	assert_string_equal(s->node, "node1");
	assert_int_equal(s->state, CLU_STEP_FAILED);
	assert_int_equal(s->exit_code, 3);
	assert_string_equal(s->output, "disk full\n");
	assert_string_equal(s->message, "installer exited with status 3");

	s = &run.steps[2];
	assert_int_equal(s->step, 2);
	assert_int_equal(s->attempt, 2);
	assert_int_equal(s->state, CLU_STEP_DONE);
	assert_int_equal(s->exit_code, 0);
	assert_string_equal(s->output, "ok\n");
	assert_in_range(s->ended_mono_ms, s->started_mono_ms + 5, clu_now_mono_ms());
	assert_true(s->started_mono_ms >= run.steps[1].ended_mono_ms);

	/* Still running: no end, no exit code. */
	s = &run.steps[3];
	assert_int_equal(s->step, 3);
	assert_int_equal(s->attempt, 1);
	assert_string_equal(s->action, "verify");
	assert_null(s->description);
	assert_int_equal(s->state, CLU_STEP_RUNNING);
	assert_int_equal(s->exit_code, -1);
	assert_int_equal(s->ended_real_ms, 0);
	assert_int_equal(s->ended_mono_ms, 0);
	assert_true(s->started_real_ms > 0);
	clu_run_record_release(&run);
}

static void test_step_errors(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	int64_t run_id;
	int ret;

	open_journal(f);
	run_id = begin_run(f->journal, "sp2");

	ret = clu_journal_step_begin(f->journal, 42, 1, 1, "pin", NULL, "mail", NULL, &err);
	assert_journal_error(f, ret, &err, "cannot record step 1 attempt 1 of run 42: no run 42");

	ok(clu_journal_step_begin(f->journal, run_id, 1, 1, "pin", NULL, "mail", NULL, &err),
	   &err);
	ret = clu_journal_step_begin(f->journal, run_id, 1, 1, "pin", NULL, "mail", NULL, &err);
	assert_journal_error(f, ret, &err,
			     "cannot record step 1 attempt 1 of run 1: UNIQUE constraint failed:"
			     " step_attempts.run_id, step_attempts.step, step_attempts.attempt");

	ret = clu_journal_step_begin(f->journal, run_id, 2, 1, NULL, NULL, NULL, NULL, &err);
	assert_journal_error(f, ret, &err, "cannot record step 2 attempt 1 of run 1:"
			     " NOT NULL constraint failed: step_attempts.action");

	ret = clu_journal_step_end(f->journal, run_id, 1, 1, CLU_STEP_RUNNING, 0, NULL, 0, NULL,
				   &err);
	assert_journal_error(f, ret, &err, "cannot end step 1 attempt 1 of run 1 in state 'running'");

	ret = clu_journal_step_end(f->journal, run_id, 1, 2, CLU_STEP_DONE, 0, NULL, 0, NULL, &err);
	assert_journal_error(f, ret, &err, "no running step 1 attempt 2 in run 1");

	/* An attempt ends once. */
	ok(clu_journal_step_end(f->journal, run_id, 1, 1, CLU_STEP_DONE, 0, NULL, 0, NULL, &err),
	   &err);
	ret = clu_journal_step_end(f->journal, run_id, 1, 1, CLU_STEP_FAILED, 1, NULL, 0, NULL,
				   &err);
	assert_journal_error(f, ret, &err, "no running step 1 attempt 1 in run 1");
}

/* Step 1 ends with output of len bytes (a repeating pattern); its record. */
static char *record_output(struct fixture *f, int64_t run_id, unsigned step, char *output,
			   size_t len)
{
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record run;
	char *kept;

	for (size_t i = 0; i < len; i++)
		output[i] = (char)('a' + (i * 7 + i / 26) % 26);
	ok(clu_journal_step_begin(f->journal, run_id, step, 1, "install", "node1", "mail", NULL,
				  &err), &err);
	ok(clu_journal_step_end(f->journal, run_id, step, 1, CLU_STEP_DONE, 0, output, len, NULL,
				&err), &err);
	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_int_equal(run.n_steps, step);
	kept = run.steps[step - 1].output;
	run.steps[step - 1].output = NULL;
	clu_run_record_release(&run);
	return kept;
}

static void test_output_bounding_exact(void **state)
{
	struct fixture *f = *state;
	const size_t max = CLU_JOURNAL_OUTPUT_MAX, half = CLU_JOURNAL_OUTPUT_MAX / 2;
	const size_t big = 3 * CLU_JOURNAL_OUTPUT_MAX + 12345;
	char *output = malloc(big), *kept, marker[64];
	size_t marker_len;
	int64_t run_id;
	sqlite3 *db;

	assert_non_null(output);
	open_journal(f);
	run_id = begin_run(f->journal, "sp2");

	/* Exactly the bound: kept whole. */
	kept = record_output(f, run_id, 1, output, max);
	assert_int_equal(strlen(kept), max);
	assert_memory_equal(kept, output, max);
	free(kept);

	/* One byte over: half the bound, the marker, the last half. */
	kept = record_output(f, run_id, 2, output, max + 1);
	marker_len = (size_t)snprintf(marker, sizeof(marker), "\n[... 1 bytes omitted ...]\n");
	assert_int_equal(strlen(kept), max + marker_len);
	assert_memory_equal(kept, output, half);
	assert_memory_equal(kept + half, marker, marker_len);
	assert_memory_equal(kept + half + marker_len, output + max + 1 - half, half);
	free(kept);

	/* Far over. */
	kept = record_output(f, run_id, 3, output, big);
	assert_int_equal(big - max, 2 * CLU_JOURNAL_OUTPUT_MAX + 12345);
	marker_len = (size_t)snprintf(marker, sizeof(marker), "\n[... %zu bytes omitted ...]\n",
				      big - max);
	assert_string_equal(marker, "\n[... 143417 bytes omitted ...]\n");
	assert_int_equal(strlen(kept), max + marker_len);
	assert_memory_equal(kept, output, half);
	assert_memory_equal(kept + half, marker, marker_len);
	assert_memory_equal(kept + half + marker_len, output + big - half, half);
	free(kept);

	/* The database keeps the size the installer wrote. */
	db = raw_open(f);
	assert_int_equal(raw_int(db, "SELECT output_bytes FROM step_attempts WHERE step = 3"),
			 big);
	assert_int_equal(raw_int(db, "SELECT length(CAST(output AS BLOB)) FROM step_attempts"
				 " WHERE step = 3"), max + marker_len);
	sqlite3_close(db);
	free(output);
}

/* ---- changes ---- */

static int64_t intend(struct clu_journal *journal, int64_t run_id, unsigned step,
		      const char *kind, const char *target, const char *name,
		      const char *prior, const char *value, const char *detail)
{
	struct clu_change change = {
		.id = -1, .run_id = run_id, .step = step,
		.kind = (char *)kind, .target = (char *)target, .name = (char *)name,
		.prior = (char *)prior, .value = (char *)value, .detail = (char *)detail,
		.state = CLU_CHANGE_FAILED,
	};
	struct clu_err err = CLU_ERR_INIT;
	int64_t before = clu_now_real_ms();

	ok(clu_journal_change_intend(journal, &change, &err), &err);
	assert_int_equal(change.state, CLU_CHANGE_INTENDED);
	assert_in_range(change.at_real_ms, before, clu_now_real_ms());
	return change.id;
}

/* A run's record also lists what earlier unfinished runs of its update left open. */
static void test_run_left_earlier(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record run;
	int64_t killed, again, other;

	open_journal(f);
	killed = begin_run(f->journal, "sp2");
	intend(f->journal, killed, 1, "meta", "mail", "is-managed", NULL, "false", NULL);
	intend(f->journal, killed, 0, "lock", "clupdate-lock", "r1-p1-00", NULL, "x", NULL);
	again = begin_run(f->journal, "sp2");
	other = begin_run(f->journal, "sp3");
	ok(clu_journal_run_load(f->journal, again, &run, &err), &err);
	assert_int_equal(run.n_left_earlier, 1);     /* the pin, not the lock */
	assert_int_equal(run.left_earlier[0].run_id, killed);
	assert_string_equal(run.left_earlier[0].kind, "meta");
	clu_run_record_release(&run);
	ok(clu_journal_run_load(f->journal, other, &run, &err), &err);
	assert_int_equal(run.n_left_earlier, 0);     /* another update's */
	clu_run_record_release(&run);
}

/* A run refused at the lock is discarded; one that changed something is kept. */
static void test_run_discard(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	int64_t first, refused, last = 0, lock;

	open_journal(f);
	first = begin_run(f->journal, "sp2");
	refused = begin_run(f->journal, "sp2");
	lock = intend(f->journal, refused, 0, "lock", "clupdate-lock", "r2-p1-00", NULL, "x", NULL);
	ok(clu_journal_change_mark(f->journal, lock, CLU_CHANGE_FAILED, &err), &err);
	ok(clu_journal_run_discard(f->journal, refused, &err), &err);
	ok(clu_journal_last_run(f->journal, &last, &err), &err);
	assert_int_equal(last, first);

	/* first has a change still applied: kept. */
	intend(f->journal, first, 1, "meta", "mail", "is-managed", NULL, "false", NULL);
	assert_int_equal(clu_journal_run_discard(f->journal, first, &err), CLU_E_JOURNAL);
	assert_non_null(strstr(err.msg, "left a change open"));
	ok(clu_journal_last_run(f->journal, &last, &err), &err);
	assert_int_equal(last, first);
}

static void test_changes_lifecycle(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_change *open = NULL;
	struct clu_run_record run;
	size_t n = 0;
	int64_t run_id, other, pin, standby, ban, property;

	open_journal(f);
	run_id = begin_run(f->journal, "sp2");
	other = begin_run(f->journal, "sp3");
	pin = intend(f->journal, run_id, 1, "meta", "mail", "is-managed", NULL, "false", NULL);
	standby = intend(f->journal, run_id, 4, "node-attribute", "node2", "standby", "off", "on",
			 NULL);
	ban = intend(f->journal, run_id, 6, "constraint", "cli-ban-mail-on-node2", NULL, NULL,
		     NULL, "<rsc_location id=\"cli-ban-mail-on-node2\"/>");
	property = intend(f->journal, run_id, 7, "property", "cib-bootstrap-options",
			  "maintenance-mode", "false", "true", NULL);
	intend(f->journal, other, 0, "meta", "db", "is-managed", NULL, "false", NULL);
	assert_int_equal(pin, 1);
	assert_int_equal(standby, 2);
	assert_int_equal(ban, 3);
	assert_int_equal(property, 4);

	ok(clu_journal_change_mark(f->journal, pin, CLU_CHANGE_APPLIED, &err), &err);
	ok(clu_journal_change_mark(f->journal, standby, CLU_CHANGE_APPLIED, &err), &err);
	ok(clu_journal_change_mark(f->journal, standby, CLU_CHANGE_RESTORED, &err), &err);
	ok(clu_journal_change_mark(f->journal, property, CLU_CHANGE_FAILED, &err), &err);
	/* ban stays intended: maybe made, maybe not (a crash in between). */

	ok(clu_journal_changes_open(f->journal, run_id, &open, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_int_equal(open[0].id, ban);                /* newest first */
	assert_int_equal(open[0].run_id, run_id);
	assert_int_equal(open[0].step, 6);
	assert_string_equal(open[0].kind, "constraint");
	assert_string_equal(open[0].target, "cli-ban-mail-on-node2");
	assert_null(open[0].name);
	assert_null(open[0].prior);
	assert_null(open[0].value);
	assert_string_equal(open[0].detail, "<rsc_location id=\"cli-ban-mail-on-node2\"/>");
	assert_int_equal(open[0].state, CLU_CHANGE_INTENDED);
	assert_int_equal(open[1].id, pin);
	assert_string_equal(open[1].kind, "meta");
	assert_string_equal(open[1].target, "mail");
	assert_string_equal(open[1].name, "is-managed");
	assert_null(open[1].prior);
	assert_string_equal(open[1].value, "false");
	assert_int_equal(open[1].state, CLU_CHANGE_APPLIED);
	clu_changes_free(open, n);

	/* The run's record lists them all, in the order made. */
	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_int_equal(run.n_changes, 4);
	assert_int_equal(run.changes[0].id, pin);
	assert_int_equal(run.changes[0].state, CLU_CHANGE_APPLIED);
	assert_int_equal(run.changes[1].id, standby);
	assert_string_equal(run.changes[1].prior, "off");
	assert_string_equal(run.changes[1].value, "on");
	assert_int_equal(run.changes[1].state, CLU_CHANGE_RESTORED);
	assert_int_equal(run.changes[2].id, ban);
	assert_int_equal(run.changes[2].state, CLU_CHANGE_INTENDED);
	assert_int_equal(run.changes[3].id, property);
	assert_int_equal(run.changes[3].state, CLU_CHANGE_FAILED);
	clu_run_record_release(&run);

	/* Nothing open once all are restored. */
	ok(clu_journal_change_mark(f->journal, ban, CLU_CHANGE_RESTORED, &err), &err);
	ok(clu_journal_change_mark(f->journal, pin, CLU_CHANGE_RESTORED, &err), &err);
	ok(clu_journal_changes_open(f->journal, run_id, &open, &n, &err), &err);
	assert_int_equal(n, 0);
	assert_null(open);
	clu_changes_free(open, n);
}

/* c is about node and group (NULL: none). */
static void assert_about(const struct clu_change *c, const char *node, const char *group)
{
	if (node)
		assert_string_equal(c->node, node);
	else
		assert_null(c->node);
	if (group)
		assert_string_equal(c->group, group);
	else
		assert_null(c->group);
}

/* The node and the group of a change come back as recorded, from every reader. */
static void test_change_node_and_group(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_change ban = {
		.kind = "constraint", .target = "clupdate-ban-add-on-svc-on-n1",
		.name = "add-on-svc", .value = "-INFINITY",
		.detail = "<rsc_location id=\"clupdate-ban-add-on-svc-on-n1\"/>",
		.node = "n1", .group = "add-on-svc",
	};
	struct clu_change pin = {
		.kind = "meta", .target = "mail", .name = "is-managed", .value = "false",
		.group = "mail",
	};
	struct clu_change *open = NULL;
	struct clu_run_record run;
	size_t n = 0;
	int64_t killed, again;

	open_journal(f);
	killed = begin_run(f->journal, "sp2");
	ban.run_id = pin.run_id = killed;
	ok(clu_journal_change_intend(f->journal, &ban, &err), &err);
	ok(clu_journal_change_intend(f->journal, &pin, &err), &err);

	ok(clu_journal_changes_open(f->journal, killed, &open, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(open[0].kind, "meta");           /* newest first */
	assert_about(&open[0], NULL, "mail");
	assert_about(&open[1], "n1", "add-on-svc");
	clu_changes_free(open, n);

	ok(clu_journal_run_load(f->journal, killed, &run, &err), &err);
	assert_int_equal(run.n_changes, 2);
	assert_about(&run.changes[0], "n1", "add-on-svc");
	assert_about(&run.changes[1], NULL, "mail");
	clu_run_record_release(&run);

	/* A later run of the same update sees them left in effect, with both. */
	again = begin_run(f->journal, "sp2");
	ok(clu_journal_run_load(f->journal, again, &run, &err), &err);
	assert_int_equal(run.n_left_earlier, 2);
	assert_about(&run.left_earlier[0], "n1", "add-on-svc");
	assert_about(&run.left_earlier[1], NULL, "mail");
	clu_run_record_release(&run);
}

/* Schema version 1, as clupdate 0.1 created it (lib/journal.c, migration 0 -> 1). */
static const char schema_v1[] =
	"PRAGMA application_id = 1129076048;"
	"CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, update_name TEXT,"
	" version TEXT, manifest_path TEXT, manifest_text TEXT, strategy TEXT, cluster TEXT,"
	" plan_json TEXT, n_planned INTEGER NOT NULL CHECK (n_planned >= 0),"
	" state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'aborted')),"
	" message TEXT, started_real_ms INTEGER NOT NULL, started_mono_ms INTEGER NOT NULL,"
	" ended_real_ms INTEGER, ended_mono_ms INTEGER);"
	"CREATE TABLE step_attempts (id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs (id), step INTEGER NOT NULL CHECK (step >= 0),"
	" attempt INTEGER NOT NULL CHECK (attempt >= 1), action TEXT NOT NULL, node TEXT,"
	" group_name TEXT, description TEXT, state TEXT NOT NULL CHECK (state IN"
	" ('pending', 'running', 'done', 'failed', 'skipped')), exit_code INTEGER, output TEXT,"
	" output_bytes INTEGER, message TEXT, started_real_ms INTEGER NOT NULL,"
	" started_mono_ms INTEGER NOT NULL, ended_real_ms INTEGER, ended_mono_ms INTEGER,"
	" UNIQUE (run_id, step, attempt));"
	"CREATE TABLE changes (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id INTEGER NOT NULL REFERENCES runs (id), step INTEGER NOT NULL CHECK (step >= 0),"
	" kind TEXT NOT NULL, target TEXT NOT NULL, name TEXT, prior TEXT, value TEXT,"
	" detail TEXT, state TEXT NOT NULL CHECK (state IN"
	" ('intended', 'applied', 'restored', 'failed')), intended_real_ms INTEGER NOT NULL,"
	" marked_real_ms INTEGER);"
	"CREATE INDEX changes_by_run ON changes (run_id, id);"
	"CREATE TABLE snapshots (id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs (id), step INTEGER NOT NULL CHECK (step >= 0),"
	" phase TEXT NOT NULL, cluster_json TEXT NOT NULL, at_real_ms INTEGER NOT NULL,"
	" at_mono_ms INTEGER NOT NULL);"
	"CREATE INDEX snapshots_by_run ON snapshots (run_id, step);"
	"CREATE TABLE events (id INTEGER PRIMARY KEY,"
	" run_id INTEGER NOT NULL REFERENCES runs (id), at_mono_ms INTEGER NOT NULL,"
	" at_real_ms INTEGER NOT NULL, kind TEXT NOT NULL, source TEXT, group_name TEXT,"
	" detail TEXT);"
	"CREATE INDEX events_by_time ON events (run_id, at_mono_ms, id);"
	"PRAGMA user_version = 1;";

/*
 * A journal of schema 1 is migrated at open: each change gets the node and
 * group its kind implies, a constraint's node from its rsc_location XML
 * (never from its id: the group add-on-svc has "-on-" in its name).
 */
static void test_migrate_from_schema_1(void **state)
{
	static const char rows[] =
		"INSERT INTO runs (update_name, version, n_planned, state, started_real_ms,"
		" started_mono_ms) VALUES ('sp2', '2', 3, 'failed', 1, 1);"
		"INSERT INTO changes (run_id, step, kind, target, name, prior, value, detail,"
		" state, intended_real_ms) VALUES"
		" (1, 0, 'lock', 'clupdate-lock', 'r1-p1-00', NULL, 'x', NULL, 'applied', 1),"
		" (1, 1, 'meta', 'add-on-svc', 'is-managed', NULL, 'false', NULL, 'applied', 2),"
		" (1, 2, 'node-attribute', 'n2', 'standby', 'off', 'on', NULL, 'restored', 3),"
		" (1, 3, 'constraint', 'clupdate-ban-add-on-svc-on-n1', 'add-on-svc', NULL,"
		"  '-INFINITY', '<rsc_location id=\"clupdate-ban-add-on-svc-on-n1\"'"
		"  || ' rsc=\"add-on-svc\" node=\"n1\" score=\"-INFINITY\"/>', 'applied', 4),"
		" (1, 4, 'constraint', 'clupdate-ban-db-on-n2', 'db', NULL, '-INFINITY',"
		"  'not xml', 'intended', 5);";
	static const struct {
		const char *kind, *node, *group;
	} want[] = {
		{ "lock", NULL, NULL },
		{ "meta", NULL, "add-on-svc" },
		{ "node-attribute", "n2", NULL },
		{ "constraint", "n1", "add-on-svc" },
		{ "constraint", NULL, "db" },           /* a detail that is not XML: no node */
	};
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_change *open = NULL;
	struct clu_run_record run;
	size_t n = 0;
	sqlite3 *db;

	assert_int_equal(mkdir(f->state_dir, 0700), 0);
	assert_int_equal(sqlite3_open(f->db_path, &db), SQLITE_OK);
	assert_int_equal(chmod(f->db_path, 0600), 0);
	if (sqlite3_exec(db, schema_v1, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, rows, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("old schema: %s", sqlite3_errmsg(db));
	sqlite3_close(db);

	open_journal(f);
	db = raw_open(f);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
	sqlite3_close(db);
	ok(clu_journal_run_load(f->journal, 1, &run, &err), &err);
	assert_int_equal(run.n_changes, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < run.n_changes; i++) {
		assert_string_equal(run.changes[i].kind, want[i].kind);
		assert_about(&run.changes[i], want[i].node, want[i].group);
	}
	/* What the rows held before is untouched. */
	assert_string_equal(run.changes[3].target, "clupdate-ban-add-on-svc-on-n1");
	assert_string_equal(run.changes[3].name, "add-on-svc");
	assert_string_equal(run.changes[2].prior, "off");
	clu_run_record_release(&run);

	ok(clu_journal_changes_open(f->journal, 1, &open, &n, &err), &err);
	assert_int_equal(n, 4);
	assert_int_equal(open[0].id, 5);
	assert_int_equal(open[1].id, 4);
	assert_about(&open[1], "n1", "add-on-svc");
	clu_changes_free(open, n);

	/* Opening again migrates nothing. */
	reopen_journal(f);
	db = raw_open(f);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM changes WHERE node = 'n1'"), 1);
	sqlite3_close(db);
}

static void test_change_errors(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_change change = {
		.run_id = 5, .kind = "meta", .target = "mail", .name = "is-managed",
	};
	int ret;

	open_journal(f);
	ret = clu_journal_change_intend(f->journal, &change, &err);
	assert_journal_error(f, ret, &err, "cannot record the change of meta 'mail': no run 5");

	change.run_id = begin_run(f->journal, "sp2");
	change.target = NULL;
	ret = clu_journal_change_intend(f->journal, &change, &err);
	assert_journal_error(f, ret, &err, "cannot record the change of meta '(no target)':"
			     " NOT NULL constraint failed: changes.target");

	ret = clu_journal_change_mark(f->journal, 99, CLU_CHANGE_APPLIED, &err);
	assert_journal_error(f, ret, &err, "no change 99");
	ret = clu_journal_change_mark(f->journal, 1, CLU_CHANGE_INTENDED, &err);
	assert_journal_error(f, ret, &err, "cannot mark change 1 as 'intended'");
}

/* ---- snapshots and events ---- */

static void test_snapshot_recorded(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	char json[128];
	int64_t run_id;
	sqlite3 *db;
	int ret;

	open_journal(f);
	run_id = begin_run(f->journal, "sp2");
	ok(clu_journal_snapshot(f->journal, run_id, 2, "before", "{\"owner\":\"node1\"}", &err),
	   &err);
	ok(clu_journal_snapshot(f->journal, run_id, 2, "after", "{\"owner\":\"node1\"}", &err),
	   &err);
	ret = clu_journal_snapshot(f->journal, 9, 1, "before", "{}", &err);
	assert_journal_error(f, ret, &err,
			     "cannot record the snapshot of step 1 (before) of run 9: no run 9");

	db = raw_open(f);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM snapshots"), 2);
	raw_text(db, "SELECT phase || ' ' || step || ' ' || cluster_json FROM snapshots"
		 " ORDER BY id LIMIT 1", json, sizeof(json));
	assert_string_equal(json, "before 2 {\"owner\":\"node1\"}");
	assert_true(raw_int(db, "SELECT min(at_mono_ms) FROM snapshots") > 0);
	sqlite3_close(db);
}

static void test_events_in_monotonic_order(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record run;
	int64_t run_id;
	int ret;

	open_journal(f);
	run_id = begin_run(f->journal, "sp2");
	/* Recorded out of order, as a probe thread and the executor would. */
	ok(clu_journal_event(f->journal, run_id, 3000, 1700000003000, "probe-up", "smtp",
			     "mail", "250 after 2000 ms", &err), &err);
	ok(clu_journal_event(f->journal, run_id, 1000, 1700000001000, "service-stopped", "node1",
			     "mail", NULL, &err), &err);
	ok(clu_journal_event(f->journal, run_id, 2000, 1700000002000, "service-started", "node1",
			     "mail", NULL, &err), &err);
	ok(clu_journal_event(f->journal, run_id, 1000, 1700000001001, "probe-down", "smtp",
			     "mail", "connection refused", &err), &err);

	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_int_equal(run.n_events, 4);
	assert_int_equal(run.events[0].at_mono_ms, 1000);
	assert_string_equal(run.events[0].kind, "service-stopped");   /* ties: as recorded */
	assert_int_equal(run.events[1].at_mono_ms, 1000);
	assert_int_equal(run.events[1].at_real_ms, 1700000001001);
	assert_string_equal(run.events[1].kind, "probe-down");
	assert_string_equal(run.events[1].source, "smtp");
	assert_string_equal(run.events[1].group, "mail");
	assert_string_equal(run.events[1].detail, "connection refused");
	assert_int_equal(run.events[2].at_mono_ms, 2000);
	assert_string_equal(run.events[2].kind, "service-started");
	assert_null(run.events[2].detail);
	assert_int_equal(run.events[3].at_mono_ms, 3000);
	assert_string_equal(run.events[3].kind, "probe-up");
	clu_run_record_release(&run);

	ret = clu_journal_event(f->journal, 3, 1, 1, "probe-down", "smtp", "mail", NULL, &err);
	assert_journal_error(f, ret, &err, "cannot record event 'probe-down' of run 3: no run 3");
}

/* ---- crash and reopen ---- */

static void test_crash_keeps_run_and_intended_change(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_change *open = NULL;
	struct clu_run_record run;
	size_t n = 0;
	int64_t last = 0;
	int status;
	pid_t pid;

	/*
	 * A child process writes and dies without closing anything (no
	 * sqlite3_close, no checkpoint, no atexit), as a crashed `apply`.
	 */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct clu_journal *journal = NULL;
		struct clu_change change = {
			.run_id = 1, .step = 1, .kind = "meta", .target = "mail",
			.name = "is-managed", .prior = "true", .value = "false",
		};

		if (clu_journal_open(&journal, f->state_dir, &err) ||
		    begin_run(journal, "sp2") != 1 ||
		    clu_journal_step_begin(journal, 1, 1, 1, "pin", NULL, "mail", NULL, &err) ||
		    clu_journal_change_intend(journal, &change, &err))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	open_journal(f);
	ok(clu_journal_last_run(f->journal, &last, &err), &err);
	assert_int_equal(last, 1);
	ok(clu_journal_run_load(f->journal, 1, &run, &err), &err);
	assert_int_equal(run.state, CLU_RUN_RUNNING);
	assert_int_equal(run.ended_real_ms, 0);
	assert_int_equal(run.n_steps, 1);
	assert_int_equal(run.steps[0].state, CLU_STEP_RUNNING);
	assert_int_equal(run.n_changes, 1);
	clu_run_record_release(&run);
	ok(clu_journal_changes_open(f->journal, 1, &open, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_int_equal(open[0].id, 1);
	assert_int_equal(open[0].state, CLU_CHANGE_INTENDED);
	assert_string_equal(open[0].prior, "true");
	assert_string_equal(open[0].value, "false");
	clu_changes_free(open, n);

	/* A clean close and reopen keeps everything too, and ids go on. */
	ok(clu_journal_run_end(f->journal, 1, CLU_RUN_FAILED, "interrupted", &err), &err);
	reopen_journal(f);
	ok(clu_journal_run_load(f->journal, 1, &run, &err), &err);
	assert_int_equal(run.state, CLU_RUN_FAILED);
	assert_string_equal(run.message, "interrupted");
	clu_run_record_release(&run);
	assert_int_equal(begin_run(f->journal, "sp3"), 2);
}

/* ---- concurrency ---- */

#define EVENTS_PER_WRITER 150

struct writer {
	struct clu_journal *journal;
	int64_t run_id;
	const char *source;
	int failures;
	char first_error[CLU_ERR_MAX];
};

static void *write_events(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < EVENTS_PER_WRITER; i++) {
		struct clu_err err = CLU_ERR_INIT;
		char detail[32];

		snprintf(detail, sizeof(detail), "%d", i);
		if (clu_journal_event(w->journal, w->run_id, clu_now_mono_ms(), clu_now_real_ms(),
				      "probe-up", w->source, "mail", detail, &err)) {
			if (!w->failures++)
				snprintf(w->first_error, sizeof(w->first_error), "%s", err.msg);
		}
	}
	return NULL;
}

static void test_concurrent_event_writers(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_journal *second = NULL;
	struct clu_run_record run;
	struct writer writers[3];
	pthread_t threads[3];
	int seen[3][EVENTS_PER_WRITER];
	int64_t run_id;

	open_journal(f);
	ok(clu_journal_open(&second, f->state_dir, &err), &err);
	run_id = begin_run(f->journal, "sp2");
	/* Two threads share the executor's handle; a third has its own connection. */
	writers[0] = (struct writer){ f->journal, run_id, "probe-a", 0, "" };
	writers[1] = (struct writer){ f->journal, run_id, "probe-b", 0, "" };
	writers[2] = (struct writer){ second, run_id, "other-process", 0, "" };
	for (int t = 0; t < 3; t++)
		assert_int_equal(pthread_create(&threads[t], NULL, write_events, &writers[t]), 0);
	/* Meanwhile the executor goes on writing and reading. */
	for (unsigned step = 1; step <= 20; step++) {
		ok(clu_journal_step_begin(f->journal, run_id, step, 1, "verify", "node1", "mail",
					  NULL, &err), &err);
		ok(clu_journal_step_end(f->journal, run_id, step, 1, CLU_STEP_DONE, 0, "ok", 2,
					NULL, &err), &err);
		ok(clu_journal_run_load(second, run_id, &run, &err), &err);
		clu_run_record_release(&run);
	}
	for (int t = 0; t < 3; t++) {
		assert_int_equal(pthread_join(threads[t], NULL), 0);
		if (writers[t].failures)
			fail_msg("%s: %d failures, first: %s", writers[t].source,
				 writers[t].failures, writers[t].first_error);
	}
	clu_journal_close(second);

	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_int_equal(run.n_steps, 20);
	assert_int_equal(run.n_events, 3 * EVENTS_PER_WRITER);
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < run.n_events; i++) {
		const struct clu_event_record *e = &run.events[i];
		int t = -1, k = atoi(e->detail);

		for (int w = 0; w < 3; w++)
			if (strcmp(e->source, writers[w].source) == 0)
				t = w;
		assert_true(t >= 0);
		assert_in_range(k, 0, EVENTS_PER_WRITER - 1);
		seen[t][k]++;
		if (i > 0)
			assert_true(e->at_mono_ms >= run.events[i - 1].at_mono_ms);
	}
	for (int t = 0; t < 3; t++)
		for (int k = 0; k < EVENTS_PER_WRITER; k++)
			assert_int_equal(seen[t][k], 1);
	clu_run_record_release(&run);
}

#define CHANGES_PER_WRITER 100

struct change_writer {
	struct clu_journal *journal;
	int64_t run_id;
	const char *target;
	int64_t ids[CHANGES_PER_WRITER];
	int failures;
};

static void *intend_changes(void *arg)
{
	struct change_writer *w = arg;

	for (int i = 0; i < CHANGES_PER_WRITER; i++) {
		struct clu_change change = {
			.run_id = w->run_id, .kind = "meta", .target = (char *)w->target,
			.name = "is-managed", .value = "false",
		};
		struct clu_err err = CLU_ERR_INIT;

		w->failures += clu_journal_change_intend(w->journal, &change, &err) != 0;
		w->ids[i] = change.id;
	}
	return NULL;
}

/*
 * Threads on one handle each get the id of their own change back. The id
 * comes from sqlite3_last_insert_rowid(), which is per connection: the
 * journal's mutex keeps another thread's insert out between the insert
 * and that call. The window is narrow, so this checks the contract more
 * than it catches a missing lock (a missing lock together with a
 * connection opened without SQLite's own mutex crashes the test above).
 */
static void test_concurrent_changes_get_their_own_ids(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct change_writer writers[2] = { { .target = "mail" }, { .target = "db" } };
	struct clu_run_record run;
	pthread_t threads[2];
	int64_t run_id;

	open_journal(f);
	run_id = begin_run(f->journal, "sp2");
	for (int t = 0; t < 2; t++) {
		writers[t].journal = f->journal;
		writers[t].run_id = run_id;
		assert_int_equal(pthread_create(&threads[t], NULL, intend_changes, &writers[t]), 0);
	}
	for (int t = 0; t < 2; t++) {
		assert_int_equal(pthread_join(threads[t], NULL), 0);
		assert_int_equal(writers[t].failures, 0);
	}
	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_int_equal(run.n_changes, 2 * CHANGES_PER_WRITER);
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < CHANGES_PER_WRITER; i++) {
			int64_t id = writers[t].ids[i];

			assert_in_range(id, 1, 2 * CHANGES_PER_WRITER);
			assert_int_equal(run.changes[id - 1].id, id);
			assert_string_equal(run.changes[id - 1].target, writers[t].target);
		}
	clu_run_record_release(&run);
}

/* Releases the raw connection's write lock after a while. */
static void *release_later(void *arg)
{
	sqlite3 *db = arg;

	sleep_ms(300);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

static void test_reader_and_busy_writer(void **state)
{
	struct fixture *f = *state;
	struct clu_err err = CLU_ERR_INIT;
	struct clu_run_record run;
	pthread_t thread;
	int64_t run_id, before;
	sqlite3 *db;

	open_journal(f);
	run_id = begin_run(f->journal, "sp2");
	/* Another process is in the middle of a write transaction. */
	db = raw_open(f);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; UPDATE runs SET message = 'x'",
				      NULL, NULL, NULL), SQLITE_OK);
	/* Readers are not blocked (WAL) and see the last commit. */
	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_null(run.message);
	clu_run_record_release(&run);
	/* A writer waits for the lock (busy timeout) instead of failing. */
	assert_int_equal(pthread_create(&thread, NULL, release_later, db), 0);
	before = clu_now_mono_ms();
	ok(clu_journal_event(f->journal, run_id, 1, 1, "probe-down", "smtp", "mail", NULL, &err),
	   &err);
	assert_true(clu_now_mono_ms() - before >= 250);
	assert_int_equal(pthread_join(thread, NULL), 0);
	sqlite3_close(db);
	ok(clu_journal_run_load(f->journal, run_id, &run, &err), &err);
	assert_string_equal(run.message, "x");
	assert_int_equal(run.n_events, 1);
	clu_run_record_release(&run);
}

/* ---- names and clocks ---- */

static void test_state_names_and_clocks(void **state)
{
	int64_t real = clu_now_real_ms(), mono = clu_now_mono_ms();

	(void)state;
	assert_string_equal(clu_run_state_name(CLU_RUN_RUNNING), "running");
	assert_string_equal(clu_run_state_name(CLU_RUN_SUCCEEDED), "succeeded");
	assert_string_equal(clu_run_state_name(CLU_RUN_FAILED), "failed");
	assert_string_equal(clu_run_state_name(CLU_RUN_ABORTED), "aborted");
	assert_string_equal(clu_run_state_name((enum clu_run_state)42), "unknown");
	assert_string_equal(clu_step_state_name(CLU_STEP_PENDING), "pending");
	assert_string_equal(clu_step_state_name(CLU_STEP_RUNNING), "running");
	assert_string_equal(clu_step_state_name(CLU_STEP_DONE), "done");
	assert_string_equal(clu_step_state_name(CLU_STEP_FAILED), "failed");
	assert_string_equal(clu_step_state_name(CLU_STEP_SKIPPED), "skipped");
	assert_string_equal(clu_change_state_name(CLU_CHANGE_INTENDED), "intended");
	assert_string_equal(clu_change_state_name(CLU_CHANGE_APPLIED), "applied");
	assert_string_equal(clu_change_state_name(CLU_CHANGE_RESTORED), "restored");
	assert_string_equal(clu_change_state_name(CLU_CHANGE_FAILED), "failed");
	/* Milliseconds since the epoch: after 2020-01-01, before 2100. */
	assert_in_range(real, 1577836800000, 4102444800000);
	sleep_ms(20);
	assert_in_range(clu_now_mono_ms() - mono, 20, 2000);
	clu_journal_close(NULL);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_open_creates_private_dir_and_file),
		TEST(test_open_modes_ignore_a_strict_umask),
		TEST(test_open_keeps_existing_dir_mode),
		TEST(test_open_sets_wal_and_schema),
		TEST(test_open_errors),
		TEST(test_open_refuses_foreign_and_newer_databases),
		TEST(test_open_refuses_dir_writable_by_others),
		TEST(test_open_refuses_dir_of_another_user),
		TEST(test_open_refuses_symlinked_dir),
		TEST(test_open_refuses_symlinked_journal_files),
		TEST(test_open_refuses_journal_file_writable_by_others),
		TEST(test_last_run_and_runs_on_empty_journal),
		TEST(test_run_round_trip),
		TEST(test_run_null_fields_stay_null),
		TEST(test_run_errors),
		TEST(test_step_attempts_with_retries),
		TEST(test_step_errors),
		TEST(test_output_bounding_exact),
		TEST(test_changes_lifecycle),
		TEST(test_run_discard),
		TEST(test_run_left_earlier),
		TEST(test_change_node_and_group),
		TEST(test_migrate_from_schema_1),
		TEST(test_change_errors),
		TEST(test_snapshot_recorded),
		TEST(test_events_in_monotonic_order),
		TEST(test_crash_keeps_run_and_intended_change),
		TEST(test_concurrent_event_writers),
		TEST(test_concurrent_changes_get_their_own_ids),
		TEST(test_reader_and_busy_writer),
		TEST(test_state_names_and_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
