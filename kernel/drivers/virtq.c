/* virtq.c - split virtqueues (virtio 1.2, 2.7): posting and reclaiming buffers. */
#include "drivers/virtq.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/page.h"
#include "lib/string.h"

/*
 * The device runs on another host thread: stores to the rings must be
 * visible in order (x86 keeps stores ordered, so a compiler barrier does),
 * and "publish avail->idx, then read the device's suppression field"
 * needs a full fence (a store followed by a load: 2.7.13.4 / 2.7.10).
 */
#define virtq_wmb() __asm__ volatile("" ::: "memory")
#define virtq_rmb() __asm__ volatile("" ::: "memory")
#define virtq_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2
#define USED_ELEM 8 /* {id u32, len u32} */

static size_t avail_bytes(uint16_t size)
{
	return 2 * (3 + (size_t)size);
}

static size_t used_bytes(uint16_t size)
{
	return 6 + USED_ELEM * (size_t)size;
}

static volatile uint16_t *used_u16(struct virtq *q, size_t off)
{
	return (volatile uint16_t *)(q->used + off);
}

int virtq_init(struct virtq *q, uint16_t index, uint16_t size, bool event_idx)
{
	size_t desc_sz = 16 * (size_t)size, used_off, total;
	uint8_t *mem;

	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/* desc | avail | (4-aligned) used, in one zeroed run of pages. */
	used_off = (desc_sz + avail_bytes(size) + 3) & ~(size_t)3;
	total = used_off + used_bytes(size);
	memset(q, 0, sizeof(*q));
	q->npages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
	mem = page_alloc_zero(q->npages);
	if (!mem)
		return -ENOMEM;
	q->pages = mem;
	q->index = index;
	q->size = size;
	q->event_idx = event_idx;
	q->desc = (volatile struct virtq_desc *)mem;
	q->avail = (volatile uint16_t *)(mem + desc_sz);
	q->used = mem + used_off;
	q->desc_phys = virt_to_phys(mem);
	q->avail_phys = q->desc_phys + desc_sz;
	q->used_phys = q->desc_phys + used_off;
	for (uint16_t i = 0; i < size; i++)
		q->free_ids[i] = (uint16_t)(size - 1 - i);
	q->nfree = size;
	return 0;
}

void virtq_destroy(struct virtq *q)
{
	if (q->pages)
		page_free(q->pages, q->npages);
	q->pages = NULL;
}

/* virtio 1.2, 2.7.13: descriptor, then ring entry, then (barrier) idx. */
int virtq_add(struct virtq *q, uint64_t phys, uint32_t len, bool writable)
{
	uint16_t id;

	if (q->nfree == 0 || len == 0)
		return -ENOSPC;
	id = q->free_ids[--q->nfree];
	q->desc[id].addr = phys;
	q->desc[id].len = len;
	q->desc[id].flags = writable ? VIRTQ_DESC_F_WRITE : 0;
	q->desc[id].next = 0;
	q->posted_len[id] = len;
	q->chain_len[id] = 1;
	q->avail[AVAIL_RING + (q->avail_idx & (q->size - 1))] = id;
	virtq_wmb();
	q->avail_idx++;
	q->avail[AVAIL_IDX] = q->avail_idx;
	return id;
}

int virtq_add_chain(struct virtq *q, const struct virtq_seg *segs, unsigned n)
{
	uint16_t head, id, next = 0;
	uint32_t wlen = 0;

	if (n == 0 || n > q->size)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (segs[i].len == 0 ||
		    (i > 0 && segs[i - 1].writable && !segs[i].writable))
			return -EINVAL;
	if (q->nfree < n)
		return -ENOSPC;
	/* Fill from the tail so each descriptor can name its successor. */
	for (unsigned i = n; i-- > 0;) {
		id = q->free_ids[--q->nfree];
		q->desc[id].addr = segs[i].phys;
		q->desc[id].len = segs[i].len;
		q->desc[id].flags =
			(uint16_t)((segs[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
				   (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		q->desc[id].next = i + 1 < n ? next : 0;
		q->chain_next[id] = next;
		q->chain_len[id] = 0;
		wlen += segs[i].writable ? segs[i].len : 0;
		next = id;
	}
	head = next;
	q->posted_len[head] = wlen;
	q->chain_len[head] = (uint16_t)n;
	q->avail[AVAIL_RING + (q->avail_idx & (q->size - 1))] = head;
	virtq_wmb();
	q->avail_idx++;
	q->avail[AVAIL_IDX] = q->avail_idx;
	return head;
}

/*
 * Notification suppression (avail_event, VIRTQ_USED_F_NO_NOTIFY) is not
 * used: every batch of new buffers is notified. Suppression is a Dekker
 * handshake (we store avail->idx and load avail_event; the device stores
 * avail_event and loads avail->idx) that needs a full fence on our side,
 * and QEMU's TCG drops guest fences when it runs a single vCPU, while the
 * device runs on another host thread. The device then slept on an old
 * avail->idx while we skipped the kick: the transmit queue stalled for
 * good, about one 8 MiB transfer in ten. A notification per batch costs
 * one register write.
 */
bool virtq_kick_prepare(struct virtq *q)
{
	if (q->kicked_idx == q->avail_idx)
		return false;
	q->kicked_idx = q->avail_idx;
	virtq_mb();
	return true;
}

int virtq_get_used(struct virtq *q, uint32_t *len)
{
	volatile uint32_t *elem;
	uint32_t id, n;

	if (*used_u16(q, 2) == q->last_used)
		return -EAGAIN;
	virtq_rmb(); /* read the entry only after seeing idx move */
	elem = (volatile uint32_t *)(q->used + 4 +
				     USED_ELEM *
					     (q->last_used & (q->size - 1)));
	id = elem[0];
	n = elem[1];
	/* Untrusted: the id must be one we posted and not yet got back. */
	if (id >= q->size || q->chain_len[id] == 0)
		return -EIO;
	if (n > q->posted_len[id])
		return -EIO;
	q->last_used++;
	/* Free the chain through our copy of its links, never the table's. */
	for (uint16_t k = q->chain_len[id], d = (uint16_t)id; k > 0; k--) {
		q->free_ids[q->nfree++] = d;
		d = q->chain_next[d];
	}
	q->chain_len[id] = 0;
	q->posted_len[id] = 0;
	*len = n;
	return (int)id;
}

void virtq_want_interrupts(struct virtq *q, bool on)
{
	if (q->event_idx) {
		/* used_event: interrupt once used->idx passes it (2.7.10). */
		q->avail[AVAIL_RING + q->size] =
			on ? q->last_used : (uint16_t)(q->last_used - 1);
	} else {
		q->avail[AVAIL_FLAGS] = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	}
	virtq_mb();
}
