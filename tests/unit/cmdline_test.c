/* cmdline_test.c - kernel command line parsing, including hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cmdline.h"

#define ALL ((size_t)-1) /* "no length limit": parsing stops at the NUL */

/* Look key up in a NUL-terminated line; check the return and the copy. */
static void expect_get(const char *line, const char *key, const char *want)
{
	char out[64];

	memset(out, 'X', sizeof(out));
	assert_int_equal(cmdline_get(line, ALL, key, out, sizeof(out)),
			 (long)strlen(want));
	assert_string_equal(out, want);
	assert_true(cmdline_has(line, ALL, key));
}

static void expect_missing(const char *line, size_t len, const char *key)
{
	char out[8] = "unused";
	uint64_t v = 7;

	assert_int_equal(cmdline_get(line, len, key, out, sizeof(out)), -1);
	assert_string_equal(out, "unused");
	assert_false(cmdline_has(line, len, key));
	assert_int_equal(cmdline_get_u64(line, len, key, &v), CMDLINE_ENOKEY);
	assert_int_equal(v, 7);
}

static void test_basic(void **state)
{
	static const char line[] = "console=ttyS0 quiet kiln.test=hello  x=1";

	(void)state;
	expect_get(line, "console", "ttyS0");
	expect_get(line, "quiet", "");
	expect_get(line, "kiln.test", "hello");
	expect_get(line, "x", "1");
	expect_missing(line, ALL, "loud");
	expect_missing(line, ALL, "ttyS0");   /* a value is not a key */
	expect_missing(line, ALL, "Console"); /* case-sensitive */
}

static void test_last_wins(void **state)
{
	(void)state;
	expect_get("a=1 b=2 a=3", "a", "3");
	expect_get("a=1 a a=", "a", "");
	expect_get("a a=late", "a", "late");
}

static void test_prefix_keys(void **state)
{
	static const char line[] = "kiln.testing=long kiln.tes=short";

	(void)state;
	expect_missing(line, ALL, "kiln.test");
	expect_missing(line, ALL, "kiln");
	expect_get(line, "kiln.testing", "long");
	expect_get(line, "kiln.tes", "short");
	expect_missing("kiln.test", ALL, "kiln.testing");
}

static void test_quotes(void **state)
{
	(void)state;
	expect_get("init=/bin/sh msg=\"hello world\" end=1", "msg",
		   "hello world");
	expect_get("msg=\"hello world\" end=1", "end", "1");
	expect_get("msg=\"\"", "msg", "");
	expect_get("msg=\"a\tb\"", "msg", "a\tb");
	/* Unterminated: the value runs to the end, without the quote. */
	expect_get("a=1 msg=\"runs to the end", "msg", "runs to the end");
	expect_missing("msg=\"runs to the end", ALL, "the");
	expect_get("msg=\"", "msg", "");
	/* Text after a closing quote up to the next blank is dropped. */
	expect_get("msg=\"ab\"cd next=2", "msg", "ab");
	expect_get("msg=\"ab\"cd next=2", "next", "2");
}

