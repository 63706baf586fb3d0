/* sys_rlimit.c - resource limits and usage: getrlimit, setrlimit, prlimit64, getrusage, times. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/resource.h>
#include <linux/times.h>

#include "arch.h"
#include "core/page.h"
#include "core/uaccess.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/syscall.h"
#include "linux/sysproc.h"

#define INF RLIM64_INFINITY
#define MIB (1024ULL * 1024)
#define NR_OPEN_MAX 1048576 /* Linux's fs.nr_open default */
#define USER_HZ 100	    /* clock_t ticks of times(2) */
#define NSEC_PER_TICK (1000000000ULL / USER_HZ)

/* x86_64's struct rlimit is two unsigned longs: the same as rlimit64. */
_Static_assert(sizeof(struct rlimit) == sizeof(struct rlimit64),
	       "rlimit and rlimit64 differ");

/*
 * The values a Linux 6.x process started from a login shell sees. NPROC
 * and SIGPENDING scale with memory as on Linux (max_threads / 2 with
 * 16 KiB kernel stacks).
 */
void rlimits_init(struct proc *p)
{
	uint64_t nproc = page_total() / 32 / 2;

	for (int i = 0; i < RLIM_NLIMITS; i++)
		p->rlim[i] = (struct rlimit64){ INF, INF };
	if (nproc < 20)
		nproc = 20;
	p->rlim[RLIMIT_STACK] = (struct rlimit64){ 8 * MIB, INF };
	p->rlim[RLIMIT_CORE] = (struct rlimit64){ 0, INF };
	p->rlim[RLIMIT_NPROC] = (struct rlimit64){ nproc, nproc };
	p->rlim[RLIMIT_NOFILE] = (struct rlimit64){ 1024, 4096 };
	p->rlim[RLIMIT_MEMLOCK] = (struct rlimit64){ 8 * MIB, 8 * MIB };
	p->rlim[RLIMIT_SIGPENDING] = (struct rlimit64){ nproc, nproc };
	p->rlim[RLIMIT_MSGQUEUE] = (struct rlimit64){ 819200, 819200 };
	p->rlim[RLIMIT_NICE] = (struct rlimit64){ 0, 0 };
	p->rlim[RLIMIT_RTPRIO] = (struct rlimit64){ 0, 0 };
}

/*
 * Linux's do_prlimit checks: cur <= max (-EINVAL), raising the hard
 * limit needs CAP_SYS_RESOURCE (euid 0 here, else -EPERM), and NOFILE
 * may not pass fs.nr_open (-EPERM).
 */
static int rlimit_check(const struct proc *p, unsigned int res,
			const struct rlimit64 *n)
{
	if (n->rlim_cur > n->rlim_max)
		return -EINVAL;
	if (n->rlim_max > p->rlim[res].rlim_max && current->cred.euid != 0)
		return -EPERM;
	if (res == RLIMIT_NOFILE && n->rlim_max > NR_OPEN_MAX)
		return -EPERM;
	return 0;
}

/*
 * The live process pid names (0: the caller), or NULL. Another one only
 * when Linux's check_prlimit_permission would allow it: root, or the
 * caller's real uid and gid are all of the target's ids (-EPERM).
 */
static struct proc *prlimit_target(uint64_t pid, int *err)
{
	struct proc *p = (int)pid == 0 ? current : proc_find((int)pid);
	const struct cred *c = &current->cred, *t;

	*err = -ESRCH;
	if (p == NULL || p->state != PROC_LIVE)
		return NULL;
	t = &p->cred;
	*err = -EPERM;
	if (p != current && c->euid != 0 &&
	    (c->uid != t->uid || c->uid != t->euid || c->uid != t->suid ||
	     c->gid != t->gid || c->gid != t->egid || c->gid != t->sgid))
		return NULL;
	return p;
}

long sys_prlimit64(uint64_t pid, uint64_t resource, uintptr_t unew,
		   uintptr_t uold)
{
	unsigned int res = (unsigned int)resource;
	struct rlimit64 n, old;
	struct proc *p;
	int err;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (unew && copy_from_user(&n, unew, sizeof(n)))
		return -EFAULT;
	p = prlimit_target(pid, &err);
	if (!p)
		return err;
	old = p->rlim[res];
	if (unew) {
		err = rlimit_check(p, res, &n);
		if (err)
			return err;
		p->rlim[res] = n;
	}
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}
SYSCALL4(prlimit64);

long sys_getrlimit(uint64_t resource, uintptr_t urlim)
{
	return sys_prlimit64(0, resource, 0, urlim);
}
SYSCALL2(getrlimit);

long sys_setrlimit(uint64_t resource, uintptr_t urlim)
{
	if (!urlim)
		return -EFAULT;
	return sys_prlimit64(0, resource, urlim, 0);
}
SYSCALL2(setrlimit);

static struct __kernel_old_timeval ns_to_timeval(uint64_t ns)
{
	return (struct __kernel_old_timeval){
		.tv_sec = (long)(ns / 1000000000ULL),
		.tv_usec = (long)(ns % 1000000000ULL / 1000),
	};
}

/*
 * All CPU time counts as user time (Kiln does not split kernel time
 * out); maxrss is the pages mapped now, in KiB, a lower bound of the
 * peak. Children's usage is not accounted yet: it reads as zero.
 */
long sys_getrusage(uint64_t who, uintptr_t uusage)
{
	struct rusage ru = { 0 };
	int w = (int)who;

	if (w != RUSAGE_SELF && w != RUSAGE_CHILDREN && w != RUSAGE_THREAD)
		return -EINVAL;
	if (w != RUSAGE_CHILDREN) {
		ru.ru_utime = ns_to_timeval(sysproc_cputime_ns());
		if (current->mm)
			ru.ru_maxrss = (long)(current->mm->resident *
					      (PAGE_SIZE / 1024));
	}
	return copy_to_user(uusage, &ru, sizeof(ru));
}
SYSCALL2(getrusage);

/* Returns clock ticks since boot, as Linux returns ticks since its boot. */
long sys_times(uintptr_t ubuf)
{
	struct tms t = {
		.tms_utime = (long)(sysproc_cputime_ns() / NSEC_PER_TICK),
	};

	if (ubuf && copy_to_user(ubuf, &t, sizeof(t)))
		return -EFAULT;
	return (long)(time_ns() / NSEC_PER_TICK);
}
SYSCALL1(times);
