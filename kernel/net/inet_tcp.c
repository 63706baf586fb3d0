/* inet_tcp.c - AF_INET sockets: SOCK_STREAM over our TCP core (tcp(7)): ports, listen/accept/connect, options, close (data: inet_tcp_data.c). */
#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/in.h>
#include <linux/tcp.h>

#include "arch.h"
#include "core/heap.h"
#include "lib/string.h"
#include "net/inet_tcp_int.h"
#include "net/netif.h"
#include "net/socket.h"
#include "net/tcp.h"

/*
 * Each socket holds at most one tcp_conn: its listener or its connection.
 * The core calls tcp_notify from the network interrupt (the kernel runs
 * on one CPU with interrupts off outside sleeps, so no lock is needed);
 * the hook only records state and wakes the socket's poll head, and the
 * blocking calls loop on sock_wait re-checking the core. bind() only
 * records a port: the core claims it at listen() or connect(); ports are
 * chosen here, never by the core, so the two cannot disagree.
 */
#define EPHEMERAL_LO 49152
#define EPHEMERAL_HI 65535
/* Linux's defaults (tcp(7)): 2 hours idle, 75 s between 9 probes. */
#define KEEPIDLE_S 7200
#define KEEPINTVL_S 75
#define KEEPCNT 9
#define KEEP_MAX_S 32767 /* Linux's MAX_TCP_KEEPIDLE and ...INTVL */

/* Sockets with a bound port, so that bind can answer EADDRINUSE. */
static struct inet_tcp *bound_socks;

/* The socket's options that the core keeps per connection. */
static void apply_options(struct inet_tcp *t)
{
	if (t->conn == NULL || t->sock->listening)
		return;
	tcp_set_nodelay(t->conn, t->nodelay);
	tcp_set_keepalive(t->conn, t->sock->keepalive,
			  (uint64_t)t->keep_idle * 1000000000ull,
			  (uint64_t)t->keep_intvl * 1000000000ull, t->keep_cnt);
}

/* SO_RCVBUF and SO_SNDBUF say what the connection's rings hold. */
static void sync_bufsize(struct socket *s, const struct tcp_conn *c)
{
	size_t rcv, snd;

	tcp_bufsize(c, &rcv, &snd);
	s->rcvbuf = (int)rcv;
	s->sndbuf = (int)snd;
}

/*
 * Whether binding t to laddr:port clashes with o, by Linux's rules: not
 * when the addresses differ (neither being INADDR_ANY), when both set
 * SO_REUSEPORT, or when both set SO_REUSEADDR and o is not listening.
 */
static bool bind_clash(const struct inet_tcp *t, uint32_t laddr, uint16_t port,
		       const struct inet_tcp *o)
{
	const struct socket *a = t->sock, *b = o->sock;

	if (o == t || o->lport != port)
		return false;
	if (laddr && o->laddr && laddr != o->laddr)
		return false;
	if (a->reuseport && b->reuseport)
		return false;
	return !(a->reuseaddr && b->reuseaddr && !b->listening);
}

/* t == NULL: whether any socket is bound to port, whatever its options. */
static bool port_taken(const struct inet_tcp *t, uint32_t laddr, uint16_t port)
{
	for (struct inet_tcp *o = bound_socks; o; o = o->next_bound)
		if (t == NULL ? o->lport == port :
				bind_clash(t, laddr, port, o))
			return true;
	return false;
}

/*
 * Claim laddr:port for t: 0 or -EADDRINUSE. Port 0 picks an ephemeral
 * port no socket and no connection of the core (one in TIME-WAIT, say)
 * uses, whatever SO_REUSEADDR or SO_REUSEPORT say, as on Linux. A named
 * port clashes with bound sockets (bind_clash), and without SO_REUSEADDR
 * or SO_REUSEPORT also with the core's leftover connections (TIME-WAIT),
 * as on Linux.
 */
static int port_bind(struct inet_tcp *t, uint32_t laddr, uint16_t port)
{
	static uint32_t next = EPHEMERAL_LO;

	for (int i = 0; port == 0 && i <= EPHEMERAL_HI - EPHEMERAL_LO; i++) {
		if (!port_taken(NULL, 0, (uint16_t)next) &&
		    !tcp_port_used((uint16_t)next))
			port = (uint16_t)next;
		next = next == EPHEMERAL_HI ? EPHEMERAL_LO : next + 1;
	}
	if (port == 0 || port_taken(t, laddr, port) ||
	    (!t->sock->reuseaddr && !t->sock->reuseport && tcp_port_used(port)))
		return -EADDRINUSE;
	t->laddr = laddr;
	t->lport = port;
	t->next_bound = bound_socks;
	bound_socks = t;
	return 0;
}

