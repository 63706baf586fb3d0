/* exec.h - load an ELF program (and its interpreter, PT_INTERP) into the process. */
#ifndef KILN_LINUX_EXEC_H
#define KILN_LINUX_EXEC_H

#include <stdint.h>

#include "linux/proc.h"

struct exec_args {
	const char *path;	 /* program path in the root file system */
	const char *const *argv; /* NULL-terminated */
	const char *const *envp; /* NULL-terminated */
};

/*
 * Load the program into p's (empty) address space and build its initial
 * stack (System V x86_64 psABI 3.4.1: argc, argv, envp, auxv, strings).
 * A dynamic program's interpreter (PT_INTERP) is loaded from the root
 * file system below the mmap area, and *entry is the interpreter's.
 * On success fills *entry and *sp. Errors: -ENOENT/-EACCES (no such
 * executable, or no such interpreter: logged naming it), -ENOEXEC (not a
 * valid x86_64 ELF, program or interpreter: reason logged), -ENOMEM,
 * -E2BIG (arguments too large).
 */
int exec_load(struct proc *p, const struct exec_args *a, uint64_t *entry,
	      uint64_t *sp);

#endif
