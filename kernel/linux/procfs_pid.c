/* procfs_pid.c - /proc/PID for every process, and /proc/self: status, stat, cmdline, environ, maps, exe, cwd, fd/N (comm, task/: procfs_task.c). */
#include "linux/procfs_pid.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "arch.h"
#include "core/clock.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/printk.h"
#include "core/proc.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/procfs_task.h"

/*
 * Each process has a real directory /proc/PID, made at fork (or boot;
 * both put off until /proc is first looked at, below) and
 * removed when the process is reaped, so /proc lists the pids and
 * getdents needs no hook. Its nodes carry no pointer to the process, only
 * its pid (vn->priv): a node opened after the process went finds nothing
 * (-ESRCH), never freed memory. Texts are made at open (fs/procfs.c).
 *
 *   vn->priv of a file or dir:  PROCFS_PRIV(pid, what)   (what: PID_* below)
 *   vn->priv of an fd link:     pid << 32 | fd
 */
#define FDLINK_PRIV(pid, fd) \
	((void *)(((uintptr_t)(pid) << 32) | (uint32_t)(fd)))

/* USER_HZ: what times in /proc/PID/stat count in. */
#define CLOCK_TICK_NS 10000000UL
/* The longest argument area /proc/PID/cmdline shows (Linux: no limit). */
#define CMDLINE_MAX (128 * 1024)

/* The process behind a node, or NULL when it has been reaped. */
static struct proc *node_proc(const struct vnode *vn)
{
	return proc_find(PROCFS_PRIV_ID(vn));
}

/* ---- cmdline and environ: read from the process's memory ---- */

/*
 * Linux's get_mm_cmdline: the argument area as the process left it, so a
 * program that rewrote argv (setproctitle) shows its new title; when the
 * last byte of argv is no longer a NUL, the title ran on into the
 * environment area and is shown up to its first NUL there.
 */
static size_t pid_cmdline(struct proc *p, char *buf, size_t size)
{
	struct mm *mm = p->mm;
	size_t n, max;
	char *text;

	if (!mm || mm->arg_end <= mm->arg_start)
		return 0;
	max = mm->env_end > mm->arg_start ? mm->env_end - mm->arg_start :
					    mm->arg_end - mm->arg_start;
	if (max > CMDLINE_MAX)
		max = CMDLINE_MAX;
	text = kmalloc(max);
	if (!text)
		return 0;
	n = mm_read(mm, mm->arg_start, text, max);
	if (n > mm->arg_end - mm->arg_start &&
	    text[mm->arg_end - mm->arg_start - 1] == '\0')
		n = mm->arg_end - mm->arg_start;
	else if (n > mm->arg_end - mm->arg_start) {
		const char *nul = memchr(text + (mm->arg_end - mm->arg_start),
					 '\0',
					 n - (mm->arg_end - mm->arg_start));

		if (nul)
			n = (size_t)(nul - text) + 1;
	}
	memcpy(buf, text, n < size ? n : size);
	kfree(text);
	return n;
}

static size_t pid_environ(struct proc *p, char *buf, size_t size)
{
	struct mm *mm = p->mm;
	size_t n;
	char *text;

	if (!mm || mm->env_end <= mm->env_start)
		return 0;
	n = mm->env_end - mm->env_start;
	if (n > CMDLINE_MAX)
		n = CMDLINE_MAX;
	text = kmalloc(n);
	if (!text)
		return 0;
	n = mm_read(mm, mm->env_start, text, n);
	memcpy(buf, text, n < size ? n : size);
	kfree(text);
	return n;
}

/* ---- status, stat, maps ---- */

/*
 * State of process p (t NULL) or of its thread t: one that runs now is
 * R, the others sleep (the one CPU runs the caller).
 */
static char state_char(struct proc *p, struct thread *t)
{
	if (p->state == PROC_ZOMBIE)
		return 'Z';
	if (p->stopped)
		return 'T';
	if (t)
		return t == current_thread ? 'R' : 'S';
	return p == current ? 'R' : 'S';
}

