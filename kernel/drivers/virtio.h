/* virtio.h - virtio devices over any transport (virtio 1.2, 2 and 3): status, features, queues. */
#ifndef KILN_DRIVERS_VIRTIO_H
#define KILN_DRIVERS_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "drivers/virtq.h"

/* virtio 1.2, 2.1: device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* virtio 1.2, 6: reserved feature bits. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* virtio 1.2, 5: device types. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

struct virtio_dev;

/* What a transport (virtio_mmio.c, virtio_pci.c) provides. */
struct virtio_ops {
	uint8_t (*get_status)(struct virtio_dev *d);
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *d);
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	/* Largest size the device allows for queue index; 0: no such queue. */
	uint16_t (*queue_max)(struct virtio_dev *d, uint16_t index);
	/* Tell the device where q's rings are and enable it: 0 or -EIO. */
	int (*queue_enable)(struct virtio_dev *d, struct virtq *q);
	void (*notify)(struct virtio_dev *d, struct virtq *q);
	uint8_t (*config_read8)(struct virtio_dev *d, uint32_t offset);
	/* Route the device's interrupt to vector: 0 or -ERRNO. */
	int (*irq_setup)(struct virtio_dev *d, int vector);
	/* In the handler: read and acknowledge the interrupt status. */
	uint32_t (*irq_ack)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_ops *ops;
	const char *transport; /* "mmio" or "pci", for the log */
	uint32_t device_id;
	uint64_t features; /* negotiated */
	/* virtio-mmio */
	volatile uint8_t *mmio;
	unsigned irq;
	/* virtio-pci (4.1.4): the structures the capabilities point at */
	volatile uint8_t *common, *notify_base, *isr, *devcfg;
	uint32_t notify_mul, notify_len;
	volatile uint32_t *msix_table; /* NULL: no MSI-X */
	uint16_t pci_bdf;
	uint8_t msix_cap;
};

/*
 * Find the first virtio device of type device_id on any transport
 * (the command line's virtio-mmio devices, then PCI) and fill *d.
 * 0 or -ENODEV (with the reason on the log when one was seen but refused).
 */
int virtio_find(uint32_t device_id, struct virtio_dev *d);
/* The same for the device of that type numbered n (from 0) in that order. */
int virtio_find_nth(uint32_t device_id, unsigned n, struct virtio_dev *d);
/* One transport: the first match after *skip others (decremented per match). */
int virtio_mmio_find(uint32_t device_id, unsigned *skip, struct virtio_dev *d);
int virtio_pci_find(uint32_t device_id, unsigned *skip, struct virtio_dev *d);

/*
 * virtio 1.2, 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, offer the
 * device's features masked by wanted (VIRTIO_F_VERSION_1 is required),
 * FEATURES_OK and check it stuck. Stores the result in d->features.
 * 0, or -ENODEV when the device refuses (status FAILED is then set).
 */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);

/* Size, allocate and enable queue index (3.1.1 step 7). 0 or -ERRNO. */
int virtio_queue_setup(struct virtio_dev *d, struct virtq *q, uint16_t index,
		       uint16_t max_size);

/* Step 8: DRIVER_OK. Or, on any error, FAILED. */
void virtio_driver_ok(struct virtio_dev *d);
void virtio_fail(struct virtio_dev *d);

static inline bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return (d->features >> bit) & 1;
}

/* Notify the device about q when virtq_kick_prepare says it wants it. */
void virtio_kick(struct virtio_dev *d, struct virtq *q);

#endif
