/* loopback_test.c - the loopback interface: TCP and routing over 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "net/icmp.h"
#include "net/loopback.h"
#include "net/tcp_int.h"
#include "net/udp.h"
#include "net_fake.h"

#define LO IPV4_ADDR(127, 0, 0, 1)

static int kicks;

static void count_kick(void)
{
	kicks++;
}

static int setup(void **state)
{
	if (fake_setup(state))
		return -1;
	kicks = 0;
	tcp_init();
	return loopback_attach(count_kick) ? 0 : -1;
}

static int teardown(void **state)
{
	tcp_shutdown();
	loopback_detach();
	return fake_teardown(state);
}

/* Routing: 127/8 and our own address go to loopback, the rest out. */
static void test_route(void **state)
{
	struct netif *nif;
	uint32_t src;

	(void)state;
	assert_int_equal(net_route(LO, &nif, &src), 0);
	assert_true(nif->loopback);
	assert_int_equal(src, LO);
	assert_int_equal(net_route(IPV4_ADDR(127, 9, 9, 9), &nif, &src), 0);
	assert_true(nif->loopback);
	assert_int_equal(src, LO);
	assert_int_equal(net_route(OUR_IP, &nif, &src), 0);
	assert_true(nif->loopback);
	assert_int_equal(src, OUR_IP);
	assert_int_equal(net_route(GW_IP, &nif, &src), 0);
	assert_ptr_equal(nif, &fake.nif);
	assert_int_equal(src, OUR_IP);
	assert_ptr_equal(net_default_netif(), &fake.nif);
	assert_true(net_addr_local(IPV4_ADDR(127, 1, 2, 3)));
	assert_true(net_addr_local(OUR_IP));
	assert_false(net_addr_local(GW_IP));
}

/* A whole connection over loopback: nothing reaches the real interface. */
static void test_tcp_over_loopback(void **state)
{
	struct tcp_conn *l, *c, *a;
	char b[16];
	int err;

	(void)state;
	l = tcp_listen(8080, 4, &err);
	assert_non_null(l);
	c = tcp_connect(LO, 8080, 0, &err);
	assert_non_null(c);
	assert_int_equal(kicks, 1); /* the SYN is queued, not received */
	assert_null(tcp_accept(l));
	loopback_drain(1); /* SYN, SYN-ACK, ACK */
	assert_int_equal(tcp_state(c), TCP_ESTABLISHED);
	a = tcp_accept(l);
	assert_non_null(a);
	assert_int_equal(tcp_send(c, "hello", 5, 2), 5);
	assert_int_equal(tcp_send(a, "world!", 6, 2), 6);
	loopback_drain(3);
	assert_int_equal(tcp_recv(a, b, sizeof(b), 4), 5);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(tcp_recv(c, b, sizeof(b), 4), 6);
	assert_memory_equal(b, "world!", 6);
	tcp_close(c, 5);
	loopback_drain(6);
	assert_int_equal(tcp_recv(a, b, sizeof(b), 7), 0); /* EOF */
	tcp_close(a, 7);
	loopback_drain(8);
	assert_int_equal(fake.nframes, 0);
	assert_int_equal(fake.nif.stats.tx_drop, 0);
}

/* A closed port answers with RST: the connect is refused. */
static void test_refused(void **state)
{
	struct tcp_conn *c;
	int err;

	(void)state;
	c = tcp_connect(LO, 9, 0, &err);
	assert_non_null(c);
	loopback_drain(1);
	assert_int_equal(tcp_state(c), TCP_CLOSED);
	assert_int_equal(tcp_error(c), -ECONNREFUSED);
	tcp_close(c, 2);
}

/* Bulk data in both directions: flow control over loopback holds. */
static void test_bulk(void **state)
{
	static char out[100000], in[100000];
	struct tcp_conn *l, *c, *a;
	size_t sent = 0, got = 0;
	int err, rounds = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	l = tcp_listen(80, 1, &err);
	c = tcp_connect(LO, 80, 0, &err);
	loopback_drain(1);
	a = tcp_accept(l);
	assert_non_null(a);
	/* 1 ms a round: a short last segment waits for a delayed ACK. */
	while (got < sizeof(in) && rounds++ < 1000) {
		uint64_t now = 2 + (uint64_t)rounds * MS;
		long n = tcp_send(c, out + sent, sizeof(out) - sent, now);

		if (n > 0)
			sent += (size_t)n;
		loopback_drain(now);
		n = tcp_recv(a, in + got, sizeof(in) - got, now);
		if (n > 0)
			got += (size_t)n;
		tcp_timers(now);
		loopback_drain(now);
	}
	assert_int_equal(got, sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
}

/* A full queue drops (and counts) instead of growing without bound. */
static void test_queue_limit(void **state)
{
	struct netif *lo;
	uint32_t src;

	(void)state;
	assert_int_equal(net_route(LO, &lo, &src), 0);
	for (int i = 0; i < LOOPBACK_QUEUE_MAX; i++)
		assert_int_equal(udp_output(lo, 1, LO, 2, "x", 1, 0), 0);
	assert_int_equal(udp_output(lo, 1, LO, 2, "x", 1, 0), -ENOBUFS);
	assert_int_equal(lo->stats.tx_drop, 1);
	assert_int_equal(kicks, 1);
	loopback_drain(1);
	/* Each got a port unreachable, rate-limited, received in turn. */
	assert_int_equal(lo->stats.rx_no_port, LOOPBACK_QUEUE_MAX);
	assert_int_equal(lo->stats.rx_frames,
			 LOOPBACK_QUEUE_MAX + ICMP_RATE_BURST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_route), T(test_tcp_over_loopback), T(test_refused),
		T(test_bulk),  T(test_queue_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
