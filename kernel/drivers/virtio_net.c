/* virtio_net.c - the virtio network device (virtio 1.2, 5.1): one receive and one transmit queue. */
#include "drivers/virtio_net.h"

#include <asm-generic/errno.h>
#include <stdbool.h>

#include "arch.h"
#include "core/page.h"
#include "core/printk.h"
#include "drivers/virtio.h"
#include "drivers/virtio_net_hdr.h"
#include "lib/cmdline.h"
#include "lib/string.h"

/*
 * virtio 1.2, 5.1.3: the feature bits Kiln asks for. No segmentation
 * offloads (GSO, TSO, UFO): the stack sends and takes MTU-sized frames.
 */
#define VIRTIO_NET_F_CSUM 0	  /* the device finishes our checksums */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* it may hand us partial or checked ones */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15 /* a frame may span receive buffers */

/*
 * Every buffer starts with the 12-byte header of virtio_net_hdr.h.
 * Transmit buffers hold header + frame (2048 bytes, two a page). Receive
 * buffers are 2048 bytes too unless kiln.net_rxbuf says otherwise: a
 * whole frame then fits one buffer and is handed to the stack in place,
 * without a copy. Smaller ones need MRG_RXBUF (5.1.6.3.1: without it each
 * buffer must hold a full frame) and make full-size frames span several,
 * gathered by virtio_net_gather; the tests use that to drive the
 * gathering with a real device.
 */
#define TX_BUF_SIZE 2048
#define RX_BUF_MIN 256
#define RX_BUF_MAX 2048
#define RX_QUEUE 0
#define TX_QUEUE 1
#define RX_MAX 128
#define TX_MAX 64
/*
 * Frames sent with more set are told to the device at virtio_net_kick,
 * or after this many, so that it starts on a long burst early.
 */
#define TX_BATCH 16

static struct virtio_dev dev;
static struct virtq rxq, txq;
static uint8_t *rx_buf[VIRTQ_MAX_SIZE], *tx_buf[VIRTQ_MAX_SIZE];
static size_t rx_buf_size = RX_BUF_MAX;
static struct virtio_net_gather gather;
static const struct virtio_net_client *client;
static uint8_t mac_addr[6];
static bool up, broken;

/*
 * Buffers of size bytes (a power of 2 up to a page) for each id of q.
 * Not zeroed: only the bytes a used element's length covers are read
 * (the device's, on receive) or sent (ours, on transmit), and a page
 * left alone is one the host never has to back: zeroing the 384 KiB of
 * both rings at boot was most of what an idle guest's network touched
 * (docs/performance.md, "Host memory per instance").
 */
static int alloc_bufs(struct virtq *q, uint8_t **bufs, size_t size)
{
	size_t per_page = PAGE_SIZE / size;
	uint8_t *p = NULL;

	for (uint16_t i = 0; i < q->size; i++) {
		if (i % per_page == 0 && !(p = page_alloc(1)))
			return -ENOMEM; /* kept: the device is unusable anyway */
		bufs[i] = p + (i % per_page) * size;
	}
	return 0;
}

/* Post the receive buffer that belongs to descriptor id next in line. */
static void rx_post(void)
{
	int id = virtq_next_id(&rxq);

	if (id >= 0)
		virtq_add(&rxq, virt_to_phys(rx_buf[id]), (uint32_t)rx_buf_size,
			  true);
}

static void mark_broken(const char *what)
{
	if (!broken)
		printk("kiln: virtio-net: device error: %s\n", what);
	broken = true;
}

/*
 * One used receive buffer (its length checked by virtq_get_used): a
 * frame, once whole, goes to rx_fn. The header's flags count only with
 * GUEST_CSUM (5.1.6.4): NEEDS_CSUM (the host's partial checksum, the
 * frame never crossed a wire) or DATA_VALID (the device checked it).
 */
static void rx_deliver(const uint8_t *buf, uint32_t len)
{
	struct virtio_net_rx f;
	unsigned flags = 0;

	if (virtio_net_gather(&gather, buf, len, &f) !=
		    VIRTIO_NET_GATHER_FRAME ||
	    !client)
		return;
	if (virtio_has(&dev, VIRTIO_NET_F_GUEST_CSUM) &&
	    (f.hdr_flags &
	     (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)))
		flags = VIRTIO_NET_RX_CSUM_OK;
	client->rx(f.data, f.len, flags);
}

