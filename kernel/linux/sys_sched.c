/* sys_sched.c - scheduling syscalls on a one-CPU kernel: affinity, policy, nice, sched_attr. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/sched/types.h>

#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * Kiln has one CPU and one runnable thread, so these change nothing that
 * can be observed except what they report back. Policy and priority are
 * kept as set (Linux's rules for valid values), affinity must include
 * CPU 0, and nice values follow setpriority(2).
 */
#define CPUMASK_BYTES 8		  /* Linux 6.x: nr_cpu_ids bits, in longs */
#define RR_TIMESLICE_NS 100000000 /* Linux's RR_TIMESLICE */
#define NICE_MIN (-20)
#define NICE_MAX 19

static int policy = SCHED_NORMAL, rt_priority;
static bool reset_on_fork; /* SCHED_RESET_ON_FORK, reported back */

static bool is_self(uint64_t pid)
{
	return (int)pid == 0 || (int)pid == current->pid;
}

/* -EINVAL for a negative pid, -ESRCH for one that is not us, else 0. */
static int check_pid(uint64_t pid)
{
	if ((int)pid < 0)
		return -EINVAL;
	return is_self(pid) ? 0 : -ESRCH;
}

long sys_sched_yield(void)
{
	sched_yield_cpu();
	return 0;
}
SYSCALL0(sched_yield);

/* Linux: len must cover nr_cpu_ids bits and be a multiple of a long. */
long sys_sched_getaffinity(uint64_t pid, uint64_t len, uintptr_t umask)
{
	uint8_t mask[CPUMASK_BYTES] = { 0x1 };
	int err = check_pid(pid);

	if (err)
		return err;
	if (len == 0 || (len & (sizeof(long) - 1)))
		return -EINVAL;
	if (len > CPUMASK_BYTES)
		len = CPUMASK_BYTES;
	if (copy_to_user(umask, mask, len))
		return -EFAULT;
	return (long)len;
}
SYSCALL3(sched_getaffinity);

long sys_sched_setaffinity(uint64_t pid, uint64_t len, uintptr_t umask)
{
	uint8_t mask[CPUMASK_BYTES] = { 0 };
	int err = check_pid(pid);

	if (err)
		return err;
	if (copy_from_user(mask, umask,
			   len < sizeof(mask) ? len : sizeof(mask)))
		return -EFAULT;
	return (mask[0] & 1) ? 0 : -EINVAL; /* no allowed CPU is online */
}
SYSCALL3(sched_setaffinity);

static bool policy_valid(int p)
{
	return p == SCHED_NORMAL || p == SCHED_FIFO || p == SCHED_RR ||
	       p == SCHED_BATCH || p == SCHED_IDLE;
}

static bool policy_rt(int p)
{
	return p == SCHED_FIFO || p == SCHED_RR;
}

long sys_sched_get_priority_max(uint64_t p)
{
	if (!policy_valid((int)p))
		return -EINVAL;
	return policy_rt((int)p) ? 99 : 0;
}
SYSCALL1(sched_get_priority_max);

long sys_sched_get_priority_min(uint64_t p)
{
	if (!policy_valid((int)p))
		return -EINVAL;
	return policy_rt((int)p) ? 1 : 0;
}
SYSCALL1(sched_get_priority_min);

