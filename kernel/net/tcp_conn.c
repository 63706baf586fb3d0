/* tcp_conn.c - TCP connections: creation, lifetimes, listen/accept/connect. */
#include <asm-generic/errno.h>

#include "lib/string.h"
#include "net/ipv4.h"
#include "net/netif.h"
#include "net/pkt.h"
#include "net/tcp_int.h"

static tcp_isn_fn *isn_fn;
static uint16_t next_ephemeral = 49152; /* RFC 6335 dynamic ports */

void tcp_init(void)
{
	ipv4_tcp_input = tcp_input;
}

void tcp_set_isn(tcp_isn_fn *fn)
{
	isn_fn = fn;
}

/*
 * RFC 9293 3.4.1 asks for a 4 us clock plus a keyed hash of the 4-tuple
 * (RFC 6528). This mixes the tuple without a secret key: a placeholder
 * until the kernel's random source is plumbed in.
 */
uint32_t tcp_isn(const struct tcp_conn *c, uint64_t now)
{
	uint32_t h;

	if (isn_fn)
		return isn_fn(c->laddr, c->lport, c->raddr, c->rport, now);
	h = c->laddr * 2654435761u ^ c->raddr * 40503u ^
	    ((uint32_t)c->lport << 16 | c->rport) * 2246822519u;
	h ^= h >> 15;
	return h + (uint32_t)(now / 4000);
}

/*
 * Out of memory, the TIME-WAIT connection that ends first gives up its
 * place; false when there is none. TIME-WAIT only answers a peer's
 * retransmitted FIN, while a refused SYN stalls a new client for seconds
 * (Linux too drops TIME-WAIT states when it has no room for them).
 */
static bool reclaim_time_wait(void)
{
	struct tcp_conn *old = NULL;

	for (struct tcp_conn *c = tcp_conns; c; c = c->next)
		if (c->state == TCP_TIME_WAIT &&
		    (old == NULL || c->tw_at < old->tw_at))
			old = c;
	if (old == NULL)
		return false;
	tcp_set_closed(old, 0);
	return true;
}

/*
 * A zeroed connection, CLOSED, with the default buffer sizes but no
 * buffers yet (tcp_bufs_alloc); NULL when out of memory. The caller sets
 * its addresses and ports, then puts it in the table (tcp_table_add).
 * There is no limit but memory, as on Linux.
 */
struct tcp_conn *tcp_conn_new(struct netif *nif)
{
	struct tcp_conn *c = net_alloc(sizeof(*c));

	if (!c && reclaim_time_wait())
		c = net_alloc(sizeof(*c));
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->nif = nif;
	c->rto = TCP_RTO_INIT_NS;
	c->rcv_size = TCP_RCVBUF_DEFAULT;
	c->snd_size = TCP_SNDBUF_DEFAULT;
	return c;
}

/* A child still owned by its listener leaves the listener's counts. */
static void unlink_child(struct tcp_conn *c)
{
	struct tcp_conn *l = c->listener;

	for (struct tcp_conn **pp = &l->acceptq; c->in_acceptq && *pp;
	     pp = &(*pp)->accept_next)
		if (*pp == c) {
			*pp = c->accept_next;
			c->in_acceptq = false;
			l->queued--;
			break;
		}
	l->children--;
	c->listener = NULL;
}

void tcp_notify(struct tcp_conn *c, unsigned events)
{
	if (c->notify)
		c->notify(c, events);
}

/*
 * The connection is over (RFC 9293 "delete the TCB"): it leaves the table
 * so further segments are answered with RST. It is freed at once unless
 * the socket layer still holds it; then err (0 or -ECONNRESET...) is kept
 * for it. Callers must not touch c afterwards.
 */
void tcp_set_closed(struct tcp_conn *c, int err)
{
	c->state = TCP_CLOSED;
	c->rexmt_at = c->persist_at = c->tw_at = 0;
	if (err)
		c->error = err;
	tcp_table_remove(c);
	if (c->listener)
		unlink_child(c);
	if (!c->user) {
		tcp_conn_free(c);
		return;
	}
	tcp_notify(c, TCP_EV_IN | TCP_EV_OUT | TCP_EV_HUP |
			      (err ? TCP_EV_ERR : 0));
}

/* SYN-RECEIVED or SYN-SENT becomes ESTABLISHED: tell whoever waits. */
void tcp_established(struct tcp_conn *c)
{
	struct tcp_conn *l = c->listener, **pp;

	c->state = TCP_ESTABLISHED;
	if (!l) {
		tcp_notify(c, TCP_EV_OUT);
		return;
	}
	for (pp = &l->acceptq; *pp; pp = &(*pp)->accept_next)
		;
	*pp = c;
	c->in_acceptq = true;
	l->queued++;
	tcp_notify(l, TCP_EV_IN);
}

