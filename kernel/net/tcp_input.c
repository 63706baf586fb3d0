/* tcp_input.c - TCP segment arrival: the RFC 9293 3.10.7 state machine. */
#include <asm-generic/errno.h>

#include "net/ipv4.h"
#include "net/netif.h"
#include "net/tcp_int.h"

/*
 *                 +---------+ ---------\      active OPEN
 *                 |  CLOSED |            \    -----------
 *                 +---------+<---------\   \   create TCB
 *   passive OPEN    |     ^  CLOSE      \   \  snd SYN
 *   ------------    |     |  -------     \   \
 *    create TCB     V     |  delete TCB   \   \
 *                 +---------+              \   \
 *                 |  LISTEN |               |   |
 *  rcv SYN        +---------+   rcv SYN     |   V
 *  snd SYN,ACK  /                snd ACK +---------+
 *  +---------+ <--------------------------| SYN-SENT|
 *  | SYN-RCVD| ---rcv ACK of SYN-\        +---------+
 *  +---------+                    \  rcv SYN,ACK / snd ACK
 *        | CLOSE                  V  V
 *        |                   +---------+
 *        |                   |  ESTAB  |--rcv FIN, snd ACK--> CLOSE-WAIT
 *        V                   +---------+                   CLOSE | snd FIN
 *  FIN-WAIT-1 <--CLOSE, snd FIN--+                          LAST-ACK
 *   | rcv ACK of FIN   \ rcv FIN, snd ACK                      | rcv ACK
 *   V                   V                                      V
 *  FIN-WAIT-2        CLOSING --rcv ACK of FIN--> TIME-WAIT   CLOSED
 *   \--rcv FIN, snd ACK-------------------------^  | 2 MSL
 *                                                  V  CLOSED
 * (RFC 9293 3.3.2, redrawn.)
 */

/* Peer options from a SYN (RFC 9293 3.7.1, RFC 7323 1.3) and its ISN. */
static void take_syn(struct tcp_conn *c, const struct tcp_seg *s)
{
	uint16_t ours = (uint16_t)(c->nif->mtu - 40);
	uint16_t mss = s->mss ? s->mss : TCP_MSS_DEFAULT;

	c->mss = mss < ours ? mss : ours;
	c->ws_ok = s->wscale >= 0;
	c->snd_wscale = c->ws_ok ? (uint8_t)s->wscale : 0;
	c->rcv_wscale = c->ws_ok ? c->wscale_offer : 0;
	c->ts_ok = s->has_ts; /* we offer timestamps in every SYN */
	c->ts_recent = s->ts_val;
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->snd_wnd = s->wnd; /* a SYN's window is never scaled */
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
}

/*
 * Linux's limits (tcp_conn_request): no new child while the accept queue
 * holds more than backlog connections; half-open ones up to backlog or
 * TCP_HALF_OPEN_MIN, whichever is more (past its limit Linux answers
 * with SYN cookies, which we do not have). The peer retransmits a dropped
 * SYN and gets in once accept() drains the queue.
 */
static bool listen_full(const struct tcp_conn *l)
{
	int half_open = l->children - l->queued;

	return l->queued > l->backlog ||
	       half_open >= (l->backlog > TCP_HALF_OPEN_MIN ?
				     l->backlog :
				     TCP_HALF_OPEN_MIN);
}

