/* sysmisc2.c - guest test: membarrier, mlock family, sched_attr, ioprio, process_vm_readv/writev, waitid. */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Commands every x86-64 Linux since 6.3 advertises (RSEQ's need CONFIG_RSEQ). */
#define MB_COMMON 0x27f
#define MB_QUERY 0
#define MB_GLOBAL 1
#define MB_PRIVATE 8
#define MB_REGISTER_PRIVATE 16
#define MB_SYNC_CORE 32
#define MB_GET_REGISTRATIONS 512

static long membarrier(int cmd, unsigned flags)
{
	return syscall(SYS_membarrier, cmd, flags, 0);
}

static void barriers(void)
{
	long q = membarrier(MB_QUERY, 0);

	check(q >= 0 && (q & MB_COMMON) == MB_COMMON,
	      "membarrier QUERY offers the common commands");
	check(membarrier(MB_GLOBAL, 0) == 0, "membarrier GLOBAL");
	check(membarrier(MB_GET_REGISTRATIONS, 0) == 0,
	      "nothing registered at start");
	check_errno(membarrier(MB_PRIVATE, 0), EPERM,
		    "PRIVATE_EXPEDITED before registering");
	check_errno(membarrier(MB_SYNC_CORE, 0), EPERM,
		    "PRIVATE_EXPEDITED_SYNC_CORE before registering");
	check_errno(membarrier(MB_GLOBAL, 1), EINVAL, "membarrier flags=1");
	check_errno(membarrier(1 << 20, 0), EINVAL, "membarrier unknown cmd");
	check(membarrier(MB_REGISTER_PRIVATE, 0) == 0,
	      "REGISTER_PRIVATE_EXPEDITED");
	check(membarrier(MB_PRIVATE, 0) == 0, "PRIVATE_EXPEDITED registered");
	check_errno(membarrier(MB_SYNC_CORE, 0), EPERM,
		    "SYNC_CORE still needs its own registration");
	check(membarrier(MB_GET_REGISTRATIONS, 0) == MB_REGISTER_PRIVATE,
	      "GET_REGISTRATIONS names it");
}

static void locks(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check(p != MAP_FAILED, "mmap 3 pages");
	check(mlock(p, 3 * pg) == 0, "mlock 3 pages");
	check(mlock(p + 100, 10) == 0, "mlock an unaligned range");
	check(mlock(p, 0) == 0, "mlock length 0");
	check(munlock(p, 3 * pg) == 0, "munlock");
	check(syscall(SYS_mlock2, p, pg, 1) == 0, "mlock2 MLOCK_ONFAULT");
	check_errno(syscall(SYS_mlock2, p, pg, 2), EINVAL, "mlock2 flags=2");
	check(munmap(p + pg, pg) == 0, "munmap the middle page");
	check_errno(mlock(p, 3 * pg), ENOMEM, "mlock across a hole");
	check_errno(munlock(p, 3 * pg), ENOMEM, "munlock across a hole");
	check_errno(mlock((void *)(uintptr_t)pg, pg), ENOMEM,
		    "mlock of page 1");
	check_errno(mlock((void *)(uintptr_t)-pg, 2 * pg), EINVAL,
		    "mlock wrapping the address space");
	check_errno(mlockall(0), EINVAL, "mlockall(0)");
	check_errno(mlockall(MCL_ONFAULT), EINVAL, "mlockall(MCL_ONFAULT)");
	check_errno(mlockall(8), EINVAL, "mlockall unknown flag");
	check(mlockall(MCL_CURRENT | MCL_ONFAULT) == 0, "mlockall CURRENT");
	check(munlockall() == 0, "munlockall");
	munmap(p, pg);
	munmap(p + 2 * pg, pg);
}

/* struct sched_attr (linux/sched/types.h), with room past VER1. */
struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
	uint8_t extra[8];
};

static long setattr(struct attr *a, unsigned flags)
{
	return syscall(SYS_sched_setattr, 0, a, flags);
}

static long getattr(struct attr *a, unsigned size)
{
	memset(a, 0xff, sizeof(*a));
	return syscall(SYS_sched_getattr, 0, a, size, 0);
}

