/* procfs.h - /proc: generated files, the system-wide generators, and where /proc is. */
#ifndef KILN_FS_PROCFS_H
#define KILN_FS_PROCFS_H

#include <stddef.h>

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

/* The /proc directory procfs_init filled (not referenced), or NULL. */
struct vnode *procfs_dir(void);

/*
 * snprintf appending at buf + *len; *len keeps counting the full length
 * even past size, so generators can report how much they needed.
 */
void procfs_put(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