/* RFC 9293 3.10.7.2: a SYN makes a child in SYN-RECEIVED, within backlog. */
static void listen_input(struct tcp_conn *l, struct netif *nif,
			 const struct tcp_seg *s, uint64_t now)
{
	struct tcp_conn *c;

	if (s->flags & TCP_RST)
		return;
	if (s->flags & TCP_ACK) {
		tcp_reply_rst(nif, s, now);
		return;
	}
	if (!(s->flags & TCP_SYN) || listen_full(l))
		return; /* the peer will retry */
	c = tcp_conn_new(nif);
	if (!c)
		return;
	/*
	 * Sizes inherited, as on Linux; the rings come with the handshake's
	 * last ACK (tcp_ack.c), so a flood of SYNs costs no ring memory.
	 */
	c->rcv_size = l->rcv_size;
	c->snd_size = l->snd_size;
	c->wscale_offer = tcp_wscale_for(c->rcv_size);
	c->laddr = s->dst;
	c->lport = s->dport;
	c->raddr = s->src;
	c->rport = s->sport;
	tcp_table_add(c);
	c->listener = l;
	l->children++;
	c->state = TCP_SYN_RECEIVED;
	take_syn(c, s);
	c->iss = tcp_isn(c, now);
	c->snd_una = c->snd_sml = c->iss;
	c->snd_base = c->iss + 1;
	tcp_send_syn(c, now);
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void syn_sent_input(struct tcp_conn *c, const struct tcp_seg *s,
			   uint64_t now)
{
	bool ack = s->flags & TCP_ACK;

	if (ack && (seq_le(s->ack, c->iss) || seq_gt(s->ack, c->snd_max))) {
		tcp_reply_rst(c->nif, s, now);
		return;
	}
	if (s->flags & TCP_RST) {
		if (ack)
			tcp_set_closed(c, -ECONNREFUSED);
		return;
	}
	if (!(s->flags & TCP_SYN))
		return;
	take_syn(c, s);
	if (!ack) { /* simultaneous open */
		c->state = TCP_SYN_RECEIVED;
		tcp_send_flags(c, c->iss, TCP_SYN | TCP_ACK, 0, now);
		return;
	}
	c->snd_una = s->ack;
	c->retries = 0;
	tcp_rtt_sample(c, s->ack, now);
	tcp_cc_init(c);
	tcp_established(c);
	tcp_send_ack(c, now);
	tcp_output(c, now);
}

/* RFC 9293 3.10.7.4 first: the four cases of segment acceptability. */
static bool acceptable(const struct tcp_conn *c, const struct tcp_seg *s)
{
	uint32_t wnd = tcp_rcv_wnd(c), n = (uint32_t)s->len;
	uint32_t last;

	n += !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
	if (wnd == 0)
		return n == 0 && s->seq == c->rcv_nxt;
	if (seq_le(c->rcv_nxt, s->seq) && seq_lt(s->seq, c->rcv_nxt + wnd))
		return true;
	last = s->seq + n - 1;
	return n > 0 && seq_le(c->rcv_nxt, last) &&
	       seq_lt(last, c->rcv_nxt + wnd);
}

/* Cuts what lies before RCV.NXT or past the window off the segment. */
static void trim(const struct tcp_conn *c, struct tcp_seg *s)
{
	uint32_t wend = c->rcv_nxt + tcp_rcv_wnd(c), d;

	if ((s->flags & TCP_SYN) && seq_lt(s->seq, c->rcv_nxt)) {
		s->flags &= (uint8_t)~TCP_SYN;
		s->seq++;
	}
	if (seq_lt(s->seq, c->rcv_nxt)) {
		d = c->rcv_nxt - s->seq;
		if (d > s->len) {
			d = (uint32_t)s->len;
			s->flags &= (uint8_t)~TCP_FIN; /* an old FIN */
		}
		s->data += d;
		s->len -= d;
		s->seq = c->rcv_nxt;
	}
	if (seq_gt(s->seq + (uint32_t)s->len, wend)) {
		s->len = wend - s->seq;
		s->flags &= (uint8_t)~TCP_FIN;
	}
}

/*
 * RFC 9293 3.10.7.4 second, with RFC 5961 3.2: only a RST exactly at
 * RCV.NXT resets; one elsewhere in the window gets a challenge ACK.
 */
static void rst_input(struct tcp_conn *c, const struct tcp_seg *s, uint64_t now)
{
	if (s->seq != c->rcv_nxt) {
		tcp_send_ack(c, now);
		return;
	}
	switch (c->state) {
	case TCP_SYN_RECEIVED: /* a child just goes; ours was refused */
		tcp_set_closed(c, c->listener ? 0 : -ECONNREFUSED);
		return;
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		tcp_set_closed(c, -ECONNRESET);
		return;
	default:
		tcp_set_closed(c, 0);
	}
}

/* RFC 9293 3.10.7.4 eighth: the peer's FIN, in sequence. */
static void fin_input(struct tcp_conn *c, uint64_t now)
{
	if (c->fin_rcvd)
		return;
	c->fin_rcvd = true;
	c->rcv_nxt++;
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		c->state = TCP_CLOSE_WAIT;
		break;
	case TCP_FIN_WAIT_1:
		if (tcp_fin_acked(c))
			tcp_enter_time_wait(c, now);
		else
			c->state = TCP_CLOSING;
		break;
	case TCP_FIN_WAIT_2:
		tcp_enter_time_wait(c, now);
		break;
	default:
		break;
	}
	tcp_notify(c, TCP_EV_IN | TCP_EV_HUP);
}

static bool receives_data(enum tcp_state st)
{
	return st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 ||
	       st == TCP_FIN_WAIT_2;
}

/*
 * True when the window we can offer now reaches two segments (or half the
 * ring) or more past the edge last advertised: after a SYN's window (at most 64 KiB) or a
 * read. Worth telling at once rather than 40 ms late (RFC 9293 3.8.6.2.2).
 */
static bool window_opens(const struct tcp_conn *c)
{
	uint32_t wnd = tcp_rcv_wnd(c), max = 0xffffu << c->rcv_wscale;
	uint32_t step = 2u * c->mss, half = (uint32_t)(c->rcv_size / 2);

	return seq_ge(c->rcv_nxt + (wnd < max ? wnd : max),
		      c->rcv_adv + (step < half ? step : half));
}

/*
 * Delayed ACKs (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2): in-order data with
 * no hole behind it is acknowledged with the next segment we send or
 * after TCP_DELACK_NS, but at least every second segment; anything out
 * of order, filling a hole or beyond the window is acknowledged at once
 * (the peer's fast retransmit depends on those duplicate ACKs), and so
 * is data after which the window opens wide.
 */