static const char *state_name(struct proc *p, struct thread *t)
{
	switch (state_char(p, t)) {
	case 'Z':
		return "Z (zombie)";
	case 'T':
		return "T (stopped)";
	case 'R':
		return "R (running)";
	}
	return "S (sleeping)";
}

/* The process's first thread (its pid), or NULL once it ended. */
static struct thread *leader_thread(struct proc *p)
{
	struct thread *t = thread_find(p->pid);

	return t && t->proc == p ? t : NULL;
}

static void sig_masks(struct proc *p, uint64_t *ign, uint64_t *cgt)
{
	*ign = *cgt = 0;
	for (int i = 0; i < PROC_NSIG; i++) {
		if (p->sigactions[i].sa_handler == SIG_IGN)
			*ign |= 1UL << i;
		else if (p->sigactions[i].sa_handler != SIG_DFL)
			*cgt |= 1UL << i;
	}
}

static size_t status_ids(struct proc *p, int tid, char *buf, size_t size,
			 size_t len)
{
	const struct cred *c = &p->cred;

	procfs_put(buf, size, &len,
		   "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
		   p->pid, tid, p->ppid);
	procfs_put(buf, size, &len,
		   "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", c->uid,
		   c->euid, c->suid, c->euid, c->gid, c->egid, c->sgid,
		   c->egid);
	procfs_put(buf, size, &len, "FDSize:\t%d\nGroups:\t",
		   p->files ? fd_limit(p) : 0);
	for (uint32_t i = 0; i < c->ngroups; i++)
		procfs_put(buf, size, &len, "%u ", c->groups[i]);
	procfs_put(buf, size, &len,
		   "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
		   p->pid, tid, p->pgid, p->sid);
	return len;
}

size_t procfs_task_status(struct proc *p, struct thread *t, char *buf,
			  size_t size)
{
	struct thread *sig = t ? t : leader_thread(p);
	unsigned long rss = p->mm ? p->mm->resident * (PAGE_SIZE / 1024) : 0;
	uint64_t ign, cgt;
	size_t len = 0;

	procfs_put(buf, size, &len, "Name:\t%s\nUmask:\t%04o\nState:\t%s\n",
		   task_comm(p, t), p->umask, state_name(p, t));
	len = status_ids(p, t ? t->tid : p->pid, buf, size, len);
	if (p->mm)
		procfs_put(buf, size, &len, "VmRSS:\t%8lu kB\n", rss);
	sig_masks(p, &ign, &cgt);
	procfs_put(buf, size, &len, "Threads:\t%d\n", p->nthreads);
	procfs_put(buf, size, &len,
		   "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\n"
		   "SigIgn:\t%016lx\nSigCgt:\t%016lx\n",
		   (unsigned long)(sig ? sig->sigpending : 0),
		   (unsigned long)p->sigpending,
		   (unsigned long)(sig ? sig->sigmask : 0), (unsigned long)ign,
		   (unsigned long)cgt);
	return len;
}

static size_t pid_status(struct proc *p, char *buf, size_t size)
{
	return procfs_task_status(p, NULL, buf, size);
}

static unsigned long mm_virtual_size(const struct mm *mm)
{
	unsigned long bytes = 0;

	for (const struct vma *v = mm ? mm->vmas : NULL; v; v = v->next)
		bytes += v->end - v->start;
	return bytes;
}

/*
 * proc(5): all 52 fields; those Kiln does not keep are 0. tty_nr and
 * tpgid are the console's when it is the session's terminal. A thread's
 * start time is its process's: Kiln keeps no other.
 */
