/* tcp_timer.c - TCP timers (RFC 6298 RTO, persist, TIME-WAIT) and cwnd. */
#include <asm-generic/errno.h>

#include "net/tcp_int.h"

static uint32_t unsent(const struct tcp_conn *c)
{
	uint32_t end = c->snd_base + (uint32_t)c->snd_len;

	return seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
}

/*
 * Keeps the timers consistent with what is in flight (RFC 6298 5.1-5.3):
 * the retransmission timer runs while anything is unacknowledged
 * (restarted when restart is set, after an ACK of new data); the persist
 * timer runs instead when data waits behind a zero window (RFC 9293
 * 3.8.6.1).
 */
void tcp_timer_update(struct tcp_conn *c, uint64_t now, bool restart)
{
	if (c->state == TCP_TIME_WAIT || c->state == TCP_LISTEN ||
	    c->state == TCP_CLOSED)
		return;
	if (c->snd_max != c->snd_una) {
		c->persist_at = 0;
		if (restart || !c->rexmt_at)
			c->rexmt_at = now + c->rto;
		return;
	}
	c->rexmt_at = 0;
	if (c->snd_wnd || !unsent(c)) {
		c->persist_at = 0;
	} else if (!c->persist_at) {
		c->persist_ivl = c->rto;
		c->persist_at = now + c->persist_ivl;
	}
}

/* RFC 6298 2.2-2.4, with Karn's rule: only segments sent once are timed. */
void tcp_rtt_sample(struct tcp_conn *c, uint32_t ack, uint64_t now)
{
	if (!c->rtt_timing || !seq_gt(ack, c->rtt_seq))
		return;
	c->rtt_timing = false;
	if (!c->ts_ok) /* else the timestamps measure (tcp_ack.c) */
		tcp_rtt_update(c, now - c->rtt_start);
}

/* RFC 6298 2.2-2.3: one measurement r (ns) into SRTT, RTTVAR and RTO. */
void tcp_rtt_update(struct tcp_conn *c, uint64_t r)
{
	uint64_t var;

	if (!c->rtt_valid) {
		c->srtt = r;
		c->rttvar = r / 2;
		c->rtt_valid = true;
	} else {
		uint64_t d = c->srtt > r ? c->srtt - r : r - c->srtt;

		c->rttvar = (3 * c->rttvar + d) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
	}
	var = 4 * c->rttvar > TCP_CLOCK_G_NS ? 4 * c->rttvar : TCP_CLOCK_G_NS;
	c->rto = c->srtt + var;
	if (c->rto < TCP_RTO_MIN_NS)
		c->rto = TCP_RTO_MIN_NS;
	if (c->rto > TCP_RTO_MAX_NS)
		c->rto = TCP_RTO_MAX_NS;
}

/* RFC 5681 3.1: the initial window from the MSS; ssthresh arbitrarily high. */
void tcp_cc_init(struct tcp_conn *c)
{
	uint32_t segs = c->mss > 2190 ? 2 : c->mss > 1095 ? 3 : 4;

	c->cwnd = segs * c->mss;
	c->ssthresh = 0x7fffffff;
}

/* RFC 5681 3.1 slow start and congestion avoidance; 3.2 step 6. */
void tcp_cc_ack(struct tcp_conn *c, uint32_t acked)
{
	uint32_t inc;

	if (c->recovering) {
		c->cwnd = c->ssthresh;
		c->recovering = false;
		return;
	}
	if (c->cwnd < c->ssthresh) {
		inc = acked < c->mss ? acked : c->mss;
	} else {
		inc = (uint32_t)((uint64_t)c->mss * c->mss / c->cwnd);
		if (inc == 0)
			inc = 1;
	}
	c->cwnd += inc;
}

void tcp_enter_time_wait(struct tcp_conn *c, uint64_t now)
{
	c->state = TCP_TIME_WAIT;
	c->rexmt_at = c->persist_at = 0;
	tcp_sndbuf_release(c);
	c->tw_at = now + 2 * TCP_MSL_NS;
}

/*
 * RFC 6298 5.4-5.6 and RFC 5681 3.1 (eq. 4): resend from SND.UNA with a
 * one-segment window, back the timer off; give up after TCP_RETRIES_MAX.
 */
static void rexmt_timeout(struct tcp_conn *c, uint64_t now)
{
	uint32_t flight = c->snd_max - c->snd_una;

	if (++c->retries > TCP_RETRIES_MAX) {
		tcp_set_closed(c, -ETIMEDOUT);
		return;
	}
	c->ssthresh = flight / 2 > 2u * c->mss ? flight / 2 : 2u * c->mss;
	c->cwnd = c->mss;
	c->rto = c->rto * 2 > TCP_RTO_MAX_NS ? TCP_RTO_MAX_NS : c->rto * 2;
	c->rtt_timing = false;
	c->dupacks = 0;
	c->recovering = false;
	c->rexmt_at = 0;
	c->snd_nxt = c->snd_una;
	if (seq_le(c->snd_una, c->snd_base + (uint32_t)c->snd_len))
		c->fin_sent = false; /* the FIN is resent too */
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
		tcp_send_syn(c, now);
	else
		tcp_output(c, now);
}

/* RFC 9293 3.8.6.1: one byte past the zero window, backing off. */
static void persist_timeout(struct tcp_conn *c, uint64_t now)
{
	c->persist_at = 0;
	if (c->snd_wnd || !unsent(c) || c->snd_max != c->snd_una)
		return;
	tcp_send_flags(c, c->snd_nxt, TCP_ACK, 1, now);
	c->persist_ivl *= 2;
	if (c->persist_ivl > TCP_RTO_MAX_NS)
		c->persist_ivl = TCP_RTO_MAX_NS;
	c->persist_at = now + c->persist_ivl;
}

/*
 * RFC 9293 3.8.4: an idle connection is probed with <SEQ=SND.UNA-1>, an
 * old sequence number any live peer answers with an ACK; 1 when c is
 * gone (too many probes unanswered).
 */
static int keepalive_timer(struct tcp_conn *c, uint64_t now)
{
	uint64_t due;

	if (!c->keepalive ||
	    (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT))
		return 0;
	due = c->last_rcv + c->keep_idle +
	      (uint64_t)c->keep_sent * c->keep_intvl;
	if (now < due)
		return 0;
	if (c->keep_sent >= c->keep_cnt) {
		tcp_set_closed(c, -ETIMEDOUT);
		return 1;
	}
	c->keep_sent++;
	tcp_send_flags(c, c->snd_una - 1, TCP_ACK, 0, now);
	return 0;
}

void tcp_timers(uint64_t now)
{
	struct tcp_conn *c = tcp_conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->delack_at && now >= c->delack_at)
			tcp_send_ack(c, now);
		if (c->tw_at && now >= c->tw_at)
			tcp_set_closed(c, 0);
		else if (c->rexmt_at && now >= c->rexmt_at)
			rexmt_timeout(c, now);
		else if (c->persist_at && now >= c->persist_at)
			persist_timeout(c, now);
		else
			keepalive_timer(c, now);
	}
}
