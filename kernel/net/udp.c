/* udp.c - UDP (RFC 768): checksum, port table, input and output. */
#include "net/udp.h"

#include <asm-generic/errno.h>

#include "lib/inet_csum.h"
#include "lib/string.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/netif.h"

/* Bound endpoints: the sockets layer and the DHCP client plug in here. */
static struct udp_port *udp_ports;

/* RFC 768 pseudo-header: src, dst, zero, protocol, UDP length. */
uint16_t udp_checksum(uint32_t src, uint32_t dst, const void *seg, size_t len)
{
	uint64_t sum = ipv4_pseudo_sum(src, dst, IP_PROTO_UDP, len);

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

/* How closely up matches u: -1 not at all, else more is closer. */
static int match_score(const struct udp_port *up, const struct udp_rx *u)
{
	int score = 0;

	if (up->lport != u->dport)
		return -1;
	if (up->raddr) {
		if (up->raddr != u->src || up->rport != u->sport)
			return -1;
		score += 2;
	}
	if (up->laddr && !u->broadcast) {
		if (up->laddr != u->dst)
			return -1;
		score++;
	}
	return score;
}

/* The closest endpoint for a unicast u; a reuseport group shares by hash. */
static struct udp_port *udp_pick(const struct udp_rx *u)
{
	struct udp_port *best = NULL;
	int best_score = -1, n = 0, score;
	uint32_t pick;

	for (struct udp_port *up = udp_ports; up; up = up->next) {
		score = match_score(up, u);
		if (score > best_score) {
			best = up;
			best_score = score;
			n = 1;
		} else if (score >= 0 && score == best_score && up->reuseport &&
			   best->reuseport) {
			n++;
		}
	}
	if (n < 2)
		return best;
	pick = ipv4_peer_hash(u->src, u->sport) % (uint32_t)n;
	for (struct udp_port *up = best; up; up = up->next)
		if (up->reuseport && match_score(up, u) == best_score &&
		    pick-- == 0)
			return up;
	return best;
}

void udp_input(struct netif *nif, const struct ipv4_rx *ip, uint64_t now)
{
	struct udp_rx u;
	struct udp_port *up;
	int err = udp_parse(ip, &u);
	bool heard = false;

	if (err) {
		nif->stats.rx_drop++;
		if (err == -EBADMSG)
			nif->stats.rx_bad_csum++;
		return;
	}
	if (u.broadcast) {
		for (up = udp_ports; up; up = up->next)
			if (u.dport && match_score(up, &u) >= 0) {
				up->fn(up->ctx, nif, &u, now);
				heard = true;
			}
		if (!heard)
			nif->stats.rx_drop++;
		return;
	}
	up = u.dport ? udp_pick(&u) : NULL;
	if (!up) {
		nif->stats.rx_drop++;
		nif->stats.rx_no_port++;
		icmp_send_unreach(nif, ip, ICMP_UNREACH_PORT, now);
		return;
	}
	up->fn(up->ctx, nif, &u, now);
}

static bool bind_clash(const struct udp_port *a, const struct udp_port *b)
{
	if (a->lport != b->lport)
		return false;
	if (a->laddr && b->laddr && a->laddr != b->laddr)
		return false;
	return !(a->reuseaddr && b->reuseaddr) &&
	       !(a->reuseport && b->reuseport);
}

int udp_bind(struct udp_port *up)
{
	if (up->lport == 0 || !up->fn)
		return -EINVAL;
	for (struct udp_port *o = udp_ports; o; o = o->next)
		if (o == up || bind_clash(up, o))
			return -EADDRINUSE;
	up->next = udp_ports;
	udp_ports = up;
	return 0;
}

void udp_unbind(struct udp_port *up)
{
	for (struct udp_port **pp = &udp_ports; *pp; pp = &(*pp)->next)
		if (*pp == up) {
			*pp = up->next;
			up->next = NULL;
			return;
		}
}

bool udp_port_used(uint16_t port)
{
	for (struct udp_port *up = udp_ports; up; up = up->next)
		if (up->lport == port)
			return true;
	return false;
}

int udp_output(struct netif *nif, uint16_t sport, uint32_t dst, uint16_t dport,
	       const void *data, size_t len, uint64_t now)
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
