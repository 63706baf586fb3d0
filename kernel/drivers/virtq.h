/* virtq.h - split virtqueues (virtio 1.2, 2.7): the rings shared with a device. */
#ifndef KILN_DRIVERS_VIRTQ_H
#define KILN_DRIVERS_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * virtio 1.2, 2.7: three areas in guest memory, little-endian, written
 * by one side each:
 *
 *   descriptor table (driver)  16 bytes x size, 16-aligned
 *     addr u64 | len u32 | flags u16 (NEXT 1, WRITE 2) | next u16
 *   available ring (driver)    2-aligned
 *     flags u16 | idx u16 | ring[size] u16 | used_event u16
 *   used ring (device)         4-aligned
 *     flags u16 | idx u16 | ring[size] {id u32, len u32} | avail_event u16
 *
 * Network buffers are single descriptors (virtio 1.x drivers may lay a
 * header and its data out in one buffer: 2.7.4, VIRTIO_F_VERSION_1);
 * a block request needs a chain (a device-readable header and data,
 * then a device-writable status byte: virtq_add_chain).
 */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* the descriptor continues in next (2.7.5) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2	     /* the device writes this buffer */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1 /* 2.7.7: a hint without EVENT_IDX */
#define VIRTQ_USED_F_NO_NOTIFY 1     /* 2.7.10 */
#define VIRTQ_MAX_SIZE 256	     /* Kiln's cap on a queue's length */

struct virtq {
	uint16_t index; /* the queue's number on its device */
	uint16_t size;	/* a power of 2, <= VIRTQ_MAX_SIZE */
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail; /* [0] flags, [1] idx, [2..] ring, used_event */
	volatile uint8_t *used;
	uint64_t desc_phys, avail_phys, used_phys;
	uint16_t avail_idx;  /* next avail->idx to publish */
	uint16_t kicked_idx; /* avail_idx at the last notification */
	uint16_t last_used;  /* next used->ring entry to read */
	uint16_t nfree;
	uint16_t free_ids[VIRTQ_MAX_SIZE]; /* stack of free descriptor ids */
	/* Writable bytes posted under a head id (what used len may reach). */
	uint32_t posted_len[VIRTQ_MAX_SIZE];
	/* Descriptors in the chain a head id starts; 0: not in flight. */
	uint16_t chain_len[VIRTQ_MAX_SIZE];
	/* Our own copy of each chain's links: the table is device-visible. */
	uint16_t chain_next[VIRTQ_MAX_SIZE];
	void *pages;
	size_t npages;
	uint64_t notify_off; /* the transport's (PCI: notify address offset) */
};

/*
 * Allocate and zero the rings for a queue of size entries (a power of 2,
 * 1..VIRTQ_MAX_SIZE). 0, -EINVAL or -ENOMEM. Boot-time, interrupts off.
 */
int virtq_init(struct virtq *q, uint16_t index, uint16_t size, bool event_idx);

/* Give the rings back (after the device was reset). */
void virtq_destroy(struct virtq *q);

/*
 * Post one buffer [phys, phys+len) (device-writable when writable) and
 * make it available. Returns its descriptor id (0..size-1), or -ENOSPC
 * when every descriptor is in flight. Interrupts off.
 */
int virtq_add(struct virtq *q, uint64_t phys, uint32_t len, bool writable);

/* One buffer of a chain: [phys, phys+len), device-writable or not. */
struct virtq_seg {
	uint64_t phys;
	uint32_t len;
	bool writable;
};

/*
 * Post n buffers as one chain (2.7.5: device-readable ones first, then
 * device-writable) and make it available. Returns the head's id, used
 * as the request's id in virtq_get_used, or -ENOSPC when fewer than n
 * descriptors are free, -EINVAL for an empty segment or a readable one
 * after a writable one. Interrupts off.
 */
int virtq_add_chain(struct virtq *q, const struct virtq_seg *segs, unsigned n);

/* The id the next virtq_add will use, or -ENOSPC (to fill its buffer first). */
static inline int virtq_next_id(const struct virtq *q)
{
	return q->nfree ? q->free_ids[q->nfree - 1] : -28 /* -ENOSPC */;
}

/*
 * True when virtq_add made buffers available since the last call: the
 * caller then notifies through its transport. (The device's suppression
 * hints are not trusted; see virtq.c.)
 */
bool virtq_kick_prepare(struct virtq *q);

/*
 * Take the next used buffer. The device is untrusted (2.7.8): an id that
 * is out of range or not in flight, or a written length beyond the
 * buffer, ends the walk with -EIO (the queue is then unusable: the
 * device is broken). Returns the id and stores the written length, or
 * -EAGAIN when the used ring holds nothing new.
 */
int virtq_get_used(struct virtq *q, uint32_t *len);

/* True when the used ring holds entries virtq_get_used has not taken. */
static inline bool virtq_pending(const struct virtq *q)
{
	return *(volatile const uint16_t *)(q->used + 2) != q->last_used;
}

/*
 * Ask for a used-buffer interrupt at the next used entry (true), or
 * for none (false): used_event with EVENT_IDX, else the avail flag.
 */
void virtq_want_interrupts(struct virtq *q, bool on);

#endif
