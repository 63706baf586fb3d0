/* socket.c - the socket layer under every family: allocation, sleeping, message iterators. */
#include "net/socket.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>

#include "core/heap.h"
#include "core/proc.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/string.h"

#define SOCK_DEFAULT_BUF 212992 /* net.core.[rw]mem_default */

static uint64_t sock_next_ino = 0x8000;

struct socket *sock_alloc(int family, int type, int protocol)
{
	struct socket *s = kzalloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->state = SS_UNCONNECTED;
	s->ino = sock_next_ino++;
	s->sndbuf = s->rcvbuf = SOCK_DEFAULT_BUF;
	s->rcvlowat = 1;
	return s;
}

struct socket *sock_get(struct socket *s)
{
	s->refs++;
	return s;
}

void sock_put(struct socket *s)
{
	if (--s->refs == 0)
		kfree(s);
}

void sock_release(struct socket *s)
{
	if (s->ops != NULL && s->ops->release != NULL)
		s->ops->release(s);
	s->ops = NULL;
	s->file = NULL;
	s->state = SS_FREE;
	sock_put(s);
}

int sock_wait(struct socket *s, uint64_t deadline_ns)
{
	return poll_head_wait(&s->ph, false, deadline_ns);
}

int sock_recv_wait(struct socket *s, int flags, uint64_t deadline_ns)
{
	int err = s->err;

	if (err != 0) {
		s->err = 0;
		return err;
	}
	if (s->shut & SOCK_RCV_SHUTDOWN)
		return 0;
	if (flags & MSG_DONTWAIT)
		return -EAGAIN;
	err = sock_wait(s, deadline_ns);
	return err < 0 ? err : 1;
}

uint64_t sock_deadline(uint64_t timeo_ns)
{
	return timeo_ns == 0 ? 0 : time_ns() + timeo_ns;
}

bool sock_exiting(void)
{
	return current != NULL && current->exiting;
}

long sock_epipe(struct sock_msg *m)
{
	m->sigpipe = true;
	return -EPIPE;
}

/* ---- Files in flight (SCM_RIGHTS) ---- */

struct scm_fds *scm_fds_alloc(void)
{
	return kzalloc(sizeof(struct scm_fds));
}

struct scm_fds *scm_fds_dup(const struct scm_fds *fds)
{
	struct scm_fds *d = kmalloc(sizeof(*d));
	int i;

	if (d == NULL)
		return NULL;
	memcpy(d, fds, sizeof(*d));
	d->next = NULL;
	for (i = 0; i < d->n; i++)
		file_get(d->fp[i]);
	return d;
}

/* Lists waiting for their puts while an outer scm_fds_put runs. */
static struct scm_fds *scm_put_list;
static bool scm_putting;

void scm_fds_put(struct scm_fds *fds)
{
	int i;

	if (fds == NULL)
		return;
	fds->next = scm_put_list;
	scm_put_list = fds;
	if (scm_putting)
		return; /* the outer call below puts it */
	scm_putting = true;
	while ((fds = scm_put_list) != NULL) {
		scm_put_list = fds->next;
		for (i = 0; i < fds->n; i++)
			file_put(fds->fp[i]);
		kfree(fds);
	}
	scm_putting = false;
}

/* ---- Message iterators ---- */

void msg_iter_init(struct msg_iter *it, const struct iovec *iov, size_t nr,
		   size_t total, bool kernel)
{
	it->iov = iov;
	it->nr = nr;
	it->idx = it->off = 0;
	it->left = total;
	it->kernel = kernel;
}

/* Move n bytes between kbuf and the iterator's buffers (to_iter: out). */
static int msg_iter_move(struct msg_iter *it, void *kbuf, size_t n,
			 bool to_iter)
{
	char *k = kbuf;

	while (n > 0 && it->idx < it->nr) {
		const struct iovec *v = &it->iov[it->idx];
		uintptr_t base = (uintptr_t)v->iov_base + it->off;
		size_t len = v->iov_len - it->off;
		int err = 0;

		if (len > n)
			len = n;
		if (it->kernel && to_iter)
			memcpy((void *)base, k, len);
		else if (it->kernel)
			memcpy(k, (const void *)base, len);
		else if (to_iter)
			err = copy_to_user(base, k, len);
		else
			err = copy_from_user(k, base, len);
		if (err < 0)
			return -EFAULT;
		k += len;
		n -= len;
		it->left -= len;
		it->off += len;
		if (it->off == v->iov_len) {
			it->idx++;
			it->off = 0;
		}
	}
	return 0;
}

int msg_iter_copy_in(struct msg_iter *it, void *dst, size_t n)
{
	return msg_iter_move(it, dst, n, false);
}

int msg_iter_copy_out(struct msg_iter *it, const void *src, size_t n)
{
	return msg_iter_move(it, (void *)(uintptr_t)src, n, true);
}

/* ---- File operations ---- */
