/* inet_tcp_int.h - what inet_tcp.c and inet_tcp_data.c share: the AF_INET stream socket. */
#ifndef KILN_NET_INET_TCP_INT_H
#define KILN_NET_INET_TCP_INT_H

#include "net/socket.h"
#include "net/tcp.h"

struct inet_tcp {
	struct socket *sock;
	struct inet_tcp *next_bound; /* in bound_socks when lport != 0 */
	struct tcp_conn *conn;	     /* listener or connection, or NULL */
	uint32_t laddr;		     /* bound address, host order */
	uint16_t lport;		     /* bound port (0: none) */
	bool nodelay;
	bool err_seen; /* the core's error was returned once */
	int keep_idle, keep_intvl, keep_cnt; /* seconds, seconds, probes */
};

static inline struct inet_tcp *tcp_of(struct socket *s)
{
	return s->sk;
}

/*
 * The data path (inet_tcp_data.c), the proto_ops of inet_stream_ops:
 * byte counts or -ERRNO as sendmsg(2), recvmsg(2); poll's ready mask;
 * FIONREAD's count or -EINVAL on a listener.
 */
long inet_tcp_sendmsg(struct socket *s, struct sock_msg *m, int flags);
long inet_tcp_recvmsg(struct socket *s, struct sock_msg *m, int flags);
unsigned int inet_tcp_poll(struct socket *s);
int inet_tcp_inq(struct socket *s);

#endif
