/* tcp_seg_test.c - TCP segment parsing, options, checksums and bare RSTs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "tcp_peer.h"

static struct tcp_seg parse_opts(const uint8_t *o, size_t n, int want)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.wscale = -1;
	assert_int_equal(tcp_parse_options(o, n, &s), want);
	return s;
}

static void test_options(void **state)
{
	const uint8_t all[] = { 2,  4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8,
				10, 0, 0,    0,	   9, 0, 0, 0, 1, 1, 1 };
	const uint8_t big_ws[] = { 3, 3, 20, 0 };
	const uint8_t unknown[] = { 30, 4, 9, 9, 2, 4, 0x02, 0x00 };
	const uint8_t end[] = { 0, 2, 1 }; /* after END: ignored */
	struct tcp_seg s;

	(void)state;
	s = parse_opts(all, sizeof(all), 0);
	assert_int_equal(s.mss, 1460);
	assert_int_equal(s.wscale, 7);
	assert_true(s.sack_ok);
	assert_true(s.has_ts);
	assert_int_equal(s.ts_val, 9);
	assert_int_equal(s.ts_ecr, 1);
	s = parse_opts(big_ws, sizeof(big_ws), 0);
	assert_int_equal(s.wscale, 14); /* RFC 7323 2.3 */
	s = parse_opts(unknown, sizeof(unknown), 0);
	assert_int_equal(s.mss, 512);
	s = parse_opts(end, sizeof(end), 0);
	assert_int_equal(s.mss, 0);
}

static void test_malformed_options(void **state)
{
	const uint8_t bad[][4] = {
		{ 2, 3, 5, 0 },	 /* MSS of the wrong length */
		{ 3, 4, 1, 0 },	 /* window scale of the wrong length */
		{ 1, 1, 1, 30 }, /* no room for a length byte */
		{ 30, 1, 0, 0 }, /* length below 2 */
		{ 30, 9, 0, 0 }, /* runs past the header */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_opts(bad[i], 4, -EINVAL);
}

/* A SYN with malformed options reaches a listener and is dropped. */
static void test_malformed_dropped(void **state)
{
	int err;
	struct tseg t = {
		.sport = PEER_PORT,
		.dport = 80,
		.seq = 5000,
		.flags = TCP_SYN,
		.wnd = 1000,
		.optlen = 4,
		.opt = { 2, 3, 5, 0 },
	};

	(void)state;
	assert_non_null(tcp_listen(80, 4, &err));
	peer_send(&t, 0);
	assert_int_equal(fake.nframes, 0);
	assert_int_equal(fake.nif.stats.rx_drop, 1);
}

static void test_bad_checksum_and_length(void **state)
{
	uint8_t seg[20] = { 0 }, f[100];
	size_t n;

	(void)state;
	be16_store(seg, PEER_PORT);
	be16_store(seg + 2, 80);
	seg[12] = 5 << 4;
	seg[13] = TCP_SYN;
	be16_store(seg + 16, 0x1234); /* wrong */
	n = fake_ip_frame(f, PEER_IP, OUR_IP, IP_PROTO_TCP, seg, 20);
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nif.stats.rx_bad_csum, 1);
	seg[12] = 6 << 4; /* header past the segment */
	be16_store(seg + 16, 0);
	be16_store(seg + 16, tcp_checksum(PEER_IP, OUR_IP, seg, 20));
	n = fake_ip_frame(f, PEER_IP, OUR_IP, IP_PROTO_TCP, seg, 20);
	net_input(&fake.nif, f, n, 0);
	n = fake_ip_frame(f, PEER_IP, OUR_IP, IP_PROTO_TCP, seg, 19);
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nif.stats.rx_drop, 3);
	assert_int_equal(fake.nframes, 0);
}

