/* virtio_net_hdr.c - building transmit headers and gathering received frames (virtio 1.2, 5.1.6). */
#include "drivers/virtio_net_hdr.h"

#include "lib/string.h"

#define HDR_FLAGS 0
#define HDR_CSUM_START 6
#define HDR_CSUM_OFFSET 8
#define HDR_NUM_BUFFERS 10

static void le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void virtio_net_hdr_put(uint8_t hdr[VIRTIO_NET_HDR_LEN], uint16_t csum_start,
			uint16_t csum_offset)
{
	memset(hdr, 0, VIRTIO_NET_HDR_LEN);
	if (csum_offset == 0)
		return;
	hdr[HDR_FLAGS] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	le16_put(hdr + HDR_CSUM_START, csum_start);
	le16_put(hdr + HDR_CSUM_OFFSET, csum_offset);
}

static int drop(struct virtio_net_gather *g)
{
	g->dropped++;
	return VIRTIO_NET_GATHER_DROP;
}

static bool frame_size_ok(size_t n)
{
	return n >= VIRTIO_NET_FRAME_MIN && n <= VIRTIO_NET_FRAME_MAX;
}

/* The first buffer of a frame: its header says how many follow. */
static int gather_first(struct virtio_net_gather *g, const uint8_t *buf,
			size_t len, struct virtio_net_rx *rx)
{
	size_t n;
	uint16_t nbuf;

	if (len < VIRTIO_NET_HDR_LEN)
		return drop(g);
	/* 5.1.6.4: without MRG_RXBUF the field means nothing to us. */
	nbuf = g->mergeable ? le16_get(buf + HDR_NUM_BUFFERS) : 1;
	if (nbuf == 0 || nbuf > g->max_buffers)
		return drop(g);
	n = len - VIRTIO_NET_HDR_LEN;
	if (nbuf == 1) {
		if (!frame_size_ok(n))
			return drop(g);
		rx->data = buf + VIRTIO_NET_HDR_LEN;
		rx->len = n;
		rx->hdr_flags = buf[HDR_FLAGS];
		return VIRTIO_NET_GATHER_FRAME;
	}
	g->left = (uint16_t)(nbuf - 1);
	g->hdr_flags = buf[HDR_FLAGS];
	g->bad = n > VIRTIO_NET_FRAME_MAX;
	g->len = g->bad ? 0 : n;
	if (!g->bad)
		memcpy(g->frame, buf + VIRTIO_NET_HDR_LEN, n);
	return VIRTIO_NET_GATHER_MORE;
}

int virtio_net_gather(struct virtio_net_gather *g, const uint8_t *buf,
		      size_t len, struct virtio_net_rx *rx)
{
	if (g->left == 0)
		return gather_first(g, buf, len, rx);
	g->left--;
	/* Compared without adding: len is the device's number. */
	if (!g->bad && len > VIRTIO_NET_FRAME_MAX - g->len)
		g->bad = true;
	if (!g->bad) {
		memcpy(g->frame + g->len, buf, len);
		g->len += len;
	}
	if (g->left)
		return VIRTIO_NET_GATHER_MORE;
	if (g->bad || !frame_size_ok(g->len))
		return drop(g);
	rx->data = g->frame;
	rx->len = g->len;
	rx->hdr_flags = g->hdr_flags;
	return VIRTIO_NET_GATHER_FRAME;
}
