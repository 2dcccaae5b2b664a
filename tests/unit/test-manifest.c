/*
 * Unit tests of the update manifest parser (lib/manifest.c): the complete
 * example of doc/manifest.md (tests/fixtures/manifests/full.conf), the
 * demo's service pack, the defaults, the text kept as parsed, and one bad
 * manifest per kind of error with its exact message, file and line.
 *
 * Fixtures are read relative to the repository's top directory, where
 * `make check` runs the tests. Inline manifests are written to a private
 * temporary directory as "sp2.conf".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "clupdate/manifest.h"

#define FIXTURES "tests/fixtures/manifests/"

static char tmpdir[64];
static char manifest_path[128];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/clu-test-manifest-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(manifest_path, sizeof(manifest_path), "%s/sp2.conf", tmpdir);
	return 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	unlink(manifest_path);
	return rmdir(tmpdir);
}

/* Write len bytes of text (SIZE_MAX: up to its NUL) as the manifest. */
static void write_manifest(const char *text, size_t len)
{
	FILE *f = fopen(manifest_path, "wb");

	if (len == SIZE_MAX)
		len = strlen(text);

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A manifest with every kind of section, for the error tests to vary. */
#define UPDATE_OK "[update]\nname = mail-sp2\nversion = 2\ngroups = mail\ndata-migration = yes\n"
#define INSTALL_OK "[install]\ncommand = ./install\nverify = ./verify\n"

/* The manifest in text must fail with code and PATH followed by suffix. */
static void check_error_code(const char *text, int code, const char *suffix)
{
	struct clu_manifest m;
	struct clu_err err = CLU_ERR_INIT;
	char expected[CLU_ERR_MAX];

	write_manifest(text, SIZE_MAX);
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(clu_manifest_load(&m, manifest_path, &err), code);
	assert_int_equal(err.code, code);
	snprintf(expected, sizeof(expected), "%s%s", manifest_path, suffix);
	assert_string_equal(err.msg, expected);
	/* Nothing is left to release: the manifest is zeroed. */
	assert_null(m.path);
	assert_null(m.text);
	assert_int_equal(m.text_len, 0);
	assert_null(m.name);
	assert_null(m.groups);
	assert_null(m.hooks);
	assert_null(m.probes);
	assert_int_equal(m.n_hooks, 0);
	clu_manifest_release(&m);
}

static void check_error(const char *text, const char *suffix)
{
	check_error_code(text, CLU_E_MANIFEST, suffix);
}

static void check_fixture_error(const char *name, int code, const char *suffix)
{
	struct clu_manifest m;
	struct clu_err err = CLU_ERR_INIT;
	char path[256], expected[CLU_ERR_MAX];

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	assert_int_equal(clu_manifest_load(&m, path, &err), code);
	snprintf(expected, sizeof(expected), "%s%s", path, suffix);
	assert_string_equal(err.msg, expected);
	assert_null(m.path);
}

static void load_ok(struct clu_manifest *m, const char *path)
{
	struct clu_err err = CLU_ERR_INIT;
	int rc = clu_manifest_load(m, path, &err);

	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(err.code, 0);
}

/* What a probe of a loaded manifest must be (address NULL: none). */
struct probe_want {
	const char *name, *group, *address;
	enum clu_probe_type type;
	unsigned interval_ms, timeout_ms, max_outage_ms, up_timeout_ms;
};

static void assert_probe(const struct clu_probe_spec *probe, struct probe_want want)
{
	assert_string_equal(probe->name, want.name);
	assert_int_equal(probe->type, want.type);
	assert_string_equal(probe->group, want.group);
	if (want.address)
		assert_string_equal(probe->address, want.address);
	else
		assert_null(probe->address);
	assert_int_equal(probe->interval_ms, want.interval_ms);
	assert_int_equal(probe->timeout_ms, want.timeout_ms);
	assert_int_equal(probe->max_outage_ms, want.max_outage_ms);
	assert_int_equal(probe->up_timeout_ms, want.up_timeout_ms);
}

static void assert_settings(const struct clu_group_settings *got,
			    struct clu_group_settings want)
{
	assert_int_equal(got->line, want.line);
	assert_int_equal(got->expected_install_ms, want.expected_install_ms);
	assert_int_equal(got->expected_switchover_ms, want.expected_switchover_ms);
	assert_int_equal(got->max_outage_ms, want.max_outage_ms);
	assert_int_equal(got->up_timeout_ms, want.up_timeout_ms);
}

/* doc/manifest.md shows this file: every section and key. */
static void test_full_example(void **state)
{
	struct clu_manifest m;

	(void)state;
	load_ok(&m, FIXTURES "full.conf");
	assert_string_equal(m.path, FIXTURES "full.conf");
	assert_string_equal(m.name, "mail-sp3");
	assert_string_equal(m.version, "3");
	assert_int_equal(m.n_groups, 2);
	assert_string_equal(m.groups[0], "mail");
	assert_string_equal(m.groups[1], "mail-archive");
	assert_int_equal(m.strategy, CLU_STRATEGY_ROLLING);
	assert_int_equal(m.strategy_line, 12);
	assert_true(m.data_migration);
	assert_true(m.takeover_compatible);
	assert_int_equal(m.max_unavailable, 1);
	assert_int_equal(m.max_failed_nodes, 0);
	assert_int_equal(m.retries, 1);
	assert_int_equal(m.expected_install_ms, 90000);
	assert_int_equal(m.expected_switchover_ms, 4000);
	assert_string_equal(m.version_attribute, "mail-version");

	/* Shell text as written: quotes, ';' and '#' included. */
	assert_string_equal(m.install_command,
			    "\"$CLU_MANIFEST_DIR/install\" --from \"$CLU_VERSION\" ; sync");
	assert_string_equal(m.verify_command, "\"$CLU_MANIFEST_DIR/verify\"");
	assert_string_equal(m.rollback_command, "\"$CLU_MANIFEST_DIR/rollback\"");
	assert_int_equal(m.install_timeout_ms, 600000);

	assert_int_equal(m.n_hooks, 1);
	assert_string_equal(m.hooks[0].name, "queue-drain");
	assert_string_equal(m.hooks[0].pre,
			    "/usr/local/sbin/mail-queue-flush --node \"$CLU_NODE\"");
	assert_string_equal(m.hooks[0].post, "/usr/local/sbin/mail-selftest");
	assert_int_equal(m.hooks[0].timeout_ms, 120000);

	/* [group "mail-archive"]; mail has none: [update]'s values. */
	assert_non_null(m.group_settings);
	assert_settings(&m.group_settings[0],
			(struct clu_group_settings){ 0, 90000, 4000, 0, 60000 });
	assert_settings(&m.group_settings[1],
			(struct clu_group_settings){ 25, 180000, 10000, 30000, 120000 });
	assert_int_equal(clu_manifest_switchover_ms(&m, "mail"), 4000);
	assert_int_equal(clu_manifest_switchover_ms(&m, "mail-archive"), 10000);

	/* In file order: the group's probe, then the [probe] sections. */
	assert_int_equal(m.n_probes, 3);
	assert_probe(&m.probes[0], (struct probe_want){ "mail-archive", "mail-archive",
		     "192.0.2.10:143", CLU_PROBE_TCP, 100, 2000, 30000, 120000 });
	assert_null(m.probes[0].command);
	assert_probe(&m.probes[1], (struct probe_want){ "smtp", "mail", ":25", CLU_PROBE_SMTP,
		     50, 500, 0, 60000 });
	assert_null(m.probes[1].command);

	assert_string_equal(m.probes[2].name, "store");
	assert_int_equal(m.probes[2].type, CLU_PROBE_COMMAND);
	assert_string_equal(m.probes[2].group, "mail");
	assert_null(m.probes[2].address);
	assert_string_equal(m.probes[2].command,
			    "test -s /srv/mail/store/VERSION # a '#' here is part of the command");
	assert_int_equal(m.probes[2].interval_ms, 200);

	clu_manifest_release(&m);
	assert_null(m.path);
	assert_null(m.probes);
	assert_null(m.group_settings);
	assert_int_equal(m.n_probes, 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	text = malloc((size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	text[size] = '\0';
	fclose(f);
	return text;
}

/* doc/manifest.md's complete example is full.conf, byte for byte. */
static void test_doc_example(void **state)
{
	static const char marker[] = "<!-- example: " FIXTURES "full.conf -->\n```ini\n";
	char *doc = slurp("doc/manifest.md");
	char *example = slurp(FIXTURES "full.conf");
	char *start = strstr(doc, marker), *end;

	(void)state;
	assert_non_null(start);
	start += strlen(marker);
	end = strstr(start, "\n```\n");
	assert_non_null(end);
	end[1] = '\0';
	assert_string_equal(start, example);
	free(doc);
	free(example);
}

/* The shape of the demo's service pack. */
static void test_demo_sp2(void **state)
{
	struct clu_manifest m;

	(void)state;
	load_ok(&m, FIXTURES "sp2.conf");
	assert_string_equal(m.name, "mail-sp2");
	assert_string_equal(m.version, "2");
	assert_int_equal(m.n_groups, 1);
	assert_string_equal(m.groups[0], "mail");
	assert_int_equal(m.strategy, CLU_STRATEGY_IN_PLACE);
	assert_int_equal(m.strategy_line, 5);
	assert_true(m.data_migration);
	assert_false(m.takeover_compatible);
	assert_int_equal(m.max_unavailable, 1);
	assert_int_equal(m.expected_install_ms, 3000);
	assert_int_equal(m.expected_switchover_ms, 5000);
	assert_string_equal(m.version_attribute, "mail-version");
	assert_string_equal(m.install_command, "\"$CLU_MANIFEST_DIR/install\"");
	assert_string_equal(m.verify_command, "\"$CLU_MANIFEST_DIR/verify\"");
	assert_null(m.rollback_command);
	assert_int_equal(m.install_timeout_ms, 120000);
	assert_int_equal(m.n_hooks, 1);
	assert_string_equal(m.hooks[0].name, "queue-drain");
	assert_string_equal(m.hooks[0].pre, "/usr/local/sbin/mail-queue-flush");
	assert_string_equal(m.hooks[0].post, "/usr/local/sbin/mail-selftest");
	assert_int_equal(m.hooks[0].timeout_ms, 60000);
	assert_int_equal(m.n_probes, 1);
	assert_string_equal(m.probes[0].name, "smtp");
	assert_int_equal(m.probes[0].type, CLU_PROBE_SMTP);
	assert_string_equal(m.probes[0].group, "mail");
	assert_string_equal(m.probes[0].address, ":25");
	assert_int_equal(m.probes[0].interval_ms, 50);
	assert_int_equal(m.probes[0].timeout_ms, 1000);
	clu_manifest_release(&m);
}

static void test_defaults(void **state)
{
	struct clu_manifest m;

	(void)state;
	load_ok(&m, FIXTURES "minimal.conf");
	assert_string_equal(m.name, "app-sp1");
	assert_string_equal(m.version, "1.1");
	assert_false(m.data_migration);
	assert_int_equal(m.strategy, CLU_STRATEGY_AUTO);
	assert_int_equal(m.strategy_line, 0);
	assert_false(m.takeover_compatible);
	assert_int_equal(m.max_unavailable, 1);
	assert_int_equal(m.max_failed_nodes, 0);
	assert_int_equal(m.retries, 0);
	assert_int_equal(m.expected_install_ms, 60000);
	assert_int_equal(m.expected_switchover_ms, 5000);
	assert_string_equal(m.version_attribute, "clupdate-version");
	assert_string_equal(m.install_command, "./install");
	assert_string_equal(m.verify_command, "./verify");
	assert_null(m.rollback_command);
	assert_int_equal(m.install_timeout_ms, 30 * 60 * 1000);
	assert_int_equal(m.n_hooks, 0);
	assert_null(m.hooks);
	assert_int_equal(m.n_probes, 0);
	assert_null(m.probes);
	clu_manifest_release(&m);
}

/* Hook and probe defaults; the probe's group defaults to the first group. */
static void test_hook_probe_defaults(void **state)
{
	struct clu_manifest m;

	(void)state;
	write_manifest("[probe \"up\"]\ntype = tcp\naddress = [2001:db8::1]:8080\n"
		       "[hook \"h\"]\npost = true\n"
		       "[update]\nname = x\nversion = 1\ngroups = db web\ndata-migration = 0\n"
		       INSTALL_OK, SIZE_MAX);
	load_ok(&m, manifest_path);
	assert_int_equal(m.n_groups, 2);
	assert_string_equal(m.groups[1], "web");
	assert_int_equal(m.n_probes, 1);
	assert_string_equal(m.probes[0].group, "db");
	assert_string_equal(m.probes[0].address, "[2001:db8::1]:8080");
	assert_int_equal(m.probes[0].interval_ms, 50);
	assert_int_equal(m.probes[0].timeout_ms, 1000);
	assert_null(m.probes[0].check);
	assert_int_equal(m.n_hooks, 1);
	assert_null(m.hooks[0].pre);
	assert_string_equal(m.hooks[0].post, "true");
	assert_int_equal(m.hooks[0].timeout_ms, 60000);
	clu_manifest_release(&m);
}

/* The gates between nodes: health check, soak, outage budget, up-timeout. */
static void test_gate_keys(void **state)
{
	struct clu_manifest m;

	(void)state;
	write_manifest(UPDATE_OK "[install]\ncommand = ./install\nverify = ./verify\n"
		       "check = \"$CLU_MANIFEST_DIR/check-health\" --port 2525\n"
		       "check-timeout = 20s\nsoak = 2m\n"
		       "[probe \"smtp\"]\ntype = smtp\naddress = :25\nmax-outage = 500ms\n"
		       "up-timeout = 90\n[probe \"tcp\"]\ntype = tcp\naddress = :25\n", SIZE_MAX);
	load_ok(&m, manifest_path);
	assert_string_equal(m.check_command, "\"$CLU_MANIFEST_DIR/check-health\" --port 2525");
	assert_int_equal(m.check_timeout_ms, 20000);
	assert_int_equal(m.soak_ms, 120000);
	assert_int_equal(m.probes[0].max_outage_ms, 500);
	assert_int_equal(m.probes[0].up_timeout_ms, 90000);
	/* Defaults: no budget, a minute to answer again. */
	assert_int_equal(m.probes[1].max_outage_ms, 0);
	assert_int_equal(m.probes[1].up_timeout_ms, 60000);
	clu_manifest_release(&m);

	load_ok(&m, FIXTURES "minimal.conf");
	assert_null(m.check_command);
	assert_int_equal(m.check_timeout_ms, 60000);
	assert_int_equal(m.soak_ms, 0);
	clu_manifest_release(&m);
}

/* Values of every accepted form. */
/* An smtp probe may check its acknowledged messages after the run. */
static void test_probe_check(void **state)
{
	struct clu_manifest m;

	(void)state;
	write_manifest(UPDATE_OK INSTALL_OK "[probe \"smtp\"]\ntype = smtp\naddress = :25\n"
		       "check = \"$CLU_MANIFEST_DIR/check-delivered\" | sort\n", SIZE_MAX);
	load_ok(&m, manifest_path);
	assert_string_equal(m.probes[0].check, "\"$CLU_MANIFEST_DIR/check-delivered\" | sort");
	clu_manifest_release(&m);
}

static void test_value_forms(void **state)
{
	struct clu_manifest m;

	(void)state;
	write_manifest("\xEF\xBB\xBF; a BOM, CRLF line ends, and every boolean form\r\n"
		       "[update]\r\n"
		       "name=x\r\n"
		       "version = 2.0-rc1+deb12u1~b:1_x\r\n"
		       "groups = a,b , c\td\r\n"
		       "data-migration = ON\r\n"
		       "takeover-compatible = True\r\n"
		       "strategy = auto\r\n"
		       "max-unavailable = 0003\r\n"
		       "max-failed-nodes = 1000\r\n"
		       "retries = 100\r\n"
		       "expected-install-time = 2\r\n"
		       "expected-switchover-time = 1h\r\n"
		       "   # an indented comment\r\n"
		       "\r\n"
		       "[ install ]\r\n"
		       "command = a;b ; c # d\r\n"
		       "verify=v\r\n"
		       "timeout = 24h\r\n"
		       "[hook  \"x\"]\npre = p\ntimeout = 1ms\n"
		       "[probe \"cmd\"]\ntype = command\ncommand = true\ngroup = d\n"
		       "interval-ms = 10\ntimeout-ms = 600000\n", SIZE_MAX);
	load_ok(&m, manifest_path);
	assert_string_equal(m.name, "x");
	assert_string_equal(m.version, "2.0-rc1+deb12u1~b:1_x");
	assert_int_equal(m.n_groups, 4);
	assert_string_equal(m.groups[0], "a");
	assert_string_equal(m.groups[1], "b");
	assert_string_equal(m.groups[2], "c");
	assert_string_equal(m.groups[3], "d");
	assert_true(m.data_migration);
	assert_true(m.takeover_compatible);
	assert_int_equal(m.strategy, CLU_STRATEGY_AUTO);
	assert_int_equal(m.strategy_line, 8);
	assert_int_equal(m.max_unavailable, 3);
	assert_int_equal(m.max_failed_nodes, 1000);
	assert_int_equal(m.retries, 100);
	assert_int_equal(m.expected_install_ms, 2000);
	assert_int_equal(m.expected_switchover_ms, 3600000);
	assert_string_equal(m.install_command, "a;b ; c # d");
	assert_string_equal(m.verify_command, "v");
	assert_int_equal(m.install_timeout_ms, 24 * 3600 * 1000);
	assert_int_equal(m.hooks[0].timeout_ms, 1);
	assert_string_equal(m.probes[0].group, "d");
	assert_string_equal(m.probes[0].command, "true");
	assert_int_equal(m.probes[0].interval_ms, 10);
	assert_int_equal(m.probes[0].timeout_ms, 600000);
	clu_manifest_release(&m);

	write_manifest("[update]\nname = x\nversion = 1\ngroups = g\ndata-migration = off\n"
		       "takeover-compatible = FALSE\nexpected-install-time = 500ms\n"
		       "expected-switchover-time = 2m\n" INSTALL_OK, SIZE_MAX);
	load_ok(&m, manifest_path);
	assert_false(m.data_migration);
	assert_false(m.takeover_compatible);
	assert_int_equal(m.expected_install_ms, 500);
	assert_int_equal(m.expected_switchover_ms, 120000);
	clu_manifest_release(&m);
}

/* The whole file at path, as the test reads it, into buf (len in *len). */
static void read_whole(const char *path, char *buf, size_t size, size_t *len)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	*len = fread(buf, 1, size, f);
	assert_true(*len < size);
	assert_int_equal(fclose(f), 0);
}

/*
 * The manifest keeps the bytes it parsed: line ends, BOM and a missing
 * final newline as they were, and not what the file says later.
 */
static void test_text_kept_verbatim(void **state)
{
	static const char odd[] = "\xEF\xBB\xBF# BOM, CRLF, a lone CR, no final newline\r\n"
		"[update]\r\nname = mail-sp2\rversion = 2\r\ngroups = mail\n"
		"data-migration = yes\r\n\r\n[install]\r\ncommand = ./install\r\n"
		"verify = ./verify";
	struct clu_manifest m;
	char file[16384];
	size_t len;

	(void)state;
	load_ok(&m, FIXTURES "full.conf");
	read_whole(FIXTURES "full.conf", file, sizeof(file), &len);
	assert_true(len > 0);
	assert_int_equal(m.text_len, len);
	assert_memory_equal(m.text, file, len);
	assert_int_equal(strlen(m.text), len);
	clu_manifest_release(&m);
	assert_null(m.text);

	write_manifest(odd, SIZE_MAX);
	load_ok(&m, manifest_path);
	assert_string_equal(m.name, "mail-sp2");
	assert_string_equal(m.verify_command, "./verify");
	/* Edited after the parse: the manifest still has what was parsed. */
	write_manifest(UPDATE_OK INSTALL_OK, SIZE_MAX);
	assert_int_equal(m.text_len, sizeof(odd) - 1);
	assert_string_equal(m.text, odd);
	clu_manifest_release(&m);
}

static void test_fixture_errors(void **state)
{
	(void)state;
	check_fixture_error("bad-unknown-key.conf", CLU_E_MANIFEST,
		":7: [update] unknown key 'stratgy', did you mean 'strategy'? (expected one of: "
		"name, version, groups, strategy, data-migration, takeover-compatible, "
		"max-unavailable, max-failed-nodes, require-all-nodes-online, retries, "
		"expected-install-time, expected-switchover-time, version-attribute, previous-version)");
	check_fixture_error("bad-boolean.conf", CLU_E_MANIFEST,
		":4: [update] data-migration: 'maybe' is not a boolean (expected yes or no)");
	check_fixture_error("bad-syntax.conf", CLU_E_MANIFEST,
		":3: [update] syntax error in 'version 2' (expected KEY = VALUE, a [SECTION] "
		"header, or a comment line starting with # or ;)");
	check_fixture_error("bad-missing-install.conf", CLU_E_MANIFEST,
		": missing section [install] (expected [install] with command and verify)");
}

static void test_unreadable(void **state)
{
	struct clu_manifest m;
	struct clu_err err = CLU_ERR_INIT;
	char expected[256];

	(void)state;
	assert_int_equal(clu_manifest_load(&m, FIXTURES "no-such-file.conf", &err), CLU_E_IO);
	assert_string_equal(err.msg, "cannot read manifest '" FIXTURES "no-such-file.conf'"
			    ": No such file or directory");
	assert_null(m.path);

	assert_int_equal(clu_manifest_load(&m, tmpdir, &err), CLU_E_IO);
	snprintf(expected, sizeof(expected), "cannot read manifest '%s': Is a directory", tmpdir);
	assert_string_equal(err.msg, expected);

	/* A NULL err is allowed: the code alone. */
	assert_int_equal(clu_manifest_load(&m, FIXTURES "no-such-file.conf", NULL), CLU_E_IO);
	write_manifest("[nope]\n", SIZE_MAX);
	assert_int_equal(clu_manifest_load(&m, manifest_path, NULL), CLU_E_MANIFEST);
}

static void test_section_errors(void **state)
{
	(void)state;
	check_error(UPDATE_OK "\n[instal]\ncommand = x\n",
		":7: unknown section [instal], did you mean 'install'? (expected [update], "
		"[install], [group \"NAME\"], [hook \"NAME\"] or [probe \"NAME\"])");
	/* Even an empty one. */
	check_error(UPDATE_OK INSTALL_OK "[rollout]\n",
		":9: unknown section [rollout] (expected [update], [install], "
		"[group \"NAME\"], [hook \"NAME\"] or [probe \"NAME\"])");
	check_error(UPDATE_OK INSTALL_OK "[update]\n",
		":9: duplicate section [update], first on line 1 (expected each section once)");
	check_error(UPDATE_OK INSTALL_OK "[hook]\npre = x\n",
		":9: [hook] needs a quoted name (expected [hook \"NAME\"])");
	check_error(UPDATE_OK INSTALL_OK "[probe smtp]\n",
		":9: [probe smtp] needs a quoted name (expected [probe \"NAME\"])");
	check_error(UPDATE_OK INSTALL_OK "[hook \"a b\"]\n",
		":9: [hook \"a b\"] 'a b' is not a valid hook name (expected letters, digits, "
		"'.', '_' and '-')");
	check_error("[update \"x\"]\n",
		":1: [update \"x\"] takes no name (expected [update])");
	check_error("[update] # why not\n",
		":1: [update] followed by '# why not' (expected nothing after ']': comments "
		"go on lines of their own)");
	check_error("[update\nname = x\n",
		":1: section header without ']' (expected [SECTION] or [SECTION \"NAME\"])");
	check_error("name = x\n[update]\n",
		":1: key 'name' outside of any section (expected a section header such as "
		"[update] first)");
	check_error(UPDATE_OK INSTALL_OK "[hook \"drain\"]\npre = a\n[hook \"drain\"]\npost = b\n",
		":11: duplicate hook name in [hook \"drain\"], first on line 9 (expected each "
		"hook name once)");
	check_error(UPDATE_OK INSTALL_OK
		    "[probe \"p\"]\ntype = tcp\naddress = :1\n[probe \"p\"]\n",
		":12: duplicate probe name in [probe \"p\"], first on line 9 (expected each "
		"probe name once)");
	check_error(INSTALL_OK,
		": missing section [update] (expected [update] with name, version, groups "
		"and data-migration)");
	check_error("",
		": missing section [update] (expected [update] with name, version, groups "
		"and data-migration)");
}

#define UPDATE_NO_GROUPS "[update]\nname = mail-sp2\nversion = 2\ndata-migration = yes\n" \
	"expected-install-time = 20s\nexpected-switchover-time = 2s\n"

/*
 * [group "NAME"]: with groups, each section names one of them and the
 * others keep [update]'s values; the section's probe keys make a probe
 * named after the group, in file order among the [probe]s; its
 * max-outage and up-timeout go to every probe of the group without its own.
 */
static void test_group_sections(void **state)
{
	struct clu_manifest m;
	char *mail_web[] = { "mail", "web" }, *web_db[] = { "web", "db" };

	(void)state;
	write_manifest("[probe \"first\"]\ntype = tcp\naddress = :80\ngroup = web\n"
		       "[group \"web\"]\nexpected-switchover-time = 9s\nmax-outage = 20s\n"
		       "up-timeout = 3m\nprobe = smtp\nprobe-address = 192.0.2.101:25\n"
		       "probe-check = ./check-delivered\n"
		       "[probe \"own\"]\ntype = tcp\naddress = :81\ngroup = web\n"
		       "max-outage = 1s\n"
		       "[group \"db\"]\nexpected-install-time = 10m\nprobe = command\n"
		       "probe-command = pg_isready\nprobe-interval-ms = 500\nprobe-timeout-ms = 3000\n"
		       UPDATE_NO_GROUPS "groups = mail web db\n" INSTALL_OK, SIZE_MAX);
	load_ok(&m, manifest_path);
	/* The order of groups, not of the sections. */
	assert_int_equal(m.n_groups, 3);
	assert_string_equal(m.groups[0], "mail");
	assert_string_equal(m.groups[1], "web");
	assert_string_equal(m.groups[2], "db");
	assert_settings(&m.group_settings[0],
			(struct clu_group_settings){ 0, 20000, 2000, 0, 60000 });
	assert_settings(&m.group_settings[1],
			(struct clu_group_settings){ 5, 20000, 9000, 20000, 180000 });
	assert_settings(&m.group_settings[2],
			(struct clu_group_settings){ 17, 600000, 2000, 0, 60000 });

	assert_int_equal(clu_manifest_switchover_ms(&m, "mail"), 2000);
	assert_int_equal(clu_manifest_switchover_ms(&m, "web"), 9000);
	assert_int_equal(clu_manifest_switchover_ms(&m, "not-updated"), 2000);
	assert_int_equal(clu_manifest_switchover_ms(&m, NULL), 2000);
	assert_int_equal(clu_manifest_install_ms(&m, NULL, 0), 20000);
	assert_int_equal(clu_manifest_install_ms(&m, mail_web, 2), 20000);
	assert_int_equal(clu_manifest_install_ms(&m, web_db, 2), 600000);
	assert_int_equal(clu_manifest_install_ms(&m, web_db + 1, 1), 600000);

	assert_int_equal(m.n_probes, 4);
	/* Its group's budget and up-timeout. */
	assert_probe(&m.probes[0], (struct probe_want){ "first", "web", ":80", CLU_PROBE_TCP,
		     50, 1000, 20000, 180000 });
	assert_probe(&m.probes[1], (struct probe_want){ "web", "web", "192.0.2.101:25",
		     CLU_PROBE_SMTP, 50, 1000, 20000, 180000 });
	assert_string_equal(m.probes[1].check, "./check-delivered");
	/* Its own budget, its group's up-timeout. */
	assert_probe(&m.probes[2], (struct probe_want){ "own", "web", ":81", CLU_PROBE_TCP,
		     50, 1000, 1000, 180000 });
	assert_probe(&m.probes[3], (struct probe_want){ "db", "db", NULL, CLU_PROBE_COMMAND,
		     500, 3000, 0, 60000 });
	assert_string_equal(m.probes[3].command, "pg_isready");
	clu_manifest_release(&m);
	assert_null(m.group_settings);
}

/* Without groups, the [group] sections are the groups, in file order. */
static void test_groups_from_sections(void **state)
{
	struct clu_manifest m;

	(void)state;
	write_manifest(UPDATE_NO_GROUPS INSTALL_OK "[group \"mail2\"]\n"
		       "expected-switchover-time = 7s\n[group \"mail\"]\n"
		       "[probe \"p\"]\ntype = tcp\naddress = :25\n", SIZE_MAX);
	load_ok(&m, manifest_path);
	assert_int_equal(m.n_groups, 2);
	assert_string_equal(m.groups[0], "mail2");
	assert_string_equal(m.groups[1], "mail");
	assert_null(m.groups[2]);
	assert_settings(&m.group_settings[0],
			(struct clu_group_settings){ 10, 20000, 7000, 0, 60000 });
	assert_settings(&m.group_settings[1],
			(struct clu_group_settings){ 12, 20000, 2000, 0, 60000 });
	/* A probe without group watches the first. */
	assert_string_equal(m.probes[0].group, "mail2");
	clu_manifest_release(&m);
}

/* A manifest built by hand has no group settings: [update]'s values. */
static void test_group_accessors_by_hand(void **state)
{
	struct clu_manifest m = { .expected_install_ms = 3000, .expected_switchover_ms = 1500 };
	char *mail[] = { "mail" };

	(void)state;
	m.groups = mail;
	m.n_groups = 1;
	assert_int_equal(clu_manifest_switchover_ms(&m, "mail"), 1500);
	assert_int_equal(clu_manifest_install_ms(&m, mail, 1), 3000);
	assert_int_equal(clu_manifest_install_ms(&m, NULL, 0), 3000);
}

static void test_group_errors(void **state)
{
	(void)state;
	check_error(UPDATE_NO_GROUPS INSTALL_OK,
		":1: [update] missing required key 'groups' (expected groups = group names "
		"separated by commas or spaces, or a [group \"NAME\"] section for each group)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\n[group \"mail2\"]\n",
		":10: [group \"mail2\"] 'mail2' is not one of the updated groups, did you mean "
		"'mail'? (expected one of groups on line 4: mail; or no groups, and a "
		"[group \"NAME\"] section for each group)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = smtp\n[group \"mail\"]\n",
		":11: duplicate group name in [group \"mail\"], first on line 9 (expected each "
		"group name once)");
	check_error(UPDATE_OK INSTALL_OK "[group mail]\n",
		":9: [group mail] needs a quoted name (expected [group \"NAME\"])");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nexpected-switchover-tim = 3s\n",
		":10: [group \"mail\"] unknown key 'expected-switchover-tim', did you mean "
		"'expected-switchover-time'? (expected one of: expected-install-time, "
		"expected-switchover-time, max-outage, up-timeout, probe, probe-address, "
		"probe-command, probe-interval-ms, probe-timeout-ms, probe-check)");
	/* A [probe]'s keys belong to [probe]; in [group] they take probe- first. */
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = smtp\naddress = :25\n",
		":11: [group \"mail\"] unknown key 'address' (expected one of: "
		"expected-install-time, expected-switchover-time, max-outage, up-timeout, probe, "
		"probe-address, probe-command, probe-interval-ms, probe-timeout-ms, probe-check)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nexpected-switchover-time = 0s\n",
		":10: [group \"mail\"] expected-switchover-time: '0s' is out of range (expected a "
		"duration from 1ms to 24h, such as 500ms, 3s, 2m or 1h)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = http\n",
		":10: [group \"mail\"] probe: 'http' is not a probe type (expected tcp, smtp or "
		"command)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe-address = :25\n",
		":10: [group \"mail\"] probe-address: set without 'probe' (expected probe = tcp, "
		"smtp or command in this section too)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = smtp\n",
		":9: [group \"mail\"] missing required key 'probe-address' for probe = smtp "
		"(expected probe-address = HOST:PORT or :PORT, with a port from 1 to 65535)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = tcp\nprobe-address = :0\n",
		":11: [group \"mail\"] probe-address: ':0' has no valid port (expected HOST:PORT "
		"or :PORT, with a port from 1 to 65535)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = command\n",
		":9: [group \"mail\"] missing required key 'probe-command' for probe = command "
		"(expected probe-command = a shell command)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = command\n"
		    "probe-command = true\nprobe-address = :25\n",
		":12: [group \"mail\"] probe-address: not used by probe = command (expected no "
		"probe-address, or probe = tcp or smtp)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = tcp\nprobe-address = :25\n"
		    "probe-command = true\n",
		":12: [group \"mail\"] probe-command: not used by probe = tcp (expected no "
		"probe-command, or probe = command)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = tcp\nprobe-address = :25\n"
		    "probe-check = sort\n",
		":12: [group \"mail\"] probe-check: only an smtp probe has acknowledged messages "
		"to check (expected no probe-check, or probe = smtp)");
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = tcp\nprobe-address = :25\n"
		    "probe-interval-ms = 5\n",
		":12: [group \"mail\"] probe-interval-ms: '5' is out of range (expected a whole "
		"number from 10 to 60000)");
	/* Its probe is named after it: no [probe] may have that name. */
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nprobe = tcp\nprobe-address = :25\n"
		    "[probe \"mail\"]\ntype = smtp\naddress = :25\n",
		":10: [group \"mail\"] probe: this probe is named 'mail', as [probe \"mail\"] on "
		"line 12 (expected another name for that [probe])");
	/* A budget or an up-timeout needs a probe of the group to measure it. */
	check_error(UPDATE_OK INSTALL_OK "[group \"mail\"]\nmax-outage = 3s\n",
		":10: [group \"mail\"] max-outage: no probe watches 'mail' to measure it "
		"(expected probe = ... in this section, or a [probe] with group = mail)");
	check_error("[update]\nname = x\nversion = 2\ndata-migration = no\ngroups = a b\n"
		    INSTALL_OK "[probe \"p\"]\ntype = tcp\naddress = :1\n"
		    "[group \"b\"]\nup-timeout = 3s\n",
		":13: [group \"b\"] up-timeout: no probe watches 'b' to measure it "
		"(expected probe = ... in this section, or a [probe] with group = b)");
}

