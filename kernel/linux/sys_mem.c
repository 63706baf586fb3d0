/* sys_mem.c - memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync. */
#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>
#include <asm-generic/mman-common.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/syscall.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)
/* /dev/zero's device number, 1:5, as devfs encodes it */
#define DEV_ZERO ((1u << 8) | 5u)

/* x86-64's MAP_ABOVE4G (arch/x86/include/uapi/asm/mman.h, Linux 6.6) */
#define MAP_ABOVE4G_X86 0x80
/*
 * The flags MAP_SHARED_VALIDATE takes (Linux's LEGACY_MAP_MASK, with
 * x86-64's MAP_32BIT and MAP_ABOVE4G): any other is -EOPNOTSUPP there,
 * MAP_SYNC and MAP_FIXED_NOREPLACE included (tmpfs has no DAX).
 */
#define MAP_LEGACY                                                            \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |               \
	 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | \
	 MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |           \
	 MAP_STACK | MAP_HUGETLB | MAP_32BIT | MAP_ABOVE4G_X86 |              \
	 MAP_HUGE_2MB | MAP_HUGE_1GB)

/* brk: grow or shrink the heap area; on failure the old break (Linux). */
long sys_brk(uintptr_t addr)
{
	struct mm *mm = current->mm;
	uintptr_t old_end = page_up(mm->brk), new_end = page_up(addr);

	if (addr < mm->brk_start || addr >= mm->mmap_top)
		return (long)mm->brk;
	if (new_end > old_end) {
		if (!mm_range_free(mm, old_end, new_end - old_end) ||
		    mm_map(mm, old_end, new_end - old_end,
			   PROT_READ | PROT_WRITE, VMA_ANON | VMA_HEAP,
			   "[heap]", 0) < 0)
			return (long)mm->brk;
	} else if (new_end < old_end) {
		mm_unmap(mm, new_end, old_end - new_end);
	}
	mm->brk = addr;
	return (long)addr;
}
SYSCALL1(brk);

/*
 * What a mapping of len bytes of fd at off maps, with the checks Linux
 * makes (mm/mmap.c do_mmap): the range inside the largest file, only
 * known flags with MAP_SHARED_VALIDATE, the fd open for reading, and for
 * a writable shared mapping open for writing too, not append-only and
 * not sealed against writes. NULL with *err.
 */
static struct vma_file *file_for_map(int fd, uint64_t off, size_t len,
				     int flags, int prot, int *err)
{
	struct file *f = fd_get(current, fd);
	int type = flags & MAP_TYPE;
	struct vma_file *vf;
	struct vnode *vn;
	bool writable;

	*err = -EBADF;
	if (!f)
		return NULL;
	if (f->vn && S_ISCHR(f->vn->mode) && f->vn->rdev == DEV_ZERO) {
		*err = 0; /* anonymous memory (Linux's mmap_zero) */
		return NULL;
	}
	/* The end must fit in a file (MAX_LFS_FILESIZE; file_mmap_ok). */
	*err = -EOVERFLOW;
	if (off >> PAGE_SHIFT > (INT64_MAX - len) >> PAGE_SHIFT)
		return NULL;
	/* Linux 6.18 refuses MAP_SYNC of a file without DAX, any type. */
	*err = -EOPNOTSUPP;
	if ((type == MAP_SHARED_VALIDATE && (flags & ~MAP_LEGACY)) ||
	    (flags & MAP_SYNC))
		return NULL;
	vn = file_mappable(f, err);
	if (!vn)
		return NULL;
	writable = (f->flags & O_ACCMODE) == O_RDWR && !(f->flags & O_APPEND);
	if (vn != f->vn && (!vn->ops || !vn->ops->page_mkwrite)) {
		/* A page cache that is never written back (storage.md). */
		*err = -ENODEV;
		if (type != MAP_PRIVATE && (prot & PROT_WRITE) && writable)
			return NULL;
		writable = false; /* nor may mprotect make it so */
	}
	*err = -EACCES;
	if (type != MAP_PRIVATE && (prot & PROT_WRITE) && !writable)
		return NULL;
	/* memfd seals (memfd_check_seals_mmap); mprotect can't add write */
	if (vn->reg.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		*err = -EPERM;
		if (type != MAP_PRIVATE && (prot & PROT_WRITE))
			return NULL;
		writable = false;
	}
	*err = -ENOMEM;
	vf = vma_file_new(vn, f->path, writable);
	return vf;
}

