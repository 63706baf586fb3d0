/* virtio_net.h - the virtio network device driver (virtio 1.2, 5.1). */
#ifndef KILN_DRIVERS_VIRTIO_NET_H
#define KILN_DRIVERS_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The driver knows nothing of the network stack: net/net_boot.c makes a
 * struct netif of these calls. Its client is told of received frames and
 * of the bursts they come in.
 */
#define VIRTIO_NET_RX_CSUM_OK 1u /* TCP/UDP checksum checked, or not to be */

struct virtio_net_client {
	/*
	 * Every received frame (Ethernet header on, no FCS, 14..1514 bytes;
	 * untrusted contents), flags VIRTIO_NET_RX_CSUM_OK or 0. Runs in the
	 * device's interrupt handler or a poll, interrupts off: it must not
	 * sleep, and the frame is valid only during the call.
	 */
	void (*rx)(const void *frame, size_t len, unsigned flags);
	/* Optional: before and after each burst of received frames. */
	void (*burst_begin)(void);
	void (*burst_end)(void);
};

/*
 * Find the first virtio-net device (virtio-mmio from the command line,
 * then modern or transitional virtio-pci), negotiate, post receive
 * buffers and route its interrupt. Idempotent. Boot-time, interrupts off.
 * 0, or -ENODEV (no usable device: the reason is on the log), -ENOMEM,
 * -EIO (the device misbehaved).
 */
int virtio_net_init(void);

/* The device's MAC address (valid after virtio_net_init succeeded). */
void virtio_net_mac(uint8_t mac[6]);

/*
 * Queue one Ethernet frame (no FCS, 14..1514 bytes) for sending; the
 * frame is copied. csum_offset 0: the frame is complete; else the device
 * finishes the TCP/UDP checksum found csum_offset bytes after csum_start
 * (only when virtio_net_tx_csum). 0, -EINVAL (size, or a checksum the
 * device cannot take or outside the frame), -ENODEV (not up), -EAGAIN
 * (every transmit slot busy), -EIO (device broken). Interrupts off.
 * With more, the device is notified every 16 frames, when the queue is
 * full and at virtio_net_kick; else at once.
 */
int virtio_net_send(const void *frame, size_t len, uint16_t csum_start,
		    uint16_t csum_offset, bool more);

/* Tell the device of every frame queued with more. */
void virtio_net_kick(void);

/* True when the device finishes TCP/UDP checksums (VIRTIO_NET_F_CSUM). */
bool virtio_net_tx_csum(void);

/* Who receives frames (NULL: they are dropped); the driver keeps c. */
void virtio_net_set_client(const struct virtio_net_client *c);

/*
 * Wait, spinning for at most timeout_ns, until the device has taken every
 * queued frame: before the VM exits, so that the last replies leave.
 * Interrupts off; nothing to do when the device is not up.
 */
void virtio_net_flush(uint64_t timeout_ns);

/*
 * Receives what the device returned without an interrupt. Interrupt
 * suppression (used_event) is a Dekker handshake like the one virtq.c
 * describes, so an interrupt can be lost under TCG; the network tick
 * calls this so that such a loss costs one tick, not the connection.
 */
void virtio_net_poll(void);

#endif
