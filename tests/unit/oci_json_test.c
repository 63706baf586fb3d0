/* oci_json_test.c - oci_json_parse takes exactly [data, data+size) as one JSON value (cli/oci_blob.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "oci.h"

/* Parses the first n bytes of s; the rest of s lies just past the end. */
static int parses(const char *s, size_t n)
{
	struct json_object *o = oci_json_parse(s, n);

	json_object_put(o);
	return o != NULL;
}

/* Blobs are not NUL-terminated: whatever follows them is not theirs. */
static void test_bytes_after_the_end_ignored(void **state)
{
	(void)state;
	assert_true(parses("{\"a\":1} ", 7));
	assert_true(parses("{\"a\":1}\n\t x", 7));
	assert_true(parses("{\"a\":1}x", 7));
	assert_true(parses("[1,2]\n\n", 6));
}

static void test_trailing_bytes(void **state)
{
	(void)state;
	assert_true(parses("{} \t\r\n", 6));
	assert_false(parses("{} x", 4));
	assert_false(parses("{}{}", 4));
	assert_false(parses("{} \0", 4));
}

static void test_incomplete_and_empty(void **state)
{
	(void)state;
	assert_false(parses("{\"a\":1}", 6));
	assert_false(parses("", 0));
	assert_false(parses("   ", 3));
}

/*
 * An empty HTTP body (a 200 with nothing, from a token service or a
 * registry) is a kbuf that never grew: NULL data, size 0.
 */
static void test_empty_body_null(void **state)
{
	(void)state;
	assert_null(oci_json_parse(NULL, 0));
}

/* The strings of JSON array text s, appended to sv: oci_json_strings. */
static int strings(const char *s, struct strvec *sv)
{
	struct json_object *o = oci_json_parse(s, strlen(s));
	int err;

	assert_non_null(o);
	err = oci_json_strings(o, sv);
	json_object_put(o);
	return err;
}

/* A NUL inside a JSON string would cut the C string kiln keeps short. */
static void test_strings_with_nul(void **state)
{
	struct strvec sv = { 0 };

	(void)state;
	assert_int_equal(strings("[\"/bin/sh\", \"-c\"]", &sv), 0);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[1], "-c");
	assert_int_equal(strings("[\"/bin/true\\u0000; rm -rf /\"]", &sv),
			 -EINVAL);
	assert_int_equal(strings("[\"\\u0000\"]", &sv), -EINVAL);
	assert_int_equal(strings("[\"a\", 1]", &sv), -EINVAL);
	strvec_free(&sv);
}

/* Whether JSON text s passes oci_json_whole and _cstr. */
static void check_string(const char *s, bool whole, bool cstr)
{
	struct json_object *o = oci_json_parse(s, strlen(s));

	assert_non_null(o);
	assert_int_equal(oci_json_whole(o), whole);
	assert_int_equal(oci_json_cstr(o), cstr);
	json_object_put(o);
}

/* A token may be longer than a config value; neither may hold a NUL. */
static void test_whole_and_cstr(void **state)
{
	char big[KILN_CFG_MAX_VALUE + 8];

	(void)state;
	check_string("\"abc\"", true, true);
	check_string("\"\"", true, true);
	check_string("\"ab\\u0000c\"", false, false);
	check_string("\"\\u0000\"", false, false);
	check_string("[1]", false, false);
	check_string("{}", false, false);
	/* JSON null is json-c's NULL */
	assert_false(oci_json_whole(NULL));
	assert_false(oci_json_cstr(NULL));
	/* "x...x": KILN_CFG_MAX_VALUE - 1 bytes, then KILN_CFG_MAX_VALUE */
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[KILN_CFG_MAX_VALUE] = '"';
	big[KILN_CFG_MAX_VALUE + 1] = '\0';
	check_string(big, true, true);
	big[KILN_CFG_MAX_VALUE] = 'x';
	big[KILN_CFG_MAX_VALUE + 1] = '"';
	big[KILN_CFG_MAX_VALUE + 2] = '\0';
	check_string(big, true, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_after_the_end_ignored),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_incomplete_and_empty),
		cmocka_unit_test(test_empty_body_null),
		cmocka_unit_test(test_strings_with_nul),
		cmocka_unit_test(test_whole_and_cstr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
