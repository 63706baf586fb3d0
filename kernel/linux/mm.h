/* mm.h - the application's address space: areas (VMAs), demand paging, brk. */
#ifndef KILN_LINUX_MM_H
#define KILN_LINUX_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Each process lives in the lower half of its own address space,
 * between MM_BOTTOM (page 0 and the first 64 KiB stay unmapped, as
 * Linux's mmap_min_addr) and USER_TOP. Areas are page-aligned, sorted and
 * never overlap. Anonymous memory is demand-paged: a page is allocated,
 * zeroed, on first touch. A file area maps the file's own pages (the page
 * cache, tmpfs_page_get) on first touch: a shared area maps them as they
 * are, a private one read-only until a write copies the page (copy on
 * write). Every mapped page is counted (page_get/page_put): a page whose
 * count is above 1 is never writable in a private area. A VMA_KERNEL
 * area ([vvar]) is the exception: its page is the kernel's, put there by
 * mm_map_kernel_page, never counted or freed, never made writable or
 * executable (mprotect: -EACCES), never grown (mremap: -EFAULT).
 */
#define MM_BOTTOM 0x10000UL
#define MM_NAME_MAX 64

enum vma_flags {
	VMA_ANON = 1, /* zero-fill on demand */
	/* shows a file offset; pages from vma->file, or filled by mm_fill */
	VMA_FILE = 2,
	VMA_STACK = 4,
	VMA_HEAP = 8,
	VMA_CHARGED = 16, /* counted in mm->committed (private, writable) */
	VMA_KERNEL = 32,  /* the kernel's pages, shown read-only (above) */
	VMA_SHARED = 64,  /* MAP_SHARED of a file: writes reach the file */
};

struct vnode;

/*
 * The file an area maps, shared by the areas one mmap split into; holds
 * a reference on the node. writable: the fd allowed MAP_SHARED writes.
 * Every area holds one reference (a split takes one; so must fork's copy
 * of an area): SysV shm counts an attach's areas by them (ipc_shm.c).
 */
struct vma_file {
	int refs;
	struct vnode *vn;
	bool writable;
	/* run once when the last area lets go (SysV shm's detach), or NULL */
	void (*release)(struct vma_file *f);
	void *owner;		     /* release's: the segment attached */
	struct vma_file *owner_next; /* the owner's list of its files */
	char path[];		     /* as /proc/self/maps shows it */
};

/* A vma_file (refs 1) for vn, taking a node reference; NULL: no memory. */
struct vma_file *vma_file_new(struct vnode *vn, const char *path,
			      bool writable);
void vma_file_put(struct vma_file *f);

/*
 * The file of a shared anonymous mapping of len bytes (refs 1): an
 * unlinked tmpfs node of that size, shown as "/dev/zero (deleted)".
 * NULL: no memory.
 */
struct vma_file *shmem_zero_file(size_t len);

struct vma {
	uintptr_t start, end;
	int prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	int flags;		/* enum vma_flags */
	uint64_t offset;	/* file offset shown in maps */
	char name[MM_NAME_MAX]; /* path, "[heap]", "[stack]" or "" */
	struct vma_file *file;	/* referenced; NULL when not file-backed */
	struct vma *next;
};

struct paging_as;
struct proc;

struct mm {
	struct vma *vmas;
	struct paging_as *as; /* its page tables (arch.h) */
	int users;	      /* processes using it (vfork, CLONE_VM) */
	uintptr_t brk_start,
		brk; /* program break; heap area [brk_start, page_up(brk)) */
	uintptr_t mmap_top; /* mmap searches downwards from here */
	uintptr_t vdso;	    /* where exec mapped the vDSO (AT_SYSINFO_EHDR) */
	size_t resident;    /* pages currently mapped */
	size_t committed;   /* pages promised to writable private areas */
	/* where mm_reclaim_point's next pass starts */
	uintptr_t reclaim_va;
	/* linux/exec_stack.c: argv's and envp's strings, for /proc/PID */
	uintptr_t arg_start, arg_end, env_start, env_end;
};

/*
 * Memory is promised when it is mapped, not when it is touched: mmap, brk
 * and mprotect fail with -ENOMEM once the writable private areas would
 * need more pages than the machine has free (plus what the process already
 * holds, less a reserve for the kernel). So an application learns of
 * exhaustion as ENOMEM (malloc returns NULL) instead of being killed on a
 * page fault later. Stacks are the exception: the main stack and thread
 * stacks (MAP_STACK) grow on demand and are not counted, as glibc reserves
 * 8 MiB for every thread and touches a few pages of it.
 */
