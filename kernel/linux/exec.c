/* exec.c - load a static ELF program into the process and start it. */
#include "linux/exec.h"
#include "linux/exec_stack.h"

#include <asm-generic/errno.h>
#include <asm-generic/mman-common.h>
#include <linux/auxvec.h>

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "fs/vfs.h"
#include "lib/elf.h"
#include "lib/string.h"
#include "linux/aslr.h"
#include "linux/mm.h"

static int seg_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) |
	       (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/*
 * Map the PT_LOAD at [start, end) from the program file vf, as Linux's
 * elf_map does: the file's pages (shared with the page cache; a writable
 * segment's copied on write), bss past them anonymous, and the bytes of
 * the last file page past p_filesz zeroed (that page becomes a private
 * copy). Only for segments that start on a page of their own and are
 * writable when they have bss; the caller copies the others. Segments
 * with no PROT_READ are copied too (mm_populate reads).
 */
static int map_segment(struct mm *mm, const struct elf64_phdr *ph,
		       uint64_t base, uintptr_t start, uintptr_t end, int prot,
		       struct vma_file *vf)
{
	static const char zeros[256];
	uintptr_t fend = base + ph->p_vaddr + ph->p_filesz;
	uintptr_t mid = ph->p_filesz ? page_up(fend) : start;
	int err = 0;

	/*
	 * Mapped now, not on first touch: Kiln cannot reclaim the page cache
	 * as Linux does, so a program whose heap took the last free pages
	 * could otherwise not run code it had not yet touched.
	 */
	if (mid > start)
		err = mm_map_file(mm, start, mid - start, prot, VMA_FILE, vf,
				  page_down(ph->p_offset));
	if (!err && mid > start)
		err = mm_populate(mm, start, mid - start);
	if (!err && end > mid)
		err = mm_map(mm, mid, end - mid, prot, VMA_ANON, "", 0);
	if (err || mid == start || ph->p_memsz == ph->p_filesz)
		return err;
	for (; !err && fend < mid; fend += sizeof(zeros))
		err = mm_fill(mm, fend, zeros,
			      mid - fend < sizeof(zeros) ? mid - fend :
							   sizeof(zeros));
	return err;
}

/*
 * Map one PT_LOAD: its pages form an area with the segment's protection;
 * from the file (vf, when not NULL) by map_segment, else file bytes are
 * copied in, the rest (bss) is demand-zero. A page shared with the
 * previous segment keeps both protections.
 */
static int load_segment(struct mm *mm, const struct elf64_phdr *ph,
			const char *file, uint64_t base, const char *name,
			struct vma_file *vf)
{
	uintptr_t start = page_down(base + ph->p_vaddr);
	uintptr_t end = page_up(base + ph->p_vaddr + ph->p_memsz);
	int prot = seg_prot(ph->p_flags), err;
	struct vma *prev = mm_find(mm, start);

	if (vf && !prev && (prot & PROT_READ) &&
	    (ph->p_memsz == ph->p_filesz || (prot & PROT_WRITE)))
		return map_segment(mm, ph, base, start, end, prot, vf);
	if (prev) {
		/* Overlap is at most the first page (elf_check ordered them). */
		err = mm_protect(mm, start, PAGE_SIZE, prev->prot | prot);
		if (err)
			return err;
		start += PAGE_SIZE;
	}
	if (end > start) {
		err = mm_map(mm, start, end - start, prot, VMA_FILE, name,
			     page_down(ph->p_offset) +
				     (start - page_down(base + ph->p_vaddr)));
		if (err)
			return err;
	}
	return mm_fill(mm, base + ph->p_vaddr, file + ph->p_offset,
		       ph->p_filesz);
}

static int load_segments(struct proc *p, const struct elf_info *info,
			 const char *file, uint64_t base, struct vma_file *vf)
{
	uintptr_t brk = 0;

	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];
		int err;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		err = load_segment(p->mm, ph, file, base, p->exe, vf);
		if (err)
			return err;
		if (base + ph->p_vaddr + ph->p_memsz > brk)
			brk = base + ph->p_vaddr + ph->p_memsz;
	}
	p->mm->brk_start = p->mm->brk = aslr_brk_start(brk);
	return 0;
}

