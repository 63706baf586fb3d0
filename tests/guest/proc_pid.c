/* proc_pid.c - guest test: /proc/PID of another live process and of a zombie, /proc/self, the /proc listing. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* A whole /proc file (st_size is 0: read to EOF); len its length. */
static char *slurp(const char *file, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t got;
	int fd = open(file, O_RDONLY);

	if (fd < 0 || !buf) {
		free(buf);
		return NULL;
	}
	while ((got = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static char *pid_file(int pid, const char *name, size_t *len)
{
	char file[64];

	snprintf(file, sizeof(file), "/proc/%d/%s", pid, name);
	return slurp(file, len);
}

/* The value after "key:\t" on its line of a status text, or -1. */
static long status_field(const char *text, const char *key)
{
	char want[32];
	const char *at;

	snprintf(want, sizeof(want), "\n%s:\t", key);
	at = strstr(text, want);
	return at ? strtol(at + strlen(want), NULL, 10) : -1;
}

static int count_fields(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && (s[1] == ' ' || s[1] == '\n'))
			n++;
	return n;
}

static int listed_in_proc(int pid)
{
	char want[16];
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int found = 0;

	snprintf(want, sizeof(want), "%d", pid);
	while (dir && (d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, want) == 0)
			found = d->d_type == DT_DIR;
	if (dir)
		closedir(dir);
	return found;
}

static void check_self(void)
{
	char link[32], want[32], *status = slurp("/proc/self/status", NULL);
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);

	snprintf(want, sizeof(want), "%d", (int)getpid());
	check(n > 0 && (link[n] = 0, strcmp(link, want) == 0),
	      "/proc/self links to the caller's pid");
	check(status && status_field(status, "Pid") == getpid() &&
		      status_field(status, "Tgid") == getpid() &&
		      status_field(status, "NSpid") == getpid(),
	      "/proc/self/status: Pid, Tgid, NSpid are getpid()");
	check(status_field(status, "PPid") == getppid(),
	      "/proc/self/status: PPid is getppid()");
	check(listed_in_proc(getpid()), "/proc lists the caller's pid");
	free(status);
}

/* The child's stat line: pid (comm) state ppid pgrp session, 52 fields. */
static void check_stat(int pid, char state)
{
	char *stat = pid_file(pid, "stat", NULL), comm[64], st = 0;
	int spid = 0, ppid = 0, pgrp = 0, sid = 0;

	check(stat && sscanf(stat, "%d (%63[^)]) %c %d %d %d", &spid, comm, &st,
			     &ppid, &pgrp, &sid) == 6,
	      "/proc/PID/stat parses (state %c)", state);
	check(spid == pid && strcmp(comm, "proc_pid") == 0 && st == state,
	      "stat: the child's pid, comm and state %c", state);
	check(ppid == getpid() && pgrp == getpgrp() && sid == getsid(0),
	      "stat: ppid, process group and session are the parent's");
	check(count_fields(stat) == 52, "stat has Linux's 52 fields");
	free(stat);
}

static void check_status(int pid)
{
	char *status = pid_file(pid, "status", NULL);

	check(status && strncmp(status, "Name:\tproc_pid\n", 15) == 0,
	      "status: Name is proc_pid");
	check(strstr(status, "\nState:\tS (sleeping)\n") != NULL,
	      "status: a child blocked in read is S (sleeping)");
	check(status_field(status, "Pid") == pid &&
		      status_field(status, "Tgid") == pid &&
		      status_field(status, "NSpid") == pid &&
		      status_field(status, "PPid") == getpid(),
	      "status: Pid, Tgid, NSpid the child's; PPid the parent's");
	check(status_field(status, "Uid") == (long)getuid() &&
		      status_field(status, "Threads") == 1,
	      "status: Uid and Threads");
	free(status);
}

static void check_links(int pid, int pipe_fd)
{
	char mine[4096], theirs[4096], file[64], cwd[4096];
	ssize_t n;

	n = readlink("/proc/self/exe", mine, sizeof(mine) - 1);
	mine[n > 0 ? n : 0] = 0;
	snprintf(file, sizeof(file), "/proc/%d/exe", pid);
	n = readlink(file, theirs, sizeof(theirs) - 1);
	theirs[n > 0 ? n : 0] = 0;
	check(n > 0 && strcmp(mine, theirs) == 0, "exe: the same program");
	snprintf(file, sizeof(file), "/proc/%d/cwd", pid);
	n = readlink(file, theirs, sizeof(theirs) - 1);
	theirs[n > 0 ? n : 0] = 0;
	check(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, theirs) == 0,
	      "cwd: the working directory");
	snprintf(file, sizeof(file), "/proc/%d/fd/%d", pid, pipe_fd);
	n = readlink(file, theirs, sizeof(theirs) - 1);
	theirs[n > 0 ? n : 0] = 0;
	check(n > 6 && strncmp(theirs, "pipe:[", 6) == 0,
	      "fd/N: the child's pipe");
	snprintf(file, sizeof(file), "/proc/%d/fd/%d", pid, 1000);
	check_errno(readlink(file, theirs, sizeof(theirs)), ENOENT,
		    "fd/N of an fd the child has not");
}

