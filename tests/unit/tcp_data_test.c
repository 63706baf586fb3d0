/* tcp_data_test.c - TCP data transfer, reassembly, retransmission, persist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "tcp_peer.h"

#define PISS 5000u
/* The rings these tests give their connections: no window scaling. */
#define RCVBUF 32768
#define SNDBUF 65536
#define WND RCVBUF

/* Passive open on 80 at time 0 (RTT 0: RTO at its 200 ms floor). */
static struct tcp_conn *open_conn(uint16_t peer_wnd)
{
	struct tcp_conn *l, *c;
	int err;

	l = tcp_listen(80, 2, &err);
	assert_int_equal(tcp_set_bufsize(l, RCVBUF, SNDBUF), 0);
	peer_seg(80, PISS, 0, TCP_SYN, peer_wnd, NULL, 0, 0);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, peer_wnd, NULL, 0, 0);
	c = tcp_accept(l);
	assert_non_null(c);
	assert_int_equal(c->rto, TCP_RTO_MIN_NS);
	assert_int_equal(c->mss, TCP_MSS_DEFAULT); /* no MSS option */
	fake_clear();
	return c;
}

static void test_data_both_ways(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	struct tseg t;
	char b[16];

	(void)state;
	assert_int_equal(tcp_recv(c, b, sizeof(b), 0), -EAGAIN);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK | TCP_PSH, 8000, "hello", 5,
		 0);
	tcp_timers(TCP_DELACK_NS - 1); /* a delayed ACK */
	assert_int_equal(fake.nframes, 0);
	tcp_timers(TCP_DELACK_NS);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 6, WND - 5, 0);
	assert_true(tcp_readable(c));
	assert_int_equal(tcp_recv(c, b, 3, 0), 3);
	assert_int_equal(tcp_recv(c, b + 3, sizeof(b), 0), 2);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(tcp_send(c, "world", 5, 0), 5);
	peer_expect(1, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 6, WND, 5);
	peer_frame(1, &t);
	assert_memory_equal(t.data, "world", 5);
	/* Nagle: a second small write waits for the ACK of the first. */
	assert_int_equal(tcp_send(c, "!!", 2, 0), 2);
	assert_int_equal(fake.nframes, 2);
	peer_seg(80, PISS + 6, OUR_ISS + 6, TCP_ACK, 8000, NULL, 0, 0);
	peer_expect(2, TCP_ACK | TCP_PSH, OUR_ISS + 6, PISS + 6, WND, 2);
	assert_int_equal(c->snd_len, 2);
	/* Old data again: trimmed, acknowledged, not delivered twice. */
	peer_seg(80, PISS + 1, OUR_ISS + 8, TCP_ACK, 8000, "hello", 5, 0);
	peer_expect(3, TCP_ACK, OUR_ISS + 8, PISS + 6, WND, 0);
	assert_int_equal(tcp_recv(c, b, sizeof(b), 0), -EAGAIN);
	assert_int_equal(c->snd_len, 0); /* its ACK still counts */
}

/*
 * Delayed ACKs: in-order data is acknowledged at least every second
 * segment, else after TCP_DELACK_NS, or with data we send before then.
 */
static void test_delayed_ack(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	static char seg[536];

	(void)state;
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 8000, seg, 536, 0);
	assert_int_equal(fake.nframes, 0);
	peer_seg(80, PISS + 537, OUR_ISS + 1, TCP_ACK, 8000, seg, 536, 1);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 1073, WND - 1072, 0);
	peer_seg(80, PISS + 1073, OUR_ISS + 1, TCP_ACK, 8000, seg, 536, 2);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(tcp_send(c, "x", 1, 3), 1); /* carries the ACK */
	peer_expect(1, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 1609, WND - 1608,
		    1);
	tcp_timers(3 + TCP_DELACK_NS);
	assert_int_equal(fake.nframes, 2); /* nothing owed */
}

static void test_out_of_order(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	char b[16];

	(void)state;
	peer_seg(80, PISS + 7, OUR_ISS + 1, TCP_ACK, 8000, "gh", 2, 0);
	peer_seg(80, PISS + 4, OUR_ISS + 1, TCP_ACK, 8000, "def", 3, 0);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 0); /* dup */
	peer_expect(1, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 0);
	assert_int_equal(c->nooo, 1); /* merged */
	assert_false(tcp_readable(c));
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 8000, "abc", 3, 0);
	peer_expect(2, TCP_ACK, OUR_ISS + 1, PISS + 9, WND - 8, 0);
	assert_int_equal(tcp_recv(c, b, sizeof(b), 0), 8);
	assert_memory_equal(b, "abcdefgh", 8);
	assert_int_equal(c->nooo, 0);
}

