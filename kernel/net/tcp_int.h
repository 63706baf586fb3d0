/* tcp_int.h - TCP internals shared by tcp_*.c: the connection and segments. */
#ifndef KILN_NET_TCP_INT_H
#define KILN_NET_TCP_INT_H

#include "net/tcp.h"

#define TCP_HLEN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_WSCALE_MAX 14    /* RFC 7323 2.3 */
#define TCP_OOO_MAX 4	     /* out-of-order ranges held per connection */
#define TCP_MSS_DEFAULT 536  /* RFC 9293 3.7.1, when no MSS option */
#define TCP_HALF_OPEN_MIN 64 /* half-open children a listener allows */

#define MS (1000000ull)
/*
 * A short MSL: the stack runs on virtual networks behind NAT, where stray
 * segments do not live for the RFC's 2 minutes. TIME-WAIT is 2 * MSL.
 */
#define TCP_MSL_NS (1000 * MS)
/* How long FIN-WAIT-2 waits for the peer's FIN once the user closed. */
#define TCP_FIN_WAIT_2_NS (30000 * MS)
#define TCP_RTO_INIT_NS (1000 * MS) /* RFC 6298 2.1 */
/* RFC 6298 2.4 says 1 s; 200 ms as Linux does, to recover losses sooner. */
#define TCP_RTO_MIN_NS (200 * MS)
#define TCP_RTO_MAX_NS (60000 * MS) /* RFC 6298 2.5 */
#define TCP_CLOCK_G_NS (1 * MS)	    /* RFC 6298 "G" */
#define TCP_RETRIES_MAX 10	    /* then the connection times out */
#define TCP_DELACK_NS (40 * MS)	    /* Linux's minimum delayed-ACK time */
#define TCP_TS_LEN 12		    /* NOP, NOP, kind 8 length 10 */

/* A validated segment; data points into the received frame. */
struct tcp_seg {
	uint32_t src, dst; /* IPv4, host order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd; /* as received, not scaled */
	const uint8_t *data;
	size_t len;    /* data bytes (SYN and FIN not counted) */
	bool stripped; /* data/SYN/FIN cut off: no dup ACK */
	/* Options (RFC 9293 3.1, RFC 7323). */
	uint16_t mss;  /* 0: absent */
	int8_t wscale; /* -1: absent; else clamped to 14 */
	bool sack_ok;  /* noted, not used */
	bool has_ts;
	uint32_t ts_val, ts_ecr;
};

/* A segment to build (tcp_seg.c). */
struct tcp_out {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint16_t mss;  /* 0: no MSS option */
	int8_t wscale; /* -1: no window scale option */
	bool ts;       /* a timestamps option (RFC 7323 3) */
	uint32_t ts_val, ts_ecr;
	const void *data;
	size_t len;
	/* When set, data holds only the first `first` bytes; rest the others. */
	const void *rest;
	size_t first;
};

/* A received range [start, end) held beyond rcv_nxt. */
struct tcp_range {
	uint32_t start, end;
};

/*
 * One connection or listener. Send sequence space (RFC 9293 3.3.1):
 *
 *      snd_una    snd_nxt              snd_base + snd_len
 *   ----|----------|------------------------|------
 *       unacked     buffered, not yet sent
 *
 * (SND.NXT <= snd_max: after a timeout SND.NXT resends from SND.UNA.)
 * sndbuf is a ring of snd_size bytes: the byte with sequence number
 * snd_base (iss + 1 until data is acked) is at sndbuf[snd_head], the next
 * ones follow it (mod snd_size), so an ACK frees bytes without moving the
 * others. The FIN, once queued, follows the last buffered byte. rcvbuf is
 * a ring of rcv_size bytes: from rcv_head, rcv_len in-order bytes the user
 * has not read, then (at their offsets from rcv_nxt) the out-of-order
 * ranges in ooo[]. Both are allocated at their size with the connection
 * (a listener has none, only the sizes its children get); sndbuf goes at
 * TIME-WAIT, rcvbuf when the user closes: NULL then, size kept.
 */