long sys_sched_getscheduler(uint64_t pid)
{
	int err = check_pid(pid);

	if (err)
		return err;
	return policy | (reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}
SYSCALL1(sched_getscheduler);

long sys_sched_getparam(uint64_t pid, uintptr_t uparam)
{
	int err = check_pid(pid);

	if (err)
		return err;
	return copy_to_user(uparam, &rt_priority, sizeof(rt_priority));
}
SYSCALL2(sched_getparam);

/*
 * __sched_setscheduler's checks for a policy without SCHED_RESET_ON_FORK:
 * a real-time priority for exactly the real-time policies, and real-time
 * needs root (CAP_SYS_NICE). 0 or -ERRNO; nothing is changed.
 */
static int sched_check(int new_policy, uint32_t prio)
{
	if (!policy_valid(new_policy))
		return -EINVAL;
	if (prio > 99 || policy_rt(new_policy) != (prio != 0))
		return -EINVAL;
	if (policy_rt(new_policy) && current->cred.euid != 0)
		return -EPERM;
	return 0;
}

static long set_sched(int new_policy, bool rof, uintptr_t uparam)
{
	int prio, err;

	if (!uparam)
		return -EINVAL;
	if (copy_from_user(&prio, uparam, sizeof(prio)))
		return -EFAULT;
	err = sched_check(new_policy, (uint32_t)prio);
	if (err)
		return err;
	reset_on_fork = rof;
	policy = new_policy;
	rt_priority = prio;
	return 0;
}

long sys_sched_setscheduler(uint64_t pid, uint64_t new_policy, uintptr_t uparam)
{
	int err = check_pid(pid);

	if (err)
		return err;
	if ((int)new_policy < 0)
		return -EINVAL;
	return set_sched((int)new_policy & ~SCHED_RESET_ON_FORK,
			 new_policy & SCHED_RESET_ON_FORK, uparam);
}
SYSCALL3(sched_setscheduler);

long sys_sched_setparam(uint64_t pid, uintptr_t uparam)
{
	int err = check_pid(pid);

	if (err)
		return err;
	return set_sched(policy, reset_on_fork, uparam);
}
SYSCALL2(sched_setparam);

long sys_sched_rr_get_interval(uint64_t pid, uintptr_t uts)
{
	long long ts[2] = { 0, policy == SCHED_RR ? RR_TIMESLICE_NS : 0 };
	int err = check_pid(pid);

	if (err)
		return err;
	return copy_to_user(uts, ts, sizeof(ts));
}
SYSCALL2(sched_rr_get_interval);

/* PRIO_PROCESS/PGRP name us by pid or group, PRIO_USER by uid; 0 = self. */
static int prio_target(uint64_t which, uint64_t who)
{
	int w = (int)who;

	switch ((int)which) {
	case PRIO_PROCESS:
		return w == 0 || w == current->pid ? 0 : -ESRCH;
	case PRIO_PGRP:
		return w == 0 || w == current->pgid ? 0 : -ESRCH;
	case PRIO_USER:
		return w == 0 || (uint32_t)w == current->cred.uid ? 0 : -ESRCH;
	}
	return -EINVAL;
}

/* The raw syscall returns 20 - nice (1..40); libc turns it back. */
long sys_getpriority(uint64_t which, uint64_t who)
{
	int err = prio_target(which, who);

	return err ? err : 20 - current->nice;
}
SYSCALL2(getpriority);

long sys_setpriority(uint64_t which, uint64_t who, uint64_t niceval)
{
	int err = prio_target(which, who), nice = (int)niceval;

	if (err)
		return err;
	if (nice < NICE_MIN)
		nice = NICE_MIN;
	if (nice > NICE_MAX)
		nice = NICE_MAX;
	if (nice < current->nice && current->cred.euid != 0)
		return -EACCES;
	current->nice = nice;
	return 0;
}
SYSCALL3(setpriority);

/*
 * sched_setattr/sched_getattr (kernel/sched/syscalls.c). struct
 * sched_attr is extensible: the caller says its size; a bigger one must
 * be zero past what Linux knows, and a bad size is E2BIG with the size
 * Linux knows written back. Kiln has no utilization clamping
 * (CONFIG_UCLAMP_TASK off: EOPNOTSUPP) and admits no deadline task
 * (valid SCHED_DEADLINE parameters fail admission: EBUSY).
 */
#define SCHED_ATTR_SIZE_MAX 4096 /* PAGE_SIZE */
#define DL_RUNTIME_MIN 1024ULL	 /* 1 << DL_SCALE */
#define DL_PERIOD_MIN 100000ULL	 /* sysctl_sched_dl_period_min, ns */
#define DL_PERIOD_MAX 4194304000000ULL

/* sched_copy_attr: 0, -EFAULT, -E2BIG (size written back), -EINVAL. */
static int sched_attr_in(uintptr_t uattr, struct sched_attr *attr)
{
	uint32_t size, known = sizeof(*attr);
	uint8_t byte;

	*attr = (struct sched_attr){ 0 };
	if (copy_from_user(&size, uattr, sizeof(size)))
		return -EFAULT;
	if (size == 0)
		size = SCHED_ATTR_SIZE_VER0; /* Linux's ABI quirk */
	if (size < SCHED_ATTR_SIZE_VER0 || size > SCHED_ATTR_SIZE_MAX)
		goto too_big;
	for (uint32_t off = known; off < size; off++) {
		if (copy_from_user(&byte, uattr + off, 1))
			return -EFAULT;
		if (byte)
			goto too_big;
	}
	if (copy_from_user(attr, uattr, size < known ? size : known))
		return -EFAULT;
	if ((attr->sched_flags & SCHED_FLAG_UTIL_CLAMP) &&
	    size < SCHED_ATTR_SIZE_VER1)
		return -EINVAL;
	if (attr->sched_nice < NICE_MIN)
		attr->sched_nice = NICE_MIN;
	if (attr->sched_nice > NICE_MAX)
		attr->sched_nice = NICE_MAX;
	return 0;
too_big:
	if (copy_to_user(uattr, &known, sizeof(known)))
		return -EFAULT;
	return -E2BIG;
}

/* __checkparam_dl: runtime <= deadline <= period, within the limits. */
static bool dl_params_valid(const struct sched_attr *a)
{
	uint64_t period = a->sched_period ? a->sched_period : a->sched_deadline;

	if (a->sched_deadline == 0 || a->sched_runtime < DL_RUNTIME_MIN)
		return false;
	if ((a->sched_deadline | a->sched_period) & (1ULL << 63))
		return false;
	if (period < a->sched_deadline || a->sched_deadline < a->sched_runtime)
		return false;
	return period >= DL_PERIOD_MIN && period <= DL_PERIOD_MAX;
}

static long sched_attr_apply(struct sched_attr *a)
{
	int new_policy = (int)a->sched_policy, err;

	if (a->sched_flags & SCHED_FLAG_KEEP_POLICY)
		new_policy = policy;
	if (a->sched_flags & ~(uint64_t)SCHED_FLAG_ALL)
		return -EINVAL;
	if (new_policy == SCHED_DEADLINE)
		return dl_params_valid(a) && a->sched_priority == 0 ? -EBUSY :
								      -EINVAL;
	err = sched_check(new_policy, a->sched_priority);
	if (err)
		return err;
	if (!policy_rt(new_policy) && a->sched_nice < current->nice &&
	    current->cred.euid != 0)
		return -EPERM;
	if (a->sched_flags & SCHED_FLAG_UTIL_CLAMP)
		return -EOPNOTSUPP;
	reset_on_fork = a->sched_flags & SCHED_FLAG_RESET_ON_FORK;
	policy = new_policy;
	rt_priority = (int)a->sched_priority;
	if (!policy_rt(new_policy))
		current->nice = a->sched_nice;
	return 0;
}

long sys_sched_setattr(uint64_t pid, uintptr_t uattr, uint64_t flags)
{
	struct sched_attr a;
	int err;

	if (uattr == 0 || (int)pid < 0 || (unsigned int)flags != 0)
		return -EINVAL;
	err = sched_attr_in(uattr, &a);
	if (err)
		return err;
	if ((int)a.sched_policy < 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	if (a.sched_flags & SCHED_FLAG_KEEP_PARAMS) {
		a.sched_priority = (uint32_t)rt_priority;
		a.sched_nice = current->nice;
	}
	return sched_attr_apply(&a);
}
SYSCALL3(sched_setattr);

long sys_sched_getattr(uint64_t pid, uintptr_t uattr, uint64_t usize,
		       uint64_t flags)
{
	struct sched_attr a = { .sched_policy = (uint32_t)policy };
	uint32_t size = (uint32_t)usize;

	if (uattr == 0 || (int)pid < 0 || size > SCHED_ATTR_SIZE_MAX ||
	    size < SCHED_ATTR_SIZE_VER0 || (unsigned int)flags != 0)
		return -EINVAL;
	if (!is_self(pid))
		return -ESRCH;
	if (reset_on_fork)
		a.sched_flags = SCHED_FLAG_RESET_ON_FORK;
	if (policy_rt(policy))
		a.sched_priority = (uint32_t)rt_priority;
	else
		a.sched_nice = current->nice;
	/* copy_struct_to_user: the caller's size, zeroes past ours. */
	if (size > sizeof(a)) {
		if (clear_user(uattr + sizeof(a), size - sizeof(a)))
			return -EFAULT;
		size = sizeof(a);
	}
	a.size = size;
	return copy_to_user(uattr, &a, size) ? -EFAULT : 0;
}
SYSCALL4(sched_getattr);
