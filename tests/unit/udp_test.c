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

static int hits[4];
static struct udp_rx last;

static void recv_a(void *ctx, struct netif *nif, const struct udp_rx *rx,
		   uint64_t now)
{
	(void)nif, (void)now;
	hits[*(int *)ctx]++;
	last = *rx;
}

static int ctx0 = 0, ctx1 = 1, ctx2 = 2, ctx3 = 3;
static struct udp_port p53, p8080;

static int setup(void **state)
{
	memset(hits, 0, sizeof(hits));
	p53 = (struct udp_port){ .lport = 53, .fn = recv_a, .ctx = &ctx0 };
	p8080 = (struct udp_port){ .lport = 8080, .fn = recv_a, .ctx = &ctx1 };
	assert_int_equal(udp_bind(&p53), 0);
	assert_int_equal(udp_bind(&p8080), 0);
	return fake_setup(state);
}

static int teardown(void **state)
{
	udp_unbind(&p53);
	udp_unbind(&p8080);
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
	deliver(seg, make(seg, 8080, 3, false)); /* checksum 0: none */
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
		deliver(seg, len); /* IP payload shorter than UDP says */
	seg[8] ^= 0x20;
	deliver(seg, n); /* checksum error */
	assert_int_equal(fake.nif.stats.rx_bad_csum, 1);
	make(seg, 53, 5, false);
	be16_store(seg + 4, 7); /* length below the header */
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
	assert_int_equal(fake.nframes, 1); /* ARP for 10.0.2.9 first */
	assert_int_equal(be16_load(fake.frame[0] + 12), 0x0806);
}

static void test_bind_rules(void **state)
{
	struct udp_port a = { .lport = 53, .fn = recv_a, .ctx = &ctx0 };
	struct udp_port many[40];

	(void)state;
	assert_int_equal(udp_bind(&a), -EADDRINUSE);
	a.laddr = OUR_IP; /* overlaps p53's "any" */
	assert_int_equal(udp_bind(&a), -EADDRINUSE);
	assert_int_equal(udp_bind(&p53), -EADDRINUSE); /* already linked */
	a.lport = 0;
	assert_int_equal(udp_bind(&a), -EINVAL);
	a = (struct udp_port){ .lport = 1 };
	assert_int_equal(udp_bind(&a), -EINVAL);
	/* No fixed table: as many endpoints as the caller has. */
	for (int i = 0; i < 40; i++) {
		many[i] = (struct udp_port){ .lport = (uint16_t)(100 + i),
					     .fn = recv_a,
					     .ctx = &ctx0 };
		assert_int_equal(udp_bind(&many[i]), 0);
	}
	assert_true(udp_port_used(139));
	for (int i = 0; i < 40; i++)
		udp_unbind(&many[i]);
	assert_false(udp_port_used(139));
	udp_unbind(&many[0]); /* not bound: nothing happens */
}

/* Two sockets on one address:port, by SO_REUSEADDR or SO_REUSEPORT. */
static void test_bind_sharing(void **state)
{
	struct udp_port a = { .lport = 700, .fn = recv_a, .ctx = &ctx0 };
	struct udp_port b = { .lport = 700, .fn = recv_a, .ctx = &ctx1 };

	(void)state;
	a.reuseaddr = true;
	assert_int_equal(udp_bind(&a), 0);
	assert_int_equal(udp_bind(&b), -EADDRINUSE); /* only one asked */
	b.reuseport = true;
	assert_int_equal(udp_bind(&b), -EADDRINUSE); /* not the same one */
	b.reuseaddr = true;
	assert_int_equal(udp_bind(&b), 0);
	udp_unbind(&a);
	udp_unbind(&b);
	a.laddr = OUR_IP;
	b.laddr = 0x7f000001; /* different addresses never clash */
	a.reuseaddr = b.reuseaddr = b.reuseport = false;
	assert_int_equal(udp_bind(&a), 0);
	assert_int_equal(udp_bind(&b), 0);
	udp_unbind(&a);
	udp_unbind(&b);
}

static void deliver_to(uint32_t dst, uint16_t sport, uint16_t dport)
{
	uint8_t seg[16], f[128];
	size_t n;

	make(seg, dport, 1, false);
	be16_store(seg, sport);
	n = fake_ip_frame(f, PEER_IP, dst, 17, seg, 9);
	net_input(&fake.nif, f, n, 0);
}

/*
 * The closest endpoint wins: a connected one over a bound address over
 * "any". A SO_REUSEPORT group shares by sender, the same sender always
 * reaching the same socket; a broadcast reaches every endpoint.
 */
static void test_demux_rules(void **state)
{
	struct udp_port any[2], spec, conn;

	(void)state;
	any[0] = (struct udp_port){ .lport = 900,
				    .reuseaddr = true,
				    .reuseport = true,
				    .fn = recv_a,
				    .ctx = &ctx0 };
	any[1] = any[0];
	any[1].ctx = &ctx1;
	assert_int_equal(udp_bind(&any[0]), 0);
	assert_int_equal(udp_bind(&any[1]), 0);
	for (uint16_t p = 1000; p < 1032; p++)
		deliver_to(OUR_IP, p, 900);
	assert_true(hits[0] > 0 && hits[1] > 0);
	assert_int_equal(hits[0] + hits[1], 32);
	memset(hits, 0, sizeof(hits));
	for (int i = 0; i < 8; i++)
		deliver_to(OUR_IP, 4321, 900);
	assert_true(hits[0] == 8 || hits[1] == 8);

	spec = any[0];
	spec.laddr = OUR_IP;
	spec.ctx = &ctx2;
	assert_int_equal(udp_bind(&spec), 0);
	conn = spec;
	conn.raddr = PEER_IP;
	conn.rport = 5555;
	conn.ctx = &ctx3;
	assert_int_equal(udp_bind(&conn), 0);
	memset(hits, 0, sizeof(hits));
	deliver_to(OUR_IP, 4321, 900);
	deliver_to(OUR_IP, 1000, 900);
	for (int i = 0; i < 4; i++)
		deliver_to(OUR_IP, 5555, 900);
	assert_int_equal(hits[0] + hits[1], 0);
	assert_int_equal(hits[2], 2);
	assert_int_equal(hits[3], 4);

	memset(hits, 0, sizeof(hits));
	deliver_to(0xffffffff, 5555, 900);
	for (int i = 0; i < 4; i++)
		assert_int_equal(hits[i], 1);
	udp_unbind(&conn);
	udp_unbind(&spec);
	udp_unbind(&any[0]);
	udp_unbind(&any[1]);
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
	assert_int_equal(udp_checksum(OUR_IP, GW_IP, fake.frame[1] + 34, 13),
			 0);
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
	be16_store(seg + 6, 0x1234); /* a partial sum, say */
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
	assert_int_equal(hits[0], 1); /* reassembled, then checked */
	assert_int_equal(fake.nif.stats.rx_bad_csum, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_demux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bind_sharing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_demux_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_checksum_zero_sent_as_ffff,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_csum_offload, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_ok, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
