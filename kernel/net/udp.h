/* udp.h - UDP (RFC 768): validation, port demultiplexing, output. */
#ifndef KILN_NET_UDP_H
#define KILN_NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;
struct ipv4_rx;

#define UDP_HLEN 8

/* A validated datagram; data points into the received frame. */
struct udp_rx {
	uint32_t src, dst; /* IPv4 addresses, host order */
	uint16_t sport, dport;
	bool broadcast;
	const uint8_t *data;
	size_t len;
};

/*
 * Called for each datagram to a bound port, during net_input: the data is
 * only valid during the call.
 */
typedef void udp_recv_fn(void *ctx, struct netif *nif, const struct udp_rx *rx,
			 uint64_t now);

/* The UDP checksum of segment seg (header included) between src and dst. */
uint16_t udp_checksum(uint32_t src, uint32_t dst, const void *seg, size_t len);

/*
 * Validates the UDP datagram in an IPv4 payload: length field within the
 * payload (the rest is dropped), at least 8, checksum when not 0.
 * Returns 0, -EINVAL, or -EBADMSG for a checksum error.
 */
int udp_parse(const struct ipv4_rx *ip, struct udp_rx *u);

/*
 * A bound UDP endpoint, owned by the caller and linked into udp.c's list
 * while bound. laddr 0 hears every local address; raddr/rport, when set
 * (a connected socket), admit only that peer.
 */
struct udp_port {
	struct udp_port *next;
	uint32_t laddr, raddr; /* host order */
	uint16_t lport, rport;
	bool reuseaddr, reuseport; /* SO_REUSEADDR, SO_REUSEPORT */
	udp_recv_fn *fn;
	void *ctx;
};

/*
 * Hands the datagram to the endpoint that matches it most closely (a
 * connected peer, then a bound address, counting over "any"); among equal
 * SO_REUSEPORT endpoints a hash of the sender picks one. Broadcasts go to
 * every endpoint on the port. Port unreachable when none matches.
 */
void udp_input(struct netif *nif, const struct ipv4_rx *ip, uint64_t now);

/*
 * Links up (lport, laddr, flags, fn and ctx set) into the table. Returns
 * 0, -EINVAL for port 0 or no fn, or -EADDRINUSE when a bound endpoint's
 * address overlaps (equal, or either is 0) unless both set reuseaddr or
 * both set reuseport (Linux's rule).
 */
int udp_bind(struct udp_port *up);
void udp_unbind(struct udp_port *up);

/* True when some endpoint is bound to port. */
bool udp_port_used(uint16_t port);

/*
 * Sends len bytes from nif's address (0.0.0.0 while unconfigured, as DHCP
 * needs) port sport to dst:dport. Returns 0, -EMSGSIZE, -ENOBUFS, or an
 * ipv4_output error.
 */
int udp_output(struct netif *nif, uint16_t sport, uint32_t dst, uint16_t dport,
	       const void *data, size_t len, uint64_t now);

/* The same from a given source address (as net_route chose it). */
int udp_output_from(struct netif *nif, uint32_t src, uint16_t sport,
		    uint32_t dst, uint16_t dport, const void *data, size_t len,
		    uint64_t now);

#endif
