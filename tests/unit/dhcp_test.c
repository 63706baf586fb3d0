/* dhcp_test.c - the DHCP client against scripted server replies (QEMU slirp's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "net/dhcp.h"
#include "net/pkt.h"

#define SEC 1000000000ull
#define XID 0x3903f326u

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static struct dhcp_client c;

/* The fixed part every client message shares (RFC 2131 2). */
static void check_fixed(const uint8_t *m, uint32_t ciaddr)
{
	static const uint8_t head[12] = { 1,	1,    6, 0, 0x39, 0x03,
					  0xf3, 0x26, 0, 0, 0x80, 0x00 };
	static const uint8_t zero[236];

	assert_memory_equal(m, head, 8);
	assert_memory_equal(m + 10, head + 10, 2); /* broadcast flag */
	assert_int_equal(be32_load(m + 12), ciaddr);
	assert_memory_equal(m + 16, zero, 12);
	assert_memory_equal(m + 28, mac, 6);
	assert_memory_equal(m + 34, zero, 236 - 34);
	assert_int_equal(be32_load(m + 236), 0x63825363);
}

static void check_options(const uint8_t *want, size_t n)
{
	static const uint8_t zero[DHCP_MSG_LEN];

	assert_int_equal(c.out_len, DHCP_MSG_LEN);
	assert_memory_equal(c.out + 240, want, n);
	assert_memory_equal(c.out + 240 + n, zero, DHCP_MSG_LEN - 240 - n);
}

static const uint8_t discover_opts[] = { 53, 1, 1, 55, 3, 1, 3, 6, 255 };
static const uint8_t request_opts[] = { 53, 1, 3, 50, 4,  10, 0, 2, 15, 54, 4,
					10, 0, 2, 2,  55, 3,  1, 3, 6,	255 };

/* A server reply as slirp sends it: yiaddr 10.0.2.15, options in order. */
static size_t server_msg(uint8_t *m, uint8_t type, uint32_t xid)
{
	static const uint8_t opts[] = {
		53,  1,	  0, 54, 4, 10, 0, 2,	 2,    1,   4, 255,
		255, 255, 0, 3,	 4, 10, 0, 2,	 2,    6,   4, 10,
		0,   2,	  3, 51, 4, 0,	1, 0x51, 0x80, 255,
	};

	memset(m, 0, 548);
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	be32_store(m + 4, xid);
	be32_store(m + 16, 0x0a00020f);
	be32_store(m + 20, 0x0a000202);
	memcpy(m + 28, mac, 6);
	be32_store(m + 236, 0x63825363);
	memcpy(m + 240, opts, sizeof(opts));
	m[242] = type;
	return 240 + sizeof(opts);
}

static void test_full_exchange(void **state)
{
	uint8_t m[548];
	struct ipv4_config cfg;
	size_t n;

	(void)state;
	dhcp_start(&c, mac, XID, 0);
	assert_int_equal(c.state, DHCP_SELECTING);
	check_fixed(c.out, 0);
	check_options(discover_opts, sizeof(discover_opts));
	c.out_len = 0;
	n = server_msg(m, 2, XID);
	assert_int_equal(dhcp_input(&c, m, n, SEC), DHCP_EV_NONE);
	assert_int_equal(c.state, DHCP_REQUESTING);
	check_fixed(c.out, 0);
	assert_int_equal(be16_load(c.out + 8), 1); /* secs */
	check_options(request_opts, sizeof(request_opts));
	c.out_len = 0;
	n = server_msg(m, 5, XID);
	assert_int_equal(dhcp_input(&c, m, n, 2 * SEC), DHCP_EV_BOUND);
	assert_int_equal(c.state, DHCP_BOUND);
	assert_int_equal(c.out_len, 0);
	dhcp_lease_config(&c.lease, &cfg);
	assert_int_equal(cfg.addr, IPV4_ADDR(10, 0, 2, 15));
	assert_int_equal(cfg.netmask, IPV4_ADDR(255, 255, 255, 0));
	assert_int_equal(cfg.gateway, IPV4_ADDR(10, 0, 2, 2));
	assert_int_equal(cfg.dns, IPV4_ADDR(10, 0, 2, 3));
	assert_int_equal(c.lease.lease_s, 86400);
	assert_int_equal(c.lease.server, IPV4_ADDR(10, 0, 2, 2));

	/* T1 at half the lease: a REQUEST with ciaddr, no 50/54. */
	assert_int_equal(dhcp_poll(&c, 2 * SEC + 43200 * SEC - 1),
			 DHCP_EV_NONE);
	assert_int_equal(c.out_len, 0);
	dhcp_poll(&c, 2 * SEC + 43200 * SEC);
	assert_int_equal(c.state, DHCP_RENEWING);
	check_fixed(c.out, 0x0a00020f);
	static const uint8_t renew_opts[] = { 53, 1, 3, 55, 3, 1, 3, 6, 255 };
	check_options(renew_opts, sizeof(renew_opts));
	c.out_len = 0;
	assert_int_equal(dhcp_input(&c, m, n, 43300 * SEC), DHCP_EV_BOUND);
	assert_int_equal(c.t1_ns, 43300 * SEC + 43200 * SEC);
}

