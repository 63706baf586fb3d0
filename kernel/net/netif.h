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
	uint64_t rx_frames;   /* frames given to net_input */
	uint64_t rx_drop;     /* frames dropped for any reason */
	uint64_t rx_bad_csum; /* of which: IPv4/ICMP/UDP checksum errors */
	uint64_t rx_no_port;  /* UDP datagrams with no listener */
	uint64_t tx_frames;   /* frames the driver accepted */
	uint64_t tx_drop;     /* frames not sent (driver, ARP, memory) */
};

/* What an interface does for the stack (struct netif's offload). */
#define NETIF_TX_CSUM 1u /* finishes TCP/UDP checksums (struct net_csum) */

/*
 * A checksum a transmitted frame leaves to the interface (only one with
 * NETIF_TX_CSUM is given any): the 16-bit field at start + offset holds
 * the sum of the TCP/UDP pseudo-header, and the interface replaces it
 * with the checksum of the bytes from start to the frame's end, as
 * virtio-net's VIRTIO_NET_F_CSUM does (virtio 1.2, 5.1.6.2).
 */
struct net_csum {
	uint16_t start;	 /* from the frame's first byte */
	uint16_t offset; /* of the field, from start */
};

/* What a driver knows of a received frame (net_input_flags). */
#define NET_RX_CSUM_OK 1u /* TCP/UDP checksum checked, or not to be */

/*
 * The driver's glue (net_boot.c for virtio-net) fills mac, mtu, offload,
 * transmit and flush before net_attach; everything after the marker
 * belongs to the stack. The
 * interface is driven entirely through net_input and net_poll_timers, with
 * the current time passed in, so host tests drive it with a fake transmit
 * that captures frames and a clock they control.
 */
struct netif {
	uint8_t mac[6];
	uint16_t mtu; /* IP bytes per frame, 1500 on Ethernet */
	/*
	 * Sends one Ethernet frame (no FCS, not padded to 60 bytes); csum
	 * is NULL when the frame is complete, else the checksum to finish.
	 * The frame is only valid during the call: copy it. Returns 0 or a
	 * negative errno (the frame is then counted as dropped).
	 */
	int (*transmit)(struct netif *nif, const void *frame, size_t len,
			const struct net_csum *csum);
	/*
	 * Optional. While net_tx_held(), transmit may queue a frame without
	 * telling the device; flush, called when the last hold is released,
	 * tells it about every frame still untold.
	 */
	void (*flush)(struct netif *nif);
	/*
	 * A loopback interface: everything sent on it is for us, so there is
	 * no ARP, no route check and every destination address is accepted.
	 */
	bool loopback;
	unsigned offload; /* NETIF_TX_CSUM */

	/* Owned by the stack. */
	struct ipv4_config ip; /* static, or from DHCP; all zero at first */
	struct arp_entry arp[ARP_CACHE_SIZE];
	struct ipv4_reasm *reasm[IPV4_REASM_MAX];
	uint16_t ip_id;	      /* identification of the next datagram */
	uint32_t icmp_tokens; /* ICMP errors we may still send */
	uint64_t icmp_refill_ns;
	struct net_stats stats;
	struct netif *next; /* attached interfaces */
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

/*
 * The same with what the driver knows of the frame: NET_RX_CSUM_OK when
 * the device checked the TCP/UDP checksum, or the frame never crossed a
 * wire and carries only the pseudo-header's sum (loopback; a partial
 * checksum from the host, virtio 1.2 5.1.6.4). IPv4 header and ICMP
 * checksums are checked either way, and a fragment is checked whole.
 */
void net_input_flags(struct netif *nif, const void *frame, size_t len,
		     unsigned flags, uint64_t now_ns);

/* Retransmits ARP requests and expires cache entries and fragments. */
void net_poll_timers(uint64_t now_ns);

/*
 * Transmit batching, as Linux's xmit_more: a burst of frames sent between
 * net_tx_hold and net_tx_release may cost the device one notification
 * instead of one each. Holds nest; releasing the last one calls every
 * attached interface's flush. A hold must not span a sleep. Frames sent
 * outside any hold are told to the device at once.
 */
void net_tx_hold(void);
void net_tx_release(void);
bool net_tx_held(void);

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