/* Two listeners may share a port when their addresses differ or both asked. */
static bool listen_clash(const struct tcp_conn *l, uint32_t laddr,
			 bool reuseport)
{
	if (l->laddr && laddr && l->laddr != laddr)
		return false;
	return !(reuseport && l->reuseport);
}

struct tcp_conn *tcp_listen_on(uint32_t laddr, uint16_t port, int backlog,
			       bool reuseport, int *err)
{
	struct tcp_conn *c;

	*err = -EINVAL;
	if (port == 0 || backlog < 1)
		return NULL;
	*err = -EADDRINUSE;
	for (c = tcp_listener_on(port); c; c = tcp_listener_next(c))
		if (listen_clash(c, laddr, reuseport))
			return NULL;
	*err = -ENOMEM;
	c = tcp_conn_new(NULL);
	if (!c)
		return NULL;
	c->state = TCP_LISTEN;
	c->laddr = laddr;
	c->lport = port;
	c->backlog = backlog;
	c->reuseport = reuseport;
	c->user = true;
	tcp_table_add(c);
	*err = 0;
	return c;
}

struct tcp_conn *tcp_listen(uint16_t port, int backlog, int *err)
{
	return tcp_listen_on(0, port, backlog, false, err);
}

struct tcp_conn *tcp_accept(struct tcp_conn *l)
{
	struct tcp_conn *c = l->acceptq;

	if (l->state != TCP_LISTEN || !c)
		return NULL;
	unlink_child(c);
	c->user = true;
	return c;
}

/* A local port no connection or listener uses; 0 when all are taken. */
static uint16_t ephemeral_port(void)
{
	for (int tries = 0; tries < 16384; tries++) {
		uint16_t p = next_ephemeral;
		struct tcp_conn *c = tcp_conns;

		next_ephemeral = p == 65535 ? 49152 : (uint16_t)(p + 1);
		while (c && c->lport != p)
			c = c->next;
		if (!c)
			return p;
	}
	return 0;
}

struct tcp_conn *tcp_connect(uint32_t dst, uint16_t port, uint64_t now,
			     int *err)
{
	return tcp_connect_from(0, dst, port, TCP_RCVBUF_DEFAULT,
				TCP_SNDBUF_DEFAULT, now, err);
}

/* RFC 9293 3.10.1, OPEN call in CLOSED state, active. */
struct tcp_conn *tcp_connect_from(uint16_t lport, uint32_t dst, uint16_t port,
				  size_t rcvbuf, size_t sndbuf, uint64_t now,
				  int *err)
{
	struct netif *nif;
	struct tcp_conn *c;
	uint32_t src;

	*err = net_route(dst, &nif, &src);
	if (*err)
		return NULL;
	*err = -EINVAL;
	if (port == 0 || dst == 0 || rcvbuf < TCP_BUF_MIN ||
	    rcvbuf > TCP_BUF_MAX || sndbuf < TCP_BUF_MIN ||
	    sndbuf > TCP_BUF_MAX)
		return NULL;
	*err = -EADDRNOTAVAIL;
	if (lport == 0)
		lport = ephemeral_port();
	if (!lport || tcp_lookup(src, lport, dst, port))
		return NULL;
	*err = -ENOMEM;
	c = tcp_conn_new(nif);
	if (!c)
		return NULL;
	c->rcv_size = rcvbuf;
	c->snd_size = sndbuf;
	if (tcp_bufs_alloc(c) < 0) {
		tcp_conn_free(c);
		return NULL;
	}
	c->laddr = src;
	c->lport = lport;
	c->raddr = dst;
	c->rport = port;
	tcp_table_add(c);
	c->user = true;
	c->state = TCP_SYN_SENT;
	c->mss = (uint16_t)(nif->mtu - 40);
	c->iss = tcp_isn(c, now);
	c->snd_una = c->snd_sml = c->iss;
	c->snd_base = c->iss + 1;
	tcp_send_syn(c, now);
	*err = 0;
	return c;
}

bool tcp_busy(void)
{
	for (struct tcp_conn *c = tcp_conns; c; c = c->next)
		if (c->state != TCP_LISTEN)
			return true;
	return false;
}

/*
 * For net_flush at pid 1's exit: what a loopback connection still owes
 * goes to a process that ends with the VM, and nothing reads it.
 */
size_t tcp_unacked(void)
{
	size_t n = 0;

	for (struct tcp_conn *c = tcp_conns; c; c = c->next)
		if (tcp_may_send_data(c) && !c->nif->loopback)
			n += c->snd_len + (c->fin_queued && !tcp_fin_acked(c));
	return n;
}