/* 4, 8, 16, 32, 64, 64 s between DISCOVERs. */
static void test_backoff(void **state)
{
	static const uint64_t at[] = { 4, 12, 28, 60, 124, 188 };

	(void)state;
	dhcp_start(&c, mac, XID, 0);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		c.out_len = 0;
		dhcp_poll(&c, at[i] * SEC - 1);
		assert_int_equal(c.out_len, 0);
		dhcp_poll(&c, at[i] * SEC);
		assert_int_equal(c.out_len, DHCP_MSG_LEN);
		assert_int_equal(c.out[242], 1);
		assert_int_equal(be16_load(c.out + 8), at[i]);
	}
}

/* Unanswered REQUESTs: back to DISCOVER with a new xid; NAK likewise. */
static void test_request_timeout_and_nak(void **state)
{
	uint8_t m[548];
	size_t n = server_msg(m, 2, XID);

	(void)state;
	dhcp_start(&c, mac, XID, 0);
	dhcp_input(&c, m, n, 0);
	dhcp_poll(&c, 4 * SEC);
	dhcp_poll(&c, 12 * SEC);
	dhcp_poll(&c, 28 * SEC);
	assert_int_equal(c.state, DHCP_REQUESTING);
	assert_int_equal(c.out[242], 3);
	dhcp_poll(&c, 60 * SEC);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(c.xid, XID + 1);
	assert_int_equal(c.out[242], 1);
	n = server_msg(m, 2, XID + 1);
	dhcp_input(&c, m, n, 61 * SEC);
	n = server_msg(m, 6, XID + 1);
	assert_int_equal(dhcp_input(&c, m, n, 62 * SEC), DHCP_EV_NONE);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(c.xid, XID + 2);
}

/* Not ours, not well formed, or not expected now: ignored. */
static void test_ignored(void **state)
{
	uint8_t m[548], bad[548];
	size_t n = server_msg(m, 2, XID);
	static const struct {
		size_t off;
		uint8_t val;
	} breaks[] = {
		{ 0, 1 },     { 1, 6 },	  { 2, 16 },  { 7, 0 },
		{ 33, 0x57 }, { 239, 0 }, { 242, 5 }, /* an ACK while selecting */
		{ 241, 200 }, /* option runs past the end */
	};

	(void)state;
	dhcp_start(&c, mac, XID, 0);
	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		memcpy(bad, m, n);
		bad[breaks[i].off] = breaks[i].val;
		assert_int_equal(dhcp_input(&c, bad, n, 0), DHCP_EV_NONE);
		assert_int_equal(c.state, DHCP_SELECTING);
	}
	for (size_t len = 0; len < n; len++) {
		dhcp_input(&c, m, len, 0); /* truncated anywhere */
		assert_int_equal(c.state, DHCP_SELECTING);
	}
	/* An OFFER without a server id is not usable. */
	memcpy(bad, m, n);
	bad[243] = 0;		 /* option 54 becomes a pad... */
	memset(bad + 243, 0, 6); /* ...and its value too */
	dhcp_input(&c, bad, n, 0);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(dhcp_input(&c, m, n, 0), DHCP_EV_NONE);
	assert_int_equal(c.state, DHCP_REQUESTING);
}

/* A lease that runs out while renewing is lost; a new DISCOVER starts. */
static void test_expiry(void **state)
{
	uint8_t m[548];
	size_t n;

	(void)state;
	dhcp_start(&c, mac, XID, 0);
	n = server_msg(m, 2, XID);
	dhcp_input(&c, m, n, 0);
	n = server_msg(m, 5, XID);
	dhcp_input(&c, m, n, 0);
	dhcp_poll(&c, 43200 * SEC);
	assert_int_equal(c.state, DHCP_RENEWING);
	assert_int_equal(dhcp_poll(&c, 86400 * SEC), DHCP_EV_LOST);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(c.out[242], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_exchange),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_request_timeout_and_nak),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
