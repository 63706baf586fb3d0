/* exec.h - load a static ELF program into the process and start it. */
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
 * On success fills *entry and *sp. Errors: -ENOENT/-EACCES (no such
 * executable), -ENOEXEC (not a valid static x86_64 ELF: reason logged),
 * -ENOMEM, -E2BIG (arguments too large).
 */
int exec_load(struct proc *p, const struct exec_args *a, uint64_t *entry,
	      uint64_t *sp);

#endif
