/* sys_memlock.c - mlock, mlock2, munlock, mlockall, munlockall and membarrier on one CPU without swap. */
#include <asm-generic/errno.h>
#include <asm-generic/mman-common.h>
#include <linux/membarrier.h>
#include <linux/mman.h>
#include <linux/resource.h>

#include "core/uaccess.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * Kiln never swaps, so every page is as good as locked: the lock calls
 * only check their arguments and that the range is mapped, with Linux's
 * errors (mm/mlock.c). Nothing is recorded, so /proc/self/status shows
 * no VmLck line rather than a number that could be wrong. The memory
 * limit applies to non-root callers as can_do_mlock and do_mlock apply
 * it, per call (no running total is kept).
 */
/* Linux 6.3's command; older UAPI headers lack it. */
#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif

/* can_do_mlock: CAP_IPC_LOCK (root here) or a non-zero RLIMIT_MEMLOCK. */
static int memlock_allowed(size_t len)
{
	uint64_t limit = current->rlim[RLIMIT_MEMLOCK].rlim_cur;

	if (current->cred.euid == 0)
		return 0;
	if (limit == 0)
		return -EPERM;
	return len > limit ? -ENOMEM : 0;
}

/* do_mlock/munlock: page-align, EINVAL on wrap, ENOMEM on a hole. */
static long memlock_range(uintptr_t start, size_t len, bool lock)
{
	uintptr_t end;
	int err;

	len = page_up(len + (start & 4095));
	start = page_down(start);
	if (lock) {
		err = memlock_allowed(len);
		if (err)
			return err;
	}
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (end > USER_TOP || !mm_range_mapped(current->mm, start, len))
		return -ENOMEM;
	return 0;
}

long sys_mlock(uintptr_t start, size_t len)
{
	return memlock_range(start, len, true);
}
SYSCALL2(mlock);

long sys_mlock2(uintptr_t start, size_t len, uint64_t flags)
{
	if (flags & ~(uint64_t)MLOCK_ONFAULT)
		return -EINVAL;
	return memlock_range(start, len, true);
}
SYSCALL3(mlock2);

long sys_munlock(uintptr_t start, size_t len)
{
	return memlock_range(start, len, false);
}
SYSCALL2(munlock);

long sys_mlockall(uint64_t flags)
{
	uint64_t all = MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT;

	if (flags == 0 || (flags & ~all) || flags == MCL_ONFAULT)
		return -EINVAL;
	return memlock_allowed(0);
}
SYSCALL1(mlockall);

long sys_munlockall(void)
{
	return 0;
}
SYSCALL0(munlockall);

/*
 * membarrier (kernel/sched/membarrier.c) as a Linux kernel without
 * CONFIG_RSEQ answers it: with one CPU every barrier is already done,
 * so what is left is the registration state the private commands check.
 * Registration is per process, as Linux keeps it in the mm.
 */
#define MB_SYNC_CORE_CMDS                             \
	(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE | \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)
#define MB_QUERY_MASK                                                    \
	(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |       \
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |                      \
	 MEMBARRIER_CMD_PRIVATE_EXPEDITED |                              \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MB_SYNC_CORE_CMDS | \
	 MEMBARRIER_CMD_GET_REGISTRATIONS)

/* The REGISTER_* commands this process has made (GET_REGISTRATIONS). */
static int mb_registered;

static long membarrier_private(int need)
{
	return (mb_registered & need) ? 0 : -EPERM;
}

long sys_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	(void)cpu_id; /* only with MEMBARRIER_CMD_FLAG_CPU, for RSEQ */
	if (cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) {
		if (flags && flags != MEMBARRIER_CMD_FLAG_CPU)
			return -EINVAL;
	} else if (flags) {
		return -EINVAL;
	}
	switch (cmd) {
	case MEMBARRIER_CMD_QUERY:
		return MB_QUERY_MASK;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
		return membarrier_private(
			MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
		return membarrier_private(
			MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE);
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		mb_registered |= cmd;
		return 0;
	case MEMBARRIER_CMD_GET_REGISTRATIONS:
		return mb_registered;
	}
	/* The RSEQ pair, unknown commands: EINVAL without CONFIG_RSEQ. */
	return -EINVAL;
}
SYSCALL3(membarrier);
