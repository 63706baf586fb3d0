/* procfs_task.c - the threads of a process in /proc: /proc/PID/comm, /proc/PID/task/TID/{comm,stat,status}, /proc/thread-self. */
#include "linux/procfs_task.h"

#include <asm-generic/errno.h>
#include <linux/stat.h>

#include "core/sched.h"
#include "fs/procfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"

/*
 * As in /proc/PID, nodes name a thread by its id, never by a pointer: a
 * node that outlives its thread finds nothing (-ESRCH). Thread ids are
 * never reused, but the first thread's is the process's pid: task/PID
 * and /proc/PID/comm name the process's first thread, and stay while
 * the process does (Linux keeps a group leader that ended until the
 * group is reaped). /proc/PID/comm and task/ are real nodes; task/TID
 * and its files are made by lookup (VN_TRANSIENT).
 *
 *   vn->priv:  PROCFS_PRIV(tid, what)   (what: TASK_* below)
 */
enum { TASK_COMM, TASK_STAT, TASK_STATUS, TASK_NFILES, TASK_DIR, TID_DIR };

static const char *const task_files[TASK_NFILES] = {
	[TASK_COMM] = "comm",
	[TASK_STAT] = "stat",
	[TASK_STATUS] = "status",
};

/*
 * The thread tid and its process: false when gone. *tp is NULL for a
 * process whose first thread (tid == pid) has ended.
 */
static bool task_of(int tid, struct proc **pp, struct thread **tp)
{
	struct thread *t = thread_find(tid);

	*tp = t;
	*pp = t ? t->proc : proc_find(tid);
	return *pp != NULL;
}

/* tid is a thread of p (its first one whenever p exists). */
static bool task_in(struct proc *p, int tid)
{
	struct thread *t = thread_find(tid);

	return tid == p->pid || (t && t->proc == p);
}

/* ---- comm: read and written while open, as Linux's comm_show/write ---- */

static long comm_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	char text[PROC_COMM_LEN + 1];
	struct proc *p;
	struct thread *t;
	const char *name;
	size_t len;

	if (!task_of(PROCFS_PRIV_ID(f->vn), &p, &t))
		return -ESRCH;
	name = task_comm(p, t);
	len = strlen(name);
	memcpy(text, name, len);
	text[len++] = '\n';
	if (*pos >= len)
		return 0;
	if (n > len - *pos)
		n = len - *pos;
	memcpy(buf, text + *pos, n);
	*pos += n;
	return (long)n;
}

/*
 * The first 15 bytes (up to a NUL) name the thread, whatever the offset;
 * the whole write counts as done. Only the thread's own process may
 * (-EINVAL for any other, as Linux).
 */
static long comm_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	char name[PROC_COMM_LEN] = { 0 };
	struct proc *p;
	struct thread *t;

	(void)pos;
	if (!task_of(PROCFS_PRIV_ID(f->vn), &p, &t))
		return -ESRCH;
	if (p != current)
		return -EINVAL;
	memcpy(name, buf, n < sizeof(name) - 1 ? n : sizeof(name) - 1);
	if (t)
		thread_set_comm(t, name);
	else
		proc_set_comm(p, name);
	return (long)n;
}

static const struct file_ops comm_ops = {
	.read = comm_read,
	.write = comm_write,
	.seekable = true,
};

/* ---- stat and status: texts made at open ---- */

struct task_view {
	size_t (*gen)(struct proc *p, struct thread *t, char *buf, size_t size);
	struct proc *p;
	struct thread *t;
};

static size_t task_view_gen(void *ctx, char *buf, size_t size)
{
	const struct task_view *v = ctx;

	return v->gen(v->p, v->t, buf, size);
}

static int task_file_open(struct vnode *vn, struct file *f)
{
	struct task_view v = { procfs_task_status, NULL, NULL };

	if (!task_of(PROCFS_PRIV_ID(vn), &v.p, &v.t))
		return -ESRCH;
	if (PROCFS_PRIV_WHAT(vn) == TASK_COMM) {
		f->ops = &comm_ops;
		return 0;
	}
	if (PROCFS_PRIV_WHAT(vn) == TASK_STAT)
		v.gen = procfs_task_stat;
	return procfs_open_text(f, task_view_gen, &v);
}

static const struct vnode_ops task_file_vops = { .open = task_file_open };

/* ---- task/TID: a directory of the three files ---- */

/* A node of p's for lookup to hand out, owned as Linux would. */
static struct vnode *task_node(struct proc *p, uint32_t mode,
			       const struct vnode_ops *ops, void *priv)
{
	return procfs_transient_node(mode, ops, priv,
				     procfs_pid_owner(p, mode));
}

