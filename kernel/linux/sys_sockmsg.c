/* sys_sockmsg.c - sendto, recvfrom, sendmsg, recvmsg: messages between the application and a socket. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>

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

/* sendmsg or recvmsg of m on fd through the family's hooks. */
static long sock_msg_call(int fd, struct sock_msg *m, int flags, bool send)
{
	struct socket *s;
	long r;
	int err;

	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	if (s->file->flags & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	if (send)
		r = s->ops->sendmsg ? s->ops->sendmsg(s, m, flags) :
				      -EOPNOTSUPP;
	else
		r = s->ops->recvmsg ? s->ops->recvmsg(s, m, flags) :
				      -EOPNOTSUPP;
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
	r = sock_msg_call(fd, m, flags, true);
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
	r = sock_msg_call(fd, m, flags, false);
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

long sys_sendmsg(int fd, uintptr_t umsg, int flags)
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
	r = -EOPNOTSUPP; /* control messages (SCM_RIGHTS) are not carried */
	if (mh.msg_controllen == 0)
		r = sock_msg_call(fd, m, flags, true);
out:
	kfree(iov);
	kfree(m);
	return r;
}
SYSCALL3(sendmsg);

long sys_recvmsg(int fd, uintptr_t umsg, int flags)
{
	struct user_msghdr mh;
	struct sock_msg *m;
	struct iovec *iov;
	long r = msg_in(umsg, &mh, &m, &iov);
	uintptr_t uh = umsg;

	if (r < 0)
		return r;
	m->namelen = SOCK_ADDR_MAX;
	r = sock_msg_call(fd, m, flags & ~MSG_CMSG_CLOEXEC, false);
	if (r < 0)
		goto out;
	mh.msg_flags = m->flags_out;
	mh.msg_controllen = 0;
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
SYSCALL3(recvmsg);
