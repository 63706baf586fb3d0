/* unix_stream.c - AF_UNIX stream data: sends fill the peer's ring, receives drain our own. */
#include "net/unix.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>

#include "lib/string.h"

/*
 * Like a pipe in each direction: a sender copies into the receiver's ring
 * and wakes it (POLLIN); a receiver that frees space wakes the sender
 * (POLLOUT). A blocking send returns when all was sent; a receive returns
 * what is there (MSG_WAITALL: the full length), then after a peer's close
 * or SHUT_WR the pending error (ECONNRESET) once and end of file.
 */
static int ring_put(struct unix_sock *r, struct msg_iter *it, uint32_t n)
{
	uint32_t tail = (r->head + r->len) % r->cap;
	uint32_t first = r->cap - tail < n ? r->cap - tail : n;

	if (msg_iter_copy_in(it, r->buf + tail, first) < 0 ||
	    msg_iter_copy_in(it, r->buf, n - first) < 0)
		return -EFAULT;
	r->len += n;
	return 0;
}

/* Copy n bytes from offset 0 of u's ring out; consume them unless peek. */
static int ring_get(struct unix_sock *u, struct msg_iter *it, uint32_t n,
		    bool peek)
{
	uint32_t first = u->cap - u->head < n ? u->cap - u->head : n;

	if (msg_iter_copy_out(it, u->buf + u->head, first) < 0 ||
	    msg_iter_copy_out(it, u->buf, n - first) < 0)
		return -EFAULT;
	if (!peek) {
		u->head = (u->head + n) % u->cap;
		u->len -= n;
	}
	return 0;
}

/* Wait for room in peer p's ring: its room, or -ERRNO (EPIPE: closed). */
static long send_room(struct socket *s, struct socket *p, int flags,
		      uint64_t deadline)
{
	struct unix_sock *pu;
	int err;

	for (;;) {
		pu = unix_of(p);
		if ((s->shut & SOCK_SEND_SHUTDOWN) || pu == NULL)
			return -EPIPE;
		if (pu->len < pu->cap)
			return pu->cap - pu->len;
		if (flags & MSG_DONTWAIT)
			return -EAGAIN;
		err = sock_wait(s, deadline);
		if (err < 0)
			return err;
	}
}

long unix_stream_sendmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct socket *p = unix_of(s)->peer;
	uint64_t deadline = sock_deadline(s->sndtimeo_ns);
	size_t done = 0;
	long room;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->namelen != 0)
		return s->state == SS_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (p == NULL)
		return -ENOTCONN;
	while (m->data.left > 0) {
		room = send_room(s, p, flags, deadline);
		if (room == -EPIPE && done == 0)
			return sock_epipe(m);
		if (room < 0)
			return done ? (long)done : room;
		if ((size_t)room > m->data.left)
			room = (long)m->data.left;
		if (ring_put(unix_of(p), &m->data, (uint32_t)room) < 0)
			return done ? (long)done : -EFAULT;
		done += (size_t)room;
		poll_wake(&p->ph, POLLIN | POLLRDNORM);
	}
	return (long)done;
}

static void recv_name(struct socket *s, struct sock_msg *m)
{
	struct socket *p = unix_of(s)->peer;

	m->namelen = 0;
	if (p != NULL && unix_of(p) != NULL && unix_of(p)->addrlen != 0)
		m->namelen = unix_getsockname(p, m->name);
}

long unix_stream_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = unix_of(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo_ns);
	size_t done = 0, target = 1;
	uint32_t k;
	int r;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->state != SS_CONNECTED)
		return -EINVAL;
	if (flags & MSG_WAITALL)
		target = m->data.left;
	while (m->data.left > 0) {
		if (u->len == 0) {
			if (done >= target)
				break;
			r = sock_recv_wait(s, flags, deadline);
			if (r <= 0)
				return done ? (long)done : r;
			continue;
		}
		k = m->data.left < u->len ? (uint32_t)m->data.left : u->len;
		if (ring_get(u, &m->data, k, flags & MSG_PEEK) < 0)
			return done ? (long)done : -EFAULT;
		done += k;
		if (flags & MSG_PEEK)
			break;
		if (u->peer != NULL)
			poll_wake(&u->peer->ph, POLLOUT | POLLWRNORM);
	}
	recv_name(s, m);
	return (long)done;
}

unsigned int unix_stream_poll(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	struct socket *p = u->peer;
	unsigned int ready = 0;

	if (s->listening)
		return u->acq_head ? POLLIN | POLLRDNORM : 0;
	if (s->shut & SOCK_RCV_SHUTDOWN)
		ready |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (s->shut == SOCK_SHUTDOWN_MASK || s->state != SS_CONNECTED)
		ready |= POLLHUP;
	if (u->len > 0)
		ready |= POLLIN | POLLRDNORM;
	if (p == NULL || unix_of(p) == NULL ||
	    unix_of(p)->len < unix_of(p)->cap)
		ready |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return ready;
}