static void test_key_errors(void **state)
{
	(void)state;
	check_error(UPDATE_OK "version = 3\n" INSTALL_OK,
		":6: [update] version: duplicate key, first set on line 3 (expected each key "
		"once per section)");
	check_error(INSTALL_OK "[update]\nname = x\nversion = 1\ngroups = g\n",
		":4: [update] missing required key 'data-migration' (expected "
		"data-migration = yes or no)");
	check_error(UPDATE_OK "[install]\ncommand = x\n",
		":6: [install] missing required key 'verify' (expected verify = a shell command)");
	check_error(UPDATE_OK INSTALL_OK "[hook \"h\"]\ntimout = 1m\n",
		":10: [hook \"h\"] unknown key 'timout', did you mean 'timeout'? (expected one "
		"of: pre, post, timeout)");
	check_error(UPDATE_OK INSTALL_OK "[hook \"h\"]\ntimeout = 1m\n",
		":9: [hook \"h\"] missing key 'pre' or 'post' (expected at least one command "
		"to run)");
	check_error("[update]\nversion: 2\n",
		":2: [update] version: ':' between key and value (expected version = VALUE)");
	check_error("[update]\nname = x\n  version = 2\n",
		":3: [update] indented line would continue the value of 'name' (expected "
		"KEY = VALUE at the start of the line: a value cannot span lines)");
	check_error(UPDATE_OK "verify = x\n",
		":6: [update] unknown key 'verify' (expected one of: name, version, groups, "
		"strategy, data-migration, takeover-compatible, max-unavailable, "
		"max-failed-nodes, require-all-nodes-online, retries, expected-install-time, "
		"expected-switchover-time, version-attribute, previous-version)");
	check_error(UPDATE_OK "[install]\ncommand =\nverify = v\n",
		":7: [install] command: empty value (expected a shell command)");
}

