/* instance.c - detached instances (kiln run -d): one state directory each, and a monitor that records the status (docs/instances.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"
#include "vm.h"

#define ID_LEN 12

static char inst_dir[4200]; /* the monitor's own directory */

/* $XDG_RUNTIME_DIR/kiln, /run/user/UID/kiln, or /tmp/kiln-UID (0700). */
static int state_root(char *out, size_t n)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	char base[4096];
	struct stat st;

	if (x && x[0] == '/')
		snprintf(out, n, "%s/kiln", x);
	else {
		snprintf(base, sizeof(base), "/run/user/%u",
			 (unsigned)getuid());
		if (stat(base, &st) == 0 && st.st_uid == getuid())
			snprintf(out, n, "%s/kiln", base);
		else
			snprintf(out, n, "/tmp/kiln-%u", (unsigned)getuid());
	}
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return kiln_file_error(out, -errno);
	/* Someone else's directory under /tmp must not hold our state. */
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077)) {
		kiln_err("%s: not a private directory of this user", out);
		return KILN_EXIT_FAIL;
	}
	return 0;
}

static int write_small(const char *dir, const char *file, const char *s)
{
	char path[4500];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return kiln_write_atomic(path, s, strlen(s));
}

/*
 * Find the instance whose name or id (or id prefix) is key; its directory
 * into out. 0, or the status after one line.
 */
static int find_instance(const char *key, char *out, size_t n)
{
	char root[4096], dir[4400], name[256];
	struct dirent *e;
	DIR *d;
	int found = 0, err = state_root(root, sizeof(root));

	if (err)
		return err;
	d = opendir(root);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		kiln_read_line(dir, "name", name, sizeof(name));
		if (!strcmp(name, key) ||
		    (strlen(key) >= 4 &&
		     !strncmp(e->d_name, key, strlen(key)))) {
			snprintf(out, n, "%s", dir);
			found++;
		}
	}
	if (d)
		closedir(d);
	if (found == 1)
		return 0;
	kiln_err("%s: %s", key,
		 found ? "more than one instance matches" : "no such instance");
	return KILN_EXIT_FAIL;
}

/* The monitor's pid when it is alive and is this kiln binary, else 0. */
static int monitor_alive(const char *dir)
{
	char buf[64], path[64], exe[4096], self[4096];
	ssize_t len, slen;
	int pid;

	kiln_read_line(dir, "monitor.pid", buf, sizeof(buf));
	pid = atoi(buf);
	if (pid <= 0 || kill(pid, 0) < 0)
		return 0;
	/* A reused pid is not ours: the process must run this binary. */
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	len = readlink(path, exe, sizeof(exe) - 1);
	slen = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0 || len != slen || memcmp(exe, self, (size_t)len))
		return 0;
	return pid;
}

/* QEMU: the monitor's one child (0 when none). */
static int qemu_of(int monitor)
{
	char path[96], buf[64];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", monitor,
		 monitor);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		pid = atoi(buf);
	fclose(f);
	return pid;
}

/* End the VM now: QEMU gets SIGKILL; the monitor records 137. */
static void kill_vm(const char *dir)
{
	int mon = monitor_alive(dir), q = mon ? qemu_of(mon) : 0;

	write_small(dir, "killed", "1\n");
	if (q > 0)
		kill(q, SIGKILL);
	else if (mon > 0)
		kill(mon, SIGKILL);
}

static int is_running(const char *dir)
{
	char st[32];

	kiln_read_line(dir, "status", st, sizeof(st));
	return !st[0] && monitor_alive(dir);
}

static int name_taken(const char *root, const char *name)
{
	char dir[4400], other[256];
	struct dirent *e;
	DIR *d = opendir(root);
	int taken = 0;

	while (d && !taken && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		kiln_read_line(dir, "name", other, sizeof(other));
		taken = !strcmp(other, name);
	}
	if (d)
		closedir(d);
	return taken;
}

static void make_id(char *id)
{
	unsigned char r[ID_LEN / 2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(rand() ^ getpid() ^ time(NULL));
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(r); i++)
		sprintf(id + 2 * i, "%02x", r[i]);
}

/* Make ROOT/ID with its name, image, ports and creation time. */
static int make_instance(const char *name, const char *image,
			 const struct strvec *ports, char *id)
{
	char root[4096], buf[4096];
	int err = state_root(root, sizeof(root));

	if (err)
		return err;
	if (name && name_taken(root, name)) {
		kiln_err("%s: the name is in use (kiln rm it first)", name);
		return KILN_EXIT_FAIL;
	}
	make_id(id);
	snprintf(inst_dir, sizeof(inst_dir), "%s/%s", root, id);
	if (mkdir(inst_dir, 0700) < 0)
		return kiln_file_error(inst_dir, -errno);
	snprintf(buf, sizeof(buf), "%s\n", name ? name : id);
	write_small(inst_dir, "name", buf);
	snprintf(buf, sizeof(buf), "%s\n", image);
	write_small(inst_dir, "image", buf);
	instance_set_ports(ports);
	snprintf(buf, sizeof(buf), "%lld\n", (long long)time(NULL));
	write_small(inst_dir, "created", buf);
	return 0;
}