static void port_unbind(struct inet_tcp *t)
{
	for (struct inet_tcp **pp = &bound_socks; *pp; pp = &(*pp)->next_bound)
		if (*pp == t) {
			*pp = t->next_bound;
			break;
		}
	t->lport = 0;
}

/* tcp_notify_fn: from the network interrupt or a timer. */
static void inet_tcp_notify(struct tcp_conn *c, unsigned events)
{
	struct inet_tcp *t = tcp_ctx(c);
	struct socket *s = t->sock;
	unsigned int bits = 0;

	if (s->state == SS_CONNECTING) {
		if (tcp_state(c) == TCP_ESTABLISHED ||
		    tcp_state(c) == TCP_CLOSE_WAIT) {
			s->state = SS_CONNECTED;
		} else if (tcp_state(c) == TCP_CLOSED) {
			s->state = SS_UNCONNECTED;
			t->err_seen = true; /* reported by SO_ERROR */
			s->err = tcp_error(c) ? tcp_error(c) : -ECONNREFUSED;
		}
	} else if ((events & TCP_EV_ERR) && !s->err) {
		s->err = tcp_error(c);
	}
	if (events & TCP_EV_IN)
		bits |= POLLIN | POLLRDNORM;
	if (events & TCP_EV_OUT)
		bits |= POLLOUT | POLLWRNORM;
	if (events & TCP_EV_HUP)
		bits |= POLLIN | POLLRDNORM | POLLRDHUP | POLLHUP;
	if (events & TCP_EV_ERR)
		bits |= POLLERR;
	poll_wake(&s->ph, bits);
}

static int inet_tcp_bind(struct socket *s, const void *addr, int len)
{
	struct inet_tcp *t = tcp_of(s);
	uint32_t ip;
	uint16_t port;
	int err = inet_addr_in(addr, len, &ip, &port);

	if (err)
		return err;
	if (t->lport || t->conn)
		return -EINVAL;
	if (ip != INADDR_ANY && !net_addr_local(ip))
		return -EADDRNOTAVAIL;
	return port_bind(t, ip, port);
}

static int inet_tcp_listen(struct socket *s, int backlog)
{
	struct inet_tcp *t = tcp_of(s);
	int err;

	if (s->listening)
		return 0; /* Linux would only change the backlog */
	if (t->conn)
		return -EINVAL;
	if (t->lport == 0 && (err = port_bind(t, 0, 0)) < 0)
		return err;
	t->conn = tcp_listen_on(t->laddr, t->lport, backlog < 1 ? 1 : backlog,
				s->reuseport, &err);
	if (t->conn == NULL)
		return err;
	tcp_set_bufsize(t->conn, (size_t)s->rcvbuf, (size_t)s->sndbuf);
	tcp_set_notify(t->conn, inet_tcp_notify, t);
	s->listening = true;
	return 0;
}

static struct inet_tcp *inet_tcp_new(struct socket *s)
{
	struct inet_tcp *t = kzalloc(sizeof(*t));

	if (t == NULL)
		return NULL;
	t->sock = s;
	t->keep_idle = KEEPIDLE_S;
	t->keep_intvl = KEEPINTVL_S;
	t->keep_cnt = KEEPCNT;
	s->protocol = IPPROTO_TCP;
	s->rcvbuf = TCP_RCVBUF_DEFAULT;
	s->sndbuf = TCP_SNDBUF_DEFAULT;
	s->sk = t;
	return t;
}

static const struct proto_ops inet_stream_ops;

