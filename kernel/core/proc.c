/* proc.c - the current process: the one every subsystem reads through "current". */
#include "core/proc.h"

/*
 * Until the personality starts the application, current is a process with
 * no files, no address space and root's credentials (all zero).
 */
static struct proc init_proc;
struct proc *current = &init_proc;

struct cred *current_cred(void)
{
	return &current->cred;
}
