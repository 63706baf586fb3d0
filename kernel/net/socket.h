/* socket.h - the socket layer: struct socket, the per-family proto_ops, message iterators. */
#ifndef KILN_NET_SOCKET_H
#define KILN_NET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/socket.h>
#include <linux/socket.h>
#include <linux/uio.h>

#include "fs/poll.h"

/*
 * Linux ABI values that the UAPI headers leave to libc (they live in the
 * kernel's private include/linux/socket.h and net.h); the numbers are
 * Linux's own.
 */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define AF_MAX 46

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_CLOEXEC 02000000 /* O_CLOEXEC */
#define SOCK_NONBLOCK 04000   /* O_NONBLOCK */

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2
#define SOCK_RCV_SHUTDOWN 1 /* struct socket.shut bits, as Linux's */
#define SOCK_SEND_SHUTDOWN 2
#define SOCK_SHUTDOWN_MASK 3

#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
/* Files one message may carry (include/net/scm.h) */
#define SCM_MAX_FD 253

/* struct msghdr as the application passes it (x86_64: 56 bytes). */
struct user_msghdr {
	uint64_t msg_name;
	int msg_namelen;
	uint64_t msg_iov;
	uint64_t msg_iovlen;
	uint64_t msg_control;
	uint64_t msg_controllen;
	unsigned int msg_flags;
};
_Static_assert(sizeof(struct user_msghdr) == 56, "x86_64 struct msghdr");

struct user_cmsghdr {
	uint64_t cmsg_len;
	int cmsg_level;
	int cmsg_type;
};

struct ucred {
	uint32_t pid, uid, gid;
};

struct linger {
	int l_onoff, l_linger;
};

/*
 * The open files one SCM_RIGHTS message carries (Linux's scm_fp_list):
 * the message holds a reference on each. usock[i] is fp[i]'s socket when
 * it is an AF_UNIX one (borrowed: the file keeps it), for the garbage
 * collector of AF_UNIX (net/unix_gc.c); next links lists of them.
 */
struct file;
struct socket;
struct scm_fds {
	struct scm_fds *next;
	int n;
	struct file *fp[SCM_MAX_FD];
	struct socket *usock[SCM_MAX_FD];
};

/* The largest socket address (struct sockaddr_storage). */
#define SOCK_ADDR_MAX 128

/*
 * The data of one send or receive: an iovec array whose bases are user
 * addresses (the msg syscalls) or kernel addresses (read and write through
 * file_ops, which hand the socket kernel buffers). Protocols move bytes
 * only with msg_iter_copy_in / msg_iter_copy_out, which advance it.
 */
struct msg_iter {
	const struct iovec *iov; /* the caller's (kernel) copy of the array */
	size_t nr;		 /* entries */
	size_t idx, off;	 /* current entry and offset in it */
	size_t left;		 /* bytes not yet moved */
	bool kernel;		 /* iov_base are kernel pointers */
};

/* it over the n entries of iov (total bytes: left). */
void msg_iter_init(struct msg_iter *it, const struct iovec *iov, size_t nr,
		   size_t total, bool kernel);
/* Take n (<= left) bytes of the sender's data into dst: 0 or -EFAULT. */
int msg_iter_copy_in(struct msg_iter *it, void *dst, size_t n);
/* Give n (<= left) bytes from src to the receiver: 0 or -EFAULT. */
int msg_iter_copy_out(struct msg_iter *it, const void *src, size_t n);

/*
 * One sendmsg or recvmsg as the protocol sees it, all in kernel memory
 * except the data. name: sendto's destination (namelen 0: none), or where
 * recvfrom's source goes (namelen in: SOCK_ADDR_MAX, out: its length, 0
 * when there is none). flags_out: MSG_TRUNC, MSG_CTRUNC, MSG_EOR for
 * recvmsg's msg_flags.
 *
 * Ancillary data (AF_UNIX only): fds is, on a send, the files the sender
 * passes (a family that queues them sets fds to NULL; whatever is left
 * the caller drops), and on a receive the files that came with the data
 * (the caller installs or drops them: scm_fds_put). cred is SCM_CREDENTIALS:
 * on a send the checked credentials the sender gave (has_cred), on a
 * receive the sender's credentials, filled when the receiver has
 * SO_PASSCRED.
 */