/* What map_copy reads at a time (a kmalloc'd bounce buffer). */
#define MMAP_COPY_CHUNK (64 * 1024)

/* Where a new mapping goes: the fixed address, the hint, or a free gap. */
static long place(struct mm *mm, uintptr_t addr, size_t len, int flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
		if (addr < MM_BOTTOM || !user_range_ok(addr, len))
			return flags & MAP_FIXED ? -EPERM : -ENOMEM;
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
		    !mm_range_free(mm, addr, len))
			return -EEXIST;
		return (long)addr;
	}
	addr = page_down(addr);
	if (addr >= MM_BOTTOM && user_range_ok(addr, len) &&
	    mm_range_free(mm, addr, len))
		return (long)addr;
	addr = mm_find_free(mm, len);
	return addr ? (long)addr : -ENOMEM;
}

/*
 * A file a file system reads through its own hooks (a 9p volume;
 * file_ops.map_copy): its pages are in no page cache, so MAP_PRIVATE gets a copy, read now
 * into the area's own pages (POSIX leaves unspecified whether later
 * changes to the file show in a private mapping). The file, when fd
 * is such a file open for reading; else NULL (with *err -ENODEV when
 * it is one not open for reading: EACCES).
 */
static struct file *copy_source(int fd, int *err)
{
	struct file *f = fd_get(current, fd);
	uint32_t acc;

	if (!f || !f->vn || !S_ISREG(f->vn->mode) || !f->ops ||
	    !f->ops->map_copy || !f->ops->read)
		return NULL;
	acc = f->flags & O_ACCMODE;
	if ((f->flags & O_PATH) || (acc != O_RDONLY && acc != O_RDWR)) {
		*err = -EACCES;
		return NULL;
	}
	return f;
}

/* Read len bytes of f at off into the private area at va (page-aligned). */
static int copy_in(struct mm *mm, struct file *f, uintptr_t va, size_t len,
		   uint64_t off)
{
	size_t chunk = len < MMAP_COPY_CHUNK ? len : MMAP_COPY_CHUNK, done = 0;
	char *buf = kmalloc(chunk);
	uint64_t pos = off;
	long r = 1;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	/* Past the end of the file the area stays zero, as Linux's tail. */
	while (done < len && err == 0) {
		r = f->ops->read(f, buf,
				 len - done < chunk ? len - done : chunk, &pos);
		if (r <= 0)
			break;
		err = mm_fill(mm, va + done, buf, (size_t)r);
		done += (size_t)r;
	}
	kfree(buf);
	return err ? err : r < 0 ? (int)r : 0;
}

/* mmap(MAP_PRIVATE) of a copy_source file: a private area, filled. */
static long map_copy(struct mm *mm, struct file *f, uintptr_t addr, size_t len,
		     int prot, int flags, uint64_t off)
{
	long at = place(mm, addr, len, flags);
	int err;

	if (at < 0)
		return at;
	err = mm_map_file(mm, (uintptr_t)at, len, prot,
			  VMA_ANON | (flags & MAP_STACK ? VMA_STACK : 0), NULL,
			  0);
	if (err)
		return err;
	err = copy_in(mm, f, (uintptr_t)at, len, off);
	if (err) {
		mm_unmap(mm, (uintptr_t)at, len);
		return err;
	}
	return at;
}

