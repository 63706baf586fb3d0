/* virtio_9p.c - the virtio 9P transport (virtio 1.2, device 9): one request queue per device, one exchange at a time. */
#include "drivers/virtio_9p.h"

#include <asm-generic/errno.h>
#include <stdbool.h>

#include "arch.h"
#include "core/printk.h"
#include "core/proc.h"
#include "core/sched.h"
#include "drivers/virtio.h"
#include "lib/string.h"

#define VIRTIO_ID_9P 9
/* The device has a mount tag in its configuration (QEMU's virtio-9p). */
#define VIRTIO_9P_F_MOUNT_TAG 0
#define REQUEST_QUEUE 0

struct v9p {
	struct virtio_dev dev;
	struct virtq q;
	char tag[VIRTIO_9P_TAG_MAX + 1];
	bool busy;   /* an exchange is in flight */
	bool done;   /* its answer came */
	bool broken; /* the device broke the ring protocol */
	uint32_t len;
	struct thread *waiter;
	struct wait_queue idle; /* waiting for busy to clear */
};

static struct v9p devs[VIRTIO_9P_MAX_DEVS];
static unsigned ndevs;

/* Take the answer off d's ring (interrupt or waiting thread). */
static void drain(struct v9p *d)
{
	uint32_t len;
	int id;

	if (d->broken || !d->q.pages)
		return;
	while ((id = virtq_get_used(&d->q, &len)) >= 0) {
		d->len = len;
		d->done = true;
	}
	if (id == -EIO) {
		printk("kiln: virtio-9p: %s: device broke the ring protocol\n",
		       d->tag);
		d->broken = true;
	}
	virtq_want_interrupts(&d->q, true);
	if ((d->done || d->broken) && d->waiter)
		sched_wakeup(d->waiter);
}

static void v9p_irq(struct trap_frame *f)
{
	(void)f;
	for (unsigned i = 0; i < ndevs; i++) {
		devs[i].dev.ops->irq_ack(&devs[i].dev);
		drain(&devs[i]);
	}
	irq_eoi();
}

/* Sleep until an interrupt; the exit path halts instead (nothing to run). */
static void wait_irq(void)
{
	if (current_thread && !(current && current->exiting))
		sched_sleep(0, false);
	else
		cpu_wait_irq();
}

int virtio_9p_rpc(unsigned dev, const void *req, size_t reqlen, void *resp,
		  size_t cap, uint32_t *resplen)
{
	struct v9p *d = &devs[dev];
	struct virtq_seg segs[2];
	struct waiter w;
	int head;

	if (dev >= ndevs)
		return -ENODEV;
	if (reqlen == 0 || cap == 0 || reqlen > 0xffffffffU ||
	    cap > 0xffffffffU)
		return -EINVAL;
	wait_add(&d->idle, &w);
	while (d->busy && !d->broken)
		wait_irq();
	wait_remove(&w);
	if (d->broken)
		return -EIO;
	d->busy = true;
	d->done = false;
	d->waiter = current_thread;
	segs[0] = (struct virtq_seg){ virt_to_phys(req), (uint32_t)reqlen,
				      false };
	segs[1] = (struct virtq_seg){ virt_to_phys(resp), (uint32_t)cap, true };
	head = virtq_add_chain(&d->q, segs, 2);
	if (head >= 0) {
		virtio_kick(&d->dev, &d->q);
		while (!d->done && !d->broken) {
			drain(d);
			if (!d->done && !d->broken)
				wait_irq();
		}
	}
	d->busy = false;
	d->waiter = NULL;
	wake_up(&d->idle);
	if (head < 0 || d->broken)
		return -EIO;
	*resplen = d->len;
	return 0;
}

int virtio_9p_find(const char *tag)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (strcmp(devs[i].tag, tag) == 0)
			return (int)i;
	return -ENODEV;
}

/* Configuration (untrusted): tag_len[2] tag[tag_len], not terminated. */
static int read_tag(struct v9p *d)
{
	uint16_t len = (uint16_t)(d->dev.ops->config_read8(&d->dev, 0) |
				  d->dev.ops->config_read8(&d->dev, 1) << 8);

	if (len == 0 || len > VIRTIO_9P_TAG_MAX)
		return -EINVAL;
	for (uint16_t i = 0; i < len; i++) {
		char c = (char)d->dev.ops->config_read8(&d->dev, 2u + i);

		if (c == '\0' || c == ',' || c == ':' || c == ' ')
			return -EINVAL;
		d->tag[i] = c;
	}
	d->tag[len] = '\0';
	return 0;
}

static int v9p_setup(struct v9p *d)
{
	int err, vector;

	err = virtio_negotiate(&d->dev, 1ULL << VIRTIO_9P_F_MOUNT_TAG |
						1ULL << VIRTIO_F_EVENT_IDX);
	if (err)
		return err;
	err = virtio_has(&d->dev, VIRTIO_9P_F_MOUNT_TAG) ? read_tag(d) :
							   -EINVAL;
	vector = err ? err : irq_alloc_vector();
	err = vector < 0 ? vector : d->dev.ops->irq_setup(&d->dev, vector);
	if (!err) {
		irq_set_handler(vector, v9p_irq);
		err = virtio_queue_setup(&d->dev, &d->q, REQUEST_QUEUE, 16);
	}
	if (err) {
		virtio_fail(&d->dev);
		d->dev.ops->set_status(&d->dev, 0);
		virtq_destroy(&d->q);
		return err;
	}
	virtq_want_interrupts(&d->q, true);
	virtio_driver_ok(&d->dev);
	return 0;
}

int virtio_9p_init(void)
{
	for (unsigned n = 0; ndevs < VIRTIO_9P_MAX_DEVS; n++) {
		struct v9p *d = &devs[ndevs];
		int err;

		memset(d, 0, sizeof(*d));
		if (virtio_find_nth(VIRTIO_ID_9P, n, &d->dev) != 0)
			break;
		err = v9p_setup(d);
		if (err) {
			printk("kiln: virtio-9p: device %u refused (error %d)\n",
			       n, -err);
			continue;
		}
		printk("kiln: virtio-9p: tag %s, %s\n", d->tag,
		       d->dev.transport);
		ndevs++;
	}
	return (int)ndevs;
}
