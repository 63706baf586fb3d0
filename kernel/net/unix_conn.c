/* unix_conn.c - AF_UNIX connections: listen, connect, accept, socketpair, disconnect. */
#include "net/unix.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>

#include "core/heap.h"
#include "core/proc.h"
#include "lib/string.h"

/*
 * connect(2) on a stream socket completes at once, as on Linux: it makes
 * the server's end (a socket without a file yet), connects the two and
 * queues the new one on the listener, where accept(2) finds it. Data sent
 * before the accept waits in that socket's ring. A full queue (backlog +
 * 1 connections, as Linux counts) makes connect wait, or EAGAIN.
 */
/*
 * SO_PEERCRED is fixed when a connection is made, as Linux's
 * init_peercred: the caller's pid and effective ids at socketpair, at
 * listen (what connectors will see), and at connect (what accept's
 * socket sees).
 */
static void init_peercred(struct socket *s)
{
	s->has_peercred = true;
	s->peercred.pid = (uint32_t)current->pid;
	s->peercred.uid = current->cred.euid;
	s->peercred.gid = current->cred.egid;
}

static void link_peers(struct socket *a, struct socket *b)
{
	unix_of(a)->peer = sock_get(b);
	unix_of(b)->peer = sock_get(a);
	a->state = b->state = SS_CONNECTED;
}

int unix_listen(struct socket *s, int backlog)
{
	struct unix_sock *u = unix_of(s);

	if (u->addrlen == 0 || (s->state != SS_UNCONNECTED && !s->listening))
		return -EINVAL;
	u->backlog = backlog;
	if (!s->listening)
		init_peercred(s);
	s->listening = true;
	poll_wake(&s->ph, 0); /* a larger backlog: room for connectors */
	return 0;
}

/* The server end of a new connection to listener l (refs 1), or NULL. */
static struct socket *unix_embryo(struct socket *l)
{
	struct socket *n = sock_alloc(AF_UNIX, SOCK_STREAM, 0);

	if (n == NULL)
		return NULL;
	n->ops = &unix_stream_ops;
	if (unix_sock_init(n) < 0) {
		sock_put(n);
		return NULL;
	}
	/* accept's socket is named as the listener (getsockname). */
	unix_of(n)->addr = unix_of(l)->addr;
	unix_of(n)->addrlen = unix_of(l)->addrlen;
	return n;
}

/* Wait until listener l has room: 0, -ECONNREFUSED, -EAGAIN, -ERESTARTSYS. */
static int wait_room(struct socket *l, bool nonblock, uint64_t deadline)
{
	int err;

	for (;;) {
		if (unix_of(l) == NULL || !l->listening)
			return -ECONNREFUSED;
		if (unix_of(l)->acq_len <= unix_of(l)->backlog)
			return 0;
		err = poll_head_wait(&l->ph, nonblock, deadline);
		if (err < 0)
			return err;
	}
}

static void queue_add(struct socket *l, struct socket *n)
{
	struct unix_sock *lu = unix_of(l);

	if (lu->acq_tail != NULL)
		unix_of(lu->acq_tail)->acq_next = n;
	else
		lu->acq_head = n;
	lu->acq_tail = n;
	lu->acq_len++;
	poll_wake(&l->ph, POLLIN | POLLRDNORM);
}

int unix_stream_connect(struct socket *s, const void *addr, int len,
			bool nonblock)
{
	struct sockaddr_un sun;
	struct socket *l, *n;
	int err;

	len = unix_addr_check(addr, len, &sun);
	if (len < 0)
		return len;
	if (s->state == SS_CONNECTED)
		return -EISCONN;
	if (s->listening)
		return -EINVAL;
	l = unix_find(&sun, len, SOCK_STREAM, &err);
	if (l == NULL)
		return err;
	err = wait_room(l, nonblock, sock_deadline(s->sndtimeo_ns));
	if (err == 0 && s->state == SS_CONNECTED)
		err = -EISCONN; /* another thread connected it meanwhile */
	n = err == 0 ? unix_embryo(l) : NULL;
	if (err == 0 && n == NULL)
		err = -ENOMEM;
	if (err == 0) {
		link_peers(s, n);
		init_peercred(n);
		s->has_peercred = l->has_peercred;
		s->peercred = l->peercred;
		queue_add(l, n);
		poll_wake(&s->ph, POLLOUT | POLLWRNORM);
	}
	sock_put(l);
	return err;
}

int unix_accept(struct socket *s, struct socket **out, bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo_ns);
	struct socket *n;
	int err;

	if (!s->listening)
		return -EINVAL;
	while (u->acq_head == NULL) {
		if (nonblock)
			return -EAGAIN;
		err = sock_wait(s, deadline);
		if (err < 0)
			return err;
	}
	n = u->acq_head;
	u->acq_head = unix_of(n)->acq_next;
	if (u->acq_head == NULL)
		u->acq_tail = NULL;
	u->acq_len--;
	unix_of(n)->acq_next = NULL;
	poll_wake(&s->ph, 0); /* room for a waiting connector */
	*out = n;
	return 0;
}

void unix_drop_queue(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	struct socket *n;

	while ((n = u->acq_head) != NULL) {
		u->acq_head = unix_of(n)->acq_next;
		sock_release(n);
	}
	u->acq_tail = NULL;
	u->acq_len = 0;
	s->listening = false;
}

int unix_socketpair(struct socket *a, struct socket *b)
{
	link_peers(a, b);
	init_peercred(a);
	init_peercred(b);
	return 0;
}

int unix_dgram_connect(struct socket *s, const void *addr, int len,
		       bool nonblock)
{
	struct unix_sock *u = unix_of(s);
	struct sockaddr_un sun;
	struct socket *p;
	int err;

	(void)nonblock;
	if (len >= (int)sizeof(sun.sun_family) &&
	    ((const struct sockaddr_un *)addr)->sun_family == AF_UNSPEC) {
		unix_disconnect(s); /* connect(AF_UNSPEC): dissolve */
		s->state = SS_UNCONNECTED;
		return 0;
	}
	len = unix_addr_check(addr, len, &sun);
	if (len < 0)
		return len;
	p = unix_find(&sun, len, SOCK_DGRAM, &err);
	if (p == NULL)
		return err;
	unix_disconnect(s);
	u->peer = p;
	s->state = SS_CONNECTED;
	return 0;
}

void unix_disconnect(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	struct socket *p = u->peer;

	if (p == NULL)
		return;
	u->peer = NULL;
	if (unix_of(p) != NULL && s->type == SOCK_STREAM) {
		p->shut = SOCK_SHUTDOWN_MASK;
		unix_of(p)->peer_gone = true;
		/* Unread data or never accepted: the peer sees a reset. */
		if (u->len > 0 || s->file == NULL)
			p->err = -ECONNRESET;
		poll_wake(&p->ph, 0);
	}
	sock_put(p);
}