static void attr_sizes(void)
{
	struct attr a;

	check(getattr(&a, 48) == 0 && a.size == 48 && a.policy == SCHED_OTHER &&
		      a.flags == 0 && a.nice == 0 && a.priority == 0 &&
		      a.util_min == 0xffffffff,
	      "sched_getattr VER0: SCHED_OTHER, nice 0, 48 bytes written");
	check(getattr(&a, sizeof(a)) == 0 && a.size == 56 && a.extra[0] == 0 &&
		      a.extra[7] == 0,
	      "sched_getattr larger: size 56, the rest zeroed");
	check_errno(getattr(&a, 47), EINVAL, "sched_getattr size 47");
	check_errno(syscall(SYS_sched_getattr, 0, &a, 48, 1), EINVAL,
		    "sched_getattr flags=1");
	check_errno(syscall(SYS_sched_getattr, -1, &a, 48, 0), EINVAL,
		    "sched_getattr pid -1");
	check_errno(syscall(SYS_sched_getattr, INT_MAX, &a, 48, 0), ESRCH,
		    "sched_getattr of no such pid");
	memset(&a, 0, sizeof(a));
	check(setattr(&a, 0) == 0, "sched_setattr size 0 means VER0");
	a.size = 47;
	check_errno(setattr(&a, 0), E2BIG, "sched_setattr size 47");
	check(a.size == 56, "E2BIG writes back the size Linux knows");
	a.size = sizeof(a);
	a.extra[3] = 1;
	check_errno(setattr(&a, 0), E2BIG, "sched_setattr non-zero tail");
	a.size = sizeof(a);
	a.extra[3] = 0;
	check(setattr(&a, 0) == 0, "sched_setattr zero tail");
	check_errno(setattr(&a, 1), EINVAL, "sched_setattr flags=1");
	check_errno(syscall(SYS_sched_setattr, 0, NULL, 0), EINVAL,
		    "sched_setattr NULL");
}

static void attr_policies(void)
{
	struct attr a = { .size = 48, .policy = SCHED_BATCH, .nice = 5 };

	check(setattr(&a, 0) == 0, "SCHED_BATCH nice 5");
	check(getattr(&a, 48) == 0 && a.policy == SCHED_BATCH && a.nice == 5,
	      "getattr reads BATCH, nice 5");
	check(getpriority(PRIO_PROCESS, 0) == 5, "getpriority sees nice 5");
	a = (struct attr){ .size = 48, .policy = 99 };
	check_errno(setattr(&a, 0), EINVAL, "policy 99");
	a = (struct attr){ .size = 48, .policy = SCHED_OTHER, .priority = 1 };
	check_errno(setattr(&a, 0), EINVAL, "SCHED_OTHER with priority 1");
	a = (struct attr){ .size = 48, .policy = SCHED_FIFO };
	check_errno(setattr(&a, 0), EINVAL, "SCHED_FIFO with priority 0");
	a = (struct attr){ .size = 48, .policy = SCHED_FIFO, .priority = 10 };
	check(setattr(&a, 0) == 0, "SCHED_FIFO priority 10 as root");
	check(getattr(&a, 48) == 0 && a.policy == SCHED_FIFO &&
		      a.priority == 10 && a.nice == 0,
	      "getattr reads FIFO 10, nice not reported");
	check(syscall(SYS_sched_getscheduler, 0) == SCHED_FIFO,
	      "sched_getscheduler FIFO");
	a = (struct attr){ .size = 48, .policy = SCHED_OTHER, .flags = 1 };
	check(setattr(&a, 0) == 0, "SCHED_OTHER with RESET_ON_FORK");
	check(syscall(SYS_sched_getscheduler, 0) ==
		      (SCHED_OTHER | SCHED_RESET_ON_FORK),
	      "sched_getscheduler shows RESET_ON_FORK");
	check(getattr(&a, 48) == 0 && a.flags == 1 && a.nice == 0,
	      "getattr flags RESET_ON_FORK, nice back to 0");
	a = (struct attr){ .size = 48, .flags = 0x18, .policy = 99 };
	check(setattr(&a, 0) == 0, "KEEP_POLICY|KEEP_PARAMS ignores policy");
	a = (struct attr){ .size = 48 };
	check(setattr(&a, 0) == 0 &&
		      syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER,
	      "back to plain SCHED_OTHER");
}