size_t procfs_task_stat(struct proc *p, struct thread *t, char *buf,
			size_t size)
{
	size_t len = 0;
	unsigned long start = (unsigned long)(p->start_ns / CLOCK_TICK_NS);
	int tpgid, tty = console_tty_nr(p->sid, &tpgid);
	uint64_t cpu = t ? sched_thread_cpu_ns(t) : sched_proc_cpu_ns(p);

	procfs_put(buf, size, &len, "%d (%s) %c %d %d %d %d %d 4194560 ",
		   t ? t->tid : p->pid, task_comm(p, t), state_char(p, t),
		   p->ppid, p->pgid, p->sid, tty, tpgid);
	procfs_put(buf, size, &len,
		   "0 0 0 0 %lu 0 %lu 0 20 %d %d 0 %lu %lu %lu ",
		   (unsigned long)(cpu / CLOCK_TICK_NS),
		   (unsigned long)(p->cpu_children_ns / CLOCK_TICK_NS), p->nice,
		   p->nthreads > 0 ? p->nthreads : 1, start,
		   mm_virtual_size(p->mm),
		   p->mm ? (unsigned long)p->mm->resident : 0UL);
	procfs_put(buf, size, &len,
		   "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 "
		   "0 0 0 ");
	if (p->mm)
		procfs_put(buf, size, &len, "%lu %lu %lu %lu %lu ",
			   (unsigned long)p->mm->brk_start,
			   (unsigned long)p->mm->arg_start,
			   (unsigned long)p->mm->arg_end,
			   (unsigned long)p->mm->env_start,
			   (unsigned long)p->mm->env_end);
	else
		procfs_put(buf, size, &len, "0 0 0 0 0 ");
	procfs_put(buf, size, &len, "%d\n",
		   p->state == PROC_ZOMBIE ? (p->exit_status & 0xffff) : 0);
	return len;
}

static size_t pid_stat(struct proc *p, char *buf, size_t size)
{
	return procfs_task_stat(p, NULL, buf, size);
}

static size_t pid_maps(struct proc *p, char *buf, size_t size)
{
	return mm_format_maps(p->mm, buf, size);
}

static size_t pid_mounts(struct proc *p, char *buf, size_t size)
{
	(void)p;
	return procfs_mounts(buf, size);
}

/* ---- The generated files ---- */

enum {
	PID_CMDLINE,
	PID_ENVIRON,
	PID_STATUS,
	PID_STAT,
	PID_MAPS,
	PID_MOUNTS,
	PID_NFILES
};

static const struct procfs_proc_entry pid_files[PID_NFILES] = {
	[PID_CMDLINE] = { "cmdline", pid_cmdline },
	[PID_ENVIRON] = { "environ", pid_environ },
	[PID_STATUS] = { "status", pid_status },
	[PID_STAT] = { "stat", pid_stat },
	[PID_MAPS] = { "maps", pid_maps },
	[PID_MOUNTS] = { "mounts", pid_mounts },
};

/* The other nodes of the directory (what is past the files). */
enum { PID_EXE = PID_NFILES, PID_CWD, PID_ROOT, PID_FD, PID_FDINFO };

/* ---- exe, cwd, root ---- */

static long pid_link_readlink(struct vnode *vn, char *buf, size_t size)
{
	struct proc *p = node_proc(vn);

	if (!p || p->state == PROC_ZOMBIE)
		return -ENOENT;
	if (PROCFS_PRIV_WHAT(vn) == PID_EXE)
		return p->exe[0] ? procfs_link_text(p->exe, buf, size) :
				   -ENOENT;
	if (PROCFS_PRIV_WHAT(vn) == PID_CWD && p->cwd)
		return vfs_dir_path(p->cwd, buf, size);
	return procfs_link_text("/", buf, size);
}

static const struct vnode_ops pid_link_vops = { .readlink = pid_link_readlink };

/* ---- fd/: one magic link per open fd ---- */

static struct file *fdlink_file(struct vnode *vn, struct proc **pp)
{
	uintptr_t priv = (uintptr_t)vn->priv;
	struct proc *p = proc_find((int)(priv >> 32));

	*pp = p;
	if (!p || !p->files)
		return NULL;
	return fd_get(p, (int)(uint32_t)priv);
}

static long fdlink_readlink(struct vnode *vn, char *buf, size_t size)
{
	struct proc *p;
	struct file *f = fdlink_file(vn, &p);

	if (f == NULL)
		return -ENOENT;
	return file_describe(f, buf, size);
}

