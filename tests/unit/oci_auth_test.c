/* oci_auth_test.c - oci_bearer_parse reads a Bearer challenge's auth-params (RFC 7235 2.1) and refuses malformed ones (cli/oci_auth.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oci_registry.h"

/* Parse ch; expect status want and, when 0, the three values (NULL: absent). */
static void parses_to(const char *ch, int want, const char *realm,
		      const char *service, const char *scope)
{
	struct oci_bearer bp;
	int r = oci_bearer_parse(ch, &bp);

	assert_int_equal(r, want);
	if (r == 0) {
		const char *got[] = { bp.realm, bp.service, bp.scope };
		const char *exp[] = { realm, service, scope };

		for (int i = 0; i < 3; i++) {
			if (exp[i] == NULL) {
				assert_null(got[i]);
				continue;
			}
			assert_non_null(got[i]);
			assert_string_equal(got[i], exp[i]);
		}
	}
	free(bp.buf);
}

static void test_plain(void **state)
{
	(void)state;
	parses_to("realm=\"https://auth/token\",service=\"reg\","
		  "scope=\"repository:a/b:pull\"",
		  0, "https://auth/token", "reg", "repository:a/b:pull");
	parses_to("realm=https://auth/token, service=reg", 0,
		  "https://auth/token", "reg", NULL);
	parses_to("", 0, NULL, NULL, NULL);
}

/* RFC 7235 2.1: auth-param = token BWS "=" BWS ( token / quoted-string ). */
static void test_whitespace_around_equals(void **state)
{
	(void)state;
	parses_to("realm = \"x\"", 0, "x", NULL, NULL);
	parses_to("realm\t=\t\"x\" ,service =reg,  scope= \"s p\"", 0, "x",
		  "reg", "s p");
	parses_to("realm =x", 0, "x", NULL, NULL);
	/* A quoted comma or '=' is the value's, not a parameter. */
	parses_to("realm = \"a, service=b\"", 0, "a, service=b", NULL, NULL);
}

/* A token no '=' follows starts the next challenge: the list ends there. */
static void test_next_challenge_ends_the_list(void **state)
{
	(void)state;
	parses_to("realm=\"x\", Basic realm=\"y\"", 0, "x", NULL, NULL);
	parses_to("realm = \"x\" , Basic  realm = \"y\" ,service=\"z\"", 0, "x",
		  NULL, NULL);
	parses_to("service=\"s\", Other abc==", 0, NULL, "s", NULL);
}

static void test_malformed(void **state)
{
	(void)state;
	parses_to("realm=\"unterminated", -EINVAL, NULL, NULL, NULL);
	parses_to("realm = \"unterminated\\\"", -EINVAL, NULL, NULL, NULL);
	parses_to("=\"x\"", -EINVAL, NULL, NULL, NULL);
	parses_to("realm=\"x\", = \"y\"", -EINVAL, NULL, NULL, NULL);
}

/* The first of a repeated parameter counts; names are case-insensitive. */
static void test_first_wins(void **state)
{
	(void)state;
	parses_to("REALM=\"a\", realm = \"b\", Service=s", 0, "a", "s", NULL);
	parses_to("realmx=\"a\", realm=\"b\"", 0, "b", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_whitespace_around_equals),
		cmocka_unit_test(test_next_challenge_ends_the_list),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_first_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
