/* instance.c - detached instances (kiln run -d): one state directory each, and a monitor that records the status (docs/instances.md); the commands are instance_cmd.c. */
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
int instance_state_root(char *out, size_t n)
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
int instance_find(const char *key, char *out, size_t n)
{
	char root[4096], dir[4400], name[256];
	struct dirent *e;
	DIR *d;
	int found = 0, err = instance_state_root(root, sizeof(root));

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
int instance_monitor(const char *dir)
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
void instance_kill_vm(const char *dir)
{
	int mon = instance_monitor(dir), q = mon ? qemu_of(mon) : 0;

	write_small(dir, "killed", "1\n");
	if (q > 0)
		kill(q, SIGKILL);
	else if (mon > 0)
		kill(mon, SIGKILL);
}

int instance_running(const char *dir)
{
	char st[32];

	kiln_read_line(dir, "status", st, sizeof(st));
	return !st[0] && instance_monitor(dir);
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
	int err = instance_state_root(root, sizeof(root));

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
	if (instance_state_root(root, sizeof(root)) != 0)
		return 0;
	d = opendir(root);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		if (!lists_volume(dir, volume) || !instance_running(dir))
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

int instance_using(const char *image, char *name, size_t n)
{
	char root[4096], dir[4400], img[4096];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (instance_state_root(root, sizeof(root)))
		return 0;
	d = opendir(root);
	while (d && !found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
		kiln_read_line(dir, "image", img, sizeof(img));
		if (strcmp(img, image) || !instance_running(dir))
			continue;
		kiln_read_line(dir, "name", name, n);
		found = 1;
	}
	if (d)
		closedir(d);
	return found;
}
