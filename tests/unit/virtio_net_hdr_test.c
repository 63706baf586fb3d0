/* virtio_net_hdr_test.c - transmit headers and received frames gathered from merged buffers, hostile devices included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/virtio_net_hdr.h"

#define HDR VIRTIO_NET_HDR_LEN
#define MORE VIRTIO_NET_GATHER_MORE
#define FRAME VIRTIO_NET_GATHER_FRAME
#define DROP VIRTIO_NET_GATHER_DROP

static struct virtio_net_gather g;
static struct virtio_net_rx rx;
static uint8_t wire[4096]; /* the frame the device "received" */

static void reset(bool mergeable)
{
	memset(&g, 0, sizeof(g));
	memset(&rx, 0, sizeof(rx));
	g.mergeable = mergeable;
	g.max_buffers = 128;
	for (size_t i = 0; i < sizeof(wire); i++)
		wire[i] = (uint8_t)(i * 7 + 3);
}

/* A first buffer: header (flags, num_buffers) then n bytes of wire at off. */
static size_t first(uint8_t *buf, uint8_t flags, uint16_t nbuf, size_t off,
		    size_t n)
{
	memset(buf, 0, HDR);
	buf[0] = flags;
	buf[10] = (uint8_t)nbuf;
	buf[11] = (uint8_t)(nbuf >> 8);
	memcpy(buf + HDR, wire + off, n);
	return HDR + n;
}

/*
 * Feed the frame wire[0..total) as the device would with buffers of
 * bufsize bytes (the header in the first); returns the last result and
 * checks that every earlier one was MORE.
 */
static int feed_split(size_t total, size_t bufsize, uint16_t nbuf_claimed)
{
	uint8_t buf[2048];
	size_t off, n = total < bufsize - HDR ? total : bufsize - HDR;
	int r;

	r = virtio_net_gather(&g, buf, first(buf, 2, nbuf_claimed, 0, n), &rx);
	for (off = n; off < total; off += n) {
		assert_int_equal(r, MORE);
		n = total - off < bufsize ? total - off : bufsize;
		memcpy(buf, wire + off, n);
		r = virtio_net_gather(&g, buf, n, &rx);
	}
	return r;
}

static void test_tx_header(void **state)
{
	uint8_t h[HDR];
	static const uint8_t partial[HDR] = { 1,  0, 0,	 0, 0, 0,
					      34, 0, 16, 0, 0, 0 };
	static const uint8_t zero[HDR];

	(void)state;
	memset(h, 0xee, sizeof(h));
	virtio_net_hdr_put(h, 0, 0);
	assert_memory_equal(h, zero, HDR);
	memset(h, 0xee, sizeof(h));
	virtio_net_hdr_put(h, 34, 16); /* TCP after Ethernet + IPv4 */
	assert_memory_equal(h, partial, HDR);
	virtio_net_hdr_put(h, 0x1234, 6);
	assert_int_equal(h[6], 0x34);
	assert_int_equal(h[7], 0x12);
	assert_int_equal(h[8], 6);
}

static void test_one_buffer_in_place(void **state)
{
	uint8_t buf[2048];
	size_t len;

	(void)state;
	reset(true);
	len = first(buf, 2, 1, 0, 1514);
	assert_int_equal(virtio_net_gather(&g, buf, len, &rx), FRAME);
	assert_ptr_equal(rx.data, buf + HDR); /* not copied */
	assert_int_equal(rx.len, 1514);
	assert_int_equal(rx.hdr_flags, 2);
	assert_memory_equal(rx.data, wire, 1514);
	/* Without MRG_RXBUF num_buffers is ignored, whatever it says. */
	reset(false);
	len = first(buf, 0, 7, 0, 60);
	assert_int_equal(virtio_net_gather(&g, buf, len, &rx), FRAME);
	assert_int_equal(rx.len, 60);
	assert_int_equal(g.left, 0);
}

/* Full-size and odd-size frames across 256-, 512- and 1024-byte buffers. */
static void test_split_frames(void **state)
{
	static const size_t sizes[] = { 14, 60, 243, 244, 245, 500, 1024, 1514 };
	static const size_t bufs[] = { 256, 512, 1024 };

	(void)state;
	for (size_t b = 0; b < 3; b++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t total = sizes[i], nbuf;

			reset(true);
			nbuf = (total + HDR + bufs[b] - 1) / bufs[b];
			assert_int_equal(
				feed_split(total, bufs[b], (uint16_t)nbuf),
				FRAME);
			assert_int_equal(rx.len, total);
			assert_int_equal(rx.hdr_flags, 2);
			assert_memory_equal(rx.data, wire, total);
			assert_int_equal(g.left, 0);
			assert_int_equal(g.dropped, 0);
		}
	}
}

