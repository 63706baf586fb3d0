/* tcp_state_test.c - TCP handshakes, resets and closes, segment by segment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "tcp_peer.h"

#define PISS 5000u /* the peer's ISN */
/*
 * Our windows with the default 128 KiB receive ring: a SYN's is never
 * scaled, so capped at 65535; a peer that does not scale sees 65535 too;
 * a peer that does sees the field of shift 2 (65535 << 1 < 131072).
 */
#define SYN_WND 65535
#define UNSCALED_WND 65535
#define WND (131072 >> 2)

static unsigned events;

static void on_event(struct tcp_conn *c, unsigned ev)
{
	(void)c;
	events |= ev;
}

static struct tcp_conn *find(uint16_t lport, uint16_t rport)
{
	return tcp_lookup(OUR_IP, lport, PEER_IP, rport);
}

/* Listen on 80 and complete a passive open; returns the accepted conn. */
static struct tcp_conn *passive_open(void)
{
	const uint8_t want[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 2 };
	struct tseg t = {
		.sport = PEER_PORT,
		.dport = 80,
		.seq = PISS,
		.flags = TCP_SYN,
		.wnd = 8000,
		.optlen = 8,
		.opt = { 2, 4, 0x05, 0xb4, 1, 3, 3, 2 },
	};
	struct tcp_conn *l, *c;
	struct tseg r;
	int err;

	l = tcp_listen(80, 2, &err);
	assert_non_null(l);
	tcp_set_notify(l, on_event, NULL);
	peer_send(&t, 0);
	peer_frame(0, &r);
	assert_int_equal(r.flags, TCP_SYN | TCP_ACK);
	assert_int_equal(r.seq, OUR_ISS);
	assert_int_equal(r.ack, PISS + 1);
	assert_int_equal(r.wnd, SYN_WND);
	assert_int_equal(r.optlen, 8);
	assert_memory_equal(r.opt, want, 8);
	assert_null(tcp_accept(l));
	assert_false(tcp_readable(l));
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 8000, NULL, 0, 0);
	assert_int_equal(fake.nframes, 1);
	assert_true(events & TCP_EV_IN);
	c = tcp_accept(l);
	assert_non_null(c);
	assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
	assert_int_equal(c->snd_wnd, 8000u << 2); /* scaled by 2 */
	assert_int_equal(c->rcv_wscale, 2);
	assert_int_equal(c->rcv_size, TCP_RCVBUF_DEFAULT);
	assert_int_equal(TCP_RCVBUF_DEFAULT, 131072);
	assert_int_equal(c->mss, 1460);
	fake_clear();
	events = 0;
	tcp_set_notify(c, on_event, NULL);
	return c;
}

static void test_passive_open(void **state)
{
	(void)state;
	passive_open();
	/* A second listener on the port is refused. */
	int err;

	assert_null(tcp_listen(80, 1, &err));
	assert_int_equal(err, -EADDRINUSE);
}

/* A SYN-ACK without window scale: neither side scales; MSS is the peer's. */
static void test_active_open(void **state)
{
	struct tseg t = {
		.sport = 80,
		.seq = 7000,
		.ack = OUR_ISS + 1,
		.flags = TCP_SYN | TCP_ACK,
		.wnd = 4000,
		.optlen = 4,
		.opt = { 2, 4, 0x03, 0xe8 },
	};
	struct tcp_conn *c;
	int err;

	(void)state;
	c = tcp_connect(PEER_IP, 80, 0, &err);
	tcp_set_notify(c, on_event, NULL);
	assert_int_equal(tcp_state(c), TCP_SYN_SENT);
	t.dport = c->lport;
	/* A bad ACK in SYN-SENT gets a reset and changes nothing. */
	t.ack = OUR_ISS;
	peer_send(&t, 0);
	peer_expect(1, TCP_RST, OUR_ISS, 0, 0, 0);
	t.ack = OUR_ISS + 1;
	peer_send(&t, 1000);
	peer_expect(2, TCP_ACK, OUR_ISS + 1, 7001, UNSCALED_WND, 0);
	assert_int_equal(c->rcv_wscale, 0);
	assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
	assert_true(events & TCP_EV_OUT);
	assert_true(tcp_writable(c));
	assert_int_equal(c->mss, 1000);
	assert_int_equal(c->snd_wnd, 4000);
	assert_int_equal(c->cwnd, 4000); /* RFC 5681: 4 segments */
	tcp_abort(c, 0);
	peer_expect(3, TCP_RST, OUR_ISS + 1, 0, 0, 0);
}