static void test_value_errors(void **state)
{
	(void)state;
	check_error("[update]\nname = mail sp2\n",
		":2: [update] name: 'mail sp2' is not a valid name (expected letters, digits, "
		"'.', '_' and '-')");
	check_error("[update]\nname = \"mail-sp2\"\n",
		":2: [update] name: '\"mail-sp2\"' is not a valid name (expected letters, "
		"digits, '.', '_' and '-')");
	check_error("[update]\nversion = 2 beta\n",
		":2: [update] version: '2 beta' is not a valid version (expected letters, "
		"digits, '.', '_', '+', '~', ':' and '-', without spaces)");
	check_error("[update]\nversion =\n",
		":2: [update] version: empty value (expected letters, digits, '.', '_', '+', "
		"'~', ':' and '-', without spaces)");
	check_error("[update]\ntakeover-compatible = maybe\n",
		":2: [update] takeover-compatible: 'maybe' is not a boolean (expected yes or no)");

	/* Integers: not a number, out of range, too big for any type. */
	check_error("[update]\nmax-unavailable = two\n",
		":2: [update] max-unavailable: 'two' is not a whole number (expected a whole "
		"number from 1 to 1000)");
	check_error("[update]\nmax-unavailable = -1\n",
		":2: [update] max-unavailable: '-1' is not a whole number (expected a whole "
		"number from 1 to 1000)");
	check_error("[update]\nmax-unavailable = 0\n",
		":2: [update] max-unavailable: '0' is out of range (expected a whole number "
		"from 1 to 1000)");
	check_error("[update]\nretries = 99999999999999999999999\n",
		":2: [update] retries: '99999999999999999999999' is out of range (expected a "
		"whole number from 0 to 100)");
	check_error("[probe \"p\"]\ninterval-ms = 5\n",
		":2: [probe \"p\"] interval-ms: '5' is out of range (expected a whole number "
		"from 10 to 60000)");

	/* Durations. */
	check_error("[update]\nexpected-install-time = 3 sec\n",
		":2: [update] expected-install-time: '3 sec' is not a duration (expected a "
		"duration from 1ms to 24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[install]\ntimeout = 1.5m\n",
		":2: [install] timeout: '1.5m' is not a duration (expected a duration from "
		"1ms to 24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[install]\ntimeout = 0s\n",
		":2: [install] timeout: '0s' is out of range (expected a duration from 1ms to "
		"24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[install]\nsoak = 10 minutes\n",
		":2: [install] soak: '10 minutes' is not a duration (expected a duration from "
		"1ms to 24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[install]\ncheck-timeout = 0ms\n",
		":2: [install] check-timeout: '0ms' is out of range (expected a duration from "
		"1ms to 24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[install]\ncheck =\n",
		":2: [install] check: empty value (expected a shell command)");
	check_error("[probe \"p\"]\nmax-outage = -1s\n",
		":2: [probe \"p\"] max-outage: '-1s' is not a duration (expected a duration "
		"from 1ms to 24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[probe \"p\"]\nup-timeout = 2d\n",
		":2: [probe \"p\"] up-timeout: '2d' is not a duration (expected a duration "
		"from 1ms to 24h, such as 500ms, 3s, 2m or 1h)");
	check_error("[hook \"h\"]\ntimeout = 25h\n",
		":2: [hook \"h\"] timeout: '25h' is out of range (expected a duration from 1ms "
		"to 24h, such as 500ms, 3s, 2m or 1h)");

	/* Strategy and probe type, with a hint when it looks like a typo. */
	check_error("[update]\nstrategy = inplace\n",
		":2: [update] strategy: 'inplace' is not a strategy, did you mean 'in-place'? "
		"(expected in-place, rolling or auto)");
	check_error("[update]\nstrategy = blue-green\n",
		":2: [update] strategy: 'blue-green' is not a strategy (expected in-place, "
		"rolling or auto)");
	check_error("[probe \"p\"]\ntype = http\n",
		":2: [probe \"p\"] type: 'http' is not a probe type (expected tcp, smtp or "
		"command)");

	/* Groups. */
	check_error("[update]\ngroups = , ,\n",
		":2: [update] groups: empty list (expected group names separated by commas or "
		"spaces)");
	check_error("[update]\ngroups = mail, db mail\n",
		":2: [update] groups: 'mail' is listed twice (expected each group once)");
	check_error("[update]\ngroups = mail;db\n",
		":2: [update] groups: 'mail;db' is not a valid group name (expected letters, "
		"digits, '.', '_' and '-')");
}

