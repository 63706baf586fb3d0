/* eth_test.c - Ethernet II parsing, filtering and framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "net/eth.h"
#include "net_fake.h"

static void test_parse(void **state)
{
	uint8_t f[20];
	struct eth_frame e;

	(void)state;
	fake_eth(f, fake_mac, peer_mac, ETH_TYPE_IPV4);
	memset(f + 14, 0xab, 6);
	assert_int_equal(eth_parse(f, sizeof(f), &e), 0);
	assert_memory_equal(e.dst, fake_mac, 6);
	assert_memory_equal(e.src, peer_mac, 6);
	assert_int_equal(e.type, 0x0800);
	assert_ptr_equal(e.payload, f + 14);
	assert_int_equal(e.len, 6);
	assert_int_equal(eth_parse(f, 14, &e), 0);
	assert_int_equal(e.len, 0);
}

/* Every length below the header is refused. */
static void test_truncated(void **state)
{
	uint8_t f[14];
	struct eth_frame e;

	(void)state;
	fake_eth(f, fake_mac, peer_mac, ETH_TYPE_ARP);
	for (size_t n = 0; n < 14; n++)
		assert_int_equal(eth_parse(f, n, &e), -EINVAL);
}

/* 802.3 lengths and VLAN tags (802.1Q, 802.1ad) are dropped. */
static void test_types(void **state)
{
	static const uint16_t bad[] = { 0x0000, 0x05dc, 0x05ff, 0x8100,
					0x88a8 };
	uint8_t f[60] = { 0 };
	struct eth_frame e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_eth(f, fake_mac, peer_mac, bad[i]);
		assert_int_equal(eth_parse(f, sizeof(f), &e), -EINVAL);
	}
	fake_eth(f, fake_mac, peer_mac, 0x0600);
	assert_int_equal(eth_parse(f, sizeof(f), &e), 0);
}

/* Frames for other stations or multicast never reach a protocol. */
static void test_filter(void **state)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	uint8_t f[60] = { 0 };
	struct eth_frame e;

	(void)state;
	fake_eth(f, other, peer_mac, ETH_TYPE_IPV4);
	assert_int_equal(eth_parse(f, sizeof(f), &e), 0);
	assert_false(eth_for_us(&fake.nif, &e));
	memcpy(e.dst, mcast, 6);
	assert_false(eth_for_us(&fake.nif, &e));
	memcpy(e.dst, eth_broadcast, 6);
	assert_true(eth_for_us(&fake.nif, &e));
	memcpy(e.dst, fake_mac, 6);
	assert_true(eth_for_us(&fake.nif, &e));
	net_input(&fake.nif, f, sizeof(f), 0);
	assert_int_equal(fake.nif.stats.rx_frames, 1);
	assert_int_equal(fake.nif.stats.rx_drop, 1);
	fake_eth(f, fake_mac, peer_mac, 0x86dd); /* IPv6: not spoken */
	net_input(&fake.nif, f, sizeof(f), 0);
	assert_int_equal(fake.nif.stats.rx_drop, 2);
	assert_int_equal(fake.nframes, 0);
}

/* eth_output prepends exactly 14 bytes and counts the frame. */
static void test_output(void **state)
{
	static const uint8_t want[] = {
		0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54,
		0x00, 0x12, 0x34, 0x56, 0x08, 0x06, 0xde, 0xad,
	};
	struct pkt *p = pkt_alloc(PKT_HEADROOM, 2);

	(void)state;
	assert_non_null(p);
	p->data[0] = 0xde;
	p->data[1] = 0xad;
	assert_int_equal(eth_output(&fake.nif, p, peer_mac, ETH_TYPE_ARP), 0);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(fake.len[0], sizeof(want));
	assert_memory_equal(fake.frame[0], want, sizeof(want));
	assert_int_equal(fake.nif.stats.tx_frames, 1);

	/* No headroom, or a failing driver: dropped, counted, still freed. */
	p = pkt_alloc(0, 2);
	assert_int_equal(eth_output(&fake.nif, p, peer_mac, ETH_TYPE_ARP),
			 -ENOBUFS);
	fake.tx_err = -EIO;
	p = pkt_alloc(PKT_HEADROOM, 2);
	assert_int_equal(eth_output(&fake.nif, p, peer_mac, ETH_TYPE_ARP),
			 -EIO);
	assert_int_equal(fake.nif.stats.tx_drop, 2);
}

/* Without an allocator nothing is allocated, and nothing breaks. */
static void test_no_allocator(void **state)
{
	(void)state;
	net_set_allocator(NULL, NULL);
	assert_null(pkt_alloc(PKT_HEADROOM, 10));
	assert_null(net_alloc(10));
	net_free(NULL);
	pkt_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_truncated, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_types, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_filter, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_output, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_no_allocator, fake_setup,
						fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
