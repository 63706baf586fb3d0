/* virtio_net_hdr.h - the virtio-net header and frames gathered from merged receive buffers (virtio 1.2, 5.1.6). */
#ifndef KILN_DRIVERS_VIRTIO_NET_HDR_H
#define KILN_DRIVERS_VIRTIO_NET_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * virtio 1.2, 5.1.6: every buffer on either queue starts with this
 * header, 12 bytes with VIRTIO_F_VERSION_1, little-endian:
 *
 *   0 flags u8   1 gso_type u8   2 hdr_len u16   4 gso_size u16
 *   6 csum_start u16   8 csum_offset u16   10 num_buffers u16
 *
 * This file is portable (the kernel and the host tests link it).
 */
#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1 /* csum_start/csum_offset are meant */
#define VIRTIO_NET_HDR_F_DATA_VALID 2 /* the device checked the checksum */
#define VIRTIO_NET_FRAME_MIN 14	      /* an Ethernet header */
#define VIRTIO_NET_FRAME_MAX 1514     /* 1500 bytes of IP, no FCS, no VLAN */

/*
 * Fill a transmit header: all zero for a complete frame (csum_offset
 * 0), else NEEDS_CSUM asking the device to store the checksum of the
 * bytes from csum_start to the end at csum_start + csum_offset (5.1.6.2).
 * No GSO: gso_type is VIRTIO_NET_HDR_GSO_NONE (0).
 */
void virtio_net_hdr_put(uint8_t hdr[VIRTIO_NET_HDR_LEN], uint16_t csum_start,
			uint16_t csum_offset);

/*
 * Receiving (5.1.6.4): without VIRTIO_NET_F_MRG_RXBUF a frame comes in
 * one buffer; with it, the first buffer's num_buffers says how many used
 * buffers, in used-ring order, carry the frame (the header only in the
 * first). A frame in one buffer is handed on in place; a longer one is
 * copied into frame[] piece by piece.
 */
struct virtio_net_gather {
	bool mergeable;	      /* MRG_RXBUF negotiated: num_buffers counts */
	uint16_t max_buffers; /* more than this is absurd: the queue size */
	uint16_t left;	      /* buffers still to come; 0: between frames */
	bool bad;	      /* the frame in progress is being dropped */
	uint8_t hdr_flags;    /* of the frame in progress */
	size_t len;	      /* bytes in frame[] */
	uint64_t dropped;     /* frames (or stray buffers) dropped */
	uint8_t frame[VIRTIO_NET_FRAME_MAX];
};

/* A whole received frame: Ethernet header on, no FCS. */
struct virtio_net_rx {
	const uint8_t *data; /* in the last buffer fed, or in frame[] */
	size_t len;	     /* VIRTIO_NET_FRAME_MIN..VIRTIO_NET_FRAME_MAX */
	uint8_t hdr_flags;   /* the header's flags (untrusted) */
};

enum {
	VIRTIO_NET_GATHER_MORE,	 /* taken; the frame goes on */
	VIRTIO_NET_GATHER_FRAME, /* *rx holds a whole frame */
	VIRTIO_NET_GATHER_DROP,	 /* a frame or a stray buffer was dropped */
};

/*
 * Feed the next used receive buffer: buf[0..len) as the device wrote
 * it. Everything in it is untrusted (the length must already be checked
 * against the buffer's size, as virtq_get_used does): a first buffer
 * shorter than the header or with num_buffers 0 or above max_buffers is
 * dropped alone (the next buffer starts a frame); a frame shorter than
 * VIRTIO_NET_FRAME_MIN or longer than VIRTIO_NET_FRAME_MAX is dropped
 * whole once its last buffer came. Never reads outside buf[0..len) or
 * writes outside g->frame. rx->data stays valid until the next call and
 * while buf is not given back to the device. The buffer itself may be
 * given back once this returns, unless the frame points into it.
 */
int virtio_net_gather(struct virtio_net_gather *g, const uint8_t *buf,
		      size_t len, struct virtio_net_rx *rx);

#endif
