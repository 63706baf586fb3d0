/* ipc_shm.c - System V shared memory: shmget, shmat, shmdt, shmctl. */
#include <asm-generic/errno.h>
#include <asm-generic/mman-common.h>
#include <asm/shmbuf.h>
#include <linux/ipc.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/proc.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/ipc.h"
#include "linux/mm.h"
#include "linux/syscall.h"

/*
 * A segment is an unlinked tmpfs node of its size (as Linux's shm is a
 * shmem file), so an attach is a shared file mapping: coherent through
 * every attach, in every process, with nothing special for fork. Each
 * attach is a struct vma_file of the segment's; the areas an attach
 * became (split by mprotect, copied by fork) each hold a reference on
 * it, so shm_nattch, which Linux counts per area, is the sum of those
 * references. The last one let go runs shm_detached, which destroys a
 * segment marked for removal.
 */
struct shm_seg {
	struct ipc_obj o; /* first: the table holds &o */
	uint64_t size;
	struct vnode *vn;
	struct vma_file *attaches; /* through owner_next */
	int cpid, lpid;
	long atime, dtime, ctime;
};

/*
 * From <linux/shm.h>, which needs the C library's headers: the commands
 * and flags (Linux's values) and SHM_INFO's answer.
 */
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15

struct shm_info {
	int used_ids;
	unsigned long shm_tot, shm_rss, shm_swp;
	unsigned long swap_attempts, swap_successes;
};

/* shmat's own flags (SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC) */
#define SHM_RDONLY_F 010000
#define SHM_RND_F 020000
#define SHM_REMAP_F 040000
#define SHM_EXEC_F 0100000
/* Linux's SHM_DEST and SHM_LOCKED mode bits */
#define SHM_DEST_BIT 01000
#define SHM_LOCKED_BIT 02000

static struct ipc_ids shm_ids = { .max = IPC_SHMMNI, .last_idx = -1 };
static uint64_t shm_pages; /* pages of all segments (against shmall) */

static struct shm_seg *shm_of(struct ipc_obj *o)
{
	return (struct shm_seg *)o;
}

static unsigned long shm_nattch(const struct shm_seg *s)
{
	unsigned long n = 0;

	for (const struct vma_file *f = s->attaches; f; f = f->owner_next)
		n += (unsigned long)f->refs;
	return n;
}

static void shm_destroy(struct shm_seg *s)
{
	ipc_remove(&shm_ids, &s->o);
	shm_pages -= page_up(s->size) / PAGE_SIZE;
	vnode_put(s->vn);
	kfree(s);
}

/* vma_file release: the last area of an attach is gone. */
static void shm_detached(struct vma_file *f)
{
	struct shm_seg *s = f->owner;

	for (struct vma_file **l = &s->attaches; *l; l = &(*l)->owner_next)
		if (*l == f) {
			*l = f->owner_next;
			break;
		}
	s->dtime = ipc_now();
	s->lpid = current->pid;
	if ((s->o.mode & SHM_DEST_BIT) && !s->attaches)
		shm_destroy(s);
}

static int shm_create(int32_t key, int flags, unsigned long size)
{
	uint64_t pages = page_up(size) / PAGE_SIZE;
	struct shm_seg *s;
	int err;

	if (size < 1 || size > IPC_SHMMAX)
		return -EINVAL;
	if (flags & SHM_HUGETLB)
		return -EINVAL; /* no hugetlbfs (Linux without it says so) */
	if (shm_pages + pages < shm_pages || shm_pages + pages > IPC_SHMALL)
		return -ENOSPC;
	/*
	 * Linux charges a segment against overcommit unless SHM_NORESERVE:
	 * its heuristic refuses one larger than all of memory (ENOMEM).
	 */
	if (!(flags & SHM_NORESERVE) && pages > page_total())
		return -ENOMEM;
	s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->vn = vnode_new(S_IFREG | ((uint32_t)flags & 0777));
	err = -ENOMEM;
	if (!s->vn)
		goto err_seg;
	/* Past the largest file: EINVAL, as shmem_file_setup says. */
	err = tmpfs_truncate(s->vn, size) ? -EINVAL : 0;
	if (err)
		goto err_node;
	ipc_obj_init(&s->o, key, flags);
	err = ipc_insert(&shm_ids, &s->o);
	if (err)
		goto err_node;
	s->size = size;
	s->cpid = current->pid;
	s->ctime = ipc_now();
	shm_pages += pages;
	return s->o.id;
err_node:
	vnode_put(s->vn);
err_seg:
	kfree(s);
	return err;
}

