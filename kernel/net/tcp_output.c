/* tcp_output.c - TCP segment output: SYNs, ACKs, data within the windows. */
#include "lib/string.h"
#include "net/netif.h"
#include "net/tcp_int.h"

/* RCV.WND: the free receive ring. */
uint32_t tcp_rcv_wnd(const struct tcp_conn *c)
{
	return (uint32_t)(c->rcv_size - c->rcv_len);
}

/*
 * RFC 7323 2.3: the window of a segment other than a SYN is RCV.WND >>
 * Rcv.Wind.Shift, rounded down to what the field can say. The right edge
 * must never move left (RFC 7323 2.4, RFC 9293 3.8.6.2.2), so when the
 * rounding would pull it behind the edge already advertised the window is
 * rounded up instead: a peer may then send up to 2^shift - 1 bytes more
 * than the ring holds, which are dropped and sent again later.
 */
uint16_t tcp_adv_wnd(struct tcp_conn *c)
{
	uint32_t shift = c->rcv_wscale, unit = 1u << shift;
	uint32_t wnd = tcp_rcv_wnd(c);

	if (wnd > 0xffffu << shift)
		wnd = 0xffffu << shift;
	wnd &= ~(unit - 1);
	if (seq_lt(c->rcv_nxt + wnd, c->rcv_adv))
		wnd = (c->rcv_adv - c->rcv_nxt + unit - 1) & ~(unit - 1);
	c->rcv_adv = c->rcv_nxt + wnd;
	return (uint16_t)(wnd >> shift);
}

/*
 * Sends one segment from c: seq, flags (ACK carries RCV.NXT), and len
 * bytes of the send buffer starting at seq. SYNs carry our MSS and, when
 * offered or agreed, the window scale (RFC 7323 1.3); their window is
 * never scaled (RFC 7323 2.2), so at most 65535.
 */
void tcp_send_flags(struct tcp_conn *c, uint32_t seq, uint8_t flags, size_t len,
		    uint64_t now)
{
	uint32_t wnd = tcp_rcv_wnd(c);
	struct tcp_out o = {
		.src = c->laddr,
		.dst = c->raddr,
		.sport = c->lport,
		.dport = c->rport,
		.seq = seq,
		.flags = flags,
		.wscale = -1,
		.len = len,
	};

	if (flags & TCP_ACK) {
		o.ack = c->rcv_nxt;
		c->last_ack_sent = c->rcv_nxt;
		c->delack_at = 0; /* whatever was owed goes with this */
	}
	/* RFC 7323 3.2: offered in our SYN, then sent when both agreed. */
	if (c->ts_ok || c->state == TCP_SYN_SENT) {
		o.ts = true;
		o.ts_val = tcp_ts_now(now);
		o.ts_ecr = c->ts_ok ? c->ts_recent : 0;
	}
	if (flags & TCP_RST) {
		o.wnd = 0;
	} else if (flags & TCP_SYN) {
		o.mss = (uint16_t)(c->nif->mtu - 40);
		if (c->state == TCP_SYN_SENT || c->ws_ok)
			o.wscale = (int8_t)c->wscale_offer;
		o.wnd = (uint16_t)(wnd > 0xffff ? 0xffff : wnd);
		if (flags & TCP_ACK)
			c->rcv_adv = c->rcv_nxt + o.wnd;
	} else {
		o.wnd = tcp_adv_wnd(c);
	}
	if (len) {
		size_t at = (c->snd_head + (seq - c->snd_base)) % c->snd_size;

		o.data = c->sndbuf + at;
		if (at + len > c->snd_size) { /* the ring wraps in this one */
			o.first = c->snd_size - at;
			o.rest = c->sndbuf;
		}
	}
	tcp_build_send(c->nif, &o, now);
}