struct tcp_conn {
	/* The table (tcp_table.c): every one, and its chain by 4-tuple. */
	struct tcp_conn *next, **pprev;
	struct tcp_conn *hnext, **hpprev;
	uint8_t in_table; /* TCP_IN_* */
	struct netif *nif;
	uint32_t laddr, raddr; /* a listener's laddr may be 0: any */
	uint16_t lport, rport;
	enum tcp_state state;
	bool user; /* the socket layer holds a pointer */
	bool nodelay;
	int error;

	/* Listeners: half-open and accept-ready children. */
	struct tcp_conn *listener; /* children: the one we came from */
	struct tcp_conn *acceptq;  /* established, not yet accepted */
	struct tcp_conn *accept_next;
	bool in_acceptq; /* children: on the listener's acceptq */
	int backlog;
	int children, queued; /* all children; those on acceptq */
	bool reuseport;	      /* shares its port (SO_REUSEPORT) */

	uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, snd_base;
	/*
	 * The highest sequence number sent. A retransmission timeout moves
	 * SND.NXT back to SND.UNA (go-back-N); ACKs up to snd_max stay valid
	 * and pure ACKs carry it, so the peer never sees them as old.
	 */
	uint32_t snd_max;
	uint32_t snd_sml; /* end of the last short segment sent */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t wscale_offer; /* our shift, offered in our SYN */
	bool ws_ok;	      /* both sent window scale */
	/* RFC 7323 timestamps: both sent the option in the SYNs. */
	bool ts_ok;
	uint32_t ts_recent;	/* the peer's TSval to echo */
	uint32_t last_ack_sent; /* RCV.NXT in our last ACK */
	uint16_t mss;		/* what we send per segment */
	bool fin_queued, fin_sent;
	size_t snd_len, snd_head, snd_size;
	uint8_t *sndbuf;

	uint32_t irs, rcv_nxt;
	uint32_t rcv_adv; /* right edge of the window advertised */
	bool fin_rcvd;
	size_t rcv_len, rcv_head;
	int nooo;
	struct tcp_range ooo[TCP_OOO_MAX];
	size_t rcv_size;
	uint8_t *rcvbuf;

	/* RFC 6298 estimator; RFC 5681 congestion state. */
	uint64_t srtt, rttvar, rto;
	bool rtt_valid, rtt_timing;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	uint32_t cwnd, ssthresh;
	int dupacks;
	bool recovering;
	uint32_t recover; /* RFC 6582: snd_max at fast retransmit */

	uint64_t rexmt_at, persist_at, tw_at; /* 0: not armed */
	uint64_t delack_at;		      /* an ACK owed by then; 0: none */
	/* Keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): off by default. */
	bool keepalive;
	int keep_cnt, keep_sent;	/* probes allowed, sent */
	uint64_t keep_idle, keep_intvl; /* ns */
	uint64_t last_rcv;		/* when the peer last spoke */
	uint64_t persist_ivl;
	int retries;

	tcp_notify_fn *notify;
	void *ctx;
};

/* n bytes into a ring of size bytes at index pos, wrapping. */
static inline void ring_copy_in(uint8_t *ring, size_t size, size_t pos,
				const void *src, size_t n)
{
	size_t first = n < size - pos ? n : size - pos;

	__builtin_memcpy(ring + pos, src, first);
	__builtin_memcpy(ring, (const uint8_t *)src + first, n - first);
}

/* n bytes out of a ring of size bytes from index pos, wrapping. */
static inline void ring_copy_out(void *dst, const uint8_t *ring, size_t size,
				 size_t pos, size_t n)
{
	size_t first = n < size - pos ? n : size - pos;

	__builtin_memcpy(dst, ring + pos, first);
	__builtin_memcpy((uint8_t *)dst + first, ring, n - first);
}