static void test_empty_and_null(void **state)
{
	char out[4] = "abc";

	(void)state;
	expect_missing("", ALL, "a");
	expect_missing("   \t  ", ALL, "a");
	expect_missing(NULL, ALL, "a");
	expect_missing(NULL, 0, "a");
	expect_missing("a=1", 0, "a");
	expect_get("a= b", "a", "");
	assert_int_equal(cmdline_get("a=", ALL, "a", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_tabs(void **state)
{
	static const char line[] = "\ta=1\tb=two\t\tc\t";

	(void)state;
	expect_get(line, "a", "1");
	expect_get(line, "b", "two");
	expect_get(line, "c", "");
}

/* len ends the line mid-word; the buffer has no NUL at all. */
static void test_length_bound(void **state)
{
	static const char raw[] = { 'a', '=', '1', '2', '3', ' ',
				    'b', 'c', 'd', '=', 'x', 'y' };
	char *heap = malloc(sizeof(raw)); /* exact size: ASan sees over-reads */
	char out[16];

	(void)state;
	assert_non_null(heap);
	memcpy(heap, raw, sizeof(raw));
	assert_int_equal(cmdline_get(heap, 4, "a", out, sizeof(out)), 2);
	assert_string_equal(out, "12");
	expect_missing(heap, 8, "bcd"); /* cut inside the key: key is "bc" */
	assert_true(cmdline_has(heap, 8, "bc"));
	assert_int_equal(cmdline_get(heap, 11, "bcd", out, sizeof(out)), 1);
	assert_string_equal(out, "x");
	assert_int_equal(cmdline_get(heap, 12, "bcd", out, sizeof(out)), 2);
	assert_string_equal(out, "xy");
	/* A NUL before len ends the line too. */
	assert_int_equal(cmdline_get("a=1\0b=2", 7, "b", out, sizeof(out)), -1);
	free(heap);
}

static void test_truncation(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(cmdline_get("k=abcdefghij", ALL, "k", out, 4), 10);
	assert_string_equal(out, "abc");
	assert_int_equal(out[4], 'X'); /* nothing written past outsize */
	assert_int_equal(cmdline_get("k=abcdefghij", ALL, "k", out, 1), 10);
	assert_string_equal(out, "");
	memset(out, 'X', sizeof(out));
	assert_int_equal(cmdline_get("k=abc", ALL, "k", out, 0), 3);
	assert_int_equal(out[0], 'X');
	assert_int_equal(cmdline_get("k=abc", ALL, "k", NULL, 0), 3);
	assert_int_equal(cmdline_get("k=abc", ALL, "k", out, 4), 3);
	assert_string_equal(out, "abc");
}

static void expect_u64(const char *line, uint64_t want)
{
	uint64_t v = 0xdead;

	assert_int_equal(cmdline_get_u64(line, ALL, "n", &v), 0);
	assert_int_equal(v, want);
}

static void expect_u64_bad(const char *line)
{
	uint64_t v = 0xdead;

	assert_int_equal(cmdline_get_u64(line, ALL, "n", &v), CMDLINE_EVALUE);
	assert_int_equal(v, 0xdead); /* out is left unchanged */
}

static void test_u64_valid(void **state)
{
	(void)state;
	expect_u64("n=0", 0);
	expect_u64("n=42", 42);
	expect_u64("n=010", 10); /* decimal, not octal */
	expect_u64("n=0x1f", 0x1f);
	expect_u64("n=0XABCdef", 0xabcdef);
	expect_u64("n=4K", 4096);
	expect_u64("n=64m", 64ull << 20);
	expect_u64("n=3G", 3ull << 30);
	expect_u64("n=0x10M", 16ull << 20);
	expect_u64("n=18446744073709551615", UINT64_MAX);
	expect_u64("n=0xffffffffffffffff", UINT64_MAX);
	expect_u64("n=16777216G", 1ull << 54);
	expect_u64("n=17179869183G", UINT64_MAX - (1ull << 30) + 1);
	expect_u64("n=\"128M\"", 128ull << 20);
	expect_u64("n=1 n=2", 2);
}

static void test_u64_invalid(void **state)
{
	uint64_t v = 5;

	(void)state;
	expect_u64_bad("n=18446744073709551616");
	expect_u64_bad("n=99999999999999999999");
	expect_u64_bad("n=0xffffffffffffffffff");
	expect_u64_bad("n=0x10000000000000000");
	expect_u64_bad("n=17179869184G");
	expect_u64_bad("n=18014398509481984K");
	expect_u64_bad("n=12ab");
	expect_u64_bad("n=4KB");
	expect_u64_bad("n=K");
	expect_u64_bad("n=0x");
	expect_u64_bad("n=0xg");
	expect_u64_bad("n=-1");
	expect_u64_bad("n=+1");
	expect_u64_bad("n= 1");
	expect_u64_bad("n=");
	expect_u64_bad("n");
	expect_u64_bad("n=\"\"");
	assert_int_equal(cmdline_get_u64("m=1", ALL, "n", &v), CMDLINE_ENOKEY);
	assert_int_equal(v, 5);
	/* Positive codes, so neither passes for -EPERM or -ENOENT. */
	assert_int_equal(CMDLINE_ENOKEY, 1);
	assert_int_equal(CMDLINE_EVALUE, 2);
}

static void test_nth(void **state)
{
	const char *line = "virtio_mmio.device=512@0xfeb00e00:12 x "
			   "virtio_mmio.device=4K@0xfeb00c00:11";
	char out[64];

	(void)state;
	assert_int_equal(cmdline_get_nth(line, ALL, "virtio_mmio.device", 0,
					 out, sizeof(out)),
			 17);
	assert_string_equal(out, "512@0xfeb00e00:12");
	assert_int_equal(cmdline_get_nth(line, ALL, "virtio_mmio.device", 1,
					 out, sizeof(out)),
			 16);
	assert_string_equal(out, "4K@0xfeb00c00:11");
	assert_int_equal(cmdline_get_nth(line, ALL, "virtio_mmio.device", 2,
					 out, sizeof(out)),
			 -1);
	assert_int_equal(cmdline_get_nth(line, ALL, "x", 0, out, sizeof(out)),
			 0);
	assert_string_equal(out, "");
	assert_int_equal(cmdline_get_nth(NULL, ALL, "x", 0, out, sizeof(out)),
			 -1);
	assert_int_equal(
		cmdline_get_nth(line, ALL, "x", (size_t)-1, out, sizeof(out)),
		-1);
}

static void test_parse_u64(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_true(cmdline_parse_u64("512@", 3, &v));
	assert_int_equal(v, 512);
	assert_true(cmdline_parse_u64("0xfeb00e00", 10, &v));
	assert_int_equal(v, 0xfeb00e00);
	assert_true(cmdline_parse_u64("4K", 2, &v));
	assert_int_equal(v, 4096);
	assert_false(cmdline_parse_u64("", 0, &v));
	assert_false(cmdline_parse_u64("12x", 3, &v));
	assert_false(cmdline_parse_u64(NULL, 3, &v));
	assert_int_equal(v, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_last_wins),
		cmocka_unit_test(test_prefix_keys),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_tabs),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_u64_valid),
		cmocka_unit_test(test_u64_invalid),
		cmocka_unit_test(test_nth),
		cmocka_unit_test(test_parse_u64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