/* RFC 6298: resent at RTO, then after a doubled RTO; an ACK stops it. */
static void test_retransmit(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	uint64_t rto = TCP_RTO_MIN_NS;

	(void)state;
	assert_int_equal(tcp_send(c, "0123456789", 10, 0), 10);
	peer_expect(0, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 1, WND, 10);
	tcp_timers(rto - 1);
	assert_int_equal(fake.nframes, 1);
	tcp_timers(rto);
	peer_expect(1, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 1, WND, 10);
	assert_int_equal(c->cwnd, c->mss); /* RFC 5681 eq. 4 */
	tcp_timers(rto + 2 * rto - 1);
	assert_int_equal(fake.nframes, 2);
	tcp_timers(rto + 2 * rto);
	peer_expect(2, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 1, WND, 10);
	peer_seg(80, PISS + 1, OUR_ISS + 11, TCP_ACK, 8000, NULL, 0, 3 * rto);
	assert_int_equal(c->rexmt_at, 0);
	tcp_timers(100 * rto);
	assert_int_equal(fake.nframes, 3);
}

/*
 * After a timeout SND.NXT goes back to SND.UNA, but the peer may already
 * hold everything first sent: its ACK past SND.NXT (up to the highest
 * sequence sent) is taken, not answered as "acks something not yet sent"
 * (that answer, to a peer that answers it again, was an endless ACK loop).
 */
static void test_ack_beyond_resend(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	uint64_t rto = TCP_RTO_MIN_NS;
	static char big[4000];

	(void)state;
	assert_int_equal(tcp_send(c, big, sizeof(big), 0), sizeof(big));
	assert_int_equal(fake.nframes, 4); /* 4 x 536 in flight */
	tcp_timers(rto);
	peer_expect(4, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 536);
	assert_int_equal(c->snd_nxt, OUR_ISS + 1 + 536);
	peer_seg(80, PISS + 1, OUR_ISS + 1 + 4 * 536, TCP_ACK, 8000, NULL, 0,
		 rto + 1);
	assert_int_equal(c->snd_una, OUR_ISS + 1 + 4 * 536);
	/* No ACK in reply; cwnd 1072 after slow start lets two new out. */
	assert_int_equal(fake.nframes, 7);
	peer_expect(5, TCP_ACK, OUR_ISS + 1 + 4 * 536, PISS + 1, WND, 536);
	peer_expect(6, TCP_ACK, OUR_ISS + 1 + 5 * 536, PISS + 1, WND, 536);
	/* An ACK past anything ever sent is still answered and dropped. */
	peer_seg(80, PISS + 1, OUR_ISS + 1 + 9 * 536, TCP_ACK, 8000, NULL, 0,
		 rto + 2);
	peer_expect(7, TCP_ACK, OUR_ISS + 1 + 6 * 536, PISS + 1, WND, 0);
	assert_int_equal(c->snd_una, OUR_ISS + 1 + 4 * 536);
}

/*
 * A duplicate segment wholly before RCV.NXT (here the peer's FIN, sent
 * again with a newer ACK) is answered, and its ACK field still counts.
 */
static void test_duplicate_carries_ack(void **state)
{
	struct tcp_conn *c = open_conn(8000);

	(void)state;
	assert_int_equal(tcp_send(c, "0123456789", 10, 0), 10);
	peer_expect(0, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 1, WND, 10);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK | TCP_FIN, 8000, NULL, 0,
		 1);
	peer_expect(1, TCP_ACK, OUR_ISS + 11, PISS + 2, WND, 0);
	assert_int_equal(tcp_state(c), TCP_CLOSE_WAIT);
	peer_seg(80, PISS + 1, OUR_ISS + 11, TCP_ACK | TCP_FIN, 8000, NULL, 0,
		 2);
	assert_int_equal(c->snd_una, OUR_ISS + 11);
	assert_int_equal(c->snd_len, 0);
	assert_int_equal(c->rexmt_at, 0);
	peer_expect(2, TCP_ACK, OUR_ISS + 11, PISS + 2, WND, 0);
	assert_int_equal(fake.nframes, 3);
	/* Old data with an old ACK is not a duplicate ACK: no fast resend. */
	assert_int_equal(tcp_send(c, "abc", 3, 3), 3);
	for (int i = 0; i < 4; i++)
		peer_seg(80, PISS, OUR_ISS + 11, TCP_ACK, 8000, "x", 1, 4);
	assert_int_equal(c->dupacks, 0);
}

