/* inet_tcp_data.c - AF_INET stream sockets' data path: sendmsg and recvmsg through a bounce buffer, poll, FIONREAD. */
#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/in.h>

#include "arch.h"
#include "core/heap.h"
#include "net/inet_tcp_int.h"

/* The bounce buffer between user memory and the core. */
#define INET_TCP_CHUNK 4096

/*
 * The core's sticky error (reset, timeout), as Linux reports it: once,
 * then as end of stream (receiving) or EPIPE (sending).
 */
static long conn_error(struct inet_tcp *t, long err, bool sending,
		       struct sock_msg *m)
{
	if (err == -EPIPE || (t->err_seen && sending))
		return sock_epipe(m);
	if (t->err_seen)
		return 0;
	t->err_seen = true;
	t->sock->err = 0;
	return err;
}

/* The connection may take data now, or tcp_send will say why not. */
static bool send_ready(struct tcp_conn *c)
{
	return tcp_writable(c) || tcp_state(c) == TCP_CLOSED;
}

long inet_tcp_sendmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_tcp *t = tcp_of(s);
	uint64_t deadline = sock_deadline(s->sndtimeo_ns);
	struct msg_iter save;
	long done = 0, n;
	size_t k;
	uint8_t *buf;
	int err = 0;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->shut & SOCK_SEND_SHUTDOWN)
		return sock_epipe(m);
	if (t->conn == NULL || s->listening)
		return -ENOTCONN;
	buf = kmalloc(INET_TCP_CHUNK);
	if (buf == NULL)
		return -ENOBUFS;
	while (m->data.left) {
		if (!send_ready(t->conn)) {
			if (flags & MSG_DONTWAIT) {
				err = -EAGAIN;
				break;
			}
			err = sock_wait(s, deadline);
			if (err < 0)
				break;
			continue;
		}
		/* Copy a chunk; rewind past what the core did not take. */
		save = m->data;
		k = m->data.left < INET_TCP_CHUNK ? m->data.left :
						    INET_TCP_CHUNK;
		if (msg_iter_copy_in(&m->data, buf, k) < 0) {
			err = -EFAULT;
			break;
		}
		n = tcp_send(t->conn, buf, k, time_ns());
		if (n < (long)k) {
			m->data = save;
			if (n > 0)
				msg_iter_copy_in(&m->data, buf, (size_t)n);
		}
		if (n < 0 && n != -EAGAIN) {
			err = (int)n;
			break;
		}
		done += n > 0 ? n : 0;
	}
	kfree(buf);
	if (done)
		return done;
	if (err == -EAGAIN || err == -EFAULT || err == -ERESTARTSYS)
		return err;
	return err ? conn_error(t, err, true, m) : 0;
}

long inet_tcp_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_tcp *t = tcp_of(s);
	uint64_t deadline = sock_deadline(s->rcvtimeo_ns);
	long done = 0, n = 0;
	uint8_t *buf;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (t->conn == NULL || s->listening)
		return -ENOTCONN;
	if ((s->shut & SOCK_RCV_SHUTDOWN) || m->data.left == 0)
		return 0;
	buf = kmalloc(INET_TCP_CHUNK);
	if (buf == NULL)
		return -ENOBUFS;
	while (m->data.left) {
		size_t k = m->data.left < INET_TCP_CHUNK ? m->data.left :
							   INET_TCP_CHUNK;

		n = flags & MSG_PEEK ? tcp_peek(t->conn, buf, (size_t)done, k) :
				       tcp_recv(t->conn, buf, k, time_ns());
		if (n > 0) {
			if (msg_iter_copy_out(&m->data, buf, (size_t)n) < 0) {
				n = -EFAULT;
				break;
			}
			done += n;
			continue;
		}
		if (n != -EAGAIN || (done && !(flags & MSG_WAITALL)))
			break;
		if (flags & MSG_DONTWAIT)
			break;
		n = sock_wait(s, deadline);
		if (n < 0)
			break;
	}
	kfree(buf);
	if (done)
		return done;
	if (n == -EAGAIN || n == -EFAULT || n == -ERESTARTSYS || n >= 0)
		return n > 0 ? 0 : n;
	return conn_error(t, n, false, m);
}

/* Linux's tcp_poll, reduced to what the core can tell. */
unsigned int inet_tcp_poll(struct socket *s)
{
	struct inet_tcp *t = tcp_of(s);
	struct tcp_conn *c = t->conn;
	unsigned int ready = 0;
	enum tcp_state st;

	if (s->listening)
		return tcp_readable(c) ? POLLIN | POLLRDNORM : 0;
	if (c == NULL || s->state == SS_UNCONNECTED)
		return POLLOUT | POLLWRNORM | POLLHUP;
	st = tcp_state(c);
	if (tcp_readable(c) || (s->shut & SOCK_RCV_SHUTDOWN))
		ready |= POLLIN | POLLRDNORM;
	if (st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK || st == TCP_CLOSING ||
	    st == TCP_TIME_WAIT || st == TCP_CLOSED)
		ready |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (send_ready(c) && !(s->shut & SOCK_SEND_SHUTDOWN) &&
	    s->state == SS_CONNECTED)
		ready |= POLLOUT | POLLWRNORM;
	if (st == TCP_CLOSED || s->shut == SOCK_SHUTDOWN_MASK)
		ready |= POLLHUP;
	if (tcp_error(c) && !t->err_seen)
		ready |= POLLERR;
	return ready;
}

/* FIONREAD (SIOCINQ): in-order bytes not yet read. */
int inet_tcp_inq(struct socket *s)
{
	struct inet_tcp *t = tcp_of(s);

	if (s->listening)
		return -EINVAL;
	return t->conn ? (int)tcp_inq(t->conn) : 0;
}
