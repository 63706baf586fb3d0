/* instance_cmd.c - the commands on detached instances: ps, logs, stop, kill, rm, wait (docs/instances.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"

/* -h or --help: print the command's usage line; 1 when it did. */
static int help(int argc, char **argv, const char *usage)
{
	if (argc < 2 || (strcmp(argv[1], "-h") && strcmp(argv[1], "--help")))
		return 0;
	printf("usage: kiln %s\n", usage);
	return 1;
}

/* "Up 5 seconds", "Exited (3) 2 minutes ago", "Exited (unknown): ..." */
static void ago(char *out, size_t n, long long secs, const char *pre,
		const char *post)
{
	if (secs < 60)
		snprintf(out, n, "%s%lld second%s%s", pre, secs,
			 secs == 1 ? "" : "s", post);
	else if (secs < 3600)
		snprintf(out, n, "%s%lld minute%s%s", pre, secs / 60,
			 secs / 60 == 1 ? "" : "s", post);
	else
		snprintf(out, n, "%s%lld hour%s%s", pre, secs / 3600,
			 secs / 3600 == 1 ? "" : "s", post);
}

static int describe(const char *dir, char *out, size_t n)
{
	char st[32], created[32], path[4500], pre[64];
	struct stat sb;
	long long now = (long long)time(NULL);

	kiln_read_line(dir, "status", st, sizeof(st));
	kiln_read_line(dir, "created", created, sizeof(created));
	if (st[0]) {
		snprintf(path, sizeof(path), "%s/status", dir);
		snprintf(pre, sizeof(pre), "Exited (%s) ", st);
		ago(out, n, stat(path, &sb) ? 0 : now - (long long)sb.st_mtime,
		    pre, " ago");
		return 0;
	}
	if (instance_monitor(dir)) {
		ago(out, n, now - atoll(created), "Up ", "");
		return 1;
	}
	snprintf(out, n, "Exited (unknown): its monitor died");
	return 0;
}

int cmd_ps(int argc, char **argv)
{
	char root[4096], dir[4400], name[256], image[4096], ports[1024];
	char status[128];
	struct dirent *e;
	int all = argc > 1 && !strcmp(argv[1], "-a"), err;
	DIR *d;
	if (help(argc, argv, "ps [-a]"))
		return 0;

	if (argc > 1 + all)
		return kiln_usage_error("ps", "unknown option", argv[1 + all]);
	err = instance_state_root(root, sizeof(root));
	if (err)
		return err;
	printf("%-12s  %-16s  %-24s  %-28s  %s\n", "ID", "NAME", "IMAGE",
	       "STATUS", "PORTS");
	d = opendir(root);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		if (!describe(dir, status, sizeof(status)) && !all)
			continue;
		kiln_read_line(dir, "name", name, sizeof(name));
		kiln_read_line(dir, "image", image, sizeof(image));
		kiln_read_line(dir, "ports", ports, sizeof(ports));
		printf("%-12s  %-16s  %-24s  %-28s  %s\n", e->d_name, name,
		       image, status, ports);
	}
	if (d)
		closedir(d);
	return 0;
}

/* Copy the log from *off to stdout; returns 0, or -1 without a log. */
static int copy_log(const char *dir, off_t *off)
{
	char path[4500], buf[65536];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	lseek(fd, *off, SEEK_SET);
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)got, stdout);
		*off += got;
	}
	fflush(stdout);
	close(fd);
	return 0;
}

