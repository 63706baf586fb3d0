/* virtio_console.c - the receive side of a virtio console (virtio 1.2, 5.3): the bytes of a streamed stdin. */
#include "drivers/virtio_console.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/sched.h"
#include "drivers/virtio.h"
#include "lib/string.h"

#define VIRTIO_ID_CONSOLE 3
/* virtio 1.2, 5.3.2: without MULTIPORT, queue 0 is port 0's receiveq. */
#define RECEIVEQ 0
/*
 * Receive buffers posted at once: QEMU's chardev hands the device at
 * most what they hold (virtio_serial_guest_ready), so they bound what
 * sits between kiln and the app, and many make the host's side fast.
 */
#define RX_BUFS 32
#define RX_BUF_SIZE PAGE_SIZE

static struct virtio_dev dev;
static struct virtq rxq;
/*
 * Each buffer is free (in pool), posted (posted[its descriptor id]) or
 * filled and waiting to be read (done, in the device's order). A used
 * descriptor is free at once, but its buffer only once read to its end.
 */
static char *pool[RX_BUFS];
static unsigned npool;
static char *posted[RX_BUFS];
static bool ready, broken;
/* Filled buffers in order, and how much of the first was read */
static char *done_buf[RX_BUFS];
static uint32_t done_len[RX_BUFS];
static unsigned done_head, done_n;
static uint32_t head_off;
static struct wait_queue readers;

/* Post a free buffer. Interrupts off. */
static void post_one(void)
{
	int id = virtq_next_id(&rxq);

	if (id < 0 || id >= RX_BUFS || npool == 0)
		return;
	posted[id] = pool[--npool];
	virtq_add(&rxq, virt_to_phys(posted[id]), RX_BUF_SIZE, true);
}

/* Move what the device has used onto the done list. Interrupts off. */
static void take_used(void)
{
	uint32_t len;
	int id;

	if (!ready || broken)
		return;
	while ((id = virtq_get_used(&rxq, &len)) >= 0) {
		unsigned slot = (done_head + done_n) % RX_BUFS;

		/* An empty buffer carries nothing: post it again at once. */
		if (len == 0) {
			pool[npool++] = posted[id];
			post_one();
			continue;
		}
		done_buf[slot] = posted[id];
		done_len[slot] = len;
		done_n++;
	}
	if (id == -EIO) {
		printk("kiln: virtio-console: device broke the ring protocol\n");
		broken = true;
	}
	virtio_kick(&dev, &rxq);
	virtq_want_interrupts(&rxq, true);
}

static void vcon_irq(struct trap_frame *f)
{
	(void)f;
	dev.ops->irq_ack(&dev);
	take_used();
	if (done_n || broken)
		wake_up(&readers);
	irq_eoi();
}

size_t virtio_console_read(char *buf, size_t n)
{
	uint64_t flags = irq_save();
	size_t got = 0, k;

	take_used();
	while (got < n && done_n > 0) {
		char *b = done_buf[done_head];
		uint32_t len = done_len[done_head];

		k = len - head_off < n - got ? len - head_off : n - got;
		memcpy(buf + got, b + head_off, k);
		got += k;
		head_off += (uint32_t)k;
		if (head_off < len)
			break;
		head_off = 0;
		done_head = (done_head + 1) % RX_BUFS;
		done_n--;
		pool[npool++] = b;
		post_one();
	}
	if (got)
		virtio_kick(&dev, &rxq);
	irq_restore(flags);
	return got;
}

bool virtio_console_pending(void)
{
	uint64_t flags = irq_save();
	bool r;

	take_used();
	r = done_n > 0;
	irq_restore(flags);
	return r;
}

int virtio_console_wait(uint64_t deadline_ns)
{
	uint64_t flags = irq_save();
	struct waiter w;
	int err = 0;

	wait_add(&readers, &w);
	take_used();
	while (!done_n && !broken &&
	       (err = sched_sleep(deadline_ns, true)) == 0)
		;
	wait_remove(&w);
	irq_restore(flags);
	if (broken || !ready)
		return -EIO;
	return err == -EINTR ? -EINTR : 0;
}

static int vcon_setup(void)
{
	int err, vector, n;

	err = virtio_negotiate(&dev, 1ULL << VIRTIO_F_EVENT_IDX);
	vector = err ? err : irq_alloc_vector();
	err = vector < 0 ? vector : dev.ops->irq_setup(&dev, vector);
	if (!err) {
		irq_set_handler(vector, vcon_irq);
		err = virtio_queue_setup(&dev, &rxq, RECEIVEQ, RX_BUFS);
	}
	for (n = 0; !err && n < rxq.size; n++) {
		pool[npool] = page_alloc_zero(1);
		if (!pool[npool])
			err = -ENOMEM;
		else
			npool++;
	}
	if (err) {
		virtio_fail(&dev);
		dev.ops->set_status(&dev, 0);
		virtq_destroy(&rxq);
		return err;
	}
	for (n = 0; n < rxq.size; n++)
		post_one();
	virtq_want_interrupts(&rxq, true);
	/* QEMU connects port 0 of a device without MULTIPORT at DRIVER_OK. */
	virtio_driver_ok(&dev);
	virtio_kick(&dev, &rxq);
	ready = true;
	return 0;
}

int virtio_console_init(void)
{
	uint64_t flags = irq_save();
	int err;

	err = virtio_find(VIRTIO_ID_CONSOLE, &dev);
	if (!err)
		err = vcon_setup();
	irq_restore(flags);
	if (err)
		printk("kiln: virtio-console: none usable (error %d)\n", -err);
	else
		printk("kiln: virtio-console: %u receive buffers, %s\n",
		       rxq.size, dev.transport);
	return err;
}
