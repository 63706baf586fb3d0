/* instance.h - detached instances: state directories and the monitor (cli/instance.c), the commands on them (cli/instance_cmd.c). */
#ifndef KILN_CLI_INSTANCE_H
#define KILN_CLI_INSTANCE_H

#include <stddef.h>

#include "kiln.h"

/*
 * instance_detach: for `kiln run -d`: make the instance's directory
 * (name NAME, or none when NULL), print its id and double-fork. Returns
 * 0 in the monitor, which then runs the VM with stdout and stderr on the
 * instance's log and calls instance_finish with kiln's status; in the
 * caller it returns the status kiln exits with (+1000 so it is never 0:
 * the caller exits with ret - 1000). Errors are one line.
 */
#define INSTANCE_PARENT 1000
int instance_detach(const char *name, const char *image,
		    const struct strvec *ports);
void instance_finish(int status);
/* In the monitor: the instance's published ports, once -P chose them. */
void instance_set_ports(const struct strvec *forwards);
/* In the monitor: the named volumes (kiln volume) the instance mounts. */
void instance_set_volumes(const struct strvec *names);
/*
 * How many running instances mount the named volume; their names,
 * comma-separated, into out (cut at n bytes). Quiet: 0 on any error.
 */
int instance_users(const char *volume, char *out, size_t n);
/* In the monitor: kiln stop or kill asked the instance to end. */
int instance_stopped(void);

/*
 * 1 when a running instance was started from image (as run -d recorded
 * it), its name into name[0..n); else 0.
 */
int instance_using(const char *image, char *name, size_t n);

/*
 * The state the commands (instance_cmd.c) read, kept by instance.c:
 * instance_state_root: the directory holding one directory per
 * instance, $XDG_RUNTIME_DIR/kiln, /run/user/UID/kiln or /tmp/kiln-UID,
 * made private (0700) if missing; 0, or the status after one line.
 * instance_find: the directory of the instance named key, or whose id
 * starts with key (4 characters at least), into out; 0, or the status
 * after one line (none, or more than one). instance_monitor: the
 * monitor's pid when it is alive and runs this kiln binary, else 0.
 * instance_running: no status recorded yet and the monitor alive.
 * instance_kill_vm: end the VM at once (SIGKILL to QEMU, or to the
 * monitor when it has no QEMU); the monitor records 137.
 */
int instance_state_root(char *out, size_t n);
int instance_find(const char *key, char *out, size_t n);
int instance_monitor(const char *dir);
int instance_running(const char *dir);
void instance_kill_vm(const char *dir);

int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);

#endif