static void test_probe_errors(void **state)
{
	(void)state;
	check_error(UPDATE_OK INSTALL_OK "[probe \"smtp\"]\ntype = smtp\ninterval-ms = 50\n",
		":9: [probe \"smtp\"] missing required key 'address' for type = smtp "
		"(expected address = HOST:PORT or :PORT, with a port from 1 to 65535)");
	check_error(UPDATE_OK INSTALL_OK "[probe \"smtp\"]\naddress = :25\n",
		":9: [probe \"smtp\"] missing required key 'type' (expected type = tcp, smtp "
		"or command)");
	check_error(UPDATE_OK INSTALL_OK "[probe \"c\"]\ntype = command\n",
		":9: [probe \"c\"] missing required key 'command' for type = command (expected "
		"command = a shell command)");
	check_error(UPDATE_OK INSTALL_OK "[probe \"c\"]\ntype = command\ncommand = true\n"
		    "address = :25\n",
		":12: [probe \"c\"] address: not used by type = command (expected no address, "
		"or type = tcp or smtp)");
	check_error(UPDATE_OK INSTALL_OK "[probe \"t\"]\ntype = tcp\naddress = :25\n"
		    "command = true\n",
		":12: [probe \"t\"] command: not used by type = tcp (expected no command, or "
		"type = command)");
	check_error(UPDATE_OK INSTALL_OK "[probe \"t\"]\ntype = tcp\naddress = :25\n"
		    "group = db\n",
		":12: [probe \"t\"] group: 'db' is not one of the updated groups (expected one "
		"of: mail)");
	check_error("[update]\nname = x\nversion = 2\ndata-migration = no\n"
		    "groups = mail, mail2, web\n" INSTALL_OK "[probe \"t\"]\ntype = tcp\n"
		    "address = :25\ngroup = mial2\n",
		":12: [probe \"t\"] group: 'mial2' is not one of the updated groups, did you mean "
		"'mail2'? (expected one of: mail, mail2, web)");
	/* A command probe has no acknowledged messages either. */
	check_error(UPDATE_OK INSTALL_OK "[probe \"c\"]\ntype = command\ncommand = true\n"
		    "check = sort\n",
		":12: [probe \"c\"] check: only an smtp probe has acknowledged messages to check "
		"(expected no check, or type = smtp)");
	check_error(UPDATE_OK INSTALL_OK "[probe \"t\"]\ntype = tcp\naddress = :25\n"
		    "check = sort\n",
		":12: [probe \"t\"] check: only an smtp probe has acknowledged messages to check "
		"(expected no check, or type = smtp)");

	/* Ports and addresses. */
	check_error("[probe \"t\"]\naddress = :0\n",
		":2: [probe \"t\"] address: ':0' has no valid port (expected HOST:PORT or "
		":PORT, with a port from 1 to 65535)");
	check_error("[probe \"t\"]\naddress = mail:70000\n",
		":2: [probe \"t\"] address: 'mail:70000' has no valid port (expected HOST:PORT "
		"or :PORT, with a port from 1 to 65535)");
	check_error("[probe \"t\"]\naddress = mail:smtp\n",
		":2: [probe \"t\"] address: 'mail:smtp' has no valid port (expected HOST:PORT "
		"or :PORT, with a port from 1 to 65535)");
	check_error("[probe \"t\"]\naddress = mailhost\n",
		":2: [probe \"t\"] address: 'mailhost' is not an address (expected HOST:PORT "
		"or :PORT, with a port from 1 to 65535)");
	check_error("[probe \"t\"]\naddress = 2001:db8::1:25\n",
		":2: [probe \"t\"] address: '2001:db8::1:25' is not an address (expected "
		"HOST:PORT or :PORT, with a port from 1 to 65535)");
}

