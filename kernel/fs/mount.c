/* mount.c - the one mount table: the boot mounts of both kernel command-line options, their mount points, /proc/mounts. */
#include "fs/mount.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "arch.h"
#include "core/heap.h"
#include "core/printk.h"
#include "fs/9pfs.h"
#include "fs/ext4.h"
#include "fs/overlay.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "lib/cmdline.h"
#include "lib/string.h"

struct mount {
	char source[32];
	char path[256];
	char type[8];
	char opts[96];
};

static struct mount table[MOUNT_MAX];
static size_t ntable;
static bool root_ro; /* mount_root_readonly ran */

void mount_register(const char *source, const char *path, const char *type,
		    const char *opts)
{
	struct mount *m;

	if (ntable == MOUNT_MAX)
		return;
	m = &table[ntable++];
	strlcpy(m->source, source, sizeof(m->source));
	strlcpy(m->path, path, sizeof(m->path));
	strlcpy(m->type, type, sizeof(m->type));
	strlcpy(m->opts, opts, sizeof(m->opts));
}

size_t mount_text(char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "rootfs / rootfs %s 0 0\n",
		   root_ro ? "ro" : "rw");
	procfs_put(buf, size, &len, "devtmpfs /dev devtmpfs rw,relatime 0 0\n");
	procfs_put(buf, size, &len, "proc /proc proc rw,relatime 0 0\n");
	/* POSIX shared memory's home, a tmpfs as on Linux (shm_open). */
	procfs_put(buf, size, &len,
		   "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n");
	for (size_t i = 0; i < ntable; i++)
		procfs_put(buf, size, &len, "%s %s %s %s 0 0\n",
			   table[i].source, table[i].path, table[i].type,
			   table[i].opts);
	return len;
}

int mount_point(const char *path, struct vnode **out)
{
	struct vnode *dir = vnode_get(vfs_root());
	char name[VFS_NAME_MAX + 1];

	if (path[0] != '/' || strlen(path) >= sizeof(table[0].path)) {
		vnode_put(dir);
		return -EINVAL;
	}
	while (*path) {
		size_t n = 0;
		struct vnode *child;
		int err;

		while (*path == '/')
			path++;
		while (path[n] && path[n] != '/')
			n++;
		if (n == 0)
			break;
		/* a merged directory of the root's overlay is walked */
		if (n > VFS_NAME_MAX || (dir->ops != NULL && !ovl_dir(dir))) {
			vnode_put(dir);
			return n > VFS_NAME_MAX ? -ENAMETOOLONG : -EBUSY;
		}
		memcpy(name, path, n);
		name[n] = '\0';
		path += n;
		child = vfs_dir_lookup(dir, name);
		err = 0;
		if (child == NULL)
			err = vfs_create(dir, name, S_IFDIR | 0755, &child);
		vnode_put(dir);
		if (err < 0)
			return err;
		if (!S_ISDIR(child->mode)) {
			vnode_put(child);
			return -ENOTDIR;
		}
		dir = child;
	}
	if (dir->ops != NULL || dir == vfs_root()) {
		vnode_put(dir);
		return -EBUSY; /* already a mount, /proc, /dev or / */
	}
	*out = dir;
	return 0;
}

/* One option's words, SRC:/DIR[:ro] separated by commas, each mounted. */
static int mount_option(const char *key, bool p9)
{
	char words[1024], *w = words;
	long len = cmdline_get(boot_info.cmdline, boot_info.cmdline_len, key,
			       words, sizeof(words));

	if (len < 0)
		return 0;
	if (len >= (long)sizeof(words))
		return -EINVAL;
	while (*w) {
		char *end = strchr(w, ','), *path, *opt;
		int err;

		if (end != NULL)
			*end = '\0';
		path = strchr(w, ':');
		if (path == NULL || path[1] != '/')
			return -EINVAL;
		*path++ = '\0';
		opt = strchr(path, ':');
		if (opt != NULL)
			*opt++ = '\0';
		if (p9 && opt != NULL && strcmp(opt, "ro") != 0)
			return -EINVAL;
		if (p9)
			err = p9fs_mount_at(w, path, opt != NULL);
		else
			err = ext4_mount_at(w, path,
					    opt == NULL || strcmp(opt, "ro"));
		if (err < 0) {
			printk("kiln: cannot mount %s%s on %s (errno %d)\n",
			       p9 ? "9p tag " : "", w, path, -err);
			return err;
		}
		if (end == NULL)
			break;
		w = end + 1;
	}
	return 0;
}

int mount_boot(const char **what)
{
	int err;

	*what = "cannot mount a disk";
	err = mount_option("kiln.mount", false); /* kiln run --disk F:DIR */
	if (err)
		return err;
	*what = "cannot mount a volume";
	return mount_option("kiln.9p", true); /* kiln run -v HOST:DIR */
}

/* Deeper than this the archive's paths cannot go (PATH_MAX, "a/"...). */
#define RO_DEPTH_MAX 2048

/*
 * Whose nodes mount_root_readonly marks: the root's own (tmpfs, no
 * hooks), not a mount or a device, nor /dev, /proc and /tmp, which stay
 * writable as with a root disk (docs/storage.md).
 */
static bool ro_takes(const struct vnode *dir, const struct vfs_dirent *d)
{
	if (d->vn->ops != NULL)
		return false;
	return dir != vfs_root() ||
	       (strcmp(d->name, "dev") && strcmp(d->name, "proc") &&
		strcmp(d->name, "tmp"));
}

int mount_root_readonly(void)
{
	struct ro_level {
		struct vnode *dir;
		struct vfs_dirent *next;
	} *stack = kmalloc(RO_DEPTH_MAX * sizeof(*stack));
	size_t depth = 0;

	if (stack == NULL)
		return -ENOMEM;
	/* Depth first without recursion: the archive's tree is untrusted. */
	vfs_root()->vflags |= VN_RDONLY;
	stack[0] = (struct ro_level){ vfs_root(), vfs_dir_seek(vfs_root(), 0) };
	for (;;) {
		struct ro_level *l = &stack[depth];
		struct vfs_dirent *d = l->next;

		if (d == NULL) {
			if (depth-- == 0)
				break;
			continue;
		}
		l->next = vfs_dir_next(l->dir, d);
		if (!ro_takes(l->dir, d))
			continue;
		d->vn->vflags |= VN_RDONLY;
		if (!S_ISDIR(d->vn->mode))
			continue;
		if (++depth == RO_DEPTH_MAX) {
			kfree(stack);
			return -ELOOP;
		}
		stack[depth] = (struct ro_level){ d->vn,
						  vfs_dir_seek(d->vn, 0) };
	}
	kfree(stack);
	root_ro = true;
	return 0;
}
