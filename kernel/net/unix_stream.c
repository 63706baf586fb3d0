/* unix_stream.c - AF_UNIX stream data: sends fill the peer's ring, receives drain our own. */
#include "net/unix.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>

#include "core/heap.h"
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

/* Copy n bytes from offset off of u's ring out; consume them unless peek. */
static int ring_get(struct unix_sock *u, struct msg_iter *it, uint32_t off,
		    uint32_t n, bool peek)
{
	uint32_t at = (u->head + off) % u->cap;
	uint32_t first = u->cap - at < n ? u->cap - at : n;

	if (msg_iter_copy_out(it, u->buf + at, first) < 0 ||
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
 * Ancillary data rides on the chunk [start, start+n) of the peer's stream
 * a send puts: its files on the first chunk only (Linux puts them on the
 * first skb), its credentials (given, or recorded for SO_PASSCRED) on
 * every chunk. A chunk with credentials only, right after one with the
 * same, extends it. 0 or -ENOMEM.
 */
static int mark_chunk(struct socket *s, struct socket *p, struct sock_msg *m,
		      uint32_t n)
{
	struct unix_sock *pu = unix_of(p);
	struct unix_mark *mk, *t = pu->mk_tail;
	uint64_t start = pu->rd_pos + pu->len;
	struct unix_anc a = { 0 };

	unix_anc_cred(s, p, m, &a);
	if (m->fds == NULL && !a.has_cred)
		return 0;
	if (m->fds == NULL && t != NULL && t->anc.fds == NULL &&
	    t->end == start && t->anc.has_cred &&
	    memcmp(&t->anc.cred, &a.cred, sizeof(a.cred)) == 0) {
		t->end += n;
		return 0;
	}
	mk = kzalloc(sizeof(*mk));
	if (mk == NULL)
		return -ENOMEM;
	mk->start = start;
	mk->end = start + n;
	unix_anc_take(s, p, m, &mk->anc);
	if (t != NULL)
		t->next = mk;
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
		if (mark_chunk(s, p, m, (uint32_t)room) < 0)
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
 * The next at most k bytes at stream position pos that belong together:
 * up to the next mark, or (*seg set) the rest of the mark pos is in.
 */
static uint32_t next_segment(struct unix_sock *u, uint64_t pos, uint32_t k,
			     struct unix_mark **seg)
{
	struct unix_mark *mk = u->mk_head;

	while (mk != NULL && mk->end <= pos)
		mk = mk->next; /* peeked past already */
	*seg = NULL;
	if (mk == NULL || mk->start >= pos + k)
		return k;
	if (mk->start > pos)
		return (uint32_t)(mk->start - pos);
	*seg = mk;
	return mk->end - pos < k ? (uint32_t)(mk->end - pos) : k;
}

/*
 * SO_PASSCRED: a read reports one writer's credentials and never joins
 * bytes of different ones (unix_stream_read_generic's check_creds);
 * bytes sent while neither side asked for them have none (pid 0,
 * overflow ids). False when seg's differ from those already reported.
 */
static bool seg_cred(struct socket *s, struct unix_mark *seg,
		     struct sock_msg *m, bool first)
{
	struct unix_anc a = { 0 };
	struct sock_msg c = { 0 };

	if (!s->passcred)
		return true;
	if (seg != NULL) {
		a.has_cred = seg->anc.has_cred;
		a.cred = seg->anc.cred;
	}
	unix_anc_give(s, &a, &c, true);
	if (!first && memcmp(&c.cred, &m->cred, sizeof(c.cred)) != 0)
		return false;
	m->has_cred = true;
	m->cred = c.cred;
	return true;
}

/* Drop the marks whose bytes have all been read. */
static void marks_done(struct unix_sock *u)
{
	struct unix_mark *mk;

	while ((mk = u->mk_head) != NULL && mk->end <= u->rd_pos) {
		u->mk_head = mk->next;
		if (u->mk_head == NULL)
			u->mk_tail = NULL;
		unix_anc_drop(&mk->anc);
		kfree(mk);
	}
}

/*
 * Read k bytes at offset off that are segment seg (NULL: plain bytes);
 * its files go to m. 1 when the read must end after them (they carried
 * files: Linux stops after such an skb), 0, or -EFAULT.
 */
static int read_segment(struct socket *s, struct sock_msg *m, uint32_t off,
			uint32_t k, struct unix_mark *seg, bool peek)
{
	struct unix_sock *u = unix_of(s);
	bool files = seg != NULL && seg->anc.fds != NULL;

	if (files)
		unix_anc_give_fds(&seg->anc, m, peek);
	if (ring_get(u, &m->data, off, k, peek) < 0)
		return -EFAULT;
	if (!peek) {
		u->rd_pos += k;
		if (seg != NULL)
			marks_done(u);
		if (u->peer != NULL)
			poll_wake(&u->peer->ph, POLLOUT | POLLWRNORM);
	}
	return files;
}

long unix_stream_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = unix_of(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo_ns);
	bool peek = flags & MSG_PEEK;
	size_t done = 0, target = 1;
	struct unix_mark *seg;
	uint32_t k, off;
	int r;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->state != SS_CONNECTED)
		return -EINVAL;
	if (flags & MSG_WAITALL)
		target = m->data.left;
	while (m->data.left > 0) {
		off = peek ? (uint32_t)done : 0;
		if (u->len == off) {
			if (done >= target || (peek && done > 0))
				break;
			r = sock_recv_wait(s, flags, deadline);
			if (r <= 0)
				return done ? (long)done : r;
			continue;
		}
		k = m->data.left < u->len - off ? (uint32_t)m->data.left :
						  u->len - off;
		k = next_segment(u, u->rd_pos + off, k, &seg);
		if (!seg_cred(s, seg, m, done == 0))
			break;
		r = read_segment(s, m, off, k, seg, peek);
		if (r < 0)
			return done ? (long)done : r;
		done += k;
		if (r > 0)
			break;
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