/* Hand every received frame to rx_fn and give its buffers back. */
static void rx_drain(void)
{
	uint32_t len;
	int id;

	do {
		while ((id = virtq_get_used(&rxq, &len)) >= 0) {
			rx_deliver(rx_buf[id], len);
			rx_post();
		}
		if (id == -EIO) {
			mark_broken("bad receive descriptor");
			return;
		}
		/* Re-arm, then look again: a frame may have landed between. */
		virtq_want_interrupts(&rxq, true);
	} while (virtq_pending(&rxq));
	virtio_kick(&dev, &rxq);
}

/* Take back transmit slots the device is done with. */
static void tx_reclaim(void)
{
	uint32_t len;
	int id;

	while ((id = virtq_get_used(&txq, &len)) >= 0)
		;
	if (id == -EIO)
		mark_broken("bad transmit descriptor");
}

/* Receive, and reclaim, inside the client's burst, so what the frames
 * received answer (ACKs, data) goes out in one batch. */
static void burst(bool always_drain)
{
	if (client && client->burst_begin)
		client->burst_begin();
	if (always_drain || virtq_pending(&rxq))
		rx_drain();
	tx_reclaim();
	if (client && client->burst_end)
		client->burst_end();
}

static void vnet_irq(struct trap_frame *f)
{
	(void)f;
	dev.ops->irq_ack(&dev);
	if (!broken)
		burst(true);
	irq_eoi();
}

void virtio_net_poll(void)
{
	if (up && !broken)
		burst(false);
}

/* A checksum to leave to the device must lie inside the frame. */
static bool csum_ok(uint16_t start, uint16_t offset, size_t len)
{
	return virtio_has(&dev, VIRTIO_NET_F_CSUM) &&
	       (size_t)start + offset + 2 <= len;
}

int virtio_net_send(const void *frame, size_t len, uint16_t csum_start,
		    uint16_t csum_offset, bool more)
{
	int id;

	if (!up)
		return -ENODEV;
	if (broken)
		return -EIO;
	if (len < VIRTIO_NET_FRAME_MIN || len > VIRTIO_NET_FRAME_MAX ||
	    (csum_offset && !csum_ok(csum_start, csum_offset, len)))
		return -EINVAL;
	tx_reclaim();
	id = virtq_next_id(&txq);
	if (id < 0) {
		virtio_kick(&dev, &txq); /* a held batch filled the queue */
		return -EAGAIN;
	}
	virtio_net_hdr_put(tx_buf[id], csum_start, csum_offset);
	memcpy(tx_buf[id] + VIRTIO_NET_HDR_LEN, frame, len);
	virtq_add(&txq, virt_to_phys(tx_buf[id]),
		  (uint32_t)(VIRTIO_NET_HDR_LEN + len), false);
	if (!more || (uint16_t)(txq.avail_idx - txq.kicked_idx) >= TX_BATCH)
		virtio_kick(&dev, &txq);
	return 0;
}

void virtio_net_flush(uint64_t timeout_ns)
{
	uint64_t deadline = time_ns() + timeout_ns;

	if (!up || broken)
		return;
	tx_reclaim();
	while (txq.nfree < txq.size && !broken && time_ns() < deadline) {
		cpu_relax();
		tx_reclaim();
	}
}

void virtio_net_set_client(const struct virtio_net_client *c)
{
	client = c;
}

void virtio_net_mac(uint8_t mac[6])
{
	memcpy(mac, mac_addr, 6);
}

bool virtio_net_tx_csum(void)
{
	return up && virtio_has(&dev, VIRTIO_NET_F_CSUM);
}

void virtio_net_kick(void)
{
	if (up && !broken)
		virtio_kick(&dev, &txq);
}

/* 5.1.4: mac[6] at offset 0 of the device configuration, when offered. */
static void read_mac(void)
{
	static const uint8_t fallback[6] = { 0x02, 0, 0, 0, 0, 1 };

	for (int i = 0; i < 6; i++)
		mac_addr[i] = virtio_has(&dev, VIRTIO_NET_F_MAC) ?
				      dev.ops->config_read8(&dev, (uint32_t)i) :
				      fallback[i];
}

