/* ipv4_frag.c - IPv4 fragment reassembly with limits (RFC 791 3.2, RFC 815). */
#include "net/ipv4.h"

#include "lib/string.h"
#include "net/netif.h"

/*
 * Each datagram in reassembly owns one buffer for its whole payload and a
 * bitmap of the 8-byte blocks received (fragment offsets count in 8-byte
 * units, RFC 791). Limits, against memory exhaustion and ambiguity:
 * IPV4_REASM_MAX datagrams at once (further ones are dropped, not
 * evicted), 64 KiB per datagram header included, 30 s each, and any
 * overlap between fragments discards the whole datagram, the way RFC 5722
 * requires for IPv6, so no two readings of the same bytes exist.
 */
#define REASM_BYTES 65535
#define REASM_BLOCKS (REASM_BYTES / 8 + 1)

struct ipv4_reasm {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint64_t expires_ns;
	size_t total;	/* payload length; 0 until the last */
	size_t hdr_len; /* 0 until the first fragment */
	uint8_t hdr[60];
	uint8_t blocks[(REASM_BLOCKS + 7) / 8];
	uint8_t data[REASM_BYTES];
};

static bool block_test(const struct ipv4_reasm *r, size_t i)
{
	return r->blocks[i / 8] & (1u << (i % 8));
}

/* True when any block in [from, to) has arrived. */
static bool blocks_any(const struct ipv4_reasm *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (block_test(r, i))
			return true;
	return false;
}

static bool blocks_all(const struct ipv4_reasm *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (!block_test(r, i))
			return false;
	return true;
}

static void reasm_free(struct netif *nif, int slot)
{
	net_free(nif->reasm[slot]);
	nif->reasm[slot] = NULL;
}

/* The slot of rx's datagram, a new one, or -1 when all are busy. */
static int reasm_slot(struct netif *nif, const struct ipv4_rx *rx, uint64_t now)
{
	int free_slot = -1;

	for (int i = 0; i < IPV4_REASM_MAX; i++) {
		struct ipv4_reasm *r = nif->reasm[i];

		if (!r) {
			if (free_slot < 0)
				free_slot = i;
		} else if (r->src == rx->src && r->dst == rx->dst &&
			   r->id == rx->id && r->proto == rx->proto) {
			return i;
		}
	}
	if (free_slot < 0)
		return -1;
	struct ipv4_reasm *r = net_alloc(sizeof(*r));
	if (!r)
		return -1;
	memset(r, 0, offsetof(struct ipv4_reasm, data));
	r->src = rx->src;
	r->dst = rx->dst;
	r->id = rx->id;
	r->proto = rx->proto;
	r->expires_ns = now + IPV4_REASM_TIMEOUT_NS;
	nif->reasm[free_slot] = r;
	return free_slot;
}

/* Adds the fragment to r; false when it contradicts what r already holds. */
static bool reasm_add(struct ipv4_reasm *r, const struct ipv4_rx *rx)
{
	size_t off = (size_t)(rx->frag & IPV4_OFFSET_MASK) * 8;
	size_t end = off + rx->len;
	size_t first = off / 8, last = (end + 7) / 8;

	if (!(rx->frag & IPV4_MF)) {
		if ((r->total && r->total != end) ||
		    blocks_any(r, last, REASM_BLOCKS))
			return false;
		r->total = end;
	} else if (r->total && end > r->total) {
		return false;
	}
	if (blocks_any(r, first, last))
		return false;
	memcpy(r->data + off, rx->payload, rx->len);
	for (size_t i = first; i < last; i++)
		r->blocks[i / 8] |= (uint8_t)(1u << (i % 8));
	if (off == 0) {
		memcpy(r->hdr, rx->hdr, rx->hdr_len);
		r->hdr_len = rx->hdr_len;
	}
	return true;
}

void ipv4_reasm_input(struct netif *nif, const struct ipv4_rx *rx, uint64_t now)
{
	size_t off = (size_t)(rx->frag & IPV4_OFFSET_MASK) * 8;
	struct ipv4_reasm *r;
	struct ipv4_rx whole;
	int slot;

	/* All but the last fragment carry a whole number of blocks. */
	if (((rx->frag & IPV4_MF) && (rx->len == 0 || rx->len % 8)) ||
	    off + rx->len + rx->hdr_len > REASM_BYTES)
		goto drop;
	slot = reasm_slot(nif, rx, now);
	if (slot < 0)
		goto drop;
	r = nif->reasm[slot];
	if (!reasm_add(r, rx)) {
		reasm_free(nif, slot);
		goto drop;
	}
	if (!r->total || !r->hdr_len || !blocks_all(r, 0, (r->total + 7) / 8))
		return;
	whole = *rx;
	whole.hdr = r->hdr;
	whole.hdr_len = r->hdr_len;
	whole.payload = r->data;
	whole.len = r->total;
	whole.frag = 0;
	whole.csum_ok = false; /* no device vouched for the whole */
	ipv4_deliver(nif, &whole, now);
	reasm_free(nif, slot);
	return;
drop:
	nif->stats.rx_drop++;
}

void ipv4_reasm_timers(struct netif *nif, uint64_t now)
{
	for (int i = 0; i < IPV4_REASM_MAX; i++)
		if (nif->reasm[i] && now >= nif->reasm[i]->expires_ns)
			reasm_free(nif, i);
}

void ipv4_reasm_flush(struct netif *nif)
{
	for (int i = 0; i < IPV4_REASM_MAX; i++)
		reasm_free(nif, i);
}