/* A RST answering our SYN: refused. */
static void test_connect_refused(void **state)
{
	struct tcp_conn *c;
	int err;

	(void)state;
	c = tcp_connect(PEER_IP, PEER_PORT, 0, &err);
	peer_seg(c->lport, 0, OUR_ISS + 1, TCP_RST | TCP_ACK, 0, NULL, 0, 0);
	assert_int_equal(tcp_state(c), TCP_CLOSED);
	assert_int_equal(tcp_error(c), -ECONNREFUSED);
	assert_int_equal(tcp_recv(c, NULL, 0, 0), -ECONNREFUSED);
	tcp_close(c, 0);
}

static void test_simultaneous_open(void **state)
{
	struct tcp_conn *c;
	int err;

	(void)state;
	c = tcp_connect(PEER_IP, PEER_PORT, 0, &err);
	peer_seg(c->lport, 7000, 0, TCP_SYN, 4000, NULL, 0, 0);
	assert_int_equal(tcp_state(c), TCP_SYN_RECEIVED);
	peer_expect(1, TCP_SYN | TCP_ACK, OUR_ISS, 7001, SYN_WND, 0);
	peer_seg(c->lport, 7001, OUR_ISS + 1, TCP_ACK, 4000, NULL, 0, 0);
	assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
	assert_int_equal(fake.nframes, 2);
	tcp_abort(c, 0);
}

/* RFC 5961 3.2: in-window RST off RCV.NXT is challenged; exact resets. */
static void test_rst_in_window(void **state)
{
	struct tcp_conn *c = passive_open();

	(void)state;
	peer_seg(80, PISS + 101, 0, TCP_RST, 0, NULL, 0, 0);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 0);
	peer_seg(80, PISS - 100, 0, TCP_RST, 0, NULL, 0, 0);
	assert_int_equal(fake.nframes, 1); /* outside: ignored */
	assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
	peer_seg(80, PISS + 1, 0, TCP_RST, 0, NULL, 0, 0);
	assert_int_equal(fake.nframes, 1);
	assert_int_equal(tcp_state(c), TCP_CLOSED);
	assert_int_equal(tcp_error(c), -ECONNRESET);
	assert_true(events & TCP_EV_ERR);
	assert_true(tcp_readable(c));
	assert_int_equal(tcp_send(c, "x", 1, 0), -ECONNRESET);
	/* The tuple is gone: the listener answers now (an ACK: RST). */
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 0, NULL, 0, 0);
	peer_expect(1, TCP_RST, OUR_ISS + 1, 0, 0, 0);
	tcp_close(c, 0);
}

/* A SYN in a synchronized state gets a challenge ACK (RFC 5961 4.2). */
static void test_syn_challenge(void **state)
{
	struct tcp_conn *c = passive_open();

	(void)state;
	peer_seg(80, PISS + 50, 0, TCP_SYN, 0, NULL, 0, 0);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 0);
	assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
}