/* 5.1.5: queues, receive buffers, interrupt; then DRIVER_OK and go. */
static int vnet_start(void)
{
	int err;

	err = virtio_queue_setup(&dev, &rxq, RX_QUEUE, RX_MAX);
	if (err)
		return err;
	err = virtio_queue_setup(&dev, &txq, TX_QUEUE, TX_MAX);
	if (err)
		return err;
	if ((err = alloc_bufs(&rxq, rx_buf, rx_buf_size)) ||
	    (err = alloc_bufs(&txq, tx_buf, TX_BUF_SIZE)))
		return err;
	memset(&gather, 0, sizeof(gather));
	gather.mergeable = virtio_has(&dev, VIRTIO_NET_F_MRG_RXBUF);
	gather.max_buffers = rxq.size;
	while (rxq.nfree)
		rx_post();
	virtq_want_interrupts(&rxq, true);
	virtq_want_interrupts(&txq, false); /* reclaimed when sending */
	return 0;
}

/* Undo vnet_start after a failure: reset first, so the device lets go. */
static void vnet_teardown(void)
{
	dev.ops->set_status(&dev, 0);
	/* Each page once: through the buffer at its start. */
	for (uint16_t i = 0; i < VIRTQ_MAX_SIZE; i++) {
		if (rx_buf[i] && ((uintptr_t)rx_buf[i] & (PAGE_SIZE - 1)) == 0)
			page_free(rx_buf[i], 1);
		if (tx_buf[i] && ((uintptr_t)tx_buf[i] & (PAGE_SIZE - 1)) == 0)
			page_free(tx_buf[i], 1);
		rx_buf[i] = tx_buf[i] = NULL;
	}
	virtq_destroy(&rxq);
	virtq_destroy(&txq);
}

/*
 * kiln.net_rxbuf=256|512|1024|2048: the receive buffer size, honoured
 * only with MRG_RXBUF. Anything else is logged and the default kept.
 */
static void pick_rx_buf_size(void)
{
	char v[8];
	long n = cmdline_get(boot_info.cmdline, boot_info.cmdline_len,
			     "kiln.net_rxbuf", v, sizeof(v));
	uint64_t size;

	rx_buf_size = RX_BUF_MAX;
	if (n < 0)
		return;
	if (n >= (long)sizeof(v) || !cmdline_parse_u64(v, (size_t)n, &size) ||
	    size < RX_BUF_MIN || size > RX_BUF_MAX || (size & (size - 1)) ||
	    !virtio_has(&dev, VIRTIO_NET_F_MRG_RXBUF)) {
		printk("kiln: virtio-net: bad kiln.net_rxbuf=%s (256, 512, 1024 "
		       "or 2048, with mrg_rxbuf)\n",
		       v);
		return;
	}
	rx_buf_size = (size_t)size;
}

/* One line naming what the device agreed to take off our hands. */
static void log_offloads(void)
{
	bool mrg = virtio_has(&dev, VIRTIO_NET_F_MRG_RXBUF),
	     csum = virtio_has(&dev, VIRTIO_NET_F_CSUM),
	     gcsum = virtio_has(&dev, VIRTIO_NET_F_GUEST_CSUM);

	printk("kiln: virtio-net: offloads:%s%s%s%s (%u-byte receive buffers)\n",
	       mrg ? " mrg_rxbuf" : "", csum ? " csum" : "",
	       gcsum ? " guest_csum" : "", mrg || csum || gcsum ? "" : " none",
	       (unsigned)rx_buf_size);
}

int virtio_net_init(void)
{
	int err, vector;

	if (up)
		return 0;
	err = virtio_find(VIRTIO_ID_NET, &dev);
	if (err)
		return err;
	err = virtio_negotiate(&dev, 1ULL << VIRTIO_NET_F_MAC |
					     1ULL << VIRTIO_NET_F_MRG_RXBUF |
					     1ULL << VIRTIO_NET_F_CSUM |
					     1ULL << VIRTIO_NET_F_GUEST_CSUM |
					     1ULL << VIRTIO_F_EVENT_IDX);
	if (err)
		return err;
	pick_rx_buf_size();
	/* MSI-X vectors must be set before the queues take theirs (4.1.5.1.3). */
	vector = irq_alloc_vector();
	err = vector < 0 ? vector : dev.ops->irq_setup(&dev, vector);
	if (err) {
		printk("kiln: virtio-net: cannot route the device's interrupt\n");
		goto err_fail;
	}
	irq_set_handler(vector, vnet_irq);
	err = vnet_start();
	if (err)
		goto err_fail;
	read_mac();
	log_offloads();
	virtio_driver_ok(&dev);
	up = true;
	virtio_kick(&dev, &rxq);
	return 0;

err_fail:
	virtio_fail(&dev);
	vnet_teardown();
	return err;
}
