/* exec.c - load an ELF program (and its interpreter, PT_INTERP) into the process. */
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
#include "linux/vdso.h"

static int seg_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) |
	       (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

struct writer_search {
	const struct vnode *vn;
	bool found;
};

static void find_writer(struct proc *p, void *ctx)
{
	struct writer_search *w = ctx;

	if (p->state != PROC_LIVE)
		return;
	if ((p->files && fd_node_open_for_write(p, w->vn)) ||
	    (p->mm && mm_file_writably_mapped(p->mm, w->vn)))
		w->found = true;
}

/*
 * Linux's deny_write_access: a file some process has open for writing,
 * or mapped shared and writable, cannot run (ETXTBSY).
 */
static bool exec_file_busy(const struct vnode *vn)
{
	struct writer_search w = { vn, false };

	proc_for_each(find_writer, &w);
	return w.found;
}

/*
 * Take vn (referenced by the caller) as f: its checks and bytes
 * (vfs_exec_check), its path, and the file for mappings (f->vf: NULL when
 * it cannot be had, and the segments are copied).
 */
int exec_open_node(struct exec_file *f, struct vnode *vn, const char *resolved)
{
	int err;

	*f = (struct exec_file){ 0 };
	if (exec_file_busy(vn))
		return -ETXTBSY;
	f->path = kmalloc(VFS_PATH_MAX);
	if (!f->path)
		return -ENOMEM;
	strlcpy(f->path, resolved, VFS_PATH_MAX);
	err = vfs_exec_check(vn, &f->data, &f->size, &f->copy);
	if (err) {
		kfree(f->path);
		f->path = NULL;
		return err;
	}
	f->vn = vnode_get(vn);
	/* A file on ext4 has no page cache to map: its segments are copied. */
	f->vf = vfs_page_cached(vn) ? vma_file_new(vn, f->path, false) : NULL;
	return 0;
}

int exec_open_lookup(struct exec_file *f, struct lookup *lk)
{
	char *resolved = kmalloc(VFS_PATH_MAX);
	long n;
	int err;

	if (!resolved)
		err = -ENOMEM;
	else if (!lk->node)
		err = -ENOENT;
	else if ((n = lookup_path(lk, resolved, VFS_PATH_MAX)) < 0)
		err = (int)n;
	else
		err = exec_open_node(f, lk->node, resolved);
	kfree(resolved);
	lookup_done(lk);
	return err;
}

int exec_open_path(struct exec_file *f, const char *path)
{
	struct vnode *start = current->cwd ? current->cwd : vfs_root();
	struct lookup lk;
	int err;

	*f = (struct exec_file){ 0 };
	err = vfs_lookup(start, path, 0, &lk);
	if (err)
		return err;
	return exec_open_lookup(f, &lk);
}

void exec_file_close(struct exec_file *f)
{
	if (f->vf)
		vma_file_put(f->vf);
	if (f->vn)
		vnode_put(f->vn);
	kfree(f->copy);
	kfree(f->path);
	*f = (struct exec_file){ 0 };
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
	 * Mapped now, not on first touch (a writable segment as private
	 * copies): Kiln cannot reclaim the page cache as Linux does, so a
	 * program whose stacks took the last free pages could otherwise not
	 * run code it had not yet touched, nor write its data (sys_mem.c,
	 * populate).
	 */
	if (mid > start)
		err = mm_map_file(mm, start, mid - start, prot, VMA_FILE, vf,
				  page_down(ph->p_offset));
	if (!err && mid > start)
		err = mm_populate(mm, start, mid - start, prot & PROT_WRITE);
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

/*
 * Load every PT_LOAD of an image checked by elf_check at bias (added to
 * its link addresses), naming the areas name, mapping from the file vf
 * (NULL: copying). Returns 0 and the end of the highest segment in *end,
 * or -ENOMEM. Used for the program and for its interpreter alike.
 */
static int load_image(struct mm *mm, const struct elf_info *info,
		      const char *file, uint64_t bias, const char *name,
		      struct vma_file *vf, uintptr_t *end)
{
	*end = 0;
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];
		int err;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		err = load_segment(mm, ph, file, bias, name, vf);
		if (err)
			return err;
		if (bias + ph->p_vaddr + ph->p_memsz > *end)
			*end = bias + ph->p_vaddr + ph->p_memsz;
	}
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
	return 0;
}

/* The largest alignment a PT_LOAD asks for, at least a page. */
static uint64_t load_align(const struct elf_info *info)
{
	uint64_t align = PAGE_SIZE;

	for (uint16_t i = 0; i < info->phnum; i++)
		if (info->phdr[i].p_type == PT_LOAD &&
		    info->phdr[i].p_align > align)
			align = info->phdr[i].p_align;
	return align;
}

