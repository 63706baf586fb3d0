/* procfs.h - /proc: generated files, the system-wide generators, and where /proc is. */
#ifndef KILN_FS_PROCFS_H
#define KILN_FS_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#include "fs/vfs.h"

/*
 * A generator writes its file's whole text into buf (at most size bytes,
 * like snprintf) and returns the length the text needs; /proc retries
 * with a bigger buffer when that is >= size. Text is made at open time.
 */
typedef size_t (*procfs_gen_fn)(char *buf, size_t size);

size_t procfs_cpuinfo(char *buf, size_t size);
size_t procfs_meminfo(char *buf, size_t size);
size_t procfs_uptime(char *buf, size_t size);
size_t procfs_version(char *buf, size_t size);
size_t procfs_mounts(char *buf, size_t size);
size_t procfs_filesystems(char *buf, size_t size);
size_t procfs_loadavg(char *buf, size_t size);
size_t procfs_stat(char *buf, size_t size);
/* The disks, as Linux lists them (fs/blkdev.c). */
size_t procfs_partitions(char *buf, size_t size);

/* A generated file: its name and what makes its text. */
struct procfs_entry {
	const char *name;
	procfs_gen_fn gen;
};

/*
 * Read-only files in dir, each with the text its gen makes at each open.
 * 0 or -ERRNO (-EEXIST, -ENOMEM); the files made before a failure stay.
 */
int procfs_add_files(struct vnode *dir, const struct procfs_entry *e, size_t n);

/*
 * Files of a process's directory (/proc/PID/status...): the generator
 * gets the process the directory is for. The personality registers its
 * table once; procfs_add_proc_files makes one file per entry in dir for
 * pid (opening one of a process that ended is -ESRCH), and
 * procfs_remove_proc_files unlinks them again.
 */
struct proc;
typedef size_t (*procfs_proc_gen_fn)(struct proc *p, char *buf, size_t size);
struct procfs_proc_entry {
	const char *name;
	procfs_proc_gen_fn gen;
};
void procfs_set_proc_files(const struct procfs_proc_entry *e, size_t n);
int procfs_add_proc_files(struct vnode *dir, int pid);
void procfs_remove_proc_files(struct vnode *dir);

/*
 * For a node with an open hook of its own: open f as a read-only file
 * whose text gen(ctx, ...) makes now (ctx is not kept). 0, -EACCES for
 * writing, -ENOMEM.
 */
typedef size_t (*procfs_ctx_gen_fn)(void *ctx, char *buf, size_t size);
int procfs_open_text(struct file *f, procfs_ctx_gen_fn gen, void *ctx);

/*
 * The nodes of /proc/PID name their process or thread by id, never by a
 * pointer, and say what they are in the low byte:
 *
 *   vn->priv:  id << 8 | what   (what < 256)
 */
#define PROCFS_PRIV(id, what) ((void *)(((uintptr_t)(id) << 8) | (what)))
#define PROCFS_PRIV_ID(vn) ((int)((uintptr_t)(vn)->priv >> 8))
#define PROCFS_PRIV_WHAT(vn) ((unsigned int)((uintptr_t)(vn)->priv & 0xff))

/*
 * A node name in dir with ops and priv, owned by owner's effective ids.
 * 0 or -ERRNO from vfs_create (-EEXIST, -ENOMEM).
 */
struct cred;
int procfs_add_node(struct vnode *dir, const char *name, uint32_t mode,
		    const struct vnode_ops *ops, void *priv,
		    const struct cred *owner);

/*
 * A node for a lookup hook to hand out (VN_TRANSIENT: referenced, freed
 * at its last put), owned by owner's effective ids, with no parent; NULL
 * when memory runs out.
 */
struct vnode *procfs_transient_node(uint32_t mode, const struct vnode_ops *ops,
				    void *priv, const struct cred *owner);

/*
 * The number a name of a numbered directory (fd/N, task/TID) spells:
 * decimal, no sign, no leading zero (but "0"), below 2^30; else -1.
 * name is the user's: any bytes.
 */
int procfs_name_to_int(const char *name);

/* readlink of a link whose target is the text s: cut to size, no NUL. */
long procfs_link_text(const char *s, char *buf, size_t size);

/* The /proc directory procfs_init filled (not referenced), or NULL. */
struct vnode *procfs_dir(void);

/*
 * Put off make(proc), what a layer above adds to /proc, until something
 * first looks into /proc (vfs_dir_populate): makers run in the order
 * they were given. When /proc is not a memory directory (a disk's, with
 * its own hooks) or no more can wait, the makers put off before run and
 * then make, now. 0, make's error when it ran now, or -ENOENT without
 * /proc. Boot only. An error of a maker run later leaves what it could
 * not make missing and is said on the console; the next makers still run.
 */
int procfs_defer(int (*make)(struct vnode *proc));

/*
 * snprintf appending at buf + *len; *len keeps counting the full length
 * even past size, so generators can report how much they needed.
 */
void procfs_put(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
