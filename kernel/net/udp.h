/* udp.h - UDP (RFC 768): validation, port demultiplexing, output. */
#ifndef KILN_NET_UDP_H
#define KILN_NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;
struct ipv4_rx;

#define UDP_HLEN 8
#define UDP_BIND_MAX 16

/* A validated datagram; data points into the received frame. */
struct udp_rx {
	uint32_t src, dst;		/* IPv4 addresses, host order */
	uint16_t sport, dport;
	bool broadcast;
	const uint8_t *data;
	size_t len;
};

/*
 * Called for each datagram to a bound port, during net_input: the data is
 * only valid during the call.
 */
typedef void udp_recv_fn(void *ctx, struct netif *nif,
			 const struct udp_rx *rx, uint64_t now);

/* The UDP checksum of segment seg (header included) between src and dst. */
uint16_t udp_checksum(uint32_t src, uint32_t dst, const void *seg,
		      size_t len);

/*
 * Validates the UDP datagram in an IPv4 payload: length field within the
 * payload (the rest is dropped), at least 8, checksum when not 0.
 * Returns 0, -EINVAL, or -EBADMSG for a checksum error.
 */
int udp_parse(const struct ipv4_rx *ip, struct udp_rx *u);

/* Demultiplexes to the bound port; port unreachable when none is. */
void udp_input(struct netif *nif, const struct ipv4_rx *ip, uint64_t now);

/*
 * Binds port (host order) to fn. Returns 0, -EINVAL for port 0 or no fn,
 * -EADDRINUSE, or -ENOSPC when UDP_BIND_MAX ports are bound.
 */
int udp_bind(uint16_t port, udp_recv_fn *fn, void *ctx);
void udp_unbind(uint16_t port);

/*
 * Sends len bytes from nif's address (0.0.0.0 while unconfigured, as DHCP
 * needs) port sport to dst:dport. Returns 0, -EMSGSIZE, -ENOBUFS, or an
 * ipv4_output error.
 */
int udp_output(struct netif *nif, uint16_t sport, uint32_t dst,
	       uint16_t dport, const void *data, size_t len, uint64_t now);

/* The same from a given source address (as net_route chose it). */
int udp_output_from(struct netif *nif, uint32_t src, uint16_t sport,
		    uint32_t dst, uint16_t dport, const void *data, size_t len,
		    uint64_t now);

#endif