/* Address of the program headers in memory, for AT_PHDR. */
static uint64_t phdr_addr(const struct elf_info *info, uint64_t base)
{
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type == PT_PHDR)
			return base + ph->p_vaddr;
	}
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];
		uint64_t off = info->ehdr->e_phoff;

		if (ph->p_type == PT_LOAD && off >= ph->p_offset &&
		    off < ph->p_offset + ph->p_filesz)
			return base + ph->p_vaddr + (off - ph->p_offset);
	}
	return 0;
}

/* Check the file; say why it can't run on the kernel log. */
static int check_program(const char *path, const void *data, size_t size,
			 struct elf_info *info)
{
	int err = elf_check(data, size, info);

	if (err) {
		printk("kiln: %s: %s\n", path, elf_strerror(err));
		return -ENOEXEC;
	}
	/* An interpreter would be mapped below mmap_top (linux/aslr.h). */
	if (info->interp) {
		printk("kiln: %s: dynamically linked (interpreter %s); only "
		       "static programs are supported yet\n",
		       path, info->interp);
		return -ENOEXEC;
	}
	return 0;
}

/*
 * The load bias of a static PIE, 0 for a fixed-address program. Segments
 * keep the largest alignment they ask for, as Linux honours it; a span or
 * an alignment that could reach another region is refused.
 */
static int pie_bias(const char *path, const struct elf_info *info,
		    uint64_t *bias)
{
	uint64_t align = PAGE_SIZE;

	*bias = 0;
	if (!info->pie)
		return 0;
	for (uint16_t i = 0; i < info->phnum; i++)
		if (info->phdr[i].p_type == PT_LOAD &&
		    info->phdr[i].p_align > align)
			align = info->phdr[i].p_align;
	if (info->hi - info->lo >= ASLR_PIE_SPAN_MAX ||
	    align > ASLR_PIE_ALIGN_MAX) {
		printk("kiln: %s: position-independent image too large or "
		       "too aligned\n",
		       path);
		return -ENOEXEC;
	}
	*bias = aslr_pie_bias(info->lo, align);
	/* For the host: `kiln run` names the function of a fatal rip. */
	printk("kiln: load base 0x%lx\n", *bias);
	return 0;
}

/*
 * exec_load of the program file's contents, data (size bytes), and the
 * file itself (vf, NULL when it cannot be mapped: segments are copied).
 */
static int load_program(struct proc *p, const struct exec_args *a,
			const void *data, size_t size, struct vma_file *vf,
			uint64_t *entry, uint64_t *sp)
{
	struct elf_info info;
	uint64_t base, stack_top;
	int err, stack_prot;

	err = check_program(a->path, data, size, &info);
	if (err)
		return err;
	err = pie_bias(a->path, &info, &base);
	if (err)
		return err;
	err = load_segments(p, &info, data, base, vf);
	if (err)
		return err;

	stack_top = aslr_stack_top();
	stack_prot = PROT_READ | PROT_WRITE | (info.exec_stack ? PROT_EXEC : 0);
	p->mm->mmap_top = aslr_mmap_top();
	err = mm_map(p->mm, stack_top - ASLR_STACK_SIZE, ASLR_STACK_SIZE,
		     stack_prot, VMA_ANON | VMA_STACK, "[stack]", 0);
	if (err)
		return err;
	*entry = base + info.entry;
	return exec_build_stack(p, a, &info, base, phdr_addr(&info, base),
				stack_top, sp);
}

int exec_load(struct proc *p, const struct exec_args *a, uint64_t *entry,
	      uint64_t *sp)
{
	const void *data;
	void *copy;
	size_t size;
	int err;

	struct vma_file *vf = NULL;
	struct vnode *vn;

	err = vfs_exec_open(a->path, &data, &size, &copy, p->exe,
			    sizeof(p->exe));
	if (err)
		return err;
	/* The node again, by the path just resolved, for file mappings. */
	if (vfs_resolve(vfs_root(), p->exe, 0, &vn) == 0) {
		vf = vma_file_new(vn, p->exe, false);
		vnode_put(vn);
	}
	err = load_program(p, a, data, size, vf, entry, sp);
	if (vf)
		vma_file_put(vf);
	kfree(copy);
	return err;
}
