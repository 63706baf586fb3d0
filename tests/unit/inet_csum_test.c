/* inet_csum_test.c - the RFC 1071 Internet checksum against worked examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/inet_csum.h"

/* RFC 1071 3: the sum of 0001 f203 f4f5 f6f7 is ddf2, complemented 220d. */
static void test_rfc1071_example(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(inet_csum_add(0, b, sizeof(b)), 0x2ddf0);
	assert_int_equal(inet_csum(b, sizeof(b)), 0x220d);
}

/* A captured IPv4 header whose checksum field holds b861. */
static void test_ipv4_header(void **state)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
			0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
			0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal(inet_csum(h, sizeof(h)), 0); /* verifies */
	h[10] = h[11] = 0;
	assert_int_equal(inet_csum(h, sizeof(h)), 0xb861);
	h[19] ^= 1;
	assert_int_not_equal(inet_csum(h, sizeof(h)), 0xb861);
}

/* An odd final byte is padded with zero on the right. */
static void test_odd_length(void **state)
{
	static const uint8_t b[] = { 0x12, 0x34, 0x56 };

	(void)state;
	assert_int_equal(inet_csum_add(0, b, 3), 0x1234 + 0x5600);
	assert_int_equal(inet_csum(b, 3), (uint16_t) ~(0x1234 + 0x5600));
	assert_int_equal(inet_csum(b, 0), 0xffff);
}

/* Pieces (even lengths) and pseudo-header words add up like one buffer. */
static void test_incremental(void **state)
{
	uint8_t b[64];
	uint64_t sum;

	(void)state;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 37 + 11);
	sum = inet_csum_add(inet_csum_add(0, b, 20), b + 20, 44);
	assert_int_equal(inet_csum_fold(sum), inet_csum(b, sizeof(b)));
	sum = inet_csum_add32(0, 0x0a00020f);
	sum = inet_csum_add16(sum, 0x0011);
	assert_int_equal(inet_csum_fold(sum),
			 (uint16_t) ~(0x0a00 + 0x020f + 0x0011));
}

/* Carries fold repeatedly: 64 KiB of ff bytes sums to ffff, checksum 0. */
static void test_carries(void **state)
{
	size_t n = 65536;
	uint8_t *b = malloc(n);

	(void)state;
	assert_non_null(b);
	memset(b, 0xff, n);
	assert_int_equal(inet_csum(b, n), 0);
	memset(b, 0, n);
	b[0] = 0x80;
	b[2] = 0x80; /* 8000 + 8000 = 1 0000 -> 0001 */
	assert_int_equal(inet_csum(b, n), 0xfffe);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_carries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
