/* format_test.c - fmt_snprintf/fmt_vformat against the host snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/format.h"

#define CANARY 0xa5
#define CANARY_LEN 16

/* How many snprintf comparisons ran, reported at the end as a sanity check. */
static unsigned long checks;

/* Collects fmt_vformat output. */
struct sink {
	char *buf;
	size_t len;
	size_t cap;
};

static void sink_put(char c, void *ctx)
{
	struct sink *s = ctx;

	if (s->len < s->cap)
		s->buf[s->len] = c;
	s->len++;
}

/* Every buffer size from 0 to len+1: exact prefix, NUL, untouched canary. */
static void check_truncation(int line, const char *fmt, const char *want,
			     size_t len, va_list ap)
{
	unsigned char *buf = malloc(len + 2 + CANARY_LEN);

	assert_non_null(buf);
	for (size_t size = 0; size <= len + 1; size++) {
		va_list aq;
		int n;

		memset(buf, CANARY, len + 2 + CANARY_LEN);
		va_copy(aq, ap);
		n = fmt_vsnprintf((char *)buf, size, fmt, aq);
		va_end(aq);
		if (n != (int)len)
			fail_msg("line %d \"%s\" size %zu: returned %d not %zu",
				 line, fmt, size, n, len);
		for (size_t i = size; i < len + 2 + CANARY_LEN; i++)
			if (buf[i] != CANARY)
				fail_msg("line %d \"%s\" size %zu: wrote [%zu]",
					 line, fmt, size, i);
		if (size == 0)
			continue;
		if (memcmp(buf, want, size - 1) != 0 || buf[size - 1] != '\0')
			fail_msg("line %d \"%s\" size %zu: got \"%s\"", line,
				 fmt, size, (char *)buf);
	}
	free(buf);
}

static void check_vformat(int line, const char *fmt, const char *want,
			  size_t len, va_list ap)
{
	char out[512];
	struct sink s = { out, 0, sizeof(out) };
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = fmt_vformat(sink_put, &s, fmt, aq);
	va_end(aq);
	if (n != (int)len || s.len != len ||
	    (len <= sizeof(out) && memcmp(out, want, len) != 0))
		fail_msg("line %d \"%s\": fmt_vformat gave %d chars", line, fmt,
			 n);
}

/*
 * Compare fmt_vsnprintf with the host vsnprintf for one format and its
 * arguments. thorough adds every truncation size and fmt_vformat.
 */
static void check_v(int line, int thorough, const char *fmt, va_list ap)
{
	char want[512], got[512];
	va_list aq;
	int wn, gn;

	va_copy(aq, ap);
	wn = vsnprintf(want, sizeof(want), fmt, aq);
	va_end(aq);
	assert_true(wn >= 0 && wn < (int)sizeof(want));
	va_copy(aq, ap);
	gn = fmt_vsnprintf(got, sizeof(got), fmt, aq);
	va_end(aq);
	if (gn != wn || strcmp(got, want) != 0)
		fail_msg("line %d \"%s\": got \"%s\" (%d), want \"%s\" (%d)",
			 line, fmt, got, gn, want, wn);
	checks++;
	if (!thorough)
		return;
	check_truncation(line, fmt, want, (size_t)wn, ap);
	check_vformat(line, fmt, want, (size_t)wn, ap);
}

__attribute__((format(printf, 3, 4))) static void check_at(int line,
							   int thorough,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_v(line, thorough, fmt, ap);
	va_end(ap);
}

#define CHECK(...) check_at(__LINE__, 1, __VA_ARGS__)

/*
 * For formats that are well defined but draw a gcc -Wformat warning
 * ("'0' flag ignored with precision"): hide the literal from the checker.
 * Such calls pass at least one (unused) argument for -Wformat-security.
 */
static const char *quiet(const char *fmt)
{
	return fmt;
}