/*
 * A PIE's segments keep the largest alignment they ask for, as Linux
 * honours it; a span or an alignment that could reach another region is
 * refused (-ENOEXEC).
 */
static int check_pie(const char *path, const struct elf_info *info)
{
	if (info->pie && (info->hi - info->lo >= ASLR_PIE_SPAN_MAX ||
			  load_align(info) > ASLR_PIE_ALIGN_MAX)) {
		printk("kiln: %s: position-independent image too large or "
		       "too aligned\n",
		       path);
		return -ENOEXEC;
	}
	return 0;
}

/* The load bias of a PIE (static or dynamic), 0 for a fixed-address program. */
static uint64_t pie_bias(const struct elf_info *info)
{
	uint64_t bias;

	if (!info->pie)
		return 0;
	bias = aslr_pie_bias(info->lo, load_align(info));
	/* For the host: `kiln run` names the function of a fatal rip. */
	printk("kiln: load base 0x%lx\n", bias);
	return bias;
}

/*
 * The interpreter path in the program's PT_INTERP is untrusted: elf_check
 * found it NUL-terminated inside the file; it must also be absolute and
 * shorter than PATH_MAX (Linux refuses a p_filesz above PATH_MAX).
 */
static int check_interp_path(const char *prog, const char *interp)
{
	if (interp[0] != '/' || strnlen(interp, VFS_PATH_MAX) >= VFS_PATH_MAX) {
		printk("kiln: %s: bad interpreter path\n", prog);
		return -ENOEXEC;
	}
	return 0;
}

/*
 * The interpreter must be a position-independent ELF (ET_DYN) of a size
 * and alignment the mmap area can hold, without an interpreter of its
 * own. Returns 0 or, after one log line, Linux's load_elf_binary errors:
 * -EIO (shorter than an ELF header), -ELIBBAD (not ELF, not x86_64),
 * else -ENOEXEC.
 */
static int check_interp(const char *prog, const char *interp,
			const struct exec_file *f, struct elf_info *info)
{
	int err = elf_check(f->data, f->size, info);
	const char *why = NULL;

	if (err)
		why = elf_strerror(err);
	else if (!info->pie)
		why = "not a shared object";
	else if (info->interp)
		why = "has an interpreter of its own";
	else if (info->hi - info->lo >= ASLR_PIE_SPAN_MAX ||
		 load_align(info) > ASLR_PIE_ALIGN_MAX)
		why = "too large or too aligned";
	if (!why)
		return 0;
	printk("kiln: %s: interpreter %s: %s\n", prog, interp, why);
	if (f->size < sizeof(struct elf64_ehdr))
		return -EIO;
	if (memcmp(f->data, "\177ELF", 4) != 0 || err == ELF_ECLASS ||
	    err == ELF_EENDIAN || err == ELF_EMACHINE)
		return -ELIBBAD;
	return -ENOEXEC;
}

/*
 * Open and check the program's interpreter (PT_INTERP) into b->ld:
 * -ENOENT when it is not in the image (as execve), -EACCES, -ENOEXEC;
 * each logged in one line naming it.
 */
static int prepare_ld(struct exec_bprm *b)
{
	const char *prog = b->file.path, *interp = b->info.interp;
	int err = check_interp_path(prog, interp);

	if (err)
		return err;
	err = exec_open_path(&b->ld, interp);
	if (err) {
		printk("kiln: %s: interpreter %s: %s\n", prog, interp,
		       err == -ENOENT ? "not found" :
		       err == -EACCES ? "permission denied" :
					"cannot be opened");
		return err;
	}
	b->has_ld = true;
	return check_interp(prog, interp, &b->ld, &b->ld_info);
}

/*
 * Load the checked interpreter below mmap_top; *base is its load address
 * (AT_BASE) and *entry where the program starts. 0 or -ENOMEM.
 */
static int load_interp(struct proc *p, struct exec_bprm *b, uint64_t *base,
		       uint64_t *entry)
{
	const struct elf_info *info = &b->ld_info;
	uintptr_t start, end;

	start = aslr_interp_start(p->mm, info->hi - info->lo, load_align(info));
	if (!start)
		return -ENOMEM;
	*base = start - info->lo;
	*entry = *base + info->entry;
	return load_image(p->mm, info, b->ld.data, *base, b->ld.path, b->ld.vf,
			  &end);
}

/* The stack and the mmap area, placed before anything is mapped there. */
static int map_stack(struct proc *p, const struct elf_info *info,
		     uint64_t *stack_top)
{
	int prot = PROT_READ | PROT_WRITE | (info->exec_stack ? PROT_EXEC : 0);

	*stack_top = aslr_stack_top();
	p->mm->mmap_top = aslr_mmap_top();
	return mm_map(p->mm, *stack_top - ASLR_STACK_SIZE, ASLR_STACK_SIZE,
		      prot, VMA_ANON | VMA_STACK, "[stack]", 0);
}

