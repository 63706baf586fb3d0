/* instance.h - detached instances: state directories and the monitor (cli/instance.c). */
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

int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);

#endif
