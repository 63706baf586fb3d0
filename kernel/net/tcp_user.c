/* tcp_user.c - TCP user calls (RFC 9293 3.10): send, receive, close, poll. */
#include <asm-generic/errno.h>

#include "lib/string.h"
#include "net/tcp_int.h"

long tcp_send(struct tcp_conn *c, const void *buf, size_t len, uint64_t now)
{
	size_t n = c->snd_size - c->snd_len;

	if (c->error)
		return c->error;
	if (c->state == TCP_LISTEN)
		return -ENOTCONN;
	if (c->fin_queued || c->state == TCP_CLOSED)
		return -EPIPE;
	if (n == 0)
		return -EAGAIN;
	if (n > len)
		n = len;
	ring_copy_in(c->sndbuf, c->snd_size,
		     (c->snd_head + c->snd_len) % c->snd_size, buf, n);
	c->snd_len += n;
	tcp_output(c, now);
	return (long)n;
}

/*
 * After a read, tell the peer about a window that grew back past one MSS
 * (or half the buffer): the receiver's half of silly window syndrome
 * avoidance (RFC 9293 3.8.6.2.2); a peer stuck on zero also probes.
 */
static void window_update(struct tcp_conn *c, uint32_t before, uint64_t now)
{
	uint32_t half = (uint32_t)(c->rcv_size / 2);
	uint32_t mark = c->mss < half ? c->mss : half;

	if (c->state != TCP_ESTABLISHED && c->state != TCP_FIN_WAIT_1 &&
	    c->state != TCP_FIN_WAIT_2)
		return;
	if (before < mark && tcp_rcv_wnd(c) >= mark)
		tcp_send_ack(c, now);
}

/*
 * Copies up to len unread bytes from off bytes past the first, leaving
 * them unread; without any there, what tcp_recv reports.
 */
long tcp_peek(const struct tcp_conn *c, void *buf, size_t off, size_t len)
{
	size_t n;

	if (c->state == TCP_LISTEN)
		return -ENOTCONN;
	if (c->rcv_len <= off) {
		if (c->error)
			return c->error;
		if (c->fin_rcvd || c->state == TCP_CLOSED)
			return 0;
		return -EAGAIN;
	}
	n = c->rcv_len - off < len ? c->rcv_len - off : len;
	ring_copy_out(buf, c->rcvbuf, c->rcv_size,
		      (c->rcv_head + off) % c->rcv_size, n);
	return (long)n;
}

long tcp_recv(struct tcp_conn *c, void *buf, size_t len, uint64_t now)
{
	uint32_t before = tcp_rcv_wnd(c);
	long n = tcp_peek(c, buf, 0, len);

	if (n <= 0)
		return n;
	c->rcv_head = (c->rcv_head + (size_t)n) % c->rcv_size;
	c->rcv_len -= (size_t)n;
	window_update(c, before, now);
	return n;
}

/*
 * Resets every child of listener l, accepted-pending or half-open, in one
 * walk: aborting a child takes only that child out of the table (its RST
 * reaches any peer of ours later, through the loopback queue).
 */
static void drop_children(struct tcp_conn *l, uint64_t now)
{
	for (struct tcp_conn *c = tcp_conns, *next; c; c = next) {
		next = c->next;
		if (c->listener == l)
			tcp_abort(c, now);
	}
}

/* RFC 9293 3.10.4 CLOSE call. */
void tcp_close(struct tcp_conn *c, uint64_t now)
{
	c->user = false;
	if (c->state != TCP_LISTEN)
		tcp_rcvbuf_release(c); /* nobody will read it */
	switch (c->state) {
	case TCP_ESTABLISHED:
		c->fin_queued = true;
		c->state = TCP_FIN_WAIT_1;
		tcp_output(c, now);
		return;
	case TCP_CLOSE_WAIT:
		c->fin_queued = true;
		c->state = TCP_LAST_ACK;
		tcp_output(c, now);
		return;
	case TCP_LISTEN:
		drop_children(c, now);
		tcp_set_closed(c, 0);
		return;
	case TCP_SYN_SENT:
	case TCP_CLOSED:
		tcp_set_closed(c, 0);
		return;
	case TCP_SYN_RECEIVED: /* only by simultaneous open: give up */
		tcp_abort(c, now);
		return;
	default: /* already closing */
		return;
	}
}

void tcp_close_send(struct tcp_conn *c, uint64_t now)
{
	if (c->state == TCP_ESTABLISHED)
		c->state = TCP_FIN_WAIT_1;
	else if (c->state == TCP_CLOSE_WAIT)
		c->state = TCP_LAST_ACK;
	else
		return;
	c->fin_queued = true;
	tcp_output(c, now);
}

/* RFC 9293 3.10.5 ABORT call: <SEQ=SND.NXT><CTL=RST> when synchronized. */
void tcp_abort(struct tcp_conn *c, uint64_t now)
{
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		tcp_send_flags(c, c->snd_max, TCP_RST, 0, now);
		break;
	case TCP_LISTEN:
		drop_children(c, now);
		break;
	default:
		break;
	}
	c->user = false;
	tcp_set_closed(c, 0);
}

bool tcp_fin_pending(const struct tcp_conn *c)
{
	return c->state == TCP_FIN_WAIT_1 || c->state == TCP_CLOSING ||
	       c->state == TCP_LAST_ACK;
}

void tcp_set_nodelay(struct tcp_conn *c, bool on)
{
	c->nodelay = on;
}

void tcp_set_keepalive(struct tcp_conn *c, bool on, uint64_t idle_ns,
		       uint64_t intvl_ns, int cnt)
{
	c->keepalive = on;
	c->keep_idle = idle_ns;
	c->keep_intvl = intvl_ns;
	c->keep_cnt = cnt;
	c->keep_sent = 0;
}

void tcp_set_notify(struct tcp_conn *c, tcp_notify_fn *fn, void *ctx)
{
	c->notify = fn;
	c->ctx = ctx;
}

void *tcp_ctx(const struct tcp_conn *c)
{
	return c->ctx;
}

bool tcp_readable(const struct tcp_conn *c)
{
	if (c->state == TCP_LISTEN)
		return c->acceptq != NULL;
	return c->rcv_len || c->fin_rcvd || c->error || c->state == TCP_CLOSED;
}

bool tcp_writable(const struct tcp_conn *c)
{
	if (c->error)
		return true;
	return (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) &&
	       c->snd_len < c->snd_size;
}

enum tcp_state tcp_state(const struct tcp_conn *c)
{
	return c->state;
}

int tcp_error(const struct tcp_conn *c)
{
	return c->error;
}

size_t tcp_inq(const struct tcp_conn *c)
{
	return c->rcv_len;
}

void tcp_endpoints(const struct tcp_conn *c, uint32_t *laddr, uint16_t *lport,
		   uint32_t *raddr, uint16_t *rport)
{
	*laddr = c->laddr;
	*lport = c->lport;
	*raddr = c->raddr;
	*rport = c->rport;
}
