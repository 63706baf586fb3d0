/* net_fuzz_test.c - seeded random mutations of valid frames through net_input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/inet_csum.h"
#include "net/arp.h"
#include "net/dhcp.h"
#include "net/eth.h"
#include "net/tcp_int.h"
#include "net/udp.h"
#include "net_fake.h"

#define ITERATIONS 20000

static uint64_t rng = 0x9e3779b97f4a7c15ull; /* fixed seed: reproducible */

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static struct dhcp_client dhcp;
static int delivered;

/* Port 68 feeds the DHCP client, as the glue will; 7 just counts. */
static void to_dhcp(void *ctx, struct netif *nif, const struct udp_rx *rx,
		    uint64_t now)
{
	(void)ctx, (void)nif;
	delivered++;
	dhcp_input(&dhcp, rx->data, rx->len, now);
	dhcp.out_len = 0;
}

/* One valid frame of a random kind; returns its length. */
static size_t template(uint8_t *f)
{
	static uint8_t body[1500];
	struct arp_msg m = { .op = ARP_OP_REQUEST,
			     .spa = PEER_IP,
			     .tpa = OUR_IP };
	size_t n = 8 + rnd() % 300;
	uint16_t port = (rnd() & 1) ? 68 : 7;

	for (size_t i = 0; i < n; i++)
		body[i] = (uint8_t)rnd();
	switch (rnd() % 4) {
	case 0:
		memcpy(m.sha, peer_mac, 6);
		fake_eth(f, eth_broadcast, peer_mac, ETH_TYPE_ARP);
		arp_build(f + 14, &m);
		return 14 + ARP_LEN;
	case 1:
		body[0] = 8;
		body[1] = 0;
		be16_store(body + 2, 0);
		be16_store(body + 2, inet_csum(body, n));
		return fake_ip_frame(f, PEER_IP, OUR_IP, 1, body, n);
	case 2:
		be16_store(body, 67);
		be16_store(body + 2, port);
		be16_store(body + 4, (uint16_t)n);
		be16_store(body + 6, 0);
		be16_store(body + 6, udp_checksum(PEER_IP, OUR_IP, body, n));
		return fake_ip_frame(f, PEER_IP, OUR_IP, 17, body, n);
	default: {
		/* A fragment of a datagram to port 7 or a closed one. */
		size_t len = (rnd() % 8 + 1) * 8;
		size_t k = fake_eth(f, fake_mac, peer_mac, ETH_TYPE_IPV4);
		uint16_t frag = (uint16_t)(rnd() % 16) |
				((rnd() & 3) ? IPV4_MF : 0);

		be16_store(body + 2, port);
		k += fake_ipv4(f + k, PEER_IP, OUR_IP, 17, len,
			       (uint16_t)(rnd() % 12), frag);
		memcpy(f + k, body, len);
		return k + len;
	}
	}
}

