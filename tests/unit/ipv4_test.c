/* ipv4_test.c - IPv4 validation, routing, output bytes and fragment reassembly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "lib/inet_csum.h"
#include "net/eth.h"
#include "net/udp.h"
#include "net_fake.h"

#define SEC 1000000000ull

/* UDP 10.0.2.15:1000 -> 10.0.2.2:2000 "hi", id 0, TTL 64 (checked in Python). */
static const uint8_t udp_hi[] = {
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34,
	0x56, 0x08, 0x00, 0x45, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00,
	0x40, 0x11, 0x62, 0xbf, 0x0a, 0x00, 0x02, 0x0f, 0x0a, 0x00, 0x02,
	0x02, 0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0x73, 0xa8, 0x68, 0x69,
};

/* What a bound port received. */
static size_t got_len;
static int got_count;
static uint8_t got[70000];

static void capture(void *ctx, struct netif *nif, const struct udp_rx *rx,
		    uint64_t now)
{
	(void)ctx, (void)nif, (void)now;
	got_count++;
	got_len = rx->len;
	memcpy(got, rx->data, rx->len);
}

static struct udp_port port7000 = { .lport = 7000, .fn = capture };

static int setup(void **state)
{
	got_count = 0;
	got_len = 0;
	if (udp_bind(&port7000))
		return -1;
	return fake_setup(state);
}

static int teardown(void **state)
{
	udp_unbind(&port7000);
	return fake_teardown(state);
}

static void test_output_exact(void **state)
{
	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	assert_int_equal(udp_output(&fake.nif, 1000, GW_IP, 2000, "hi", 2, 0),
			 0);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.len[0], sizeof(udp_hi));
	assert_memory_equal(fake.frame[0], udp_hi, sizeof(udp_hi));
	/* The next datagram has the next identification. */
	udp_output(&fake.nif, 1000, GW_IP, 2000, "hi", 2, 0);
	assert_int_equal(be16_load(fake.frame[1] + 18), 1);
}

static void test_mtu(void **state)
{
	static uint8_t big[1473];

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	assert_int_equal(udp_output(&fake.nif, 1, GW_IP, 2, big, 1472, 0), 0);
	assert_int_equal(fake.len[0], 1514);
	assert_int_equal(udp_output(&fake.nif, 1, GW_IP, 2, big, 1473, 0),
			 -EMSGSIZE);
	assert_int_equal(fake.nframes, 1);
}

static void test_route(void **state)
{
	uint32_t hop = 0;

	(void)state;
	assert_int_equal(ipv4_route(&fake.nif, PEER_IP, &hop), 0);
	assert_int_equal(hop, PEER_IP);
	assert_int_equal(ipv4_route(&fake.nif, IPV4_ADDR(8, 8, 8, 8), &hop), 0);
	assert_int_equal(hop, GW_IP);
	assert_int_equal(ipv4_route(&fake.nif, IPV4_ADDR(10, 0, 2, 255), &hop),
			 0);
	assert_int_equal(hop, IPV4_BROADCAST);
	assert_int_equal(ipv4_route(&fake.nif, IPV4_BROADCAST, &hop), 0);
	assert_int_equal(hop, IPV4_BROADCAST);
	assert_int_equal(ipv4_route(&fake.nif, IPV4_ADDR(224, 0, 0, 1), &hop),
			 -ENETUNREACH);
	assert_int_equal(ipv4_route(&fake.nif, OUR_IP, &hop), -ENETUNREACH);
	fake.nif.ip.gateway = 0;
	assert_int_equal(ipv4_route(&fake.nif, IPV4_ADDR(8, 8, 8, 8), &hop),
			 -ENETUNREACH);
	fake.nif.ip.addr = 0;
	assert_int_equal(ipv4_route(&fake.nif, PEER_IP, &hop), -ENETUNREACH);
	assert_int_equal(ipv4_route(&fake.nif, IPV4_BROADCAST, &hop), 0);
}

