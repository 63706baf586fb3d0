/* sys_info.c - system and process information: uname, sysinfo, getrandom, prctl, personality. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/prctl.h>
#include <linux/signal.h>
#include <linux/random.h>
#include <linux/sysinfo.h>
#include <linux/utsname.h>

#include <kiln/version.h>

#include "arch.h"
#include "core/page.h"
#include "core/random.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/syscall.h"
#include "linux/sysproc.h"

/*
 * What uname reports. Programs test sysname ("Linux") and glibc refuses
 * to run on a release older than the one it was built for, so release
 * names a current kernel whose ABI Kiln follows.
 */
#define UTS_SYSNAME "Linux"
#define UTS_RELEASE "6.1.0-kiln"
#define UTS_VERSION "#1 " KILN_NAME " " KILN_VERSION
#define UTS_MACHINE "x86_64"
#define PERSONALITY_QUERY 0xffffffffu
#define GETRANDOM_CHUNK 256
#define COUNT_MAX 0x7ffff000L /* Linux's MAX_RW_COUNT */

static char hostname[__NEW_UTS_LEN + 1] = "kiln";
static char domainname[__NEW_UTS_LEN + 1] = "(none)";
static unsigned int persona; /* PER_LINUX */
static int pdeathsig, no_new_privs;

long sys_uname(uintptr_t ubuf)
{
	struct new_utsname u;

	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, UTS_SYSNAME, sizeof(u.sysname));
	strlcpy(u.nodename, hostname, sizeof(u.nodename));
	strlcpy(u.release, UTS_RELEASE, sizeof(u.release));
	strlcpy(u.version, UTS_VERSION, sizeof(u.version));
	strlcpy(u.machine, UTS_MACHINE, sizeof(u.machine));
	strlcpy(u.domainname, domainname, sizeof(u.domainname));
	return copy_to_user(ubuf, &u, sizeof(u));
}
SYSCALL1(uname);

/* sethostname(2)/setdomainname(2): root only, len <= 64, not terminated. */
static long set_uts_name(char *dst, uintptr_t uname, uint64_t len)
{
	char buf[__NEW_UTS_LEN + 1];

	if ((int64_t)len < 0 || len > __NEW_UTS_LEN)
		return -EINVAL;
	if (current->cred.euid != 0)
		return -EPERM;
	if (copy_from_user(buf, uname, len))
		return -EFAULT;
	buf[len] = '\0';
	memcpy(dst, buf, len + 1);
	return 0;
}

long sys_sethostname(uintptr_t uname, uint64_t len)
{
	return set_uts_name(hostname, uname, len);
}
SYSCALL2(sethostname);

long sys_setdomainname(uintptr_t uname, uint64_t len)
{
	return set_uts_name(domainname, uname, len);
}
SYSCALL2(setdomainname);

long sys_sysinfo(uintptr_t uinfo)
{
	struct sysinfo si;

	memset(&si, 0, sizeof(si));
	si.uptime = (long)(time_ns() / 1000000000ULL);
	si.totalram = page_total() * PAGE_SIZE;
	si.freeram = page_free_count() * PAGE_SIZE;
	si.procs = 1;
	si.mem_unit = 1;
	return copy_to_user(uinfo, &si, sizeof(si));
}
SYSCALL1(sysinfo);

/*
 * getrandom(2). The generator is seeded before the first user
 * instruction, so it never blocks: GRND_NONBLOCK and GRND_RANDOM change
 * nothing, GRND_INSECURE gets the same strong bytes. A fault after some
 * bytes were written returns the count written, as Linux does.
 */
