/* virtio_9p.h - the virtio 9P transport (virtio 1.2, 5.x: device 9): host directories, each under a mount tag. */
#ifndef KILN_DRIVERS_VIRTIO_9P_H
#define KILN_DRIVERS_VIRTIO_9P_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_9P_MAX_DEVS 8
#define VIRTIO_9P_TAG_MAX 64

/* Bring up every virtio-9p device (boot only): how many answered. */
int virtio_9p_init(void);
/* The device whose mount tag is tag: its number, or -ENODEV. */
int virtio_9p_find(const char *tag);
/*
 * One exchange on device dev: post req[0..reqlen) for the device to
 * read and resp[0..cap) for it to write (both physically contiguous
 * kernel memory), wait for the answer and store the length the device
 * says it wrote (at most cap: the queue checks). One exchange at a time
 * per device; callers queue behind it. 0, -EIO (device broken), -ENODEV.
 * From a thread or the boot path.
 */
int virtio_9p_rpc(unsigned dev, const void *req, size_t reqlen, void *resp,
		  size_t cap, uint32_t *resplen);

#endif
