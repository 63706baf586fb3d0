/* netif.h - a network interface: the driver's part and the stack's part. */
#ifndef KILN_NET_NETIF_H
#define KILN_NET_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/arp.h"
#include "net/ipv4.h"

/* Counters for what the stack received, sent and dropped (tests read them). */
struct net_stats {
	uint64_t rx_frames;	/* frames given to net_input */
	uint64_t rx_drop;	/* frames dropped for any reason */
	uint64_t rx_bad_csum;	/* of which: IPv4/ICMP/UDP checksum errors */
	uint64_t rx_no_port;	/* UDP datagrams with no listener */
	uint64_t tx_frames;	/* frames the driver accepted */
	uint64_t tx_drop;	/* frames not sent (driver, ARP, memory) */
};

/*
 * The driver fills mac, mtu and transmit (and driver for itself) before
 * net_attach; everything after the marker belongs to the stack. The
 * interface is driven entirely through net_input and net_poll_timers, with
 * the current time passed in, so host tests drive it with a fake transmit
 * that captures frames and a clock they control.
 */
struct netif {
	uint8_t mac[6];
	uint16_t mtu;		/* IP bytes per frame, 1500 on Ethernet */
	/*
	 * Sends one complete Ethernet frame (no FCS, not padded to 60 bytes).
	 * The frame is only valid during the call: copy it. Returns 0 or a
	 * negative errno (the frame is then counted as dropped).
	 */
	int (*transmit)(struct netif *nif, const void *frame, size_t len);
	void *driver;
	/*
	 * A loopback interface: everything sent on it is for us, so there is
	 * no ARP, no route check and every destination address is accepted.
	 */
	bool loopback;

	/* Owned by the stack. */
	struct ipv4_config ip;	/* static, or from DHCP; all zero at first */
	struct arp_entry arp[ARP_CACHE_SIZE];
	struct ipv4_reasm *reasm[IPV4_REASM_MAX];
	uint16_t ip_id;		/* identification of the next datagram */
	uint32_t icmp_tokens;	/* ICMP errors we may still send */
	uint64_t icmp_refill_ns;
	struct net_stats stats;
	struct netif *next;	/* attached interfaces */
};

/*
 * Makes nif known to net_poll_timers after clearing the stack's part.
 * Fails with -EINVAL without transmit, -EBUSY when already attached.
 */
int net_attach(struct netif *nif);

/* Forgets nif and frees what it held (queued packets, reassembly). */
void net_detach(struct netif *nif);

/*
 * One received Ethernet frame (no FCS). The frame is untrusted and only
 * read during the call. now_ns is a monotonic clock in nanoseconds; all
 * replies go out through nif->transmit before this returns.
 */
void net_input(struct netif *nif, const void *frame, size_t len,
	       uint64_t now_ns);

/* Retransmits ARP requests and expires cache entries and fragments. */
void net_poll_timers(uint64_t now_ns);

/*
 * The first attached interface that is not loopback, NULL when none: the
 * default route.
 */
struct netif *net_default_netif(void);

/* True for 127.0.0.0/8 and the address of any attached interface. */
bool net_addr_local(uint32_t addr);

/*
 * The interface and source address for sending to dst (host order):
 * loopback for 127.0.0.0/8 and our own addresses, else the default
 * route. 0, or -ENETUNREACH when there is no such interface or it has no
 * address yet.
 */
int net_route(uint32_t dst, struct netif **nif, uint32_t *src);

#endif