/* RFC 5681 3.2: the third duplicate ACK resends the first segment. */
static void test_fast_retransmit(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	static char big[4000];

	(void)state;
	/* MSS 536: initial window 4 segments (RFC 5681 3.1). */
	assert_int_equal(tcp_send(c, big, sizeof(big), 0), sizeof(big));
	assert_int_equal(fake.nframes, 4);
	for (int i = 0; i < 4; i++)
		peer_expect(i, TCP_ACK, OUR_ISS + 1 + 536u * (uint32_t)i,
			    PISS + 1, WND, 536);
	for (int i = 0; i < 3; i++)
		peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 8000, NULL, 0, 0);
	peer_expect(4, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 536);
	assert_int_equal(c->ssthresh, 2 * 536);
	assert_int_equal(c->cwnd, 5 * 536);
	/* 3.2 step 5: the inflated window lets one new segment out. */
	peer_expect(5, TCP_ACK, OUR_ISS + 1 + 4 * 536, PISS + 1, WND, 536);
	assert_int_equal(fake.nframes, 6);
	/* The ACK of everything sent deflates cwnd and sends more. */
	peer_seg(80, PISS + 1, OUR_ISS + 1 + 5 * 536, TCP_ACK, 8000, NULL, 0,
		 0);
	assert_int_equal(c->cwnd, 2 * 536);
	peer_expect(6, TCP_ACK, OUR_ISS + 1 + 5 * 536, PISS + 1, WND, 536);
	peer_expect(7, TCP_ACK, OUR_ISS + 1 + 6 * 536, PISS + 1, WND, 536);
	assert_int_equal(fake.nframes, 8);
}

/*
 * RFC 6582 (NewReno): during fast recovery a partial ACK means the next
 * hole is lost too; it is resent at once, and recovery lasts until all
 * that was outstanding at its start is acknowledged.
 */
static void test_partial_ack(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	static char big[4000];

	(void)state;
	assert_int_equal(tcp_send(c, big, sizeof(big), 0), sizeof(big));
	for (int i = 0; i < 3; i++)
		peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 8000, NULL, 0, 0);
	peer_expect(4, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 536);
	assert_int_equal(c->recover, OUR_ISS + 1 + 4 * 536);
	assert_int_equal(fake.nframes, 6); /* and one new segment */
	/* The resend filled hole 0; segment 2 is missing as well. */
	peer_seg(80, PISS + 1, OUR_ISS + 1 + 2 * 536, TCP_ACK, 8000, NULL, 0,
		 1);
	peer_expect(6, TCP_ACK, OUR_ISS + 1 + 2 * 536, PISS + 1, WND, 536);
	assert_true(c->recovering);
	assert_int_equal(c->cwnd, 5 * 536 - 2 * 536 + 536);
	/* Three more duplicates do not start recovery over. */
	fake_clear();
	for (int i = 0; i < 3; i++)
		peer_seg(80, PISS + 1, OUR_ISS + 1 + 2 * 536, TCP_ACK, 8000,
			 NULL, 0, 2);
	assert_int_equal(fake.nframes, 0); /* no second fast resend */
	/* All that was outstanding at the start: recovery ends. */
	peer_seg(80, PISS + 1, c->snd_max, TCP_ACK, 8000, NULL, 0, 3);
	assert_false(c->recovering);
	assert_int_equal(c->cwnd, c->ssthresh);
}

/*
 * RFC 9293 3.8.4 keepalive: after the idle time a probe <SEQ=SND.UNA-1>;
 * an answer starts the idle time over; cnt unanswered probes time out.
 */
