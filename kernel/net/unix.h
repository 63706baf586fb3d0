/* unix.h - AF_UNIX internals shared by its files: the per-socket state. */
#ifndef KILN_LINUX_UNIX_H
#define KILN_LINUX_UNIX_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/un.h>

#include "fs/vfs.h"
#include "net/socket.h"

/*
 * unix(7). A stream socket's data waits in the RECEIVER's ring (64 KiB,
 * like a pipe); a datagram socket's in the receiver's queue of records.
 * A connected pair holds a reference on each other's struct socket; a
 * closed socket keeps its struct socket (peers may still point at it)
 * with sk NULL. Path names are S_IFSOCK nodes whose priv names the bound
 * socket; abstract names (sun_path[0] == 0) live in a list.
 */
#define UNIX_STREAM_BUF (64 * 1024U)
/* Receive queue limit: net.core.rmem_default. */
#define UNIX_DGRAM_QBYTES 212992U
#define UNIX_DGRAM_MAX (212992U - 32) /* sk_sndbuf - 32: larger is EMSGSIZE */
#define UNIX_ADDR_MIN 2 /* offsetof(struct sockaddr_un, sun_path) */

/*
 * What a message brought besides its bytes: files (SCM_RIGHTS) and the
 * sender's credentials (has_cred: given explicitly, or recorded because
 * the sender or the receiver had SO_PASSCRED when it was sent).
 */
struct unix_anc {
	struct scm_fds *fds;
	bool has_cred;
	struct ucred cred;
};

struct unix_dgram {
	struct unix_dgram *next;
	uint32_t len;
	int fromlen;
	struct sockaddr_un from;
	struct unix_anc anc;
	char data[];
};

/*
 * A stream's ancillary data rides on the bytes [start, end) of the
 * stream it was sent with (positions count from the stream's first
 * byte): a receive that reaches start takes the files and stops at end,
 * as Linux stops after the skb that carried files; the credentials stay
 * until the last byte is read. Only chunks with files or credentials
 * leave a mark.
 */
struct unix_mark {
	struct unix_mark *next;
	uint64_t start, end;
	struct unix_anc anc;
};

struct unix_sock {
	struct socket *sock; /* back pointer */
	struct socket *peer; /* referenced: connected peer, or NULL */
	bool peer_gone;	     /* stream: connected once, peer since closed */
	/* Bound name (addrlen 0: none) and its node for a path name */
	struct sockaddr_un addr;
	int addrlen;
	struct vnode *vn;
	struct unix_sock *abs_next; /* abstract name list */
	/* Stream: bytes [head, head+len) mod cap; rd_pos bytes read so far */
	char *buf;
	uint32_t cap, head, len;
	uint64_t rd_pos;
	struct unix_mark *mk_head, *mk_tail;
	/* Datagrams */
	struct unix_dgram *dq_head, *dq_tail;
	uint32_t dq_bytes;
	/* Listener: connections not yet accepted (the queue's references) */
	struct socket *acq_head, *acq_tail;
	int acq_len, backlog;
	struct socket *acq_next; /* link in the listener's queue */
	/* Collector (unix_gc.c): every socket's link, queued refs to our file */
	struct unix_sock *all_next, *all_prev;
	int inflight;
	int gc_refs;
	bool gc_cand, gc_live;
};

static inline struct unix_sock *unix_of(struct socket *s)
{
	return s->sk;
}

/* unix_sock.c */
extern const struct proto_ops unix_stream_ops, unix_dgram_ops;
/* Allocate s's AF_UNIX state (stream ring when stream): 0 or -ENOMEM. */
int unix_sock_init(struct socket *s);
/* Check and copy an address in; the length of the name or -EINVAL. */
int unix_addr_check(const void *addr, int len, struct sockaddr_un *out);
/* The socket bound to name (path or abstract): referenced, or -ERRNO. */
struct socket *unix_find(const struct sockaddr_un *sun, int len, int type,
			 int *err);
int unix_bind(struct socket *s, const void *addr, int len);
/* Bind s to a fresh abstract name (autobind): 0 or -ERRNO. */
int unix_autobind(struct socket *s);
int unix_getsockname(struct socket *s, void *addr);
int unix_getpeername(struct socket *s, void *addr);

/* unix_conn.c */
int unix_listen(struct socket *s, int backlog);
int unix_stream_connect(struct socket *s, const void *addr, int len,
			bool nonblock);
int unix_accept(struct socket *s, struct socket **out, bool nonblock);
int unix_socketpair(struct socket *a, struct socket *b);
int unix_dgram_connect(struct socket *s, const void *addr, int len,
		       bool nonblock);
/* Undo a connection (release): tell the peer, drop the reference. */
void unix_disconnect(struct socket *s);
/* Release the connections waiting in a listener's queue. */
void unix_drop_queue(struct socket *s);

/* unix_stream.c and unix_dgram.c */
long unix_stream_sendmsg(struct socket *s, struct sock_msg *m, int flags);
long unix_stream_recvmsg(struct socket *s, struct sock_msg *m, int flags);
unsigned int unix_stream_poll(struct socket *s);
long unix_dgram_sendmsg(struct socket *s, struct sock_msg *m, int flags);
long unix_dgram_recvmsg(struct socket *s, struct sock_msg *m, int flags);
unsigned int unix_dgram_poll(struct socket *s);
/* Free the queued datagrams of u. */
void unix_dgram_purge(struct unix_sock *u);

/* unix_gc.c */
/* Enter and leave the list of all AF_UNIX sockets the collector walks. */
void unix_gc_add(struct unix_sock *u);
void unix_gc_remove(struct unix_sock *u);
/*
 * May m's files go in flight? 0, or -ETOOMANYREFS: for a caller that is
 * not root when more than its RLIMIT_NOFILE files are in flight already
 * (Linux's too_many_unix_fds), for anyone past 65536.
 */
int unix_may_send_fds(const struct sock_msg *m);
/*
 * The ancillary data of a message being queued at r: takes m's files and
 * credentials (recording the sender's own when either side has
 * SO_PASSCRED) into *a. m->fds becomes NULL.
 */
void unix_anc_take(struct socket *s, struct socket *r, struct sock_msg *m,
		   struct unix_anc *a);
/* Only the credentials of unix_anc_take (m keeps its own). */
void unix_anc_cred(struct socket *s, struct socket *r, const struct sock_msg *m,
		   struct unix_anc *a);
/*
 * Give a dequeued message's data to the receiver s's m (peek: copies of
 * the files); credentials only when s has SO_PASSCRED (a message without
 * them reads as pid 0, overflow uid and gid).
 */
void unix_anc_give(struct socket *s, struct unix_anc *a, struct sock_msg *m,
		   bool peek);
/* Only the files of unix_anc_give. */
void unix_anc_give_fds(struct unix_anc *a, struct sock_msg *m, bool peek);
/* Drop what a is holding (a purged or released queue). */
void unix_anc_drop(struct unix_anc *a);
/* Drop every stream mark of u. */
void unix_marks_purge(struct unix_sock *u);
/*
 * Collect AF_UNIX sockets that only queued messages still reference, in
 * cycles no process can reach (a socket sent over itself...): drops the
 * files queued in them, which releases them. Runs at every release of an
 * AF_UNIX socket while files are in flight.
 */
void unix_gc(void);

#endif