/* KEY as the one argument after options; 0, or the usage status. */
static int one_key(const char *cmd, int argc, int i)
{
	if (i != argc - 1)
		return kiln_usage_error(cmd, "want one NAME", NULL);
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	char dir[4400];
	int follow = argc > 2 && !strcmp(argv[1], "-f");
	int err = one_key("logs", argc, 1 + follow);
	off_t off = 0;
	if (help(argc, argv, "logs [-f] NAME"))
		return 0;

	if (!err)
		err = instance_find(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	copy_log(dir, &off);
	while (follow && instance_running(dir)) {
		usleep(200000);
		copy_log(dir, &off);
	}
	if (follow)
		copy_log(dir, &off);
	return 0;
}

/* Wait up to secs (< 0: for ever) for the status; 1 when it came. */
static int wait_status(const char *dir, double secs)
{
	for (double t = 0; secs < 0 || t < secs; t += 0.1) {
		if (!instance_running(dir))
			return 1;
		usleep(100000);
	}
	return !instance_running(dir);
}

int cmd_stop(int argc, char **argv)
{
	char dir[4400], *end;
	double secs = 10;
	int i = 1, mon, err;
	if (help(argc, argv, "stop [-t SECONDS] NAME"))
		return 0;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		secs = strtod(argv[2], &end);
		if (*end || end == argv[2] || !(secs >= 0 && secs < 1e7))
			return kiln_usage_error("stop", "bad -t", argv[2]);
		i = 3;
	}
	err = one_key("stop", argc, i);
	if (!err)
		err = instance_find(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	mon = instance_running(dir) ? instance_monitor(dir) : 0;
	if (mon) {
		kill(mon, SIGTERM); /* forwarded to the app */
		if (!wait_status(dir, secs)) {
			instance_kill_vm(dir);
			wait_status(dir, 10);
		}
	}
	printf("%s\n", argv[argc - 1]);
	return 0;
}

static int signal_number(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = { { "HUP", SIGHUP },
		      { "INT", SIGINT },
		      { "QUIT", SIGQUIT },
		      { "TERM", SIGTERM },
		      { "KILL", SIGKILL } };

	char *end;
	long n;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	/* the whole word, in range: atoi took "1x" and 2^32+1 for 1 (HUP) */
	n = strtol(s, &end, 10);
	if (end == s || *end)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == names[i].sig)
			return names[i].sig;
	return -1;
}

int cmd_kill(int argc, char **argv)
{
	char dir[4400];
	int sig = SIGKILL, i = 1, err, mon;
	if (help(argc, argv, "kill [-s HUP|INT|QUIT|TERM|KILL] NAME"))
		return 0;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		sig = signal_number(argv[2]);
		if (sig < 0)
			return kiln_usage_error(
				"kill", "-s takes HUP, INT, QUIT, TERM or KILL",
				argv[2]);
		i = 3;
	}
	err = one_key("kill", argc, i);
	if (!err)
		err = instance_find(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	mon = instance_running(dir) ? instance_monitor(dir) : 0;
	if (!mon) {
		kiln_err("%s: not running", argv[argc - 1]);
		return KILN_EXIT_FAIL;
	}
	if (sig == SIGKILL)
		instance_kill_vm(dir);
	else
		kill(mon, sig); /* the monitor forwards it to the app */
	printf("%s\n", argv[argc - 1]);
	return 0;
}

/* Remove one instance: 0, or the status after one line. */
static int rm_one(const char *key, int force)
{
	static const char *const files[] = {
		"name",	  "image", "ports",	  "created", "status",
		"killed", "log",   "monitor.pid", "volumes"
	};
	char dir[4400], path[4500];
	int err = instance_find(key, dir, sizeof(dir));

	if (err)
		return err;
	if (instance_running(dir)) {
		if (!force) {
			kiln_err("%s: is running (kiln stop it, or rm -f)",
				 key);
			return KILN_EXIT_FAIL;
		}
		instance_kill_vm(dir);
		wait_status(dir, 10);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	if (rmdir(dir) < 0)
		return kiln_file_error(dir, -errno);
	printf("%s\n", key);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	int force = argc > 1 && !strcmp(argv[1], "-f"), ret = 0;
	if (help(argc, argv, "rm [-f] NAME..."))
		return 0;

	if (argc < 2 + force)
		return kiln_usage_error("rm", "want NAME...", NULL);
	for (int i = 1 + force; i < argc; i++) {
		int err = rm_one(argv[i], force);

		if (err)
			ret = err;
	}
	return ret;
}

int cmd_wait(int argc, char **argv)
{
	char dir[4400], st[32];
	int err = one_key("wait", argc, 1);
	if (help(argc, argv, "wait NAME"))
		return 0;

	if (!err)
		err = instance_find(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	wait_status(dir, -1);
	kiln_read_line(dir, "status", st, sizeof(st));
	printf("%s\n", st[0] ? st : "unknown");
	return 0;
}