#define MM_COMMIT_RESERVE 256 /* pages kept for the kernel (1 MiB) */

/*
 * Copy up to n bytes at user address addr of mm (any process's) into the
 * kernel buffer buf, stopping at the first page not present: the bytes
 * copied. Never faults pages in (for /proc/PID/cmdline).
 */
size_t mm_read(struct mm *mm, uintptr_t addr, void *buf, size_t n);

/* A new empty address space, or NULL (no memory). */
struct mm *mm_create(void);

/*
 * Map [start, start+len) (page-aligned, inside user space) as a new area,
 * replacing whatever was there. Pages come on demand. 0 or -ENOMEM.
 */
int mm_map(struct mm *mm, uintptr_t start, size_t len, int prot, int flags,
	   const char *name, uint64_t offset);

/*
 * mm_map of file (the area takes its own reference; NULL: as mm_map),
 * offset being the file position of start. Shared areas (VMA_SHARED) are
 * not charged: their pages are the file's.
 */
int mm_map_file(struct mm *mm, uintptr_t start, size_t len, int prot, int flags,
		struct vma_file *file, uint64_t offset);

/*
 * Map the kernel's page at physical address phys at start (page-aligned,
 * free) as a one-page VMA_KERNEL area named name, readable only.
 * 0 or -ENOMEM.
 */
int mm_map_kernel_page(struct mm *mm, uintptr_t start, uint64_t phys,
		       const char *name);

/* True when an area of [start, start+len) has every flag of flags. */
bool mm_range_has(struct mm *mm, uintptr_t start, size_t len, int flags);

/* Remove [start, start+len): areas are trimmed or split, pages freed. */
int mm_unmap(struct mm *mm, uintptr_t start, size_t len);

/*
 * Change protection; -ENOMEM when part of the range is not mapped, -EACCES
 * when it would make a shared mapping of a read-only fd writable (or the
 * kernel's page anything but readable).
 */
int mm_protect(struct mm *mm, uintptr_t start, size_t len, int prot);

/* Lowest-below-mmap_top free gap of len bytes, or 0. */
uintptr_t mm_find_free(struct mm *mm, size_t len);

/* The area holding addr, or NULL. */
struct vma *mm_find(struct mm *mm, uintptr_t addr);

/* True when no area intersects [start, start+len). */
bool mm_range_free(struct mm *mm, uintptr_t start, size_t len);

/*
 * True when every page of [start, start+len) (inside user space) is in
 * some area. Both walk the areas, never the pages.
 */
bool mm_range_mapped(struct mm *mm, uintptr_t start, size_t len);

/*
 * Handle a fault at addr with the page-fault error bits err: allocate the
 * page (or map the file's, or copy it for a write to a private area) when
 * the area allows the access. 0, -EFAULT (no area, or access not allowed:
 * the app gets SIGSEGV), -EIO (a file page wholly past the end of the
 * file: SIGBUS) or -ENOMEM.
 */
int mm_fault(struct mm *mm, uintptr_t addr, uint64_t err);

/*
 * Map every page of [start, start+len) now, as a read fault (or a write
 * fault: a private file area's pages become private copies) would. The
 * range must be in areas that allow the access. 0, -ENOMEM, -EIO, -EFAULT.
 */
int mm_populate(struct mm *mm, uintptr_t start, size_t len, bool write);

/*
 * Write n bytes of src at user address addr, whatever the area's
 * protection (the ELF loader and file mappings fill read-only pages this
 * way). The range must be inside areas. 0 or -ENOMEM/-EFAULT.
 */
int mm_fill(struct mm *mm, uintptr_t addr, const void *src, size_t n);

/*
 * Move the pages of [old, old+len) to new (an area made for them): each
 * keeps its protection and its holders.
 */
int mm_move(struct mm *mm, uintptr_t old, uintptr_t new_addr, size_t len);

/*
 * Drop the pages of the anonymous and file areas in [start, start+len)
 * (inside user space): the next touch gets fresh zero pages, or the
 * file's contents again (a private area's copies are gone). Returns -ENOMEM when
 * part of the range is not mapped (the mapped parts are still dropped, as
 * Linux's madvise does), else 0.
 */
int mm_discard(struct mm *mm, uintptr_t start, size_t len);

/*
 * The file vn was cut to size bytes: unmap every page its areas map at or
 * past page_up(size), a private area's copies too (Linux's
 * truncate_pagecache, unmap_mapping_range with even_cows), so the next
 * touch there is SIGBUS, or sees the file again once it grows (zeros).
 * Call it after a truncate that shrank the file.
 */
