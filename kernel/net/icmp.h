/* icmp.h - ICMP for IPv4 (RFC 792): echo and destination unreachable. */
#ifndef KILN_NET_ICMP_H
#define KILN_NET_ICMP_H

#include <stdint.h>

struct netif;
struct ipv4_rx;

#define ICMP_HLEN 8
#define ICMP_ECHO_REPLY 0
#define ICMP_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_UNREACH_PROTO 2
#define ICMP_UNREACH_PORT 3
#define ICMP_RATE_BURST 10		 /* errors sent back to back */
#define ICMP_RATE_REFILL_NS 100000000ull /* one more every 100 ms */

/* A received ICMP message: echo requests to our address are answered. */
void icmp_input(struct netif *nif, const struct ipv4_rx *rx, uint64_t now);

/*
 * Reports a datagram we could not deliver (RFC 792, type 3) quoting its
 * header and first 8 payload bytes. Nothing is sent, with -EINVAL, for
 * what RFC 1122 3.2.2 forbids answering (ICMP errors, broadcasts,
 * non-first fragments, group or zero sources), nor, with -EAGAIN, beyond
 * the rate limit (a token bucket of ICMP_RATE_BURST). Returns 0 when sent.
 */
int icmp_send_unreach(struct netif *nif, const struct ipv4_rx *orig,
		      uint8_t code, uint64_t now);

#endif