/* We close first: FIN-WAIT-1, -2, TIME-WAIT, then 2 MSL later gone. */
static void test_active_close(void **state)
{
	struct tcp_conn *c = passive_open(), *tw;
	uint64_t t = 5 * MS;

	(void)state;
	tcp_close(c, t);
	peer_expect(0, TCP_FIN | TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 0);
	c = find(80, PEER_PORT);
	assert_int_equal(c->state, TCP_FIN_WAIT_1);
	peer_seg(80, PISS + 1, OUR_ISS + 2, TCP_ACK, 8000, NULL, 0, t);
	assert_int_equal(c->state, TCP_FIN_WAIT_2);
	peer_seg(80, PISS + 1, OUR_ISS + 2, TCP_FIN | TCP_ACK, 8000, NULL, 0,
		 t);
	peer_expect(1, TCP_ACK, OUR_ISS + 2, PISS + 2, WND, 0);
	assert_int_equal(c->state, TCP_TIME_WAIT);
	/* The FIN again (our ACK was lost): ACKed again. */
	peer_seg(80, PISS + 1, OUR_ISS + 2, TCP_FIN | TCP_ACK, 8000, NULL, 0,
		 t);
	peer_expect(2, TCP_ACK, OUR_ISS + 2, PISS + 2, WND, 0);
	tcp_timers(t + 2 * TCP_MSL_NS - 1);
	tw = find(80, PEER_PORT);
	assert_ptr_equal(tw, c);
	tcp_timers(t + 2 * TCP_MSL_NS);
	tw = find(80, PEER_PORT);
	assert_int_equal(tw->state, TCP_LISTEN); /* the listener now */
}

/* The peer closes first: CLOSE-WAIT, EOF, then LAST-ACK. */
static void test_passive_close(void **state)
{
	struct tcp_conn *c = passive_open();
	char b[4];

	(void)state;
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_FIN | TCP_ACK, 8000, NULL, 0,
		 0);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 2, WND, 0);
	assert_int_equal(tcp_state(c), TCP_CLOSE_WAIT);
	assert_true(events & TCP_EV_HUP);
	assert_true(tcp_readable(c));
	assert_int_equal(tcp_recv(c, b, sizeof(b), 0), 0);
	assert_int_equal(tcp_send(c, "hi", 2, 0), 2); /* still allowed */
	peer_expect(1, TCP_ACK | TCP_PSH, OUR_ISS + 1, PISS + 2, WND, 2);
	tcp_close(c, 0);
	peer_expect(2, TCP_FIN | TCP_ACK, OUR_ISS + 3, PISS + 2, WND, 0);
	c = find(80, PEER_PORT);
	assert_int_equal(c->state, TCP_LAST_ACK);
	peer_seg(80, PISS + 2, OUR_ISS + 4, TCP_ACK, 8000, NULL, 0, 0);
	assert_int_equal(find(80, PEER_PORT)->state, TCP_LISTEN);
}

/* Both FINs cross: FIN-WAIT-1, CLOSING, TIME-WAIT. */
static void test_simultaneous_close(void **state)
{
	struct tcp_conn *c = passive_open();

	(void)state;
	tcp_close(c, 0);
	peer_expect(0, TCP_FIN | TCP_ACK, OUR_ISS + 1, PISS + 1, WND, 0);
	c = find(80, PEER_PORT);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_FIN | TCP_ACK, 8000, NULL, 0,
		 0);
	peer_expect(1, TCP_ACK, OUR_ISS + 2, PISS + 2, WND, 0);
	assert_int_equal(c->state, TCP_CLOSING);
	peer_seg(80, PISS + 2, OUR_ISS + 2, TCP_ACK, 8000, NULL, 0, 0);
	assert_int_equal(c->state, TCP_TIME_WAIT);
	assert_int_equal(fake.nframes, 2);
}

/*
 * As on Linux, the accept queue takes backlog + 1 connections; a SYN is
 * dropped while it is fuller than backlog, and the peer's retransmitted
 * SYN gets in once accept() made room.
 */
