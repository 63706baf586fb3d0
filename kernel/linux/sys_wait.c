/* sys_wait.c - waitid: Kiln's one process has no children to wait for. */
#include <asm-generic/errno.h>
#include <linux/wait.h>
#include <stdint.h>

#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * Kiln runs one process and no fork, so every valid wait ends in ECHILD
 * (WNOHANG included, as do_wait answers with no child). The arguments
 * are still checked in kernel_waitid's order, and, as Linux's waitid
 * does, the siginfo fields are written (zero) even when it fails.
 */
#define WAITID_OPTIONS                                                       \
	(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | \
	 __WCLONE | __WALL)

/*
 * pidfd_get_pid: no file of Kiln's is a pidfd, and since pidfs (Linux
 * 6.9) a file that is not one is EBADF, like no file at all.
 */
static int waitid_pidfd(int fd)
{
	return fd < 0 ? -EINVAL : -EBADF;
}

static int waitid_check(int which, int upid, int options)
{
	if ((options & ~WAITID_OPTIONS) ||
	    !(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (which) {
	case P_ALL:
		return 0;
	case P_PID:
		return upid <= 0 ? -EINVAL : 0;
	case P_PGID:
		return upid < 0 ? -EINVAL : 0;
	case P_PIDFD:
		return waitid_pidfd(upid);
	}
	return -EINVAL;
}

long sys_waitid(int which, int upid, uintptr_t uinfo, int options,
		uintptr_t urusage)
{
	/* si_signo, si_errno, si_code; then si_pid, si_uid, si_status. */
	int head[3] = { 0 }, tail[3] = { 0 };
	long err = waitid_check(which, upid, options);

	(void)urusage; /* filled only for a child that was reaped */
	if (err == 0)
		err = -ECHILD;
	if (uinfo == 0)
		return err;
	if (copy_to_user(uinfo, head, sizeof(head)) ||
	    copy_to_user(uinfo + 16, tail, sizeof(tail)))
		return -EFAULT;
	return err;
}
SYSCALL5(waitid);
