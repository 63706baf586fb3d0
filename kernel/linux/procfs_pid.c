/* procfs_pid.c - /proc/PID and /proc/self: each process's views (maps, status, cmdline, exe, fd/N). */
#include "linux/procfs_pid.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/proc.h"
#include "fs/procfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/mm.h"
#include "linux/proc.h"

/* What the program loader gave the process: NUL-separated strings. */
static struct {
	char *text;
	size_t len;
} cmdline, environ;

static size_t copy_blob(char *buf, size_t size, const char *text, size_t len)
{
	if (len > 0)
		memcpy(buf, text, len < size ? len : size);
	return len;
}

/* Replace *text with v joined, each string NUL-terminated: 0 or -ENOMEM. */
static int set_vector(char **text, size_t *len, const char *const *v)
{
	size_t total = 0, i, n;
	char *blob;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		total += strlen(v[i]) + 1;
	blob = kmalloc(total > 0 ? total : 1);
	if (blob == NULL)
		return -ENOMEM;
	total = 0;
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		n = strlen(v[i]) + 1;
		memcpy(blob + total, v[i], n);
		total += n;
	}
	kfree(*text);
	*text = blob;
	*len = total;
	return 0;
}

int procfs_pid_set_args(const char *const *argv, const char *const *envp)
{
	int err = set_vector(&cmdline.text, &cmdline.len, argv);

	return err < 0 ? err : set_vector(&environ.text, &environ.len, envp);
}

/*
 * A process's directory and the nodes under it carry its pid: the
 * directory and fd/ in priv, exe and fd/N links in priv's upper half
 * (fd/N: the fd in the lower half). A pid that names no live process
 * any more reads as gone (-ENOENT/-ESRCH), never as another process.
 */
static struct proc *proc_of(const void *priv)
{
	struct proc *p = proc_find((int)((uintptr_t)priv >> 32));

	return p != NULL && p->state == PROC_LIVE ? p : NULL;
}

static void *pid_key(int pid, int low)
{
	return (void *)(((uintptr_t)(uint32_t)pid << 32) | (uint32_t)low);
}

/* cmdline and environ are the first program's (exec will keep its own). */
static size_t pid_cmdline(struct proc *p, char *buf, size_t size)
{
	(void)p;
	return copy_blob(buf, size, cmdline.text, cmdline.len);
}

static size_t pid_environ(struct proc *p, char *buf, size_t size)
{
	(void)p;
	return copy_blob(buf, size, environ.text, environ.len);
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
	struct proc *p = proc_of(vn->priv);

	if (p == NULL || p->exe[0] == '\0')
		return -ENOENT;
	return copy_text(p->exe, buf, size);
}

static const struct vnode_ops exe_vops = { .readlink = exe_readlink };

/* ---- /proc/1/fd: one magic link per open fd ---- */

/* The open file fd/N's link names, or NULL when gone. */
static struct file *fdlink_file(const struct vnode *vn)
{
	struct proc *p = proc_of(vn->priv);

	return p ? fd_get(p, (int)(uint32_t)(uintptr_t)vn->priv) : NULL;
}

static long fdlink_readlink(struct vnode *vn, char *buf, size_t size)
{
	struct file *f = fdlink_file(vn);

	if (f == NULL)
		return -ENOENT;
	return file_describe(f, buf, size);
}

/* Like Linux, the link leads to the open file's node, not to its text. */
static struct vnode *fdlink_follow(struct vnode *vn, int *err)
{
	struct file *f = fdlink_file(vn);

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
	struct proc *owner = proc_of(dir->priv);
	long fd = 0;
	const char *p;

	for (p = name; *p >= '0' && *p <= '9' && fd < (1L << 30); p++)
		fd = fd * 10 + (*p - '0');
	if (p == name || *p != '\0' || (name[0] == '0' && name[1] != '\0'))
		return NULL;
	if (owner == NULL || fd_get(owner, (int)fd) == NULL)
		return NULL;
	vn = vnode_new(S_IFLNK | 0700);
	if (vn == NULL)
		return NULL;
	vn->vflags = VN_TRANSIENT;
	vn->nlink = 1;
	vn->ops = &fdlink_vops;
	vn->priv = pid_key(owner->pid, (int)fd);
	vn->parent = NULL;
	return vn;
}

