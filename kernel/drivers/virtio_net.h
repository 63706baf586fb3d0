/* virtio_net.h - the virtio network device driver (virtio 1.2, 5.1). */
#ifndef KILN_DRIVERS_VIRTIO_NET_H
#define KILN_DRIVERS_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

struct netif;
struct net_csum;

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
 * frame is copied. csum (NULL: the frame is complete) is a TCP/UDP
 * checksum for the device to finish, only when it took VIRTIO_NET_F_CSUM
 * (the netif then has NETIF_TX_CSUM). 0, -EINVAL (size, or a csum the
 * device cannot take or outside the frame), -ENODEV (not up), -EAGAIN
 * (every transmit slot busy), -EIO (device broken). Interrupts off.
 * Inside a net_tx_hold the device is notified every 16 frames, when the
 * queue is full and at the last release (the netif's flush); else at once.
 */
int virtio_net_send(const void *frame, size_t len,
		    const struct net_csum *csum);

/*
 * Set the function called for every received frame (Ethernet header on,
 * no FCS, 14..1514 bytes; untrusted contents) with net_input_flags's
 * flags (NET_RX_CSUM_OK). It runs in the device's interrupt handler,
 * interrupts off: it must not sleep, and the frame is valid only during
 * the call. NULL drops frames.
 */
void virtio_net_set_rx(void (*rx)(const void *frame, size_t len,
				  unsigned flags));

/*
 * The device as a struct netif (net/netif.h) with mac, mtu 1500,
 * transmit and offload (NETIF_TX_CSUM when the device took
 * VIRTIO_NET_F_CSUM) filled in, for net_attach; NULL before
 * virtio_net_init.
 */
struct netif *virtio_net_netif(void);

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
