/* arp_test.c - ARP replies, validation, cache expiry and LRU, pending queues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "net/arp.h"
#include "net/eth.h"
#include "net/udp.h"
#include "net_fake.h"

#define SEC 1000000000ull

/* Who has 10.0.2.15? Tell 10.0.2.2 (peer_mac), broadcast. */
static const uint8_t request[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x55, 0x0a, 0x00, 0x02,
	0x02, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00, 0x02, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x0f,
};

/* 10.0.2.15 is at 52:54:00:12:34:56, to peer_mac. */
static const uint8_t reply[42] = {
	0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34,
	0x56, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x02, 0x0f, 0x52,
	0x55, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00, 0x02, 0x02,
};

/* Who has 10.0.2.9? Tell 10.0.2.15: what we broadcast to resolve PEER_IP. */
static const uint8_t our_request[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34,
	0x56, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x02, 0x0f, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x09,
};

static void test_reply_exact(void **state)
{
	uint8_t padded[60] = { 0 };

	(void)state;
	memcpy(padded, request, sizeof(request)); /* with Ethernet padding */
	net_input(&fake.nif, padded, sizeof(padded), 5);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.len[0], sizeof(reply));
	assert_memory_equal(fake.frame[0], reply, sizeof(reply));
	/* The asker was learned (RFC 826: the target is us). */
	const struct arp_entry *e = arp_lookup(&fake.nif, GW_IP, 5);
	assert_non_null(e);
	assert_memory_equal(e->mac, peer_mac, 6);
}

static void test_truncated(void **state)
{
	(void)state;
	for (size_t n = 0; n < sizeof(request); n++)
		net_input(&fake.nif, request, n, 0);
	assert_int_equal(fake.nframes, 0);
	assert_int_equal(fake.nif.stats.rx_drop, sizeof(request));
	assert_null(arp_lookup(&fake.nif, GW_IP, 0));
}

/* Each field that must hold one value, and both ops' neighbours. */
static void test_malformed(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
	} bad[] = {
		{ 15, 2 }, { 14, 1 },	 { 16, 0x86 }, { 17, 0xdd },
		{ 18, 5 }, { 19, 16 },	 { 21, 0 },    { 21, 3 },
		{ 20, 1 }, { 22, 0x01 }, /* group sender address */
	};
	uint8_t f[42];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(f, request, sizeof(f));
		f[bad[i].off] = bad[i].val;
		net_input(&fake.nif, f, sizeof(f), 0);
	}
	assert_int_equal(fake.nframes, 0);
	assert_null(arp_lookup(&fake.nif, GW_IP, 0));
}

/* Not for us: no reply, nothing learned; our own address as sender: ignored. */
static void test_not_ours(void **state)
{
	uint8_t f[42];

	(void)state;
	memcpy(f, request, sizeof(f));
	f[41] = 0x10; /* who has 10.0.2.16 */
	net_input(&fake.nif, f, sizeof(f), 0);
	memcpy(f, request, sizeof(f));
	f[31] = 0x0f; /* claims to be 10.0.2.15 */
	net_input(&fake.nif, f, sizeof(f), 0);
	assert_int_equal(fake.nframes, 0);
	assert_null(arp_lookup(&fake.nif, GW_IP, 0));
	fake.nif.ip.addr = 0; /* unconfigured: silent */
	net_input(&fake.nif, request, sizeof(request), 0);
	assert_int_equal(fake.nframes, 0);
}

/* Datagrams wait (8 at most) for the reply, then leave in order. */
static void test_pending_queue(void **state)
{
	uint8_t b;

	(void)state;
	for (int i = 0; i < ARP_QUEUE_MAX; i++) {
		b = (uint8_t)i;
		assert_int_equal(
			udp_output(&fake.nif, 1000, PEER_IP, 2000, &b, 1, 0),
			0);
	}
	b = 99;
	assert_int_equal(udp_output(&fake.nif, 1000, PEER_IP, 2000, &b, 1, 0),
			 -ENOBUFS);
	assert_int_equal(fake.nframes, 1); /* one request only */
	assert_memory_equal(fake.frame[0], our_request, sizeof(our_request));
	fake_clear();
	fake_learn(PEER_IP, peer_mac, 100);
	assert_int_equal(fake.nframes, ARP_QUEUE_MAX);
	for (int i = 0; i < ARP_QUEUE_MAX; i++) {
		assert_memory_equal(fake.frame[i], peer_mac, 6);
		assert_int_equal(fake.len[i], 14 + 20 + 8 + 1);
		assert_int_equal(fake.frame[i][42], i);
	}
	/* Resolved now: the next one goes straight out. */
	fake_clear();
	assert_int_equal(udp_output(&fake.nif, 1000, PEER_IP, 2000, &b, 1, 200),
			 0);
	assert_int_equal(fake.nframes, 1);
}