static long ioprio(int set, int which, int who, int value)
{
	if (set)
		return syscall(SYS_ioprio_set, which, who, value);
	return syscall(SYS_ioprio_get, which, who);
}

static void io_priorities(void)
{
	int be3 = (2 << 13) | 3, idle5 = (3 << 13) | 5;

	check(ioprio(0, 1, 0, 0) == 0, "ioprio_get default NONE/0");
	check(ioprio(1, 1, 0, be3) == 0, "ioprio_set BE/3");
	check(ioprio(0, 1, getpid(), 0) == be3, "ioprio_get by pid: BE/3");
	check(ioprio(0, 2, 0, 0) == be3, "ioprio_get of the process group");
	check(ioprio(1, 1, 0, idle5) == 0 && ioprio(0, 1, 0, 0) == idle5,
	      "IDLE/5 kept");
	check_errno(ioprio(1, 1, 0, 1), EINVAL, "ioprio_set NONE with level");
	check_errno(ioprio(1, 1, 0, 4 << 13), EINVAL, "ioprio_set class 4");
	check_errno(ioprio(0, 9, 0, 0), EINVAL, "ioprio_get which=9");
	check_errno(ioprio(0, 1, INT_MAX, 0), ESRCH, "ioprio_get no such pid");
	check(ioprio(1, 1, 0, 0) == 0 && ioprio(0, 1, 0, 0) == 0,
	      "ioprio back to NONE/0");
}

static long vm_rw(int write, pid_t pid, struct iovec *l, unsigned long ln,
		  struct iovec *r, unsigned long rn, unsigned long flags)
{
	return syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv,
		       pid, l, ln, r, rn, flags);
}

static int gate[2];
static volatile long thread_tid;

static void *tid_thread(void *arg)
{
	char c;

	(void)arg;
	thread_tid = syscall(SYS_gettid);
	if (read(gate[0], &c, 1) != 1) /* held until the check is done */
		return NULL;
	return NULL;
}

/* Any thread's id names the process, as any task id does on Linux. */
static void vm_by_tid(void)
{
	char src[4] = "tid", dst[4] = { 0 };
	struct iovec l = { dst, 4 }, r = { src, 4 };
	pthread_t t;

	check(pipe(gate) == 0 &&
		      pthread_create(&t, NULL, tid_thread, NULL) == 0,
	      "start a thread");
	while (thread_tid == 0)
		sched_yield();
	check(thread_tid != getpid() &&
		      syscall(SYS_process_vm_readv, (pid_t)thread_tid, &l, 1UL,
			      &r, 1UL, 0UL) == 4 &&
		      !strcmp(dst, "tid"),
	      "process_vm_readv by a thread's id");
	check(write(gate[1], "x", 1) == 1 && pthread_join(t, NULL) == 0,
	      "the thread ends");
	close(gate[0]);
	close(gate[1]);
}