/* Exact expected text, for what the host cannot be compared against. */
__attribute__((format(printf, 3, 4))) static void expect_at(int line,
							    const char *want,
							    const char *fmt,
							    ...)
{
	char got[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	if (n != (int)strlen(want) || strcmp(got, want) != 0)
		fail_msg("line %d: got \"%s\" (%d), want \"%s\"", line, got, n,
			 want);
}

#define EXPECT(...) expect_at(__LINE__, __VA_ARGS__)

static void test_integer_edges(void **state)
{
	(void)state;
	CHECK("%d %i %u", 0, -0, 0u);
	CHECK("%lld|%llu|%llx", (long long)INT64_MIN,
	      (unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX);
	CHECK("%jd %ju %jo", (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX,
	      (uintmax_t)UINT64_MAX);
	CHECK("%+30lld|%-30lld|%030lld", (long long)INT64_MIN,
	      (long long)INT64_MIN, (long long)INT64_MIN);
	CHECK("%#llo %#llX %#.30llx", (unsigned long long)UINT64_MAX,
	      (unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX);
	CHECK("[%.0d][%.0u][%.0x][%#.0x][%#.0o][%5.0d][%-5.0d]", 0, 0u, 0u, 0u,
	      0u, 0, 0);
	CHECK("[%#o][%#x][%#X][%#5o][%#05x][%#-8x]", 0u, 0u, 0u, 8u, 255u,
	      255u);
	CHECK("%d %d %hd %hhd %hhu %hu", INT32_MIN, INT32_MAX, (short)-32768,
	      (signed char)-128, (unsigned char)255, (unsigned short)65535);
	CHECK("%zu %zd %zx %td %tu", (size_t)SIZE_MAX, (ptrdiff_t)-5,
	      (size_t)0xdeadbeef, (ptrdiff_t)PTRDIFF_MIN, (ptrdiff_t)12);
	CHECK("%ld %lu %lx %lo", (long)INT64_MIN, (unsigned long)UINT64_MAX,
	      0x123456789abcdefUL, 0777UL);
	CHECK(quiet("%08.3d|%-08d|%+ d|% d|% 05d|%+05d"), -5, -5, 5, 5, 5, 5);
	CHECK("%.20d|%.20u|%25.20x|%-25.20o", -1, 1u, 1u, 1u);
}

static void test_star(void **state)
{
	(void)state;
	CHECK("[%*d][%-*d][%*d]", 6, 42, 6, 42, -6, 42);
	CHECK("[%.*d][%.*d][%.*d]", 5, 42, 0, 0, -1, 0);
	CHECK("[%*.*x][%-*.*X]", 10, 4, 0xabu, 10, 4, 0xabu);
	CHECK(quiet("[%0*d][%0*d][%0-*d]"), 8, -7, -8, -7, 8, -7);
	CHECK("[%*s][%-*s][%.*s][%*.*s]", 5, "ab", 5, "ab", 1, "ab", 5, 1,
	      "abc");
	CHECK("[%*c][%-*c]", 4, 'x', -4, 'y');
}

static void test_strings_chars(void **state)
{
	(void)state;
	CHECK("%s|%10s|%-10s|%.2s|%10.2s|%-10.0s|", "hello", "hello", "hello",
	      "hello", "hello", "hello");
	CHECK("%s%s%s", "", "a", "");
	CHECK("%c%c%c|%3c|%-3c|", 'a', 0x7f, ' ', 'b', 'c');
	CHECK("%c", 0xe9);
	CHECK("100%% %%|%%d");
	EXPECT("%|%", quiet("%5%|%-3%"), 0);
	CHECK("no conversions at all, just text");
	CHECK("%s", "a long string that will be truncated at each and every "
		    "one of its possible buffer sizes, with a canary after");
}

static void test_string_precision_unterminated(void **state)
{
	char abc[3] = { 'a', 'b', 'c' }; /* no NUL: must not be read past */

	(void)state;
	EXPECT("abc", "%.3s", abc);
	EXPECT("ab", "%.2s", abc);
	EXPECT("  abc", "%5.3s", abc);
}

/* %s of NULL is undefined in C; Kiln defines it as "(null)". */
static void test_null_string(void **state)
{
	const char *volatile null = NULL; /* hidden from -Wformat-overflow */

	(void)state;
	EXPECT("(null)", "%s", null);
	EXPECT("    (null)", "%10s", null);
	EXPECT("(null)    |", "%-10s|", null);
	EXPECT("(nu", "%.3s", null);
}

static void test_pointers(void **state)
{
	int x;
	void *p = &x;

	(void)state;
	CHECK("%p", NULL);
	CHECK("[%10p][%-10p]", NULL, NULL);
	CHECK("%p %p", p, (void *)0x1);
	CHECK("[%30p][%-30p]", p, (void *)0xffffffffffffffffUL);
	EXPECT("0xdeadbeef", "%p", (void *)0xdeadbeefUL);
	EXPECT("(nil)", "%p", NULL);
}

/* Unsupported conversions are copied through verbatim without an argument. */
static void test_unknown_conversions(void **state)
{
	const char *fmts[] = { "%y", "a%5yb", "%-08.3y", "end%", "%ln", "%n" };
	const char *wants[] = { "%y", "a%5yb", "%-08.3y", "end%", "%ln", "%n" };
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		assert_int_equal(fmt_snprintf(buf, sizeof(buf), fmts[i], 1),
				 (int)strlen(wants[i]));
		assert_string_equal(buf, wants[i]);
	}
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), quiet("%y%d"), 7), 3);
	assert_string_equal(buf, "%y7");
}

