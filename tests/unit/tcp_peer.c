/* tcp_peer.c - a scripted TCP peer for the TCP tests, over net_fake. */
#include "tcp_peer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <cmocka.h>

static uint32_t fixed_isn(uint32_t laddr, uint16_t lport, uint32_t raddr,
			  uint16_t rport, uint64_t now)
{
	(void)laddr, (void)lport, (void)raddr, (void)rport, (void)now;
	return OUR_ISS;
}

int tcp_peer_setup(void **state)
{
	if (fake_setup(state))
		return -1;
	fake_learn(PEER_IP, peer_mac, 0);
	fake_clear();
	tcp_init();
	tcp_set_isn(fixed_isn);
	return 0;
}

int tcp_peer_teardown(void **state)
{
	tcp_shutdown();
	tcp_set_isn(NULL);
	return fake_teardown(state);
}

void peer_send(const struct tseg *t, uint64_t now)
{
	uint8_t seg[1500], f[1600];
	size_t hlen = TCP_HLEN + t->optlen, n;

	memset(seg, 0, hlen);
	be16_store(seg, t->sport);
	be16_store(seg + 2, t->dport);
	be32_store(seg + 4, t->seq);
	be32_store(seg + 8, t->ack);
	seg[12] = (uint8_t)(hlen / 4 << 4);
	seg[13] = t->flags;
	be16_store(seg + 14, t->wnd);
	memcpy(seg + TCP_HLEN, t->opt, t->optlen);
	if (t->len)
		memcpy(seg + hlen, t->data, t->len);
	be16_store(seg + 16, tcp_checksum(PEER_IP, OUR_IP, seg, hlen + t->len));
	n = fake_ip_frame(f, PEER_IP, OUR_IP, IP_PROTO_TCP, seg, hlen + t->len);
	net_input(&fake.nif, f, n, now);
}

void peer_seg(uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
	      uint16_t wnd, const void *data, size_t len, uint64_t now)
{
	struct tseg t = {
		.sport = PEER_PORT,
		.dport = dport,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.wnd = wnd,
		.data = data,
		.len = len,
	};

	peer_send(&t, now);
}

void peer_frame(int i, struct tseg *t)
{
	const uint8_t *ip, *h;
	size_t iplen, hlen;

	assert_true(i < fake.nframes);
	ip = fake.frame[i] + 14;
	assert_int_equal(ip[9], IP_PROTO_TCP);
	assert_int_equal(be32_load(ip + 16), PEER_IP);
	iplen = be16_load(ip + 2);
	h = ip + 20;
	assert_int_equal(tcp_checksum(OUR_IP, PEER_IP, h, iplen - 20), 0);
	hlen = (size_t)(h[12] >> 4) * 4;
	memset(t, 0, sizeof(*t));
	t->sport = be16_load(h);
	t->dport = be16_load(h + 2);
	t->seq = be32_load(h + 4);
	t->ack = be32_load(h + 8);
	t->flags = h[13];
	t->wnd = be16_load(h + 14);
	t->optlen = hlen - TCP_HLEN;
	memcpy(t->opt, h + TCP_HLEN, t->optlen);
	t->data = h + hlen;
	t->len = iplen - 20 - hlen;
}

void peer_expect(int i, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		 size_t len)
{
	struct tseg t;

	peer_frame(i, &t);
	assert_int_equal(t.flags, flags);
	assert_int_equal(t.seq, seq);
	assert_int_equal(t.ack, ack);
	assert_int_equal(t.wnd, wnd);
	assert_int_equal(t.len, len);
}