static bool may_delay_ack(struct tcp_conn *c, const struct tcp_seg *s,
			  uint32_t rcv_nxt_before, bool had_holes, uint64_t now)
{
	if (s->seq != rcv_nxt_before || had_holes || c->nooo ||
	    c->rcv_nxt != s->seq + (uint32_t)s->len || c->delack_at ||
	    window_opens(c))
		return false;
	c->delack_at = now + TCP_DELACK_NS;
	return true;
}

/* After the ACK: the text and the FIN, then whatever we may now send. */
static void data_input(struct tcp_conn *c, const struct tcp_seg *s,
		       bool ack_now, uint64_t now)
{
	uint32_t nxt = c->snd_nxt, before = c->rcv_nxt;
	bool holes = c->nooo > 0;

	if (s->len && receives_data(c->state)) {
		tcp_rcv_data(c, s);
		if (!may_delay_ack(c, s, before, holes, now))
			ack_now = true;
		if (c->rcv_len)
			tcp_notify(c, TCP_EV_IN);
	}
	if ((s->flags & TCP_FIN) && s->seq + (uint32_t)s->len == c->rcv_nxt) {
		fin_input(c, now);
		ack_now = true;
	}
	tcp_output(c, now);
	if (ack_now && c->snd_nxt == nxt)
		tcp_send_ack(c, now);
}

/* RFC 9293 3.10.7.4: every synchronized state, and SYN-RECEIVED. */
static void sync_input(struct tcp_conn *c, struct tcp_seg *s, uint64_t now)
{
	bool ack_now = false;

	if (c->state == TCP_SYN_RECEIVED && s->flags == TCP_SYN &&
	    s->seq == c->irs) { /* our SYN-ACK was lost: say it again */
		tcp_send_flags(c, c->iss, TCP_SYN | TCP_ACK, 0, now);
		return;
	}
	/* RFC 7323 5.3 R1, PAWS: an older timestamp is an old duplicate. */
	if (c->ts_ok && s->has_ts && seq_lt(s->ts_val, c->ts_recent)) {
		if (!(s->flags & TCP_RST))
			tcp_send_ack(c, now);
		return;
	}
	if (!acceptable(c, s)) {
		uint32_t n = (uint32_t)s->len + !!(s->flags & TCP_SYN) +
			     !!(s->flags & TCP_FIN);

		if (s->flags & TCP_RST)
			return;
		if (c->state == TCP_TIME_WAIT && (s->flags & TCP_FIN))
			tcp_enter_time_wait(c, now); /* FIN again */
		/*
		 * A zero window still takes ACKs at RCV.NXT (3.10.7.4), and a
		 * duplicate wholly before RCV.NXT still carries a current ACK
		 * (taken as BSD and Linux do: a peer resending its FIN with
		 * each ACK would otherwise never have them seen). Anything
		 * else beyond the window is answered and dropped.
		 */
		if (!seq_le(s->seq + n, c->rcv_nxt) &&
		    (tcp_rcv_wnd(c) || s->seq != c->rcv_nxt)) {
			tcp_send_ack(c, now);
			return;
		}
		s->len = 0;
		s->flags &= (uint8_t) ~(TCP_SYN | TCP_FIN);
		s->stripped = true;
		ack_now = true;
	}
	/* RFC 7323 4.3 (R3): the timestamp to echo from now on. */
	if (c->ts_ok && s->has_ts && seq_le(s->seq, c->last_ack_sent))
		c->ts_recent = s->ts_val;
	trim(c, s);
	if (s->flags & TCP_RST) {
		rst_input(c, s, now);
		return;
	}
	if (s->flags & TCP_SYN) { /* RFC 5961 4.2: challenge ACK */
		tcp_send_ack(c, now);
		return;
	}
	if (!(s->flags & TCP_ACK) || tcp_ack_input(c, s, now))
		return;
	data_input(c, s, ack_now, now);
}

/* Any segment on a connection shows the peer alive: keepalive restarts. */
static void peer_alive(struct tcp_conn *c, uint64_t now)
{
	c->last_rcv = now;
	c->keep_sent = 0;
}

void tcp_input(struct netif *nif, const struct ipv4_rx *rx, uint64_t now)
{
	struct tcp_seg s;
	struct tcp_conn *c;
	int err;

	if (rx->broadcast) {
		nif->stats.rx_drop++;
		return;
	}
	err = tcp_parse(rx, &s);
	if (err) {
		nif->stats.rx_drop++;
		nif->stats.rx_bad_csum += err == -EBADMSG;
		return;
	}
	c = tcp_lookup(rx->dst, s.dport, rx->src, s.sport);
	if (!c) {
		tcp_reply_rst(nif, &s, now);
		return;
	}
	if (c->state == TCP_LISTEN) {
		listen_input(c, nif, &s, now);
		return;
	}
	peer_alive(c, now);
	if (c->state == TCP_SYN_SENT)
		syn_sent_input(c, &s, now);
	else
		sync_input(c, &s, now);
}