static void test_return_values(void **state)
{
	char buf[4] = "xyz";

	(void)state;
	assert_int_equal(fmt_snprintf(NULL, 0, "%d", 12345), 5);
	assert_int_equal(fmt_snprintf(buf, 0, "%s", "abc"), 3);
	assert_string_equal(buf, "xyz"); /* size 0 writes nothing */
	assert_int_equal(fmt_snprintf(buf, 1, "%s", "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), "%s", "abcdef"), 6);
	assert_string_equal(buf, "abc");
	assert_int_equal(fmt_snprintf(buf, sizeof(buf), quiet(""), 0), 0);
	assert_string_equal(buf, "");
	assert_int_equal(fmt_snprintf(NULL, 0, "%300d", 1), 300);
}

static const char *const flag_sets[] = {
	"",   "-",  "0",  "+",	" ",  "#",     "-0",  "+ ",
	"0#", "-+", "0+", "0 ", "-#", "-+ #0", "+0#", "- ",
};
static const char *const widths[] = { "", "1", "6", "24" };
static const char *const precs[] = { "", ".", ".0", ".1", ".4", ".22" };
static const char *const lens[] = { "", "hh", "h", "l", "ll", "z", "t", "j" };
static const int64_t values[] = {
	0,
	1,
	-1,
	7,
	8,
	42,
	-42,
	127,
	128,
	-129,
	255,
	300,
	32767,
	-32768,
	65535,
	65536,
	INT32_MAX,
	INT32_MIN,
	(int64_t)UINT32_MAX,
	0x123456789a,
	INT64_MAX,
	INT64_MIN,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Pass v with the exact argument type fmt's length and conversion expect. */
static void check_typed(const char *fmt, const char *len, int is_signed,
			int64_t v)
{
	if (!*len || len[0] == 'h')
		check_at(__LINE__, 0, fmt, (int)v);
	else if (!strcmp(len, "l") && is_signed)
		check_at(__LINE__, 0, fmt, (long)v);
	else if (!strcmp(len, "l"))
		check_at(__LINE__, 0, fmt, (unsigned long)v);
	else if (!strcmp(len, "ll"))
		check_at(__LINE__, 0, fmt, (long long)v);
	else if (!strcmp(len, "z"))
		check_at(__LINE__, 0, fmt, (size_t)v);
	else if (!strcmp(len, "t"))
		check_at(__LINE__, 0, fmt, (ptrdiff_t)v);
	else
		check_at(__LINE__, 0, fmt, (intmax_t)v);
}

/* Every flag set x width x precision x length x conversion x value. */
static void test_integer_matrix(void **state)
{
	static const char convs[] = "diuxXo";
	char fmt[64];

	(void)state;
	for (size_t f = 0; f < COUNT(flag_sets); f++)
		for (size_t w = 0; w < COUNT(widths); w++)
			for (size_t p = 0; p < COUNT(precs); p++)
				for (size_t l = 0; l < COUNT(lens); l++)
					for (size_t c = 0; convs[c]; c++) {
						snprintf(fmt, sizeof(fmt),
							 "<%%%s%s%s%s%c>",
							 flag_sets[f],
							 widths[w], precs[p],
							 lens[l], convs[c]);
						for (size_t v = 0;
						     v < COUNT(values); v++)
							check_typed(fmt,
								    lens[l],
								    c < 2,
								    values[v]);
					}
}

/* %s, %c and %p with the flags that are defined for them. */
static void test_text_matrix(void **state)
{
	static const char *const strs[] = { "", "a", "hello", "tab\there" };
	static const char *const sflags[] = { "", "-" };
	char fmt[64];

	(void)state;
	for (size_t f = 0; f < COUNT(sflags); f++)
		for (size_t w = 0; w < COUNT(widths); w++) {
			for (size_t p = 0; p < COUNT(precs); p++) {
				snprintf(fmt, sizeof(fmt), "<%%%s%s%ss>",
					 sflags[f], widths[w], precs[p]);
				for (size_t s = 0; s < COUNT(strs); s++)
					check_at(__LINE__, 1, fmt, strs[s]);
			}
			snprintf(fmt, sizeof(fmt), "<%%%s%sc>", sflags[f],
				 widths[w]);
			check_at(__LINE__, 1, fmt, 'q');
			snprintf(fmt, sizeof(fmt), "<%%%s%sp>", sflags[f],
				 widths[w]);
			check_at(__LINE__, 1, fmt, (void *)0xabcdef);
			check_at(__LINE__, 1, fmt, NULL);
		}
}

static void test_count(void **state)
{
	(void)state;
	print_message("format_test: %lu comparisons against host snprintf\n",
		      checks);
	assert_true(checks > 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integer_edges),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_strings_chars),
		cmocka_unit_test(test_string_precision_unterminated),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_unknown_conversions),
		cmocka_unit_test(test_return_values),
		cmocka_unit_test(test_integer_matrix),
		cmocka_unit_test(test_text_matrix),
		cmocka_unit_test(test_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
