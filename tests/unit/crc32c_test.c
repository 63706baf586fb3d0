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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_iscsi_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
