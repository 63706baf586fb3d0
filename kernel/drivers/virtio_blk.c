/* virtio_blk.c - the virtio block device (virtio 1.2, 5.2): one request queue per disk, many requests in flight. */
#include "drivers/virtio_blk.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/proc.h"
#include "core/sched.h"
#include "drivers/virtio.h"
#include "lib/cmdline.h"
#include "lib/string.h"

/* virtio 1.2, 5.2.3: the feature bits Kiln asks for. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* 5.2.4: struct virtio_blk_config, the offsets Kiln reads. */
enum {
	CFG_CAPACITY = 0,
	CFG_SIZE_MAX = 8,
	CFG_SEG_MAX = 12,
	CFG_BLK_SIZE = 20,
	CFG_MAX_DISCARD_SECTORS = 36,
	CFG_MAX_WRITE_ZEROES_SECTORS = 48,
};

#define REQUEST_QUEUE 0
/* 2^61 bytes: byte offsets and block counts cannot overflow above it. */
#define MAX_SECTORS (1ULL << 52)
/*
 * A request unanswered this long resets the device (kiln.blk_timeout_ms
 * changes it, for the tests): Linux's block layer waits 30 s too.
 */
#define TIMEOUT_MS_DEFAULT 30000
/* Per slot: a header, a status byte and a range (discard/write zeroes). */
#define SLOT_PAGES 3

struct vblk {
	struct virtio_dev dev;
	struct virtq q;
	struct virtio_blk_info info;
	uint8_t *hdr;	 /* slot i: hdr + 16 i */
	uint8_t *range;	 /* slot i: range + 16 i */
	uint8_t *status; /* slot i: status[i] */
	void *slot_pages;
	uint16_t nslots, nfree;
	uint16_t free_slot[VIRTQ_MAX_SIZE];
	struct virtio_blk_req *inflight[VIRTQ_MAX_SIZE]; /* by head id */
	unsigned max_segs;
	bool broken;
	struct wait_queue space; /* waiting for a slot or descriptors */
};

static struct vblk disks[VIRTIO_BLK_MAX_DISKS];
static unsigned ndisks;
static uint64_t timeout_ns = TIMEOUT_MS_DEFAULT * 1000000ULL;

/* Little-endian configuration fields, a byte at a time (any transport). */
static uint64_t cfg_read(struct vblk *b, uint32_t off, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | b->dev.ops->config_read8(&b->dev, off + i);
	return v;
}

/* A request is over: hand the result over and wake whoever waits. */
static void complete(struct vblk *b, struct virtio_blk_req *r, int result)
{
	b->free_slot[b->nfree++] = (uint16_t)r->slot;
	r->result = result;
	r->done = true;
	if (r->waiter)
		sched_wakeup(r->waiter);
}

/* The device broke a rule of the ring: fail everything in flight for good. */
static void mark_broken(struct vblk *b)
{
	if (!b->broken)
		printk("kiln: virtio-blk: device %u broke the ring protocol; "
		       "its requests fail with EIO\n",
		       (unsigned)(b - disks));
	b->broken = true;
	for (unsigned id = 0; id < VIRTQ_MAX_SIZE; id++) {
		if (b->inflight[id])
			complete(b, b->inflight[id], -EIO);
		b->inflight[id] = NULL;
	}
}

/* Take every used request off b's ring (interrupt or waiting thread). */
static void drain(struct vblk *b)
{
	struct virtio_blk_req *r;
	uint32_t len, in;
	int id;

	if (b->broken || !b->q.pages)
		return;
	do {
		while ((id = virtq_get_used(&b->q, &len)) >= 0) {
			r = b->inflight[id];
			b->inflight[id] = NULL;
			if (!r)
				continue;
			in = 0;
			if (r->type == VIRTIO_BLK_T_IN)
				for (unsigned i = 0; i < r->nsegs; i++)
					in += r->segs[i].len;
			complete(b, r,
				 virtio_blk_result(r->type, b->status[r->slot],
						   len, in));
		}
		if (id == -EIO) {
			mark_broken(b);
			break;
		}
		virtq_want_interrupts(&b->q, true);
	} while (virtq_pending(&b->q));
	wake_up(&b->space);
}

/* One handler for every disk's vector: each looks at all of them. */
static void vblk_irq(struct trap_frame *f)
{
	(void)f;
	for (unsigned i = 0; i < ndisks; i++) {
		disks[i].dev.ops->irq_ack(&disks[i].dev);
		drain(&disks[i]);
	}
	irq_eoi();
}