struct sock_msg {
	struct msg_iter data;
	uint8_t name[SOCK_ADDR_MAX];
	int namelen;
	unsigned int flags_out;
	bool sigpipe; /* set by sock_epipe: the caller owes a SIGPIPE */
	struct scm_fds *fds;
	bool has_cred;
	struct ucred cred;
};

struct socket;

/*
 * What a family implements. Every hook gets the socket with its protocol
 * state in s->sk and returns 0 (or a byte count) or -ERRNO exactly as
 * Linux would; addresses are kernel copies whose length the generic layer
 * has checked against 0..SOCK_ADDR_MAX only. A NULL hook answers
 * -EOPNOTSUPP (ioctl: -ENOTTY; getsockopt/setsockopt at the protocol's
 * levels: -ENOPROTOOPT). Blocking hooks sleep with sock_wait and honour
 * nonblock (O_NONBLOCK or MSG_DONTWAIT, already folded in by the caller).
 *
 * Readiness: whoever changes what poll would say calls
 * poll_wake(&s->ph, bits) on the socket concerned (fs/poll.h).
 */
struct proto_ops {
	int family;
	/* The last close of the file (or dropping an unaccepted socket). */
	void (*release)(struct socket *s);
	int (*bind)(struct socket *s, const void *addr, int len);
	int (*connect)(struct socket *s, const void *addr, int len,
		       bool nonblock);
	int (*listen)(struct socket *s, int backlog);
	/* A new connected socket (refs 1, no file yet) in *out. */
	int (*accept)(struct socket *s, struct socket **out, bool nonblock);
	/* Connect a and b to each other (socketpair). */
	int (*socketpair)(struct socket *a, struct socket *b);
	/* Bytes sent; flags are MSG_* (MSG_DONTWAIT set when nonblocking). */
	long (*sendmsg)(struct socket *s, struct sock_msg *m, int flags);
	/* Bytes received (MSG_TRUNC: the datagram's full length); 0 at EOF. */
	long (*recvmsg)(struct socket *s, struct sock_msg *m, int flags);
	/* how: SHUT_RD, SHUT_WR, SHUT_RDWR (checked). */
	int (*shutdown)(struct socket *s, int how);
	/* Address into addr (SOCK_ADDR_MAX bytes); its length or -ERRNO. */
	int (*getsockname)(struct socket *s, void *addr);
	int (*getpeername)(struct socket *s, void *addr);
	/* Levels other than SOL_SOCKET (val: kernel copy of *len bytes). */
	int (*setsockopt)(struct socket *s, int level, int name,
			  const void *val, int len);
	int (*getsockopt)(struct socket *s, int level, int name, void *val,
			  int *len);
	/* POLL* bits ready now (POLLERR when s->err is set is added). */
	unsigned int (*poll)(struct socket *s);
	/* Ioctls not handled generically; arg is a user pointer. */
	long (*ioctl)(struct socket *s, unsigned int cmd, uintptr_t arg);
	/* Bytes queued for reading (FIONREAD/SIOCINQ). */
	int (*inq)(struct socket *s);
};

/* A family: makes the protocol state of a new socket of a type. */
struct net_proto_family {
	int family;
	/*
	 * Check type (SOCK_STREAM...) and protocol (0 or the family's own),
	 * set s->ops and s->sk: 0, -ESOCKTNOSUPPORT, -EPROTONOSUPPORT,
	 * -EPROTOTYPE, -ENOMEM.
	 */
	int (*create)(struct socket *s, int protocol);
};

/* Connection states (Linux's socket_state). */
enum sock_state {
	SS_FREE,
	SS_UNCONNECTED,
	SS_CONNECTING,
	SS_CONNECTED,
	SS_DISCONNECTING,
};

/*
 * A socket: the generic part every family shares. The file (when there is
 * one) owns a reference; so may a family (a peer pointer, an accept
 * queue). Options of SOL_SOCKET are stored here; only some change
 * behaviour (noted).
 */
