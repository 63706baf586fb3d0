/* net_fake.c - a fake network interface capturing what the stack transmits. */
#include "net_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/inet_csum.h"
#include "net/arp.h"
#include "net/eth.h"

struct fake_net fake;
const uint8_t fake_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
const uint8_t peer_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

static int fake_transmit(struct netif *nif, const void *frame, size_t len,
			 const struct net_csum *csum)
{
	(void)nif;
	if (fake.tx_err)
		return fake.tx_err;
	if (fake.nframes < FAKE_MAX_FRAMES && len <= FAKE_FRAME_MAX) {
		memcpy(fake.frame[fake.nframes], frame, len);
		fake.len[fake.nframes] = len;
		fake.csum[fake.nframes] = csum ? *csum :
						 (struct net_csum){ 0, 0 };
		fake.held[fake.nframes] = net_tx_held();
	}
	fake.nframes++;
	return 0;
}

static void fake_flush(struct netif *nif)
{
	(void)nif;
	fake.flushes++;
}

int fake_setup(void **state)
{
	(void)state;
	net_set_allocator(malloc, free);
	memset(&fake, 0, sizeof(fake));
	memcpy(fake.nif.mac, fake_mac, 6);
	fake.nif.transmit = fake_transmit;
	fake.nif.flush = fake_flush;
	if (net_attach(&fake.nif) != 0)
		return -1;
	fake.nif.ip.addr = OUR_IP;
	fake.nif.ip.netmask = IPV4_ADDR(255, 255, 255, 0);
	fake.nif.ip.gateway = GW_IP;
	fake.nif.ip.dns = IPV4_ADDR(10, 0, 2, 3);
	return 0;
}

int fake_teardown(void **state)
{
	(void)state;
	net_detach(&fake.nif);
	return 0;
}

void fake_clear(void)
{
	fake.nframes = 0;
	fake.flushes = 0;
}

size_t fake_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	be16_store(buf + 12, type);
	return ETH_HLEN;
}

size_t fake_ipv4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		 size_t payload_len, uint16_t id, uint16_t frag)
{
	memset(buf, 0, IPV4_HLEN);
	buf[0] = 0x45;
	be16_store(buf + 2, (uint16_t)(IPV4_HLEN + payload_len));
	be16_store(buf + 4, id);
	be16_store(buf + 6, frag);
	buf[8] = 64;
	buf[9] = proto;
	be32_store(buf + 12, src);
	be32_store(buf + 16, dst);
	be16_store(buf + 10, inet_csum(buf, IPV4_HLEN));
	return IPV4_HLEN;
}

size_t fake_ip_frame(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		     const void *payload, size_t len)
{
	size_t n = fake_eth(buf, fake_mac, peer_mac, ETH_TYPE_IPV4);

	n += fake_ipv4(buf + n, src, dst, proto, len, 0x1234, 0);
	memcpy(buf + n, payload, len);
	return n + len;
}

void fake_learn(uint32_t peer_ip, const uint8_t mac[6], uint64_t now)
{
	uint8_t f[ETH_HLEN + ARP_LEN];
	struct arp_msg m = { .op = ARP_OP_REPLY,
			     .spa = peer_ip,
			     .tpa = OUR_IP };

	memcpy(m.sha, mac, 6);
	memcpy(m.tha, fake_mac, 6);
	fake_eth(f, fake_mac, mac, ETH_TYPE_ARP);
	arp_build(f + ETH_HLEN, &m);
	net_input(&fake.nif, f, sizeof(f), now);
}

bool fake_finish_csum(int i)
{
	struct net_csum c = fake.csum[i];
	uint8_t *f = fake.frame[i];
	uint16_t sum;

	if (c.offset == 0)
		return false;
	sum = inet_csum(f + c.start, fake.len[i] - c.start);
	be16_store(f + c.start + c.offset, sum ? sum : 0xffff);
	return true;
}

void fake_dump(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("0x%02x,%s", b[i], i % 12 == 11 ? "\n" : " ");
	printf("\n");
}
