/* net_fake.h - a fake network interface and frame builders for the stack's tests. */
#ifndef KILN_TESTS_NET_FAKE_H
#define KILN_TESTS_NET_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/netif.h"

#define FAKE_MAX_FRAMES 64
#define FAKE_FRAME_MAX 1600

/*
 * Frames the stack transmitted, in order; tx_err makes transmit fail.
 * held: whether the frame came inside a net_tx_hold (a device could
 * leave it untold until the flush); flushes: calls of nif.flush.
 */
struct fake_net {
	struct netif nif;
	int nframes;
	size_t len[FAKE_MAX_FRAMES];
	uint8_t frame[FAKE_MAX_FRAMES][FAKE_FRAME_MAX];
	struct net_csum csum[FAKE_MAX_FRAMES]; /* {0, 0}: complete */
	bool held[FAKE_MAX_FRAMES];
	int flushes;
	int tx_err;
};

extern struct fake_net fake;
extern const uint8_t fake_mac[6]; /* ours: 52:54:00:12:34:56 */
extern const uint8_t peer_mac[6]; /* the gateway: 52:55:0a:00:02:02 */

#define OUR_IP IPV4_ADDR(10, 0, 2, 15)
#define GW_IP IPV4_ADDR(10, 0, 2, 2)
#define PEER_IP IPV4_ADDR(10, 0, 2, 9)

/* cmocka setup/teardown: attached, configured 10.0.2.15/24 via 10.0.2.2. */
int fake_setup(void **state);
int fake_teardown(void **state);

/* Forgets the captured frames and flushes. */
void fake_clear(void);

/* Writes an Ethernet header; returns 14. */
size_t fake_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		uint16_t type);

/* Writes a 20-byte IPv4 header with a correct checksum; returns 20. */
size_t fake_ipv4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		 size_t payload_len, uint16_t id, uint16_t frag);

/*
 * A whole frame from peer_mac to us: Ethernet + IPv4 + payload. Returns
 * the frame length.
 */
size_t fake_ip_frame(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
		     const void *payload, size_t len);

/* Makes peer_ip resolve to peer_mac in the cache (an ARP reply to us). */
void fake_learn(uint32_t peer_ip, const uint8_t mac[6], uint64_t now);

/*
 * Finishes the checksum transmitted frame i left to the interface, as a
 * virtio-net device with VIRTIO_NET_F_CSUM does: the sum from csum.start
 * to the end, complemented, at csum.start + csum.offset. Returns false
 * when the frame was complete (nothing to do).
 */
bool fake_finish_csum(int i);

/* Prints a frame as hex (for writing expected bytes). */
void fake_dump(const uint8_t *b, size_t len);

#endif
