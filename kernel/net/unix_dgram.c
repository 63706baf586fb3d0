/* unix_dgram.c - AF_UNIX datagrams: whole records queued at the receiver. */
#include "net/unix.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>

#include "core/heap.h"
#include "lib/string.h"

/*
 * Each send is one record in the receiver's queue, boundaries kept; a
 * receive takes one record (the rest of a longer one is lost: MSG_TRUNC).
 * A full queue (UNIX_DGRAM_QBYTES) makes senders wait on the receiver's
 * head, woken when it dequeues. A receiver connected to someone else
 * refuses other senders (EPERM), as unix_may_send does.
 */
static bool queue_full(struct unix_sock *r, size_t len)
{
	return r->dq_head != NULL && r->dq_bytes + len > UNIX_DGRAM_QBYTES;
}

/* The receiver of this send (referenced) or NULL with *err. */
static struct socket *dgram_target(struct socket *s, struct sock_msg *m,
				   int *err)
{
	struct unix_sock *u = unix_of(s);
	struct sockaddr_un sun;
	int len;

	if (m->namelen != 0) {
		len = unix_addr_check(m->name, m->namelen, &sun);
		if (len < 0) {
			*err = len;
			return NULL;
		}
		return unix_find(&sun, len, SOCK_DGRAM, err);
	}
	*err = -ENOTCONN;
	if (u->peer == NULL)
		return NULL;
	if (unix_of(u->peer) == NULL) {
		unix_disconnect(s); /* the peer closed */
		*err = -ECONNREFUSED;
		return NULL;
	}
	return sock_get(u->peer);
}

/* Wait for room in r's queue: 0 or -ERRNO. */
static int dgram_room(struct socket *s, struct socket *r, size_t len, int flags)
{
	uint64_t deadline = sock_deadline(s->sndtimeo_ns);
	struct unix_sock *ru;
	int err;

	for (;;) {
		ru = unix_of(r);
		if (ru == NULL)
			return -ECONNREFUSED;
		if (ru->peer != NULL && ru->peer != s)
			return -EPERM;
		if (r->shut & SOCK_RCV_SHUTDOWN)
			return -EPIPE;
		if (!queue_full(ru, len))
			return 0;
		err = poll_head_wait(&r->ph, flags & MSG_DONTWAIT, deadline);
		if (err < 0)
			return err;
	}
}

static void dgram_queue(struct unix_sock *r, struct unix_dgram *d)
{
	if (r->dq_tail != NULL)
		r->dq_tail->next = d;
	else
		r->dq_head = d;
	r->dq_tail = d;
	r->dq_bytes += d->len;
	poll_wake(&r->sock->ph, POLLIN | POLLRDNORM);
}

long unix_dgram_sendmsg(struct socket *s, struct sock_msg *m, int flags)
{
	size_t len = m->data.left;
	struct unix_dgram *d;
	struct socket *r;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (len > UNIX_DGRAM_MAX)
		return -EMSGSIZE;
	if (s->shut & SOCK_SEND_SHUTDOWN)
		return sock_epipe(m);
	err = unix_may_send_fds(m);
	if (err < 0)
		return err;
	r = dgram_target(s, m, &err);
	if (r == NULL)
		return err;
	err = dgram_room(s, r, len, flags);
	d = err == 0 ? kmalloc(sizeof(*d) + len) : NULL;
	if (err == 0 && d == NULL)
		err = -ENOMEM;
	if (err == 0 && msg_iter_copy_in(&m->data, d->data, len) < 0) {
		kfree(d);
		err = -EFAULT;
	}
	if (err == 0) {
		d->next = NULL;
		d->len = (uint32_t)len;
		memset(&d->from, 0, sizeof(d->from));
		d->fromlen = unix_of(s)->addrlen;
		memcpy(&d->from, &unix_of(s)->addr, (size_t)d->fromlen);
		unix_anc_take(s, r, m, &d->anc);
		dgram_queue(unix_of(r), d);
	}
	sock_put(r);
	return err < 0 ? err : (long)len;
}

/* Take d off the head of s's queue and tell waiting senders. */
static void dgram_dequeue(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	struct unix_dgram *d = u->dq_head;

	u->dq_head = d->next;
	if (u->dq_head == NULL)
		u->dq_tail = NULL;
	u->dq_bytes -= d->len;
	unix_anc_drop(&d->anc);
	kfree(d);
	poll_wake(&s->ph, POLLOUT | POLLWRNORM);
	if (u->peer != NULL)
		poll_wake(&u->peer->ph, POLLOUT | POLLWRNORM);
}

long unix_dgram_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = unix_of(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo_ns);
	struct unix_dgram *d;
	size_t k;
	int err;

	while ((d = u->dq_head) == NULL) {
		err = sock_recv_wait(s, flags, deadline);
		if (err <= 0)
			return err;
	}
	k = d->len < m->data.left ? d->len : m->data.left;
	if (msg_iter_copy_out(&m->data, d->data, k) < 0)
		return -EFAULT;
	if (k < d->len)
		m->flags_out |= MSG_TRUNC;
	m->namelen = d->fromlen;
	memcpy(m->name, &d->from, (size_t)d->fromlen);
	k = (flags & MSG_TRUNC) ? d->len : k;
	unix_anc_give(s, &d->anc, m, flags & MSG_PEEK);
	if (!(flags & MSG_PEEK))
		dgram_dequeue(s);
	return (long)k;
}

unsigned int unix_dgram_poll(struct socket *s)
{
	struct unix_sock *u = unix_of(s);
	struct socket *p = u->peer;
	unsigned int ready = 0;

	if (s->shut & SOCK_RCV_SHUTDOWN)
		ready |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (s->shut == SOCK_SHUTDOWN_MASK)
		ready |= POLLHUP;
	if (u->dq_head != NULL)
		ready |= POLLIN | POLLRDNORM;
	if (p == NULL || unix_of(p) == NULL || !queue_full(unix_of(p), 1))
		ready |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return ready;
}

void unix_dgram_purge(struct unix_sock *u)
{
	struct unix_dgram *d;

	while ((d = u->dq_head) != NULL) {
		u->dq_head = d->next;
		unix_anc_drop(&d->anc);
		kfree(d);
	}
	u->dq_tail = NULL;
	u->dq_bytes = 0;
}
