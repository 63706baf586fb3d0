/* lock.c - advisory file locks on a node: flock, POSIX record and OFD locks. */
#include "fs/lock.h"

#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>

#include "core/heap.h"
#include "core/sched.h"
#include "fs/vfs.h"

/*
 * Every lock hangs on its vnode (vn->locks, sorted by start), so the same
 * rules hold for any file system. Two families never see each other:
 * flock locks (whole file, owned by an open file description) and range
 * locks, where POSIX locks (owned by a process) and OFD locks (owned by an
 * open file description) conflict with one another. Two locks conflict
 * when their owners differ, their ranges overlap and one is F_WRLCK.
 * An owner's own range locks never overlap: setting a range first cuts
 * it out of the owner's locks (splitting one that spans it), then merges
 * the new lock with same-type neighbours that touch it, as Linux's
 * posix_lock_inode leaves them.
 *
 * A waiter sleeps on one queue for all nodes and re-checks after every
 * release; it is entered on `blocked` while it sleeps so that deadlock
 * detection (POSIX F_SETLKW only, as Linux) can follow "owner A waits for
 * a lock of owner B, who waits for one of ..." back to the caller.
 */
struct vfs_lock {
	struct vfs_lock_req r;
	struct vfs_lock *next;
};

struct lock_waiter {
	struct vnode *vn;
	const struct vfs_lock_req *r;
	struct lock_waiter *next;
};

/* Linux gives up the chain after this many steps (MAX_DEADLK_ITERATIONS). */
#define LOCK_DEADLK_STEPS 10

static struct wait_queue lock_wait;
static struct lock_waiter *blocked;

static bool same_family(int a, int b)
{
	return (a == VFS_LOCK_FLOCK) == (b == VFS_LOCK_FLOCK);
}

static bool conflicts(const struct vfs_lock_req *held,
		      const struct vfs_lock_req *r)
{
	if (!same_family(held->kind, r->kind) || held->owner == r->owner)
		return false;
	if (held->end < r->start || r->end < held->start)
		return false;
	return held->type == F_WRLCK || r->type == F_WRLCK;
}

static struct vfs_lock *first_conflict(struct vnode *vn,
				       const struct vfs_lock_req *r)
{
	for (struct vfs_lock *l = vn->locks; l != NULL; l = l->next)
		if (conflicts(&l->r, r))
			return l;
	return NULL;
}

int vfs_lock_test(struct vnode *vn, struct vfs_lock_req *r)
{
	struct vfs_lock *l = first_conflict(vn, r);

	if (l == NULL)
		r->type = F_UNLCK;
	else
		*r = l->r;
	return 0;
}

static bool mine(const struct vfs_lock *l, const struct vfs_lock_req *r)
{
	return l->r.owner == r->owner && same_family(l->r.kind, r->kind);
}

static void insert_sorted(struct vnode *vn, struct vfs_lock *n)
{
	struct vfs_lock **pp = &vn->locks;

	while (*pp != NULL && (*pp)->r.start < n->r.start)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
}

/*
 * Cut [start, end] out of the owner's locks. spare is a node for the
 * right half of a lock that spans the range (consumed: *spare = NULL).
 */
static void cut_range(struct vnode *vn, const struct vfs_lock_req *r,
		      struct vfs_lock **spare)
{
	struct vfs_lock **pp = &vn->locks, *l;

	while ((l = *pp) != NULL) {
		if (!mine(l, r) || l->r.end < r->start || r->end < l->r.start) {
			pp = &l->next;
			continue;
		}
		if (l->r.start < r->start && l->r.end > r->end) {
			(*spare)->r = l->r;
			(*spare)->r.start = r->end + 1;
			l->r.end = r->start - 1;
			insert_sorted(vn, *spare);
			*spare = NULL;
			return;
		}
		if (l->r.start < r->start) {
			l->r.end = r->start - 1;
		} else if (l->r.end > r->end) {
			/* Only the start moves forward: the order stays sorted. */
			l->r.start = r->end + 1;
		} else {
			*pp = l->next;
			kfree(l);
			continue;
		}
		pp = &l->next;
	}
}

/* Absorb the owner's same-type locks that touch n into n. */
static void merge_neighbours(struct vnode *vn, struct vfs_lock *n)
{
	struct vfs_lock **pp = &vn->locks, *l;

	while ((l = *pp) != NULL) {
		bool touches = (l->r.end != VFS_LOCK_EOF &&
				l->r.end + 1 == n->r.start) ||
			       (n->r.end != VFS_LOCK_EOF &&
				n->r.end + 1 == l->r.start);

		if (l == n || !mine(l, &n->r) || l->r.type != n->r.type ||
		    !touches) {
			pp = &l->next;
			continue;
		}
		if (l->r.start < n->r.start)
			n->r.start = l->r.start;
		if (l->r.end > n->r.end)
			n->r.end = l->r.end;
		*pp = l->next;
		kfree(l);
	}
}

