/*
 * Tests of the library's small internal helpers (lib/util.h): joining
 * strings and string vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_strv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