void instance_set_ports(const struct strvec *ports)
{
	char buf[4096];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ports->n && off < sizeof(buf) - 64; i++) {
		char proto[4];
		unsigned host, guest;

		/* run_net.c's QEMU hostfwd rule, shown as docker ps does. */
		if (sscanf(ports->v[i], "%3[a-z]:127.0.0.1:%u-:%u", proto,
			   &host, &guest) != 3)
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
					"%s127.0.0.1:%u->%u/%s",
					off ? ", " : "", host, guest, proto);
	}
	strcat(buf, "\n");
	write_small(inst_dir, "ports", buf);
}

void instance_set_volumes(const struct strvec *names)
{
	struct kbuf b = { 0 };

	for (size_t i = 0; i < names->n; i++) {
		kbuf_append(&b, names->v[i], strlen(names->v[i]));
		kbuf_append(&b, "\n", 1);
	}
	kbuf_append(&b, "", 1);
	write_small(inst_dir, "volumes", (const char *)b.data);
	kbuf_free(&b);
}

/* Whether the file dir/volumes lists volume on a line of its own. */
static int lists_volume(const char *dir, const char *volume)
{
	char path[4600], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/volumes", dir);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = !strcmp(line, volume);
	}
	if (f)
		fclose(f);
	return found;
}

int instance_users(const char *volume, char *out, size_t n)
{
	char root[4096], dir[4400], name[256];
	struct dirent *e;
	size_t off = 0;
	int count = 0;
	DIR *d;

	out[0] = '\0';
	/* Quietly: no state directory means no instances. */
	if (state_root(root, sizeof(root)) != 0)
		return 0;
	d = opendir(root);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		if (!lists_volume(dir, volume) || !is_running(dir))
			continue;
		kiln_read_line(dir, "name", name, sizeof(name));
		if (off < n)
			off += (size_t)snprintf(out + off, n - off, "%s%s",
						count ? "," : "", name);
		count++;
	}
	if (d)
		closedir(d);
	return count;
}

int instance_detach(const char *name, const char *image,
		    const struct strvec *ports)
{
	char id[ID_LEN + 1], path[4500], buf[32];
	int err = make_instance(name, image, ports, id), st, pid, fd;

	if (err)
		return INSTANCE_PARENT + err;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return INSTANCE_PARENT + kiln_file_error("fork", -errno);
	if (pid > 0) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		printf("%s\n", id);
		return INSTANCE_PARENT + 0;
	}
	/*
	 * The first child: a new session, then the monitor, then gone. It
	 * records the monitor's pid before it exits, so the id is printed
	 * only once `kiln wait`, ps and stop can find the monitor (the
	 * monitor writing it itself raced a `kiln wait` run at once).
	 */
	setsid();
	pid = fork();
	if (pid != 0) {
		if (pid > 0) {
			snprintf(buf, sizeof(buf), "%d\n", pid);
			write_small(inst_dir, "monitor.pid", buf);
		}
		_exit(0);
	}
	snprintf(path, sizeof(path), "%s/log", inst_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int instance_stopped(void)
{
	char killed[8];

	kiln_read_line(inst_dir, "killed", killed, sizeof(killed));
	return killed[0] || vm_term_seen();
}

void instance_finish(int status)
{
	char buf[32], killed[8];

	kiln_read_line(inst_dir, "killed", killed, sizeof(killed));
	/* Ended by kill or stop: the VM's end is the status docker gives. */
	if (killed[0] && status == KILN_EXIT_VMFAIL)
		status = 137;
	snprintf(buf, sizeof(buf), "%d\n", status);
	write_small(inst_dir, "status", buf);
}

/* ---- the commands ---- */

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
	if (monitor_alive(dir)) {
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
	err = state_root(root, sizeof(root));
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
		err = find_instance(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	copy_log(dir, &off);
	while (follow && is_running(dir)) {
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
		if (!is_running(dir))
			return 1;
		usleep(100000);
	}
	return !is_running(dir);
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
		err = find_instance(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	mon = is_running(dir) ? monitor_alive(dir) : 0;
	if (mon) {
		kill(mon, SIGTERM); /* forwarded to the app */
		if (!wait_status(dir, secs)) {
			kill_vm(dir);
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
		err = find_instance(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	mon = is_running(dir) ? monitor_alive(dir) : 0;
	if (!mon) {
		kiln_err("%s: not running", argv[argc - 1]);
		return KILN_EXIT_FAIL;
	}
	if (sig == SIGKILL)
		kill_vm(dir);
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
	int err = find_instance(key, dir, sizeof(dir));

	if (err)
		return err;
	if (is_running(dir)) {
		if (!force) {
			kiln_err("%s: is running (kiln stop it, or rm -f)",
				 key);
			return KILN_EXIT_FAIL;
		}
		kill_vm(dir);
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
		err = find_instance(argv[argc - 1], dir, sizeof(dir));
	if (err)
		return err;
	wait_status(dir, -1);
	kiln_read_line(dir, "status", st, sizeof(st));
	printf("%s\n", st[0] ? st : "unknown");
	return 0;
}

int instance_using(const char *image, char *name, size_t n)
{
	char root[4096], dir[4400], img[4096];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (state_root(root, sizeof(root)))
		return 0;
	d = opendir(root);
	while (d && !found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		kiln_read_line(dir, "image", img, sizeof(img));
		if (strcmp(img, image) || !is_running(dir))
			continue;
		kiln_read_line(dir, "name", name, n);
		found = 1;
	}
	if (d)
		closedir(d);
	return found;
}