static void test_keepalive(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	const uint64_t s = 1000000000ull;

	(void)state;
	tcp_set_keepalive(c, true, 10 * s, 2 * s, 2);
	tcp_timers(10 * s - 1);
	assert_int_equal(fake.nframes, 0);
	tcp_timers(10 * s);
	peer_expect(0, TCP_ACK, OUR_ISS, PISS + 1, WND, 0);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 8000, NULL, 0, 11 * s);
	tcp_timers(21 * s - 1);
	assert_int_equal(fake.nframes, 1);
	tcp_timers(21 * s);
	peer_expect(1, TCP_ACK, OUR_ISS, PISS + 1, WND, 0);
	tcp_timers(23 * s);
	peer_expect(2, TCP_ACK, OUR_ISS, PISS + 1, WND, 0);
	assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
	tcp_timers(25 * s);
	assert_int_equal(tcp_state(c), TCP_CLOSED);
	assert_int_equal(tcp_error(c), -ETIMEDOUT);
	assert_int_equal(fake.nframes, 3);
	tcp_close(c, 26 * s); /* the user lets go: freed */
}

/*
 * The send buffer is a ring: after ACKs free its front, new data wraps
 * to its start, and segments across the wrap carry the right bytes.
 */
static void test_send_ring_wraps(void **state)
{
	static uint8_t data[SNDBUF + 5000];
	struct tcp_conn *c = open_conn(65535);
	size_t queued, off;
	struct tseg t;
	int rounds = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + i / 509);
	queued = (size_t)tcp_send(c, data, sizeof(data), 0);
	assert_int_equal(queued, SNDBUF);
	while (c->snd_una != OUR_ISS + 1 + sizeof(data) && rounds++ < 2000) {
		for (int i = 0; i < fake.nframes; i++) {
			peer_frame(i, &t);
			off = t.seq - (OUR_ISS + 1);
			assert_true(off + t.len <= sizeof(data));
			assert_memory_equal(t.data, data + off, t.len);
		}
		fake_clear();
		peer_seg(80, PISS + 1, c->snd_nxt, TCP_ACK, 65535, NULL, 0, 0);
		if (queued < sizeof(data)) {
			long n = tcp_send(c, data + queued,
					  sizeof(data) - queued, 0);

			queued += n > 0 ? (size_t)n : 0;
		}
	}
	assert_int_equal(queued, sizeof(data));
	assert_int_equal(c->snd_una, OUR_ISS + 1 + sizeof(data));
	assert_int_equal(c->snd_len, 0);
}

/*
 * The receive buffer is a ring as well: after reads free its front, data
 * (here an out-of-order range across the end first) wraps to its start
 * and reads back in order.
 */
static void test_recv_ring_wraps(void **state)
{
	static uint8_t data[RCVBUF + 4000], got[sizeof(data)];
	struct tcp_conn *c = open_conn(8000);
	const size_t first = RCVBUF - 768, hole = 1000, late = 1000;
	size_t n = 0, off;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + i / 257);
	for (off = 0; off < first; off += 500) {
		size_t k = first - off < 500 ? first - off : 500;

		peer_seg(80, PISS + 1 + (uint32_t)off, OUR_ISS + 1, TCP_ACK,
			 8000, data + off, k, 0);
	}
	while (n < first)
		n += (size_t)tcp_recv(c, got + n, first - n, 0);
	/* Out of order, across the ring's end: held, not readable yet. */
	peer_seg(80, PISS + 1 + (uint32_t)(first + hole), OUR_ISS + 1, TCP_ACK,
		 8000, data + first + hole, late, 0);
	assert_int_equal(tcp_inq(c), 0);
	peer_seg(80, PISS + 1 + (uint32_t)first, OUR_ISS + 1, TCP_ACK, 8000,
		 data + first, hole, 0);
	assert_int_equal(tcp_inq(c), hole + late);
	/* A peek across the ring's end, from an offset, consumes nothing. */
	memset(got + n, 0, hole + late);
	assert_int_equal(tcp_peek(c, got + n + 100, 100, hole + late),
			 hole + late - 100);
	assert_memory_equal(got + n + 100, data + first + 100,
			    hole + late - 100);
	assert_int_equal(tcp_peek(c, got, hole + late, 1), -EAGAIN);
	assert_int_equal(tcp_inq(c), hole + late);
	while (n < first + hole + late)
		n += (size_t)tcp_recv(c, got + n, sizeof(got) - n, 0);
	assert_memory_equal(got, data, first + hole + late);
}

