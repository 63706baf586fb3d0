/* tcp_buf.c - TCP send and receive rings: sizes, allocation, resizing. */
#include <asm-generic/errno.h>

#include "lib/string.h"
#include "net/pkt.h"
#include "net/tcp_int.h"

/*
 * RFC 7323 2.2-2.3: the shift our SYN offers is the smallest that lets the
 * 16-bit window field cover the whole receive buffer, at most 14. It is
 * fixed for the life of the connection, so a buffer grown later is only
 * advertised up to 0xffff << shift.
 */
uint8_t tcp_wscale_for(size_t size)
{
	uint8_t s = 0;

	while (s < TCP_WSCALE_MAX && ((size_t)0xffff << s) < size)
		s++;
	return s;
}

int tcp_bufs_alloc(struct tcp_conn *c)
{
	c->sndbuf = net_alloc(c->snd_size);
	c->rcvbuf = net_alloc(c->rcv_size);
	if (c->sndbuf == NULL || c->rcvbuf == NULL) {
		net_free(c->sndbuf);
		net_free(c->rcvbuf);
		c->sndbuf = c->rcvbuf = NULL;
		return -ENOMEM;
	}
	c->wscale_offer = tcp_wscale_for(c->rcv_size);
	return 0;
}

static bool size_ok(size_t n)
{
	return n >= TCP_BUF_MIN && n <= TCP_BUF_MAX;
}

/*
 * Moves the used bytes of a ring (used of them from head) to the start of
 * a new one of size nsize: 0, or -ENOMEM with the old ring kept.
 */
static int ring_resize(uint8_t **ring, size_t *size, size_t *head, size_t used,
		       size_t nsize)
{
	uint8_t *n = net_alloc(nsize);

	if (n == NULL)
		return -ENOMEM;
	ring_copy_out(n, *ring, *size, *head, used);
	net_free(*ring);
	*ring = n;
	*size = nsize;
	*head = 0;
	return 0;
}

/*
 * Bytes of the receive ring in use or promised: the unread ones, then up
 * to the window edge we advertised or the end of out-of-order data held,
 * whichever is further (data is accepted up to the ring's free space,
 * which may lie past the edge a peer without window scaling was shown).
 */
static size_t rcv_committed(const struct tcp_conn *c)
{
	uint32_t edge = c->rcv_nxt;

	if (seq_gt(c->rcv_adv, edge))
		edge = c->rcv_adv;
	for (int i = 0; i < c->nooo; i++)
		if (seq_gt(c->ooo[i].end, edge))
			edge = c->ooo[i].end;
	return c->rcv_len + (edge - c->rcv_nxt);
}

static bool synchronized(const struct tcp_conn *c)
{
	return c->state != TCP_CLOSED && c->state != TCP_LISTEN &&
	       c->state != TCP_SYN_SENT && c->state != TCP_SYN_RECEIVED;
}

int tcp_set_bufsize(struct tcp_conn *c, size_t rcv, size_t snd)
{
	int err = 0;

	if (!size_ok(rcv) || !size_ok(snd))
		return -EINVAL;
	if (c->state == TCP_LISTEN) { /* for the children to come */
		c->rcv_size = rcv;
		c->snd_size = snd;
		return 0;
	}
	if (c->sndbuf && snd != c->snd_size && snd >= c->snd_len)
		err = ring_resize(&c->sndbuf, &c->snd_size, &c->snd_head,
				  c->snd_len, snd);
	/* The peer may send up to the edge we advertised: keep room for it. */
	if (err == 0 && c->rcvbuf && synchronized(c) && rcv != c->rcv_size &&
	    rcv >= rcv_committed(c))
		err = ring_resize(&c->rcvbuf, &c->rcv_size, &c->rcv_head,
				  rcv_committed(c) < c->rcv_size ?
					  rcv_committed(c) :
					  c->rcv_size,
				  rcv);
	return err;
}

void tcp_bufsize(const struct tcp_conn *c, size_t *rcv, size_t *snd)
{
	*rcv = c->rcv_size;
	*snd = c->snd_size;
}

/* TIME-WAIT: everything we sent was acknowledged. */
void tcp_sndbuf_release(struct tcp_conn *c)
{
	net_free(c->sndbuf);
	c->sndbuf = NULL;
	c->snd_head = 0;
}

/* The user closed: what arrives from now on is acknowledged, not kept. */
void tcp_rcvbuf_release(struct tcp_conn *c)
{
	net_free(c->rcvbuf);
	c->rcvbuf = NULL;
	c->rcv_head = c->rcv_len = 0;
}

void tcp_conn_free(struct tcp_conn *c)
{
	net_free(c->sndbuf);
	net_free(c->rcvbuf);
	net_free(c);
}
