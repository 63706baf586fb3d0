/* inet_udp.c - AF_INET sockets: SOCK_DGRAM over our UDP layer (udp(7)). */
#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/in.h>

#include "arch.h"
#include "core/heap.h"
#include "core/printk.h"
#include "lib/string.h"
#include "net/netif.h"
#include "net/socket.h"
#include "net/udp.h"

/*
 * Each bound socket links its udp_port into udp.c's table, which picks
 * the socket for each datagram (bind(7) rules, SO_REUSEPORT groups); they
 * are queued whole by inet_udp_recv, which runs in the network interrupt
 * (interrupts off, as the whole kernel runs on its one CPU, so the queue
 * needs no lock). Beyond INET_UDP_QMAX datagrams or SO_RCVBUF bytes
 * (capped at INET_UDP_QBYTES) arrivals are dropped, as Linux drops on a
 * full receive buffer. Sends that need ARP are queued by the stack.
 */
#define INET_UDP_QMAX 64
#define INET_UDP_QBYTES (256 * 1024)
#define INET_UDP_MAX 65507 /* IPv4 maximum UDP payload */
#define EPHEMERAL_LO 49152
#define EPHEMERAL_HI 65535

struct inet_dgram {
	struct inet_dgram *next;
	uint32_t src; /* host order */
	uint16_t sport;
	uint32_t len;
	uint8_t data[];
};

struct inet_sock {
	struct socket *sock;
	struct udp_port up; /* lport 0: unbound; raddr 0: no peer */
	bool laddr_auto;    /* laddr chosen by connect, not bind */
	struct inet_dgram *q_head, *q_tail;
	uint32_t q_len, q_bytes;
};

static struct inet_sock *inet_of(struct socket *s)
{
	return s->sk;
}

static uint32_t queue_limit(const struct socket *s)
{
	return s->rcvbuf > 0 && s->rcvbuf < INET_UDP_QBYTES ?
		       (uint32_t)s->rcvbuf :
		       INET_UDP_QBYTES;
}

/* udp_recv_fn: from net_input, in the interrupt handler. */
static void inet_udp_recv(void *ctx, struct netif *nif, const struct udp_rx *rx,
			  uint64_t now)
{
	struct inet_sock *in = ctx;
	struct inet_dgram *d;

	(void)now;
	if (in->q_len >= INET_UDP_QMAX ||
	    in->q_bytes + rx->len > queue_limit(in->sock) ||
	    (d = kmalloc(sizeof(*d) + rx->len)) == NULL) {
		nif->stats.rx_drop++;
		return;
	}
	d->next = NULL;
	d->src = rx->src;
	d->sport = rx->sport;
	d->len = (uint32_t)rx->len;
	memcpy(d->data, rx->data, rx->len);
	if (in->q_tail)
		in->q_tail->next = d;
	else
		in->q_head = d;
	in->q_tail = d;
	in->q_len++;
	in->q_bytes += d->len;
	poll_wake(&in->sock->ph, POLLIN | POLLRDNORM);
}

/* Bind laddr:port (port 0: an unused ephemeral one): 0 or -EADDRINUSE. */
static int port_bind(struct inet_sock *in, uint32_t laddr, uint16_t port)
{
	static uint32_t next = EPHEMERAL_LO;
	int err;

	for (int i = 0; port == 0 && i <= EPHEMERAL_HI - EPHEMERAL_LO; i++) {
		if (!udp_port_used((uint16_t)next))
			port = (uint16_t)next;
		next = next == EPHEMERAL_HI ? EPHEMERAL_LO : next + 1;
	}
	if (port == 0)
		return -EADDRINUSE;
	in->up.laddr = laddr;
	in->up.lport = port;
	in->up.reuseaddr = in->sock->reuseaddr;
	in->up.reuseport = in->sock->reuseport;
	in->up.fn = inet_udp_recv;
	in->up.ctx = in;
	err = udp_bind(&in->up);
	if (err)
		in->up.laddr = in->up.lport = 0;
	return err;
}