static int shm_check(struct ipc_obj *o, unsigned long size)
{
	return shm_of(o)->size < size ? -EINVAL : 0;
}

long sys_shmget(int32_t key, size_t size, int flags)
{
	return ipc_get(&shm_ids, key, flags, size, shm_create, shm_check);
}
SYSCALL3(shmget);

/* Where an attach goes (Linux's do_shmat checks), or -EINVAL. */
static long shm_place(struct mm *mm, uintptr_t addr, size_t len, int flags)
{
	if (!addr) {
		if (flags & SHM_REMAP_F)
			return -EINVAL;
		addr = mm_find_free(mm, len);
		return addr ? (long)addr : -ENOMEM;
	}
	if (addr & (PAGE_SIZE - 1)) {
		/* SHMLBA is the page size on x86-64 */
		if (!(flags & SHM_RND_F))
			return -EINVAL;
		addr = page_down(addr);
		if (!addr && (flags & SHM_REMAP_F))
			return -EINVAL;
	}
	if (addr < MM_BOTTOM || !user_range_ok(addr, len))
		return -EINVAL;
	if (!(flags & SHM_REMAP_F) && !mm_range_free(mm, addr, len))
		return -EINVAL;
	return (long)addr;
}

long sys_shmat(int id, uintptr_t addr, int flags)
{
	struct ipc_obj *o = ipc_find(&shm_ids, id);
	bool ro = flags & SHM_RDONLY_F;
	int prot = PROT_READ | (ro ? 0 : PROT_WRITE) |
		   (flags & SHM_EXEC_F ? PROT_EXEC : 0);
	struct shm_seg *s;
	struct vma_file *f;
	char path[32];
	size_t len;
	long at;
	int err;

	if (!o)
		return -EINVAL;
	s = shm_of(o);
	if (!ipc_may(o, ro ? 4 : 6) || ((flags & SHM_EXEC_F) && !ipc_may(o, 1)))
		return -EACCES;
	len = page_up(s->size);
	at = shm_place(current->mm, addr, len, flags);
	if (at < 0)
		return at;
	fmt_snprintf(path, sizeof(path), "/SYSV%08x", (uint32_t)o->key);
	f = vma_file_new(s->vn, path, !ro);
	if (!f)
		return -ENOMEM;
	f->release = shm_detached;
	f->owner = s;
	f->owner_next = s->attaches;
	s->attaches = f;
	err = mm_map_file(current->mm, (uintptr_t)at, len, prot,
			  VMA_FILE | VMA_SHARED, f, 0);
	vma_file_put(f); /* the area holds it now */
	if (err)
		return err;
	s->atime = ipc_now();
	s->lpid = current->pid;
	return at;
}
SYSCALL3(shmat);

/*
 * An area at or above addr of the attach of s made at addr (Linux's
 * shmdt test: an shm area of s whose offset puts its start at addr).
 */
static struct vma *shm_area(struct mm *mm, uintptr_t addr, struct shm_seg *s)
{
	uintptr_t end = addr + page_up(s->size);

	for (struct vma *v = mm->vmas; v && v->start < end; v = v->next)
		if (v->end > addr && v->file &&
		    v->file->release == shm_detached && v->file->owner == s &&
		    v->start - v->offset == addr)
			return v;
	return NULL;
}