long sys_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd,
	      uint64_t off)
{
	struct mm *mm = current->mm;
	int type = flags & MAP_TYPE, anon = flags & MAP_ANONYMOUS, err32;
	struct vma_file *file = NULL;
	long at, err;

	if (len == 0 || (off & (PAGE_SIZE - 1)) || (prot & ~PROT_ALL))
		return -EINVAL;
	/* do_mmap: MAP_SHARED_VALIDATE is for files only */
	if (type != MAP_PRIVATE && type != MAP_SHARED &&
	    (type != MAP_SHARED_VALIDATE || anon))
		return -EINVAL;
	if (len > USER_TOP)
		return -ENOMEM;
	len = page_up(len);
	if (!anon) {
		file = file_for_map(fd, off, len, flags, prot, &err32);
		if (!file && err32 == -ENODEV && type == MAP_PRIVATE) {
			struct file *src = copy_source(fd, &err32);

			if (src)
				return map_copy(mm, src, addr, len, prot, flags,
						off);
		}
		if (!file && err32)
			return err32;
		anon = !file; /* /dev/zero */
	}
	if (anon && type != MAP_PRIVATE) {
		file = shmem_zero_file(len);
		if (!file)
			return -ENOMEM;
		anon = 0, off = 0;
	}
	at = place(mm, addr, len, flags);
	if (at < 0)
		goto out;
	/*
	 * Thread stacks (MAP_STACK) grow on demand like the main stack and
	 * are not counted against memory (linux/mm.h).
	 */
	err = mm_map_file(
		mm, (uintptr_t)at, len, prot,
		(anon ? VMA_ANON : VMA_FILE) |
			(!anon && type != MAP_PRIVATE ? VMA_SHARED : 0) |
			(flags & MAP_STACK ? VMA_STACK : 0),
		file, anon ? 0 : off);
	if (err)
		at = err;
out:
	if (file)
		vma_file_put(file);
	return at;
}
SYSCALL6(mmap);

long sys_munmap(uintptr_t addr, size_t len)
{
	if ((addr & (PAGE_SIZE - 1)) || len == 0 || !user_range_ok(addr, len))
		return -EINVAL;
	/* stores through a shared map reach the file (errors: at fsync) */
	mm_writeback_range(current->mm, addr, page_up(len), 0);
	return mm_unmap(current->mm, addr, page_up(len));
}
SYSCALL2(munmap);

long sys_mprotect(uintptr_t addr, size_t len, int prot)
{
	if ((addr & (PAGE_SIZE - 1)) ||
	    (prot & ~(PROT_ALL | PROT_GROWSDOWN | PROT_GROWSUP)))
		return -EINVAL;
	if (!user_range_ok(addr, page_up(len)))
		return -ENOMEM;
	if (len == 0)
		return 0;
	return mm_protect(current->mm, addr, page_up(len), prot & PROT_ALL);
}
SYSCALL3(mprotect);

/*
 * Grow [old, old+old_len) to new_len where it is: the new part continues
 * the last area (a file area goes on mapping the file where it was).
 */
static long grow_in_place(struct mm *mm, uintptr_t old, size_t old_len,
			  size_t new_len)
{
	struct vma *last = mm_find(mm, old + old_len - 1);
	uintptr_t end = old + old_len;
	int err;

	if (last->file &&
	    new_len - old_len >
		    UINT64_MAX - (last->offset + (end - last->start)))
		return -EINVAL; /* the file offsets would wrap */

	err = mm_map_file(mm, end, new_len - old_len, last->prot, last->flags,
			  last->file, last->offset + (end - last->start));
	if (!err)
		strlcpy(mm_find(mm, end)->name, last->name, sizeof(last->name));
	return err ? err : (long)old;
}

