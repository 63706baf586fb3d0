/* fd.c - the per-process fd table: lowest-free allocation, close-on-exec, RLIMIT_NOFILE. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>
#include <linux/resource.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/proc.h"
#include "fs/lock.h"
#include "lib/string.h"

#define FD_DEFAULT_MAX 1024
#define FD_HARD_MAX (1 << 20) /* Linux's nr_open default */

struct fd_table {
	int size; /* slots in fds/cloexec */
	struct file **fds;
	bool *cloexec;
};

int fd_max(struct proc *p)
{
	uint64_t cur = p->rlim[RLIMIT_NOFILE].rlim_cur;

	if (cur == 0)
		return FD_DEFAULT_MAX;
	return cur > FD_HARD_MAX ? FD_HARD_MAX : (int)cur;
}

int fd_limit(struct proc *p)
{
	return p->files != NULL ? p->files->size : 0;
}

struct file *fd_get(struct proc *p, int fd)
{
	struct fd_table *t = p->files;

	if (t == NULL || fd < 0 || fd >= t->size)
		return NULL;
	return t->fds[fd];
}

/* Make slot fd exist: 0 or -ENOMEM. */
static int table_grow(struct fd_table *t, int fd)
{
	int size = t->size < 16 ? 16 : t->size;
	struct file **fds;
	bool *cloexec;

	if (fd < t->size)
		return 0;
	while (size <= fd)
		size *= 2;
	fds = kzalloc((size_t)size * sizeof(*fds));
	cloexec = kzalloc((size_t)size);
	if (fds == NULL || cloexec == NULL) {
		kfree(fds);
		kfree(cloexec);
		return -ENOMEM;
	}
	if (t->size > 0) {
		memcpy(fds, t->fds, (size_t)t->size * sizeof(*fds));
		memcpy(cloexec, t->cloexec, (size_t)t->size);
	}
	kfree(t->fds);
	kfree(t->cloexec);
	t->fds = fds;
	t->cloexec = cloexec;
	t->size = size;
	return 0;
}

int fd_install(struct proc *p, struct file *f, int min, bool cloexec)
{
	struct fd_table *t = p->files;
	int fd, max = fd_max(p), err;

	if (t == NULL || min < 0)
		return -EINVAL;
	if (min >= max)
		return -EINVAL;
	for (fd = min; fd < t->size && t->fds[fd] != NULL; fd++)
		;
	if (fd >= max)
		return -EMFILE;
	err = table_grow(t, fd);
	if (err < 0)
		return err;
	t->fds[fd] = f;
	t->cloexec[fd] = cloexec;
	return fd;
}

/*
 * The end of one descriptor of p to f: any close of any descriptor to a
 * file drops all of p's POSIX locks on it (POSIX, and Linux), then the
 * reference goes.
 */
static void fd_closed(struct proc *p, struct file *f)
{
	if (f != NULL && f->vn != NULL && f->vn->locks != NULL)
		vfs_lock_release(f->vn, p, false);
	file_put(f);
}

int fd_install_at(struct proc *p, struct file *f, int fd, bool cloexec)
{
	struct fd_table *t = p->files;
	struct file *old;
	int err;

	if (t == NULL || fd < 0 || fd >= fd_max(p))
		return -EBADF;
	err = table_grow(t, fd);
	if (err < 0)
		return err;
	old = t->fds[fd];
	t->fds[fd] = f;
	t->cloexec[fd] = cloexec;
	fd_closed(p, old);
	return fd;
}

int fd_close(struct proc *p, int fd)
{
	struct file *f = fd_get(p, fd);

	if (f == NULL)
		return -EBADF;
	p->files->fds[fd] = NULL;
	p->files->cloexec[fd] = false;
	fd_closed(p, f);
	return 0;
}

void fd_close_on_exec(struct proc *p)
{
	struct fd_table *t = p->files;

	for (int fd = 0; t != NULL && fd < t->size; fd++)
		if (t->fds[fd] != NULL && t->cloexec[fd])
			fd_close(p, fd);
}

bool fd_node_open_for_write(struct proc *p, const struct vnode *vn)
{
	struct fd_table *t = p->files;

	for (int fd = 0; t != NULL && fd < t->size; fd++) {
		const struct file *f = t->fds[fd];

		if (f != NULL && f->vn == vn && !(f->flags & O_PATH) &&
		    (f->flags & O_ACCMODE) != O_RDONLY)
			return true;
	}
	return false;
}

int fd_get_cloexec(struct proc *p, int fd)
{
	if (fd_get(p, fd) == NULL)
		return -EBADF;
	return p->files->cloexec[fd];
}

int fd_set_cloexec(struct proc *p, int fd, bool on)
{
	if (fd_get(p, fd) == NULL)
		return -EBADF;
	p->files->cloexec[fd] = on;
	return 0;
}

int fs_proc_init(struct proc *p)
{
	struct file *f;
	int i, err;

	p->files = kzalloc(sizeof(*p->files));
	if (p->files == NULL)
		return -ENOMEM;
	if (p->rlim[RLIMIT_NOFILE].rlim_cur == 0) {
		p->rlim[RLIMIT_NOFILE].rlim_cur = FD_DEFAULT_MAX;
		p->rlim[RLIMIT_NOFILE].rlim_max = 4096;
	}
	p->cwd = vnode_get(vfs_root());
	p->umask = 022;
	for (i = 0; i < 3; i++) {
		err = console_file_open(i, &f);
		if (err < 0)
			return err;
		err = fd_install(p, f, i, false);
		if (err < 0) {
			file_put(f);
			return err;
		}
	}
	return 0;
}

int fs_set_cwd(struct proc *p, const char *path)
{
	struct vnode *vn;
	int err;

	err = vfs_resolve(p->cwd != NULL ? p->cwd : vfs_root(), path,
			  LOOKUP_DIRECTORY, &vn);
	if (err < 0)
		return err;
	if (!S_ISDIR(vn->mode)) {
		vnode_put(vn);
		return -ENOTDIR;
	}
	err = vfs_permission(vn, 1);
	if (err < 0) {
		vnode_put(vn);
		return err;
	}
	vnode_put(p->cwd);
	p->cwd = vn;
	return 0;
}

int fs_proc_fork(struct proc *child, struct proc *parent)
{
	struct fd_table *pt = parent->files, *t;

	child->umask = parent->umask;
	child->cwd = parent->cwd ? vnode_get(parent->cwd) : NULL;
	if (pt == NULL)
		return 0;
	t = kzalloc(sizeof(*t));
	if (t == NULL || (pt->size > 0 && table_grow(t, pt->size - 1) < 0)) {
		kfree(t);
		return -ENOMEM;
	}
	for (int fd = 0; fd < pt->size; fd++) {
		if (pt->fds[fd] != NULL)
			t->fds[fd] = file_get(pt->fds[fd]);
		t->cloexec[fd] = pt->cloexec[fd];
	}
	child->files = t;
	return 0;
}

void fs_proc_exit(struct proc *p)
{
	struct fd_table *t = p->files;
	int fd;

	if (t == NULL)
		return;
	for (fd = 0; fd < t->size; fd++)
		if (t->fds[fd] != NULL)
			fd_close(p, fd);
	kfree(t->fds);
	kfree(t->cloexec);
	kfree(t);
	p->files = NULL;
	vnode_put(p->cwd);
	p->cwd = NULL;
}
