/* virtio_net.c - the virtio network device (virtio 1.2, 5.1): one receive and one transmit queue. */
#include "drivers/virtio_net.h"

#include <asm-generic/errno.h>
#include <stdbool.h>

#include "arch.h"
#include "core/page.h"
#include "core/printk.h"
#include "drivers/virtio.h"
#include "lib/string.h"
#include "net/netif.h"

/* virtio 1.2, 5.1.3: feature bits Kiln knows (it asks only for MAC). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15

/*
 * virtio 1.2, 5.1.6: every buffer starts with struct virtio_net_hdr,
 * 12 bytes with VIRTIO_F_VERSION_1:
 *   flags u8 | gso_type u8 | hdr_len u16 | gso_size u16 | csum_start u16
 *   | csum_offset u16 | num_buffers u16
 * Without CSUM/GSO features a transmit header is all zeros, and received
 * frames arrive whole in one buffer (no MRG_RXBUF: 5.1.6.3.1 makes each
 * receive buffer big enough for a full frame).
 */
#define NET_HDR_LEN 12
#define ETH_MIN 14
#define ETH_MAX 1514
#define BUF_SIZE 2048 /* header + 1514, rounded: two buffers a page */
#define RX_QUEUE 0
#define TX_QUEUE 1
#define RX_MAX 128
#define TX_MAX 64

static struct virtio_dev dev;
static struct virtq rxq, txq;
static uint8_t *rx_buf[VIRTQ_MAX_SIZE], *tx_buf[VIRTQ_MAX_SIZE];
static void (*rx_fn)(const void *frame, size_t len);
static struct netif vnet_netif;
static bool up, broken;

/* Two BUF_SIZE buffers per page for each descriptor id of q. */
static int alloc_bufs(struct virtq *q, uint8_t **bufs)
{
	for (uint16_t i = 0; i < q->size; i += 2) {
		uint8_t *p = page_alloc_zero(1);

		if (!p)
			return -ENOMEM; /* kept: the device is unusable anyway */
		bufs[i] = p;
		if (i + 1 < q->size)
			bufs[i + 1] = p + BUF_SIZE;
	}
	return 0;
}

/* Post the receive buffer that belongs to descriptor id next in line. */
static void rx_post(void)
{
	int id = virtq_next_id(&rxq);

	if (id >= 0)
		virtq_add(&rxq, virt_to_phys(rx_buf[id]), BUF_SIZE, true);
}

static void mark_broken(const char *what)
{
	if (!broken)
		printk("kiln: virtio-net: device error: %s\n", what);
	broken = true;
}

/* Hand every received frame to rx_fn and give its buffer back. */
static void rx_drain(void)
{
	uint32_t len;
	int id;

	do {
		while ((id = virtq_get_used(&rxq, &len)) >= 0) {
			if (len >= NET_HDR_LEN + ETH_MIN &&
			    len <= NET_HDR_LEN + ETH_MAX && rx_fn)
				rx_fn(rx_buf[id] + NET_HDR_LEN, len - NET_HDR_LEN);
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

static void vnet_irq(struct trap_frame *f)
{
	(void)f;
	dev.ops->irq_ack(&dev);
	if (!broken) {
		rx_drain();
		tx_reclaim();
	}
	irq_eoi();
}

void virtio_net_poll(void)
{
	if (!up || broken)
		return;
	if (virtq_pending(&rxq))
		rx_drain();
	tx_reclaim();
}

int virtio_net_send(const void *frame, size_t len)
{
	int id;

	if (!up)
		return -ENODEV;
	if (broken)
		return -EIO;
	if (len < ETH_MIN || len > ETH_MAX)
		return -EINVAL;
	tx_reclaim();
	id = virtq_next_id(&txq);
	if (id < 0)
		return -EAGAIN;
	memset(tx_buf[id], 0, NET_HDR_LEN);
	memcpy(tx_buf[id] + NET_HDR_LEN, frame, len);
	virtq_add(&txq, virt_to_phys(tx_buf[id]), (uint32_t)(NET_HDR_LEN + len),
		  false);
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

void virtio_net_set_rx(void (*rx)(const void *frame, size_t len))
{
	rx_fn = rx;
}

void virtio_net_mac(uint8_t mac[6])
{
	memcpy(mac, vnet_netif.mac, 6);
}

static int netif_transmit(struct netif *nif, const void *frame, size_t len)
{
	(void)nif;
	return virtio_net_send(frame, len);
}

struct netif *virtio_net_netif(void)
{
	return up ? &vnet_netif : NULL;
}

/* 5.1.4: mac[6] at offset 0 of the device configuration, when offered. */
static void read_mac(void)
{
	static const uint8_t fallback[6] = { 0x02, 0, 0, 0, 0, 1 };

	for (int i = 0; i < 6; i++)
		vnet_netif.mac[i] = virtio_has(&dev, VIRTIO_NET_F_MAC) ?
			dev.ops->config_read8(&dev, (uint32_t)i) : fallback[i];
	vnet_netif.mtu = 1500;
	vnet_netif.transmit = netif_transmit;
	vnet_netif.driver = &dev;
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
	if ((err = alloc_bufs(&rxq, rx_buf)) || (err = alloc_bufs(&txq, tx_buf)))
		return err;
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
	for (uint16_t i = 0; i < VIRTQ_MAX_SIZE; i += 2) {
		if (rx_buf[i])
			page_free(rx_buf[i], 1);
		if (tx_buf[i])
			page_free(tx_buf[i], 1);
		rx_buf[i] = tx_buf[i] = NULL;
	}
	virtq_destroy(&rxq);
	virtq_destroy(&txq);
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
					     1ULL << VIRTIO_F_EVENT_IDX);
	if (err)
		return err;
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
	virtio_driver_ok(&dev);
	up = true;
	virtio_kick(&dev, &rxq);
	return 0;

err_fail:
	virtio_fail(&dev);
	vnet_teardown();
	return err;
}
