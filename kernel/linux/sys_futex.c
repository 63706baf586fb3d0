/* sys_futex.c - futex: wait, wake, requeue, wake-op, bitsets and PI locks, with timeouts. */
#include "linux/sys_futex.h"

#include <asm-generic/errno.h>
#include <linux/futex.h>
#include <linux/time_types.h>

#include "core/clock.h"
#include "core/proc.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "linux/mm.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/timespec.h"

/*
 * Waiters hang off a few hash chains by key. Kiln runs one CPU with
 * interrupts off in the kernel, so reading the futex word and queueing
 * are atomic with respect to every waker, as FUTEX_WAIT requires.
 */
#define FUTEX_CHAINS 64

/*
 * What a futex is (Linux's get_futex_key): a private futex, or any futex
 * in memory that is not a shared mapping, is the word at an address of
 * one address space (mm, address); a shared one in a MAP_SHARED area is
 * the word at an offset of the mapped node (vnode, offset), the same for
 * every mapping of that page at any address in any process. A waiter
 * holds a reference on the node, so the key cannot be reused under it.
 */
struct futex_key {
	const void *space; /* struct mm * or struct vnode * */
	uint64_t word;	   /* address, or byte offset in the node */
	bool node;	   /* space is a node (a waiter holds a reference) */
};

struct futex_waiter {
	struct futex_key key;
	uint32_t bitset;
	bool woken;
	struct thread *thread;
	struct futex_waiter *next;
	bool pi;     /* in FUTEX_LOCK_PI */
	bool handed; /* FUTEX_UNLOCK_PI made it the owner */
};

static struct futex_waiter *chains[FUTEX_CHAINS];

static struct futex_waiter **chain(const struct futex_key *k)
{
	uintptr_t h = (uintptr_t)k->space ^ (uintptr_t)k->word;

	return &chains[((h >> 2) ^ (h >> 12)) % FUTEX_CHAINS];
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->space == b->space && a->word == b->word;
}

/*
 * The key of uaddr; shared asks for the node of a shared mapping. No
 * reference is taken (futex_key_hold does, for a waiter).
 */
static struct futex_key futex_key_of(uintptr_t uaddr, bool shared)
{
	struct mm *mm = current->mm;
	struct vma *v = shared && mm ? mm_find(mm, uaddr) : NULL;

	if (v && (v->flags & VMA_SHARED) && v->file)
		return (struct futex_key){ v->file->vn,
					   v->offset + (uaddr - v->start),
					   true };
	return (struct futex_key){ mm, uaddr, false };
}

static void futex_key_hold(const struct futex_key *k)
{
	if (k->node)
		vnode_get((struct vnode *)(uintptr_t)k->space);
}

static void futex_key_drop(const struct futex_key *k)
{
	if (k->node)
		vnode_put((struct vnode *)(uintptr_t)k->space);
}

static void unlink_waiter(struct futex_waiter *w)
{
	for (struct futex_waiter **l = chain(&w->key); *l; l = &(*l)->next)
		if (*l == w) {
			*l = w->next;
			return;
		}
}