/* Sequence arithmetic modulo 2^32 (RFC 9293 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* tcp_seg.c */
uint16_t tcp_checksum(uint32_t src, uint32_t dst, const void *seg, size_t len);
int tcp_parse_options(const uint8_t *opt, size_t len, struct tcp_seg *s);
int tcp_parse(const struct ipv4_rx *rx, struct tcp_seg *s);
int tcp_build_send(struct netif *nif, const struct tcp_out *o, uint64_t now);
void tcp_reply_rst(struct netif *nif, const struct tcp_seg *s, uint64_t now);

/* tcp_table.c: where a connection is kept (struct tcp_conn in_table). */
#define TCP_IN_NONE 0
#define TCP_IN_HASH 1		   /* a connection, by 4-tuple */
#define TCP_IN_LISTENERS 2	   /* a listener */
extern struct tcp_conn *tcp_conns; /* every one: walk with next */
void tcp_table_add(struct tcp_conn *c);
void tcp_table_remove(struct tcp_conn *c);
struct tcp_conn *tcp_lookup(uint32_t laddr, uint16_t lport, uint32_t raddr,
			    uint16_t rport);
/* Listeners on a port: the first, and the next after l (NULL: no more). */
struct tcp_conn *tcp_listener_on(uint16_t port);
struct tcp_conn *tcp_listener_next(const struct tcp_conn *l);

/* tcp_conn.c, tcp_buf.c */
struct tcp_conn *tcp_conn_new(struct netif *nif);
/* c's rings at rcv_size and snd_size, and the shift to offer: 0, -ENOMEM. */
int tcp_bufs_alloc(struct tcp_conn *c);
/* The smallest shift that lets a 16-bit window cover size bytes. */
uint8_t tcp_wscale_for(size_t size);
void tcp_sndbuf_release(struct tcp_conn *c); /* TIME-WAIT: all acked */
void tcp_rcvbuf_release(struct tcp_conn *c); /* the user closed */
void tcp_conn_free(struct tcp_conn *c);	     /* c and its rings */
uint32_t tcp_isn(const struct tcp_conn *c, uint64_t now);
void tcp_set_closed(struct tcp_conn *c, int err);
void tcp_notify(struct tcp_conn *c, unsigned events);
void tcp_established(struct tcp_conn *c);

/* tcp_output.c */
/* Data bytes per segment: the MSS less the timestamps option when used. */
uint32_t tcp_seg_max(const struct tcp_conn *c);
/* Our TSval clock: milliseconds (RFC 7323 5.4: 1 ms to 1 s a tick). */
static inline uint32_t tcp_ts_now(uint64_t now)
{
	return (uint32_t)(now / MS);
}
/* A state in which data and the FIN may still go out (and be resent). */
bool tcp_may_send_data(const struct tcp_conn *c);
uint32_t tcp_rcv_wnd(const struct tcp_conn *c);
/* The window field for a segment that is not a SYN; records rcv_adv. */
uint16_t tcp_adv_wnd(struct tcp_conn *c);
void tcp_send_flags(struct tcp_conn *c, uint32_t seq, uint8_t flags, size_t len,
		    uint64_t now);
void tcp_send_ack(struct tcp_conn *c, uint64_t now);
void tcp_send_syn(struct tcp_conn *c, uint64_t now);
void tcp_output(struct tcp_conn *c, uint64_t now);
void tcp_fast_rexmt(struct tcp_conn *c, uint64_t now);
void tcp_resend_una(struct tcp_conn *c, uint64_t now);

/* tcp_timer.c */
void tcp_timer_update(struct tcp_conn *c, uint64_t now, bool restart);
void tcp_rtt_sample(struct tcp_conn *c, uint32_t ack, uint64_t now);
void tcp_rtt_update(struct tcp_conn *c, uint64_t r);
void tcp_cc_init(struct tcp_conn *c);
void tcp_cc_ack(struct tcp_conn *c, uint32_t acked);
void tcp_enter_time_wait(struct tcp_conn *c, uint64_t now);

/* tcp_reass.c */
void tcp_rcv_data(struct tcp_conn *c, const struct tcp_seg *s);

/* tcp_ack.c */
int tcp_ack_input(struct tcp_conn *c, const struct tcp_seg *s, uint64_t now);
bool tcp_fin_acked(const struct tcp_conn *c);

#endif
