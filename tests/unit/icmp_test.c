/* icmp_test.c - echo replies (exact bytes), unreachable reports and their limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/inet_csum.h"
#include "net/icmp.h"
#include "net/udp.h"
#include "net_fake.h"

/* Echo request id 1 seq 7 "abcd" from 10.0.2.2 (checksum from Python). */
static const uint8_t echo_req[] = {
	0x08, 0x00, 0x33, 0x31, 0x00, 0x01, 0x00, 0x07, 0x61, 0x62, 0x63, 0x64,
};

static const uint8_t echo_reply[] = {
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01,
	0x62, 0xcd, 0x0a, 0x00, 0x02, 0x0f, 0x0a, 0x00, 0x02, 0x02, 0x00, 0x00,
	0x3b, 0x31, 0x00, 0x01, 0x00, 0x07, 0x61, 0x62, 0x63, 0x64,
};

static void test_echo_reply_exact(void **state)
{
	uint8_t f[80];
	size_t n = fake_ip_frame(f, GW_IP, OUR_IP, 1, echo_req,
				 sizeof(echo_req));

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.len[0], sizeof(echo_reply));
	assert_memory_equal(fake.frame[0], echo_reply, sizeof(echo_reply));
}

static void test_echo_bad(void **state)
{
	uint8_t f[80], m[12];
	size_t n;

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	memcpy(m, echo_req, sizeof(m));
	m[11] ^= 1; /* checksum error */
	n = fake_ip_frame(f, GW_IP, OUR_IP, 1, m, sizeof(m));
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nif.stats.rx_bad_csum, 1);
	for (size_t len = 0; len < 8; len++) { /* shorter than a header */
		n = fake_ip_frame(f, GW_IP, OUR_IP, 1, echo_req, len);
		net_input(&fake.nif, f, n, 0);
	}
	/* Broadcast pings are not answered; neither are replies. */
	n = fake_ip_frame(f, GW_IP, IPV4_ADDR(10, 0, 2, 255), 1, echo_req, 12);
	net_input(&fake.nif, f, n, 0);
	memcpy(m, echo_reply + 34, sizeof(m));
	n = fake_ip_frame(f, GW_IP, OUR_IP, 1, m, sizeof(m));
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nframes, 0);
}

/* UDP to a closed port: type 3 code 3 quoting header + 8 bytes. */
static void test_port_unreachable(void **state)
{
	uint8_t seg[12] = {
		0x15, 0xb3, 0x00, 0x35, 0x00, 0x0c, 0, 0, 1, 2, 3, 4
	};
	uint8_t f[80];
	size_t n = fake_ip_frame(f, GW_IP, OUR_IP, 17, seg, sizeof(seg));
	const uint8_t *ic;

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nif.stats.rx_no_port, 1);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.len[0], 14 + 20 + 8 + 20 + 8);
	ic = fake.frame[0] + 34;
	assert_int_equal(fake.frame[0][23], 1); /* protocol ICMP */
	assert_int_equal(be32_load(fake.frame[0] + 30), GW_IP);
	assert_int_equal(ic[0], 3);
	assert_int_equal(ic[1], 3);
	assert_int_equal(be32_load(ic + 4), 0);
	assert_memory_equal(ic + 8, f + 14, 28); /* header + 8 bytes */
	assert_int_equal(inet_csum(ic, 36), 0);
	assert_int_equal(inet_csum(fake.frame[0] + 14, 20), 0);
}

/* An unknown protocol is reported with code 2. */
static void test_proto_unreachable(void **state)
{
	uint8_t f[80], body[4] = { 0 };
	size_t n = fake_ip_frame(f, GW_IP, OUR_IP, 99, body, sizeof(body));

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	net_input(&fake.nif, f, n, 0);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.frame[0][34], 3);
	assert_int_equal(fake.frame[0][35], 2);
	assert_int_equal(fake.len[0], 14 + 20 + 8 + 20 + 4);
}

/* Ten at once, then one per 100 ms. */
static void test_rate_limit(void **state)
{
	uint8_t f[80], body[4] = { 0 };
	size_t n = fake_ip_frame(f, GW_IP, OUR_IP, 99, body, sizeof(body));

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	for (int i = 0; i < 50; i++)
		net_input(&fake.nif, f, n, 1000);
	assert_int_equal(fake.nframes, ICMP_RATE_BURST);
	net_input(&fake.nif, f, n, 1000 + ICMP_RATE_REFILL_NS / 2);
	assert_int_equal(fake.nframes, ICMP_RATE_BURST);
	net_input(&fake.nif, f, n, 1000 + ICMP_RATE_REFILL_NS);
	net_input(&fake.nif, f, n, 1000 + ICMP_RATE_REFILL_NS);
	assert_int_equal(fake.nframes, ICMP_RATE_BURST + 1);
	net_input(&fake.nif, f, n, 1000 + 100 * ICMP_RATE_REFILL_NS);
	assert_int_equal(fake.nframes, ICMP_RATE_BURST + 2);
}

/* Never about errors, broadcasts or later fragments (RFC 1122 3.2.2). */
static void test_no_error_about(void **state)
{
	uint8_t f[80], m[36] = { 3, 3 };
	size_t n;

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	be16_store(m + 2, inet_csum(m, sizeof(m)));
	n = fake_ip_frame(f, GW_IP, IPV4_BROADCAST, 99, m, 8);
	net_input(&fake.nif, f, n, 0); /* broadcast */
	n = fake_ip_frame(f, 0, OUR_IP, 99, m, 8);
	net_input(&fake.nif, f, n, 0); /* source 0.0.0.0 */
	assert_int_equal(fake.nframes, 0);
	struct ipv4_rx rx = { .src = GW_IP,
			      .dst = OUR_IP,
			      .proto = 1,
			      .payload = m,
			      .len = sizeof(m),
			      .hdr = f + 14,
			      .hdr_len = 20 };
	assert_int_not_equal(icmp_send_unreach(&fake.nif, &rx, 3, 0), 0);
	rx.proto = 17;
	rx.frag = 5;
	assert_int_not_equal(icmp_send_unreach(&fake.nif, &rx, 3, 0), 0);
	rx.frag = 0;
	assert_int_equal(icmp_send_unreach(&fake.nif, &rx, 3, 0), 0);
	assert_int_equal(fake.nframes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_reply_exact,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_echo_bad, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_port_unreachable,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_proto_unreachable,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_no_error_about, fake_setup,
						fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
