/* procfs.h - /proc internals: the generators of its files' text. */
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
size_t procfs_maps(char *buf, size_t size);
size_t procfs_cmdline(char *buf, size_t size);
size_t procfs_environ(char *buf, size_t size);
size_t procfs_status(char *buf, size_t size);
size_t procfs_pid_stat(char *buf, size_t size);
size_t procfs_comm(char *buf, size_t size);

/*
 * What /proc/1/cmdline and /proc/1/environ show: NUL-separated strings
 * (each one NUL-terminated), copied. The program loader calls these once
 * it has built argv and envp. 0 or -ENOMEM.
 */
int procfs_set_cmdline(const char *args, size_t len);
int procfs_set_environ(const char *envs, size_t len);
/* Both at once from NULL-terminated vectors (what exec_load receives). */
int procfs_set_args(const char *const *argv, const char *const *envp);

/*
 * snprintf appending at buf + *len; *len keeps counting the full length
 * even past size, so generators can report how much they needed.
 */
void procfs_put(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