static void test_file_errors(void **state)
{
	char text[512];

	(void)state;
	/* Longer than the 197 characters of the libinih days. */
	snprintf(text, sizeof(text), UPDATE_OK "[install]\nverify = v\ncommand = %0387d\n", 7);
	write_manifest(text, SIZE_MAX);
	{
		struct clu_manifest m;

		load_ok(&m, manifest_path);
		assert_int_equal(strlen(m.install_command), 387);
		clu_manifest_release(&m);
	}

	write_manifest("[update]\nname = x\0y\n", 20);
	{
		struct clu_manifest m;
		struct clu_err err = CLU_ERR_INIT;
		char expected[256];

		assert_int_equal(clu_manifest_load(&m, manifest_path, &err), CLU_E_MANIFEST);
		snprintf(expected, sizeof(expected),
			 "%s:2: contains a NUL byte (expected a text file)", manifest_path);
		assert_string_equal(err.msg, expected);
	}
	/* The last line, without its newline, is checked too. */
	check_error(UPDATE_OK INSTALL_OK "oops",
		":9: [install] syntax error in 'oops' (expected KEY = VALUE, a [SECTION] "
		"header, or a comment line starting with # or ;)");
	/* inih's inline comment rule would make this key line a syntax error. */
	check_error("[update]\nname ;x = y\n",
		":2: [update] syntax error in 'name ;x = y' (expected KEY = VALUE, a "
		"[SECTION] header, or a comment line starting with # or ;)");
}

