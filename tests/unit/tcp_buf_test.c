/* tcp_buf_test.c - TCP buffer sizes, our window scale, advertised windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "net/pkt.h"
#include "tcp_peer.h"

#define PISS 5000u

/* Our SYN-ACK's window scale option: its shift, or -1 when absent. */
static int syn_wscale(const struct tseg *t)
{
	for (size_t i = 0; i + 2 < t->optlen; i++)
		if (t->opt[i] == 3 && t->opt[i + 1] == 3)
			return t->opt[i + 2];
	return -1;
}

/*
 * A passive open on 80 with rings of rcv and snd bytes from a peer that
 * sends window scale 7 when scaled is true (and MSS 1460); the SYN-ACK
 * goes into *synack, the accepted connection is returned.
 */
static struct tcp_conn *open_sized(size_t rcv, size_t snd, bool scaled,
				   struct tseg *synack)
{
	struct tseg t = {
		.sport = PEER_PORT,
		.dport = 80,
		.seq = PISS,
		.flags = TCP_SYN,
		.wnd = 60000,
		.opt = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 },
		.optlen = scaled ? 8 : 4,
	};
	struct tcp_conn *l, *c;
	int err;

	l = tcp_listen(80, 4, &err);
	assert_non_null(l);
	if (rcv)
		assert_int_equal(tcp_set_bufsize(l, rcv, snd), 0);
	peer_send(&t, 0);
	peer_frame(0, synack);
	assert_int_equal(synack->flags, TCP_SYN | TCP_ACK);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 60000, NULL, 0, 0);
	c = tcp_accept(l);
	assert_non_null(c);
	fake_clear();
	return c;
}

/* The smallest shift whose 16-bit window covers the ring (RFC 7323 2.3). */
static void test_wscale_for(void **state)
{
	(void)state;
	assert_int_equal(tcp_wscale_for(2048), 0);
	assert_int_equal(tcp_wscale_for(65535), 0);
	assert_int_equal(tcp_wscale_for(65536), 1);
	assert_int_equal(tcp_wscale_for(131070), 1);
	assert_int_equal(tcp_wscale_for(131072), 2);
	assert_int_equal(tcp_wscale_for(262140), 2);
	assert_int_equal(tcp_wscale_for(425984), 3); /* SO_RCVBUF's max */
	assert_int_equal(tcp_wscale_for(4u << 20), 7);
	assert_int_equal(tcp_wscale_for((size_t)1 << 31), 14); /* capped */
}

/* A peer without window scaling never sees a window above 65535. */
static void test_unscaled_peer_capped(void **state)
{
	static char data[1400];
	struct tcp_conn *c;
	struct tseg syn;
	uint32_t seq = PISS + 1;

	(void)state;
	c = open_sized(200000, 65536, false, &syn);
	assert_int_equal(syn_wscale(&syn), -1); /* not offered back */
	assert_int_equal(syn.wnd, 65535);
	assert_int_equal(c->rcv_wscale, 0);
	/* Unread data: the window stays 65535 while 65535 are free... */
	for (int i = 0; i < 96; i++, seq += sizeof(data))
		peer_seg(80, seq, OUR_ISS + 1, TCP_ACK, 60000, data,
			 sizeof(data), 0);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 1 + 2 * 1400, 65535, 0);
	/* ...then it is what is free: 200000 - 96 * 1400 = 65600, then less. */
	peer_seg(80, seq, OUR_ISS + 1, TCP_ACK, 60000, data, sizeof(data), 0);
	seq += sizeof(data);
	peer_seg(80, seq, OUR_ISS + 1, TCP_ACK, 60000, data, sizeof(data), 0);
	seq += sizeof(data);
	peer_expect(fake.nframes - 1, TCP_ACK, OUR_ISS + 1, seq,
		    200000 - 98 * 1400, 0);
	for (int i = 0; i < fake.nframes; i++) {
		struct tseg t;

		peer_frame(i, &t);
		assert_true(t.wnd <= 65535);
	}
}

/* A large SO_RCVBUF: shift 3, the SYN's window unscaled, then scaled. */
static void test_large_rcvbuf_shift(void **state)
{
	static char data[1000];
	struct tcp_conn *c;
	struct tseg syn;

	(void)state;
	c = open_sized(425984, 65536, true, &syn);
	assert_int_equal(syn_wscale(&syn), 3);
	assert_int_equal(syn.wnd, 65535); /* RFC 7323 2.2 */
	assert_int_equal(c->rcv_wscale, 3);
	assert_int_equal(c->snd_wscale, 7);
	assert_int_equal(c->snd_wnd, 60000u << 7);
	/* 1000 bytes unread: 424984 free, 53123 units of 8 (424984 / 8). */
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 60000, data, 1000, 0);
	peer_expect(0, TCP_ACK, OUR_ISS + 1, PISS + 1001, 424984 >> 3, 0);
	assert_int_equal(c->rcv_adv, PISS + 1001 + 424984);
}