/* mremap: shrink in place, grow in place when free, else move (MAYMOVE). */
long sys_mremap(uintptr_t old, size_t old_len, size_t new_len, int flags,
		uintptr_t new_addr)
{
	struct mm *mm = current->mm;
	struct vma *v = mm_find(mm, old);
	uintptr_t dest;
	int err;

	if ((old & (PAGE_SIZE - 1)) || new_len == 0 ||
	    (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	/*
	 * Untrusted lengths: rounding up must not wrap to 0, and the old
	 * range must not run past user space (nor wrap, which made
	 * mm_range_mapped say yes and moved pages from beyond USER_TOP).
	 */
	if (old_len > USER_TOP || new_len > USER_TOP)
		return -EINVAL;
	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if (!user_range_ok(old, old_len))
		return -EINVAL;
	if (!v || !mm_range_mapped(mm, old, old_len ? old_len : PAGE_SIZE))
		return -EFAULT;
	/* old_len 0 makes a second mapping of a shared area's pages. */
	if (old_len == 0 && !(v->flags & VMA_SHARED))
		return -EINVAL;
	/* [vvar] moves only whole and alone, and never grows (VM_DONTEXPAND). */
	if (mm_range_has(mm, old, old_len, VMA_KERNEL) &&
	    (!(v->flags & VMA_KERNEL) || old + old_len > v->end ||
	     new_len > old_len))
		return -EFAULT;
	/* The file offsets the grown mapping would reach must not wrap. */
	if (v->file && new_len > UINT64_MAX - (v->offset + (old - v->start)))
		return -EINVAL;
	if (!(flags & MREMAP_FIXED)) {
		if (new_len <= old_len) {
			mm_unmap(mm, old + new_len, old_len - new_len);
			return (long)old;
		}
		if (user_range_ok(old, new_len) &&
		    mm_range_free(mm, old + old_len, new_len - old_len))
			return grow_in_place(mm, old, old_len, new_len);
		if (!(flags & MREMAP_MAYMOVE))
			return -ENOMEM;
		dest = mm_find_free(mm, new_len);
	} else {
		dest = new_addr;
		if ((dest & (PAGE_SIZE - 1)) || !user_range_ok(dest, new_len) ||
		    (dest < old + old_len && old < dest + new_len))
			return -EINVAL;
		if (dest < MM_BOTTOM)
			return -EPERM; /* the floor MAP_FIXED has (place) */
	}
	if (!dest)
		return -ENOMEM;
	err = mm_map_file(mm, dest, new_len, v->prot, v->flags, v->file,
			  v->offset + (old - v->start));
	if (!err)
		strlcpy(mm_find(mm, dest)->name, v->name, sizeof(v->name));
	if (!err && old_len)
		err = mm_move(mm, old, dest,
			      old_len < new_len ? old_len : new_len);
	if (err)
		return err;
	if (old_len)
		mm_unmap(mm, old, old_len);
	return (long)dest;
}
SYSCALL5(mremap);

/*
 * madvise and msync answer ENOMEM for a range with unmapped parts, found
 * by walking the areas (Linux's madvise_walk_vmas), never the pages: a
 * range of terabytes costs what its areas do.
 */
long sys_madvise(uintptr_t addr, size_t len, int advice)
{
	size_t n = page_up(len);

	if ((addr & (PAGE_SIZE - 1)) || (len && !n) || addr + n < addr)
		return -EINVAL;
	if (!user_range_ok(addr, n))
		return -ENOMEM;
	switch (advice) {
	case MADV_DONTNEED:
		/*
		 * Anonymous pages read back as zeros, a private file
		 * mapping's as the file's bytes again, as on Linux.
		 */
		return mm_discard(current->mm, addr, n);
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_FREE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
		/* hints: nothing to do in a single-process VM */
		return mm_range_mapped(current->mm, addr, n) ? 0 : -ENOMEM;
	default:
		return -EINVAL;
	}
}
SYSCALL3(madvise);

long sys_msync(uintptr_t addr, size_t len, int flags)
{
	size_t n = page_up(len);

	if ((addr & (PAGE_SIZE - 1)) ||
	    (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (addr + n < addr || !user_range_ok(addr, n))
		return -ENOMEM;
	if (!mm_range_mapped(current->mm, addr, n))
		return -ENOMEM;
	/*
	 * MS_SYNC writes the range's stores through shared maps and
	 * commits (a tmpfs file's pages are the file's own: nothing to
	 * do); MS_ASYNC starts nothing, as on Linux since 2.6.19: the
	 * periodic writeback will.
	 */
	if (flags & MS_SYNC)
		return mm_writeback_range(current->mm, addr, n,
					  VFS_WB_COMMIT | VFS_WB_REPORT);
	return 0;
}
SYSCALL3(msync);