uint32_t tcp_seg_max(const struct tcp_conn *c)
{
	return c->mss - (c->ts_ok ? TCP_TS_LEN : 0);
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, SND.NXT being snd_max here. */
void tcp_send_ack(struct tcp_conn *c, uint64_t now)
{
	tcp_send_flags(c, c->snd_max, TCP_ACK, 0, now);
}

/* Our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), first or again. */
void tcp_send_syn(struct tcp_conn *c, uint64_t now)
{
	uint8_t flags = TCP_SYN;

	if (c->state == TCP_SYN_RECEIVED)
		flags |= TCP_ACK;
	c->snd_nxt = c->snd_max = c->iss + 1;
	if (c->retries == 0 && !c->rtt_timing) {
		c->rtt_timing = true;
		c->rtt_seq = c->iss;
		c->rtt_start = now;
	}
	tcp_send_flags(c, c->iss, flags, 0, now);
	tcp_timer_update(c, now, false);
}

bool tcp_may_send_data(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/*
 * How many bytes from SND.NXT to send now: within min(SND.WND, cwnd)
 * (RFC 5681 2), at most one MSS, held back by Nagle (RFC 9293 3.7.4)
 * while a segment shorter than that is in flight: Minshall's refinement,
 * as Linux has it. Waiting for any data in flight stalls a write that
 * ends in a short segment after full ones until the peer's delayed ACK
 * (40 ms for each 64 KiB over loopback once windows passed one segment).
 * Sets *fin when the FIN may follow them.
 */
static size_t next_chunk(const struct tcp_conn *c, bool *fin)
{
	uint32_t flight = c->snd_nxt - c->snd_una;
	uint32_t wnd = c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
	size_t off = c->snd_nxt - c->snd_base;
	size_t avail = off < c->snd_len ? c->snd_len - off : 0, n = avail;

	if (n > tcp_seg_max(c))
		n = tcp_seg_max(c);
	if (n > (wnd > flight ? wnd - flight : 0))
		n = wnd > flight ? wnd - flight : 0;
	/* RFC 9293 3.8.6.2.1: no window-limited fragment while in flight. */
	if (n && n < tcp_seg_max(c) && flight &&
	    (n < avail || (!c->nodelay && seq_gt(c->snd_sml, c->snd_una) &&
			   seq_le(c->snd_sml, c->snd_nxt))))
		n = 0;
	*fin = c->fin_queued && !c->fin_sent && n == avail;
	return n;
}

/* Sends whatever data and FIN the windows allow (RFC 9293 3.8.6). */
void tcp_output(struct tcp_conn *c, uint64_t now)
{
	bool fin;
	size_t n;

	if (!tcp_may_send_data(c))
		return;
	net_tx_hold(); /* the burst: one notification of the device */
	while ((n = next_chunk(c, &fin)) > 0 || fin) {
		uint8_t flags = TCP_ACK;

		if (n && c->snd_nxt + n == c->snd_base + c->snd_len)
			flags |= TCP_PSH;
		if (fin)
			flags |= TCP_FIN;
		/* RFC 6298 3: one sample at a time, never of a resend (Karn). */
		if (!c->rtt_timing && c->snd_nxt == c->snd_max) {
			c->rtt_timing = true;
			c->rtt_seq = c->snd_nxt;
			c->rtt_start = now;
		}
		tcp_send_flags(c, c->snd_nxt, flags, n, now);
		c->snd_nxt += (uint32_t)n + fin;
		if (n < tcp_seg_max(c))
			c->snd_sml = c->snd_nxt;
		c->fin_sent |= fin;
		if (seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
	}
	net_tx_release();
	tcp_timer_update(c, now, false);
}

/* Sends the first unacknowledged segment again (with the FIN if last). */
void tcp_resend_una(struct tcp_conn *c, uint64_t now)
{
	size_t off = c->snd_una - c->snd_base, n = c->snd_len - off;
	uint8_t flags = TCP_ACK;

	if (n > tcp_seg_max(c))
		n = tcp_seg_max(c);
	if (c->fin_sent && c->snd_una + n == c->snd_base + c->snd_len)
		flags |= TCP_FIN;
	c->rtt_timing = false; /* Karn: no sample from a resent segment */
	tcp_send_flags(c, c->snd_una, flags, n, now);
}

/*
 * RFC 5681 3.2 steps 2-3: on the third duplicate ACK, halve ssthresh,
 * resend the first unacknowledged segment and inflate cwnd by the three
 * segments that left the network. Recovery lasts until everything sent
 * so far is acknowledged (RFC 6582, NewReno).
 */
void tcp_fast_rexmt(struct tcp_conn *c, uint64_t now)
{
	uint32_t flight = c->snd_max - c->snd_una;

	c->ssthresh = flight / 2 > 2u * c->mss ? flight / 2 : 2u * c->mss;
	tcp_resend_una(c, now);
	c->cwnd = c->ssthresh + 3u * c->mss;
	c->recovering = true;
	c->recover = c->snd_max;
}