/* Like Linux, the link leads to the open file's node, not to its text. */
static struct vnode *fdlink_follow(struct vnode *vn, int *err)
{
	struct proc *p;
	struct file *f = fdlink_file(vn, &p);

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
	struct proc *p = node_proc(dir);
	int fd = procfs_name_to_int(name);

	if (fd < 0 || !p || !p->files || fd_get(p, fd) == NULL)
		return NULL;
	return procfs_transient_node(S_IFLNK | 0700, &fdlink_vops,
				     FDLINK_PRIV(p->pid, fd),
				     procfs_pid_owner(p, S_IFLNK | 0700));
}

static int fddir_readdir(struct vnode *dir, uint64_t idx, char *name,
			 size_t size, uint64_t *ino, unsigned int *type)
{
	struct proc *p = node_proc(dir);
	int fd, limit;

	if (!p || !p->files)
		return 0;
	limit = fd_limit(p);
	for (fd = 0; fd < limit; fd++) {
		if (fd_get(p, fd) == NULL)
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

/* ---- The directory of a process ---- */

/* Give dir, p's /proc/PID, and its nodes to their owners now. */
static void chown_pid_dir(struct vnode *dir, const struct proc *p)
{
	const struct cred *o = procfs_pid_owner(p, dir->mode);

	dir->uid = o->euid;
	dir->gid = o->egid;
	for (struct vfs_dirent *d = vfs_dir_seek(dir, 0); d != NULL;
	     d = vfs_dir_next(dir, d)) {
		o = procfs_pid_owner(p, d->vn->mode);
		d->vn->uid = o->euid;
		d->vn->gid = o->egid;
	}
}

/* Make p's nodes in dir, its /proc/PID, owned as Linux would. */
static int fill_pid_dir(struct vnode *dir, struct proc *p)
{
	static const char *const links[] = { "exe", "cwd", "root" };
	const struct cred *c = &p->cred;
	int err = 0;

	err = procfs_add_proc_files(dir, p->pid);
	for (int i = 0; i < 3 && !err; i++)
		err = procfs_add_node(dir, links[i], S_IFLNK | 0777,
				      &pid_link_vops,
				      PROCFS_PRIV(p->pid, PID_EXE + i), c);
	if (!err)
		err = procfs_add_node(dir, "fd", S_IFDIR | 0500, &fddir_vops,
				      PROCFS_PRIV(p->pid, PID_FD), c);
	if (!err)
		err = procfs_add_node(dir, "fdinfo", S_IFDIR | 0500, NULL,
				      PROCFS_PRIV(p->pid, PID_FDINFO), c);
	if (!err)
		err = procfs_task_add(dir, p);
	if (!err)
		chown_pid_dir(dir, p);
	return err;
}

/* Remove what fill_pid_dir made (any part of it) and the directory. */
static void remove_pid_dir(struct vnode *proc, const char *name)
{
	static const char *const others[] = { "exe", "cwd", "root", "fd",
					      "fdinfo" };
	struct vnode *dir = vfs_dir_lookup(proc, name);

	if (!dir)
		return;
	procfs_remove_proc_files(dir);
	procfs_task_remove(dir);
	for (int i = 0; i < 5; i++)
		vfs_dir_unlink(dir, others[i]);
	vnode_put(dir);
	vfs_dir_unlink(proc, name);
}

/*
 * Until something looks into /proc (a lookup, getdents, stat: the dir is
 * VN_POPULATE), its pid directories are only this list, in the order
 * they would have been made: an app that never reads /proc never pays
 * for building them (~120 translated blocks at boot under TCG), and one
 * that does finds the same tree, made by the same code.
 */
static int *pending;
static size_t npending, pending_cap;

static int pending_push(int pid)
{
	if (npending == pending_cap) {
		size_t cap = pending_cap ? pending_cap * 2 : 8;
		int *n = kmalloc(cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		if (npending)
			memcpy(n, pending, npending * sizeof(*n));
		kfree(pending);
		pending = n;
		pending_cap = cap;
	}
	pending[npending++] = pid;
	return 0;
}

static bool pending_drop(int pid)
{
	for (size_t i = 0; i < npending; i++)
		if (pending[i] == pid) {
			memmove(&pending[i], &pending[i + 1],
				(npending - i - 1) * sizeof(*pending));
			npending--;
			return true;
		}
	return false;
}

static int pid_dir_make(struct vnode *proc, struct proc *p);

static int make_self_links(struct vnode *proc);

/* procfs_defer's maker: /proc is looked at, make what was put off. */
static int make_deferred(struct vnode *proc)
{
	int err = make_self_links(proc);

	for (size_t i = 0; i < npending; i++) {
		struct proc *p = proc_find(pending[i]);

		/* as at fork: the process runs without it, and it is said */
		if (p != NULL && pid_dir_make(proc, p) < 0)
			printk("kiln: no /proc/%d: out of memory\n", p->pid);
	}
	kfree(pending);
	pending = NULL;
	npending = pending_cap = 0;
	return err;
}

int procfs_pid_add(int pid)
{
	struct vnode *proc = procfs_dir();
	struct proc *p = proc_find(pid);

	if (proc == NULL || p == NULL)
		return -ENOENT;
	if (proc->vflags & VN_POPULATE)
		return pending_push(pid);
	return pid_dir_make(proc, p);
}

static int pid_dir_make(struct vnode *proc, struct proc *p)
{
	struct vnode *dir;
	char name[16];
	int err;

	fmt_snprintf(name, sizeof(name), "%d", p->pid);
	err = vfs_create(proc, name, S_IFDIR | 0555, &dir);
	if (err < 0)
		return err;
	err = fill_pid_dir(dir, p);
	vnode_put(dir);
	if (err)
		remove_pid_dir(proc, name);
	return err;
}

const struct cred *procfs_pid_owner(const struct proc *p, uint32_t mode)
{
	static const struct cred root;

	/* Linux leaves the world-searchable directories the euid's */
	if (!p->undumpable || mode == (S_IFDIR | 0555))
		return &p->cred;
	return &root;
}

void procfs_pid_chown(struct proc *p)
{
	struct vnode *proc = procfs_dir(), *dir;
	char name[16];

	if (proc == NULL || (proc->vflags & VN_POPULATE))
		return; /* made later from p as it is then */
	fmt_snprintf(name, sizeof(name), "%d", p->pid);
	dir = vfs_dir_lookup(proc, name);
	if (dir == NULL)
		return;
	chown_pid_dir(dir, p);
	vnode_put(dir);
}

void procfs_pid_remove(int pid)
{
	struct vnode *proc = procfs_dir();
	char name[16];

	/* not made yet: nothing to remove, and no reason to make the rest */
	if (proc == NULL || pending_drop(pid) || (proc->vflags & VN_POPULATE))
		return;
	fmt_snprintf(name, sizeof(name), "%d", pid);
	remove_pid_dir(proc, name);
}

/* ---- /proc/self ---- */

static long self_readlink(struct vnode *vn, char *buf, size_t size)
{
	char pid[16];

	(void)vn;
	if (current == NULL)
		return -ENOENT;
	fmt_snprintf(pid, sizeof(pid), "%d", current->pid);
	return procfs_link_text(pid, buf, size);
}

static const struct vnode_ops self_vops = { .readlink = self_readlink };

static int make_self_links(struct vnode *proc)
{
	const struct cred root = { 0 };
	int err;

	err = procfs_add_node(proc, "self", S_IFLNK | 0777, &self_vops, NULL,
			      &root);
	if (err == 0)
		err = procfs_add_node(proc, "thread-self", S_IFLNK | 0777,
				      &procfs_thread_self_vops, NULL, &root);
	return err;
}

int procfs_pid_init(void)
{
	procfs_set_proc_files(pid_files, PID_NFILES);
	return procfs_defer(make_deferred);
}