static void timer_wakes(struct ktimer *t)
{
	(void)t; /* the interrupt itself ends the halt */
}

/*
 * Sleep until an interrupt may have changed something, or deadline. A
 * thread sleeps (others run meanwhile); the exit path, with nothing to
 * schedule, halts with interrupts on and a timer armed.
 */
static void wait_event(uint64_t deadline)
{
	struct ktimer t = { 0 };

	if (current_thread && !(current && current->exiting)) {
		sched_sleep(deadline, false);
		return;
	}
	if (current_thread)
		ktimer_arm(&t, deadline, timer_wakes);
	cpu_wait_irq();
	if (current_thread)
		ktimer_cancel(&t);
}

/*
 * The device has not answered by deadline: reset it, which makes it let
 * go of the rings and every buffer in them (virtio 1.2, 2.4), then fail
 * what was in flight. True when that happened.
 */
static bool timed_out(struct vblk *b, uint64_t deadline)
{
	if (b->broken || time_ns() < deadline)
		return false;
	printk("kiln: virtio-blk: vd%c: no answer in %lu ms: device reset, "
	       "its requests fail with EIO\n",
	       'a' + (int)(b - disks), (unsigned long)(timeout_ns / 1000000));
	b->dev.ops->set_status(&b->dev, 0);
	b->broken = true; /* quietly: the line above said why */
	for (unsigned id = 0; id < VIRTQ_MAX_SIZE; id++) {
		if (b->inflight[id])
			complete(b, b->inflight[id], -EIO);
		b->inflight[id] = NULL;
	}
	wake_up(&b->space);
	return true;
}

unsigned virtio_blk_count(void)
{
	return ndisks;
}

const struct virtio_blk_info *virtio_blk_info(unsigned disk)
{
	return disk < ndisks ? &disks[disk].info : NULL;
}

static bool is_write(uint32_t type)
{
	return type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_DISCARD ||
	       type == VIRTIO_BLK_T_WRITE_ZEROES;
}

/* The caller's request, checked before anything is posted. */
static int check_req(const struct vblk *b, const struct virtio_blk_req *r,
		     uint64_t *nsect)
{
	uint64_t bytes = 0, bs_sect = b->info.blk_size / VIRTIO_BLK_SECTOR;

	if (is_write(r->type) && b->info.ro)
		return -EROFS;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (r->nsegs == 0 || r->nsegs > b->max_segs)
			return -EINVAL;
		for (unsigned i = 0; i < r->nsegs; i++) {
			if (r->segs[i].len == 0 ||
			    r->segs[i].len % VIRTIO_BLK_SECTOR)
				return -EINVAL;
			bytes += r->segs[i].len;
		}
		*nsect = bytes / VIRTIO_BLK_SECTOR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		*nsect = 0;
		return b->info.flush ? 0 : -EOPNOTSUPP;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if ((r->type == VIRTIO_BLK_T_DISCARD && !b->info.discard) ||
		    (r->type != VIRTIO_BLK_T_DISCARD && !b->info.write_zeroes))
			return -EOPNOTSUPP;
		*nsect = r->nsectors;
		if (*nsect == 0)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (r->sector % bs_sect || *nsect % bs_sect)
		return -EINVAL;
	if (r->sector > b->info.sectors || *nsect > b->info.sectors - r->sector)
		return -EINVAL;
	return 0;
}

/* Header, data (or range), status: the chain of slot for r. */
static unsigned build_chain(struct vblk *b, struct virtio_blk_req *r,
			    unsigned slot, struct virtq_seg *s)
{
	unsigned n = 0;

	virtio_blk_hdr_put(b->hdr + 16 * slot, r->type,
			   r->type == VIRTIO_BLK_T_FLUSH ? 0 : r->sector);
	s[n++] = (struct virtq_seg){ virt_to_phys(b->hdr + 16 * slot),
				     VIRTIO_BLK_HDR_LEN, false };
	if (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) {
		for (unsigned i = 0; i < r->nsegs; i++)
			s[n++] = (struct virtq_seg){
				virt_to_phys(r->segs[i].buf), r->segs[i].len,
				r->type == VIRTIO_BLK_T_IN
			};
	} else if (r->type != VIRTIO_BLK_T_FLUSH) {
		virtio_blk_range_put(b->range + 16 * slot, r->sector,
				     r->nsectors, 0);
		s[n++] = (struct virtq_seg){ virt_to_phys(b->range + 16 * slot),
					     VIRTIO_BLK_RANGE_LEN, false };
	}
	b->status[slot] = VIRTIO_BLK_S_NONE;
	s[n++] = (struct virtq_seg){ virt_to_phys(b->status + slot), 1, true };
	return n;
}