/* A segment from the peer carrying a timestamps option. */
static void ts_seg(uint32_t seq, uint32_t ack, uint8_t flags, uint32_t tsval,
		   uint32_t tsecr, const void *data, size_t len, uint64_t now)
{
	struct tseg t = {
		.sport = PEER_PORT,
		.dport = 80,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.wnd = 8000,
		.data = data,
		.len = len,
		.opt = { 1, 1, 8, 10 },
		.optlen = 12,
	};

	be32_store(t.opt + 4, tsval);
	be32_store(t.opt + 8, tsecr);
	peer_send(&t, now);
}

/* The timestamps option of frame i: its TSval and TSecr. */
static void frame_ts(int i, uint32_t *val, uint32_t *ecr)
{
	struct tseg t;

	peer_frame(i, &t);
	/* Last in our option lists (after MSS and window scale in SYNs). */
	assert_true(t.optlen >= 12);
	assert_memory_equal(t.opt + t.optlen - 12, "\x01\x01\x08\x0a", 4);
	*val = be32_load(t.opt + t.optlen - 8);
	*ecr = be32_load(t.opt + t.optlen - 4);
}

/*
 * RFC 7323: timestamps agreed in the SYNs go on every segment (leaving
 * 12 bytes less for data), echo the peer's latest in-order TSval, and an
 * older TSval than that marks an old duplicate (PAWS): dropped, ACKed.
 */
static void test_timestamps(void **state)
{
	struct tcp_conn *l, *c;
	uint32_t val, ecr;
	char b[8];
	int err;

	(void)state;
	l = tcp_listen(80, 2, &err);
	assert_int_equal(tcp_set_bufsize(l, RCVBUF, SNDBUF), 0);
	ts_seg(PISS, 0, TCP_SYN, 100, 0, NULL, 0, 5 * MS);
	peer_expect(0, TCP_SYN | TCP_ACK, OUR_ISS, PISS + 1, WND, 0);
	frame_ts(0, &val, &ecr);
	assert_int_equal(val, 5);
	assert_int_equal(ecr, 100);
	ts_seg(PISS + 1, OUR_ISS + 1, TCP_ACK, 101, 5, NULL, 0, 7 * MS);
	c = tcp_accept(l);
	assert_non_null(c);
	assert_true(c->ts_ok);
	fake_clear();
	assert_int_equal(tcp_send(c, b, 8, 9 * MS), 8);
	peer_expect(0, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 1, WND, 8);
	frame_ts(0, &val, &ecr);
	assert_int_equal(val, 9);
	assert_int_equal(ecr, 101);
	assert_int_equal(tcp_seg_max(c), TCP_MSS_DEFAULT - 12);
	/* PAWS: TSval 50 < 101, an old duplicate: not taken, answered. */
	ts_seg(PISS + 1, OUR_ISS + 9, TCP_ACK, 50, 9, "old", 3, 10 * MS);
	assert_false(tcp_readable(c));
	assert_int_equal(c->snd_una, OUR_ISS + 1);
	peer_expect(1, TCP_ACK, OUR_ISS + 9, PISS + 1, WND, 0);
	/* A newer one is taken, and becomes the one echoed. */
	ts_seg(PISS + 1, OUR_ISS + 9, TCP_ACK | TCP_FIN, 102, 9, "new", 3,
	       11 * MS);
	assert_int_equal(tcp_recv(c, b, sizeof(b), 11 * MS), 3);
	assert_memory_equal(b, "new", 3);
	assert_int_equal(c->snd_una, OUR_ISS + 9);
	assert_int_equal(c->ts_recent, 102);
	frame_ts(fake.nframes - 1, &val, &ecr);
	assert_int_equal(ecr, 102);
}

/* RFC 9293 3.8.6.1: a zero window is probed with one byte, backing off. */
static void test_zero_window_persist(void **state)
{
	struct tcp_conn *c = open_conn(0);
	uint64_t rto = TCP_RTO_MIN_NS;
	struct tseg t;

	(void)state;
	assert_int_equal(tcp_send(c, "abc", 3, 0), 3);
	assert_int_equal(fake.nframes, 0);
	tcp_timers(rto);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 1);
	peer_frame(0, &t);
	assert_int_equal(t.data[0], 'a');
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 0, NULL, 0, rto);
	tcp_timers(rto + 2 * rto - 1);
	assert_int_equal(fake.nframes, 1);
	tcp_timers(rto + 2 * rto);
	peer_expect(1, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 1);
	/* The window opens: everything goes. */
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 100, NULL, 0, 4 * rto);
	peer_expect(2, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 1, WND, 3);
	assert_int_equal(c->persist_at, 0);
}