static void test_strategy_names(void **state)
{
	(void)state;
	assert_string_equal(clu_strategy_name(CLU_STRATEGY_IN_PLACE), "in-place");
	assert_string_equal(clu_strategy_name(CLU_STRATEGY_ROLLING), "rolling");
	assert_string_equal(clu_strategy_name(CLU_STRATEGY_AUTO), "auto");
	assert_string_equal(clu_strategy_name((enum clu_strategy)42), "unknown");
	assert_int_equal(clu_strategy_parse("in-place"), CLU_STRATEGY_IN_PLACE);
	assert_int_equal(clu_strategy_parse("rolling"), CLU_STRATEGY_ROLLING);
	assert_int_equal(clu_strategy_parse("auto"), CLU_STRATEGY_AUTO);
	assert_int_equal(clu_strategy_parse("inplace"), -1);
	assert_int_equal(clu_strategy_parse("Auto"), -1);
	assert_int_equal(clu_strategy_parse(""), -1);
	assert_int_equal(clu_strategy_parse(NULL), -1);
}

static void test_probe_type_names(void **state)
{
	(void)state;
	assert_string_equal(clu_probe_type_name(CLU_PROBE_TCP), "tcp");
	assert_string_equal(clu_probe_type_name(CLU_PROBE_SMTP), "smtp");
	assert_string_equal(clu_probe_type_name(CLU_PROBE_COMMAND), "command");
	assert_string_equal(clu_probe_type_name((enum clu_probe_type)42), "unknown");
}