static void test_backlog(void **state)
{
	struct tseg t = { .dport = 90, .seq = 1, .flags = TCP_SYN, .wnd = 1000 };
	struct tcp_conn *l;
	int err;

	(void)state;
	l = tcp_listen(90, 1, &err);
	for (uint16_t i = 0; i < 2; i++) { /* two established */
		t.sport = (uint16_t)(PEER_PORT + i);
		t.seq = 1;
		t.flags = TCP_SYN;
		peer_send(&t, 0);
		t.seq = 2;
		t.ack = OUR_ISS + 1;
		t.flags = TCP_ACK;
		peer_send(&t, 0);
	}
	fake_clear();
	t.sport = PEER_PORT + 2;
	t.seq = 1;
	t.ack = 0;
	t.flags = TCP_SYN;
	peer_send(&t, 0);
	assert_int_equal(fake.nframes, 0); /* full: dropped */
	assert_non_null(tcp_accept(l));
	peer_send(&t, 0); /* the retry */
	peer_expect(0, TCP_SYN | TCP_ACK, OUR_ISS, 2, SYN_WND, 0);
	tcp_close(l, 0); /* resets the two children */
	assert_int_equal(fake.nframes, 3);
}

/* A connection from the peer's port sport, established and accepted. */
static struct tcp_conn *accepted_from(struct tcp_conn *l, uint16_t sport,
				      uint64_t now)
{
	struct tseg t = { .sport = sport,
			  .dport = 80,
			  .seq = PISS,
			  .flags = TCP_SYN,
			  .wnd = 8000 };
	struct tcp_conn *c;

	fake_clear();
	peer_send(&t, now);
	t.seq = PISS + 1;
	t.ack = OUR_ISS + 1;
	t.flags = TCP_ACK;
	peer_send(&t, now);
	c = tcp_accept(l);
	assert_non_null(c);
	return c;
}

/* The same, then closed by us and by the peer: left in TIME-WAIT. */
static void time_wait_from(struct tcp_conn *l, uint16_t sport, uint64_t now)
{
	struct tseg t = { .sport = sport,
			  .dport = 80,
			  .seq = PISS + 1,
			  .ack = OUR_ISS + 2,
			  .flags = TCP_FIN | TCP_ACK,
			  .wnd = 8000 };

	tcp_close(accepted_from(l, sport, now), now);
	peer_send(&t, now); /* our FIN acked, and the peer's FIN */
	assert_int_equal(find(80, sport)->state, TCP_TIME_WAIT);
}

/* Fails the next allocation only, then allocates again. */
static int fail_next;

static void *fail_once_alloc(size_t n)
{
	if (fail_next) {
		fail_next = 0;
		return NULL;
	}
	return malloc(n);
}

/*
 * With no memory for a new connection, the TIME-WAIT that ends first
 * makes room, rather than the SYN being dropped (a server closing first
 * leaves a TIME-WAIT a connection; refusing SYNs for them stalled every
 * new client for seconds).
 */
static void test_time_wait_makes_room(void **state)
{
	struct tseg t = { .sport = PEER_PORT + 100,
			  .dport = 80,
			  .seq = PISS,
			  .flags = TCP_SYN,
			  .wnd = 8000 };
	struct tcp_conn *l;
	struct tseg r;
	int err;

	(void)state;
	l = tcp_listen(80, 16, &err);
	assert_non_null(l);
	for (int i = 0; i < 8; i++)
		time_wait_from(l, (uint16_t)(PEER_PORT + i), (uint64_t)i * MS);
	fake_clear();
	net_set_allocator(fail_once_alloc, free);
	fail_next = 1;
	peer_send(&t, 8 * MS);
	peer_frame(0, &r);
	assert_int_equal(r.flags, TCP_SYN | TCP_ACK);
	assert_ptr_equal(find(80, PEER_PORT), l); /* the oldest went */
	assert_int_equal(find(80, PEER_PORT + 1)->state, TCP_TIME_WAIT);

	/* Without a TIME-WAIT to give up, no memory drops the SYN. */
	tcp_close(l, 0);
	tcp_shutdown();
	l = tcp_listen(80, 16, &err);
	for (int i = 0; i < 8; i++)
		accepted_from(l, (uint16_t)(PEER_PORT + i), 0);
	fake_clear();
	fail_next = 1;
	peer_send(&t, 0);
	assert_int_equal(fake.nframes, 0);
	net_set_allocator(malloc, free);
}

