/* unix_stream.c - AF_UNIX stream data: sends fill the peer's ring, receives drain our own. */
#include "net/unix.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>

#include "core/heap.h"
#include "core/proc.h"
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

/*
 * The first chunk of a send carries its files and explicit credentials
 * (Linux puts them on the first skb): mark bytes [start, start+n) of the
 * peer's stream with them. 0 or -ENOMEM.
 */
static int mark_first(struct socket *s, struct socket *p, struct sock_msg *m,
		      uint32_t n)
{
	struct unix_sock *pu = unix_of(p);
	struct unix_mark *mk;

	if (m->fds == NULL && !m->has_cred)
		return 0;
	mk = kzalloc(sizeof(*mk));
	if (mk == NULL)
		return -ENOMEM;
	mk->start = pu->rd_pos + pu->len;
	mk->end = mk->start + n;
	unix_anc_take(s, p, m, &mk->anc);
	m->has_cred = false;
	if (pu->mk_tail != NULL)
		pu->mk_tail->next = mk;
	else
		pu->mk_head = mk;
	pu->mk_tail = mk;
	return 0;
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
	room = unix_may_send_fds(m);
	if (room < 0)
		return room;
	while (m->data.left > 0) {
		room = send_room(s, p, flags, deadline);
		if (room == -EPIPE && done == 0)
			return sock_epipe(m);
		if (room < 0)
			return done ? (long)done : room;
		if ((size_t)room > m->data.left)
			room = (long)m->data.left;
		if (mark_first(s, p, m, (uint32_t)room) < 0)
			return done ? (long)done : -ENOMEM;
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

/*
 * The k bytes about to be read reach the next mark: end the read with the
 * mark's bytes and give its files and credentials (consumed unless
 * peek). Returns the bytes to read; *last: this read ends after them.
 */
static uint32_t take_mark(struct socket *s, struct sock_msg *m, uint32_t k,
			  bool peek, bool *last)
{
	struct unix_sock *u = unix_of(s);
	struct unix_mark *mk = u->mk_head;

	*last = false;
	if (mk == NULL || mk->start >= u->rd_pos + k)
		return k;
	if (mk->end - u->rd_pos < k)
		k = (uint32_t)(mk->end - u->rd_pos);
	unix_anc_give(s, &mk->anc, m, peek);
	*last = true; /* the next mark's data is another read's */
	if (!peek) {
		u->mk_head = mk->next;
		if (u->mk_head == NULL)
			u->mk_tail = NULL;
		kfree(mk);
	}
	return k;
}

/* SO_PASSCRED without a mark: the writer is this process. */
static void stream_cred(struct socket *s, struct sock_msg *m)
{
	struct unix_anc a = { .has_cred = true };

	a.cred.pid = (uint32_t)current->pid;
	a.cred.uid = current->cred.uid;
	a.cred.gid = current->cred.gid;
	if (!m->has_cred)
		unix_anc_give(s, &a, m, true);
}

long unix_stream_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = unix_of(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo_ns);
	size_t done = 0, target = 1;
	bool last = false;
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
		k = take_mark(s, m, k, flags & MSG_PEEK, &last);
		if (ring_get(u, &m->data, k, flags & MSG_PEEK) < 0)
			return done ? (long)done : -EFAULT;
		done += k;
		if (!(flags & MSG_PEEK))
			u->rd_pos += k;
		if ((flags & MSG_PEEK) || last)
			break;
		if (u->peer != NULL)
			poll_wake(&u->peer->ph, POLLOUT | POLLWRNORM);
	}
	recv_name(s, m);
	if (s->passcred && done > 0)
		stream_cred(s, m);
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
