/* sys_mem.c - memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync. */
#include <asm-generic/mman-common.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "core/page.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/syscall.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

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

/* Fill a new private file mapping from the file; beyond EOF stays zero. */
static long map_file(struct mm *mm, uintptr_t addr, size_t len, int fd,
		     uint64_t off)
{
	struct file *f = fd_get(current, fd);
	char buf[512];

	if (!f)
		return -EBADF;
	for (size_t done = 0; done < len;) {
		size_t want = len - done < sizeof(buf) ? len - done :
							 sizeof(buf);
		long n = file_pread(f, buf, want, off + done);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		if (mm_fill(mm, addr + done, buf, (size_t)n) < 0)
			return -ENOMEM;
		done += (size_t)n;
	}
	return 0;
}

/*
 * A writable shared file mapping: EPERM for a file sealed against writes
 * (memfd.c, as Linux's seals), else ENODEV (not supported yet).
 */
static long map_shared_write(int fd)
{
	struct file *f = fd_get(current, fd);

	if (f != NULL && f->vn != NULL && S_ISREG(f->vn->mode) &&
	    (f->vn->reg.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	return -ENODEV;
}

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

long sys_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd,
	      uint64_t off)
{
	struct mm *mm = current->mm;
	int type = flags & MAP_TYPE, anon = flags & MAP_ANONYMOUS;
	long at, err;

	if (len == 0 || (off & (PAGE_SIZE - 1)) || (prot & ~PROT_ALL))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED &&
	    type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (len > USER_TOP)
		return -ENOMEM;
	len = page_up(len);
	/* One process, no fork: a shared anonymous map is a private one.
	 * Writable shared file maps would need write-back: not supported. */
	if (!anon && type != MAP_PRIVATE && (prot & PROT_WRITE))
		return map_shared_write(fd);
	at = place(mm, addr, len, flags);
	if (at < 0)
		return at;
	/* Thread stacks (MAP_STACK) grow on demand like the main stack and
	 * are not counted against memory (linux/mm.h). */
	err = mm_map(mm, (uintptr_t)at, len, prot,
		     (anon ? VMA_ANON : VMA_FILE) |
			     (flags & MAP_STACK ? VMA_STACK : 0),
		     anon ? "" : "file", anon ? 0 : off);
	if (!err && !anon)
		err = map_file(mm, (uintptr_t)at, len, fd, off);
	if (err) {
		mm_unmap(mm, (uintptr_t)at, len);
		return err;
	}
	return at;
}
SYSCALL6(mmap);

long sys_munmap(uintptr_t addr, size_t len)
{
	if ((addr & (PAGE_SIZE - 1)) || len == 0 || !user_range_ok(addr, len))
		return -EINVAL;
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
	if (!v || old_len == 0 || !mm_range_mapped(mm, old, old_len))
		return -EFAULT;
	/* [vvar] moves only whole and alone, and never grows (VM_DONTEXPAND). */
	if (mm_range_has(mm, old, old_len, VMA_KERNEL) &&
	    (!(v->flags & VMA_KERNEL) || old + old_len > v->end ||
	     new_len > old_len))
		return -EFAULT;
	if (!(flags & MREMAP_FIXED)) {
		if (new_len <= old_len) {
			mm_unmap(mm, old + new_len, old_len - new_len);
			return (long)old;
		}
		if (user_range_ok(old, new_len) &&
		    mm_range_free(mm, old + old_len, new_len - old_len)) {
			err = mm_map(mm, old + old_len, new_len - old_len,
				     v->prot, v->flags, v->name, 0);
			return err ? err : (long)old;
		}
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
	err = mm_map(mm, dest, new_len, v->prot, v->flags, v->name, v->offset);
	if (!err)
		err = mm_move(mm, old, dest,
			      old_len < new_len ? old_len : new_len);
	if (err)
		return err;
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
		/* Anonymous pages read back as zeros, as on Linux. */
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
	/* Private mappings have nothing to write back. */
	return mm_range_mapped(current->mm, addr, n) ? 0 : -ENOMEM;
}
SYSCALL3(msync);
