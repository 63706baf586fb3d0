/* sys_socket.c - socket, socketpair, bind, listen, accept, connect, shutdown, names, options. */
#include <asm-generic/errno.h>
#include <linux/fcntl.h>

#include "core/printk.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/syscall.h"
#include "linux/sock_file.h"

/*
 * The generic half of the socket syscalls (socket(2), socket(7)): checks
 * of flags and lengths, addresses copied in and out, then the family's
 * proto_ops. Families are listed here; AF_INET6 joins when the stack
 * speaks IPv6.
 */
static const struct net_proto_family *const sock_families[] = {
	&unix_family,
	&inet_family,
};

static const struct net_proto_family *family_find(int family)
{
	static bool inet6_logged;
	size_t i;

	for (i = 0; i < sizeof(sock_families) / sizeof(sock_families[0]); i++)
		if (sock_families[i]->family == family)
			return sock_families[i];
	if (family == AF_INET6 && !inet6_logged) {
		inet6_logged = true;
		printk("socket: AF_INET6 not available yet (EAFNOSUPPORT)\n");
	}
	return NULL;
}

/* A new socket of (family, type & SOCK_TYPE_MASK, protocol) in *out. */
static int sock_create(int family, int type, int protocol, struct socket **out)
{
	const struct net_proto_family *fam;
	struct socket *s;
	int err;

	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	fam = family_find(family);
	if (fam == NULL)
		return -EAFNOSUPPORT;
	s = sock_alloc(family, type & SOCK_TYPE_MASK, protocol);
	if (s == NULL)
		return -ENOMEM;
	err = fam->create(s, protocol);
	if (err < 0) {
		sock_put(s);
		return err;
	}
	*out = s;
	return 0;
}

long sys_socket(int family, int type, int protocol)
{
	struct socket *s;
	int err = sock_create(family, type, protocol, &s);

	if (err < 0)
		return err;
	return sock_install(s, type);
}
SYSCALL3(socket);

long sys_socketpair(int family, int type, int protocol, uintptr_t usv)
{
	struct socket *a, *b;
	int fds[2], err;

	err = sock_create(family, type, protocol, &a);
	if (err < 0)
		return err;
	err = sock_create(family, type, protocol, &b);
	if (err < 0)
		goto err_a;
	err = a->ops->socketpair ? a->ops->socketpair(a, b) : -EOPNOTSUPP;
	if (err < 0)
		goto err_b;
	fds[0] = sock_install(a, type);
	if (fds[0] < 0) {
		sock_release(b);
		return fds[0];
	}
	fds[1] = sock_install(b, type);
	if (fds[1] < 0) {
		fd_close(current, fds[0]);
		return fds[1];
	}
	if (copy_to_user(usv, fds, sizeof(fds)) == 0)
		return 0;
	fd_close(current, fds[1]);
	fd_close(current, fds[0]);
	return -EFAULT;
err_b:
	sock_release(b);
err_a:
	sock_release(a);
	return err;
}
SYSCALL4(socketpair);

/* Copy a sockaddr in (move_addr_to_kernel): 0, -EINVAL, -EFAULT. */
static int addr_in(uintptr_t uaddr, int len, uint8_t *kaddr)
{
	if (len < 0 || len > SOCK_ADDR_MAX)
		return -EINVAL;
	if (len == 0)
		return 0;
	return copy_from_user(kaddr, uaddr, (size_t)len) < 0 ? -EFAULT : 0;
}

int sock_addr_out(const void *kaddr, int klen, uintptr_t uaddr, uintptr_t ulen)
{
	int len;

	if (copy_from_user(&len, ulen, sizeof(len)) < 0)
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len > 0 && copy_to_user(uaddr, kaddr, (size_t)len) < 0)
		return -EFAULT;
	return copy_to_user(ulen, &klen, sizeof(klen)) < 0 ? -EFAULT : 0;
}

/* bind and connect: the address in, then the hook. */
static long sock_addr_call(int fd, uintptr_t uaddr, int len, bool conn)
{
	uint8_t addr[SOCK_ADDR_MAX];
	struct socket *s;
	int err;

	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	err = addr_in(uaddr, len, addr);
	if (err == 0 && conn)
		err = s->ops->connect ?
			      s->ops->connect(s, addr, len,
					      s->file->flags & O_NONBLOCK) :
			      -EOPNOTSUPP;
	else if (err == 0)
		err = s->ops->bind ? s->ops->bind(s, addr, len) : -EOPNOTSUPP;
	sock_fd_put(s);
	return err;
}

long sys_bind(int fd, uintptr_t uaddr, int len)
{
	return sock_addr_call(fd, uaddr, len, false);
}
SYSCALL3(bind);

long sys_connect(int fd, uintptr_t uaddr, int len)
{
	return sock_addr_call(fd, uaddr, len, true);
}
SYSCALL3(connect);

long sys_listen(int fd, int backlog)
{
	struct socket *s;
	int err;

	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	if (backlog < 0 || backlog > 4096)
		backlog = 4096; /* net.core.somaxconn */
	err = s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP;
	sock_fd_put(s);
	return err;
}
SYSCALL2(listen);

long sys_accept4(int fd, uintptr_t uaddr, uintptr_t ulen, int flags)
{
	uint8_t addr[SOCK_ADDR_MAX];
	struct socket *s, *ns = NULL;
	int err, len, nfd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	err = s->ops->accept ?
		      s->ops->accept(s, &ns, s->file->flags & O_NONBLOCK) :
		      -EOPNOTSUPP;
	len = err == 0 && uaddr != 0 ? ns->ops->getpeername(ns, addr) : 0;
	sock_fd_put(s);
	if (err < 0)
		return err;
	if (len < 0)
		len = 0; /* a peer already gone: no address, as Linux */
	nfd = sock_install(ns, flags);
	if (nfd < 0 || uaddr == 0)
		return nfd;
	err = sock_addr_out(addr, len, uaddr, ulen);
	if (err < 0) {
		fd_close(current, nfd);
		return err;
	}
	return nfd;
}
SYSCALL4(accept4);

long sys_accept(int fd, uintptr_t uaddr, uintptr_t ulen)
{
	return sys_accept4(fd, uaddr, ulen, 0);
}
SYSCALL3(accept);

long sys_shutdown(int fd, int how)
{
	struct socket *s;
	int err;

	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	if (how < SHUT_RD || how > SHUT_RDWR)
		err = -EINVAL;
	else
		err = s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP;
	sock_fd_put(s);
	return err;
}
SYSCALL2(shutdown);

static long sock_name(int fd, uintptr_t uaddr, uintptr_t ulen, bool peer)
{
	uint8_t addr[SOCK_ADDR_MAX];
	struct socket *s;
	int err, len;

	s = sock_fd_get(fd, &err);
	if (s == NULL)
		return err;
	memset(addr, 0, sizeof(addr));
	if (peer)
		len = s->ops->getpeername ? s->ops->getpeername(s, addr) :
					    -EOPNOTSUPP;
	else
		len = s->ops->getsockname ? s->ops->getsockname(s, addr) :
					    -EOPNOTSUPP;
	sock_fd_put(s);
	if (len < 0)
		return len;
	return sock_addr_out(addr, len, uaddr, ulen);
}

long sys_getsockname(int fd, uintptr_t uaddr, uintptr_t ulen)
{
	return sock_name(fd, uaddr, ulen, false);
}
SYSCALL3(getsockname);

long sys_getpeername(int fd, uintptr_t uaddr, uintptr_t ulen)
{
	return sock_name(fd, uaddr, ulen, true);
}
SYSCALL3(getpeername);