/* A header-only first buffer, then the frame in two more. */
static void test_header_alone(void **state)
{
	uint8_t buf[2048];

	(void)state;
	reset(true);
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 1, 3, 0, 0), &rx), MORE);
	assert_int_equal(virtio_net_gather(&g, wire, 700, &rx), MORE);
	assert_int_equal(virtio_net_gather(&g, wire + 700, 814, &rx), FRAME);
	assert_int_equal(rx.len, 1514);
	assert_int_equal(rx.hdr_flags, 1);
	assert_memory_equal(rx.data, wire, 1514);
}

/* Frames back to back: the state returns to "between frames" each time. */
static void test_consecutive(void **state)
{
	uint8_t buf[2048];

	(void)state;
	reset(true);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(feed_split(1000, 512, 2), FRAME);
		assert_memory_equal(rx.data, wire, 1000);
		assert_int_equal(virtio_net_gather(&g, buf,
						   first(buf, 0, 1, 5, 100),
						   &rx),
				 FRAME);
		assert_memory_equal(rx.data, wire + 5, 100);
	}
	assert_int_equal(g.dropped, 0);
}

static void test_bad_num_buffers(void **state)
{
	uint8_t buf[2048];

	(void)state;
	reset(true);
	/* 0 and more than the queue could hold: that buffer alone goes. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 0, 0, 100), &rx),
		DROP);
	assert_int_equal(g.left, 0);
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 129, 0, 100), &rx),
		DROP);
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 0xffff, 0, 100), &rx),
		DROP);
	assert_int_equal(g.left, 0);
	assert_int_equal(g.dropped, 3);
	/* The next buffer starts a frame again. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 1, 0, 64), &rx),
		FRAME);
	assert_int_equal(rx.len, 64);
	/* 128 is still allowed: 127 more buffers are then taken as data. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 128, 0, 4), &rx),
		MORE);
	for (int i = 0; i < 126; i++)
		assert_int_equal(virtio_net_gather(&g, wire, 10, &rx), MORE);
	assert_int_equal(virtio_net_gather(&g, wire, 10, &rx), FRAME);
	assert_int_equal(rx.len, 4 + 127 * 10);
}

static void test_truncated(void **state)
{
	uint8_t buf[2048];

	(void)state;
	reset(true);
	/* Shorter than the header: nothing can be read from it. */
	for (size_t n = 0; n < HDR; n++) {
		memset(buf, 0, sizeof(buf));
		buf[10] = 1;
		assert_int_equal(virtio_net_gather(&g, buf, n, &rx), DROP);
	}
	/* A header and less than an Ethernet header, alone or gathered. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 1, 0, 13), &rx), DROP);
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 2, 0, 5), &rx), MORE);
	assert_int_equal(virtio_net_gather(&g, wire, 8, &rx), DROP);
	assert_int_equal(g.left, 0);
	assert_int_equal(g.dropped, HDR + 2);
}

static void test_oversized(void **state)
{
	uint8_t buf[2048];

	(void)state;
	reset(true);
	/* One buffer holding more than a frame. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 1, 0, 1515), &rx),
		DROP);
	/* 1515 bytes across three buffers: every buffer taken, nothing kept. */
	assert_int_equal(feed_split(1515, 512, 3), DROP);
	assert_int_equal(g.left, 0);
	/* The first buffer alone too long, then more of them. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 3, 0, 1600), &rx),
		MORE);
	assert_int_equal(virtio_net_gather(&g, wire, 2048, &rx), MORE);
	assert_int_equal(virtio_net_gather(&g, wire, 1, &rx), DROP);
	/* A continuation that would overflow frame[] by a huge length. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 2, 0, 1000), &rx),
		MORE);
	assert_int_equal(virtio_net_gather(&g, wire, 4096, &rx), DROP);
	assert_int_equal(g.dropped, 4);
	/* Exactly the largest frame over many buffers still passes. */
	assert_int_equal(feed_split(1514, 256, 6), FRAME);
	assert_memory_equal(rx.data, wire, 1514);
}

/* A device claiming fewer buffers than it used: the rest start frames. */
static void test_short_count(void **state)
{
	uint8_t buf[2048];

	(void)state;
	reset(true);
	/* 1514 bytes in 512-byte buffers need 3; the header says 2. */
	assert_int_equal(
		virtio_net_gather(&g, buf, first(buf, 0, 2, 0, 500), &rx),
		MORE);
	assert_int_equal(virtio_net_gather(&g, wire + 500, 512, &rx), FRAME);
	assert_int_equal(rx.len, 1012);
	assert_memory_equal(rx.data, wire, 1012);
	/* The third is read as a first buffer: its bytes 10-11 are a count. */
	wire[1012 + 10] = 1;
	wire[1012 + 11] = 0;
	assert_int_equal(virtio_net_gather(&g, wire + 1012, 502, &rx), FRAME);
	assert_int_equal(rx.len, 502 - HDR);
	assert_int_equal(g.left, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_header),
		cmocka_unit_test(test_one_buffer_in_place),
		cmocka_unit_test(test_split_frames),
		cmocka_unit_test(test_header_alone),
		cmocka_unit_test(test_consecutive),
		cmocka_unit_test(test_bad_num_buffers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_short_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
