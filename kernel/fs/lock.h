/* lock.h - advisory file locks on a node (fs/lock.c): flock, POSIX record and OFD locks. */
#ifndef KILN_FS_LOCK_H
#define KILN_FS_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct file;
struct vnode;

enum { VFS_LOCK_FLOCK, VFS_LOCK_POSIX, VFS_LOCK_OFD };
/* The end of a lock that runs to the end of any file (Linux OFFSET_MAX). */
#define VFS_LOCK_EOF ((uint64_t)INT64_MAX)

/*
 * A lock or a request for one: kind VFS_LOCK_*, type F_RDLCK, F_WRLCK or
 * F_UNLCK, bytes start..end inclusive (flock: 0..VFS_LOCK_EOF). owner is
 * the process for POSIX locks and the struct file otherwise; pid is what
 * F_GETLK reports (-1 for OFD locks).
 */
struct vfs_lock_req {
	int kind, type, pid;
	uint64_t start, end;
	const void *owner;
};

/* The first lock conflicting with r into r, or r->type F_UNLCK; 0. */
int vfs_lock_test(struct vnode *vn, struct vfs_lock_req *r);
/*
 * Set, change or (F_UNLCK) remove r's owner's lock over r's range.
 * Without wait a conflict is -EAGAIN (flock: -EWOULDBLOCK, the same);
 * with it the caller sleeps until granted, -ERESTARTSYS on a signal,
 * -EDEADLK when a POSIX waiter would wait on itself; -ENOLCK out of memory.
 */
int vfs_lock_set(struct vnode *vn, const struct vfs_lock_req *r, bool wait);
/* Drop every lock of owner on vn: flock ones, or POSIX/OFD range ones. */
void vfs_lock_release(struct vnode *vn, const void *owner, bool flock_family);
/* At the last put of f: its flock and OFD locks go. */
void vfs_lock_file_closed(struct file *f);

#endif
