/* unix_sock.c - AF_UNIX sockets: creation, names (path and abstract), shutdown, release. */
#include "net/unix.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/inotify.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "lib/format.h"
#include "lib/string.h"
#include "core/proc.h"
#include "fs/notify.h"

/* Abstract names: every bound socket whose sun_path starts with NUL. */
static struct unix_sock *unix_abstract;

static int unix_create(struct socket *s, int protocol)
{
	if (protocol != 0 && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	s->protocol = 0;
	if (s->type == SOCK_STREAM)
		s->ops = &unix_stream_ops;
	else if (s->type == SOCK_DGRAM)
		s->ops = &unix_dgram_ops;
	else
		return -ESOCKTNOSUPPORT; /* SOCK_SEQPACKET: not yet */
	return unix_sock_init(s);
}

const struct net_proto_family unix_family = {
	.family = AF_UNIX,
	.create = unix_create,
};

int unix_sock_init(struct socket *s)
{
	struct unix_sock *u = kzalloc(sizeof(*u));

	if (u == NULL)
		return -ENOMEM;
	if (s->type == SOCK_STREAM) {
		u->buf = kmalloc(UNIX_STREAM_BUF);
		if (u->buf == NULL) {
			kfree(u);
			return -ENOMEM;
		}
		u->cap = UNIX_STREAM_BUF;
	}
	u->sock = s;
	s->sk = u;
	unix_gc_add(u);
	return 0;
}

int unix_addr_check(const void *addr, int len, struct sockaddr_un *out)
{
	if (len < UNIX_ADDR_MIN || len > (int)sizeof(*out))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out, addr, (size_t)len);
	if (out->sun_family != AF_UNIX)
		return -EINVAL;
	if (len > UNIX_ADDR_MIN && out->sun_path[0] == 0)
		return len; /* abstract: every byte counts */
	/* A path: up to its NUL; the name is that string plus the NUL. */
	len = UNIX_ADDR_MIN +
	      (int)strnlen(out->sun_path, sizeof(out->sun_path));
	return len + (len < (int)sizeof(*out) ? 1 : 0);
}

static struct socket *find_abstract(const struct sockaddr_un *sun, int len)
{
	struct unix_sock *u;

	for (u = unix_abstract; u != NULL; u = u->abs_next)
		if (u->addrlen == len &&
		    memcmp(&u->addr, sun, (size_t)len) == 0)
			return u->sock;
	return NULL;
}

/* The socket bound to the path node: referenced, or NULL with *err. */
static struct socket *find_path(const char *path, int *err)
{
	struct socket *s = NULL;
	struct vnode *vn;

	*err = vfs_resolve(current->cwd, path, 0, &vn);
	if (*err < 0)
		return NULL;
	*err = vfs_permission(vn, 2); /* W_OK */
	if (*err == 0 && (!S_ISSOCK(vn->mode) || vn->priv == NULL))
		*err = -ECONNREFUSED; /* not a socket, or nobody bound */
	if (*err == 0)
		s = sock_get(vn->priv);
	vnode_put(vn);
	return s;
}

struct socket *unix_find(const struct sockaddr_un *sun, int len, int type,
			 int *err)
{
	struct socket *s;

	if (sun->sun_path[0] == 0) {
		s = find_abstract(sun, len);
		*err = -ECONNREFUSED;
		if (s != NULL)
			sock_get(s);
	} else {
		s = find_path(sun->sun_path, err);
	}
	if (s != NULL && s->type != type) {
		sock_put(s);
		*err = -EPROTOTYPE;
		return NULL;
	}
	return s;
}

static int bind_path(struct unix_sock *u)
{
	struct lookup lk;
	int err;

	err = vfs_lookup(current->cwd, u->addr.sun_path, LOOKUP_NOFOLLOW, &lk);
	if (err < 0)
		return err;
	if (lk.node != NULL)
		err = -EADDRINUSE;
	else
		err = vfs_permission(lk.dir, 3); /* W_OK | X_OK */
	if (err == 0)
		err = vfs_create(lk.dir, lk.name,
				 S_IFSOCK | (0777 & ~current->umask), &u->vn);
	if (err == 0)
		fsnotify_dir(lk.dir, IN_CREATE, 0, lk.name, u->vn);
	lookup_done(&lk);
	if (err == 0)
		u->vn->priv = u->sock;
	return err;
}

int unix_bind(struct socket *s, const void *addr, int len)
{
	struct unix_sock *u = unix_of(s);
	int err;

	if (len == UNIX_ADDR_MIN &&
	    ((const struct sockaddr_un *)addr)->sun_family == AF_UNIX)
		return u->addrlen ? -EINVAL : unix_autobind(s);
	len = unix_addr_check(addr, len, &u->addr);
	if (len < 0)
		return len;
	if (u->addrlen != 0)
		return -EINVAL;
	if (u->addr.sun_path[0] != 0) {
		err = bind_path(u);
		if (err < 0)
			return err;
	} else if (find_abstract(&u->addr, len) != NULL) {
		return -EADDRINUSE;
	} else {
		u->abs_next = unix_abstract;
		unix_abstract = u;
	}
	u->addrlen = len;
	return 0;
}

