/* sys_ids.c - process, group, session and user/group ID syscalls. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/procfs_pid.h"
#include "linux/syscall.h"

/*
 * The first process, pid 1, has no parent (ppid 0) and leads its own
 * process group and session, like init; fork copies the group and
 * session. IDs start at root (0). The
 * rules for changing them are Linux's (setresuid(2), credentials(7)):
 * with effective uid 0 (standing in for CAP_SETUID/CAP_SETGID) any value
 * goes; otherwise each new ID must be one of the current real, effective
 * or saved ones, else -EPERM. (uid_t)-1 means "leave unchanged".
 */
#define ID_KEEP 0xffffffffu
#define NGROUPS_MAX_LINUX 65536

long sys_getpid(void)
{
	return current->pid;
}
SYSCALL0(getpid);

long sys_gettid(void)
{
	return current_thread->tid;
}
SYSCALL0(gettid);

long sys_getppid(void)
{
	return current->ppid;
}
SYSCALL0(getppid);

long sys_getuid(void)
{
	return current->cred.uid;
}
SYSCALL0(getuid);

long sys_geteuid(void)
{
	return current->cred.euid;
}
SYSCALL0(geteuid);

long sys_getgid(void)
{
	return current->cred.gid;
}
SYSCALL0(getgid);

long sys_getegid(void)
{
	return current->cred.egid;
}
SYSCALL0(getegid);

void proc_set_dumpable(struct proc *p, bool dumpable)
{
	p->undumpable = !dumpable;
	procfs_pid_chown(p);
}

/*
 * Linux's commit_creds: a change of effective ids (err 0, the old ones
 * given) makes the process undumpable, its /proc/PID root's.
 */
static long ids_commit(struct proc *p, uint32_t euid, uint32_t egid, long err)
{
	if (err == 0 && (p->cred.euid != euid || p->cred.egid != egid))
		proc_set_dumpable(p, false);
	return err;
}

static bool privileged(void)
{
	return current->cred.euid == 0;
}

/* May an unprivileged process take v, given its current real/eff/saved? */
static bool id_allowed(uint32_t v, uint32_t r, uint32_t e, uint32_t s)
{
	return v == ID_KEEP || privileged() || v == r || v == e || v == s;
}

/* setresuid/setresgid on one triple of IDs. */
static long set_res(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t nr,
		    uint32_t ne, uint32_t ns)
{
	if (!id_allowed(nr, *r, *e, *s) || !id_allowed(ne, *r, *e, *s) ||
	    !id_allowed(ns, *r, *e, *s))
		return -EPERM;
	if (nr != ID_KEEP)
		*r = nr;
	if (ne != ID_KEEP)
		*e = ne;
	if (ns != ID_KEEP)
		*s = ns;
	return 0;
}

long sys_setresuid(uint64_t r, uint64_t e, uint64_t s)
{
	struct proc *p = current;
	uint32_t euid = p->cred.euid, egid = p->cred.egid;

	return ids_commit(p, euid, egid,
			  set_res(&p->cred.uid, &p->cred.euid, &p->cred.suid,
				  (uint32_t)r, (uint32_t)e, (uint32_t)s));
}
SYSCALL3(setresuid);

long sys_setresgid(uint64_t r, uint64_t e, uint64_t s)
{
	struct proc *p = current;
	uint32_t euid = p->cred.euid, egid = p->cred.egid;

	return ids_commit(p, euid, egid,
			  set_res(&p->cred.gid, &p->cred.egid, &p->cred.sgid,
				  (uint32_t)r, (uint32_t)e, (uint32_t)s));
}
SYSCALL3(setresgid);

static long put_res(uintptr_t ur, uintptr_t ue, uintptr_t us, uint32_t r,
		    uint32_t e, uint32_t s)
{
	if (copy_to_user(ur, &r, sizeof(r)) ||
	    copy_to_user(ue, &e, sizeof(e)) || copy_to_user(us, &s, sizeof(s)))
		return -EFAULT;
	return 0;
}

long sys_getresuid(uintptr_t ur, uintptr_t ue, uintptr_t us)
{
	return put_res(ur, ue, us, current->cred.uid, current->cred.euid,
		       current->cred.suid);
}
SYSCALL3(getresuid);

long sys_getresgid(uintptr_t ur, uintptr_t ue, uintptr_t us)
{
	return put_res(ur, ue, us, current->cred.gid, current->cred.egid,
		       current->cred.sgid);
}
SYSCALL3(getresgid);

/* setuid(2): privileged sets all three; otherwise only the effective one. */
static long set_one(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t v)
{
	if (v == ID_KEEP)
		return -EINVAL;
	if (privileged()) {
		*r = *e = *s = v;
		return 0;
	}
	if (v != *r && v != *s)
		return -EPERM;
	*e = v;
	return 0;
}

long sys_setuid(uint64_t uid)
{
	struct proc *p = current;
	uint32_t euid = p->cred.euid, egid = p->cred.egid;

	return ids_commit(p, euid, egid,
			  set_one(&p->cred.uid, &p->cred.euid, &p->cred.suid,
				  (uint32_t)uid));
}
SYSCALL1(setuid);

