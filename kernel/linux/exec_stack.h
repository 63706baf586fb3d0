/* exec_stack.h - the initial process stack: argc, argv, envp, auxv and their strings. */
#ifndef KILN_LINUX_EXEC_STACK_H
#define KILN_LINUX_EXEC_STACK_H

#include <stdint.h>

#include "lib/elf.h"
#include "linux/exec.h"

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
 * Returns 0 and *sp, -E2BIG when the strings exceed 128 KiB, -ENOMEM.
 */
int exec_build_stack(struct proc *p, const struct exec_args *a,
		     const struct elf_info *info, uint64_t base, uint64_t phdr,
		     uint64_t top, uint64_t *sp);

#endif