/* A socket for the established connection c: 0 or -ENOMEM (c aborted). */
static int accept_one(struct socket *s, struct tcp_conn *c, struct socket **out)
{
	struct socket *ns = sock_alloc(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	struct inet_tcp *t;

	if (ns == NULL)
		goto err_conn;
	t = inet_tcp_new(ns);
	if (t == NULL)
		goto err_sock;
	ns->ops = &inet_stream_ops;
	ns->state = SS_CONNECTED;
	ns->keepalive = s->keepalive; /* inherited, as on Linux */
	sync_bufsize(ns, c);	      /* the listener's, at the SYN */
	t->conn = c;
	t->nodelay = tcp_of(s)->nodelay;
	t->keep_idle = tcp_of(s)->keep_idle;
	t->keep_intvl = tcp_of(s)->keep_intvl;
	t->keep_cnt = tcp_of(s)->keep_cnt;
	apply_options(t);
	tcp_set_notify(c, inet_tcp_notify, t);
	*out = ns;
	return 0;

err_sock:
	sock_put(ns);
err_conn:
	tcp_abort(c, time_ns());
	return -ENOMEM;
}

static int inet_tcp_accept(struct socket *s, struct socket **out, bool nonblock)
{
	struct inet_tcp *t = tcp_of(s);
	struct tcp_conn *c;
	int err;

	if (!s->listening)
		return -EINVAL;
	while ((c = tcp_accept(t->conn)) == NULL) {
		if (nonblock)
			return -EAGAIN;
		err = sock_wait(s, sock_deadline(s->rcvtimeo_ns));
		if (err < 0)
			return err;
	}
	return accept_one(s, c, out);
}

/* A connection that failed is dropped so that connect may be retried. */
static void drop_failed(struct inet_tcp *t)
{
	if (t->conn && !t->sock->listening &&
	    tcp_state(t->conn) == TCP_CLOSED &&
	    t->sock->state == SS_UNCONNECTED) {
		tcp_set_notify(t->conn, NULL, NULL);
		tcp_close(t->conn, time_ns());
		t->conn = NULL;
	}
}

/* Wait for a connect in progress: 0 once connected, or -ERRNO. */
static int connect_wait(struct socket *s)
{
	int err;

	while (s->state == SS_CONNECTING) {
		err = sock_wait(s, sock_deadline(s->sndtimeo_ns));
		if (err == -EAGAIN)
			return -EINPROGRESS;
		if (err < 0)
			return err == -ERESTARTSYS ? -EINTR : err;
	}
	if (s->state == SS_CONNECTED)
		return 0;
	err = s->err ? s->err : -ECONNREFUSED;
	s->err = 0;
	return err;
}

static int inet_tcp_connect(struct socket *s, const void *addr, int len,
			    bool nonblock)
{
	struct inet_tcp *t = tcp_of(s);
	uint32_t ip;
	uint16_t port;
	int err;

	if (s->listening)
		return -EISCONN;
	if (s->state == SS_CONNECTED)
		return -EISCONN;
	if (s->state == SS_CONNECTING)
		return nonblock ? -EALREADY : connect_wait(s);
	drop_failed(t);
	err = inet_addr_in(addr, len, &ip, &port);
	if (err)
		return err;
	if (ip == INADDR_ANY)
		ip = INADDR_LOOPBACK; /* as Linux: "any" means this host */
	if (t->lport == 0 && (err = port_bind(t, 0, 0)) < 0)
		return -EADDRNOTAVAIL;
	t->conn = tcp_connect_from(t->lport, ip, port, (size_t)s->rcvbuf,
				   (size_t)s->sndbuf, time_ns(), &err);
	if (t->conn == NULL)
		return err;
	t->err_seen = false;
	s->err = 0;
	s->state = SS_CONNECTING;
	apply_options(t);
	tcp_set_notify(t->conn, inet_tcp_notify, t);
	if (tcp_state(t->conn) == TCP_ESTABLISHED)
		s->state = SS_CONNECTED;
	if (nonblock && s->state == SS_CONNECTING)
		return -EINPROGRESS;
	return connect_wait(s);
}

static int inet_tcp_shutdown(struct socket *s, int how)
{
	struct inet_tcp *t = tcp_of(s);

	if (s->listening && t->conn) {
		/* Linux wakes accept with EINVAL; closing the listener is ours */
		s->shut |= SOCK_SHUTDOWN_MASK;
		poll_wake(&s->ph, POLLIN | POLLHUP);
		return 0;
	}
	if (t->conn == NULL || s->state != SS_CONNECTED)
		return -ENOTCONN;
	s->shut |= (unsigned int)how + 1; /* SHUT_RD 1, SHUT_WR 2, both 3 */
	if (how != SHUT_RD)
		tcp_close_send(t->conn, time_ns()); /* RFC 9293 3.10.4 */
	poll_wake(&s->ph, POLLIN | POLLRDNORM | POLLOUT | POLLRDHUP);
	return 0;
}

static int inet_tcp_getsockname(struct socket *s, void *addr)
{
	struct inet_tcp *t = tcp_of(s);
	uint32_t la, ra;
	uint16_t lp, rp;

	if (t->conn == NULL || s->listening)
		return inet_addr_out(addr, t->laddr, t->lport);
	tcp_endpoints(t->conn, &la, &lp, &ra, &rp);
	return inet_addr_out(addr, la, lp);
}

static int inet_tcp_getpeername(struct socket *s, void *addr)
{
	struct inet_tcp *t = tcp_of(s);
	uint32_t la, ra;
	uint16_t lp, rp;

	if (t->conn == NULL || s->listening || s->state != SS_CONNECTED)
		return -ENOTCONN;
	tcp_endpoints(t->conn, &la, &lp, &ra, &rp);
	return inet_addr_out(addr, ra, rp);
}

/*
 * SOL_SOCKET SO_KEEPALIVE, SO_RCVBUF and SO_SNDBUF (already kept in s,
 * the sizes doubled and clamped as Linux does) and the IPPROTO_TCP ones.
 * Before listen or connect the sizes only wait in s; a connection resizes
 * its rings when that is safe (tcp_set_bufsize) and s then reports the
 * sizes the rings really have.
 */
static int inet_tcp_setsockopt(struct socket *s, int level, int name,
			       const void *val, int len)
{
	struct inet_tcp *t = tcp_of(s);
	int v;

	if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
		apply_options(t);
		return 0;
	}
	if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_SNDBUF)) {
		if (t->conn == NULL)
			return 0;
		v = tcp_set_bufsize(t->conn, (size_t)s->rcvbuf,
				    (size_t)s->sndbuf);
		sync_bufsize(s, t->conn);
		return v;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (len < (int)sizeof(v))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	switch (name) {
	case TCP_NODELAY:
		t->nodelay = v != 0;
		break;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > KEEP_MAX_S)
			return -EINVAL;
		*(name == TCP_KEEPIDLE ? &t->keep_idle : &t->keep_intvl) = v;
		break;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		t->keep_cnt = v;
		break;
	default:
		return -ENOPROTOOPT;
	}
	apply_options(t);
	return 0;
}

