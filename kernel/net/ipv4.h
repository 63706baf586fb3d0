/* ipv4.h - IPv4 (RFC 791): validation, routing, output, reassembly. */
#ifndef KILN_NET_IPV4_H
#define KILN_NET_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/pkt.h"

struct netif;

#define IPV4_HLEN 20 /* without options */
#define IPV4_TTL 64  /* of what we send */
#define IPV4_BROADCAST 0xffffffffu
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IPV4_REASM_MAX 8 /* datagrams being reassembled */
#define IPV4_REASM_TIMEOUT_NS (30ull * 1000000000ull)

/* Build an address from its dotted-quad parts: IPV4_ADDR(10, 0, 2, 15). */
#define IPV4_ADDR(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* The interface's addresses, host order; 0 means "not configured". */
struct ipv4_config {
	uint32_t addr;
	uint32_t netmask;
	uint32_t gateway;
	uint32_t dns;
};

/* A validated datagram; pointers point into the received frame. */
struct ipv4_rx {
	uint32_t src, dst;
	uint8_t proto, ttl;
	bool broadcast;	    /* dst was a broadcast address */
	const uint8_t *hdr; /* header, options included */
	size_t hdr_len;
	const uint8_t *payload;
	size_t len;	   /* payload bytes, padding removed */
	uint16_t id, frag; /* identification, flags+offset */
	bool csum_ok;	   /* TCP/UDP checksum: NET_RX_CSUM_OK */
};

#define IPV4_MF 0x2000
#define IPV4_DF 0x4000
#define IPV4_OFFSET_MASK 0x1fff

/*
 * Validates an untrusted datagram: version 4, IHL >= 5, header and total
 * length inside buf (Ethernet padding after total length is dropped),
 * header checksum, TTL > 0, a source that is not group or broadcast.
 * Options are skipped, not interpreted. Returns 0 or -EINVAL.
 */
int ipv4_parse(const void *buf, size_t len, struct ipv4_rx *rx);

/*
 * A received datagram (after Ethernet): checks, reassembles, dispatches.
 * rx_flags: net_input_flags's, for an unfragmented datagram.
 */
void ipv4_input(struct netif *nif, const void *buf, size_t len,
		unsigned rx_flags, uint64_t now);

/* Hands a whole datagram to ICMP, UDP or the TCP hook. */
void ipv4_deliver(struct netif *nif, const struct ipv4_rx *rx, uint64_t now);

/*
 * The next hop for dst: dst itself on-link, the gateway otherwise,
 * IPV4_BROADCAST for a broadcast dst, dst on a loopback interface.
 * Returns 0 or -ENETUNREACH (off-link with no gateway, multicast, or an
 * unconfigured interface for a unicast).
 */
int ipv4_route(const struct netif *nif, uint32_t dst, uint32_t *next_hop);

/*
 * Prepends a 20-byte header (src, dst, proto, TTL 64, a fresh
 * identification, no fragmentation) to the payload in p and sends it.
 * Always consumes p. Returns 0, -EMSGSIZE beyond the MTU, -ENETUNREACH,
 * -ENOBUFS, or the driver's error.
 */
int ipv4_output(struct netif *nif, struct pkt *p, uint32_t src, uint32_t dst,
		uint8_t proto, uint64_t now);

/*
 * The one's-complement sum, unfolded, of the TCP/UDP pseudo-header (RFC
 * 768, RFC 9293 3.1): src, dst, zero, proto, the segment's length.
 */
uint64_t ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len);

/*
 * A hash of a peer's address and port, to spread a SO_REUSEPORT group's
 * traffic: the same peer always gets the same value.
 */
uint32_t ipv4_peer_hash(uint32_t addr, uint16_t port);

/*
 * Fills the TCP or UDP checksum of the segment in p (p->data is its
 * header, field the checksum's offset in it, p->len its length), from
 * src to dst. On an interface with NETIF_TX_CSUM only the pseudo-header's
 * sum goes in and p is marked for the interface to finish; otherwise the
 * whole checksum (a UDP 0 sent as 0xffff, RFC 768).
 */
void ipv4_l4_csum(const struct netif *nif, struct pkt *p, uint32_t src,
		  uint32_t dst, uint8_t proto, size_t field);

/*
 * TCP is not written yet: when set, it receives TCP datagrams. Until then
 * they are answered with ICMP protocol unreachable.
 */
extern void (*ipv4_tcp_input)(struct netif *nif, const struct ipv4_rx *rx,
			      uint64_t now);

/* Fragment reassembly (RFC 791 3.2, RFC 815), ipv4_frag.c. */
struct ipv4_reasm;
void ipv4_reasm_input(struct netif *nif, const struct ipv4_rx *rx,
		      uint64_t now);
void ipv4_reasm_timers(struct netif *nif, uint64_t now);
void ipv4_reasm_flush(struct netif *nif);

#endif
