/* sys_sched.c - scheduling syscalls on a one-CPU, one-thread kernel: affinity, policy, nice. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/resource.h>
#include <linux/sched.h>

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

	return err ? err : policy;
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

/* Real-time policies need root (CAP_SYS_NICE), as on Linux. */
static long set_sched(int new_policy, uintptr_t uparam)
{
	int prio;

	if (!uparam)
		return -EINVAL;
	if (copy_from_user(&prio, uparam, sizeof(prio)))
		return -EFAULT;
	new_policy &= ~SCHED_RESET_ON_FORK;
	if (!policy_valid(new_policy))
		return -EINVAL;
	if (policy_rt(new_policy) ? prio < 1 || prio > 99 : prio != 0)
		return -EINVAL;
	if (policy_rt(new_policy) && current->cred.euid != 0)
		return -EPERM;
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
	return set_sched((int)new_policy, uparam);
}
SYSCALL3(sched_setscheduler);

long sys_sched_setparam(uint64_t pid, uintptr_t uparam)
{
	int err = check_pid(pid);

	return err ? err : set_sched(policy, uparam);
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
