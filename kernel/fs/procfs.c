/* procfs.c - /proc: generated files and the system-wide tree (the per-process part is linux/procfs_pid.c). */
#include "fs/procfs.h"

#include <asm-generic/errno.h>
#include <asm/fcntl.h>
#include <linux/stat.h>

#include "core/cred.h"
#include "core/heap.h"
#include "core/printk.h"
#include "core/proc.h"
#include "lib/format.h"
#include "lib/string.h"

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
int procfs_open_text(struct file *f, procfs_ctx_gen_fn gen, void *ctx)
{
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
		len = gen(ctx, g->text, size);
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

static size_t run_gen(void *ctx, char *buf, size_t size)
{
	return ((procfs_gen_fn)ctx)(buf, size);
}

static int gen_open(struct vnode *vn, struct file *f)
{
	return procfs_open_text(f, run_gen, vn->priv);
}

static const struct vnode_ops gen_vops = { .open = gen_open };

/* ---- Per-process files: priv is pid << 8 | the generator's index ---- */

static const struct procfs_proc_entry *proc_gens;
static size_t nproc_gens;

void procfs_set_proc_files(const struct procfs_proc_entry *e, size_t n)
{
	proc_gens = e;
	nproc_gens = n;
}

struct proc_gen {
	procfs_proc_gen_fn gen;
	struct proc *p;
};

static size_t run_proc_gen(void *ctx, char *buf, size_t size)
{
	const struct proc_gen *pg = ctx;

	return pg->gen(pg->p, buf, size);
}

/* A process that was reaped has no files to read: -ESRCH. */
static int proc_gen_open(struct vnode *vn, struct file *f)
{
	struct proc_gen pg = { NULL, proc_find(PROCFS_PRIV_ID(vn)) };

	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	/* A zombie's stat and status stay readable until it is reaped. */
	if (pg.p == NULL || PROCFS_PRIV_WHAT(vn) >= nproc_gens)
		return -ESRCH;
	pg.gen = proc_gens[PROCFS_PRIV_WHAT(vn)].gen;
	return procfs_open_text(f, run_proc_gen, &pg);
}

static const struct vnode_ops proc_gen_vops = { .open = proc_gen_open };

int procfs_add_proc_files(struct vnode *dir, int pid)
{
	int err = 0;

	for (size_t i = 0; i < nproc_gens && err == 0; i++) {
		struct vnode *vn;

		err = vfs_create(dir, proc_gens[i].name, S_IFREG | 0444, &vn);
		if (err < 0)
			break;
		vn->ops = &proc_gen_vops;
		vn->priv = PROCFS_PRIV(pid, i);
		vnode_put(vn);
	}
	return err;
}

void procfs_remove_proc_files(struct vnode *dir)
{
	for (size_t i = 0; i < nproc_gens; i++)
		vfs_dir_unlink(dir, proc_gens[i].name);
}

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

int procfs_add_files(struct vnode *dir, const struct procfs_entry *e, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && err == 0; i++)
		err = add_file(dir, e[i].name, e[i].gen);
	return err;
}

/* ---- Helpers of the per-process directories (linux/procfs_*.c) ---- */

int procfs_add_node(struct vnode *dir, const char *name, uint32_t mode,
		    const struct vnode_ops *ops, void *priv,
		    const struct cred *owner)
{
	struct vnode *vn;
	int err = vfs_create(dir, name, mode, &vn);

	if (err < 0)
		return err;
	vn->ops = ops;
	vn->priv = priv;
	vn->uid = owner->euid;
	vn->gid = owner->egid;
	vnode_put(vn);
	return 0;
}

struct vnode *procfs_transient_node(uint32_t mode, const struct vnode_ops *ops,
				    void *priv, const struct cred *owner)
{
	struct vnode *vn = vnode_new(mode);

	if (vn == NULL)
		return NULL;
	vn->vflags = VN_TRANSIENT;
	vn->nlink = S_ISDIR(mode) ? 2 : 1;
	vn->uid = owner->euid;
	vn->gid = owner->egid;
	vn->ops = ops;
	vn->priv = priv;
	vn->parent = NULL;
	return vn;
}

int procfs_name_to_int(const char *name)
{
	long n = 0;
	const char *c;

	for (c = name; *c >= '0' && *c <= '9' && n < (1L << 30); c++)
		n = n * 10 + (*c - '0');
	if (c == name || *c != '\0' || n >= (1L << 30) ||
	    (name[0] == '0' && name[1] != '\0'))
		return -1;
	return (int)n;
}

long procfs_link_text(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s);

	if (n > size)
		n = size;
	memcpy(buf, s, n);
	return (long)n;
}

/* ---- The tree ---- */

static const struct procfs_entry proc_files[] = {
	{ "cpuinfo", procfs_cpuinfo },
	{ "meminfo", procfs_meminfo },
	{ "uptime", procfs_uptime },
	{ "version", procfs_version },
	{ "mounts", procfs_mounts },
	{ "filesystems", procfs_filesystems },
	{ "loadavg", procfs_loadavg },
	{ "stat", procfs_stat },
	{ "partitions", procfs_partitions },
};

static struct vnode *proc_dir; /* referenced */

int procfs_init(struct vnode *proc)
{
	int err = procfs_add_files(proc, proc_files,
				   sizeof(proc_files) / sizeof(proc_files[0]));

	if (err < 0)
		return err;
	vnode_put(proc_dir);
	proc_dir = vnode_get(proc);
	return 0;
}

struct vnode *procfs_dir(void)
{
	return proc_dir;
}

#define PROCFS_DEFERRED_MAX 4
static int (*deferred[PROCFS_DEFERRED_MAX])(struct vnode *proc);
static size_t ndeferred;

/*
 * Never asks to be run again: a maker is not idempotent (make_deferred
 * hands its pids over once), and a /proc/PID it could not make is
 * missing as one that failed at fork is (procfs_pid.c).
 */
static int procfs_populate(struct vnode *dir)
{
	if (dir != proc_dir)
		return 0;
	for (size_t i = 0; i < ndeferred; i++) {
		int err = deferred[i](dir); /* the next still runs */

		if (err < 0)
			printk("kiln: /proc: part of it not made (error %d)\n",
			       -err);
	}
	ndeferred = 0;
	return 0;
}

int procfs_defer(int (*make)(struct vnode *proc))
{
	if (proc_dir == NULL)
		return -ENOENT;
	if (proc_dir->ops != NULL || ndeferred == PROCFS_DEFERRED_MAX ||
	    vfs_dir_add_populate(procfs_populate) < 0) {
		/*
		 * The makers put off before run first, in order, and clear
		 * the flag: make_deferred, run while /proc is still flagged,
		 * would find an empty pending list and leave later pids
		 * waiting for a look that never makes them.
		 */
		vfs_dir_populate(proc_dir);
		return make(proc_dir);
	}
	deferred[ndeferred++] = make;
	proc_dir->vflags |= VN_POPULATE;
	return 0;
}
