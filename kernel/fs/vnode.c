/* vnode.c - file system nodes: allocation, references, creation, symlinks, times. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "core/clock.h"
#include "core/cred.h"
#include "core/heap.h"
#include "fs/notify.h"
#include "lib/string.h"

static struct vnode *root;
static uint64_t next_ino = 1;

struct vnode *vfs_root(void)
{
	if (root == NULL) {
		root = vnode_new(S_IFDIR | 0755);
		if (root == NULL)
			return NULL;
		root->nlink = 2;
		root->parent = root; /* its own reference stays forever */
	}
	return root;
}

struct vfs_time vfs_now(void)
{
	uint64_t ns = clock_realtime_ns();
	struct vfs_time t = { (int64_t)(ns / 1000000000),
			      (int64_t)(ns % 1000000000) };

	return t;
}

void vfs_touch(struct vnode *vn, unsigned int which)
{
	struct vfs_time now = vfs_now();

	if (which & VFS_T_A)
		vn->atime = now;
	if (which & VFS_T_M)
		vn->mtime = now;
	if (which & VFS_T_C)
		vn->ctime = now;
}

struct vnode *vnode_new(uint32_t mode)
{
	struct vnode *vn = kzalloc(sizeof(*vn));

	if (vn == NULL)
		return NULL;
	vn->ino = next_ino++;
	vn->mode = mode;
	vn->refs = 1;
	vn->uid = current_cred()->euid;
	vn->gid = current_cred()->egid;
	if (S_ISREG(mode))
		vn->reg.seals = F_SEAL_SEAL; /* as Linux's shmem_get_inode */
	vfs_touch(vn, VFS_T_A | VFS_T_M | VFS_T_C);
	return vn;
}

struct vnode *vnode_get(struct vnode *vn)
{
	vn->refs++;
	return vn;
}

void vnode_free(struct vnode *vn)
{
	if (vn->ops != NULL && vn->ops->release != NULL)
		vn->ops->release(vn);
	fsnotify_node_free(vn);
	vfs_xattr_free(vn);
	if (S_ISREG(vn->mode))
		tmpfs_free(vn);
	if (S_ISLNK(vn->mode))
		kfree(vn->lnk.target);
	if (S_ISDIR(vn->mode)) {
		vfs_dir_free(vn);
		if (vn->parent != NULL && vn->parent != vn)
			vnode_put(vn->parent);
	}
	kfree(vn);
}

void vnode_put(struct vnode *vn)
{
	if (vn == NULL)
		return;
	if (--vn->refs > 0)
		return;
	if (vn->nlink == 0 || (vn->vflags & VN_TRANSIENT))
		vnode_free(vn);
}

int vfs_create(struct vnode *dir, const char *name, uint32_t mode,
	       struct vnode **out)
{
	struct vnode *vn;
	int err;

	if (dir->ops != NULL && dir->ops->create != NULL)
		return dir->ops->create(dir, name, mode, out);
	vn = vnode_new(mode);
	if (vn == NULL)
		return -ENOMEM;
	if (S_ISDIR(mode))
		vn->parent = vnode_get(dir);
	if ((dir->mode & S_ISGID) != 0) {
		vn->gid = dir->gid; /* BSD group semantics of setgid dirs */
		if (S_ISDIR(mode))
			vn->mode |= S_ISGID;
	}
	err = vfs_dir_link(dir, name, vn);
	if (err < 0) {
		vnode_put(vn);
		return err;
	}
	if (out != NULL)
		*out = vn;
	else
		vnode_put(vn);
	return 0;
}

int vfs_symlink(struct vnode *dir, const char *name, const char *target)
{
	struct vnode *vn;
	size_t len = strlen(target);
	char *copy;
	int err;

	if (dir->ops != NULL && dir->ops->symlink != NULL)
		return dir->ops->symlink(dir, name, target);
	copy = kmalloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, target, len + 1);
	err = vfs_create(dir, name, S_IFLNK | 0777, &vn);
	if (err < 0) {
		kfree(copy);
		return err;
	}
	vn->lnk.target = copy;
	vn->lnk.len = len;
	vnode_put(vn);
	return 0;
}

long vfs_readlink(struct vnode *vn, char *buf, size_t size)
{
	if (!S_ISLNK(vn->mode))
		return -EINVAL;
	if (vn->ops != NULL && vn->ops->readlink != NULL)
		return vn->ops->readlink(vn, buf, size);
	if (size > vn->lnk.len)
		size = vn->lnk.len;
	memcpy(buf, vn->lnk.target, size);
	return (long)size;
}