int virtio_blk_submit(unsigned disk, struct virtio_blk_req *r)
{
	struct virtq_seg segs[VIRTIO_BLK_MAX_SEGS + 2];
	struct vblk *b = &disks[disk];
	struct waiter w;
	uint64_t nsect, deadline;
	unsigned n, slot;
	int err, head;

	if (disk >= ndisks)
		return -ENODEV;
	err = check_req(b, r, &nsect);
	if (err)
		return err;
	deadline = time_ns() + timeout_ns;
	wait_add(&b->space, &w);
	while (!b->broken && (b->nfree == 0 || b->q.nfree < r->nsegs + 3)) {
		drain(b);
		if ((b->nfree == 0 || b->q.nfree < r->nsegs + 3) &&
		    !timed_out(b, deadline))
			wait_event(deadline);
	}
	wait_remove(&w);
	if (b->broken)
		return -EIO;
	slot = b->free_slot[--b->nfree];
	n = build_chain(b, r, slot, segs);
	r->done = false;
	r->result = 0;
	r->slot = (int)slot;
	r->waiter = current_thread;
	head = virtq_add_chain(&b->q, segs, n);
	if (head < 0) { /* cannot happen: room was checked */
		b->free_slot[b->nfree++] = (uint16_t)slot;
		return -EIO;
	}
	b->inflight[head] = r;
	virtio_kick(&b->dev, &b->q);
	return 0;
}

int virtio_blk_wait(unsigned disk, struct virtio_blk_req *r)
{
	struct vblk *b = &disks[disk];
	uint64_t deadline = time_ns() + timeout_ns;

	while (!r->done) {
		drain(b);
		if (!r->done && !timed_out(b, deadline))
			wait_event(deadline);
	}
	return r->result;
}

int virtio_blk_io(unsigned disk, uint32_t type, uint64_t sector, void *buf,
		  uint32_t len)
{
	struct virtio_blk_seg seg = { buf, len };
	struct virtio_blk_req r = { .type = type, .sector = sector };
	int err;

	if (buf) {
		r.segs = &seg;
		r.nsegs = 1;
	}
	err = virtio_blk_submit(disk, &r);
	return err ? err : virtio_blk_wait(disk, &r);
}

/* 5.2.4: what the configuration space says, checked (untrusted). */
static void read_config(struct vblk *b)
{
	struct virtio_blk_info *in = &b->info;
	uint32_t bs = 512, seg_max;

	in->sectors = cfg_read(b, CFG_CAPACITY, 8);
	if (in->sectors > MAX_SECTORS) {
		printk("kiln: virtio-blk: capacity %lu sectors cut to %lu\n",
		       (unsigned long)in->sectors, (unsigned long)MAX_SECTORS);
		in->sectors = MAX_SECTORS;
	}
	if (virtio_has(&b->dev, VIRTIO_BLK_F_BLK_SIZE)) {
		bs = (uint32_t)cfg_read(b, CFG_BLK_SIZE, 4);
		if (bs < 512 || bs > PAGE_SIZE || (bs & (bs - 1)))
			bs = 512; /* nonsense: sectors are always addressable */
	}
	in->blk_size = bs;
	in->ro = virtio_has(&b->dev, VIRTIO_BLK_F_RO);
	in->flush = virtio_has(&b->dev, VIRTIO_BLK_F_FLUSH);
	in->discard = virtio_has(&b->dev, VIRTIO_BLK_F_DISCARD);
	in->write_zeroes = virtio_has(&b->dev, VIRTIO_BLK_F_WRITE_ZEROES);
	if (in->discard)
		in->max_discard = (uint32_t)cfg_read(b, CFG_MAX_DISCARD_SECTORS,
						     4);
	if (in->write_zeroes)
		in->max_write_zeroes = (uint32_t)cfg_read(
			b, CFG_MAX_WRITE_ZEROES_SECTORS, 4);
	in->transport = b->dev.transport;
	b->max_segs = VIRTIO_BLK_MAX_SEGS;
	if (virtio_has(&b->dev, VIRTIO_BLK_F_SEG_MAX)) {
		seg_max = (uint32_t)cfg_read(b, CFG_SEG_MAX, 4);
		if (seg_max >= 1 && seg_max < b->max_segs)
			b->max_segs = seg_max;
	}
}