/* Our zero window: a probe is answered with an ACK of RCV.NXT, window 0. */
static void test_our_zero_window(void **state)
{
	struct tcp_conn *c = open_conn(8000);
	static char fill[RCVBUF], b[RCVBUF];
	uint32_t seq = PISS + 1;

	(void)state;
	for (size_t off = 0; off < sizeof(fill); off += 1000) {
		size_t n = sizeof(fill) - off < 1000 ? sizeof(fill) - off :
						       1000;

		peer_seg(80, seq, OUR_ISS + 1, TCP_ACK, 8000, fill, n, 0);
		seq += (uint32_t)n;
	}
	fake_clear();
	peer_seg(80, seq, OUR_ISS + 1, TCP_ACK, 8000, "x", 1, 0);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, seq, 0, 0);
	/* Reading opens the window: an update goes out. */
	assert_int_equal(tcp_recv(c, b, sizeof(b), 0), RCVBUF);
	peer_expect(1, TCP_ACK, OUR_ISS + 1, seq, WND, 0);
}

/*
 * Transmit batching: the segments one tcp_output sends go out inside a
 * hold, so a device is told once, at the flush; a lone ACK is told at
 * once. Initial window: 4 segments of the default MSS (RFC 5681 3.1).
 */
static void test_burst_one_flush(void **state)
{
	static uint8_t data[5000];
	struct tcp_conn *c = open_conn(65535);

	(void)state;
	assert_int_equal(tcp_send(c, data, sizeof(data), 0), sizeof(data));
	assert_int_equal(fake.nframes, 4);
	assert_int_equal(fake.flushes, 1);
	for (int i = 0; i < 4; i++) {
		peer_expect(i, TCP_ACK, OUR_ISS + 1 + 536u * (uint32_t)i,
			    PISS + 1, WND, 536);
		assert_true(fake.held[i]);
	}
	assert_false(net_tx_held());
	fake_clear();
	/* Their ACK grows cwnd to 5 segments (3.1): one burst, one flush. */
	peer_seg(80, PISS + 1, OUR_ISS + 1 + 4 * 536, TCP_ACK, 65535, NULL, 0,
		 0);
	assert_int_equal(fake.nframes, 5);
	assert_int_equal(fake.flushes, 1);
	for (int i = 0; i < 5; i++) {
		peer_expect(i, TCP_ACK, OUR_ISS + 1 + 536u * (uint32_t)(4 + i),
			    PISS + 1, WND, 536);
		assert_true(fake.held[i]);
	}
	fake_clear();
	/* Data in: the delayed ACK alone is sent outside any hold. */
	peer_seg(80, PISS + 1, OUR_ISS + 1 + 4 * 536, TCP_ACK, 0, "x", 1, 0);
	tcp_timers(TCP_DELACK_NS);
	assert_int_equal(fake.nframes, 1);
	peer_expect(0, TCP_ACK, OUR_ISS + 1 + 9 * 536, PISS + 2, WND - 1, 0);
	assert_false(fake.held[0]);
}

/* Holds nest; the last release flushes; a release too many does nothing. */
static void test_tx_hold_nests(void **state)
{
	(void)state;
	assert_false(net_tx_held());
	net_tx_hold();
	net_tx_hold();
	net_tx_release();
	assert_true(net_tx_held());
	assert_int_equal(fake.flushes, 0);
	net_tx_release();
	assert_false(net_tx_held());
	assert_int_equal(fake.flushes, 1);
	net_tx_release();
	assert_false(net_tx_held());
	assert_int_equal(fake.flushes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) \
	cmocka_unit_test_setup_teardown(f, tcp_peer_setup, tcp_peer_teardown)
		T(test_data_both_ways),	     T(test_delayed_ack),
		T(test_out_of_order),	     T(test_retransmit),
		T(test_ack_beyond_resend),   T(test_duplicate_carries_ack),
		T(test_fast_retransmit),     T(test_partial_ack),
		T(test_keepalive),	     T(test_send_ring_wraps),
		T(test_timestamps),	     T(test_recv_ring_wraps),
		T(test_zero_window_persist), T(test_our_zero_window),
		T(test_burst_one_flush),     T(test_tx_hold_nests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
