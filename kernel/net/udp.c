/* udp.c - UDP (RFC 768): checksum, port table, input and output. */
#include "net/udp.h"

#include <asm-generic/errno.h>

#include "lib/inet_csum.h"
#include "lib/string.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/netif.h"

/* Bound ports: the sockets layer plugs in here. Port 0 marks a free slot. */
static struct udp_bind {
	uint16_t port;
	udp_recv_fn *fn;
	void *ctx;
} udp_binds[UDP_BIND_MAX];

/* RFC 768 pseudo-header: src, dst, zero, protocol, UDP length. */
uint16_t udp_checksum(uint32_t src, uint32_t dst, const void *seg, size_t len)
{
	uint64_t sum = inet_csum_add32(0, src);

	sum = inet_csum_add32(sum, dst);
	sum = inet_csum_add16(sum, IP_PROTO_UDP);
	sum = inet_csum_add16(sum, (uint16_t)len);
	return inet_csum_fold(inet_csum_add(sum, seg, len));
}

/*
 * RFC 768 header: 0 source port   2 destination port   4 length (header
 * included)   6 checksum (0: none was computed).
 */
int udp_parse(const struct ipv4_rx *ip, struct udp_rx *u)
{
	const uint8_t *b = ip->payload;
	size_t len;

	if (ip->len < UDP_HLEN)
		return -EINVAL;
	len = be16_load(b + 4);
	if (len < UDP_HLEN || len > ip->len)
		return -EINVAL;
	if (!ip->csum_ok && be16_load(b + 6) != 0 &&
	    udp_checksum(ip->src, ip->dst, b, len) != 0)
		return -EBADMSG;
	u->src = ip->src;
	u->dst = ip->dst;
	u->sport = be16_load(b);
	u->dport = be16_load(b + 2);
	u->broadcast = ip->broadcast;
	u->data = b + UDP_HLEN;
	u->len = len - UDP_HLEN;
	return 0;
}

static struct udp_bind *udp_find(uint16_t port)
{
	for (int i = 0; i < UDP_BIND_MAX; i++)
		if (udp_binds[i].port == port)
			return &udp_binds[i];
	return NULL;
}

void udp_input(struct netif *nif, const struct ipv4_rx *ip, uint64_t now)
{
	struct udp_rx u;
	struct udp_bind *b;
	int err = udp_parse(ip, &u);

	if (err) {
		nif->stats.rx_drop++;
		if (err == -EBADMSG)
			nif->stats.rx_bad_csum++;
		return;
	}
	b = u.dport ? udp_find(u.dport) : NULL;
	if (!b) {
		nif->stats.rx_drop++;
		nif->stats.rx_no_port++;
		icmp_send_unreach(nif, ip, ICMP_UNREACH_PORT, now);
		return;
	}
	b->fn(b->ctx, nif, &u, now);
}

int udp_bind(uint16_t port, udp_recv_fn *fn, void *ctx)
{
	struct udp_bind *b;

	if (port == 0 || !fn)
		return -EINVAL;
	if (udp_find(port))
		return -EADDRINUSE;
	b = udp_find(0);
	if (!b)
		return -ENOSPC;
	b->port = port;
	b->fn = fn;
	b->ctx = ctx;
	return 0;
}

void udp_unbind(uint16_t port)
{
	struct udp_bind *b = port ? udp_find(port) : NULL;

	if (b)
		memset(b, 0, sizeof(*b));
}

int udp_output(struct netif *nif, uint16_t sport, uint32_t dst,
	       uint16_t dport, const void *data, size_t len, uint64_t now)
{
	return udp_output_from(nif, nif->ip.addr, sport, dst, dport, data, len,
			       now);
}

int udp_output_from(struct netif *nif, uint32_t src, uint16_t sport,
		    uint32_t dst, uint16_t dport, const void *data, size_t len,
		    uint64_t now)
{
	struct pkt *p;

	if (len > 0xffff - IPV4_HLEN - UDP_HLEN)
		return -EMSGSIZE;
	p = pkt_alloc(PKT_HEADROOM, UDP_HLEN + len);
	if (!p) {
		nif->stats.tx_drop++;
		return -ENOBUFS;
	}
	be16_store(p->data, sport);
	be16_store(p->data + 2, dport);
	be16_store(p->data + 4, (uint16_t)p->len);
	be16_store(p->data + 6, 0);
	if (len)
		memcpy(p->data + UDP_HLEN, data, len);
	ipv4_l4_csum(nif, p, src, dst, IP_PROTO_UDP, 6);
	return ipv4_output(nif, p, src, dst, IP_PROTO_UDP, now);
}