/*
 * No fixed table: thousands of connections are found by their 4-tuple,
 * each segment reaching its own (the table once held 256, so the 128th
 * loopback connection's SYN was dropped for ever).
 */
static void test_many_connections(void **state)
{
	enum { N = 3000 };
	static struct tcp_conn *conns[N];
	struct tcp_conn *l;
	int err;

	(void)state;
	l = tcp_listen(80, N, &err);
	assert_non_null(l);
	for (int i = 0; i < N; i++)
		conns[i] = accepted_from(l, (uint16_t)(1024 + i), 0);
	for (int i = 0; i < N; i++) {
		assert_ptr_equal(find(80, (uint16_t)(1024 + i)), conns[i]);
		assert_int_equal(conns[i]->state, TCP_ESTABLISHED);
	}
	assert_ptr_equal(find(80, 1024 + N), l); /* a new peer: the listener */
	for (int i = 0; i < N; i += 2)		 /* half of them go */
		tcp_abort(conns[i], 0);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(find(80, (uint16_t)(1024 + i)),
				 i % 2 ? conns[i] : l);
}

/*
 * Listeners and addresses: a listener bound to an address only hears
 * that address and wins over one on any address; SO_REUSEPORT listeners
 * share a port and split peers by a stable hash.
 */
static void test_listen_addresses_and_reuseport(void **state)
{
	const uint32_t lo = 0x7f000001;
	struct tcp_conn *any[2], *spec, *l, *first;
	int err, hits[2] = { 0, 0 };

	(void)state;
	any[0] = tcp_listen_on(0, 80, 4, true, &err);
	any[1] = tcp_listen_on(0, 80, 4, true, &err);
	assert_non_null(any[0]);
	assert_non_null(any[1]);
	assert_null(tcp_listen_on(0, 80, 4, false, &err));
	assert_int_equal(err, -EADDRINUSE);
	assert_null(tcp_listen_on(OUR_IP, 80, 4, false, &err));
	assert_int_equal(err, -EADDRINUSE);
	spec = tcp_listen_on(OUR_IP, 80, 4, true, &err);
	assert_non_null(spec);
	for (uint16_t p = 1000; p < 1032; p++) {
		assert_ptr_equal(tcp_lookup(OUR_IP, 80, PEER_IP, p), spec);
		first = tcp_lookup(lo, 80, PEER_IP, p);
		assert_true(first == any[0] || first == any[1]);
		assert_ptr_equal(tcp_lookup(lo, 80, PEER_IP, p), first);
		hits[first == any[1]]++;
	}
	assert_true(hits[0] > 0 && hits[1] > 0);

	l = tcp_listen_on(lo, 81, 1, false, &err);
	assert_non_null(l);
	assert_null(tcp_lookup(OUR_IP, 81, PEER_IP, PEER_PORT));
	assert_ptr_equal(tcp_lookup(lo, 81, PEER_IP, PEER_PORT), l);
	assert_non_null(tcp_listen_on(OUR_IP, 81, 1, false, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) \
	cmocka_unit_test_setup_teardown(f, tcp_peer_setup, tcp_peer_teardown)
		T(test_passive_open),
		T(test_active_open),
		T(test_connect_refused),
		T(test_simultaneous_open),
		T(test_rst_in_window),
		T(test_syn_challenge),
		T(test_active_close),
		T(test_passive_close),
		T(test_simultaneous_close),
		T(test_backlog),
		T(test_time_wait_makes_room),
		T(test_many_connections),
		T(test_listen_addresses_and_reuseport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