/* Requests every second, three in all, then the queue is dropped. */
static void test_retransmit_and_give_up(void **state)
{
	uint8_t b = 1;

	(void)state;
	udp_output(&fake.nif, 1000, PEER_IP, 2000, &b, 1, 0);
	udp_output(&fake.nif, 1000, PEER_IP, 2000, &b, 1, 0);
	net_poll_timers(SEC - 1);
	assert_int_equal(fake.nframes, 1);
	net_poll_timers(SEC);
	assert_int_equal(fake.nframes, 2);
	assert_memory_equal(fake.frame[1], our_request, sizeof(our_request));
	net_poll_timers(2 * SEC);
	assert_int_equal(fake.nframes, 3);
	net_poll_timers(3 * SEC);
	assert_int_equal(fake.nframes, 3);
	assert_int_equal(fake.nif.stats.tx_drop, 2);
	for (int i = 0; i < ARP_CACHE_SIZE; i++)
		assert_int_equal(fake.nif.arp[i].state, ARP_FREE);
	/* A late reply to us creates a fresh entry but sends nothing. */
	fake_learn(PEER_IP, peer_mac, 4 * SEC);
	assert_int_equal(fake.nframes, 3);
}

static void test_expiry(void **state)
{
	uint8_t b = 1;

	(void)state;
	fake_learn(PEER_IP, peer_mac, 10);
	assert_non_null(
		arp_lookup(&fake.nif, PEER_IP, 10 + ARP_LIFETIME_NS - 1));
	assert_null(arp_lookup(&fake.nif, PEER_IP, 10 + ARP_LIFETIME_NS));
	/* Sending to a stale entry asks again instead of trusting it. */
	udp_output(&fake.nif, 1000, PEER_IP, 2000, &b, 1, 10 + ARP_LIFETIME_NS);
	assert_int_equal(fake.nframes, 1);
	assert_memory_equal(fake.frame[0], our_request, sizeof(our_request));
	fake_clear();
	fake_learn(PEER_IP, peer_mac, 20 + ARP_LIFETIME_NS);
	assert_int_equal(fake.nframes, 1); /* the queued datagram */
	net_poll_timers(20 + 2 * ARP_LIFETIME_NS);
	assert_int_equal(fake.nif.arp[0].state, ARP_FREE);
}

/* A full cache replaces its least recently used entry. */
static void test_lru(void **state)
{
	uint8_t mac[6];
	uint8_t b = 1;

	(void)state;
	memcpy(mac, peer_mac, 6);
	for (int i = 0; i < ARP_CACHE_SIZE; i++) {
		mac[5] = (uint8_t)i;
		fake_learn(IPV4_ADDR(10, 0, 2, 100 + i), mac, 1000 + i);
	}
	/* Use the oldest: the second oldest becomes the victim. */
	udp_output(&fake.nif, 1, IPV4_ADDR(10, 0, 2, 100), 2, &b, 1, 5000);
	fake_learn(IPV4_ADDR(10, 0, 2, 250), peer_mac, 6000);
	assert_non_null(arp_lookup(&fake.nif, IPV4_ADDR(10, 0, 2, 100), 6000));
	assert_null(arp_lookup(&fake.nif, IPV4_ADDR(10, 0, 2, 101), 6000));
	assert_non_null(arp_lookup(&fake.nif, IPV4_ADDR(10, 0, 2, 102), 6000));
	assert_non_null(arp_lookup(&fake.nif, IPV4_ADDR(10, 0, 2, 250), 6000));
}

/* A reply that is not for us still refreshes an entry we have. */
static void test_update_existing(void **state)
{
	static const uint8_t new_mac[6] = { 0x02, 0, 0, 0, 0, 7 };
	uint8_t f[42];

	(void)state;
	fake_learn(GW_IP, peer_mac, 0);
	memcpy(f, request, sizeof(f));
	memcpy(f + 6, new_mac, 6);
	memcpy(f + 22, new_mac, 6);
	f[41] = 0x63; /* asks for 10.0.2.99 */
	net_input(&fake.nif, f, sizeof(f), 1);
	assert_int_equal(fake.nframes, 0);
	assert_memory_equal(arp_lookup(&fake.nif, GW_IP, 1)->mac, new_mac, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_exact, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_truncated, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_not_ours, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_pending_queue, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_and_give_up,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_expiry, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_lru, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_update_existing,
						fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
