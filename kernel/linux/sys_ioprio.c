/* sys_ioprio.c - ioprio_get and ioprio_set: the I/O priority, kept and reported. */
#include <asm-generic/errno.h>
#include <linux/ioprio.h>
#include <stdint.h>

#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * ioprio_get/ioprio_set (block/ioprio.c). Kiln has no block device, so
 * the value is only kept and reported: 16 bits, class in 15..13, level in
 * 2..0 (hints between are kept unchecked, as Linux 6.x does). The default
 * is IOPRIO_CLASS_NONE, level 0, as Linux reports for a task that never
 * set one.
 */
#define IOPRIO_LEVEL(v) ((v)&7)

static int io_priority;

/* The process, its group or its user: which/who as Linux resolves them. */
static int ioprio_target(int which, int who)
{
	switch (which) {
	case IOPRIO_WHO_PROCESS:
		return who == 0 || who == current->pid ? 0 : -ESRCH;
	case IOPRIO_WHO_PGRP:
		return who == 0 || who == current->pgid ? 0 : -ESRCH;
	case IOPRIO_WHO_USER:
		return who == 0 || (uint32_t)who == current->cred.uid ? 0 :
									-ESRCH;
	}
	return -EINVAL;
}

long sys_ioprio_get(uint64_t which, uint64_t who)
{
	int err = ioprio_target((int)which, (int)who);

	return err ? err : io_priority;
}
SYSCALL2(ioprio_get);

/* ioprio_check_cap: RT needs root; NONE takes no level; 4..7 invalid. */
static int ioprio_check(int v)
{
	switch (IOPRIO_PRIO_CLASS(v)) {
	case IOPRIO_CLASS_RT:
		return current->cred.euid == 0 ? 0 : -EPERM;
	case IOPRIO_CLASS_BE:
	case IOPRIO_CLASS_IDLE:
		return 0;
	case IOPRIO_CLASS_NONE:
		return IOPRIO_LEVEL(v) ? -EINVAL : 0;
	}
	return -EINVAL;
}

long sys_ioprio_set(uint64_t which, uint64_t who, uint64_t ioprio)
{
	int err = ioprio_check((int)ioprio);

	if (err)
		return err;
	err = ioprio_target((int)which, (int)who);
	if (err)
		return err;
	io_priority = (int)(ioprio & 0xffff);
	return 0;
}
SYSCALL3(ioprio_set);
