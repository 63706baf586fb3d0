/* sock_file.h - sockets as files (the fd side of the socket layer) and the socket syscalls' helpers. */
#ifndef KILN_LINUX_SOCK_FILE_H
#define KILN_LINUX_SOCK_FILE_H

#include <stdint.h>

#include "net/socket.h"

/*
 * Make a file for s (taking over the caller's reference) and install it
 * at the lowest free fd: the fd, or -EMFILE/-ENOMEM (s is released).
 * flags: SOCK_NONBLOCK, SOCK_CLOEXEC.
 */
int sock_install(struct socket *s, int flags);

/* The socket f is the file of, or NULL (borrowed, as f->priv). */
struct socket *sock_of_file(struct file *f);

/*
 * The socket of fd with a reference on its file, so that a close by
 * another thread cannot free it while the caller sleeps; NULL with *err
 * -EBADF or -ENOTSOCK. Drop it with sock_fd_put.
 */
struct socket *sock_fd_get(int fd, int *err);
void sock_fd_put(struct socket *s);

/*
 * What a send or receive returned, r, passed through; when it is -EPIPE
 * and the family marked m (sock_epipe), SIGPIPE for the calling thread
 * unless flags has MSG_NOSIGNAL (socket(7), send(2)).
 */
long sock_sigpipe(const struct sock_msg *m, int flags, long r);

/*
 * Copy a sockaddr of klen bytes to the application (move_addr_to_user):
 * as much as its *ulen allows, then klen into *ulen. 0, -EFAULT, -EINVAL.
 * (linux/sys_socket.c)
 */
int sock_addr_out(const void *kaddr, int klen, uintptr_t uaddr, uintptr_t ulen);

/* SOL_SOCKET options (linux/sys_sockopt.c): 0 or -ERRNO. */
int sock_setsockopt(struct socket *s, int name, const void *val, int len);
int sock_getsockopt(struct socket *s, int name, void *val, int *len);

/*
 * The control data (untrusted: len bytes at uctl) of a sendmsg on s into
 * m: SCM_RIGHTS files referenced into m->fds (the caller drops them with
 * scm_fds_put, whatever happens), SCM_CREDENTIALS checked as Linux does.
 * 0 or -EINVAL, -EBADF, -EPERM, -ESRCH, -ENOBUFS, -EFAULT, -ENOMEM;
 * -EOPNOTSUPP for a family other than AF_UNIX. (linux/sock_cmsg.c)
 */
int sock_cmsg_in(struct socket *s, uintptr_t uctl, uint64_t len,
		 struct sock_msg *m);
/*
 * What a receive brought (m->cred, m->fds) as control messages into the
 * len bytes at uctl: credentials first, then the files installed as new
 * fds (O_CLOEXEC when cloexec); what does not fit sets MSG_CTRUNC and the
 * files left in m->fds are the caller's to drop. Returns the bytes used
 * (recvmsg's msg_controllen).
 */
uint64_t sock_cmsg_out(struct sock_msg *m, uintptr_t uctl, uint64_t len,
		       bool cloexec);

#endif
