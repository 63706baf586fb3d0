/* sys_sockmsg.c - sendto, recvfrom, sendmsg, recvmsg and their batches: messages between the application and a socket. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>

#include "core/clock.h"
#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/syscall.h"
#include "linux/sock_file.h"

/*
 * The iovec array is copied and checked once here (untrusted: count,
 * lengths, overflow); the protocol moves the data through a msg_iter
 * straight between the application and its buffers.
 */
#define SOCK_RW_MAX 0x7ffff000UL /* MAX_RW_COUNT */

/* Copy and check an iovec array: 0 and *out (kfree it), or -ERRNO. */
static long iov_in(uintptr_t uiov, uint64_t cnt, struct iovec **out,
		   size_t *total)
{
	struct iovec *iov;
	size_t sum = 0, i;

	if (cnt > UIO_MAXIOV)
		return -EMSGSIZE;
	iov = kmalloc(sizeof(*iov) * (cnt > 0 ? cnt : 1));
	if (iov == NULL)
		return -ENOMEM;
	if (copy_from_user(iov, uiov, sizeof(*iov) * cnt) < 0) {
		kfree(iov);
		return -EFAULT;
	}
	for (i = 0; i < cnt; i++) {
		if ((int64_t)iov[i].iov_len < 0) {
			kfree(iov);
			return -EINVAL;
		}
		if (iov[i].iov_len > SOCK_RW_MAX - sum)
			iov[i].iov_len = SOCK_RW_MAX - sum; /* Linux clamps */
		sum += iov[i].iov_len;
	}
	*out = iov;
	*total = sum;
	return 0;
}

/*
 * sendmsg or recvmsg of m on fd through the family's hooks; mh (NULL for
 * send/recv and read/write) has the control buffer, whose msg_controllen
 * a receive sets to the bytes it used.
 */
static long sock_msg_call(int fd, struct sock_msg *m, int flags, bool send,
			  struct user_msghdr *mh)
{
	struct socket *s;
	long r = 0;
	int err;

	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	if (s->file->flags & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	if (send && mh != NULL)
		r = sock_cmsg_in(s, mh->msg_control, mh->msg_controllen, m);
	if (send && r == 0)
		r = s->ops->sendmsg ? s->ops->sendmsg(s, m, flags) :
				      -EOPNOTSUPP;
	else if (!send)
		r = s->ops->recvmsg ?
			    s->ops->recvmsg(s, m, flags & ~MSG_CMSG_CLOEXEC) :
			    -EOPNOTSUPP;
	if (!send && r >= 0 && mh != NULL)
		mh->msg_controllen = sock_cmsg_out(m, mh->msg_control,
						   mh->msg_controllen,
						   flags & MSG_CMSG_CLOEXEC);
	scm_fds_put(m->fds); /* not queued, or not received */
	m->fds = NULL;
	sock_fd_put(s);
	return sock_sigpipe(m, flags, r);
}

/* m for one user buffer (send and recv's case); NULL on -ENOMEM. */
static struct sock_msg *msg_one(struct iovec *v, uintptr_t buf, size_t len)
{
	struct sock_msg *m = kzalloc(sizeof(*m));

	if (len > SOCK_RW_MAX)
		len = SOCK_RW_MAX;
	v->iov_base = (void *)buf;
	v->iov_len = len;
	if (m != NULL)
		msg_iter_init(&m->data, v, 1, len, false);
	return m;
}

long sys_sendto(int fd, uintptr_t buf, size_t len, int flags, uintptr_t uaddr,
		int alen)
{
	struct iovec v;
	struct sock_msg *m = msg_one(&v, buf, len);
	long r = -EINVAL;

	if (m == NULL)
		return -ENOMEM;
	if (uaddr != 0 && (alen < 0 || alen > SOCK_ADDR_MAX))
		goto out;
	r = -EFAULT;
	if (uaddr != 0 && copy_from_user(m->name, uaddr, (size_t)alen) < 0)
		goto out;
	m->namelen = uaddr != 0 ? alen : 0;
	r = sock_msg_call(fd, m, flags, true, NULL);
out:
	kfree(m);
	return r;
}
SYSCALL6(sendto);

long sys_recvfrom(int fd, uintptr_t buf, size_t len, int flags, uintptr_t uaddr,
		  uintptr_t ulen)
{
	struct iovec v;
	struct sock_msg *m = msg_one(&v, buf, len);
	long r;
	int err;

	if (m == NULL)
		return -ENOMEM;
	m->namelen = SOCK_ADDR_MAX;
	r = sock_msg_call(fd, m, flags, false, NULL);
	if (r >= 0 && uaddr != 0) {
		err = sock_addr_out(m->name, m->namelen, uaddr, ulen);
		if (err < 0)
			r = err;
	}
	kfree(m);
	return r;
}
SYSCALL6(recvfrom);

/* The header and iovecs of a sendmsg/recvmsg into a new m (kfree both). */
static long msg_in(uintptr_t umsg, struct user_msghdr *mh,
		   struct sock_msg **out, struct iovec **iov)
{
	struct sock_msg *m;
	size_t total;
	long r;