/* Grant r (no conflict left): 0, or -ENOLCK out of memory. */
static int apply(struct vnode *vn, const struct vfs_lock_req *r)
{
	struct vfs_lock *n = NULL, *spare = kzalloc(sizeof(*spare));

	if (r->type != F_UNLCK)
		n = kzalloc(sizeof(*n));
	if (spare == NULL || (r->type != F_UNLCK && n == NULL)) {
		kfree(spare);
		kfree(n);
		return -ENOLCK;
	}
	cut_range(vn, r, &spare);
	kfree(spare);
	if (n != NULL) {
		n->r = *r;
		insert_sorted(vn, n);
		/* Re-insert once merged: the start may have moved back. */
		merge_neighbours(vn, n);
		for (struct vfs_lock **pp = &vn->locks; *pp != NULL;
		     pp = &(*pp)->next)
			if (*pp == n) {
				*pp = n->next;
				break;
			}
		insert_sorted(vn, n);
	}
	wake_up(&lock_wait);
	return 0;
}

/* The POSIX owner some waiter of owner is blocked by, or NULL. */
static const void *blocker_of(const void *owner)
{
	for (struct lock_waiter *w = blocked; w != NULL; w = w->next) {
		struct vfs_lock *l;

		if (w->r->owner != owner || w->r->kind != VFS_LOCK_POSIX)
			continue;
		l = first_conflict(w->vn, w->r);
		return l != NULL && l->r.kind == VFS_LOCK_POSIX ? l->r.owner :
								  NULL;
	}
	return NULL;
}

/* True when waiting for l would close a cycle of POSIX owners. */
static bool would_deadlock(const struct vfs_lock *l,
			   const struct vfs_lock_req *r)
{
	const void *owner = l->r.owner;

	if (r->kind != VFS_LOCK_POSIX || l->r.kind != VFS_LOCK_POSIX)
		return false;
	for (int i = 0; i < LOCK_DEADLK_STEPS && owner != NULL; i++) {
		owner = blocker_of(owner);
		if (owner == r->owner)
			return true;
	}
	return false;
}

/* Sleep until r no longer conflicts: 0, -EDEADLK or -ERESTARTSYS. */
static int wait_for(struct vnode *vn, const struct vfs_lock_req *r)
{
	struct lock_waiter lw = { .vn = vn, .r = r, .next = blocked };
	struct vfs_lock *l;
	struct waiter w;
	int err = 0;

	wait_add(&lock_wait, &w);
	blocked = &lw;
	while ((l = first_conflict(vn, r)) != NULL) {
		if (would_deadlock(l, r)) {
			err = -EDEADLK;
			break;
		}
		if (sched_sleep(0, true) < 0) {
			err = -ERESTARTSYS;
			break;
		}
	}
	for (struct lock_waiter **pp = &blocked; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &lw) {
			*pp = lw.next;
			break;
		}
	wait_remove(&w);
	return err;
}

/* flock: an owner's existing lock goes first, as Linux (not atomic). */
static int flock_set(struct vnode *vn, const struct vfs_lock_req *r, bool wait)
{
	struct vfs_lock **pp, *l;
	int err;

	for (pp = &vn->locks; (l = *pp) != NULL; pp = &l->next) {
		if (l->r.kind != VFS_LOCK_FLOCK || l->r.owner != r->owner)
			continue;
		if (l->r.type == r->type)
			return 0;
		*pp = l->next;
		kfree(l);
		wake_up(&lock_wait);
		break;
	}
	if (r->type == F_UNLCK)
		return 0;
	if (first_conflict(vn, r) != NULL) {
		if (!wait)
			return -EWOULDBLOCK;
		err = wait_for(vn, r);
		if (err < 0)
			return err;
	}
	return apply(vn, r);
}

int vfs_lock_set(struct vnode *vn, const struct vfs_lock_req *r, bool wait)
{
	struct vfs_lock *l;
	int err;

	if (r->kind == VFS_LOCK_FLOCK)
		return flock_set(vn, r, wait);
	if (r->type != F_UNLCK && (l = first_conflict(vn, r)) != NULL) {
		if (!wait)
			return -EAGAIN;
		if (would_deadlock(l, r))
			return -EDEADLK;
		err = wait_for(vn, r);
		if (err < 0)
			return err;
	}
	return apply(vn, r);
}

void vfs_lock_release(struct vnode *vn, const void *owner, bool flock_family)
{
	struct vfs_lock **pp = &vn->locks, *l;
	bool any = false;

	while ((l = *pp) != NULL) {
		if (l->r.owner == owner &&
		    (l->r.kind == VFS_LOCK_FLOCK) == flock_family) {
			*pp = l->next;
			kfree(l);
			any = true;
			continue;
		}
		pp = &l->next;
	}
	if (any)
		wake_up(&lock_wait);
}

void vfs_lock_file_closed(struct file *f)
{
	if (f->vn == NULL || f->vn->locks == NULL)
		return;
	vfs_lock_release(f->vn, f, true);
	vfs_lock_release(f->vn, f, false);
}