void mm_file_truncated(struct mm *mm, const struct vnode *vn, uint64_t size);
/* mm_file_truncated in every process's address space. */
void mm_file_truncated_all(const struct vnode *vn, uint64_t size);

/*
 * True when an area maps vn shared from an fd that allowed writing
 * (Linux's mapping_writably_mapped: VM_SHARED with VM_MAYWRITE, even if
 * the area is read-only now, since mprotect could make it writable).
 */
bool mm_file_writably_mapped(struct mm *mm, const struct vnode *vn);
/* The same, in any process's address space (memfd's F_SEAL_WRITE). */
bool mm_file_writably_mapped_any(const struct vnode *vn);

/*
 * Shared writable maps of a file whose page cache is written back
 * (ext4: vnode_ops.page_mkwrite): a page is mapped read-only until a
 * store faults, which marks it dirty (mm_page_mkwrite) and makes it
 * writable; each writeback makes every mapping of the pages it writes
 * read-only again first, so the next store is seen. Dirty pages are
 * written at msync(MS_SYNC), fsync, munmap, exit, the VM's end and
 * every MM_WRITEBACK_AGE_NS.
 */
#define MM_WRITEBACK_AGE_NS 5000000000ULL
bool mm_tracks_stores(const struct vma *v);
/*
 * A store to page va of v (mm_tracks_stores): 0, -ENOMEM, -EIO (SIGBUS,
 * the disk full included). With alloc it sleeps (ext4 allocates a
 * hole's blocks): v may be gone after, so the caller looks it up again.
 * Without alloc it only marks the page dirty and never sleeps (for the
 * fault proper, which holds v, after mm_fault's call with alloc).
 */
int mm_page_mkwrite(struct vma *v, uintptr_t va, bool alloc);
/*
 * Write back the dirty pages first..last of vn (a page cache node with
 * a writeback hook; others: 0), every process's mappings of them made
 * read-only first; how is the hook's (VFS_WB_COMMIT, VFS_WB_REPORT).
 * 0 or -ERRNO (-ENOSPC, -EIO) from the file system.
 */
int mm_file_writeback(struct vnode *vn, uint64_t first, uint64_t last,
		      unsigned int how);
/* The same for each file mm's shared areas in [start, start+len) map. */
int mm_writeback_range(struct mm *mm, uintptr_t start, size_t len,
		       unsigned int how);
/* Every shared-mapped file of every process (the VM ends); 0 or -ERRNO. */
int mm_writeback_all(void);
/* mm_writeback_all once a store is MM_WRITEBACK_AGE_NS old (return to user). */
void mm_writeback_aged(void);
/*
 * mm_reclaim.c. Called at the start of a user page fault (nothing held):
 * when free memory is low, clear the PTEs that map clean page-cache
 * pages of files on disks (after writing the shared maps' stores back
 * if those were not enough) so the page cache drops them; a later touch
 * reads them again. May sleep. Anonymous pages stay.
 */
void mm_reclaim_point(void);
/* When the oldest store not yet written back was marked, or 0 (mm_file.c). */
extern uint64_t mm_dirty_since_ns;

/* True when mm_writeback_aged may have work: a store waits for writeback. */
static inline bool mm_writeback_pending(void)
{
	return mm_dirty_since_ns != 0;
}

/* Free every page and area, and the page tables. */
void mm_destroy(struct mm *mm);

/* Drop one user of mm (NULL: nothing); the last one destroys it. */
void mm_put(struct mm *mm);

/*
 * Give p the address space mm (taking over the caller's reference, NULL
 * for none), loading it when p is the running process, and drop p's old
 * one. exec uses it to replace the space, exit to let it go.
 */
void proc_set_mm(struct proc *p, struct mm *mm);

/*
 * The child's copy of mm for fork: the same areas; private pages shared
 * copy-on-write (both sides' entries made read-only), shared file pages
 * and the kernel's pages mapped as they are. The child is charged what
 * the parent has committed. NULL when memory is short (-ENOMEM).
 */
struct mm *mm_fork(struct mm *mm);

/* /proc/PID/maps of mm into buf; returns the length. */
size_t mm_format_maps(struct mm *mm, char *buf, size_t size);

static inline uintptr_t page_up(uintptr_t a)
{
	return (a + 4095) & ~(uintptr_t)4095;
}

static inline uintptr_t page_down(uintptr_t a)
{
	return a & ~(uintptr_t)4095;
}

#endif
