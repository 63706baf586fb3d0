/* rootfs.c - the root file system at boot: the image's cpio archive, then the default tree. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "arch.h"
#include "core/heap.h"
#include "core/printk.h"
#include "core/proc.h"
#include "fs/ext4.h"
#include "lib/cmdline.h"
#include "lib/cpio.h"
#include "lib/etc_default.h"
#include "lib/string.h"

/*
 * The archive is untrusted: cpio_next checks the framing; here names are
 * checked (no "..", no empty component, no NUL inside the data of a
 * symlink) and types are limited to what a tree can hold.
 */
static int set_attrs(struct vnode *vn, const struct cpio_entry *e)
{
	struct vfs_time t = { (int64_t)e->mtime, 0 };

	vn->mode = (vn->mode & S_IFMT) | (e->mode & 07777);
	vn->uid = e->uid;
	vn->gid = e->gid;
	vn->atime = vn->mtime = vn->ctime = t;
	return 0;
}

/* Step into (or create) directory name of *dir, following symlinks. */
static int enter_dir(struct vnode **dir, const char *name)
{
	struct vnode *child = vfs_dir_lookup(*dir, name);
	int err;

	if (child == NULL) {
		err = vfs_create(*dir, name, S_IFDIR | 0755, &child);
		if (err < 0)
			return err;
	} else if (S_ISLNK(child->mode)) {
		struct vnode *to;

		err = vfs_resolve(*dir, name, 0, &to);
		vnode_put(child);
		if (err < 0)
			return -EINVAL;
		child = to;
	}
	if (!S_ISDIR(child->mode)) {
		vnode_put(child);
		return -EINVAL;
	}
	vnode_put(*dir);
	*dir = child;
	return 0;
}

/*
 * Split path into its parent directory (created as needed, referenced in
 * *dir) and its last component in name. Returns 1 for a usable entry, 0
 * for "." (the root itself), -EINVAL for a bad name.
 */
