/*
 * Tests of the library's small internal helpers (lib/util.h): joining
 * strings, string vectors, and whole-file reads bounded in size.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static void check_join(char *const *v, size_t n, const char *sep, const char *want)
{
	char *got = clu__join(v, n, sep);

	assert_string_equal(got, want);
	free(got);
}

static void test_join(void **state)
{
	char *words[] = { "mail", "web", "db" };
	(void)state;

	check_join(words, 0, " ", "");
	check_join(words, 1, " ", "mail");
	check_join(words, 3, " ", "mail web db");
	check_join(words, 3, "\n", "mail\nweb\ndb");
	check_join(words, 2, ", ", "mail, web");
	check_join(words, 2, "", "mailweb");
}

static void test_strv(void **state)
{
	struct clu__strv sv = { 0 };
	(void)state;

	assert_false(clu__strv_has(&sv, "n1"));
	clu__strv_push(&sv, "n1");
	clu__strv_push(&sv, "n2");
	assert_int_equal(sv.n, 2);
	assert_null(sv.v[2]);
	assert_true(clu__strv_has(&sv, "n2"));
	assert_false(clu__strv_has(&sv, "n3"));
	check_join(sv.v, sv.n, ",", "n1,n2");
	clu__strv_release(&sv);
	assert_int_equal(sv.n, 0);
}

/* A file of n bytes 'x' at a temporary path, written into path. */
static void write_temp(char *path, size_t size, size_t n)
{
	FILE *f;

	snprintf(path, size, "%s/clu-test-util-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	f = fdopen(mkstemp(path), "wb");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('x', f);
	assert_int_equal(fclose(f), 0);
}

static void test_read_file(void **state)
{
	char path[128];
	size_t len = 7;
	char *text;

	(void)state;
	/* At most max bytes, past the first block of 4096; one more is refused. */
	write_temp(path, sizeof(path), 10000);
	text = clu__read_file(path, 10000, &len);
	assert_non_null(text);
	assert_int_equal(len, 10000);
	assert_int_equal(text[9999], 'x');
	assert_int_equal(text[10000], '\0');
	free(text);
	errno = 0;
	assert_null(clu__read_file(path, 9999, &len));
	assert_int_equal(errno, EFBIG);
	assert_null(clu__read_file(path, 0, NULL));
	assert_int_equal(errno, EFBIG);
	unlink(path);

	write_temp(path, sizeof(path), 0);
	text = clu__read_file(path, 0, &len);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);
	unlink(path);

	/* A file with no end stops at the limit, the default one included. */
	assert_null(clu__read_file("/dev/zero", 100, &len));
	assert_int_equal(errno, EFBIG);
	assert_null(clu__read_file("/dev/zero", CLU__READ_MAX, &len));
	assert_int_equal(errno, EFBIG);

	assert_null(clu__read_file("/nonexistent/f", CLU__READ_MAX, &len));
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
