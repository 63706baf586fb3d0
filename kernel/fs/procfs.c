/* procfs.c - /proc: the tree, /proc/self, /proc/1/exe, /proc/1/fd/N, generated files. */
#include "fs/procfs.h"

#include <asm-generic/errno.h>
#include <asm/fcntl.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"

/* ---- Generated files: the text is made at open and read from the copy ---- */

struct gen_buf {
	char *text;
	size_t len;
};

static long gen_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct gen_buf *g = f->priv;

	if (*pos >= g->len)
		return 0;
	if (n > g->len - *pos)
		n = g->len - *pos;
	memcpy(buf, g->text + *pos, n);
	*pos += n;
	return (long)n;
}

static void gen_release(struct file *f)
{
	struct gen_buf *g = f->priv;

	kfree(g->text);
	kfree(g);
}

static const struct file_ops gen_ops = {
	.read = gen_read,
	.release = gen_release,
	.seekable = true,
};

/* Run the generator with a growing buffer until its text fits. */
static int gen_open(struct vnode *vn, struct file *f)
{
	procfs_gen_fn gen = (procfs_gen_fn)vn->priv;
	struct gen_buf *g;
	size_t size = 4096, len;

	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	g = kzalloc(sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	for (;;) {
		g->text = kmalloc(size);
		if (g->text == NULL) {
			kfree(g);
			return -ENOMEM;
		}
		len = gen(g->text, size);
		if (len < size)
			break;
		kfree(g->text);
		size = len + 1;
	}
	g->len = len;
	f->ops = &gen_ops;
	f->priv = g;
	return 0;
}

static const struct vnode_ops gen_vops = { .open = gen_open };

static int add_file(struct vnode *dir, const char *name, procfs_gen_fn gen)
{
	struct vnode *vn;
	int err = vfs_create(dir, name, S_IFREG | 0444, &vn);

	if (err < 0)
		return err;
	vn->ops = &gen_vops;
	vn->priv = (void *)gen;
	vnode_put(vn);
	return 0;
}

/* ---- /proc/1/exe ---- */

static long copy_text(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s);

	if (n > size)
		n = size;
	memcpy(buf, s, n);
	return (long)n;
}

static long exe_readlink(struct vnode *vn, char *buf, size_t size)
{
	(void)vn;
	if (current == NULL || current->exe[0] == '\0')
		return -ENOENT;
	return copy_text(current->exe, buf, size);
}

static const struct vnode_ops exe_vops = { .readlink = exe_readlink };

/* ---- /proc/1/fd: one magic link per open fd ---- */

static long fdlink_readlink(struct vnode *vn, char *buf, size_t size)
{
	struct file *f = fd_get(current, (int)(uintptr_t)vn->priv);

	if (f == NULL)
		return -ENOENT;
	return file_describe(f, buf, size);
}

/* Like Linux, the link leads to the open file's node, not to its text. */
static struct vnode *fdlink_follow(struct vnode *vn, int *err)
{
	struct file *f = fd_get(current, (int)(uintptr_t)vn->priv);

	if (f == NULL || f->vn == NULL) {
		*err = f == NULL ? -ENOENT : -ENXIO;
		return NULL;
	}
	return vnode_get(f->vn);
}

static const struct vnode_ops fdlink_vops = {
	.readlink = fdlink_readlink,
	.follow = fdlink_follow,
};

static struct vnode *fddir_lookup(struct vnode *dir, const char *name)
{
	struct vnode *vn;
	long fd = 0;
	const char *p;

	(void)dir;
	for (p = name; *p >= '0' && *p <= '9' && fd < (1L << 30); p++)
		fd = fd * 10 + (*p - '0');
	if (p == name || *p != '\0' || (name[0] == '0' && name[1] != '\0'))
		return NULL;
	if (fd_get(current, (int)fd) == NULL)
		return NULL;
	vn = vnode_new(S_IFLNK | 0700);
	if (vn == NULL)
		return NULL;
	vn->vflags = VN_TRANSIENT;
	vn->nlink = 1;
	vn->ops = &fdlink_vops;
	vn->priv = (void *)(uintptr_t)fd;
	vn->parent = NULL;
	return vn;
}

static int fddir_readdir(struct vnode *dir, uint64_t idx, char *name,
			 size_t size, uint64_t *ino, unsigned int *type)
{
	int fd, limit = fd_limit(current);

	(void)dir;
	for (fd = 0; fd < limit; fd++) {
		if (fd_get(current, fd) == NULL)
			continue;
		if (idx-- == 0) {
			fmt_snprintf(name, size, "%d", fd);
			*ino = 0x100000 + (uint64_t)fd;
			*type = 10; /* DT_LNK */
			return 1;
		}
	}
	return 0;
}

static const struct vnode_ops fddir_vops = {
	.lookup = fddir_lookup,
	.readdir = fddir_readdir,
};

/* ---- The tree ---- */

static const struct {
	const char *name;
	procfs_gen_fn gen;
} proc_files[] = {
	{ "cpuinfo", procfs_cpuinfo },	 { "meminfo", procfs_meminfo },
	{ "uptime", procfs_uptime },	 { "version", procfs_version },
	{ "mounts", procfs_mounts },	 { "filesystems", procfs_filesystems },
	{ "loadavg", procfs_loadavg },	 { "stat", procfs_stat },
}, pid_files[] = {
	{ "maps", procfs_maps },	 { "cmdline", procfs_cmdline },
	{ "environ", procfs_environ },	 { "status", procfs_status },
	{ "stat", procfs_pid_stat },	 { "comm", procfs_comm },
	{ "mounts", procfs_mounts },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int procfs_pid_init(struct vnode *pid)
{
	struct vnode *vn;
	size_t i;
	int err;

	for (i = 0; i < NELEM(pid_files); i++) {
		err = add_file(pid, pid_files[i].name, pid_files[i].gen);
		if (err < 0)
			return err;
	}
	err = vfs_create(pid, "exe", S_IFLNK | 0777, &vn);
	if (err < 0)
		return err;
	vn->ops = &exe_vops;
	vnode_put(vn);
	err = vfs_create(pid, "fd", S_IFDIR | 0500, &vn);
	if (err < 0)
		return err;
	vn->ops = &fddir_vops;
	vnode_put(vn);
	return vfs_create(pid, "fdinfo", S_IFDIR | 0500, NULL);
}

int procfs_init(struct vnode *proc)
{
	struct vnode *pid;
	size_t i;
	int err;

	for (i = 0; i < NELEM(proc_files); i++) {
		err = add_file(proc, proc_files[i].name, proc_files[i].gen);
		if (err < 0)
			return err;
	}
	err = vfs_symlink(proc, "self", "1");
	if (err == 0)
		err = vfs_symlink(proc, "thread-self", "1");
	if (err == 0)
		err = vfs_create(proc, "1", S_IFDIR | 0555, &pid);
	if (err < 0)
		return err;
	err = procfs_pid_init(pid);
	vnode_put(pid);
	return err;
}
