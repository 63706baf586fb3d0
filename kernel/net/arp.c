/* arp.c - ARP for IPv4 over Ethernet (RFC 826) with a small LRU cache. */
#include "net/arp.h"

#include <asm-generic/errno.h>

#include "lib/string.h"
#include "net/eth.h"
#include "net/netif.h"

/*
 * RFC 826 packet, IPv4 over Ethernet:
 *
 *   0 htype (1)   2 ptype (0x0800)   4 hlen (6)   5 plen (4)   6 op
 *   8 sha[6]   14 spa[4]   18 tha[6]   24 tpa[4]
 */
int arp_parse(const void *buf, size_t len, struct arp_msg *m)
{
	const uint8_t *b = buf;

	if (len < ARP_LEN || be16_load(b) != 1 ||
	    be16_load(b + 2) != ETH_TYPE_IPV4 || b[4] != 6 || b[5] != 4)
		return -EINVAL;
	m->op = be16_load(b + 6);
	if (m->op != ARP_OP_REQUEST && m->op != ARP_OP_REPLY)
		return -EINVAL;
	memcpy(m->sha, b + 8, 6);
	m->spa = be32_load(b + 14);
	memcpy(m->tha, b + 18, 6);
	m->tpa = be32_load(b + 24);
	return 0;
}

void arp_build(uint8_t out[ARP_LEN], const struct arp_msg *m)
{
	be16_store(out, 1);
	be16_store(out + 2, ETH_TYPE_IPV4);
	out[4] = 6;
	out[5] = 4;
	be16_store(out + 6, m->op);
	memcpy(out + 8, m->sha, 6);
	be32_store(out + 14, m->spa);
	memcpy(out + 18, m->tha, 6);
	be32_store(out + 24, m->tpa);
}

static void arp_send(struct netif *nif, uint16_t op, const uint8_t *eth_dst,
		     const uint8_t *tha, uint32_t tpa)
{
	struct arp_msg m = { .op = op, .spa = nif->ip.addr, .tpa = tpa };
	struct pkt *p = pkt_alloc(PKT_HEADROOM, ARP_LEN);

	if (!p) {
		nif->stats.tx_drop++;
		return;
	}
	memcpy(m.sha, nif->mac, 6);
	memcpy(m.tha, tha, 6);
	arp_build(p->data, &m);
	eth_output(nif, p, eth_dst, ETH_TYPE_ARP);
}

static void arp_request(struct netif *nif, struct arp_entry *e, uint64_t now)
{
	static const uint8_t unknown[6];

	arp_send(nif, ARP_OP_REQUEST, eth_broadcast, unknown, e->ip);
	e->tries++;
	e->retx_ns = now + ARP_RETX_NS;
}

static struct arp_entry *arp_find(struct netif *nif, uint32_t ip)
{
	for (int i = 0; i < ARP_CACHE_SIZE; i++)
		if (nif->arp[i].state != ARP_FREE && nif->arp[i].ip == ip)
			return &nif->arp[i];
	return NULL;
}

/* Frees e and the datagrams waiting on it (they count as dropped). */
static void arp_release(struct netif *nif, struct arp_entry *e)
{
	while (e->queue) {
		struct pkt *p = e->queue;

		e->queue = p->next;
		pkt_free(p);
		nif->stats.tx_drop++;
	}
	memset(e, 0, sizeof(*e));
}

/* A free slot, or the least recently used one emptied for reuse. */
static struct arp_entry *arp_slot(struct netif *nif)
{
	struct arp_entry *lru = &nif->arp[0];

	for (int i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &nif->arp[i];

		if (e->state == ARP_FREE)
			return e;
		if (e->used_ns < lru->used_ns)
			lru = e;
	}
	arp_release(nif, lru);
	return lru;
}

/* Records ip -> mac and sends whatever waited for it, in order. */
static void arp_update(struct netif *nif, struct arp_entry *e,
		       const uint8_t mac[6], uint64_t now)
{
	memcpy(e->mac, mac, 6);
	e->state = ARP_RESOLVED;
	e->expires_ns = now + ARP_LIFETIME_NS;
	e->nqueued = 0;
	while (e->queue) {
		struct pkt *p = e->queue;

		e->queue = p->next;
		p->next = NULL;
		eth_output(nif, p, e->mac, ETH_TYPE_IPV4);
	}
}

/* The packet-reception algorithm of RFC 826, "Packet Reception". */
void arp_input(struct netif *nif, const void *buf, size_t len, uint64_t now)
{
	struct arp_msg m;
	struct arp_entry *e = NULL;

	/* Group or broadcast senders and sources are bogus; so is our own. */
	if (arp_parse(buf, len, &m) < 0 || (m.sha[0] & 1) ||
	    nif->ip.addr == 0 || m.spa == nif->ip.addr || m.spa == 0xffffffff ||
	    (m.spa >> 28) == 0xe) {
		nif->stats.rx_drop++;
		return;
	}
	if (m.spa != 0) {
		e = arp_find(nif, m.spa);
		if (e)
			arp_update(nif, e, m.sha, now);
	}
	if (m.tpa != nif->ip.addr)
		return;
	/* Probes (spa 0, RFC 5227) are answered but teach us nothing. */
	if (!e && m.spa != 0) {
		e = arp_slot(nif);
		e->ip = m.spa;
		e->used_ns = now;
		arp_update(nif, e, m.sha, now);
	}
	if (m.op == ARP_OP_REQUEST)
		arp_send(nif, ARP_OP_REPLY, m.sha, m.sha, m.spa);
}

int arp_output(struct netif *nif, struct pkt *p, uint32_t next_hop,
	       uint64_t now)
{
	struct arp_entry *e = arp_find(nif, next_hop);
	struct pkt **tail;

	if (e && e->state == ARP_RESOLVED && now < e->expires_ns) {
		e->used_ns = now;
		return eth_output(nif, p, e->mac, ETH_TYPE_IPV4);
	}
	if (e && e->state == ARP_RESOLVED) {
		e->state = ARP_INCOMPLETE; /* stale: ask again */
		e->tries = 0;
	}
	if (!e) {
		e = arp_slot(nif);
		e->ip = next_hop;
		e->state = ARP_INCOMPLETE;
	}
	e->used_ns = now;
	if (e->nqueued >= ARP_QUEUE_MAX) {
		pkt_free(p);
		nif->stats.tx_drop++;
		return -ENOBUFS;
	}
	for (tail = &e->queue; *tail; tail = &(*tail)->next)
		;
	p->next = NULL;
	*tail = p;
	e->nqueued++;
	if (e->tries == 0)
		arp_request(nif, e, now);
	return 0;
}

const struct arp_entry *arp_lookup(struct netif *nif, uint32_t ip, uint64_t now)
{
	struct arp_entry *e = arp_find(nif, ip);

	if (!e || e->state != ARP_RESOLVED || now >= e->expires_ns)
		return NULL;
	return e;
}

void arp_timers(struct netif *nif, uint64_t now)
{
	for (int i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &nif->arp[i];

		if (e->state == ARP_RESOLVED && now >= e->expires_ns)
			arp_release(nif, e);
		else if (e->state == ARP_INCOMPLETE && now >= e->retx_ns) {
			if (e->tries >= ARP_TRIES)
				arp_release(nif, e);
			else
				arp_request(nif, e, now);
		}
	}
}

void arp_flush(struct netif *nif)
{
	for (int i = 0; i < ARP_CACHE_SIZE; i++)
		arp_release(nif, &nif->arp[i]);
}
