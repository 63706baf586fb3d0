/* udp_test.c - UDP validation, checksums, port demultiplexing and binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "lib/inet_csum.h"
#include "net/udp.h"
#include "net_fake.h"

static int hits[2];
static struct udp_rx last;

static void recv_a(void *ctx, struct netif *nif, const struct udp_rx *rx,
		   uint64_t now)
{
	(void)nif, (void)now;
	hits[*(int *)ctx]++;
	last = *rx;
}

static int ctx0 = 0, ctx1 = 1;

static int setup(void **state)
{
	memset(hits, 0, sizeof(hits));
	assert_int_equal(udp_bind(53, recv_a, &ctx0), 0);
	assert_int_equal(udp_bind(8080, recv_a, &ctx1), 0);
	return fake_setup(state);
}

static int teardown(void **state)
{
	udp_unbind(53);
	udp_unbind(8080);
	return fake_teardown(state);
}

/* Source 10.0.2.9:5555, n bytes of data, checksum when csum is set. */
static size_t make(uint8_t *seg, uint16_t dport, size_t n, bool csum)
{
	be16_store(seg, 5555);
	be16_store(seg + 2, dport);
	be16_store(seg + 4, (uint16_t)(n + 8));
	be16_store(seg + 6, 0);
	for (size_t i = 0; i < n; i++)
		seg[8 + i] = (uint8_t)('a' + i);
	if (csum)
		be16_store(seg + 6, udp_checksum(PEER_IP, OUR_IP, seg, n + 8));
	return n + 8;
}

static void deliver(const uint8_t *seg, size_t len)
{
	uint8_t f[1600];
	size_t n = fake_ip_frame(f, PEER_IP, OUR_IP, 17, seg, len);

	net_input(&fake.nif, f, n, 0);
}

static void test_demux(void **state)
{
	uint8_t seg[64];

	(void)state;
	deliver(seg, make(seg, 53, 5, true));
	deliver(seg, make(seg, 8080, 3, false));	/* checksum 0: none */
	deliver(seg, make(seg, 8080, 0, true));
	assert_int_equal(hits[0], 1);
	assert_int_equal(hits[1], 2);
	assert_int_equal(last.len, 0);
	assert_int_equal(last.sport, 5555);
	assert_int_equal(last.src, PEER_IP);
	assert_int_equal(last.dst, OUR_IP);
	deliver(seg, make(seg, 53, 5, true));
	assert_int_equal(last.len, 5);
	assert_memory_equal(last.data, "abcde", 5);
}

static void test_bad(void **state)
{
	uint8_t seg[64];
	size_t n;

	(void)state;
	n = make(seg, 53, 5, true);
	for (size_t len = 0; len < n; len++)
		deliver(seg, len);	/* IP payload shorter than UDP says */
	seg[8] ^= 0x20;
	deliver(seg, n);		/* checksum error */
	assert_int_equal(fake.nif.stats.rx_bad_csum, 1);
	make(seg, 53, 5, false);
	be16_store(seg + 4, 7);		/* length below the header */
	deliver(seg, n);
	assert_int_equal(hits[0], 0);
	assert_int_equal(fake.nframes, 0);
	/* A length field shorter than the payload: the rest is ignored. */
	make(seg, 53, 5, false);
	be16_store(seg + 4, 10);
	deliver(seg, n);
	assert_int_equal(hits[0], 1);
	assert_int_equal(last.len, 2);
}

/* No listener: counted and answered with port unreachable (see icmp_test). */
static void test_no_port(void **state)
{
	uint8_t seg[64];

	(void)state;
	deliver(seg, make(seg, 9999, 1, true));
	assert_int_equal(fake.nif.stats.rx_no_port, 1);
	assert_int_equal(fake.nframes, 1);	/* ARP for 10.0.2.9 first */
	assert_int_equal(be16_load(fake.frame[0] + 12), 0x0806);
}

static void test_bind_rules(void **state)
{
	(void)state;
	assert_int_equal(udp_bind(53, recv_a, &ctx0), -EADDRINUSE);
	assert_int_equal(udp_bind(0, recv_a, &ctx0), -EINVAL);
	assert_int_equal(udp_bind(1, NULL, NULL), -EINVAL);
	for (int i = 0; i < UDP_BIND_MAX - 2; i++)
		assert_int_equal(udp_bind((uint16_t)(100 + i), recv_a, &ctx0), 0);
	assert_int_equal(udp_bind(99, recv_a, &ctx0), -ENOSPC);
	for (int i = 0; i < UDP_BIND_MAX - 2; i++)
		udp_unbind((uint16_t)(100 + i));
	assert_int_equal(udp_bind(99, recv_a, &ctx0), 0);
	udp_unbind(99);
	udp_unbind(12345);		/* not bound: nothing happens */
}