static void vm_access(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char src[] = "hello, world", a[6] = { 0 }, b[8] = { 0 };
	struct iovec l[2] = { { a, 5 }, { b, 7 } }, r = { src, 12 };
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t me = getpid();

	check(vm_rw(0, me, l, 2, &r, 1, 0) == 12 && !memcmp(a, "hello", 5) &&
		      !memcmp(b, ", world", 7),
	      "process_vm_readv of itself scatters 12 bytes");
	memcpy(a, "HELLO", 5);
	check(vm_rw(1, me, l, 1, &r, 1, 0) == 5 &&
		      !memcmp(src, "HELLO, world", 12),
	      "process_vm_writev of itself");
	check_errno(vm_rw(0, 0, l, 2, &r, 1, 0), ESRCH, "pid 0");
	check_errno(vm_rw(0, INT_MAX, l, 2, &r, 1, 0), ESRCH, "no such pid");
	check_errno(vm_rw(0, me, l, 2, &r, 1, 1), EINVAL, "flags=1");
	check_errno(vm_rw(0, me, l, 1025, &r, 1, 0), EINVAL, "liovcnt 1025");
	check_errno(vm_rw(0, me, l, 2, &r, 1025, 0), EINVAL, "riovcnt 1025");
	check_errno(vm_rw(0, me, NULL, 1, &r, 1, 0), EFAULT,
		    "local iovec array unmapped");
	check(vm_rw(0, INT_MAX, l, 0, &r, 1, 0) == 0,
	      "empty local side: 0 before the pid is looked up");
	r.iov_len = 0;
	check(vm_rw(0, INT_MAX, l, 2, &r, 1, 0) == 0, "empty remote side: 0");
	r.iov_len = (size_t)-1;
	check_errno(vm_rw(0, me, l, 2, &r, 1, 0), EINVAL, "negative length");
	check(m != MAP_FAILED && munmap(m + pg, pg) == 0, "a page then a hole");
	memset(m, 'x', pg);
	{
		char *buf = malloc(2 * pg);
		struct iovec lb = { buf, 2 * pg }, rm = { m, 2 * pg };

		check(vm_rw(0, me, &lb, 1, &rm, 1, 0) == pg &&
			      buf[pg - 1] == 'x',
		      "read stops at the unmapped page: one page");
		rm.iov_base = m + pg;
		check_errno(vm_rw(0, me, &lb, 1, &rm, 1, 0), EFAULT,
			    "read starting in the hole");
		rm = (struct iovec){ m + pg - 3, 6 };
		check(vm_rw(1, me, &lb, 1, &rm, 1, 0) == 3,
		      "write stops at the unmapped page: 3 bytes");
		free(buf);
	}
	munmap(m, pg);
}

static long wait_id(int which, int id, siginfo_t *info, int options)
{
	return syscall(SYS_waitid, which, id, info, options, NULL);
}

static void waits(void)
{
	siginfo_t si;
	int fds[2];

	memset(&si, 0xff, sizeof(si));
	check_errno(wait_id(P_ALL, 0, &si, WEXITED), ECHILD, "waitid P_ALL");
	check(si.si_signo == 0 && si.si_code == 0 && si.si_pid == 0 &&
		      si.si_status == 0,
	      "waitid ECHILD still zeroes the siginfo");
	check_errno(wait_id(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD,
		    "waitid WNOHANG");
	check_errno(wait_id(P_PID, getpid(), &si, WEXITED), ECHILD,
		    "waitid P_PID self");
	check_errno(wait_id(P_PGID, 0, NULL, WEXITED), ECHILD,
		    "waitid P_PGID 0, no siginfo");
	check_errno(wait_id(P_ALL, 0, &si, 0), EINVAL, "waitid no WEXITED");
	check_errno(wait_id(P_ALL, 0, &si, WEXITED | 0x100), EINVAL,
		    "waitid unknown option");
	check_errno(wait_id(P_PID, 0, &si, WEXITED), EINVAL, "waitid P_PID 0");
	check_errno(wait_id(P_PGID, -1, &si, WEXITED), EINVAL,
		    "waitid P_PGID -1");
	check_errno(wait_id(7, 0, &si, WEXITED), EINVAL, "waitid which=7");
	check(pipe(fds) == 0, "pipe");
	check_errno(wait_id(3, fds[0], &si, WEXITED), EBADF,
		    "waitid P_PIDFD of a pipe (pidfs: EBADF)");
	check_errno(wait_id(3, 999, &si, WEXITED), EBADF,
		    "waitid P_PIDFD of a closed fd");
	check_errno(wait_id(P_ALL, 0, (siginfo_t *)8, WEXITED), EFAULT,
		    "waitid bad siginfo");
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	check_start("sysmisc2");
	barriers();
	locks();
	attr_sizes();
	attr_policies();
	io_priorities();
	vm_access();
	vm_by_tid();
	waits();
	return check_done();
}