long sys_getrandom(uintptr_t ubuf, uint64_t count, uint64_t flags)
{
	uint8_t chunk[GETRANDOM_CHUNK];
	long done = 0, want;

	if (flags & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	want = count > (uint64_t)COUNT_MAX ? COUNT_MAX : (long)count;
	while (done < want) {
		size_t n = (size_t)(want - done) < sizeof(chunk) ?
				   (size_t)(want - done) :
				   sizeof(chunk);

		random_bytes(chunk, n);
		if (copy_to_user(ubuf + (uintptr_t)done, chunk, n)) {
			memset(chunk, 0, sizeof(chunk));
			return done ? done : -EFAULT;
		}
		done += (long)n;
	}
	memset(chunk, 0, sizeof(chunk));
	return done;
}
SYSCALL3(getrandom);

/* The only execution domain is PER_LINUX; its flag bits are kept as set. */
long sys_personality(uint64_t p)
{
	unsigned int old = persona;

	if ((unsigned int)p != PERSONALITY_QUERY)
		persona = (unsigned int)p;
	return old;
}
SYSCALL1(personality);

long sys_getcpu(uintptr_t ucpu, uintptr_t unode, uintptr_t ucache)
{
	unsigned int zero = 0;

	(void)ucache; /* unused since Linux 2.6.24 */
	if (ucpu && copy_to_user(ucpu, &zero, sizeof(zero)))
		return -EFAULT;
	if (unode && copy_to_user(unode, &zero, sizeof(zero)))
		return -EFAULT;
	return 0;
}
SYSCALL3(getcpu);

void sysproc_exec_comm(struct proc *p, const char *path)
{
	const char *base = strrchr(path, '/');

	/*
	 * The caller is p's one thread now, with the process's id; zeroed
	 * past the name so no byte of a longer old one reaches PR_GET_NAME.
	 */
	proc_set_comm(p, base ? base + 1 : path);
}

const char *proc_comm(struct proc *p)
{
	return p->comm;
}

/*
 * Where t's name is kept: the first thread's (Linux's group leader's) in
 * its process, which outlives it; the others' in the thread.
 */
static char *comm_slot(struct thread *t)
{
	return t->tid == t->proc->pid ? t->proc->comm : t->comm;
}

const char *thread_comm(struct thread *t)
{
	return comm_slot(t);
}

const char *task_comm(struct proc *p, struct thread *t)
{
	return t ? thread_comm(t) : proc_comm(p);
}

/* Linux's __set_task_comm: cut to 15 bytes, the rest zeroed. */
static void comm_copy(char *comm, const char *name)
{
	size_t n = strnlen(name, PROC_COMM_LEN - 1);

	memset(comm, 0, PROC_COMM_LEN);
	memcpy(comm, name, n);
}

void proc_set_comm(struct proc *p, const char *name)
{
	comm_copy(p->comm, name);
}

void thread_set_comm(struct thread *t, const char *name)
{
	comm_copy(comm_slot(t), name);
}

static long prctl_set_name(uintptr_t uname)
{
	char buf[PROC_COMM_LEN];
	long n = strncpy_from_user(buf, uname, sizeof(buf));

	if (n == -EFAULT)
		return -EFAULT;
	buf[sizeof(buf) - 1] = '\0'; /* longer names are cut, as on Linux */
	thread_set_comm(current_thread, buf);
	return 0;
}

static long put_int(uintptr_t uptr, int v)
{
	return copy_to_user(uptr, &v, sizeof(v));
}

/*
 * prctl(2): the options programs and libcs commonly use. The rest are
 * -EINVAL, which is what Linux answers for options it does not know.
 */
long sys_prctl(uint64_t option, uint64_t arg2, uint64_t arg3, uint64_t arg4,
	       uint64_t arg5)
{
	(void)arg3, (void)arg4, (void)arg5;
	switch ((int)option) {
	case PR_SET_NAME:
		return prctl_set_name(arg2);
	case PR_GET_NAME:
		return copy_to_user(arg2, thread_comm(current_thread),
				    PROC_COMM_LEN);
	case PR_SET_PDEATHSIG:
		if (arg2 > PROC_NSIG)
			return -EINVAL;
		pdeathsig = (int)arg2; /* the parent never dies: kept, unused */
		return 0;
	case PR_GET_PDEATHSIG:
		return put_int(arg2, pdeathsig);
	case PR_SET_DUMPABLE:
		if (arg2 > 1)
			return -EINVAL;
		proc_set_dumpable(current, arg2 == 1);
		return 0;
	case PR_GET_DUMPABLE:
		return !current->undumpable;
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || arg3 || arg4 || arg5)
			return -EINVAL;
		no_new_privs = 1;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return arg2 || arg3 || arg4 || arg5 ? -EINVAL : no_new_privs;
	}
	return -EINVAL;
}
SYSCALL5(prctl);

void sysproc_init(struct proc *p)
{
	rlimits_init(p);
	p->cred.suid = p->cred.uid;
	p->cred.sgid = p->cred.gid;
	p->cred.ngroups = 0;
	p->pgid = p->sid = p->pid;
	p->nice = 0;
	p->sigpending = 0;
	memset(p->sigactions, 0, sizeof(p->sigactions));
	p->comm[0] = '\0'; /* named when its program starts */
	p->start_ns = time_ns();
}