static int inet_tcp_getsockopt(struct socket *s, int level, int name, void *val,
			       int *len)
{
	struct inet_tcp *t = tcp_of(s);
	int v;

	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		v = t->nodelay;
		break;
	case TCP_KEEPIDLE:
		v = t->keep_idle;
		break;
	case TCP_KEEPINTVL:
		v = t->keep_intvl;
		break;
	case TCP_KEEPCNT:
		v = t->keep_cnt;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (*len < 0)
		return -EINVAL;
	*len = *len < (int)sizeof(v) ? *len : (int)sizeof(v);
	memcpy(val, &v, (size_t)*len);
	return 0;
}

/*
 * SO_LINGER with a time (socket(7)): the FIN goes after the data and
 * close waits until the peer has acknowledged both, the time has passed
 * or a signal came. Then, as on Linux (tcp_close), the connection goes on
 * closing in the background: no RST, the data may still arrive. Linux
 * lingers on a non-blocking socket too, and never when the process exits.
 * A negative l_linger is, as unsigned seconds, too long to end.
 */
static void linger(struct socket *s, struct tcp_conn *c)
{
	uint64_t secs = (unsigned int)s->linger.l_linger;
	uint64_t deadline = time_ns() + secs * 1000000000ull;

	tcp_close_send(c, time_ns());
	while (tcp_fin_pending(c))
		if (sock_wait(s, deadline) < 0)
			break;
}

static void inet_tcp_release(struct socket *s)
{
	struct inet_tcp *t = tcp_of(s);

	if (t == NULL)
		return;
	if (t->conn) {
		bool timed = s->linger.l_onoff && s->linger.l_linger != 0;

		if (timed && !s->listening && !sock_exiting())
			linger(s, t->conn);
		tcp_set_notify(t->conn, NULL, NULL);
		/* SO_LINGER with a zero time: reset, drop what is unsent. */
		if (s->linger.l_onoff && s->linger.l_linger == 0)
			tcp_abort(t->conn, time_ns());
		else /* a FIN after the data; the core frees it later */
			tcp_close(t->conn, time_ns());
	}
	if (t->lport)
		port_unbind(t);
	kfree(t);
	s->sk = NULL;
}

static const struct proto_ops inet_stream_ops = {
	.family = AF_INET,
	.release = inet_tcp_release,
	.bind = inet_tcp_bind,
	.connect = inet_tcp_connect,
	.listen = inet_tcp_listen,
	.accept = inet_tcp_accept,
	.sendmsg = inet_tcp_sendmsg,
	.recvmsg = inet_tcp_recvmsg,
	.shutdown = inet_tcp_shutdown,
	.getsockname = inet_tcp_getsockname,
	.getpeername = inet_tcp_getpeername,
	.setsockopt = inet_tcp_setsockopt,
	.getsockopt = inet_tcp_getsockopt,
	.poll = inet_tcp_poll,
	.inq = inet_tcp_inq,
};

int inet_tcp_create(struct socket *s, int protocol)
{
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if (inet_tcp_new(s) == NULL)
		return -ENOMEM;
	s->ops = &inet_stream_ops;
	return 0;
}
