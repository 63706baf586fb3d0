/* icmp.c - ICMP echo replies and rate-limited unreachable reports (RFC 792). */
#include "net/icmp.h"

#include <asm-generic/errno.h>

#include "lib/inet_csum.h"
#include "lib/string.h"
#include "net/ipv4.h"
#include "net/netif.h"

/*
 * RFC 792 message: 0 type   1 code   2 checksum (of the whole message)
 * 4 rest of header (echo: identifier, sequence; unreachable: unused)
 * 8 data.
 */
static void icmp_echo_reply(struct netif *nif, const struct ipv4_rx *rx,
			    uint64_t now)
{
	struct pkt *p;

	/* No replies to broadcast pings (RFC 1122 3.2.2.6 allows silence). */
	if (rx->broadcast) {
		nif->stats.rx_drop++;
		return;
	}
	p = pkt_copy(rx->payload, rx->len);
	if (!p) {
		nif->stats.tx_drop++;
		return;
	}
	p->data[0] = ICMP_ECHO_REPLY;
	be16_store(p->data + 2, 0);
	be16_store(p->data + 2, inet_csum(p->data, p->len));
	ipv4_output(nif, p, rx->dst, rx->src, IP_PROTO_ICMP, now);
}

void icmp_input(struct netif *nif, const struct ipv4_rx *rx, uint64_t now)
{
	if (rx->len < ICMP_HLEN) {
		nif->stats.rx_drop++;
		return;
	}
	if (inet_csum(rx->payload, rx->len) != 0) {
		nif->stats.rx_drop++;
		nif->stats.rx_bad_csum++;
		return;
	}
	if (rx->payload[0] == ICMP_ECHO && rx->payload[1] == 0)
		icmp_echo_reply(nif, rx, now);
	/* Replies and errors would go to sockets; there are none yet. */
}

/* RFC 1122 3.2.2: never answer these with an error. */
static bool icmp_error_allowed(const struct netif *nif,
			       const struct ipv4_rx *orig)
{
	if (orig->broadcast || orig->src == 0 || (orig->src >> 28) >= 0xe ||
	    orig->dst != nif->ip.addr || (orig->frag & IPV4_OFFSET_MASK))
		return false;
	/* An ICMP error about an ICMP error could loop; queries are fine. */
	if (orig->proto == IP_PROTO_ICMP &&
	    (orig->len < 1 ||
	     (orig->payload[0] != ICMP_ECHO && orig->payload[0] != 13 &&
	      orig->payload[0] != 15 && orig->payload[0] != 17)))
		return false;
	return true;
}

/* A token bucket: ICMP_RATE_BURST at once, one more per refill period. */
static bool icmp_rate_ok(struct netif *nif, uint64_t now)
{
	if (now >= nif->icmp_refill_ns) {
		uint64_t add =
			(now - nif->icmp_refill_ns) / ICMP_RATE_REFILL_NS + 1;

		if (add >= ICMP_RATE_BURST ||
		    nif->icmp_tokens + add >= ICMP_RATE_BURST)
			nif->icmp_tokens = ICMP_RATE_BURST;
		else
			nif->icmp_tokens += (uint32_t)add;
		nif->icmp_refill_ns = now + ICMP_RATE_REFILL_NS;
	}
	if (nif->icmp_tokens == 0)
		return false;
	nif->icmp_tokens--;
	return true;
}

int icmp_send_unreach(struct netif *nif, const struct ipv4_rx *orig,
		      uint8_t code, uint64_t now)
{
	size_t quote = orig->len < 8 ? orig->len : 8;
	struct pkt *p;

	if (!icmp_error_allowed(nif, orig))
		return -EINVAL;
	if (!icmp_rate_ok(nif, now))
		return -EAGAIN;
	p = pkt_alloc(PKT_HEADROOM, ICMP_HLEN + orig->hdr_len + quote);
	if (!p) {
		nif->stats.tx_drop++;
		return -ENOBUFS;
	}
	memset(p->data, 0, ICMP_HLEN);
	p->data[0] = ICMP_UNREACH;
	p->data[1] = code;
	memcpy(p->data + ICMP_HLEN, orig->hdr, orig->hdr_len);
	memcpy(p->data + ICMP_HLEN + orig->hdr_len, orig->payload, quote);
	be16_store(p->data + 2, inet_csum(p->data, p->len));
	return ipv4_output(nif, p, nif->ip.addr, orig->src, IP_PROTO_ICMP, now);
}
