/* tcp_seg.c - TCP segments: checksum, parsing, options, building, bare RSTs. */
#include <asm-generic/errno.h>

#include "lib/inet_csum.h"
#include "lib/string.h"
#include "net/ipv4.h"
#include "net/netif.h"
#include "net/pkt.h"
#include "net/tcp_int.h"

#define OPT_END 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WSCALE 3
#define OPT_SACK_OK 4
#define OPT_TS 8

/* RFC 9293 3.1: the pseudo-header is src, dst, zero, protocol, TCP length. */
uint16_t tcp_checksum(uint32_t src, uint32_t dst, const void *seg, size_t len)
{
	uint64_t sum = ipv4_pseudo_sum(src, dst, IP_PROTO_TCP, len);

	return inet_csum_fold(inet_csum_add(sum, seg, len));
}

/* The length a known option must have; 0 for options we do not know. */
static size_t opt_len(uint8_t kind)
{
	switch (kind) {
	case OPT_MSS:
		return 4;
	case OPT_WSCALE:
		return 3;
	case OPT_SACK_OK:
		return 2;
	case OPT_TS:
		return 10;
	}
	return 0;
}

/*
 * Options are untrusted: every option but END and NOP has a length byte
 * of at least 2 that stays inside the header, and the options we know
 * must have their fixed length (RFC 9293 3.1, 3.2: a malformed option
 * list means the segment is dropped). Returns 0 or -EINVAL.
 */
int tcp_parse_options(const uint8_t *opt, size_t len, struct tcp_seg *s)
{
	size_t i = 0;

	while (i < len && opt[i] != OPT_END) {
		uint8_t kind = opt[i];
		size_t l;

		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EINVAL;
		l = opt[i + 1];
		if (l < 2 || l > len - i ||
		    (opt_len(kind) && l != opt_len(kind)))
			return -EINVAL;
		if (kind == OPT_MSS)
			s->mss = be16_load(opt + i + 2);
		else if (kind == OPT_WSCALE) /* RFC 7323 2.3: at most 14 */
			s->wscale = (int8_t)(opt[i + 2] > 14 ? 14 : opt[i + 2]);
		else if (kind == OPT_SACK_OK)
			s->sack_ok = true;
		else if (kind == OPT_TS) {
			s->has_ts = true;
			s->ts_val = be32_load(opt + i + 2);
			s->ts_ecr = be32_load(opt + i + 6);
		}
		i += l;
	}
	return 0;
}

/*
 * RFC 9293 3.1 header: 0 sport  2 dport  4 seq  8 ack  12 data offset
 * (high nibble, 32-bit words)  13 flags  14 window  16 checksum  18 urgent.
 * The datagram is untrusted. Returns 0, -EINVAL or -EBADMSG (checksum).
 */
int tcp_parse(const struct ipv4_rx *rx, struct tcp_seg *s)
{
	const uint8_t *b = rx->payload;
	size_t hlen;

	if (rx->len < TCP_HLEN || rx->len > 0xffff)
		return -EINVAL;
	hlen = (size_t)(b[12] >> 4) * 4;
	if (hlen < TCP_HLEN || hlen > rx->len)
		return -EINVAL;
	if (!rx->csum_ok && tcp_checksum(rx->src, rx->dst, b, rx->len) != 0)
		return -EBADMSG;
	memset(s, 0, sizeof(*s));
	s->wscale = -1;
	s->src = rx->src;
	s->dst = rx->dst;
	s->sport = be16_load(b);
	s->dport = be16_load(b + 2);
	s->seq = be32_load(b + 4);
	s->ack = be32_load(b + 8);
	s->flags = b[13] & 0x3f;
	s->wnd = be16_load(b + 14);
	s->data = b + hlen;
	s->len = rx->len - hlen;
	if (s->sport == 0 || s->dport == 0)
		return -EINVAL;
	return tcp_parse_options(b + TCP_HLEN, hlen - TCP_HLEN, s);
}

/*
 * MSS, then NOP + window scale (our SYNs); NOP, NOP, timestamps (SYNs and,
 * once both sides sent it, every segment: RFC 7323 3.2).
 */
static size_t put_options(uint8_t *h, const struct tcp_out *o)
{
	size_t n = 0;

	if (o->mss) {
		h[n] = OPT_MSS;
		h[n + 1] = 4;
		be16_store(h + n + 2, o->mss);
		n += 4;
	}
	if (o->wscale >= 0) {
		h[n] = OPT_NOP;
		h[n + 1] = OPT_WSCALE;
		h[n + 2] = 3;
		h[n + 3] = (uint8_t)o->wscale;
		n += 4;
	}
	if (o->ts) {
		h[n] = OPT_NOP;
		h[n + 1] = OPT_NOP;
		h[n + 2] = OPT_TS;
		h[n + 3] = 10;
		be32_store(h + n + 4, o->ts_val);
		be32_store(h + n + 8, o->ts_ecr);
		n += TCP_TS_LEN;
	}
	return n;
}

/*
 * Builds the segment o describes and hands it to IPv4. Returns 0,
 * -ENOBUFS or an ipv4_output error (the segment is then lost, as on a
 * wire: retransmission covers it).
 */
int tcp_build_send(struct netif *nif, const struct tcp_out *o, uint64_t now)
{
	uint8_t opts[8 + TCP_TS_LEN];
	size_t olen = put_options(opts, o), hlen = TCP_HLEN + olen;
	struct pkt *p = pkt_alloc(PKT_HEADROOM, hlen + o->len);
	uint8_t *h;

	if (!p) {
		nif->stats.tx_drop++;
		return -ENOBUFS;
	}
	h = p->data;
	be16_store(h, o->sport);
	be16_store(h + 2, o->dport);
	be32_store(h + 4, o->seq);
	be32_store(h + 8, o->ack);
	h[12] = (uint8_t)(hlen / 4 << 4);
	h[13] = o->flags;
	be16_store(h + 14, o->wnd);
	be16_store(h + 16, 0);
	be16_store(h + 18, 0);
	memcpy(h + TCP_HLEN, opts, olen);
	if (o->len && o->rest) {
		memcpy(h + hlen, o->data, o->first);
		memcpy(h + hlen + o->first, o->rest, o->len - o->first);
	} else if (o->len) {
		memcpy(h + hlen, o->data, o->len);
	}
	ipv4_l4_csum(nif, p, o->src, o->dst, IP_PROTO_TCP, 16);
	return ipv4_output(nif, p, o->src, o->dst, IP_PROTO_TCP, now);
}

/*
 * A reset for a segment no connection wants (RFC 9293 3.10.7.1): with
 * ACK, <SEQ=SEG.ACK><CTL=RST>; else <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>. Never in answer to a RST.
 */
void tcp_reply_rst(struct netif *nif, const struct tcp_seg *s, uint64_t now)
{
	struct tcp_out o = {
		.src = s->dst,
		.dst = s->src,
		.sport = s->dport,
		.dport = s->sport,
		.wscale = -1,
	};

	if (s->flags & TCP_RST)
		return;
	if (s->flags & TCP_ACK) {
		o.seq = s->ack;
		o.flags = TCP_RST;
	} else {
		o.ack = s->seq + (uint32_t)s->len + !!(s->flags & TCP_SYN) +
			!!(s->flags & TCP_FIN);
		o.flags = TCP_RST | TCP_ACK;
	}
	tcp_build_send(nif, &o, now);
}