/*
 * RFC 7323 2.4: with shift 3, bytes received and not read pull a
 * rounded-down edge back by up to 7 at times: the window is rounded up
 * then, so the right edge never moves left.
 */
static void test_right_edge_never_recedes(void **state)
{
	const uint32_t honest = PISS + 1 + 425984; /* nothing is read */
	struct tcp_conn *c;
	struct tseg syn, t;
	uint32_t edge = 0, seq = PISS + 1;
	int rounded_up = 0;

	(void)state;
	c = open_sized(425984, 65536, true, &syn);
	peer_seg(80, seq++, OUR_ISS + 1, TCP_ACK, 60000, "x", 1, 0);
	peer_frame(0, &t);
	assert_int_equal(t.wnd, 425976 >> 3); /* 425983 free, rounded down */
	for (int i = 1; i < 24; i++) {
		peer_seg(80, seq++, OUR_ISS + 1, TCP_ACK, 60000, "x", 1,
			 (uint64_t)i * TCP_DELACK_NS);
		tcp_timers((uint64_t)i * TCP_DELACK_NS + TCP_DELACK_NS / 2);
	}
	assert_int_equal(c->rcv_len, 24);
	assert_true(fake.nframes >= 12);
	for (int i = 0; i < fake.nframes; i++) {
		uint32_t e, down;

		peer_frame(i, &t);
		e = t.ack + ((uint32_t)t.wnd << 3);
		down = t.ack + ((honest - t.ack) & ~7u);
		assert_true(i == 0 || seq_ge(e, edge));
		assert_true(seq_ge(e, down));
		rounded_up += e != down;
		edge = e;
	}
	assert_true(rounded_up > 0);
	assert_int_equal(c->rcv_adv, edge);
}

/* SO_RCVBUF/SO_SNDBUF on a listener: its children get those rings. */
static void test_listener_sizes_propagate(void **state)
{
	static char big[10000];
	struct tcp_conn *c;
	struct tseg syn;
	size_t rcv, snd;

	(void)state;
	c = open_sized(8192, 4608, true, &syn);
	tcp_bufsize(c, &rcv, &snd);
	assert_int_equal(rcv, 8192);
	assert_int_equal(snd, 4608);
	assert_int_equal(syn_wscale(&syn), 0); /* 8192 fits 16 bits */
	assert_int_equal(syn.wnd, 8192);
	assert_int_equal(tcp_send(c, big, sizeof(big), 0), 4608);
	assert_int_equal(tcp_send(c, big, sizeof(big), 0), -EAGAIN);
}

/* Sizes out of range are refused before anything is allocated. */
static void test_bad_sizes(void **state)
{
	struct tcp_conn *l;
	int err;

	(void)state;
	l = tcp_listen(80, 1, &err);
	assert_int_equal(tcp_set_bufsize(l, TCP_BUF_MIN - 1, 65536), -EINVAL);
	assert_int_equal(tcp_set_bufsize(l, 65536, TCP_BUF_MAX + 1), -EINVAL);
	assert_null(tcp_connect_from(0, PEER_IP, 80, 100, 65536, 0, &err));
	assert_int_equal(err, -EINVAL);
	assert_int_equal(fake.nframes, 0);
}

/* An active open offers the shift of its ring; the SYN window is not scaled. */
static void test_connect_offers_shift(void **state)
{
	struct tcp_conn *c;
	struct tseg t;
	int err;

	(void)state;
	c = tcp_connect_from(0, PEER_IP, 80, 1u << 20, 16384, 0, &err);
	assert_non_null(c);
	peer_frame(0, &t);
	assert_int_equal(t.flags, TCP_SYN);
	assert_int_equal(syn_wscale(&t), 5); /* 65535 << 4 < 1 MiB */
	assert_int_equal(t.wnd, 65535);
	tcp_abort(c, 0);
}