/* The child rewrote its argv[0] in place: cmdline shows the new text. */
static void check_memory(int pid, const char *argv0, size_t argv0_len)
{
	size_t len = 0, elen = 0, want_len = 0;
	char *cmd = pid_file(pid, "cmdline", &len), *env, *self;

	check(cmd && len >= argv0_len && cmd[0] == 'x' &&
		      cmd[argv0_len - 2] == 'x' && cmd[argv0_len - 1] == 0,
	      "cmdline: argv[0] as the child rewrote it");
	self = slurp("/proc/self/cmdline", &want_len);
	check(len == want_len &&
		      memcmp(cmd + argv0_len, self + argv0_len,
			     len - argv0_len) == 0 &&
		      strcmp(self, argv0) == 0,
	      "cmdline: the other arguments as the parent's");
	env = pid_file(pid, "environ", &elen);
	free(self);
	self = slurp("/proc/self/environ", &want_len);
	check(env && elen == want_len && memcmp(env, self, elen) == 0,
	      "environ: as the parent's");
	free(cmd);
	free(env);
	free(self);
	cmd = pid_file(pid, "comm", NULL);
	check(cmd && strcmp(cmd, "proc_pid\n") == 0, "comm: proc_pid");
	free(cmd);
	cmd = pid_file(pid, "maps", NULL);
	check(cmd && strstr(cmd, "[stack]") != NULL, "maps: the child's stack");
	free(cmd);
}

/* Wait (5 s at most) until the child is a zombie, as stat says. */
static int wait_zombie(int pid)
{
	for (int i = 0; i < 500; i++) {
		char *stat = pid_file(pid, "stat", NULL), *paren;
		int z = stat && (paren = strrchr(stat, ')')) && paren[2] == 'Z';

		free(stat);
		if (z)
			return 1;
		usleep(10000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int go[2], ready[2], status;
	size_t argv0_len = strlen(argv[0]) + 1;
	char byte, file[64];
	struct stat st;
	pid_t pid;

	(void)argc;
	check_start("proc_pid");
	check_self();
	check(pipe(go) == 0 && pipe(ready) == 0, "pipes");
	pid = fork();
	if (pid == 0) { /* ends at the parent's exit too: read sees EOF */
		close(go[1]);
		memset(argv[0], 'x', argv0_len - 1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &byte, 1) != 1)
			_exit(2);
		_exit(7);
	}
	check(pid > 0 && read(ready[0], &byte, 1) == 1, "fork; child ready");
	usleep(20000); /* the child is back asleep in read */
	check(listed_in_proc(pid), "/proc lists the child's pid");
	check_stat(pid, 'S');
	check_status(pid);
	check_links(pid, go[0]);
	check_memory(pid, argv[0], argv0_len);
	check(write(go[1], "g", 1) == 1, "let the child exit");
	check(wait_zombie(pid), "the exited child is Z in stat until reaped");
	check_stat(pid, 'Z');
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 7,
	      "waitpid: exit status 7");
	snprintf(file, sizeof(file), "/proc/%d", pid);
	check_errno(stat(file, &st), ENOENT, "stat of a reaped child's dir");
	check(!listed_in_proc(pid), "/proc no longer lists it");
	return check_done();
}
