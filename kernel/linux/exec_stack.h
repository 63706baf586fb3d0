/* exec_stack.h - the initial process stack: argc, argv, envp, auxv and their strings. */
#ifndef KILN_LINUX_EXEC_STACK_H
#define KILN_LINUX_EXEC_STACK_H

#include <stdint.h>

#include "linux/exec.h"

/* What the auxiliary vector tells ld.so and libc of the loaded program. */
struct exec_image {
	uint64_t phdr;	      /* AT_PHDR: the program headers in memory */
	uint64_t phnum;	      /* AT_PHNUM */
	uint64_t entry;	      /* AT_ENTRY: the program's, not ld.so's */
	uint64_t interp_base; /* AT_BASE: ld.so's load address, 0 if static */
};

/*
 * Lay out the stack below top (System V x86_64 psABI 3.4.1, Figure 3.9):
 *
 *   top ->  strings: argv[], envp[], execfn
 *           a random gap of 0..8 KiB (linux/aslr.h)
 *           "x86_64"; 16 random bytes (AT_RANDOM)
 *           padding to 16 bytes
 *           auxv pairs, ending with AT_NULL
 *           envp[] pointers, NULL
 *           argv[] pointers, NULL
 *   sp  ->  argc                                   (sp is 16-byte aligned)
 *
 * Returns 0 and *sp, -E2BIG when the strings exceed EXEC_ARGS_MAX, -ENOMEM.
 */
int exec_build_stack(struct proc *p, const struct exec_args *a,
		     const struct exec_image *img, uint64_t top, uint64_t *sp);

#endif
