/* ipv4.c - IPv4 input validation, routing and output (RFC 791, RFC 1122). */
#include "net/ipv4.h"

#include <asm-generic/errno.h>

#include "lib/inet_csum.h"
#include "net/arp.h"
#include "net/eth.h"
#include "net/icmp.h"
#include "net/netif.h"
#include "net/udp.h"

void (*ipv4_tcp_input)(struct netif *nif, const struct ipv4_rx *rx,
		       uint64_t now);

static bool ipv4_is_group(uint32_t a)
{
	return (a >> 28) >= 0xe; /* 224/4 multicast, 240/4 reserved */
}

/*
 * RFC 791 3.1 header:
 *
 *   0 version:4 ihl:4   1 tos   2 total length   4 identification
 *   6 flags:3 fragment offset:13   8 ttl   9 protocol   10 checksum
 *  12 source   16 destination   20 options (ihl * 4 - 20 bytes)
 */
int ipv4_parse(const void *buf, size_t len, struct ipv4_rx *rx)
{
	const uint8_t *b = buf;
	size_t ihl, total;

	if (len < IPV4_HLEN || (b[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(b[0] & 0xf) * 4;
	total = be16_load(b + 2);
	if (ihl < IPV4_HLEN || ihl > len || total < ihl || total > len)
		return -EINVAL;
	if (inet_csum(b, ihl) != 0)
		return -EBADMSG;
	rx->frag = be16_load(b + 6);
	rx->ttl = b[8];
	rx->src = be32_load(b + 12);
	rx->dst = be32_load(b + 16);
	/* The reserved flag must be zero; TTL 0 never belongs on a wire. */
	if ((rx->frag & 0x8000) || rx->ttl == 0 || ipv4_is_group(rx->src))
		return -EINVAL;
	rx->proto = b[9];
	rx->id = be16_load(b + 4);
	rx->hdr = b;
	rx->hdr_len = ihl;
	rx->payload = b + ihl;
	rx->len = total - ihl;
	rx->broadcast = false;
	rx->csum_ok = false;
	return 0;
}

/* Ours, a broadcast, or anything while unconfigured (DHCP offers). */
static bool ipv4_accept(const struct netif *nif, struct ipv4_rx *rx)
{
	const struct ipv4_config *c = &nif->ip;

	if (nif->loopback)
		return true; /* it came from us */
	if (rx->dst == IPV4_BROADCAST ||
	    (c->addr && c->netmask != IPV4_BROADCAST && c->netmask &&
	     rx->dst == (c->addr | ~c->netmask)))
		rx->broadcast = true;
	if (rx->broadcast)
		return true;
	if (ipv4_is_group(rx->dst))
		return false; /* we join no multicast groups */
	return c->addr == 0 || rx->dst == c->addr;
}

void ipv4_input(struct netif *nif, const void *buf, size_t len,
		unsigned rx_flags, uint64_t now)
{
	struct ipv4_rx rx;
	int err = ipv4_parse(buf, len, &rx);

	if (err || !ipv4_accept(nif, &rx)) {
		nif->stats.rx_drop++;
		if (err == -EBADMSG)
			nif->stats.rx_bad_csum++;
		return;
	}
	if (rx.frag & (IPV4_MF | IPV4_OFFSET_MASK)) {
		ipv4_reasm_input(nif, &rx, now);
		return;
	}
	rx.csum_ok = (rx_flags & NET_RX_CSUM_OK) != 0;
	ipv4_deliver(nif, &rx, now);
}

void ipv4_deliver(struct netif *nif, const struct ipv4_rx *rx, uint64_t now)
{
	/* Until configured, only UDP (DHCP) is meaningful. */
	if (nif->ip.addr == 0 && rx->proto != IP_PROTO_UDP) {
		nif->stats.rx_drop++;
		return;
	}
	switch (rx->proto) {
	case IP_PROTO_ICMP:
		icmp_input(nif, rx, now);
		return;
	case IP_PROTO_UDP:
		udp_input(nif, rx, now);
		return;
	case IP_PROTO_TCP:
		if (ipv4_tcp_input) {
			ipv4_tcp_input(nif, rx, now);
			return;
		}
		break;
	}
	nif->stats.rx_drop++;
	icmp_send_unreach(nif, rx, ICMP_UNREACH_PROTO, now);
}

int ipv4_route(const struct netif *nif, uint32_t dst, uint32_t *next_hop)
{
	const struct ipv4_config *c = &nif->ip;

	if (nif->loopback) {
		*next_hop = dst;
		return 0;
	}
	if (dst == IPV4_BROADCAST) {
		*next_hop = IPV4_BROADCAST;
		return 0;
	}
	/* No multicast, and no loopback yet: our own address is not routed. */
	if (ipv4_is_group(dst) || c->addr == 0 || dst == c->addr || dst == 0)
		return -ENETUNREACH;
	if (c->netmask != IPV4_BROADCAST && dst == (c->addr | ~c->netmask))
		*next_hop = IPV4_BROADCAST;
	else if (((dst ^ c->addr) & c->netmask) == 0)
		*next_hop = dst;
	else if (c->gateway)
		*next_hop = c->gateway;
	else
		return -ENETUNREACH;
	return 0;
}

uint64_t ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint64_t sum = inet_csum_add32(0, src);

	sum = inet_csum_add32(sum, dst);
	sum = inet_csum_add16(sum, proto);
	return inet_csum_add16(sum, (uint16_t)len);
}

uint32_t ipv4_peer_hash(uint32_t addr, uint16_t port)
{
	uint32_t h = addr * 2654435761u ^ port * 2246822519u;

	h ^= h >> 16;
	return h * 2246822519u;
}

void ipv4_l4_csum(const struct netif *nif, struct pkt *p, uint32_t src,
		  uint32_t dst, uint8_t proto, size_t field)
{
	uint64_t sum = ipv4_pseudo_sum(src, dst, proto, p->len);
	uint16_t c;

	if (nif->offload & NETIF_TX_CSUM) {
		/* The sum itself, not its complement (virtio 1.2, 5.1.6.2). */
		be16_store(p->data + field, (uint16_t)~inet_csum_fold(sum));
		p->csum_from = p->data;
		p->csum_off = (uint16_t)field;
		return;
	}
	be16_store(p->data + field, 0);
	c = inet_csum_fold(inet_csum_add(sum, p->data, p->len));
	be16_store(p->data + field,
		   c == 0 && proto == IP_PROTO_UDP ? 0xffff : c);
}

int ipv4_output(struct netif *nif, struct pkt *p, uint32_t src, uint32_t dst,
		uint8_t proto, uint64_t now)
{
	uint32_t hop;
	uint8_t *h;
	int err = -EMSGSIZE;

	if (p->len + IPV4_HLEN > nif->mtu)
		goto err_drop;
	err = ipv4_route(nif, dst, &hop);
	if (err)
		goto err_drop;
	err = -ENOBUFS;
	h = pkt_push(p, IPV4_HLEN);
	if (!h)
		goto err_drop;
	h[0] = 0x45;
	h[1] = 0;
	be16_store(h + 2, (uint16_t)p->len);
	be16_store(h + 4, nif->ip_id++);
	be16_store(h + 6, 0);
	h[8] = IPV4_TTL;
	h[9] = proto;
	be16_store(h + 10, 0);
	be32_store(h + 12, src);
	be32_store(h + 16, dst);
	be16_store(h + 10, inet_csum(h, IPV4_HLEN));
	if (nif->loopback)
		return eth_output(nif, p, nif->mac, ETH_TYPE_IPV4);
	if (hop == IPV4_BROADCAST)
		return eth_output(nif, p, eth_broadcast, ETH_TYPE_IPV4);
	return arp_output(nif, p, hop, now);

err_drop:
	nif->stats.tx_drop++;
	pkt_free(p);
	return err;
}