struct socket {
	int refs;
	int family, type, protocol;
	enum sock_state state;
	bool listening; /* SO_ACCEPTCONN */
	const struct proto_ops *ops;
	void *sk;	     /* the family's state */
	struct file *file;   /* not referenced; NULL before accept */
	struct poll_head ph; /* this socket's readiness changes */
	uint64_t ino;	     /* "socket:[ino]", st_ino */
	int err;	     /* pending -ERRNO: SO_ERROR reads and clears */
	unsigned int shut;   /* SOCK_*_SHUTDOWN */
	/* SOL_SOCKET options */
	bool reuseaddr, reuseport, keepalive, broadcast, passcred;
	int sndbuf, rcvbuf, rcvlowat, priority;
	struct linger linger;
	uint64_t rcvtimeo_ns, sndtimeo_ns; /* 0: wait forever */
	/* SO_PEERCRED: the family records it (AF_UNIX: connect, listen...) */
	bool has_peercred;
	struct ucred peercred;
};

/* ---- net/socket.c ---- */

/* A new socket (refs 1, no family state yet), or NULL on -ENOMEM. */
struct socket *sock_alloc(int family, int type, int protocol);
struct socket *sock_get(struct socket *s);
/* Drop a reference; the last one frees s (ops->release ran already). */
void sock_put(struct socket *s);
/* Release the family state (ops->release) and drop the caller's ref. */
void sock_release(struct socket *s);

/*
 * Sleep on s->ph until poll_wake or the deadline (time_ns; 0: none).
 * Returns 0 (re-check), -EAGAIN (deadline passed: SO_RCVTIMEO), or
 * -ERESTARTSYS (a signal). The caller loops on its condition. It is
 * poll_head_wait(&s->ph, false, deadline_ns): call that (fs/poll.h) to
 * sleep on another socket's head (a listener, a datagram receiver).
 */
int sock_wait(struct socket *s, uint64_t deadline_ns);
/*
 * A receive found nothing to read: the pending error (cleared, as
 * SO_ERROR would), 0 at end of stream (shut for reading), -EAGAIN for
 * MSG_DONTWAIT, else sleep as sock_wait does and return 1 to look again
 * (or its -EAGAIN/-ERESTARTSYS).
 */
int sock_recv_wait(struct socket *s, int flags, uint64_t deadline_ns);
/* Deadline for a blocking receive or send from SO_RCVTIMEO/SO_SNDTIMEO. */
uint64_t sock_deadline(uint64_t timeo_ns);

/*
 * A send that found sending shut (shutdown, a closed or reset peer):
 * marks m so that the syscall layer raises SIGPIPE unless MSG_NOSIGNAL
 * (linux/sock_file.c), and returns -EPIPE.
 */
long sock_epipe(struct sock_msg *m);

/*
 * True while the process closes its files as it exits: a close then never
 * lingers (socket(7): "When the socket is closed as part of exit(2), it
 * always lingers in the background").
 */
bool sock_exiting(void);

/* A new empty fd list (n 0), or NULL on -ENOMEM. */
struct scm_fds *scm_fds_alloc(void);
/* A copy of fds holding its own references (MSG_PEEK), or NULL. */
struct scm_fds *scm_fds_dup(const struct scm_fds *fds);
/*
 * Drop fds (NULL: nothing): put every file and free the list. Puts that
 * release sockets holding more lists are queued and done here in a loop,
 * never by recursion, so a long chain of sockets cannot exhaust the
 * kernel stack.
 */
void scm_fds_put(struct scm_fds *fds);

/* Families: AF_UNIX (net/unix_sock.c...). */
extern const struct net_proto_family unix_family;
/* AF_INET: UDP (net/inet_udp.c) and TCP (net/inet_tcp.c). */
extern const struct net_proto_family inet_family;
/* inet_family's SOCK_STREAM half: as net_proto_family.create. */
int inet_tcp_create(struct socket *s, int protocol);
/*
 * An untrusted sockaddr_in of len bytes: 0 with ip and port in host
 * order, -EINVAL or -EAFNOSUPPORT (net/inet_udp.c).
 */
int inet_addr_in(const void *addr, int len, uint32_t *ip, uint16_t *port);
/* A sockaddr_in (ip, port in host order) into out; its length. */
int inet_addr_out(void *out, uint32_t ip, uint16_t port);

#endif