/*
 * The program at its bias, the heap after it, the stack, then its
 * interpreter if it names one, where the program then starts.
 */
static int load_program(struct proc *p, struct exec_bprm *b, uint64_t *entry,
			uint64_t *sp)
{
	struct exec_image img = { 0 };
	const struct elf_info *info = &b->info;
	uint64_t bias = pie_bias(info), stack_top;
	uintptr_t end;
	int err;

	err = load_image(p->mm, info, b->file.data, bias, p->exe, b->file.vf,
			 &end);
	if (err)
		return err;
	/* The heap follows the program, never its interpreter (Linux too). */
	p->mm->brk_start = p->mm->brk = aslr_brk_start(end);
	err = map_stack(p, info, &stack_top);
	if (err)
		return err;
	img.phdr = phdr_addr(info, bias);
	img.phnum = info->phnum;
	img.entry = bias + info->entry;
	*entry = img.entry;
	if (b->has_ld) {
		err = load_interp(p, b, &img.interp_base, entry);
		if (err)
			return err;
	}
	/* Below the interpreter, as Linux maps it after loading that. */
	err = vdso_map(p->mm);
	if (err)
		return err;
	return exec_build_stack(
		p,
		&(struct exec_args){ b->filename,
				     (const char *const *)b->argv.v,
				     (const char *const *)b->envp.v },
		&img, stack_top, sp);
}

/*
 * Pages exec_load_image fills at once for one image: the file part of
 * each PT_LOAD it copies, or maps writable (private copies). Read-only
 * segments mapped from the page cache and bss (demand-zero) take none.
 */
static size_t image_pages(const struct elf_info *info, bool mapped)
{
	size_t n = 0;

	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type != PT_LOAD || ph->p_filesz == 0)
			continue;
		if (mapped && !(ph->p_flags & PF_W) && (ph->p_flags & PF_R))
			continue;
		n += (page_up(ph->p_vaddr + ph->p_filesz) -
		      page_down(ph->p_vaddr)) /
		     PAGE_SIZE;
	}
	return n;
}

int exec_check_memory(const struct exec_bprm *b, size_t freeable)
{
	size_t need = image_pages(&b->info, b->file.vf != NULL);

	if (b->has_ld)
		need += image_pages(&b->ld_info, b->ld.vf != NULL);
	return need > page_free_count() + freeable ? -ENOMEM : 0;
}

int exec_load_image(struct proc *p, struct exec_bprm *b, uint64_t *entry,
		    uint64_t *sp)
{
	strlcpy(p->exe, b->file.path, sizeof(p->exe));
	return load_program(p, b, entry, sp);
}

/*
 * Linux's bprm_stack_limits and copy_strings: the strings (the file name,
 * envp, argv) and the pointers to them may take a quarter of the stack
 * limit, at most 6 MiB and at least ARG_MAX (128 KiB).
 */
static int check_arg_size(const struct exec_bprm *b)
{
	uint64_t limit = current->rlim[RLIMIT_STACK].rlim_cur / 4;
	uint64_t ptrs = ((b->argv.n ? b->argv.n : 1) + b->envp.n) * 8;
	uint64_t bytes = strlen(b->filename) + 1 + b->argv.bytes +
			 b->envp.bytes;

	if (limit > EXEC_ARGS_MAX)
		limit = EXEC_ARGS_MAX;
	if (limit < EXEC_ARG_MAX_MIN)
		limit = EXEC_ARG_MAX_MIN;
	if (limit <= ptrs || bytes > limit - ptrs)
		return -E2BIG;
	return 0;
}

int exec_prepare(struct exec_bprm *b)
{
	int err = check_arg_size(b);

	/* Linux's exec_binprm: up to 5 nested scripts, the 6th is -ELOOP. */
	for (int depth = 0; !err; depth++) {
		if (depth > EXEC_SCRIPT_DEPTH)
			return -ELOOP;
		err = exec_script(b);
		if (err == 1)
			break;
	}
	if (err < 0)
		return err;
	err = check_arg_size(b);
	if (!err)
		err = check_program(b->file.path, b->file.data, b->file.size,
				    &b->info);
	if (!err)
		err = check_pie(b->file.path, &b->info);
	if (!err && b->info.interp)
		err = prepare_ld(b);
	return err;
}

void exec_bprm_free(struct exec_bprm *b)
{
	exec_file_close(&b->file);
	if (b->has_ld)
		exec_file_close(&b->ld);
	exec_strings_free(&b->argv);
	exec_strings_free(&b->envp);
	kfree(b->filename);
	kfree(b->interp);
}