/* Flips, overwrites, truncates or extends, sometimes fixing the IP sum. */
static size_t mutate(uint8_t *f, size_t n, size_t cap)
{
	int edits = 1 + (int)(rnd() % 4);

	for (int i = 0; i < edits; i++) {
		size_t at = rnd() % n;

		switch (rnd() % 5) {
		case 0:
			f[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			f[at] = (uint8_t)rnd();
			break;
		case 2:
			n = at;
			break;
		case 3:
			n = n + rnd() % 64 > cap ? cap : n + rnd() % 64;
			break;
		default:
			f[at] = (rnd() & 1) ? 0xff : 0;
			break;
		}
		if (n == 0)
			return 0;
	}
	if ((rnd() & 1) && n >= 34 && (f[14] & 0xf) == 5) {
		be16_store(f + 24, 0);
		be16_store(f + 24, inet_csum(f + 14, 20));
	}
	return n;
}

static void test_fuzz(void **state)
{
	static uint8_t f[1600];
	static struct udp_port p68 = { .lport = 68, .fn = to_dhcp },
			       p7 = { .lport = 7, .fn = to_dhcp };
	uint64_t now = 0;

	(void)state;
	assert_int_equal(udp_bind(&p68), 0);
	assert_int_equal(udp_bind(&p7), 0);
	dhcp_start(&dhcp, fake_mac, 0x1234, 0);
	for (int i = 0; i < ITERATIONS; i++) {
		size_t n = template(f);

		if (rnd() % 8)
			n = mutate(f, n, sizeof(f));
		net_input(&fake.nif, f, n, now);
		now += rnd() % 50000000; /* up to 50 ms */
		if (i % 64 == 0) {
			net_poll_timers(now);
			dhcp_poll(&dhcp, now);
			fake_clear();
		}
		if (i == ITERATIONS / 2)
			fake.nif.ip.addr = 0; /* the unconfigured paths too */
	}
	assert_int_equal(fake.nif.stats.rx_frames, ITERATIONS);
	assert_true(delivered > 100); /* valid ones did get through */
	assert_true(fake.nif.stats.rx_drop > ITERATIONS / 4);
	udp_unbind(&p68);
	udp_unbind(&p7);
}

#define FUZZ_ISS 1000u
#define FUZZ_PEER_ISS 5000u

static uint32_t fuzz_isn(uint32_t laddr, uint16_t lport, uint32_t raddr,
			 uint16_t rport, uint64_t now)
{
	(void)laddr, (void)lport, (void)raddr, (void)rport, (void)now;
	return FUZZ_ISS;
}

/* base half the time, near it or anywhere otherwise. */
static uint32_t near(uint32_t base)
{
	switch (rnd() % 6) {
	case 0:
		return base + rnd() % 70000;
	case 1:
		return base - rnd() % 70000;
	case 2:
		return rnd() << 16 ^ rnd();
	default:
		return base;
	}
}

/*
 * A TCP segment from one of 32 peer ports to the listener's port 80,
 * with plausible or wild sequence numbers, flags and options (valid kinds
 * with right or wrong lengths, and noise), and a correct checksum.
 */
static size_t tcp_template(uint8_t *f)
{
	static const uint8_t flag_sets[] = {
		TCP_SYN,	   TCP_ACK,	      TCP_ACK | TCP_PSH,
		TCP_ACK | TCP_FIN, TCP_RST,	      TCP_RST | TCP_ACK,
		TCP_SYN | TCP_ACK, TCP_ACK | TCP_URG,
	};
	static uint8_t seg[TCP_HLEN + 40 + 400];
	size_t optlen = rnd() % 2 ? (rnd() % 11) * 4 : 0;
	size_t dlen = rnd() % 5 ? rnd() % 400 : 0;
	size_t n = TCP_HLEN + optlen + dlen, i;

	for (i = 0; i < n; i++)
		seg[i] = (uint8_t)rnd();
	be16_store(seg, (uint16_t)(40000 + rnd() % 32));
	be16_store(seg + 2, rnd() % 16 ? 80 : (uint16_t)rnd());
	seg[13] = rnd() % 8 ? flag_sets[rnd() % sizeof(flag_sets)] :
			      (uint8_t)rnd();
	be32_store(seg + 4, near(FUZZ_PEER_ISS + !(seg[13] & TCP_SYN)));
	be32_store(seg + 8, near(FUZZ_ISS + 1));
	seg[12] = (uint8_t)((TCP_HLEN + optlen) / 4 << 4);
	for (i = 0; i + 1 < optlen && rnd() % 3; i += seg[TCP_HLEN + i + 1]) {
		static const uint8_t kinds[] = { 2, 3, 4, 8, 1, 0 };

		seg[TCP_HLEN + i] = kinds[rnd() % sizeof(kinds)];
		seg[TCP_HLEN + i + 1] = (uint8_t)(rnd() % 12);
		if (seg[TCP_HLEN + i + 1] < 2)
			break;
	}
	be16_store(seg + 16, 0);
	if (rnd() % 16)
		be16_store(seg + 16, tcp_checksum(PEER_IP, OUR_IP, seg, n));
	return fake_ip_frame(f, PEER_IP, OUR_IP, 6, seg, n);
}

/*
 * TCP under random segments, with the user side accepting, reading,
 * writing and closing at random in between: nothing may crash or read
 * out of bounds (the unit tests run under ASan), and memory is freed.
 */
static void test_fuzz_tcp(void **state)
{
	static uint8_t f[1600];
	static char buf[2048];
	struct tcp_conn *l, *users[16] = { 0 };
	uint64_t now = 0;
	int err, nusers = 0, accepted = 0, replies = 0;

	(void)state;
	fake_learn(PEER_IP, peer_mac, 0);
	tcp_init();
	tcp_set_isn(fuzz_isn);
	l = tcp_listen(80, 4, &err);
	assert_non_null(l);
	for (int i = 0; i < ITERATIONS; i++) {
		size_t n = tcp_template(f);

		if (rnd() % 8 == 0)
			n = mutate(f, n, sizeof(f));
		net_input(&fake.nif, f, n, now);
		now += rnd() % 20000000; /* up to 20 ms */
		tcp_timers(now);
		if (nusers < 16 && (users[nusers] = tcp_accept(l)) != NULL) {
			nusers++;
			accepted++;
		}
		if (nusers && rnd() % 4 == 0) {
			int k = (int)(rnd() % (uint32_t)nusers);

			switch (rnd() % 4) {
			case 0:
				tcp_recv(users[k], buf, rnd() % sizeof(buf),
					 now);
				break;
			case 1:
				tcp_send(users[k], buf, rnd() % sizeof(buf),
					 now);
				break;
			case 2:
				tcp_close_send(users[k], now);
				break;
			default:
				tcp_close(users[k], now);
				users[k] = users[--nusers];
			}
		}
		if (i % 64 == 0) {
			replies += fake.nframes;
			fake_clear();
		}
	}
	while (nusers)
		tcp_close(users[--nusers], now);
	tcp_close(l, now);
	tcp_shutdown();
	tcp_set_isn(NULL);
	assert_int_equal(fake.nif.stats.rx_frames, ITERATIONS + 1); /* + ARP */
	assert_true(accepted > 20); /* the fuzz reached established states */
	assert_true(replies > ITERATIONS / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fuzz, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_tcp, fake_setup,
						fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