/* A UDP datagram to port 7000 carrying n bytes of pattern, checksummed. */
static size_t make_udp(uint8_t *seg, size_t n)
{
	be16_store(seg, 5555);
	be16_store(seg + 2, 7000);
	be16_store(seg + 4, (uint16_t)(n + 8));
	be16_store(seg + 6, 0);
	for (size_t i = 0; i < n; i++)
		seg[8 + i] = (uint8_t)(i * 7 + 3);
	be16_store(seg + 6, udp_checksum(PEER_IP, OUR_IP, seg, n + 8));
	return n + 8;
}

static void test_parse_valid_and_padding(void **state)
{
	uint8_t seg[16], f[80] = { 0 };
	size_t n = fake_ip_frame(f, PEER_IP, OUR_IP, 17, seg, make_udp(seg, 8));
	struct ipv4_rx rx;

	(void)state;
	assert_int_equal(ipv4_parse(f + 14, n - 14, &rx), 0);
	assert_int_equal(rx.len, 16);
	assert_int_equal(rx.src, PEER_IP);
	assert_int_equal(rx.proto, 17);
	/* Ethernet pads short frames: the total length decides. */
	net_input(&fake.nif, f, 60 > n ? 60 : n, 0);
	net_input(&fake.nif, f, sizeof(f), 0);
	assert_int_equal(got_count, 2);
	assert_int_equal(got_len, 8);
}

static void test_truncated(void **state)
{
	uint8_t seg[16], f[80];
	size_t n = fake_ip_frame(f, PEER_IP, OUR_IP, 17, seg, make_udp(seg, 8));

	(void)state;
	for (size_t len = 0; len < n; len++)
		net_input(&fake.nif, f, len, 0);
	assert_int_equal(got_count, 0);
	assert_int_equal(fake.nif.stats.rx_drop, n);
	assert_int_equal(fake.nframes, 0);
}

static void test_malformed(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
		bool fix;
	} bad[] = {
		{ 0, 0x65, true },   { 0, 0x44, true }, { 0, 0x4f, true },
		{ 2, 0xff, true },   /* total length beyond the frame */
		{ 3, 0x10, true },   /* total length below the header */
		{ 8, 0, true },	     /* TTL 0 */
		{ 6, 0x80, true },   /* reserved flag */
		{ 12, 224, true },   /* multicast source */
		{ 16, 11, true },    /* not our address */
		{ 10, 0x55, false }, /* header checksum */
	};
	uint8_t seg[16], f[80], m[80];
	size_t n = fake_ip_frame(f, PEER_IP, OUR_IP, 17, seg, make_udp(seg, 8));

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(m, f, n);
		m[14 + bad[i].off] = bad[i].val;
		if (bad[i].fix) {
			be16_store(m + 24, 0);
			be16_store(m + 24, inet_csum(m + 14, 20));
		}
		net_input(&fake.nif, m, n, 0);
	}
	assert_int_equal(got_count, 0);
	assert_int_equal(fake.nif.stats.rx_bad_csum, 1);
	assert_int_equal(fake.nframes, 0);
}

/* Options are skipped: IHL 6 with a 4-byte NOP option. */
static void test_options_skipped(void **state)
{
	uint8_t seg[16], f[80];
	size_t ul = make_udp(seg, 8);
	size_t n = fake_eth(f, fake_mac, peer_mac, ETH_TYPE_IPV4);

	(void)state;
	n += fake_ipv4(f + n, PEER_IP, OUR_IP, 17, ul + 4, 1, 0);
	f[14] = 0x46;
	memset(f + 34, 1, 4);
	be16_store(f + 24, 0);
	be16_store(f + 24, inet_csum(f + 14, 24));
	memcpy(f + 38, seg, ul);
	net_input(&fake.nif, f, 38 + ul, 0);
	assert_int_equal(got_count, 1);
	assert_int_equal(got_len, 8);
}