long sys_setgid(uint64_t gid)
{
	struct proc *p = current;
	uint32_t euid = p->cred.euid, egid = p->cred.egid;

	return ids_commit(p, euid, egid,
			  set_one(&p->cred.gid, &p->cred.egid, &p->cred.sgid,
				  (uint32_t)gid));
}
SYSCALL1(setgid);

/*
 * setreuid(2): the saved ID follows the new effective one when the real
 * ID is set or the effective one moves away from the old real ID.
 */
static long set_re(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t nr,
		   uint32_t ne)
{
	uint32_t old_r = *r;

	if (!privileged() && ((nr != ID_KEEP && nr != *r && nr != *e) ||
			      !id_allowed(ne, *r, *e, *s)))
		return -EPERM;
	if (nr != ID_KEEP)
		*r = nr;
	if (ne != ID_KEEP)
		*e = ne;
	if (nr != ID_KEEP || (ne != ID_KEEP && ne != old_r))
		*s = *e;
	return 0;
}

long sys_setreuid(uint64_t r, uint64_t e)
{
	struct proc *p = current;
	uint32_t euid = p->cred.euid, egid = p->cred.egid;

	return ids_commit(p, euid, egid,
			  set_re(&p->cred.uid, &p->cred.euid, &p->cred.suid,
				 (uint32_t)r, (uint32_t)e));
}
SYSCALL2(setreuid);

long sys_setregid(uint64_t r, uint64_t e)
{
	struct proc *p = current;
	uint32_t euid = p->cred.euid, egid = p->cred.egid;

	return ids_commit(p, euid, egid,
			  set_re(&p->cred.gid, &p->cred.egid, &p->cred.sgid,
				 (uint32_t)r, (uint32_t)e));
}
SYSCALL2(setregid);

long sys_getgroups(uint64_t size, uintptr_t ulist)
{
	int n = (int)size;
	uint32_t count = current->cred.ngroups;

	if (n < 0)
		return -EINVAL;
	if (n == 0)
		return count;
	if ((uint32_t)n < count)
		return -EINVAL;
	if (copy_to_user(ulist, current->cred.groups, count * sizeof(uint32_t)))
		return -EFAULT;
	return count;
}
SYSCALL2(getgroups);

/* Linux takes up to 65536 groups; Kiln keeps CRED_NGROUPS_MAX (-EINVAL). */
long sys_setgroups(uint64_t size, uintptr_t ulist)
{
	uint32_t groups[CRED_NGROUPS_MAX];
	int n = (int)size;

	if (n < 0 || n > NGROUPS_MAX_LINUX)
		return -EINVAL;
	if (!privileged())
		return -EPERM;
	if (n > CRED_NGROUPS_MAX)
		return -EINVAL;
	if (copy_from_user(groups, ulist, (size_t)n * sizeof(uint32_t)))
		return -EFAULT;
	for (int i = 0; i < n; i++)
		current->cred.groups[i] = groups[i];
	current->cred.ngroups = (uint32_t)n;
	return 0;
}
SYSCALL2(setgroups);

long sys_getpgrp(void)
{
	return current->pgid;
}
SYSCALL0(getpgrp);

/* The process pid names (0: the caller), zombies included, or NULL. */
static struct proc *pid_target(uint64_t pid)
{
	return (int)pid == 0 ? current : proc_find((int)pid);
}

long sys_getpgid(uint64_t pid)
{
	struct proc *p = pid_target(pid);

	return p ? p->pgid : -ESRCH;
}
SYSCALL1(getpgid);

long sys_getsid(uint64_t pid)
{
	struct proc *p = pid_target(pid);

	return p ? p->sid : -ESRCH;
}
SYSCALL1(getsid);

struct group_find {
	int pgid, sid; /* sid -1: any session */
	bool found;
};

static void group_match(struct proc *p, void *ctx)
{
	struct group_find *g = ctx;

	if (p->pgid == g->pgid && (g->sid < 0 || p->sid == g->sid))
		g->found = true;
}

/*
 * Linux's setpgid: the caller or a child of it in its session (-ESRCH
 * for anyone else, -EPERM for a child in another session); never a
 * session leader (-EPERM); into its own new group or a group that
 * exists in the caller's session (else -EPERM). A child that has
 * called execve is -EACCES (Linux's PF_FORKNOEXEC).
 */
long sys_setpgid(uint64_t pid, uint64_t pgid)
{
	struct proc *p = pid_target(pid);
	struct group_find g = { (int)pgid, current->sid, false };

	if ((int)pgid < 0)
		return -EINVAL;
	if (!p || (p != current && p->parent != current))
		return -ESRCH;
	if (p->sid != current->sid)
		return -EPERM;
	if (p != current && p->execed)
		return -EACCES;
	if (p->sid == p->pid)
		return -EPERM;
	if (g.pgid == 0)
		g.pgid = p->pid;
	if (g.pgid != p->pid) {
		proc_for_each(group_match, &g);
		if (!g.found)
			return -EPERM;
	}
	p->pgid = g.pgid;
	return 0;
}
SYSCALL2(setpgid);

/* A process group leader cannot start a session (Linux: -EPERM). */
long sys_setsid(void)
{
	struct group_find g = { current->pid, -1, false };

	/* Linux: no process may already have our pid as its group. */
	proc_for_each(group_match, &g);
	if (g.found)
		return -EPERM;
	current->sid = current->pgid = current->pid;
	return current->sid;
}
SYSCALL0(setsid);