static int fddir_readdir(struct vnode *dir, uint64_t idx, char *name,
			 size_t size, uint64_t *ino, unsigned int *type)
{
	struct proc *owner = proc_of(dir->priv);
	int fd, limit = owner ? fd_limit(owner) : 0;

	for (fd = 0; fd < limit; fd++) {
		if (fd_get(owner, fd) == NULL)
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

/* ---- Generated files ---- */

static size_t pid_maps(struct proc *p, char *buf, size_t size)
{
	return p->mm ? mm_format_maps(p->mm, buf, size) : 0;
}

static size_t pid_comm(struct proc *p, char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len, "%s\n", proc_comm(p));
	return len;
}

static size_t pid_status(struct proc *p, char *buf, size_t size)
{
	const struct cred *c = &p->cred;
	size_t len = 0;
	unsigned long rss = 0;

	if (p->mm != NULL)
		rss = p->mm->resident * (PAGE_SIZE / 1024);
	procfs_put(buf, size, &len,
		   "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\n",
		   proc_comm(p), p->umask);
	procfs_put(buf, size, &len,
		   "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
		   "TracerPid:\t0\n",
		   p->pid, p->pid, p->ppid);
	procfs_put(buf, size, &len, "Uid:\t%u\t%u\t%u\t%u\n", c->uid, c->euid,
		   c->suid, c->euid);
	procfs_put(buf, size, &len, "Gid:\t%u\t%u\t%u\t%u\n", c->gid, c->egid,
		   c->sgid, c->egid);
	procfs_put(buf, size, &len, "FDSize:\t%d\n", fd_limit(p));
	procfs_put(buf, size, &len, "VmRSS:\t%8lu kB\nThreads:\t%d\n", rss,
		   p->nthreads);
	return len;
}

/* utime: the VM's uptime in ticks (no CPU time is kept per process). */
static size_t pid_stat(struct proc *p, char *buf, size_t size)
{
	size_t len = 0;

	procfs_put(buf, size, &len,
		   "%d (%s) R %d %d %d 0 -1 4194560 0 0 0 0 %lu 0 0 0 "
		   "20 0 %d 0 0 0 0\n",
		   p->pid, proc_comm(p), p->ppid, p->pgid, p->sid,
		   (unsigned long)(time_ns() / 10000000), p->nthreads);
	return len;
}

/* ---- The process's directory ---- */

static size_t pid_mounts(struct proc *p, char *buf, size_t size)
{
	(void)p;
	return procfs_mounts(buf, size);
}

static const struct procfs_proc_entry pid_files[] = {
	{ "maps", pid_maps },	    { "cmdline", pid_cmdline },
	{ "environ", pid_environ }, { "status", pid_status },
	{ "stat", pid_stat },	    { "comm", pid_comm },
	{ "mounts", pid_mounts },
};

/* Add a node of the given kind under dir with its hooks and priv. */
static int add_node(struct vnode *dir, const char *name, uint32_t mode,
		    const struct vnode_ops *ops, void *priv)
{
	struct vnode *vn;
	int err = vfs_create(dir, name, mode, &vn);

	if (err < 0)
		return err;
	vn->ops = ops;
	vn->priv = priv;
	vnode_put(vn);
	return 0;
}

static int fill_pid_dir(struct vnode *dir, int pid)
{
	int err = procfs_add_proc_files(dir, pid);

	if (err == 0)
		err = add_node(dir, "exe", S_IFLNK | 0777, &exe_vops,
			       pid_key(pid, 0));
	if (err == 0)
		err = add_node(dir, "fd", S_IFDIR | 0500, &fddir_vops,
			       pid_key(pid, 0));
	return err < 0 ? err : vfs_create(dir, "fdinfo", S_IFDIR | 0500, NULL);
}

/* /proc/self and /proc/thread-self: whoever reads them, their pid. */
static long self_readlink(struct vnode *vn, char *buf, size_t size)
{
	char text[16];

	(void)vn;
	fmt_snprintf(text, sizeof(text), "%d", current->pid);
	return copy_text(text, buf, size);
}

static const struct vnode_ops self_vops = { .readlink = self_readlink };

void procfs_pid_remove(int pid)
{
	struct vnode *proc = procfs_dir(), *dir;
	char name[16];

	fmt_snprintf(name, sizeof(name), "%d", pid);
	dir = proc ? vfs_dir_lookup(proc, name) : NULL;
	if (dir == NULL)
		return;
	procfs_remove_proc_files(dir);
	vfs_dir_unlink(dir, "exe");
	vfs_dir_unlink(dir, "fd");
	vfs_dir_unlink(dir, "fdinfo");
	vnode_put(dir);
	vfs_dir_unlink(proc, name);
}

int procfs_pid_add(int pid)
{
	struct vnode *proc = procfs_dir(), *dir;
	char name[16];
	int err;

	if (proc == NULL)
		return -ENOENT;
	fmt_snprintf(name, sizeof(name), "%d", pid);
	err = vfs_create(proc, name, S_IFDIR | 0555, &dir);
	if (err < 0)
		return err;
	err = fill_pid_dir(dir, pid);
	vnode_put(dir);
	if (err < 0)
		procfs_pid_remove(pid);
	return err;
}

int procfs_pid_init(void)
{
	struct vnode *proc = procfs_dir();
	int err;

	if (proc == NULL)
		return -ENOENT;
	procfs_set_proc_files(pid_files,
			      sizeof(pid_files) / sizeof(pid_files[0]));
	err = add_node(proc, "self", S_IFLNK | 0777, &self_vops, NULL);
	if (err == 0)
		err = add_node(proc, "thread-self", S_IFLNK | 0777, &self_vops,
			       NULL);
	return err < 0 ? err : procfs_pid_add(1);
}