/* RFC 9293 3.10.7.1: the two forms of reset, and none for a RST. */
static void test_rst_to_closed_port(void **state)
{
	(void)state;
	peer_seg(7, 5000, 0, TCP_SYN, 1000, NULL, 0, 0);
	assert_int_equal(fake.nframes, 1);
	peer_expect(0, TCP_RST | TCP_ACK, 0, 5001, 0, 0);
	peer_seg(7, 1, 777, TCP_ACK, 1000, "abc", 3, 0);
	peer_expect(1, TCP_RST, 777, 0, 0, 0);
	peer_seg(7, 9, 0, TCP_FIN, 1000, "ab", 2, 0);
	peer_expect(2, TCP_RST | TCP_ACK, 0, 12, 0, 0);
	peer_seg(7, 1, 777, TCP_RST, 1000, NULL, 0, 0);
	assert_int_equal(fake.nframes, 3);
}

/*
 * Our SYN: MSS from the MTU, NOP, window scale 2 (the default 128 KiB
 * receive ring over 16 bits), NOP, NOP, timestamps
 * (TSval the clock in ms, 0 at time 0; TSecr 0); port and checksum right.
 */
static void test_syn_options(void **state)
{
	const uint8_t want[] = { 2, 4,	0x05, 0xb4, 1, 3, 3, 2, 1, 1,
				 8, 10, 0,    0,    0, 0, 0, 0, 0, 0 };
	struct tcp_conn *c;
	struct tseg t;
	int err;

	(void)state;
	c = tcp_connect(PEER_IP, 80, 0, &err);
	assert_non_null(c);
	assert_int_equal(err, 0);
	peer_frame(0, &t);
	assert_int_equal(t.flags, TCP_SYN);
	assert_int_equal(t.seq, OUR_ISS);
	assert_int_equal(t.dport, 80);
	assert_true(t.sport >= 49152);
	assert_int_equal(t.wnd, 65535); /* a SYN's window is not scaled */
	assert_int_equal(t.optlen, sizeof(want));
	assert_memory_equal(t.opt, want, sizeof(want));
	assert_null(tcp_connect(PEER_IP, 0, 0, &err));
	assert_int_equal(err, -EINVAL);
	tcp_abort(c, 0);
}

/*
 * NETIF_TX_CSUM: a reset leaves its checksum to the interface (the
 * pseudo-header's sum in the field, at 34 + 16); finished, it verifies
 * (peer_expect checks). A segment the device vouched for is taken with
 * a checksum that does not verify.
 */
static void test_csum_offload(void **state)
{
	uint8_t seg[20] = { 0 }, f[100];
	size_t n;

	(void)state;
	fake.nif.offload = NETIF_TX_CSUM;
	peer_seg(7, 5000, 0, TCP_SYN, 1000, NULL, 0, 0);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.csum[0].start, 34);
	assert_int_equal(fake.csum[0].offset, 16);
	assert_int_not_equal(tcp_checksum(OUR_IP, PEER_IP, fake.frame[0] + 34,
					  fake.len[0] - 34),
			     0);
	assert_true(fake_finish_csum(0));
	peer_expect(0, TCP_RST | TCP_ACK, 0, 5001, 0, 0);
	be16_store(seg, PEER_PORT);
	be16_store(seg + 2, 7);
	be32_store(seg + 4, 9000);
	seg[12] = 5 << 4;
	seg[13] = TCP_SYN;
	be16_store(seg + 16, 0x1234); /* not the checksum */
	n = fake_ip_frame(f, PEER_IP, OUR_IP, IP_PROTO_TCP, seg, 20);
	net_input_flags(&fake.nif, f, n, NET_RX_CSUM_OK, 0);
	assert_int_equal(fake.nif.stats.rx_bad_csum, 0);
	assert_true(fake_finish_csum(1));
	peer_expect(1, TCP_RST | TCP_ACK, 0, 9001, 0, 0);
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nif.stats.rx_bad_csum, 1);
	assert_int_equal(fake.nframes, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_malformed_options),
#define T(f) \
	cmocka_unit_test_setup_teardown(f, tcp_peer_setup, tcp_peer_teardown)
		T(test_malformed_dropped),
		T(test_bad_checksum_and_length),
		T(test_rst_to_closed_port),
		T(test_syn_options),
		T(test_csum_offload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
