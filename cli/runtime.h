/* runtime.h - `kiln oci` / kiln-runtime: a runc-compatible OCI runtime for containerd's runc shim (docs/containers.md). */
#ifndef KILN_CLI_RUNTIME_H
#define KILN_CLI_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/*
 * The global options runc takes before the command (go-runc passes
 * --root, --log, --log-format and --systemd-cgroup), and the container
 * the command is about.
 */
struct rt {
	char root[4096]; /* --root: one directory per container */
	const char *log; /* --log FILE, or NULL: errors on stderr only */
	int log_json;	 /* --log-format json */
	const char *id;	 /* the container id, checked */
	char dir[4400];	 /* root/id */
};

/*
 * rt_err: "kiln: MSG" on stderr and a level "error" record in the --log
 * file, whose last error the shim shows ("OCI runtime create failed:
 * MSG"). Returns KILN_EXIT_FAIL. rt_note: a level "warning" record in
 * the log only (stderr may be the container's).
 */
int rt_err(const struct rt *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rt_note(const struct rt *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A small state file of rt->dir: write (atomic) and read its first line. */
int rt_write(const struct rt *rt, const char *file, const char *s);
void rt_read(const struct rt *rt, const char *file, char *buf, size_t n);
/* Remove rt->dir and the files in it: 0, or the status after one line. */
int rt_remove_dir(const struct rt *rt);
/* The start time of pid (/proc/PID/stat field 22), or 0 when it is gone. */
unsigned long long rt_starttime(int pid);

/*
 * runtime_create.c: `create [--bundle B] [--pid-file F] [--console-socket S]
 * ID`, its options already parsed. 0, or the exit status after one line.
 */
int rt_create(struct rt *rt, const char *bundle, const char *pid_file,
	      const char *console);

int cmd_oci(int argc, char **argv);

#endif
