/* string_test.c - kernel/lib/string.c (as kiln_*) against the host libc. */
#include "string_rename.h" /* also force-included; harmless twice */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/string.h" /* declares kiln_memcpy, kiln_strlen, ... */

/* From here on the plain names are the host libc again. */
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strlcpy

#define MAXLEN 64
#define MAXOFF 16
#define AREA (MAXOFF + MAXLEN + MAXOFF + 16)

/* Distinct, partly >= 0x80 bytes so copies from the wrong place show. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131 + i * 37 + 1);
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_memcpy(void **state)
{
	_Alignas(16) unsigned char src[AREA], a[AREA], b[AREA];

	(void)state;
	fill(src, AREA, 1);
	for (size_t so = 0; so < MAXOFF; so++)
		for (size_t d = 0; d < MAXOFF; d++)
			for (size_t n = 0; n <= MAXLEN; n++) {
				fill(a, AREA, 2);
				fill(b, AREA, 2);
				assert_ptr_equal(
					kiln_memcpy(a + d, src + so, n), a + d);
				memcpy(b + d, src + so, n);
				assert_memory_equal(a, b, AREA);
			}
}

/* Source and destination in one buffer: overlap in both directions. */
static void test_memmove(void **state)
{
	_Alignas(16) unsigned char a[AREA + 32], b[AREA + 32];

	(void)state;
	for (size_t so = 0; so < 32; so++)
		for (size_t d = 0; d < 32; d++)
			for (size_t n = 0; n <= MAXLEN; n++) {
				fill(a, sizeof(a), 3);
				fill(b, sizeof(b), 3);
				assert_ptr_equal(kiln_memmove(a + d, a + so, n),
						 a + d);
				memmove(b + d, b + so, n);
				assert_memory_equal(a, b, sizeof(a));
			}
}

static void test_memset(void **state)
{
	static const int values[] = { 0, 0x5a, 0x80, 0xff, 0x1ab, -1 };
	_Alignas(16) unsigned char a[AREA], b[AREA];

	(void)state;
	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
		for (size_t d = 0; d < MAXOFF; d++)
			for (size_t n = 0; n <= MAXLEN; n++) {
				fill(a, AREA, 4);
				fill(b, AREA, 4);
				assert_ptr_equal(
					kiln_memset(a + d, values[v], n),
					a + d);
				memset(b + d, values[v], n);
				assert_memory_equal(a, b, AREA);
			}
}

/* Pairs straddling 0x80, which a signed char compare orders wrongly. */
static const unsigned char diff_pairs[][2] = {
	{ 0x7f, 0x80 },
	{ 0x00, 0xff },
	{ 0x80, 0x01 },
	{ 0xfe, 0xff },
};

static void test_memcmp(void **state)
{
	_Alignas(16) unsigned char a[AREA], b[AREA];

	/* Equal ranges, then one differing byte at the start, middle, end. */
	(void)state;
	fill(a, AREA, 5);
	for (size_t x = 0; x < MAXOFF; x++)
		for (size_t y = 0; y < MAXOFF; y++)
			for (size_t n = 0; n <= MAXLEN; n++) {
				const unsigned char *pa = a + x, *pb = b + y;

				memcpy(b + y, a + x, n);
				assert_int_equal(kiln_memcmp(a + x, b + y, n),
						 0);
				for (size_t j = 0; j < 3 && n > 0; j++) {
					size_t k = j == 0 ? 0 :
						   j == 1 ? n / 2 :
							    n - 1;

					for (size_t p = 0; p < 4; p++) {
						a[x + k] = diff_pairs[p][0];
						b[y + k] = diff_pairs[p][1];
						assert_int_equal(
							sign(kiln_memcmp(pa, pb,
									 n)),
							sign(memcmp(pa, pb,
								    n)));
						assert_int_equal(
							sign(kiln_memcmp(pb, pa,
									 n)),
							sign(memcmp(pb, pa,
								    n)));
						/* A later byte differing the other way. */
						if (k + 1 >= n)
							continue;
						a[x + k + 1] = diff_pairs[p][1];
						b[y + k + 1] = diff_pairs[p][0];
						assert_int_equal(
							sign(kiln_memcmp(pa, pb,
									 n)),
							sign(memcmp(pa, pb,
								    n)));
						a[x + k + 1] = b[y + k + 1] = 0;
					}
					fill(a, AREA, 5);
					memcpy(b + y, a + x, n);
				}
			}
}

