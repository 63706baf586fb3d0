/* tcp.h - TCP (RFC 9293): the interface the socket layer uses. */
#ifndef KILN_NET_TCP_H
#define KILN_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;
struct ipv4_rx;
struct tcp_conn;

/*
 * Receive and send buffer sizes in bytes: each connection has two rings
 * of exactly these sizes (SO_RCVBUF and SO_SNDBUF report them). The
 * defaults are what the bench measured best under TCG (docs/net.md).
 */
#define TCP_RCVBUF_DEFAULT 131072
#define TCP_SNDBUF_DEFAULT 65536
#define TCP_BUF_MIN 2048
#define TCP_BUF_MAX (4u << 20)

/* Connection states, RFC 9293 3.3.2. */
enum tcp_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

/* Events passed to the notify hook (the socket layer maps them to poll). */
#define TCP_EV_IN 1u  /* data, EOF or a connection to accept */
#define TCP_EV_OUT 2u /* send buffer space, or connected */
#define TCP_EV_HUP 4u /* the peer closed its side (FIN) or we are gone */
#define TCP_EV_ERR 8u /* reset, refused or timed out: see tcp_error */

typedef void tcp_notify_fn(struct tcp_conn *c, unsigned events);

/*
 * The initial sequence number generator (RFC 9293 3.4.1). The default is
 * a 4 us clock plus a hash of the 4-tuple; tests install a fixed one.
 */
typedef uint32_t tcp_isn_fn(uint32_t laddr, uint16_t lport, uint32_t raddr,
			    uint16_t rport, uint64_t now);
void tcp_set_isn(tcp_isn_fn *fn); /* NULL restores the default */

/* The secret the connection table's hash is keyed with (boot, random). */
void tcp_set_hash_key(uint32_t key);

/* Installs tcp_input as ipv4_tcp_input. */
void tcp_init(void);

/* Frees every connection and listener without sending anything (tests). */
void tcp_shutdown(void);

/* One TCP segment in an IPv4 datagram (the ipv4_tcp_input hook). */
void tcp_input(struct netif *nif, const struct ipv4_rx *rx, uint64_t now);

/* Retransmission, persist and TIME-WAIT timers; call every few ms. */
void tcp_timers(uint64_t now);

/* True while any connection exists, listeners aside (timers may run). */
bool tcp_busy(void);

/*
 * Bytes (a FIN counts as one) written by users and not yet acknowledged
 * by a peer outside the VM: loopback connections are not counted.
 */
size_t tcp_unacked(void);

/*
 * A listener on laddr:port (laddr 0: any local address) queueing up to
 * backlog + 1 established connections, as Linux does (SYNs beyond are
 * dropped, for the peer to retry), whose buffers have the default sizes
 * until tcp_set_bufsize. Returns NULL with *err = -EINVAL (port 0,
 * backlog < 1), -EADDRINUSE (a listener on the port whose address is the
 * same or overlaps through 0, unless both set reuseport; connections on
 * the port, such as a previous listener's in TIME-WAIT, do not count) or
 * -ENOMEM. Listeners sharing a port by reuseport split new connections
 * between them by a hash of the peer's address and port (SO_REUSEPORT).
 */
struct tcp_conn *tcp_listen_on(uint32_t laddr, uint16_t port, int backlog,
			       bool reuseport, int *err);

/* tcp_listen_on any address, without reuseport. */
struct tcp_conn *tcp_listen(uint16_t port, int backlog, int *err);

/* The oldest established connection on listener l, or NULL (none yet). */
struct tcp_conn *tcp_accept(struct tcp_conn *l);

/*
 * Opens a connection to dst:port on the interface net_route picks, from an
 * ephemeral port, with buffers of the default sizes: sends the SYN now.
 * Returns NULL with *err = -ENETUNREACH (no configured interface), -EINVAL
 * (port 0), -EADDRNOTAVAIL (no free port) or -ENOMEM (no memory for the
 * connection or its buffers). Completion is reported by TCP_EV_OUT.
 */
struct tcp_conn *tcp_connect(uint32_t dst, uint16_t port, uint64_t now,
			     int *err);

/*
 * The same from local port lport (0: an ephemeral one) with buffers of
 * rcvbuf and sndbuf bytes (TCP_BUF_MIN..TCP_BUF_MAX, else -EINVAL);
 * -EADDRNOTAVAIL also when that 4-tuple is in use.
 */
