/* overlay_file.c - the overlay's lower regular files: read from the lower until the first change, then copied up into memory. */
#include <asm-generic/errno.h>
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/sched.h"
#include "fs/overlay.h"
#include "fs/overlay_int.h"
#include "fs/vfs.h"

/*
 * A lower regular file is a memory node (its attributes are the
 * overlay's from its first lookup: chmod, chown, utimes and link change
 * only them, as Linux's metacopy) whose hooks read the data from the
 * lower node in priv (referenced). The first change of the data (an
 * open for writing, truncate) copies the bytes into the node's own
 * pages and drops the hooks: from then on the node is plain tmpfs, the
 * same node, so every fd, mapping and name of it sees the copy.
 * Read-only fds opened before read the copy from then on too.
 */
#define COPY_CHUNK 65536

/* One copy-up at a time: a copy sleeps on the disk, a second waits. */
static struct wait_queue copy_waiters;
static struct thread *copy_owner;

static void copy_lock(void)
{
	struct waiter w;

	wait_add(&copy_waiters, &w);
	while (copy_owner != NULL)
		sched_sleep(0, false);
	wait_remove(&w);
	copy_owner = current_thread;
}

static void copy_unlock(void)
{
	copy_owner = NULL;
	wake_up(&copy_waiters);
}

struct vnode *ovl_reg_new(struct vnode *lower)
{
	struct vnode *vn = vnode_new(S_IFREG);

	if (vn == NULL)
		return NULL;
	vn->vflags |= VN_MEMATTR;
	vn->ops = &ovl_reg_vops;
	vn->priv = lower;
	vn->reg.size = lower->reg.size;
	return vn;
}

/* lower's bytes into vn's pages: 0, -ENOMEM, -ENOSPC, -EIO. */
static int copy_data(struct vnode *vn, struct vnode *lower)
{
	uint64_t size = lower->reg.size, done = 0;
	struct file *in = NULL;
	long r = 0;
	char *buf;
	int err;

	if (size == 0)
		return 0;
	buf = kmalloc(COPY_CHUNK);
	if (buf == NULL)
		return -ENOMEM;
	err = vfs_open_node(lower, O_RDONLY | VFS_OPEN_NOPERM, NULL, &in);
	while (err == 0 && done < size) {
		uint64_t at = done;
		size_t want = size - done < COPY_CHUNK ? size - done :
							 COPY_CHUNK;

		r = in->ops->read(in, buf, want, &at);
		if (r <= 0) {
			err = r < 0 ? (int)r : -EIO; /* ended early */
			break;
		}
		r = tmpfs_write(vn, buf, (size_t)r, done);
		if (r <= 0 || (uint64_t)r != at - done)
			err = r < 0 ? (int)r : -ENOSPC;
		else
			done += (uint64_t)r;
	}
	if (in != NULL)
		file_put(in);
	kfree(buf);
	return err;
}

/*
 * Copy vn up (data too when data): 0, or the copy's error with vn as it
 * was. The attributes and times are vn's own already; the copy keeps
 * them (tmpfs_write does not touch them).
 */
static int copy_up(struct vnode *vn, bool data)
{
	struct vnode *lower;
	uint64_t size;
	int err = 0;

	copy_lock();
	if (vn->ops != &ovl_reg_vops) {
		copy_unlock(); /* another thread copied it meanwhile */
		return 0;
	}
	lower = vn->priv;
	size = vn->reg.size;
	vn->reg.size = 0;
	if (data)
		err = copy_data(vn, lower);
	if (err < 0) {
		tmpfs_free(vn);
		vn->reg.size = size;
	} else {
		vn->ops = NULL;
		vn->priv = NULL;
		vnode_put(lower);
	}
	copy_unlock();
	return err;
}

static long ovl_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct file *in = f->priv;
	long r;

	if (f->vn->ops != &ovl_reg_vops) { /* copied up since */
		r = tmpfs_read(f->vn, buf, n, *pos);
		if (r > 0)
			*pos += (uint64_t)r;
		return r;
	}
	return in->ops->read(in, buf, n, pos);
}

static unsigned int ovl_poll(struct file *f, unsigned int events)
{
	(void)f;
	return events & 0x5; /* POLLIN | POLLOUT, as any regular file */
}

static void ovl_release(struct file *f)
{
	file_put(f->priv);
}

static const struct file_ops ovl_file_ops = {
	.read = ovl_read,
	.poll = ovl_poll,
	.release = ovl_release,
	.seekable = true,
};

/*
 * Reading: through an open file of the lower node. Writing: copy up
 * first (O_TRUNC, applied after the open, empties the copy then).
 */
static int ovl_open(struct vnode *vn, struct file *f)
{
	struct file *in;
	int err;

	if ((f->flags & O_ACCMODE) != O_RDONLY) {
		err = copy_up(vn, true);
		if (err == 0)
			f->ops = &vfs_reg_ops;
		return err;
	}
	err = vfs_open_node(vn->priv, O_RDONLY | VFS_OPEN_NOPERM, NULL, &in);
	if (err < 0)
		return err;
	f->ops = &ovl_file_ops;
	f->priv = in;
	return 0;
}

/* truncate(2): to 0 nothing is copied; else the bytes first. */
static int ovl_truncate(struct vnode *vn, uint64_t size)
{
	int err = copy_up(vn, size > 0);

	return err < 0 ? err : tmpfs_truncate(vn, size);
}

/* chmod, chown, utimes changed vn itself: nothing below to write. */
static int ovl_setattr(struct vnode *vn, const struct vfs_attr *a)
{
	(void)vn, (void)a;
	return 0;
}

/* The lower's blocks (tmpfs holds none of the data yet). */
static void ovl_stat(struct vnode *vn, struct stat *st)
{
	struct stat ls;

	vfs_stat(vn->priv, &ls);
	st->st_blocks = ls.st_blocks;
}

/* mmap before a copy-up maps the lower's page cache (read only). */
static struct vnode *ovl_pagecache(struct vnode *vn, bool make)
{
	struct vnode *lower = vn->priv;

	if (lower->ops == NULL || lower->ops->pagecache == NULL)
		return NULL;
	return lower->ops->pagecache(lower, make);
}

static void ovl_reg_release(struct vnode *vn)
{
	vnode_put(vn->priv);
	vn->priv = NULL;
}

const struct vnode_ops ovl_reg_vops = {
	.open = ovl_open,
	.stat = ovl_stat,
	.release = ovl_reg_release,
	.truncate = ovl_truncate,
	.setattr = ovl_setattr,
	.pagecache = ovl_pagecache,
};
