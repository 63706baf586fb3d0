/* virtio_blk.h - virtio block devices (virtio 1.2, 5.2): disks, requests in flight, flush. */
#ifndef KILN_DRIVERS_VIRTIO_BLK_H
#define KILN_DRIVERS_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio_blk_req.h"

#define VIRTIO_BLK_MAX_DISKS 8
/* Data buffers per request: contiguous on the disk, anywhere in memory. */
#define VIRTIO_BLK_MAX_SEGS 32

/* What a disk is, as its configuration space said (5.2.4). */
struct virtio_blk_info {
	uint64_t sectors;     /* capacity in 512-byte sectors */
	uint32_t blk_size;    /* logical block size: 512..4096, a power of 2 */
	bool ro;	      /* VIRTIO_BLK_F_RO: writes are EROFS */
	bool flush;	      /* VIRTIO_BLK_F_FLUSH: a volatile write cache */
	bool discard;	      /* VIRTIO_BLK_F_DISCARD */
	bool write_zeroes;    /* VIRTIO_BLK_F_WRITE_ZEROES */
	uint32_t max_discard; /* sectors per discard (0: no limit known) */
	uint32_t max_write_zeroes;
	const char *transport;
};

/* One buffer of a request: kernel direct-map memory, physically contiguous. */
struct virtio_blk_seg {
	void *buf;
	uint32_t len; /* a multiple of 512 */
};

/*
 * A request. The caller fills type, sector and segs (data for IN and
 * OUT; none for FLUSH; for DISCARD and WRITE_ZEROES nsectors says how
 * many), submits it, and waits; the rest is the driver's.
 */
struct virtio_blk_req {
	uint32_t type;
	uint64_t sector;
	const struct virtio_blk_seg *segs;
	unsigned nsegs;
	uint32_t nsectors; /* DISCARD, WRITE_ZEROES */
	/* The driver's: */
	volatile bool done;
	int result; /* 0 or -ERRNO, once done */
	struct thread *waiter;
	int slot;
};

/*
 * Find and start every virtio-blk device (virtio-mmio first, then PCI),
 * at most VIRTIO_BLK_MAX_DISKS. Boot-time. Returns how many work; the
 * ones refused are named on the log.
 */
int virtio_blk_init(void);

/* Disks started, and the description of disk (0..count-1), else NULL. */
unsigned virtio_blk_count(void);
const struct virtio_blk_info *virtio_blk_info(unsigned disk);

/*
 * Queue r on disk. Checks before anything is posted: -ENODEV (no such
 * disk), -EROFS (a write, discard or write-zeroes on a read-only disk),
 * -EINVAL (beyond the capacity, not whole logical blocks, too many
 * segments), -EOPNOTSUPP (a type the device did not offer), -EIO (the
 * device is broken). Sleeps while the queue is full. 0: in flight.
 */
int virtio_blk_submit(unsigned disk, struct virtio_blk_req *r);

/*
 * Sleep until r completes (interrupts complete requests and wake the
 * thread); returns r->result. At exit (no scheduling) it halts instead.
 */
int virtio_blk_wait(unsigned disk, struct virtio_blk_req *r);

/* Submit and wait: one request of one buffer (FLUSH: buf NULL, len 0). */
int virtio_blk_io(unsigned disk, uint32_t type, uint64_t sector, void *buf,
		  uint32_t len);

#endif