/* The keys of `clupdate rollback`: the version put back, the down-migration. */
static void test_rollback_keys(void **state)
{
	struct clu_manifest m;
	struct clu_err err = CLU_ERR_INIT;

	(void)state;
	write_manifest(UPDATE_OK "previous-version = 1.9\n" INSTALL_OK
		       "rollback = ./rollback\ndown-migration = ./store-down --to \"$CLU_VERSION\"\n",
		       SIZE_MAX);
	assert_int_equal(clu_manifest_load(&m, manifest_path, &err), 0);
	assert_string_equal(m.previous_version, "1.9");
	assert_string_equal(m.rollback_command, "./rollback");
	assert_string_equal(m.down_migration_command, "./store-down --to \"$CLU_VERSION\"");
	clu_manifest_release(&m);
	check_error(UPDATE_OK "previous-version = 1 9\n" INSTALL_OK,
		    ":6: [update] previous-version: '1 9' is not a valid version (expected "
		    "letters, digits, '.', '_', '+', '~', ':' and '-', without spaces)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_demo_sp2),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_rollback_keys),
		cmocka_unit_test(test_hook_probe_defaults),
		cmocka_unit_test(test_probe_check),
		cmocka_unit_test(test_gate_keys),
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_text_kept_verbatim),
		cmocka_unit_test(test_fixture_errors),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_section_errors),
		cmocka_unit_test(test_group_sections),
		cmocka_unit_test(test_groups_from_sections),
		cmocka_unit_test(test_group_accessors_by_hand),
		cmocka_unit_test(test_group_errors),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_probe_errors),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_strategy_names),
		cmocka_unit_test(test_probe_type_names),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
