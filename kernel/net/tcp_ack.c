/* tcp_ack.c - TCP acknowledgment processing: SND.UNA, windows, dup ACKs. */
#include "lib/string.h"
#include "net/tcp_int.h"

/* Our FIN was sent and SND.UNA has passed it. */
bool tcp_fin_acked(const struct tcp_conn *c)
{
	return c->fin_sent &&
	       seq_gt(c->snd_una, c->snd_base + (uint32_t)c->snd_len);
}

/* SND.UNA < SEG.ACK <= SND.NXT: drop acknowledged bytes from the buffer. */
static void new_ack(struct tcp_conn *c, uint32_t ack, uint64_t now)
{
	uint32_t acked = ack - c->snd_una, data = 0;

	if (seq_gt(ack, c->snd_base)) {
		data = ack - c->snd_base;
		if (data > c->snd_len)
			data = (uint32_t)c->snd_len; /* the FIN */
	}
	c->snd_head = (c->snd_head + data) % c->snd_size;
	c->snd_len -= data;
	c->snd_base += data;
	c->snd_una = ack;
	if (seq_lt(c->snd_nxt, ack))
		c->snd_nxt = ack; /* acked beyond a go-back-N resend */
	if (c->fin_queued && seq_gt(ack, c->snd_base + (uint32_t)c->snd_len))
		c->fin_sent = true; /* even if a timeout unsent it */
	c->retries = 0;
	c->dupacks = 0;
	tcp_rtt_sample(c, ack, now);
	if (c->recovering && seq_lt(ack, c->recover)) {
		/*
		 * RFC 6582 3.2 step 5, a partial ACK: the segment after the
		 * one resent was lost too. Resend it now rather than wait for
		 * the timer; deflate cwnd by what was acked, plus one MSS.
		 */
		tcp_resend_una(c, now);
		c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
		if (acked >= c->mss)
			c->cwnd += c->mss;
	} else {
		tcp_cc_ack(c, acked);
	}
	if (data)
		tcp_notify(c, TCP_EV_OUT);
}

/* RFC 5681 2 (duplicate ACK definition), 3.2 (fast retransmit). */
static void dup_ack(struct tcp_conn *c, const struct tcp_seg *s, uint64_t now)
{
	uint32_t wnd = (uint32_t)s->wnd << c->snd_wscale;

	if (c->snd_max == c->snd_una || s->len || s->stripped ||
	    (s->flags & (TCP_SYN | TCP_FIN)) || wnd != c->snd_wnd)
		return;
	/* RFC 6582 4: not again for losses of the window being recovered. */
	if (++c->dupacks == 3 && !c->recovering)
		tcp_fast_rexmt(c, now);
	else if (c->dupacks > 3)
		c->cwnd += c->mss; /* 3.2 step 4 */
}

/* RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: our SYN must be what is acked. */
static int syn_received_ack(struct tcp_conn *c, const struct tcp_seg *s,
			    uint64_t now)
{
	if (!seq_lt(c->snd_una, s->ack) || !seq_le(s->ack, c->snd_max)) {
		tcp_reply_rst(c->nif, s, now);
		return 1;
	}
	/* A listener's child gets its rings now; without memory, a reset. */
	if (c->rcvbuf == NULL && tcp_bufs_alloc(c) < 0) {
		tcp_abort(c, now);
		return 1;
	}
	tcp_cc_init(c);
	c->snd_wnd = (uint32_t)s->wnd << c->snd_wscale;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->state = TCP_ESTABLISHED;
	return 0;
}

/* State changes an ACK of our FIN causes; 1 when c is gone. */
static int fin_ack_states(struct tcp_conn *c, uint64_t now)
{
	if (!tcp_fin_acked(c))
		return 0;
	switch (c->state) {
	case TCP_FIN_WAIT_1: /* a lingering close waits for this */
		c->state = TCP_FIN_WAIT_2;
		c->tw_at = now + TCP_FIN_WAIT_2_NS;
		tcp_notify(c, TCP_EV_OUT);
		return 0;
	case TCP_CLOSING:
		tcp_enter_time_wait(c, now);
		tcp_notify(c, TCP_EV_OUT);
		return 0;
	case TCP_LAST_ACK:
		tcp_set_closed(c, 0);
		return 1;
	default:
		return 0;
	}
}

/*
 * RFC 9293 3.10.7.4 fifth: the ACK field of an acceptable segment.
 * Returns 1 when the segment is done with (dropped, or c freed).
 */
int tcp_ack_input(struct tcp_conn *c, const struct tcp_seg *s, uint64_t now)
{
	bool was_syn_rcvd = c->state == TCP_SYN_RECEIVED, acked;
	uint32_t unsent_end = c->snd_base + (uint32_t)c->snd_len;

	if (was_syn_rcvd && syn_received_ack(c, s, now))
		return 1;
	/*
	 * A persist probe's byte is sent without advancing SND.NXT; a peer
	 * whose window reopened acknowledges it. Count it as sent.
	 */
	if (s->ack == c->snd_max + 1 && c->snd_max == c->snd_una &&
	    seq_lt(c->snd_max, unsent_end))
		c->snd_nxt = ++c->snd_max;
	if (seq_gt(s->ack, c->snd_max)) {
		tcp_send_ack(c, now);
		return 1;
	}
	acked = seq_gt(s->ack, c->snd_una);
	if (acked)
		new_ack(c, s->ack, now);
	else if (s->ack == c->snd_una)
		dup_ack(c, s, now);
	/* RFC 7323 4.1: an ACK of new data echoes when it was sent. */
	if (acked && c->ts_ok && s->has_ts && s->ts_ecr &&
	    seq_le(s->ts_ecr, tcp_ts_now(now)))
		tcp_rtt_update(c, (uint64_t)(tcp_ts_now(now) - s->ts_ecr) * MS);
	if (seq_lt(c->snd_wl1, s->seq) ||
	    (c->snd_wl1 == s->seq && seq_le(c->snd_wl2, s->ack))) {
		c->snd_wnd = (uint32_t)s->wnd << c->snd_wscale;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
	}
	if (was_syn_rcvd)
		tcp_established(c);
	if (fin_ack_states(c, now))
		return 1;
	tcp_timer_update(c, now, acked);
	return 0;
}
