/* eth.h - Ethernet II framing. */
#ifndef KILN_NET_ETH_H
#define KILN_NET_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/pkt.h"

struct netif;

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_VLAN 0x8100 /* IEEE 802.1Q */
#define ETH_TYPE_QINQ 0x88a8 /* IEEE 802.1ad */

extern const uint8_t eth_broadcast[ETH_ALEN];

/* An Ethernet II header as parsed; payload points into the frame. */
struct eth_frame {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;
	const uint8_t *payload;
	size_t len; /* payload bytes (may include padding) */
};

/*
 * Parses an untrusted frame. Returns -EINVAL for frames shorter than the
 * header, 802.3 length-typed frames (type < 0x0600) and VLAN-tagged
 * frames, which this stack does not handle.
 */
int eth_parse(const void *frame, size_t len, struct eth_frame *f);

/* True when the frame is addressed to nif: its own MAC or broadcast. */
bool eth_for_us(const struct netif *nif, const struct eth_frame *f);

/*
 * Prepends the header (src = nif->mac) and hands the frame to the driver.
 * Always consumes p. Returns 0, -ENOBUFS without headroom, or the
 * driver's error.
 */
int eth_output(struct netif *nif, struct pkt *p, const uint8_t dst[ETH_ALEN],
	       uint16_t type);

#endif