/* An untrusted sockaddr_in: 0 with addr and port in host order, -ERRNO. */
int inet_addr_in(const void *addr, int len, uint32_t *ip, uint16_t *port)
{
	struct sockaddr_in sin;

	if (len < (int)sizeof(sin))
		return -EINVAL;
	memcpy(&sin, addr, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*ip = __builtin_bswap32(sin.sin_addr.s_addr);
	*port = __builtin_bswap16(sin.sin_port);
	return 0;
}

/* A sockaddr_in for the application into out; its length. */
int inet_addr_out(void *out, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = __builtin_bswap32(ip);
	sin.sin_port = __builtin_bswap16(port);
	memcpy(out, &sin, sizeof(sin));
	return (int)sizeof(sin);
}

static int inet_bind(struct socket *s, const void *addr, int len)
{
	struct inet_sock *in = inet_of(s);
	uint32_t ip;
	uint16_t port;
	int err = inet_addr_in(addr, len, &ip, &port);

	if (err)
		return err;
	if (in->up.lport)
		return -EINVAL;
	if (ip != INADDR_ANY && !net_addr_local(ip))
		return -EADDRNOTAVAIL;
	return port_bind(in, ip, port);
}

static int inet_connect(struct socket *s, const void *addr, int len,
			bool nonblock)
{
	struct inet_sock *in = inet_of(s);
	struct netif *nif;
	uint32_t ip, src = 0;
	uint16_t port, family = AF_INET;
	int err;

	(void)nonblock;
	if (len >= 2)
		memcpy(&family, addr, sizeof(family));
	if (family == AF_UNSPEC) {
		if (in->laddr_auto)
			in->up.laddr = 0;
		in->laddr_auto = false;
		in->up.raddr = 0;
		in->up.rport = 0;
		s->state = SS_UNCONNECTED;
		return 0;
	}
	err = inet_addr_in(addr, len, &ip, &port);
	if (err)
		return err;
	/*
	 * udp(7): connecting also fixes the local address, the source the
	 * route gives (getsockname shows it), unless bind chose one.
	 */
	if (in->up.laddr == INADDR_ANY &&
	    (err = net_route(ip == INADDR_ANY ? INADDR_LOOPBACK : ip, &nif,
			     &src)) < 0)
		return err;
	if (in->up.lport == 0 && (err = port_bind(in, 0, 0)) < 0)
		return err;
	if (in->up.laddr == INADDR_ANY) {
		in->up.laddr = src;
		in->laddr_auto = true;
	}
	in->up.raddr = ip;
	in->up.rport = port;
	s->state = SS_CONNECTED;
	return 0;
}

/* Where this send goes: 0 with dst and dport, or -ERRNO. */
static int send_target(struct socket *s, struct sock_msg *m, uint32_t *dst,
		       uint16_t *dport)
{
	struct inet_sock *in = inet_of(s);

	if (m->namelen > 0)
		return inet_addr_in(m->name, m->namelen, dst, dport);
	if (in->up.rport == 0)
		return -EDESTADDRREQ;
	*dst = in->up.raddr;
	*dport = in->up.rport;
	return 0;
}

static long inet_sendmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *in = inet_of(s);
	struct netif *nif;
	size_t len = m->data.left;
	uint32_t dst, src;
	uint16_t dport;
	void *buf;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->shut & SOCK_SEND_SHUTDOWN)
		return sock_epipe(m);
	err = send_target(s, m, &dst, &dport);
	if (err)
		return err;
	if (dport == 0)
		return -EINVAL;
	if (len > INET_UDP_MAX)
		return -EMSGSIZE;
	if (dst == INADDR_ANY)
		dst = INADDR_LOOPBACK;
	err = net_route(dst, &nif, &src);
	if (err)
		return err;
	if (in->up.lport == 0 && (err = port_bind(in, 0, 0)) < 0)
		return err;
	buf = kmalloc(len ? len : 1);
	if (buf == NULL)
		return -ENOBUFS;
	err = msg_iter_copy_in(&m->data, buf, len);
	if (err == 0)
		err = udp_output_from(nif, src, in->up.lport, dst, dport, buf,
				      len, time_ns());
	kfree(buf);
	return err < 0 ? err : (long)len;
}

