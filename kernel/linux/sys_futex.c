/* sys_futex.c - futex: wait, wake, requeue, wake-op and bitsets, with timeouts. */
#include "linux/sys_futex.h"

#include <asm-generic/errno.h>
#include <linux/futex.h>
#include <linux/time_types.h>

#include "core/clock.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "linux/syscall.h"

/*
 * Waiters hang off a few hash chains by address. Kiln runs one CPU with
 * interrupts off in the kernel, so reading the futex word and queueing
 * are atomic with respect to every waker, as FUTEX_WAIT requires.
 * A futex is its address in an address space (Linux's private key, mm
 * and address): the same address in another process is another futex.
 * Shared-memory futexes between processes (keyed by the page) are not
 * done yet: a waker in another process does not find the waiter.
 */
#define FUTEX_CHAINS 64

struct futex_waiter {
	const struct mm *mm;
	uintptr_t uaddr;
	uint32_t bitset;
	bool woken;
	struct thread *thread;
	struct futex_waiter *next;
};

static struct futex_waiter *chains[FUTEX_CHAINS];

static struct futex_waiter **chain(uintptr_t uaddr)
{
	return &chains[(uaddr >> 2) % FUTEX_CHAINS];
}

static void unlink_waiter(struct futex_waiter *w)
{
	for (struct futex_waiter **l = chain(w->uaddr); *l; l = &(*l)->next)
		if (*l == w) {
			*l = w->next;
			return;
		}
}

int futex_wake(uintptr_t uaddr, int n, uint32_t bitset)
{
	int woken = 0;

	for (struct futex_waiter **l = chain(uaddr); *l && woken < n;) {
		struct futex_waiter *w = *l;

		if (w->uaddr == uaddr && w->mm == current->mm &&
		    (w->bitset & bitset)) {
			*l = w->next;
			w->woken = true;
			sched_wakeup(w->thread);
			woken++;
		} else {
			l = &w->next;
		}
	}
	return woken;
}

/* Sleep while *uaddr == val, until woken, the deadline or a signal. */
static long futex_wait(uintptr_t uaddr, uint32_t val, uint64_t deadline,
		       uint32_t bitset)
{
	struct futex_waiter w = { current->mm, uaddr,	       bitset,
				  false,       current_thread, NULL };
	uint32_t cur;
	int err = 0;

	if (uaddr & 3)
		return -EINVAL;
	if (copy_from_user(&cur, uaddr, sizeof(cur)))
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	w.next = *chain(uaddr);
	*chain(uaddr) = &w;
	while (!w.woken && err == 0)
		err = sched_sleep(deadline, true);
	if (w.woken)
		return 0;
	unlink_waiter(&w);
	if (err == -EINTR)
		return deadline ? -EINTR : -ERESTARTSYS;
	return -ETIMEDOUT;
}

/* Move up to n waiters of uaddr to uaddr2 (FUTEX_REQUEUE). */
static int futex_requeue(uintptr_t uaddr, uintptr_t uaddr2, int n)
{
	int moved = 0;

	for (struct futex_waiter **l = chain(uaddr); *l && moved < n;) {
		struct futex_waiter *w = *l;

		if (w->uaddr != uaddr || w->mm != current->mm) {
			l = &w->next;
			continue;
		}
		*l = w->next;
		w->uaddr = uaddr2;
		w->next = *chain(uaddr2);
		*chain(uaddr2) = w;
		moved++;
		if (chain(uaddr2) == chain(uaddr) && l == chain(uaddr))
			l = &w->next; /* same chain: step past the moved node */
	}
	return moved;
}

/* FUTEX_WAKE_OP's encoded operation on *uaddr2; returns the comparison. */
static int futex_op(uintptr_t uaddr2, uint32_t encoded)
{
	uint32_t op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff;
	int32_t old, nv;

	if (encoded & (8u << 28)) /* FUTEX_OP_OPARG_SHIFT */
		oparg = oparg < 32 ? 1u << oparg : 0;
	if (copy_from_user(&old, uaddr2, sizeof(old)))
		return -EFAULT;
	switch (op) {
	case FUTEX_OP_SET:
		nv = (int32_t)oparg;
		break;
	case FUTEX_OP_ADD:
		nv = old + (int32_t)oparg;
		break;
	case FUTEX_OP_OR:
		nv = old | (int32_t)oparg;
		break;
	case FUTEX_OP_ANDN:
		nv = old & ~(int32_t)oparg;
		break;
	case FUTEX_OP_XOR:
		nv = old ^ (int32_t)oparg;
		break;
	default:
		return -ENOSYS;
	}
	if (copy_to_user(uaddr2, &nv, sizeof(nv)))
		return -EFAULT;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		return old == (int32_t)cmparg;
	case FUTEX_OP_CMP_NE:
		return old != (int32_t)cmparg;
	case FUTEX_OP_CMP_LT:
		return old < (int32_t)cmparg;
	case FUTEX_OP_CMP_LE:
		return old <= (int32_t)cmparg;
	case FUTEX_OP_CMP_GT:
		return old > (int32_t)cmparg;
	case FUTEX_OP_CMP_GE:
		return old >= (int32_t)cmparg;
	default:
		return -ENOSYS;
	}
}

/*
 * The timeout: relative (CLOCK_MONOTONIC) for FUTEX_WAIT, absolute for
 * FUTEX_WAIT_BITSET (CLOCK_REALTIME with FUTEX_CLOCK_REALTIME). As a
 * deadline on the monotonic clock; 0 = none.
 */
static int futex_deadline(uintptr_t uts, bool absolute, bool realtime,
			  uint64_t *deadline)
{
	struct __kernel_timespec ts;
	uint64_t ns, now;

	*deadline = 0;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	now = clock_monotonic_ns();
	if (!absolute)
		*deadline = now + ns;
	else if (!realtime)
		*deadline = ns;
	else
		*deadline = ns > clock_realtime_ns() ?
				    now + (ns - clock_realtime_ns()) :
				    now;
	if (*deadline == 0)
		*deadline = 1; /* already past, but not "no timeout" */
	return 0;
}

long sys_futex(uintptr_t uaddr, int op, uint32_t val, uintptr_t uts,
	       uintptr_t uaddr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK, ret;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	uint64_t deadline;
	uint32_t cur;

	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (val3 == 0)
			return -EINVAL;
		ret = futex_deadline(uts, cmd == FUTEX_WAIT_BITSET, realtime,
				     &deadline);
		return ret ? ret : futex_wait(uaddr, val, deadline, val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (val3 == 0)
			return -EINVAL;
		return futex_wake(uaddr, (int)val, val3);
	case FUTEX_CMP_REQUEUE:
		if (copy_from_user(&cur, uaddr, sizeof(cur)))
			return -EFAULT;
		if (cur != val3)
			return -EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		ret = futex_wake(uaddr, (int)val, FUTEX_BITSET_MATCH_ANY);
		return ret + futex_requeue(uaddr, uaddr2, (int)(uint32_t)uts);
	case FUTEX_WAKE_OP:
		ret = futex_op(uaddr2, val3);
		if (ret < 0)
			return ret;
		return futex_wake(uaddr, (int)val, FUTEX_BITSET_MATCH_ANY) +
		       (ret ? futex_wake(uaddr2, (int)(uint32_t)uts,
					 FUTEX_BITSET_MATCH_ANY) :
			      0);
	default:
		return -ENOSYS; /* PI futexes and FUTEX_FD */
	}
}
SYSCALL6(futex);
