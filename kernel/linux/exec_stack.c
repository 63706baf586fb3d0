/* exec_stack.c - the initial process stack: argc, argv, envp, auxv and their strings. */
#include "linux/exec_stack.h"

#include <asm-generic/errno.h>
#include <linux/auxvec.h>

#include "arch.h"
#include "core/heap.h"
#include "core/random.h"
#include "lib/elf.h"
#include "lib/string.h"
#include "linux/aslr.h"
#include "linux/mm.h"
#include "linux/signals.h"

#define AUXV_MAX 24

struct stack_writer {
	struct mm *mm;
	uint64_t sp;
	int err;
};

/* Push n bytes below sp; returns their user address. */
static uint64_t push(struct stack_writer *w, const void *src, size_t n)
{
	w->sp -= n;
	if (!w->err)
		w->err = mm_fill(w->mm, w->sp, src, n);
	return w->sp;
}

static uint64_t push_str(struct stack_writer *w, const char *s)
{
	return push(w, s, strlen(s) + 1);
}

static size_t count(const char *const *v, size_t *bytes)
{
	size_t n = 0;

	for (; v && v[n]; n++)
		*bytes += strlen(v[n]) + 1;
	return n;
}

/* Push the strings of v, storing their addresses in out[]. */
static void push_strings(struct stack_writer *w, const char *const *v, size_t n,
			 uint64_t *out)
{
	for (size_t i = n; i-- > 0;)
		out[i] = push_str(w, v[i]);
}

/* Where exec_build_stack put the strings the auxv points at. */
struct auxv_strings {
	uint64_t random, platform, execfn;
};

/*
 * The auxiliary vector, in Linux's order (fs/binfmt_elf.c
 * create_elf_tables: ARCH_DLINFO's entries first). One table: a new
 * entry is one line here (AUXV_MAX bounds it).
 */
static size_t fill_auxv(uint64_t *av, const struct proc *p,
			const struct exec_image *img,
			const struct auxv_strings *s)
{
	const uint64_t pairs[][2] = {
		{ AT_SYSINFO_EHDR, p->mm->vdso },
		{ AT_MINSIGSTKSZ, signal_frame_max_size() },
		{ AT_HWCAP, arch_hwcap() },
		{ AT_PAGESZ, 4096 },
		{ AT_CLKTCK, 100 },
		{ AT_PHDR, img->phdr },
		{ AT_PHENT, sizeof(struct elf64_phdr) },
		{ AT_PHNUM, img->phnum },
		{ AT_BASE, img->interp_base },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, img->entry },
		{ AT_UID, p->cred.uid },
		{ AT_EUID, p->cred.euid },
		{ AT_GID, p->cred.gid },
		{ AT_EGID, p->cred.egid },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, s->random },
		{ AT_HWCAP2, arch_hwcap2() },
		{ AT_EXECFN, s->execfn },
		{ AT_PLATFORM, s->platform },
		{ AT_NULL, 0 },
	};
	size_t n = sizeof(pairs) / sizeof(pairs[0]);

	_Static_assert(sizeof(pairs) / sizeof(pairs[0]) <= AUXV_MAX,
		       "AUXV_MAX too small");
	memcpy(av, pairs, sizeof(pairs));
	return 2 * n;
}

int exec_build_stack(struct proc *p, const struct exec_args *a,
		     const struct exec_image *img, uint64_t top, uint64_t *sp)
{
	struct stack_writer w = { p->mm, top, 0 };
	size_t bytes = 0, argc = count(a->argv, &bytes),
	       envc = count(a->envp, &bytes);
	struct auxv_strings strs;
	uint64_t *vec, nwords, nauxv;
	uint8_t rnd[16];

	if (bytes > EXEC_ARGS_MAX) /* exec_prepare checked it */
		return -E2BIG;
	nwords = 1 + argc + 1 + envc + 1 + 2 * AUXV_MAX;
	vec = kmalloc(nwords * sizeof(uint64_t));
	if (!vec)
		return -ENOMEM;
	strs.execfn = push_str(&w, a->execfn);
	push_strings(&w, a->envp, envc, vec + 1 + argc + 1);
	push_strings(&w, a->argv, argc, vec + 1);
	/* What /proc/PID/cmdline and environ read (Linux's mm->arg_start). */
	p->mm->arg_start = argc ? vec[1] : (envc ? vec[argc + 2] : strs.execfn);
	p->mm->arg_end = envc ? vec[argc + 2] : strs.execfn;
	p->mm->env_start = p->mm->arg_end;
	p->mm->env_end = strs.execfn;
	/* Below the strings, a random gap moves every table off its page
	 * offset too (Linux's arch_align_stack). */
	w.sp -= aslr_stack_offset();
	strs.platform = push_str(&w, "x86_64");
	random_bytes(rnd, sizeof(rnd));
	strs.random = push(&w, rnd, sizeof(rnd));
	vec[0] = argc;
	vec[1 + argc] = 0;
	vec[1 + argc + 1 + envc] = 0;
	nauxv = fill_auxv(vec + 1 + argc + 1 + envc + 1, p, img, &strs);
	nwords = 1 + argc + 1 + envc + 1 + nauxv;
	w.sp = (w.sp - nwords * 8) & ~15UL;
	if (!w.err)
		w.err = mm_fill(p->mm, w.sp, vec, nwords * 8);
	kfree(vec);
	*sp = w.sp;
	return w.err;
}