struct tcp_conn *tcp_connect_from(uint16_t lport, uint32_t dst, uint16_t port,
				  size_t rcvbuf, size_t sndbuf, uint64_t now,
				  int *err);

/*
 * Buffer sizes (TCP_BUF_MIN..TCP_BUF_MAX, else -EINVAL). A listener
 * records them for the connections it will make. A connection's send ring
 * is resized when it holds no more than the new size; its receive ring,
 * once synchronized, when the new size covers the unread bytes and the
 * window already advertised (our window scale, fixed by the SYNs, may cap
 * what a larger ring can advertise). Otherwise a ring keeps its size:
 * tcp_bufsize tells. Returns 0, or -ENOMEM (the ring kept its size).
 */
int tcp_set_bufsize(struct tcp_conn *c, size_t rcv, size_t snd);
void tcp_bufsize(const struct tcp_conn *c, size_t *rcv, size_t *snd);

/* True when a connection or listener has local port port. */
bool tcp_port_used(uint16_t port);

/*
 * Queues up to len bytes for sending and sends what the windows allow.
 * Returns the bytes accepted (> 0), -EAGAIN when the buffer is full,
 * -ENOTCONN before connecting, -EPIPE after a close, or the pending error.
 */
long tcp_send(struct tcp_conn *c, const void *buf, size_t len, uint64_t now);

/*
 * Copies up to len received bytes in order. Returns the count, 0 at end
 * of stream (the peer's FIN), -EAGAIN when nothing is there yet,
 * -ENOTCONN on a listener, or the pending error (-ECONNRESET...).
 */
long tcp_recv(struct tcp_conn *c, void *buf, size_t len, uint64_t now);

/*
 * MSG_PEEK: the same without consuming, from off bytes into the unread
 * data (0 at end of stream or -EAGAIN when there is nothing past off).
 */
long tcp_peek(const struct tcp_conn *c, void *buf, size_t off, size_t len);

/*
 * The user is done with c (RFC 9293 3.10.4): queues a FIN after the data
 * (or frees at once when nothing is left to say). The stack owns and frees
 * c afterwards; the caller must not touch it again.
 */
void tcp_close(struct tcp_conn *c, uint64_t now);

/*
 * Half close (shutdown(SHUT_WR)): queues a FIN after the data in
 * ESTABLISHED or CLOSE-WAIT, else does nothing. The user keeps c, may
 * still receive, and must tcp_close it later.
 */
void tcp_close_send(struct tcp_conn *c, uint64_t now);

/*
 * True while our FIN is queued or sent and not yet acknowledged
 * (FIN-WAIT-1, CLOSING, LAST-ACK): what a lingering close waits out.
 * The core signals the change with TCP_EV_OUT (or the close).
 */
bool tcp_fin_pending(const struct tcp_conn *c);

/* Sends a RST when synchronized and frees c at once (RFC 9293 3.10.5). */
void tcp_abort(struct tcp_conn *c, uint64_t now);

/* Sets the no-delay flag (Nagle off, RFC 9293 3.7.4) when on is true. */
void tcp_set_nodelay(struct tcp_conn *c, bool on);

/*
 * Keepalive (RFC 9293 3.8.4): after idle_ns without a segment from the
 * peer, probe every intvl_ns; cnt probes unanswered close the connection
 * with -ETIMEDOUT. Off when on is false.
 */
void tcp_set_keepalive(struct tcp_conn *c, bool on, uint64_t idle_ns,
		       uint64_t intvl_ns, int cnt);

/* The hook called with TCP_EV_* bits as things change, and its context. */
void tcp_set_notify(struct tcp_conn *c, tcp_notify_fn *fn, void *ctx);
void *tcp_ctx(const struct tcp_conn *c);

/* Readiness, for poll: data/EOF/error/acceptable; buffer space. */
bool tcp_readable(const struct tcp_conn *c);
bool tcp_writable(const struct tcp_conn *c);
enum tcp_state tcp_state(const struct tcp_conn *c);
int tcp_error(const struct tcp_conn *c);  /* 0 or -ECONNRESET... */
size_t tcp_inq(const struct tcp_conn *c); /* bytes ready to read */
/* The 4-tuple in host order (a listener's laddr is 0: any). */
void tcp_endpoints(const struct tcp_conn *c, uint32_t *laddr, uint16_t *lport,
		   uint32_t *raddr, uint16_t *rport);

#endif