/* Slots, the queue, the interrupt; then DRIVER_OK (3.1.1 steps 7, 8). */
static int vblk_start(struct vblk *b)
{
	int err, vector;

	/* MSI-X vectors must be set before the queues take theirs (4.1.5.1.3). */
	vector = irq_alloc_vector();
	err = vector < 0 ? vector : b->dev.ops->irq_setup(&b->dev, vector);
	if (err)
		return err;
	irq_set_handler(vector, vblk_irq);
	err = virtio_queue_setup(&b->dev, &b->q, REQUEST_QUEUE, VIRTQ_MAX_SIZE);
	if (err)
		return err;
	if (b->q.size < 4)
		return -ENODEV; /* not even one request of one buffer */
	if (b->max_segs > b->q.size - 3u)
		b->max_segs = b->q.size - 3u;
	b->slot_pages = page_alloc_zero(SLOT_PAGES);
	if (!b->slot_pages)
		return -ENOMEM;
	b->hdr = b->slot_pages;
	b->range = b->hdr + PAGE_SIZE;
	b->status = b->range + PAGE_SIZE;
	b->nslots = b->q.size;
	for (uint16_t i = 0; i < b->nslots; i++)
		b->free_slot[i] = (uint16_t)(b->nslots - 1 - i);
	b->nfree = b->nslots;
	virtq_want_interrupts(&b->q, true);
	return 0;
}

/* Bring up the device found in b->dev: 0 or -ERRNO (it is then reset). */
static int vblk_setup(struct vblk *b)
{
	int err = virtio_negotiate(&b->dev,
				   1ULL << VIRTIO_BLK_F_SEG_MAX |
					   1ULL << VIRTIO_BLK_F_RO |
					   1ULL << VIRTIO_BLK_F_BLK_SIZE |
					   1ULL << VIRTIO_BLK_F_FLUSH |
					   1ULL << VIRTIO_BLK_F_DISCARD |
					   1ULL << VIRTIO_BLK_F_WRITE_ZEROES |
					   1ULL << VIRTIO_F_EVENT_IDX);
	if (err)
		return err;
	read_config(b);
	err = vblk_start(b);
	if (err) {
		virtio_fail(&b->dev);
		b->dev.ops->set_status(&b->dev, 0);
		virtq_destroy(&b->q);
		if (b->slot_pages)
			page_free(b->slot_pages, SLOT_PAGES);
		return err;
	}
	virtio_driver_ok(&b->dev);
	return 0;
}

/* kiln.blk_timeout_ms=N (1..600000): how long a request may take. */
static void pick_timeout(void)
{
	char v[16];
	long n = cmdline_get(boot_info.cmdline, boot_info.cmdline_len,
			     "kiln.blk_timeout_ms", v, sizeof(v));
	uint64_t ms;

	if (n < 0)
		return;
	if (n >= (long)sizeof(v) || !cmdline_parse_u64(v, (size_t)n, &ms) ||
	    ms < 1 || ms > 600000) {
		printk("kiln: virtio-blk: bad kiln.blk_timeout_ms=%s\n", v);
		return;
	}
	timeout_ns = ms * 1000000ULL;
}

int virtio_blk_init(void)
{
	pick_timeout();
	for (unsigned n = 0; ndisks < VIRTIO_BLK_MAX_DISKS; n++) {
		struct vblk *b = &disks[ndisks];
		const struct virtio_blk_info *in = &b->info;
		int err;

		memset(b, 0, sizeof(*b));
		if (virtio_find_nth(VIRTIO_ID_BLOCK, n, &b->dev) != 0)
			break; /* no more devices */
		err = vblk_setup(b);
		if (err) {
			printk("kiln: virtio-blk: device %u refused (error %d)\n",
			       n, -err);
			continue;
		}
		printk("kiln: virtio-blk: vd%c: %lu sectors (%lu KiB), "
		       "block %u, %s%s%s%s%s\n",
		       'a' + ndisks, (unsigned long)in->sectors,
		       (unsigned long)(in->sectors / 2), in->blk_size,
		       in->transport, in->ro ? ", ro" : "",
		       in->flush ? ", flush" : "",
		       in->discard ? ", discard" : "",
		       in->write_zeroes ? ", write-zeroes" : "");
		ndisks++;
	}
	return (int)ndisks;
}