/* A checksum that computes to 0 goes out as ffff (RFC 768). */
static void test_checksum_zero_sent_as_ffff(void **state)
{
	uint8_t d[2] = { 0, 0 }, probe[10] = { 0 };
	uint16_t c;

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	/* Choose data so that the computed sum is exactly 0 (folded ffff). */
	be16_store(probe, 1);
	be16_store(probe + 2, 2);
	be16_store(probe + 4, 10);
	c = udp_checksum(OUR_IP, GW_IP, probe, 10);
	be16_store(d, c);
	assert_int_equal(udp_output(&fake.nif, 1, GW_IP, 2, d, 2, 0), 0);
	assert_int_equal(be16_load(fake.frame[0] + 40), 0xffff);
	assert_int_equal(udp_output(&fake.nif, 1, GW_IP, 2, d, 70000, 0),
			 -EMSGSIZE);
}

/*
 * NETIF_TX_CSUM: the datagram leaves with the pseudo-header's sum in its
 * checksum field and the field's place; finished by the "device", it
 * verifies.
 */
static void test_tx_csum_offload(void **state)
{
	uint8_t d[5] = "hello";
	uint8_t *u = fake.frame[0] + 34;
	uint64_t pseudo;

	(void)state;
	fake.nif.offload = NETIF_TX_CSUM;
	fake_learn(GW_IP, peer_mac, 0);
	assert_int_equal(udp_output(&fake.nif, 1234, GW_IP, 53, d, 5, 0), 0);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.csum[0].start, 34);
	assert_int_equal(fake.csum[0].offset, 6);
	pseudo = inet_csum_add32(inet_csum_add32(0, OUR_IP), GW_IP);
	pseudo = inet_csum_add16(inet_csum_add16(pseudo, 17), 13);
	assert_int_equal(be16_load(u + 6), (uint16_t)~inet_csum_fold(pseudo));
	assert_true(fake_finish_csum(0));
	assert_int_equal(udp_checksum(OUR_IP, GW_IP, u, 13), 0);
	assert_memory_equal(u + 8, "hello", 5);
	/* Without the flag the same datagram is complete. */
	fake.nif.offload = 0;
	assert_int_equal(udp_output(&fake.nif, 1234, GW_IP, 53, d, 5, 0), 0);
	assert_int_equal(fake.csum[1].offset, 0);
	assert_false(fake_finish_csum(1));
	assert_int_equal(udp_checksum(OUR_IP, GW_IP, fake.frame[1] + 34, 13), 0);
	/* The finished checksum is the one the stack computes itself. */
	assert_memory_equal(fake.frame[1] + 34, fake.frame[0] + 34, 13);
}

/*
 * NET_RX_CSUM_OK: the device vouched for the checksum (or the host sent
 * a partial one), so a "wrong" one is taken; not so for a fragment.
 */
static void test_rx_csum_ok(void **state)
{
	uint8_t seg[64], f[1600];
	size_t n, len;

	(void)state;
	len = make(seg, 53, 5, true);
	be16_store(seg + 6, 0x1234);		/* a partial sum, say */
	n = fake_ip_frame(f, PEER_IP, OUR_IP, 17, seg, len);
	net_input_flags(&fake.nif, f, n, NET_RX_CSUM_OK, 0);
	assert_int_equal(hits[0], 1);
	assert_memory_equal(last.data, "abcde", 5);
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(hits[0], 1);
	assert_int_equal(fake.nif.stats.rx_bad_csum, 1);
	/* In two fragments: the flag covers neither, nor the whole. */
	n = fake_eth(f, fake_mac, peer_mac, 0x0800);
	n += fake_ipv4(f + n, PEER_IP, OUR_IP, 17, 8, 77, 0x2000);
	memcpy(f + n, seg, 8);
	net_input_flags(&fake.nif, f, n + 8, NET_RX_CSUM_OK, 0);
	n = fake_eth(f, fake_mac, peer_mac, 0x0800);
	n += fake_ipv4(f + n, PEER_IP, OUR_IP, 17, 5, 77, 1);
	memcpy(f + n, seg + 8, 5);
	net_input_flags(&fake.nif, f, n + 5, NET_RX_CSUM_OK, 0);
	assert_int_equal(hits[0], 1);		/* reassembled, then checked */
	assert_int_equal(fake.nif.stats.rx_bad_csum, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_demux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksum_zero_sent_as_ffff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_csum_offload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_ok, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