/* Established: the send ring grows keeping its bytes, shrinks only empty. */
static void test_resize_established(void **state)
{
	static char out[6000], got[6000];
	struct tcp_conn *c;
	struct tseg syn;
	size_t rcv, snd;

	(void)state;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 13 + 1);
	c = open_sized(8192, 8192, false, &syn);
	/* The peer's window is closed: everything stays in the ring. */
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 0, NULL, 0, 0);
	assert_int_equal(tcp_send(c, out, 5000, 0), 5000);
	assert_int_equal(tcp_set_bufsize(c, 8192, 4608), 0);
	tcp_bufsize(c, &rcv, &snd);
	assert_int_equal(snd, 8192); /* 5000 queued: kept */
	assert_int_equal(tcp_set_bufsize(c, 8192, 65536), 0);
	tcp_bufsize(c, &rcv, &snd);
	assert_int_equal(snd, 65536);
	assert_int_equal(tcp_send(c, out + 5000, 1000, 0), 1000);
	assert_memory_equal(c->sndbuf, out, 6000);
	/* The receive ring: not below what the window promised (8192). */
	assert_int_equal(tcp_set_bufsize(c, 4096, 65536), 0);
	tcp_bufsize(c, &rcv, &snd);
	assert_int_equal(rcv, 8192);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 0, out, 1400, 0);
	peer_seg(80, PISS + 1401, OUR_ISS + 1, TCP_ACK, 0, out + 1400, 1400, 0);
	assert_int_equal(tcp_set_bufsize(c, 16384, 65536), 0);
	tcp_bufsize(c, &rcv, &snd);
	assert_int_equal(rcv, 16384);
	assert_int_equal(tcp_recv(c, got, sizeof(got), 0), 2800);
	assert_memory_equal(got, out, 2800);
}

/* Allocation failure: no crash, -ENOMEM, no SYN-ACK, nothing leaked. */
static size_t fail_from;
static void *failing_alloc(size_t n)
{
	return n >= fail_from ? NULL : malloc(n);
}

static void test_out_of_memory(void **state)
{
	struct tseg t = {
		.sport = PEER_PORT,
		.dport = 80,
		.seq = PISS,
		.flags = TCP_SYN,
		.wnd = 60000,
	};
	struct tcp_conn *l;
	int err;

	(void)state;
	l = tcp_listen(80, 4, &err);
	assert_non_null(l);
	fail_from = 65536; /* the default send ring, not the tcp_conn */
	net_set_allocator(failing_alloc, free);
	assert_null(tcp_connect(PEER_IP, 80, 0, &err));
	assert_int_equal(err, -ENOMEM);
	/* A SYN costs no ring: the rings come with the handshake's ACK. */
	peer_send(&t, 0);
	peer_expect(0, TCP_SYN | TCP_ACK, OUR_ISS, PISS + 1, 65535, 0);
	fake_clear();
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 60000, NULL, 0, 0);
	peer_expect(0, TCP_RST, OUR_ISS + 1, 0, 0, 0); /* no memory: reset */
	assert_false(tcp_busy());
	assert_null(tcp_accept(l));
	net_set_allocator(malloc, free);
	fake_clear();
	peer_send(&t, 1); /* the peer tries again */
	peer_expect(0, TCP_SYN | TCP_ACK, OUR_ISS, PISS + 1, 65535, 0);
	peer_seg(80, PISS + 1, OUR_ISS + 1, TCP_ACK, 60000, NULL, 0, 1);
	assert_non_null(tcp_accept(l));
}

/*
 * Out-of-order data may lie past the edge a peer without window scaling
 * was shown (the ring takes what it has room for): a resize keeps it,
 * and a shrink that would cut it off is refused.
 */
static void test_resize_keeps_out_of_order(void **state)
{
	static char a[1000], b[1000], got[1000];
	struct tcp_conn *c;
	struct tseg syn;
	size_t rcv, snd;
	uint32_t seq = PISS + 1;

	(void)state;
	memset(a, 'A', sizeof(a));
	memset(b, 'B', sizeof(b));
	c = open_sized(0, 0, false, &syn); /* 131072 ring, window <= 65535 */
	peer_seg(80, seq + 100000, OUR_ISS + 1, TCP_ACK, 60000, a, 1000, 0);
	assert_int_equal(c->nooo, 1);
	assert_int_equal(tcp_set_bufsize(c, 66000, 65536), 0);
	tcp_bufsize(c, &rcv, &snd);
	assert_int_equal(rcv, 131072); /* refused: 101000 committed */
	assert_int_equal(tcp_set_bufsize(c, 262144, 65536), 0);
	tcp_bufsize(c, &rcv, &snd);
	assert_int_equal(rcv, 262144);
	for (int i = 0; i < 100; i++, seq += 1000)
		peer_seg(80, seq, OUR_ISS + 1, TCP_ACK, 60000, b, 1000, 0);
	assert_int_equal(c->rcv_len, 101000);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(tcp_recv(c, got, 1000, 0), 1000);
		assert_memory_equal(got, b, 1000);
	}
	assert_int_equal(tcp_recv(c, got, 1000, 0), 1000);
	assert_memory_equal(got, a, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wscale_for),
#define T(f) \
	cmocka_unit_test_setup_teardown(f, tcp_peer_setup, tcp_peer_teardown)
		T(test_unscaled_peer_capped),
		T(test_large_rcvbuf_shift),
		T(test_right_edge_never_recedes),
		T(test_listener_sizes_propagate),
		T(test_bad_sizes),
		T(test_connect_offers_shift),
		T(test_resize_established),
		T(test_out_of_memory),
		T(test_resize_keeps_out_of_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
