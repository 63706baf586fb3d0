/* runtime_ops.c - the runtime's commands on an existing container: state, start, kill, delete, ps; and features. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

static size_t children_of(int pid, int *out, size_t max)
{
	char path[96];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%d", &out[n]) == 1)
		n++;
	fclose(f);
	return n;
}

/*
 * End the VM: the monitor first (so the shim sees SIGKILL, 137, rather
 * than the monitor reporting QEMU's death), then QEMU, which would
 * outlive it.
 */
static void kill_vm(int mon)
{
	int kids[8];
	size_t n = children_of(mon, kids, 8);

	kill(mon, SIGKILL);
	for (size_t i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
}

/* ---- the commands ---- */

int rt_state(struct rt *rt, const char *id)
{
	struct json_object *o;
	char bundle[4096], rootfs[4200], created[64];
	const char *status;
	int err = rt_existing(rt, id), pid;

	if (err)
		return err;
	status = rt_status(rt, &pid);
	rt_read(rt, "bundle", bundle, sizeof(bundle));
	rt_read(rt, "rootfs", rootfs, sizeof(rootfs));
	rt_read(rt, "created", created, sizeof(created));
	o = json_object_new_object();
	json_object_object_add(o, "ociVersion",
			       json_object_new_string(RT_OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "bundle", json_object_new_string(bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(rootfs));
	json_object_object_add(o, "created", json_object_new_string(created));
	json_object_object_add(o, "owner", json_object_new_string(""));
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

/*
 * Let the monitor go: it is blocked opening start.fifo for writing; our
 * reader lets the open finish and the monitor writes one byte back.
 */
int rt_start(struct rt *rt, const char *id)
{
	char fifo[4600], c;
	const char *status;
	int err = rt_existing(rt, id), pid, fd, ok = 0;

	if (err)
		return err;
	status = rt_status(rt, &pid);
	if (strcmp(status, "created"))
		return rt_err(rt, "cannot start a container that is %s (%s)",
			      status, id);
	snprintf(fifo, sizeof(fifo), "%s/start.fifo", rt->dir);
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return rt_err(rt, "%s: %s", fifo, strerror(errno));
	/* 30 s: the monitor only has to wake up, but the machine is busy */
	for (int i = 0; i < 300 && !ok; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) == 1 && read(fd, &c, 1) == 1)
			ok = 1;
		else if (!rt_monitor_alive(rt))
			break;
	}
	close(fd);
	if (!ok)
		return rt_err(rt, "cannot start %s: its monitor is gone", id);
	unlink(fifo);
	return 0;
}

/* "TERM", "SIGTERM" or "15" -> 15; -1 when unknown. */
static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = { { "HUP", SIGHUP },   { "INT", SIGINT },
		      { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		      { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		      { "TERM", SIGTERM }, { "WINCH", SIGWINCH } };
	char *end;
	long n = strtol(s, &end, 10);

	if (end != s && !*end)
		return n > 0 && n < 65 ? (int)n : -1;
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	return -1;
}

int rt_kill(struct rt *rt, const char *id, const char *signame)
{
	int err = rt_existing(rt, id), pid, sig;

	if (err)
		return err;
	sig = parse_signal(signame ? signame : "TERM");
	if (sig < 0)
		return rt_err(rt, "%s: unknown signal", signame);
	if (!strcmp(rt_status(rt, &pid), "stopped"))
		return rt_err(rt, "container not running");
	/*
	 * The monitor forwards HUP, INT, QUIT and TERM to the app over the
	 * signal channel (docs/instances.md); before start they end it.
	 */
	if (sig == SIGKILL)
		kill_vm(pid);
	else if (sig == SIGHUP || sig == SIGINT || sig == SIGQUIT ||
		 sig == SIGTERM)
		kill(pid, sig);
	else
		return rt_err(rt,
			      "signal %d cannot reach the app of a Kiln VM "
			      "(HUP, INT, QUIT, TERM and KILL can)",
			      sig);
	return 0;
}

/* Remove the state directory (plain files only: kiln made them all). */
int rt_remove_dir(const struct rt *rt)
{
	DIR *d = opendir(rt->dir);
	struct dirent *e;

	if (!d)
		return rt_err(rt, "%s: %s", rt->dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	if (rmdir(rt->dir) < 0)
		return rt_err(rt, "%s: %s", rt->dir, strerror(errno));
	return 0;
}

int rt_delete(struct rt *rt, const char *id, int force)
{
	const char *status;
	int err = rt_existing(rt, id), pid;

	if (err)
		return err;
	status = rt_status(rt, &pid);
	/* as runc: a created container goes without --force, a running one not */
	if (!strcmp(status, "running") && !force)
		return rt_err(rt,
			      "cannot delete container %s that is not stopped: "
			      "running",
			      id);
	if (pid) {
		kill_vm(pid);
		for (int i = 0; i < 100 && rt_monitor_alive(rt); i++)
			usleep(50000);
	}
	return rt_remove_dir(rt);
}

int rt_ps(struct rt *rt, const char *id, const char *format)
{
	int err = rt_existing(rt, id), pid, kids[8];
	size_t n = 0;

	if (err)
		return err;
	if (strcmp(format, "json") && strcmp(format, "table"))
		return rt_err(rt, "%s: unknown --format", format);
	rt_status(rt, &pid);
	if (pid)
		n = children_of(pid, kids, 8);
	if (!strcmp(format, "table")) {
		printf("PID\n");
		if (pid)
			printf("%d\n", pid);
		for (size_t i = 0; i < n; i++)
			printf("%d\n", kids[i]);
		return 0;
	}
	printf("[");
	if (pid)
		printf("%d", pid);
	for (size_t i = 0; i < n; i++)
		printf(",%d", kids[i]);
	printf("]\n");
	return 0;
}

/* runc features (runtime-spec features.md): honestly, almost nothing. */
int rt_features(void)
{
	printf("{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"%s\","
	       "\"hooks\":[],\"mountOptions\":[],"
	       "\"linux\":{\"namespaces\":[],\"capabilities\":[],"
	       "\"cgroup\":{\"v1\":false,\"v2\":false,\"systemd\":false,"
	       "\"systemdUser\":false},\"seccomp\":{\"enabled\":false},"
	       "\"apparmor\":{\"enabled\":false},"
	       "\"selinux\":{\"enabled\":false}},"
	       "\"annotations\":{\"org.kiln.runtime\":\"a Kiln VM per "
	       "container\"}}\n",
	       RT_OCI_VERSION);
	return 0;
}