static int entry_parent(const char *path, struct vnode **dir, char *name)
{
	const char *p = path;
	size_t n;
	int err;

	*dir = vnode_get(vfs_root());
	for (;;) {
		while (*p == '/' || (p[0] == '.' && p[1] == '/'))
			p += *p == '/' ? 1 : 2;
		if (*p == '\0' || strcmp(p, ".") == 0)
			return 0;
		for (n = 0; p[n] != '\0' && p[n] != '/'; n++)
			;
		if (n > VFS_NAME_MAX || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		while (*p == '/')
			p++;
		if (*p == '\0')
			return 1;
		err = enter_dir(dir, name);
		if (err < 0)
			return err;
	}
}

static int add_symlink(struct vnode *dir, const char *name,
		       const struct cpio_entry *e, struct vnode **out)
{
	char *target;
	int err;

	if (e->size == 0 || e->size >= VFS_PATH_MAX ||
	    memchr(e->data, '\0', e->size) != NULL)
		return -EINVAL;
	target = kmalloc(e->size + 1);
	if (target == NULL)
		return -ENOMEM;
	memcpy(target, e->data, e->size);
	target[e->size] = '\0';
	err = vfs_symlink(dir, name, target);
	kfree(target);
	if (err < 0)
		return err;
	*out = vfs_dir_lookup(dir, name);
	return 0;
}

static int add_node(struct vnode *dir, const char *name,
		    const struct cpio_entry *e)
{
	uint32_t type = e->mode & S_IFMT;
	struct vnode *vn = vfs_dir_lookup(dir, name);
	int err = 0;

	if (vn != NULL && S_ISDIR(type) && S_ISDIR(vn->mode))
		return set_attrs(vn, e), vnode_put(vn), 0;
	if (vn != NULL) { /* a later entry replaces an earlier one */
		if (S_ISDIR(vn->mode) && !vfs_dir_empty(vn))
			err = -EINVAL;
		else
			err = vfs_dir_unlink(dir, name);
		vnode_put(vn);
		vn = NULL;
		if (err < 0)
			return err;
	}
	if (S_ISLNK(type))
		err = add_symlink(dir, name, e, &vn);
	else if (S_ISREG(type) || S_ISDIR(type) || S_ISCHR(type) ||
		 S_ISBLK(type) || S_ISFIFO(type) || S_ISSOCK(type))
		err = vfs_create(dir, name, type, &vn);
	else
		err = -EINVAL;
	if (err < 0)
		return err;
	if (S_ISREG(type) && e->size > 0)
		tmpfs_borrow(vn, e->data, e->size);
	set_attrs(vn, e);
	vnode_put(vn);
	return 0;
}

static int load_archive(const void *cpio, size_t size)
{
	struct cpio_entry e;
	struct vnode *dir;
	char name[VFS_NAME_MAX + 1];
	size_t pos = 0;
	int r, err;

	while ((r = cpio_next(cpio, size, &pos, &e)) == 1) {
		err = entry_parent(e.name, &dir, name);
		if (err == 1)
			err = add_node(dir, name, &e);
		else if (err == 0 && S_ISDIR(e.mode))
			set_attrs(dir, &e); /* "." sets the root's attributes */
		vnode_put(dir);
		if (err < 0) {
			printk("kiln: rootfs: bad entry \"%s\" (%d)\n", e.name,
			       err);
			return -EINVAL;
		}
	}
	return r < 0 ? -EINVAL : 0;
}

static const struct {
	const char *name;
	uint32_t perm;
} default_dirs[] = {
	{ "tmp", 01777 },
	{ "dev", 0755 },
	{ "proc", 0555 },
	{ "etc", 0755 },
};

/* lib/etc_default.h says why these */
static const char *const default_files[][2] = {
	{ "hosts", ETC_DEFAULT_HOSTS },
	{ "passwd", ETC_DEFAULT_PASSWD },
	{ "group", ETC_DEFAULT_GROUP },
};

/* mkdir name in the root unless it is there; referenced in *out. */
static int default_dir(const char *name, uint32_t perm, struct vnode **out)
{
	int err = vfs_create(vfs_root(), name, S_IFDIR | perm, out);

	if (err == -EEXIST) {
		*out = vfs_dir_lookup(vfs_root(), name);
		err = S_ISDIR((*out)->mode) ? 0 : -EINVAL;
		if (err < 0)
			vnode_put(*out);
	}
	return err;
}

static int add_defaults(void)
{
	struct vnode *dirs[4], *vn;
	size_t i;
	int err = 0;

	for (i = 0; i < 4; i++) {
		err = default_dir(default_dirs[i].name, default_dirs[i].perm,
				  &dirs[i]);
		if (err < 0) {
			while (i-- > 0)
				vnode_put(dirs[i]);
			return err;
		}
	}
	for (i = 0; i < 3 && err >= 0; i++) {
		const char *text = default_files[i][1];

		err = vfs_create(dirs[3], default_files[i][0], S_IFREG | 0644,
				 &vn);
		/* a root disk's /etc is read only: it has its own or none */
		if (err == -EEXIST || err == -EROFS) {
			err = 0;
			continue;
		}
		if (err == 0) {
			tmpfs_borrow(vn, text, strlen(text));
			vnode_put(vn);
		}
	}
	if (err >= 0)
		err = devfs_init(dirs[1]);
	if (err >= 0)
		err = procfs_init(dirs[2]);
	for (i = 0; i < 4; i++)
		vnode_put(dirs[i]);
	return err;
}

int vfs_etc_default(const char *name, const char *text)
{
	struct vnode *etc = vfs_dir_lookup(vfs_root(), "etc"), *vn;
	int err;

	if (etc == NULL)
		return -ENOENT;
	err = vfs_create(etc, name, S_IFREG | 0644, &vn);
	vnode_put(etc);
	if (err == -EEXIST)
		return 0;
	if (err == 0) {
		tmpfs_borrow(vn, text, strlen(text));
		vnode_put(vn);
	}
	return err;
}

int vfs_init(const void *cpio, size_t size, const uint8_t *root_uuid)
{
	int err;

	if (vfs_root() == NULL)
		return -ENOMEM;
	if (cpio != NULL) {
		err = load_archive(cpio, size);
		if (err < 0)
			return err;
	}
	/* before the defaults: an /etc on the disk is the image's own */
	if (root_uuid != NULL) {
		err = ext4_mount_root("root", root_uuid,
				      !cmdline_has(boot_info.cmdline,
						   boot_info.cmdline_len,
						   "kiln.readonly"));
		if (err < 0)
			return err;
	}
	return add_defaults();
}

/*
 * A file whose data a file system's hooks read (ext4, 9p): all of it in a
 * kmalloc'd copy. 0, -ENOMEM, or the read's error (-EIO; a file that
 * ends early is -EIO too).
 */
static int read_whole(struct vnode *vn, const void **data, void **copy)
{
	uint64_t size = vn->reg.size, done = 0;
	struct file *f;
	char *buf;
	long r = 1;
	int err;

	if (size > SIZE_MAX / 2 || (buf = kmalloc(size ? size : 1)) == NULL)
		return -ENOMEM;
	err = vfs_open_node(vn, O_RDONLY | VFS_OPEN_NOPERM, NULL, &f);
	if (err < 0) {
		kfree(buf);
		return err;
	}
	while (done < size && r > 0)
		r = f->ops->read(f, buf + done, size - done, &done);
	file_put(f);
	if (done < size) {
		kfree(buf);
		return r < 0 ? (int)r : -EIO;
	}
	*data = *copy = buf;
	return 0;
}

int vfs_exec_check(struct vnode *vn, const void **data, size_t *size,
		   void **copy)
{
	int err;

	if (S_ISLNK(vn->mode))
		return -ELOOP;
	if (!S_ISREG(vn->mode))
		return -EACCES;
	err = vfs_permission(vn, 1);
	if (err == 0)
		err = vn->ops != NULL && vn->ops->open != NULL ?
			      read_whole(vn, data, copy) :
			      tmpfs_contiguous(vn, data, copy);
	if (err == 0)
		*size = vn->reg.size;
	return err;
}

int vfs_exec_open(const char *path, const void **data, size_t *size,
		  void **copy, char *resolved, size_t rsize)
{
	struct vnode *start = current != NULL && current->cwd != NULL ?
				      current->cwd :
				      vfs_root();
	struct lookup lk;
	long n;
	int err = vfs_lookup(start, path, 0, &lk);

	if (err < 0)
		return err;
	if (lk.node == NULL) {
		err = -ENOENT;
	} else {
		n = lookup_path(&lk, resolved, rsize);
		err = n < 0 ? (int)n : 0;
	}
	if (err == 0)
		err = vfs_exec_check(lk.node, data, size, copy);
	lookup_done(&lk);
	return err;
}
