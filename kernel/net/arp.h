/* arp.h - ARP for IPv4 over Ethernet (RFC 826): cache, resolution, replies. */
#ifndef KILN_NET_ARP_H
#define KILN_NET_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "net/pkt.h"

struct netif;

#define ARP_LEN 28 /* the IPv4-over-Ethernet packet */
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_CACHE_SIZE 64
#define ARP_QUEUE_MAX 8 /* packets waiting per address */
#define ARP_LIFETIME_NS (300ull * 1000000000ull) /* a resolved entry */
#define ARP_RETX_NS (1000000000ull)		 /* between requests */
#define ARP_TRIES 3				 /* requests before giving up */

enum arp_state { ARP_FREE, ARP_INCOMPLETE, ARP_RESOLVED };

/* One cache slot: an address being resolved, or resolved until expires_ns. */
struct arp_entry {
	uint32_t ip; /* host order */
	uint8_t mac[6];
	uint8_t state; /* enum arp_state */
	uint8_t tries; /* requests sent so far */
	uint8_t nqueued;
	uint64_t expires_ns; /* RESOLVED: when it goes stale */
	uint64_t retx_ns;    /* INCOMPLETE: next request due */
	uint64_t used_ns;    /* for LRU replacement */
	struct pkt *queue;   /* INCOMPLETE: datagrams waiting, FIFO */
};

/* The fields of an ARP packet, addresses in host order. */
struct arp_msg {
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
};

/*
 * Parses an untrusted ARP packet (trailing padding allowed). Returns
 * -EINVAL unless htype 1, ptype 0x0800, hlen 6, plen 4 and op 1 or 2.
 */
int arp_parse(const void *buf, size_t len, struct arp_msg *m);

/* Writes the 28-byte packet for m. */
void arp_build(uint8_t out[ARP_LEN], const struct arp_msg *m);

/* A received ARP packet: learns the sender, answers requests for us. */
void arp_input(struct netif *nif, const void *buf, size_t len, uint64_t now);

/*
 * Sends the IPv4 datagram p to next_hop on nif, resolving its address
 * first when needed (the datagram then waits in the entry's queue).
 * Always consumes p. Returns 0 when sent or queued, -ENOBUFS when the
 * queue is full or memory is short, or the driver's error.
 */
int arp_output(struct netif *nif, struct pkt *p, uint32_t next_hop,
	       uint64_t now);

/* The resolved entry for ip, or NULL (an expired one counts as absent). */
const struct arp_entry *arp_lookup(struct netif *nif, uint32_t ip,
				   uint64_t now);

/* Retransmits requests; drops queues of addresses that never answered. */
void arp_timers(struct netif *nif, uint64_t now);

/* Empties the cache and frees every queued packet. */
void arp_flush(struct netif *nif);

#endif