static int wake_key(const struct futex_key *k, int n, uint32_t bitset)
{
	int woken = 0;

	for (struct futex_waiter **l = chain(k); *l && woken < n;) {
		struct futex_waiter *w = *l;

		if (key_eq(&w->key, k) && (w->bitset & bitset)) {
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

int futex_wake(uintptr_t uaddr, int n, uint32_t bitset)
{
	struct futex_key k = futex_key_of(uaddr, true);

	return wake_key(&k, n, bitset);
}

/* Sleep while *uaddr == val, until woken, the deadline or a signal. */
static long futex_wait(uintptr_t uaddr, bool shared, uint32_t val,
		       uint64_t deadline, uint32_t bitset)
{
	struct futex_waiter w = { .key = futex_key_of(uaddr, shared),
				  .bitset = bitset,
				  .thread = current_thread };
	uint32_t cur;
	int err = 0;

	if (uaddr & 3)
		return -EINVAL;
	if (copy_from_user(&cur, uaddr, sizeof(cur)))
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	futex_key_hold(&w.key);
	w.next = *chain(&w.key);
	*chain(&w.key) = &w;
	while (!w.woken && err == 0)
		err = sched_sleep(deadline, true);
	if (!w.woken)
		unlink_waiter(&w);
	futex_key_drop(&w.key);
	if (w.woken)
		return 0;
	if (err == -EINTR)
		return deadline ? -EINTR : -ERESTARTSYS;
	return -ETIMEDOUT;
}

/*
 * Move up to n waiters of k to k2 (FUTEX_REQUEUE); a moved waiter swaps
 * its node reference for one on k2's node.
 */
static int futex_requeue(const struct futex_key *k, const struct futex_key *k2,
			 int n)
{
	int moved = 0;

	for (struct futex_waiter **l = chain(k); *l && moved < n;) {
		struct futex_waiter *w = *l;

		if (!key_eq(&w->key, k)) {
			l = &w->next;
			continue;
		}
		*l = w->next;
		futex_key_drop(&w->key);
		w->key = *k2;
		futex_key_hold(&w->key);
		w->next = *chain(k2);
		*chain(k2) = w;
		moved++;
		if (chain(k2) == chain(k) && l == chain(k))
			l = &w->next; /* same chain: step past the moved node */
	}
	return moved;
}

/*
 * PI futexes (Linux's Documentation/locking/pi-futex.rst, as far as
 * glibc's PTHREAD_PRIO_INHERIT mutexes need): the word is the owner's
 * tid, FUTEX_WAITERS while someone sleeps in the kernel, FUTEX_OWNER_DIED
 * after a robust owner died. One CPU and no priorities to boost, so the
 * inheritance itself is moot; what matters is the protocol: the locker
 * sleeps until the unlocker hands it the lock (the word then names it),
 * and a waiter woken otherwise (a robust owner's death) tries again.
 */
static bool pi_waiting(const struct futex_key *k)
{
	for (struct futex_waiter *w = *chain(k); w; w = w->next)
		if (w->pi && key_eq(&w->key, k))
			return true;
	return false;
}

/* Take the lock at uaddr when free: 1 taken, 0 busy (*val), -ERRNO. */
static int pi_take(uintptr_t uaddr, const struct futex_key *k, uint32_t *val)
{
	uint32_t tid = (uint32_t)current_thread->tid, v, nv;

	if (copy_from_user(&v, uaddr, sizeof(v)))
		return -EFAULT;
	*val = v;
	if ((v & FUTEX_TID_MASK) == tid)
		return -EDEADLK;
	if (v & FUTEX_TID_MASK)
		return 0;
	nv = (v & FUTEX_OWNER_DIED) | tid | (pi_waiting(k) ? FUTEX_WAITERS : 0);
	return copy_to_user(uaddr, &nv, sizeof(nv)) ? -EFAULT : 1;
}

/* Queue w at the tail of its chain: PI waiters get the lock in order. */
static void queue_tail(struct futex_waiter *w)
{
	struct futex_waiter **l = chain(&w->key);

	while (*l)
		l = &(*l)->next;
	w->next = NULL;
	*l = w;
}

/* Sleep as a PI waiter of *w's key: 1 handed the lock, 0 retry, -ERRNO. */
static int pi_sleep(struct futex_waiter *w, uint64_t deadline)
{
	int err = 0;

	w->woken = w->handed = false;
	futex_key_hold(&w->key);
	queue_tail(w);
	while (!w->woken && err == 0)
		err = sched_sleep(deadline, true);
	if (!w->woken)
		unlink_waiter(w);
	futex_key_drop(&w->key);
	if (w->handed)
		return 1;
	if (w->woken)
		return 0;
	return err == -EINTR ? -ERESTARTNOINTR : -ETIMEDOUT;
}

static long futex_lock_pi(uintptr_t uaddr, bool shared, uint64_t deadline,
			  bool trylock)
{
	struct futex_waiter w = { .key = futex_key_of(uaddr, shared),
				  .bitset = FUTEX_BITSET_MATCH_ANY,
				  .thread = current_thread,
				  .pi = true };
	uint32_t v;
	int ret;

	if (uaddr & 3)
		return -EINVAL;
	for (;;) {
		ret = pi_take(uaddr, &w.key, &v);
		if (ret)
			return ret < 0 ? ret : 0;
		if (trylock)
			return -EAGAIN;
		/* An owner that is not a live thread can never unlock. */
		if (!thread_find((int)(v & FUTEX_TID_MASK)))
			return -ESRCH;
		v |= FUTEX_WAITERS;
		if (copy_to_user(uaddr, &v, sizeof(v)))
			return -EFAULT;
		ret = pi_sleep(&w, deadline);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

/* Hand the lock to the longest waiter, or free it (Linux's wake_futex_pi). */
static long futex_unlock_pi(uintptr_t uaddr, bool shared)
{
	struct futex_key k = futex_key_of(uaddr, shared);
	uint32_t tid = (uint32_t)current_thread->tid, v, nv = 0;

	if (uaddr & 3)
		return -EINVAL;
	if (copy_from_user(&v, uaddr, sizeof(v)))
		return -EFAULT;
	if ((v & FUTEX_TID_MASK) != tid)
		return -EPERM;
	for (struct futex_waiter **l = chain(&k); *l; l = &(*l)->next) {
		struct futex_waiter *w = *l;

		if (!w->pi || !key_eq(&w->key, &k))
			continue;
		nv = FUTEX_WAITERS | (uint32_t)w->thread->tid;
		if (copy_to_user(uaddr, &nv, sizeof(nv)))
			return -EFAULT;
		*l = w->next;
		w->woken = w->handed = true;
		sched_wakeup(w->thread);
		return 0;
	}
	return copy_to_user(uaddr, &nv, sizeof(nv)) ? -EFAULT : 0;
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
	uint64_t ns, now;
	int err;

	*deadline = 0;
	if (!uts)
		return 0;
	err = timespec_get_user(uts, &ns);
	if (err)
		return err;
	now = clock_monotonic_ns();
	if (!absolute)
		*deadline = now + ns;
	else if (!realtime || ns >= TIMESPEC_MAX_NS) /* clamped: never */
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
	bool shared = !(op & FUTEX_PRIVATE_FLAG);
	struct futex_key k = futex_key_of(uaddr, shared), k2;
	uint64_t deadline;
	uint32_t cur;

	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT &&
	    cmd != FUTEX_LOCK_PI2)
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
		return ret ? ret :
			     futex_wait(uaddr, shared, val, deadline, val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (val3 == 0)
			return -EINVAL;
		return wake_key(&k, (int)val, val3);
	case FUTEX_CMP_REQUEUE:
		if (copy_from_user(&cur, uaddr, sizeof(cur)))
			return -EFAULT;
		if (cur != val3)
			return -EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		k2 = futex_key_of(uaddr2, shared);
		ret = wake_key(&k, (int)val, FUTEX_BITSET_MATCH_ANY);
		return ret + futex_requeue(&k, &k2, (int)(uint32_t)uts);
	case FUTEX_WAKE_OP:
		k2 = futex_key_of(uaddr2, shared);
		ret = futex_op(uaddr2, val3);
		if (ret < 0)
			return ret;
		return wake_key(&k, (int)val, FUTEX_BITSET_MATCH_ANY) +
		       (ret ? wake_key(&k2, (int)(uint32_t)uts,
				       FUTEX_BITSET_MATCH_ANY) :
			      0);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		/* LOCK_PI's deadline is on CLOCK_REALTIME, LOCK_PI2's either */
		ret = futex_deadline(
			uts, true, cmd == FUTEX_LOCK_PI || realtime, &deadline);
		return ret ? ret :
			     futex_lock_pi(uaddr, shared, deadline, false);
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(uaddr, shared, 0, true);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(uaddr, shared);
	default:
		return -ENOSYS; /* requeue-PI and FUTEX_FD */
	}
}
SYSCALL6(futex);