long sys_shmdt(uintptr_t addr)
{
	struct mm *mm = current->mm;
	struct vma *v = NULL;
	struct shm_seg *s;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	v = addr >= MM_BOTTOM ? mm_find(mm, addr) : NULL;
	if (!v || v->start != addr || !v->file ||
	    v->file->release != shm_detached || v->offset != 0)
		return -EINVAL;
	s = v->file->owner;
	/* Every area of this attach, also those mprotect split off. */
	while ((v = shm_area(mm, addr, s)) != NULL)
		mm_unmap(mm, v->start, v->end - v->start);
	return 0;
}
SYSCALL1(shmdt);

static void shm_fill_ds(struct shm_seg *s, struct shmid64_ds *ds)
{
	memset(ds, 0, sizeof(*ds));
	ipc_fill_perm(&s->o, &ds->shm_perm);
	ds->shm_segsz = s->size;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->ctime;
	ds->shm_cpid = s->cpid;
	ds->shm_lpid = s->lpid;
	ds->shm_nattch = shm_nattch(s);
}

/* IPC_INFO and SHM_INFO: the limits, or what is in use. */
static long shm_info(int cmd, uintptr_t ubuf)
{
	int highest = ipc_highest(&shm_ids);

	if (cmd == IPC_INFO) {
		struct shminfo64 si = { .shmmax = IPC_SHMMAX,
					.shmmin = 1,
					.shmmni = IPC_SHMMNI,
					.shmseg = IPC_SHMMNI,
					.shmall = IPC_SHMALL };

		if (copy_to_user(ubuf, &si, sizeof(si)))
			return -EFAULT;
	} else {
		struct shm_info si = { .used_ids = shm_ids.in_use,
				       .shm_tot = shm_pages };

		for (int i = 0; i <= highest; i++) {
			struct ipc_obj *o = ipc_slot(&shm_ids, i);

			if (o)
				si.shm_rss += tmpfs_allocated(shm_of(o)->vn) /
					      PAGE_SIZE;
		}
		if (copy_to_user(ubuf, &si, sizeof(si)))
			return -EFAULT;
	}
	return highest < 0 ? 0 : highest;
}

static long shm_set(struct shm_seg *s, uintptr_t ubuf)
{
	struct shmid64_ds ds;
	int err = ipc_may_change(&s->o);

	if (copy_from_user(&ds, ubuf, sizeof(ds)))
		return -EFAULT;
	if (err)
		return err;
	ipc_set(&s->o, ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.mode);
	s->ctime = ipc_now();
	return 0;
}

static long shm_rmid(struct shm_seg *s)
{
	int err = ipc_may_change(&s->o);

	if (err)
		return err;
	/* Destroyed at the last detach; no shmget finds it meanwhile. */
	s->o.mode |= SHM_DEST_BIT;
	s->o.key = IPC_PRIVATE;
	if (!s->attaches)
		shm_destroy(s);
	return 0;
}

long sys_shmctl(int id, int cmd, uintptr_t ubuf)
{
	struct ipc_obj *o;
	struct shmid64_ds ds;

	if (cmd < 0 || id < 0)
		return -EINVAL;
	if (cmd == IPC_INFO || cmd == SHM_INFO)
		return shm_info(cmd, ubuf);
	o = cmd == SHM_STAT || cmd == SHM_STAT_ANY ? ipc_slot(&shm_ids, id) :
						     ipc_find(&shm_ids, id);
	if (!o)
		return -EINVAL;
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		if (cmd != SHM_STAT_ANY && !ipc_may(o, 4))
			return -EACCES;
		shm_fill_ds(shm_of(o), &ds);
		if (copy_to_user(ubuf, &ds, sizeof(ds)))
			return -EFAULT;
		return cmd == IPC_STAT ? 0 : o->id;
	case IPC_SET:
		return shm_set(shm_of(o), ubuf);
	case IPC_RMID:
		return shm_rmid(shm_of(o));
	case SHM_LOCK:
	case SHM_UNLOCK:
		/* Nothing is swapped; only the mode bit Linux shows. */
		if (current_cred()->euid != 0)
			return -EPERM;
		o->mode = cmd == SHM_LOCK ? o->mode | SHM_LOCKED_BIT :
					    o->mode & ~SHM_LOCKED_BIT;
		return 0;
	default:
		return -EINVAL;
	}
}
SYSCALL3(shmctl);
