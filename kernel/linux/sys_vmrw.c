/* sys_vmrw.c - process_vm_readv and process_vm_writev on the caller's own memory. */
#include <asm-generic/errno.h>
#include <linux/uio.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/heap.h"
#include "core/proc.h"
#include "core/printk.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * mm/process_vm_access.c. The only process is the caller, so the remote
 * address space is its own: the pid must be one of its threads' ids,
 * as any task id names a task on Linux (0 names none: ESRCH). Both iovec arrays are untrusted; they are copied and checked
 * once, in Linux's order (local first; an empty transfer returns 0
 * before the remote array or the pid are looked at). Data moves in
 * pieces that never cross a page on either side, so a transfer stops at
 * the first unmapped page exactly: the bytes moved so far, or EFAULT when
 * there are none.
 */
#define VMRW_MAX 0x7ffff000UL /* MAX_RW_COUNT */
#define VMRW_PAGE 4096UL

struct vmrw_iter {
	struct iovec *iov;
	size_t cnt, seg, off;
};

/* Copy an iovec array in: 0 and *out (kfree it), -EINVAL or -EFAULT. */
static long vmrw_iov_in(uintptr_t uiov, uint64_t cnt, bool local,
			struct iovec **out, size_t *total)
{
	struct iovec *iov;
	size_t sum = 0;

	if (cnt > UIO_MAXIOV)
		return -EINVAL;
	iov = kmalloc(sizeof(*iov) * (cnt > 0 ? cnt : 1));
	if (iov == NULL)
		return -ENOMEM;
	if (copy_from_user(iov, uiov, sizeof(*iov) * cnt) < 0)
		goto fault;
	for (size_t i = 0; i < cnt; i++) {
		uintptr_t base = (uintptr_t)iov[i].iov_base;
		size_t len = iov[i].iov_len;

		if ((int64_t)len < 0) {
			kfree(iov);
			return -EINVAL;
		}
		/* import_iovec's access_ok, for the local side only */
		if (local && !user_range_ok(base, len))
			goto fault;
		if (len > VMRW_MAX - sum)
			iov[i].iov_len = len = VMRW_MAX - sum;
		sum += len;
	}
	*out = iov;
	*total = sum;
	return 0;
fault:
	kfree(iov);
	return -EFAULT;
}

/* The next piece of it: address and at most max bytes up to a page end. */
static size_t vmrw_next(struct vmrw_iter *it, uintptr_t *addr, size_t max)
{
	size_t n;

	while (it->seg < it->cnt && it->off == it->iov[it->seg].iov_len) {
		it->seg++;
		it->off = 0;
	}
	if (it->seg == it->cnt)
		return 0;
	*addr = (uintptr_t)it->iov[it->seg].iov_base + it->off;
	n = it->iov[it->seg].iov_len - it->off;
	if (n > VMRW_PAGE - (*addr & (VMRW_PAGE - 1)))
		n = VMRW_PAGE - (*addr & (VMRW_PAGE - 1));
	return n < max ? n : max;
}

/* Move bytes until either side ends or faults; the count or -EFAULT. */
static long vmrw_copy(struct vmrw_iter *local, struct vmrw_iter *remote,
		      bool write, uint8_t *buf)
{
	uintptr_t la, ra;
	size_t n;
	long done = 0;

	for (;;) {
		n = vmrw_next(remote, &ra, VMRW_PAGE);
		n = n ? vmrw_next(local, &la, n) : 0;
		if (n == 0)
			break;
		if (write ? copy_from_user(buf, la, n) ||
				    copy_to_user(ra, buf, n) :
			    copy_from_user(buf, ra, n) ||
				    copy_to_user(la, buf, n))
			return done ? done : -EFAULT;
		local->off += n;
		remote->off += n;
		done += (long)n;
	}
	return done;
}

static long process_vm_rw(int pid, uintptr_t lvec, uint64_t lcnt,
			  uintptr_t rvec, uint64_t rcnt, uint64_t flags,
			  bool write)
{
	struct vmrw_iter local = { 0 }, remote = { 0 };
	size_t ltotal, rtotal;
	uint8_t *buf;
	long r;

	if (flags != 0)
		return -EINVAL;
	r = vmrw_iov_in(lvec, lcnt, true, &local.iov, &ltotal);
	if (r < 0)
		return r;
	local.cnt = lcnt;
	if (ltotal == 0)
		goto free_local;
	r = vmrw_iov_in(rvec, rcnt, false, &remote.iov, &rtotal);
	if (r < 0)
		goto free_local;
	remote.cnt = rcnt;
	if (rtotal == 0)
		goto free_remote;
	r = -ESRCH;
	if (pid <= 0 || thread_find(pid) == NULL)
		goto free_remote;
	/* Only our own memory yet: another process's would need its mm. */
	r = -EPERM;
	if (thread_find(pid)->proc != current) {
		printk("kiln: process_vm_%sv of another process (pid %d): "
		       "-EPERM\n",
		       write ? "write" : "read", pid);
		goto free_remote;
	}
	r = -ENOMEM;
	buf = kmalloc(VMRW_PAGE);
	if (buf == NULL)
		goto free_remote;
	r = vmrw_copy(&local, &remote, write, buf);
	kfree(buf);
free_remote:
	kfree(remote.iov);
free_local:
	kfree(local.iov);
	return r;
}

long sys_process_vm_readv(int pid, uintptr_t lvec, uint64_t liovcnt,
			  uintptr_t rvec, uint64_t riovcnt, uint64_t flags)
{
	return process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, false);
}
SYSCALL6(process_vm_readv);

long sys_process_vm_writev(int pid, uintptr_t lvec, uint64_t liovcnt,
			   uintptr_t rvec, uint64_t riovcnt, uint64_t flags)
{
	return process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, true);
}
SYSCALL6(process_vm_writev);