static struct vnode *tid_dir_lookup(struct vnode *dir, const char *name)
{
	int tid = PROCFS_PRIV_ID(dir);
	struct proc *p;
	struct thread *t;

	if (!task_of(tid, &p, &t))
		return NULL;
	for (unsigned int i = 0; i < TASK_NFILES; i++)
		if (strcmp(name, task_files[i]) == 0)
			return task_node(
				p, S_IFREG | (i == TASK_COMM ? 0644 : 0444),
				&task_file_vops, PROCFS_PRIV(tid, i));
	return NULL;
}

static int tid_dir_readdir(struct vnode *dir, uint64_t idx, char *name,
			   size_t size, uint64_t *ino, unsigned int *type)
{
	if (idx >= TASK_NFILES)
		return 0;
	strlcpy(name, task_files[idx], size);
	*ino = 0x300000 + ((uint64_t)PROCFS_PRIV_ID(dir) << 4) + idx;
	*type = 8; /* DT_REG */
	return 1;
}

static const struct vnode_ops tid_dir_vops = {
	.lookup = tid_dir_lookup,
	.readdir = tid_dir_readdir,
};

/* ---- task/: one directory per thread ---- */

struct tid_scan {
	struct proc *p;
	uint64_t left;
	int tid;
};

static void tid_scan_one(struct thread *t, void *ctx)
{
	struct tid_scan *s = ctx;

	if (s->tid == 0 && t->proc == s->p && t->tid != s->p->pid &&
	    --s->left == 0)
		s->tid = t->tid;
}

/*
 * The idx-th (from 0) of p's thread ids: the first thread's (pid) always
 * first, then the others in the system's thread-list order (Linux lists
 * the leader first, then the thread group's list); 0 past the end. One
 * pass over the system's threads per entry, as the fd directory's walk:
 * readdir is asked once per entry.
 */
static int nth_tid(struct proc *p, uint64_t idx)
{
	struct tid_scan s = { p, idx, 0 };

	if (idx == 0)
		return p->pid;
	thread_for_each(tid_scan_one, &s);
	return s.tid;
}

static struct vnode *task_dir_lookup(struct vnode *dir, const char *name)
{
	struct proc *p;
	struct thread *t;
	struct vnode *vn;
	int tid = procfs_name_to_int(name);

	if (tid <= 0 || !task_of(PROCFS_PRIV_ID(dir), &p, &t) ||
	    !task_in(p, tid))
		return NULL;
	vn = task_node(p, S_IFDIR | 0555, &tid_dir_vops,
		       PROCFS_PRIV(tid, TID_DIR));
	if (vn != NULL)
		vn->parent = vnode_get(dir);
	return vn;
}

static int task_dir_readdir(struct vnode *dir, uint64_t idx, char *name,
			    size_t size, uint64_t *ino, unsigned int *type)
{
	struct proc *p;
	struct thread *t;
	int tid;

	if (!task_of(PROCFS_PRIV_ID(dir), &p, &t))
		return 0;
	tid = nth_tid(p, idx);
	if (tid == 0)
		return 0;
	fmt_snprintf(name, size, "%d", tid);
	*ino = 0x300000 + ((uint64_t)tid << 4) + TID_DIR;
	*type = 4; /* DT_DIR */
	return 1;
}

static const struct vnode_ops task_dir_vops = {
	.lookup = task_dir_lookup,
	.readdir = task_dir_readdir,
};

/* ---- In /proc/PID, and /proc/thread-self ---- */

int procfs_task_add(struct vnode *dir, struct proc *p)
{
	int err = procfs_add_node(dir, "comm", S_IFREG | 0644, &task_file_vops,
				  PROCFS_PRIV(p->pid, TASK_COMM), &p->cred);

	if (!err)
		err = procfs_add_node(dir, "task", S_IFDIR | 0555,
				      &task_dir_vops,
				      PROCFS_PRIV(p->pid, TASK_DIR), &p->cred);
	return err;
}

void procfs_task_remove(struct vnode *dir)
{
	vfs_dir_unlink(dir, "comm");
	vfs_dir_unlink(dir, "task");
}

static long thread_self_readlink(struct vnode *vn, char *buf, size_t size)
{
	char text[32];

	(void)vn;
	if (current == NULL || current_thread == NULL)
		return -ENOENT;
	fmt_snprintf(text, sizeof(text), "%d/task/%d", current->pid,
		     current_thread->tid);
	return procfs_link_text(text, buf, size);
}

const struct vnode_ops procfs_thread_self_vops = {
	.readlink = thread_self_readlink,
};
