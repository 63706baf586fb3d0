/* virtio_blk_req_test.c - virtio-blk request headers, and a hostile device's answers turned into errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "drivers/virtio_blk_req.h"

static void test_header_layout(void **state)
{
	uint8_t h[VIRTIO_BLK_HDR_LEN], r[VIRTIO_BLK_RANGE_LEN];
	static const uint8_t want_h[16] = { 1,	  0,	0,    0,    0,	  0,
					    0,	  0,	0x08, 0x07, 0x06, 0x05,
					    0x04, 0x03, 0x02, 0x01 };
	static const uint8_t want_r[16] = { 0x10, 0,	0, 0, 0, 0, 0, 0,
					    0x00, 0x01, 0, 0, 1, 0, 0, 0 };

	(void)state;
	virtio_blk_hdr_put(h, VIRTIO_BLK_T_OUT, 0x0102030405060708ULL);
	assert_memory_equal(h, want_h, 16);
	virtio_blk_range_put(r, 16, 256, VIRTIO_BLK_WZ_UNMAP);
	assert_memory_equal(r, want_r, 16);
}

static void test_ok(void **state)
{
	(void)state;
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_IN, 0, 4097, 4096), 0);
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_OUT, 0, 1, 0), 0);
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_FLUSH, 0, 1, 0), 0);
}

/* Every status byte but OK and UNSUPP is EIO; the sentinel 0xff too. */
static void test_bad_status_is_eio(void **state)
{
	(void)state;
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_IN, 1, 4097, 4096),
			 -EIO);
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_DISCARD, 2, 1, 0),
			 -EOPNOTSUPP);
	for (int s = 3; s < 256; s++)
		assert_int_equal(
			virtio_blk_result(VIRTIO_BLK_T_OUT, (uint8_t)s, 1, 0),
			-EIO);
	assert_int_equal(
		virtio_blk_result(VIRTIO_BLK_T_OUT, VIRTIO_BLK_S_NONE, 1, 0),
		-EIO);
}

/* A read whose used length does not cover data + status: stale bytes. */
static void test_short_used_length_is_eio(void **state)
{
	(void)state;
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_IN, 0, 4096, 4096),
			 -EIO);
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_IN, 0, 0, 4096), -EIO);
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_OUT, 0, 0, 0), -EIO);
	assert_int_equal(virtio_blk_result(VIRTIO_BLK_T_IN, 0, 1, 0xffffffffu),
			 -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_bad_status_is_eio),
		cmocka_unit_test(test_short_used_length_is_eio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
