/* virtio.c - the transport-independent part of bringing up a virtio device (virtio 1.2, 3.1). */
#include "drivers/virtio.h"

#include <asm-generic/errno.h>

#include "core/printk.h"

int virtio_find_nth(uint32_t device_id, unsigned n, struct virtio_dev *d)
{
	unsigned skip = n;

	if (virtio_mmio_find(device_id, &skip, d) == 0)
		return 0;
	return virtio_pci_find(device_id, &skip, d);
}

int virtio_find(uint32_t device_id, struct virtio_dev *d)
{
	return virtio_find_nth(device_id, 0, d);
}

void virtio_fail(struct virtio_dev *d)
{
	d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_FAILED);
}

/* virtio 1.2, 3.1.1: the driver's initialization sequence, steps 1-6. */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t offered;

	d->ops->set_status(d, 0); /* 2.4: reset; reads 0 once done */
	for (int i = 0; i < 1000000 && d->ops->get_status(d) != 0; i++)
		cpu_relax();
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	offered = d->ops->get_features(d);
	if (!((offered >> VIRTIO_F_VERSION_1) & 1)) {
		printk("kiln: virtio-%s: device %u is legacy-only (no VERSION_1)\n",
		       d->transport, d->device_id);
		goto err_fail;
	}
	d->features = offered & (wanted | 1ULL << VIRTIO_F_VERSION_1);
	d->ops->set_features(d, d->features);
	d->ops->set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				      VIRTIO_STATUS_FEATURES_OK);
	if (!(d->ops->get_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		printk("kiln: virtio-%s: device %u refused features 0x%lx\n",
		       d->transport, d->device_id, (unsigned long)d->features);
		goto err_fail;
	}
	return 0;

err_fail:
	virtio_fail(d);
	return -ENODEV;
}

int virtio_queue_setup(struct virtio_dev *d, struct virtq *q, uint16_t index,
		       uint16_t max_size)
{
	uint16_t dev_max = d->ops->queue_max(d, index), size = 1;
	int err;

	if (dev_max == 0)
		return -ENODEV;
	/* The largest power of 2 both sides accept (split rings: 2.7). */
	while ((uint32_t)size * 2 <= dev_max && size * 2 <= max_size)
		size *= 2;
	err = virtq_init(q, index, size, virtio_has(d, VIRTIO_F_EVENT_IDX));
	if (err)
		return err;
	err = d->ops->queue_enable(d, q);
	if (err)
		virtq_destroy(q);
	return err;
}

void virtio_driver_ok(struct virtio_dev *d)
{
	d->ops->set_status(d, d->ops->get_status(d) | VIRTIO_STATUS_DRIVER_OK);
}

void virtio_kick(struct virtio_dev *d, struct virtq *q)
{
	if (virtq_kick_prepare(q))
		d->ops->notify(d, q);
}