/* Drop the datagram at the head of the queue. */
static void queue_pop(struct inet_sock *in)
{
	struct inet_dgram *d = in->q_head;

	in->q_head = d->next;
	if (in->q_head == NULL)
		in->q_tail = NULL;
	in->q_len--;
	in->q_bytes -= d->len;
	kfree(d);
}

/* Wait for a datagram: 0, 1 at EOF (shut down for reading), or -ERRNO. */
static int recv_wait(struct socket *s, int flags)
{
	uint64_t deadline = sock_deadline(s->rcvtimeo_ns);
	int err;

	while (inet_of(s)->q_head == NULL) {
		err = sock_recv_wait(s, flags, deadline);
		if (err <= 0)
			return err == 0 ? 1 : err;
	}
	return 0;
}

static long inet_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *in = inet_of(s);
	struct inet_dgram *d;
	size_t k;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	err = recv_wait(s, flags);
	if (err)
		return err > 0 ? 0 : err;
	d = in->q_head;
	k = d->len < m->data.left ? d->len : m->data.left;
	if (msg_iter_copy_out(&m->data, d->data, k) < 0)
		return -EFAULT;
	if (k < d->len)
		m->flags_out |= MSG_TRUNC;
	m->namelen = inet_addr_out(m->name, d->src, d->sport);
	k = (flags & MSG_TRUNC) ? d->len : k;
	if (!(flags & MSG_PEEK))
		queue_pop(in);
	return (long)k;
}

static int inet_shutdown(struct socket *s, int how)
{
	if (s->state != SS_CONNECTED)
		return -ENOTCONN;
	s->shut |= (unsigned int)how + 1; /* SHUT_RD 1, SHUT_WR 2, both 3 */
	poll_wake(&s->ph, POLLIN | POLLRDNORM | POLLOUT | POLLRDHUP);
	return 0;
}

static int inet_getsockname(struct socket *s, void *addr)
{
	struct inet_sock *in = inet_of(s);

	return inet_addr_out(addr, in->up.laddr, in->up.lport);
}

static int inet_getpeername(struct socket *s, void *addr)
{
	struct inet_sock *in = inet_of(s);

	if (in->up.rport == 0)
		return -ENOTCONN;
	return inet_addr_out(addr, in->up.raddr, in->up.rport);
}

static unsigned int inet_poll(struct socket *s)
{
	unsigned int ready = POLLOUT | POLLWRNORM | POLLWRBAND;

	if (inet_of(s)->q_head)
		ready |= POLLIN | POLLRDNORM;
	if (s->shut & SOCK_RCV_SHUTDOWN)
		ready |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (s->shut == SOCK_SHUTDOWN_MASK)
		ready |= POLLHUP;
	return ready;
}

/* SIOCINQ on UDP: the size of the next datagram, as Linux reports. */
static int inet_inq(struct socket *s)
{
	struct inet_dgram *d = inet_of(s)->q_head;

	return d ? (int)d->len : 0;
}

static void inet_release(struct socket *s)
{
	struct inet_sock *in = inet_of(s);

	if (in == NULL)
		return;
	if (in->up.lport)
		udp_unbind(&in->up);
	while (in->q_head)
		queue_pop(in);
	kfree(in);
	s->sk = NULL;
}

static const struct proto_ops inet_dgram_ops = {
	.family = AF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_connect,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
	.shutdown = inet_shutdown,
	.getsockname = inet_getsockname,
	.getpeername = inet_getpeername,
	.poll = inet_poll,
	.inq = inet_inq,
};

static int inet_create(struct socket *s, int protocol)
{
	struct inet_sock *in;

	if (s->type == SOCK_STREAM)
		return inet_tcp_create(s, protocol);
	if (s->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0 && protocol != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	in = kzalloc(sizeof(*in));
	if (in == NULL)
		return -ENOMEM;
	in->sock = s;
	s->protocol = IPPROTO_UDP;
	s->ops = &inet_dgram_ops;
	s->sk = in;
	return 0;
}

const struct net_proto_family inet_family = {
	.family = AF_INET,
	.create = inet_create,
};
