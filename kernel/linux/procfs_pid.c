/* procfs_pid.c - /proc/1 and /proc/self: the process's views (maps, status, cmdline, exe, fd/N). */
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
#include "fs/vfs.h"
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

static size_t pid_cmdline(char *buf, size_t size)
{
	return copy_blob(buf, size, cmdline.text, cmdline.len);
}

static size_t pid_environ(char *buf, size_t size)
{
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

/* ---- Generated files ---- */

static size_t pid_maps(char *buf, size_t size)
{
	return mm_format_maps(buf, size);
}

/* The program's name as Linux keeps it: basename, 15 characters. */
static void comm_of(char *out, size_t size)
{
	const char *exe = current != NULL ? current->exe : "";
	const char *slash = strrchr(exe, '/');

	strlcpy(out, slash != NULL ? slash + 1 : exe, size < 16 ? size : 16);
}

static size_t pid_comm(char *buf, size_t size)
{
	char comm[16];
	size_t len = 0;

	comm_of(comm, sizeof(comm));
	procfs_put(buf, size, &len, "%s\n", comm);
	return len;
}

static size_t pid_status(char *buf, size_t size)
{
	size_t len = 0;
	unsigned long rss = 0;

	if (current != NULL && current->mm != NULL)
		rss = current->mm->resident * (PAGE_SIZE / 1024);
	procfs_put(buf, size, &len,
		   "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\n",
		   proc_comm(current), current->umask);
	procfs_put(buf, size, &len,
		   "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
		   "TracerPid:\t0\n",
		   current->pid, current->pid, current->ppid);
	procfs_put(buf, size, &len, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	procfs_put(buf, size, &len, "FDSize:\t%d\n", fd_limit(current));
	procfs_put(buf, size, &len, "VmRSS:\t%8lu kB\nThreads:\t1\n", rss);
	return len;
}

/*
 * proc(5)'s first fields: pid (comm) state ppid pgrp session tty_nr
 * tpgid, of the reader (every /proc/PID is the reader's until /proc
 * lists each process).
 */
static size_t pid_stat(char *buf, size_t size)
{
	const struct proc *p = current;
	int tpgid, tty = console_tty_nr(p->sid, &tpgid);
	size_t len = 0;

	procfs_put(buf, size, &len,
		   "%d (%s) R %d %d %d %d %d 4194560 0 0 0 0 %lu 0 0 0 "
		   "20 0 1 0 0 0 0\n",
		   p->pid, proc_comm(current), p->ppid, p->pgid, p->sid, tty,
		   tpgid, (unsigned long)(time_ns() / 10000000));
	return len;
}

/* ---- The process's directory ---- */

static const struct procfs_entry pid_files[] = {
	{ "maps", pid_maps },	     { "cmdline", pid_cmdline },
	{ "environ", pid_environ },  { "status", pid_status },
	{ "stat", pid_stat },	     { "comm", pid_comm },
	{ "mounts", procfs_mounts },
};

/* Add a node of the given kind under dir with its hooks. */
static int add_node(struct vnode *dir, const char *name, uint32_t mode,
		    const struct vnode_ops *ops)
{
	struct vnode *vn;
	int err = vfs_create(dir, name, mode, &vn);

	if (err < 0)
		return err;
	vn->ops = ops;
	vnode_put(vn);
	return 0;
}

static int fill_pid_dir(struct vnode *pid)
{
	int err = procfs_add_files(pid, pid_files,
				   sizeof(pid_files) / sizeof(pid_files[0]));

	if (err == 0)
		err = add_node(pid, "exe", S_IFLNK | 0777, &exe_vops);
	if (err == 0)
		err = add_node(pid, "fd", S_IFDIR | 0500, &fddir_vops);
	return err < 0 ? err : vfs_create(pid, "fdinfo", S_IFDIR | 0500, NULL);
}

int procfs_pid_init(void)
{
	struct vnode *proc = procfs_dir(), *pid;
	int err;

	if (proc == NULL)
		return -ENOENT;
	err = vfs_symlink(proc, "self", "1");
	if (err == 0)
		err = vfs_symlink(proc, "thread-self", "1");
	if (err == 0)
		err = vfs_create(proc, "1", S_IFDIR | 0555, &pid);
	if (err < 0)
		return err;
	err = fill_pid_dir(pid);
	vnode_put(pid);
	return err;
}