static void test_memchr(void **state)
{
	static const int targets[] = { 0x00, 0x26, 0x80, 0xe9, 0x1e9, -23 };
	_Alignas(16) unsigned char a[AREA];

	(void)state;
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++)
		for (size_t x = 0; x < MAXOFF; x++)
			for (size_t n = 0; n <= MAXLEN; n++) {
				fill(a, AREA, 6);
				assert_ptr_equal(
					kiln_memchr(a + x, targets[t], n),
					memchr(a + x, targets[t], n));
				if (n > 0)
					a[x + n - 1] =
						(unsigned char)targets[t];
				assert_ptr_equal(
					kiln_memchr(a + x, targets[t], n),
					memchr(a + x, targets[t], n));
			}
}

/* A NUL-terminated string of n bytes from 0x01..0xff at p. */
static void make_str(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(1 + (seed * 97 + i * 53) % 255);
	p[n] = '\0';
}

static void test_strlen_strnlen(void **state)
{
	char s[AREA];

	(void)state;
	for (size_t x = 0; x < MAXOFF; x++)
		for (size_t n = 0; n <= MAXLEN; n++) {
			make_str(s + x, n, 7);
			assert_int_equal(kiln_strlen(s + x), n);
			for (size_t max = 0; max <= n + 2; max++)
				assert_int_equal(kiln_strnlen(s + x, max),
						 strnlen(s + x, max));
		}
}

static void test_strcmp_strncmp(void **state)
{
	char a[AREA], b[AREA];

	(void)state;
	for (size_t x = 0; x < MAXOFF; x++)
		for (size_t n = 0; n <= MAXLEN; n++) {
			make_str(a + x, n, 8);
			make_str(b, n, 8);
			assert_int_equal(kiln_strcmp(a + x, b), 0);
			for (size_t k = 0; k <= n; k++) {
				for (size_t p = 0; p < 4; p++) {
					a[x + k] = (char)diff_pairs[p][0];
					b[k] = (char)diff_pairs[p][1];
					assert_int_equal(
						sign(kiln_strcmp(a + x, b)),
						sign(strcmp(a + x, b)));
					assert_int_equal(
						sign(kiln_strcmp(b, a + x)),
						sign(strcmp(b, a + x)));
					for (size_t m = 0; m <= n + 1; m++)
						assert_int_equal(
							sign(kiln_strncmp(
								a + x, b, m)),
							sign(strncmp(a + x, b,
								     m)));
				}
				make_str(a + x, n, 8);
				make_str(b, n, 8);
			}
		}
	/* A prefix compares below the longer string. */
	assert_true(kiln_strcmp("abc", "abcd") < 0);
	assert_true(kiln_strcmp("abcd", "abc") > 0);
	assert_int_equal(kiln_strncmp("abcX", "abcY", 3), 0);
	assert_int_equal(kiln_strncmp("x", "y", 0), 0);
}

static void test_strchr_strrchr(void **state)
{
	static const int targets[] = { 0, 'a', 0xe9, -23, 0x161, 'z' };
	static const char text[] = "banana\xe9 bandana\xe9!";
	char s[AREA];

	(void)state;
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		assert_ptr_equal(kiln_strchr(text, targets[t]),
				 strchr(text, targets[t]));
		assert_ptr_equal(kiln_strrchr(text, targets[t]),
				 strrchr(text, targets[t]));
	}
	for (size_t x = 0; x < MAXOFF; x++)
		for (size_t n = 0; n <= MAXLEN; n++) {
			make_str(s + x, n, 9);
			for (int c = 0; c < 256; c += 17) {
				assert_ptr_equal(kiln_strchr(s + x, c),
						 strchr(s + x, c));
				assert_ptr_equal(kiln_strrchr(s + x, c),
						 strrchr(s + x, c));
			}
		}
}

/* glibc 2.36 has no strlcpy, so the expected result is spelled out. */
static void test_strlcpy(void **state)
{
	char src[MAXLEN + 1], dst[MAXLEN + 16];

	(void)state;
	for (size_t n = 0; n <= MAXLEN; n++) {
		make_str(src, n, 10);
		for (size_t size = 0; size <= n + 2; size++) {
			size_t copied = n < size ? n : (size ? size - 1 : 0);

			memset(dst, 0x5a, sizeof(dst));
			assert_int_equal(kiln_strlcpy(dst, src, size), n);
			assert_memory_equal(dst, src, copied);
			if (size > 0)
				assert_int_equal(dst[copied], '\0');
			for (size_t i = size; i < sizeof(dst); i++)
				assert_int_equal(dst[i], 0x5a);
		}
	}
	assert_int_equal(kiln_strlcpy(dst, "truncated", 5), 9);
	assert_string_equal(dst, "trun");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy),
		cmocka_unit_test(test_memmove),
		cmocka_unit_test(test_memset),
		cmocka_unit_test(test_memcmp),
		cmocka_unit_test(test_memchr),
		cmocka_unit_test(test_strlen_strnlen),
		cmocka_unit_test(test_strcmp_strncmp),
		cmocka_unit_test(test_strchr_strrchr),
		cmocka_unit_test(test_strlcpy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