	if (copy_from_user(mh, umsg, sizeof(*mh)) < 0)
		return -EFAULT;
	if (mh->msg_namelen < 0)
		return -EINVAL;
	if (mh->msg_namelen > SOCK_ADDR_MAX)
		mh->msg_namelen = SOCK_ADDR_MAX;
	r = iov_in(mh->msg_iov, mh->msg_iovlen, iov, &total);
	if (r < 0)
		return r;
	m = kzalloc(sizeof(*m));
	if (m == NULL) {
		kfree(*iov);
		return -ENOMEM;
	}
	msg_iter_init(&m->data, *iov, mh->msg_iovlen, total, false);
	*out = m;
	return 0;
}

/* sendmsg of the header at umsg; *left: bytes of it not sent. */
static long sendmsg_user(int fd, uintptr_t umsg, int flags, size_t *left)
{
	struct user_msghdr mh;
	struct sock_msg *m;
	struct iovec *iov;
	long r = msg_in(umsg, &mh, &m, &iov);

	if (r < 0)
		return r;
	r = -EFAULT;
	if (mh.msg_name != 0 &&
	    copy_from_user(m->name, mh.msg_name, (size_t)mh.msg_namelen) < 0)
		goto out;
	m->namelen = mh.msg_name != 0 ? mh.msg_namelen : 0;
	r = -ENOBUFS;
	if (mh.msg_controllen <= 0x7fffffff) /* INT_MAX */
		r = sock_msg_call(fd, m, flags, true, &mh);
	*left = m->data.left;
out:
	kfree(iov);
	kfree(m);
	return r;
}

long sys_sendmsg(int fd, uintptr_t umsg, int flags)
{
	size_t left = 0;

	return sendmsg_user(fd, umsg, flags, &left);
}
SYSCALL3(sendmsg);

/* recvmsg into the header at umsg; *flags_out: its msg_flags. */
static long recvmsg_user(int fd, uintptr_t umsg, int flags,
			 unsigned int *flags_out)
{
	struct user_msghdr mh;
	struct sock_msg *m;
	struct iovec *iov;
	long r = msg_in(umsg, &mh, &m, &iov);
	uintptr_t uh = umsg;

	if (r < 0)
		return r;
	m->namelen = SOCK_ADDR_MAX;
	r = sock_msg_call(fd, m, flags, false, &mh);
	if (r < 0)
		goto out;
	mh.msg_flags = m->flags_out;
	*flags_out = m->flags_out;
	/* The source address as move_addr_to_user: truncated, full length. */
	if (mh.msg_name != 0) {
		if (copy_to_user(mh.msg_name, m->name,
				 (size_t)(m->namelen < mh.msg_namelen ?
						  m->namelen :
						  mh.msg_namelen)) < 0)
			r = -EFAULT;
		mh.msg_namelen = m->namelen;
	}
	if (copy_to_user(uh, &mh, sizeof(mh)) < 0)
		r = -EFAULT;
out:
	kfree(iov);
	kfree(m);
	return r;
}

long sys_recvmsg(int fd, uintptr_t umsg, int flags)
{
	unsigned int flags_out;

	return recvmsg_user(fd, umsg, flags, &flags_out);
}
SYSCALL3(recvmsg);

/*
 * sendmmsg/recvmmsg (net/socket.c): sendmsg/recvmsg over an array of
 * struct mmsghdr, each message's byte count stored in its msg_len. A
 * batch that fails part way returns how many messages went through, or
 * the error when none did; recvmmsg keeps such an error (except EAGAIN)
 * on the socket for the next call, as Linux does with sk_err.
 */
#define MMSG_SIZE 64	   /* struct mmsghdr: msghdr + msg_len + pad */
#define MMSG_LEN_OFFSET 56 /* offsetof(struct mmsghdr, msg_len) */
#define MMSG_WAITFORONE 0x10000
#define MMSG_CMSG_COMPAT 0x80000000U
#define MMSG_ERRQUEUE 0x2000

long sys_sendmmsg(int fd, uintptr_t umsgs, unsigned int vlen,
		  unsigned int flags)
{
	unsigned int sent = 0;
	int err;
	struct socket *s = sock_fd_get(fd, &err); /* EBADF, ENOTSOCK first */
	size_t left = 0;
	long r = 0;

	if (s == NULL)
		return err;
	sock_fd_put(s);
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	while (sent < vlen) {
		uintptr_t e = umsgs + (uintptr_t)sent * MMSG_SIZE;
		unsigned int len;

		r = sendmsg_user(fd, e, (int)flags, &left);
		if (r < 0)
			break;
		len = (unsigned int)r;
		r = copy_to_user(e + MMSG_LEN_OFFSET, &len, sizeof(len));
		if (r < 0)
			break;
		sent++;
		if (left > 0) /* a stream took part of it: stop here */
			break;
	}
	return sent > 0 ? (long)sent : r;
}
SYSCALL4(sendmmsg);

/*
 * The timeout is only looked at after each message, so a blocking call
 * still waits for the first one (recvmmsg(2), BUGS). The time left is
 * written back when messages were received.
 */
static long recvmmsg_batch(struct socket *s, int fd, uintptr_t umsgs,
			   unsigned int vlen, unsigned int flags,
			   const uint64_t *end_ns, uint64_t *left_ns)
{
	unsigned int got = 0, out;
	long r = 0;

	while (got < vlen) {
		uintptr_t e = umsgs + (uintptr_t)got * MMSG_SIZE;
		unsigned int len;

		r = recvmsg_user(fd, e, (int)(flags & ~MMSG_WAITFORONE), &out);
		if (r < 0)
			break;
		len = (unsigned int)r;
		r = copy_to_user(e + MMSG_LEN_OFFSET, &len, sizeof(len));
		if (r < 0)
			break;
		got++;
		if (flags & MMSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (end_ns != NULL) {
			uint64_t now = clock_monotonic_ns();

			*left_ns = now < *end_ns ? *end_ns - now : 0;
			if (*left_ns == 0)
				break;
		}
		if (out & MSG_OOB)
			break;
	}
	if (got == 0)
		return r;
	if (r < 0 && r != -EAGAIN)
		s->err = (int)r;
	return got;
}

long sys_recvmmsg(int fd, uintptr_t umsgs, unsigned int vlen,
		  unsigned int flags, uintptr_t utimeout)
{
	struct {
		int64_t sec, nsec;
	} ts;
	uint64_t end_ns = 0, left_ns = 0;
	struct socket *s;
	long r;
	int err;

	if (flags & MMSG_CMSG_COMPAT)
		return -EINVAL;
	if (utimeout && copy_from_user(&ts, utimeout, sizeof(ts)) < 0)
		return -EFAULT;
	if (utimeout && (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000))
		return -EINVAL;
	if (utimeout && (ts.sec || ts.nsec))
		end_ns = clock_monotonic_ns() + (uint64_t)ts.sec * 1000000000 +
			 (uint64_t)ts.nsec;
	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	if (!(flags & MMSG_ERRQUEUE) && s->err) {
		r = s->err;
		s->err = 0;
	} else {
		r = recvmmsg_batch(s, fd, umsgs, vlen, flags,
				   utimeout ? &end_ns : NULL, &left_ns);
	}
	sock_fd_put(s);
	if (r > 0 && utimeout) {
		ts.sec = (int64_t)(left_ns / 1000000000);
		ts.nsec = (int64_t)(left_ns % 1000000000);
		if (copy_to_user(utimeout, &ts, sizeof(ts)) < 0)
			r = -EFAULT;
	}
	return r;
}
SYSCALL5(recvmmsg);