/* Linux autobind: NUL then five hex digits, the first name free. */
int unix_autobind(struct socket *s)
{
	static uint32_t next;
	struct unix_sock *u = unix_of(s);
	uint32_t tries;

	for (tries = 0; tries < 0x100000; tries++) {
		memset(&u->addr, 0, sizeof(u->addr));
		u->addr.sun_family = AF_UNIX;
		fmt_snprintf(u->addr.sun_path + 1, 6, "%05x",
			     (unsigned int)(next++ & 0xfffff));
		if (find_abstract(&u->addr, UNIX_ADDR_MIN + 6) == NULL) {
			u->addrlen = UNIX_ADDR_MIN + 6;
			u->abs_next = unix_abstract;
			unix_abstract = u;
			return 0;
		}
	}
	return -ENOSPC;
}

static void unix_unbind(struct unix_sock *u)
{
	struct unix_sock **pp;

	if (u->vn != NULL) {
		if (u->vn->priv == u->sock)
			u->vn->priv = NULL;
		vnode_put(u->vn);
		u->vn = NULL;
	}
	for (pp = &unix_abstract; *pp != NULL; pp = &(*pp)->abs_next)
		if (*pp == u) {
			*pp = u->abs_next;
			break;
		}
}

/* A name, or just the family when unbound (len 2). */
static int unix_name(struct unix_sock *u, void *addr)
{
	struct sockaddr_un *sun = addr;

	if (u == NULL || u->addrlen == 0) {
		sun->sun_family = AF_UNIX;
		return UNIX_ADDR_MIN;
	}
	memcpy(addr, &u->addr, (size_t)u->addrlen);
	return u->addrlen;
}

int unix_getsockname(struct socket *s, void *addr)
{
	return unix_name(unix_of(s), addr);
}

int unix_getpeername(struct socket *s, void *addr)
{
	struct unix_sock *u = unix_of(s);

	if (u->peer == NULL)
		return -ENOTCONN;
	return unix_name(unix_of(u->peer), addr);
}

/* shutdown(2): ours, and the mirror image on a connected peer. */
static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = unix_of(s);
	unsigned int mode = (unsigned int)how + 1; /* SHUT_* to RCV/SEND bits */
	struct socket *p = u->peer;

	if (p == NULL && s->type == SOCK_STREAM)
		return -ENOTCONN;
	s->shut |= mode;
	poll_wake(&s->ph, 0);
	if (p != NULL && unix_of(p) != NULL && s->type == SOCK_STREAM) {
		if (mode & SOCK_SEND_SHUTDOWN)
			p->shut |= SOCK_RCV_SHUTDOWN;
		if (mode & SOCK_RCV_SHUTDOWN)
			p->shut |= SOCK_SEND_SHUTDOWN;
		poll_wake(&p->ph, 0);
	}
	return 0;
}

static void unix_release(struct socket *s)
{
	struct unix_sock *u = unix_of(s);

	unix_gc_remove(u);
	unix_unbind(u);
	unix_drop_queue(s);
	unix_disconnect(s);
	unix_dgram_purge(u);
	unix_marks_purge(u);
	kfree(u->buf);
	kfree(u);
	s->sk = NULL;
	poll_wake(&s->ph, 0); /* connectors waiting for room in our queue */
	unix_gc();
}

static int unix_inq(struct socket *s)
{
	struct unix_sock *u = unix_of(s);

	if (s->listening)
		return -EINVAL;
	if (s->type == SOCK_STREAM)
		return (int)u->len;
	return u->dq_head ? (int)u->dq_head->len : 0;
}

const struct proto_ops unix_stream_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.bind = unix_bind,
	.connect = unix_stream_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.socketpair = unix_socketpair,
	.sendmsg = unix_stream_sendmsg,
	.recvmsg = unix_stream_recvmsg,
	.shutdown = unix_shutdown,
	.getsockname = unix_getsockname,
	.getpeername = unix_getpeername,
	.poll = unix_stream_poll,
	.inq = unix_inq,
};

const struct proto_ops unix_dgram_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.bind = unix_bind,
	.connect = unix_dgram_connect,
	.listen = NULL, /* -EOPNOTSUPP */
	.accept = NULL,
	.socketpair = unix_socketpair,
	.sendmsg = unix_dgram_sendmsg,
	.recvmsg = unix_dgram_recvmsg,
	.shutdown = unix_shutdown,
	.getsockname = unix_getsockname,
	.getpeername = unix_getpeername,
	.poll = unix_dgram_poll,
	.inq = unix_inq,
};
