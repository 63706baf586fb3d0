/* file.c - open file descriptions: references, opening nodes, regular file and directory I/O. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <asm/fcntl.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "fs/lock.h"
#include "fs/notify.h"
#include "lib/format.h"
#include "lib/string.h"

struct file *file_alloc(const struct file_ops *ops, uint32_t flags, void *priv)
{
	struct file *f = kzalloc(sizeof(*f));

	if (f == NULL)
		return NULL;
	f->refs = 1;
	f->ops = ops;
	f->flags = flags;
	f->priv = priv;
	return f;
}

struct file *file_get(struct file *f)
{
	f->refs++;
	return f;
}

void file_put(struct file *f)
{
	if (f == NULL || --f->refs > 0)
		return;
	while (f->watches != NULL) {
		struct file_watch *w = f->watches;

		f->watches = w->next;
		w->gone(w, f);
	}
	fsnotify_close(f);
	vfs_lock_file_closed(f);
	if (f->ops != NULL && f->ops->release != NULL)
		f->ops->release(f);
	vnode_put(f->vn);
	kfree(f->path);
	kfree(f);
}

void file_watch_add(struct file *f, struct file_watch *w)
{
	w->next = f->watches;
	f->watches = w;
}

void file_watch_remove(struct file *f, struct file_watch *w)
{
	struct file_watch **pp;

	for (pp = &f->watches; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

/* relatime: atime moves only when it is older than the last change. */
static void note_access(struct vnode *vn)
{
	if (vn->atime.sec < vn->mtime.sec || vn->atime.sec < vn->ctime.sec ||
	    vfs_now().sec - vn->atime.sec >= 86400)
		vfs_touch(vn, VFS_T_A);
}

static long reg_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	long r = tmpfs_read(f->vn, buf, n, *pos);

	if (r > 0)
		*pos += (uint64_t)r;
	note_access(f->vn);
	return r;
}

static long reg_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	long r;

	if (f->flags & O_APPEND)
		*pos = f->vn->reg.size;
	r = tmpfs_write(f->vn, buf, n, *pos);
	if (r > 0) {
		*pos += (uint64_t)r;
		vfs_touch(f->vn, VFS_T_M | VFS_T_C);
		f->vn->mode &= ~(
			uint32_t)S_ISUID; /* as Linux's file_remove_privs */
	}
	return r;
}

static unsigned int always_ready(struct file *f, unsigned int events)
{
	(void)f;
	return events & 0x5; /* POLLIN | POLLOUT: regular files never block */
}

const struct file_ops vfs_reg_ops = {
	.read = reg_read,
	.write = reg_write,
	.poll = always_ready,
	.seekable = true,
};

static long dir_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	(void)f, (void)buf, (void)n, (void)pos;
	return -EISDIR;
}

static const struct file_ops dir_ops = {
	.read = dir_read,
	.seekable = true,
};

/* O_PATH files: no I/O, only a place in the tree (fstat, fchdir, *at). */
static const struct file_ops path_ops = { .seekable = false };

static int check_open(struct vnode *vn, uint32_t flags)
{
	uint32_t acc = flags & O_ACCMODE;
	int err = 0;

	if (S_ISDIR(vn->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EISDIR;
	if (acc == O_RDONLY || acc == O_RDWR)
		err = vfs_permission(vn, 4);
	if (err == 0 && (acc == O_WRONLY || acc == O_RDWR))
		err = vfs_permission(vn, 2);
	if (acc == 3)
		return -EINVAL;
	return err;
}

int vfs_open_node(struct vnode *vn, uint32_t flags, const char *path,
		  struct file **out)
{
	struct file *f;
	int err;

	if (!(flags & (O_PATH | VFS_OPEN_NOPERM))) {
		err = check_open(vn, flags);
		if (err < 0)
			return err;
	}
	f = file_alloc(NULL,
		       flags & ~(uint32_t)(O_CREAT | O_EXCL | O_NOCTTY |
					   O_TRUNC | O_CLOEXEC |
					   VFS_OPEN_NOPERM),
		       NULL);
	if (f == NULL)
		return -ENOMEM;
	f->flags |= O_LARGEFILE;
	f->vn = vnode_get(vn);
	if (path != NULL) {
		size_t len = strlen(path) + 1;

		f->path = kmalloc(len);
		if (f->path == NULL) {
			file_put(f);
			return -ENOMEM;
		}
		memcpy(f->path, path, len);
	}
	if (flags & O_PATH) {
		f->flags = O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW));
		f->ops = &path_ops;
	} else if (vn->ops != NULL && vn->ops->open != NULL) {
		f->ops = &path_ops;
		err = vn->ops->open(vn, f);
		if (err < 0) {
			file_put(f);
			return err;
		}
	} else if (S_ISREG(vn->mode)) {
		f->ops = &vfs_reg_ops;
	} else if (S_ISDIR(vn->mode)) {
		f->ops = &dir_ops;
	} else {
		file_put(f);
		return -ENXIO; /* FIFOs, sockets, devices without a driver */
	}
	fsnotify_open(f);
	*out = f;
	return 0;
}

long file_pread(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	uint32_t acc = f->flags & O_ACCMODE;

	if ((f->flags & O_PATH) || (acc != O_RDONLY && acc != O_RDWR))
		return -EACCES;
	if (f->vn == NULL || !S_ISREG(f->vn->mode) || f->ops != &vfs_reg_ops)
		return -ENODEV;
	return tmpfs_read(f->vn, kbuf, n, off);
}

struct vnode *file_mappable(struct file *f, int *err)
{
	uint32_t acc = f->flags & O_ACCMODE;
	struct vnode *vn;

	*err = -EACCES;
	if ((f->flags & O_PATH) || (acc != O_RDONLY && acc != O_RDWR))
		return NULL;
	*err = -ENODEV;
	if (f->vn == NULL || !S_ISREG(f->vn->mode))
		return NULL;
	/* an overlay's file copied up after f was opened is tmpfs now */
	if (f->ops == &vfs_reg_ops || vfs_page_cached(f->vn)) {
		*err = 0;
		return f->vn; /* tmpfs: the file's own pages */
	}
	/* a file system's file through its inode's page cache */
	if (f->vn->ops == NULL || f->vn->ops->pagecache == NULL)
		return NULL;
	*err = -ENOMEM;
	vn = f->vn->ops->pagecache(f->vn, true);
	if (vn != NULL)
		*err = 0;
	return vn;
}

long file_describe(struct file *f, char *buf, size_t size)
{
	size_t len;

	if (f->path != NULL) {
		len = strlen(f->path);
		if (len > size)
			len = size;
		memcpy(buf, f->path, len);
		return (long)len;
	}
	/* Hooks return the full length, as snprintf; the text stops at size. */
	if (f->ops != NULL && f->ops->fdname != NULL)
		len = (size_t)f->ops->fdname(f, buf, size);
	else
		len = (size_t)fmt_snprintf(buf, size, "anon_inode:[%s]",
					   "unknown");
	return (long)(len < size ? len : size);
}
