/* crc32c_test.c - CRC-32C against the standard check value and known ext4 uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/crc32c.h"

/* The catalogue's check value of CRC-32C for "123456789". */
static void test_check_value(void **state)
{
	(void)state;
	assert_int_equal(~crc32c(~0U, "123456789", 9), 0xE3069283U);
}

/* Feeding in pieces gives what one call gives (ext4 seeds in steps). */
static void test_pieces(void **state)
{
	uint32_t c = crc32c(~0U, "1234", 4);

	(void)state;
	assert_int_equal(crc32c(c, "56789", 5), crc32c(~0U, "123456789", 9));
	assert_int_equal(crc32c(0x1234, "", 0), 0x1234);
}

/* RFC 3720 B.4: 32 bytes of zeros. */
static void test_iscsi_vector(void **state)
{
	uint8_t z[32] = { 0 };

	(void)state;
	assert_int_equal(~crc32c(~0U, z, sizeof(z)), 0x8A9136AAU);
}

/* The same CRC bit by bit, straight from the polynomial: the oracle. */
static uint32_t crc_bits(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78U : 0);
	}
	return crc;
}

/*
 * Every length 0..80 from every start 0..7 of a pseudo-random buffer,
 * and a 4 KiB block (what ext4 sums), in pieces cut at odd places: the
 * eight-byte steps, the tail and their seams agree with the oracle.
 */
static void test_lengths_and_alignments(void **state)
{
	static uint8_t buf[4096 + 16];
	uint32_t x = 2463534242U, c;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	for (size_t start = 0; start < 8; start++)
		for (size_t len = 0; len <= 80; len++)
			assert_int_equal(
				crc32c(0x1234567U, buf + start, len),
				crc_bits(0x1234567U, buf + start, len));
	assert_int_equal(crc32c(~0U, buf + 3, 4096),
			 crc_bits(~0U, buf + 3, 4096));
	c = crc32c(crc32c(~0U, buf + 3, 13), buf + 16, 4083);
	assert_int_equal(c, crc_bits(~0U, buf + 3, 4096));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_iscsi_vector),
		cmocka_unit_test(test_lengths_and_alignments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
