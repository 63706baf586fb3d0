/* runtime.h - `kiln oci` / kiln-runtime: a runc-compatible OCI runtime for containerd's runc shim (docs/containers.md). */
#ifndef KILN_CLI_RUNTIME_H
#define KILN_CLI_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/* The runtime-spec version Kiln reads (config.json) and reports. */
#define RT_OCI_VERSION "1.0.2"

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
 * The state directory of the container id names (checked: runc's id
 * characters, no . or ..) into rt->dir; it must exist. 0, or the status
 * after one line ("container ID does not exist": the shim looks for it).
 */
int rt_existing(struct rt *rt, const char *id);
int rt_id_ok(const char *id);
/* The monitor's pid while it is alive and is the one create made, else 0. */
int rt_monitor_alive(const struct rt *rt);
/* "created" (start not yet called), "running" or "stopped"; *pid if alive. */
const char *rt_status(const struct rt *rt, int *pid);

/* runtime_ops.c: the commands; each 0, or the status after one line. */
int rt_state(struct rt *rt, const char *id);
int rt_start(struct rt *rt, const char *id);
int rt_kill(struct rt *rt, const char *id, const char *signame);
int rt_delete(struct rt *rt, const char *id, int force);
int rt_ps(struct rt *rt, const char *id, const char *format);
int rt_features(void);

/* What Kiln takes from config.json (runtime-spec config.md). */
struct rt_spec {
	struct strvec args, env;
	char *cwd, *root; /* root: the host directory, absolute */
	int64_t uid, gid, mem;
	int terminal;
	int readonly; /* root.readonly: kiln run --read-only */
};

/*
 * runtime_root.c: the root directory (whole) and s's process into a Kiln
 * image at rt->dir/image. 0, or the status after one line.
 */
int rt_make_image(const struct rt *rt, const struct rt_spec *s);

/*
 * runtime_create.c: `create [--bundle B] [--pid-file F] [--console-socket S]
 * ID`, its options already parsed. 0, or the exit status after one line.
 */
int rt_create(struct rt *rt, const char *bundle, const char *pid_file,
	      const char *console);

int cmd_oci(int argc, char **argv);

#endif