/* Sends bytes [off, off+len) of seg as one fragment of datagram id. */
static void send_frag(const uint8_t *seg, size_t off, size_t len, bool more,
		      uint16_t id, uint64_t now)
{
	static uint8_t f[1600];
	size_t n = fake_eth(f, fake_mac, peer_mac, ETH_TYPE_IPV4);
	uint16_t frag = (uint16_t)(off / 8) | (more ? IPV4_MF : 0);

	n += fake_ipv4(f + n, PEER_IP, OUR_IP, 17, len, id, frag);
	memcpy(f + n, seg + off, len);
	net_input(&fake.nif, f, n + len, now);
}

static uint8_t seg[4008];

static void test_reasm_in_and_out_of_order(void **state)
{
	size_t n = make_udp(seg, 4000); /* 4008 bytes */

	(void)state;
	send_frag(seg, 0, 1480, true, 1, 0);
	send_frag(seg, 1480, 1480, true, 1, 0);
	assert_int_equal(got_count, 0);
	send_frag(seg, 2960, n - 2960, false, 1, 0);
	assert_int_equal(got_count, 1);
	assert_int_equal(got_len, 4000);
	assert_memory_equal(got, seg + 8, 4000);
	/* Last first, then the middle, then the head. */
	send_frag(seg, 2960, n - 2960, false, 2, 0);
	send_frag(seg, 1480, 1480, true, 2, 0);
	send_frag(seg, 0, 1480, true, 2, 0);
	assert_int_equal(got_count, 2);
	assert_memory_equal(got, seg + 8, 4000);
	for (int i = 0; i < IPV4_REASM_MAX; i++)
		assert_null(fake.nif.reasm[i]);
}

static void test_reasm_overlap_rejected(void **state)
{
	size_t n = make_udp(seg, 4000);

	(void)state;
	send_frag(seg, 0, 1480, true, 3, 0);
	send_frag(seg, 1472, 1488, true, 3, 0); /* overlaps by 8 */
	send_frag(seg, 2960, n - 2960, false, 3, 0);
	send_frag(seg, 1480, 1480, true, 3, 0);
	assert_int_equal(got_count, 0);
	/* A second "last" fragment with a different end is refused too. */
	send_frag(seg, 0, 1480, true, 4, 0);
	send_frag(seg, 2960, n - 2960, false, 4, 0);
	send_frag(seg, 2960, 8, false, 4, 0);
	send_frag(seg, 1480, 1480, true, 4, 0);
	assert_int_equal(got_count, 0);
}

static void test_reasm_limits(void **state)
{
	uint8_t f[64];
	size_t n;

	(void)state;
	make_udp(seg, 4000);
	/* Eight datagrams in flight; the ninth is dropped. */
	for (int i = 0; i < IPV4_REASM_MAX + 1; i++)
		send_frag(seg, 0, 8, true, (uint16_t)(100 + i), 0);
	for (int i = 0; i < IPV4_REASM_MAX; i++)
		assert_non_null(fake.nif.reasm[i]);
	/* Misaligned middle fragments and anything past 64 KiB: dropped. */
	uint64_t drops = fake.nif.stats.rx_drop;
	send_frag(seg, 0, 12, true, 100, 0);
	n = fake_eth(f, fake_mac, peer_mac, ETH_TYPE_IPV4);
	n += fake_ipv4(f + n, PEER_IP, OUR_IP, 17, 16, 100, 8189);
	net_input(&fake.nif, f, n + 16, 0); /* 65512 + 16 + 20 > 65535 */
	assert_int_equal(fake.nif.stats.rx_drop, drops + 2);
	/* After 30 s everything is forgotten. */
	net_poll_timers(30 * SEC - 1);
	assert_non_null(fake.nif.reasm[0]);
	net_poll_timers(30 * SEC);
	for (int i = 0; i < IPV4_REASM_MAX; i++)
		assert_null(fake.nif.reasm[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_valid_and_padding,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_options_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reasm_in_and_out_of_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasm_overlap_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasm_limits, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
