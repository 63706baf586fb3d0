/* thread_names.c - names are per thread: prctl PR_SET_NAME/PR_GET_NAME, /proc/thread-self and task/TID/comm, /proc/self/{comm,stat,status} name the first thread, pthread_setname_np, 15-byte cut, fork and exec from a thread, /proc/self's owner after setuid. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"

static pthread_barrier_t step;
static pid_t main_tid, worker_tid;

static pid_t tid_of_caller(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static const char *get_name(void)
{
	static __thread char name[32];

	memset(name, 0, sizeof(name));
	if (prctl(PR_GET_NAME, name) != 0)
		fail("PR_GET_NAME");
	return name;
}

static void set_name(const char *name)
{
	if (prctl(PR_SET_NAME, name) != 0)
		fail("PR_SET_NAME");
}

/* The whole text of a small file ("" when it cannot be read). */
static const char *text_of(const char *fmt, ...)
{
	static __thread char text[4096];
	char path[128];
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	text[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

/* Field 2 of a stat file, without its parentheses. */
static const char *stat_name(const char *path)
{
	static __thread char name[32];
	const char *t = text_of("%s", path);
	const char *open_paren = strchr(t, '('), *close = strrchr(t, ')');

	name[0] = '\0';
	if (open_paren && close && close > open_paren &&
	    close - open_paren - 1 < (long)sizeof(name))
		snprintf(name, sizeof(name), "%.*s",
			 (int)(close - open_paren - 1), open_paren + 1);
	return name;
}

/* Field 1 of a stat file: the id it shows. */
static long stat_id(const char *path)
{
	return strtol(text_of("%s", path), NULL, 10);
}

/* The Name: line of a status file. */
static const char *status_name(const char *path)
{
	static __thread char name[32];
	const char *t = text_of("%s", path), *line = strstr(t, "Name:\t");

	name[0] = '\0';
	if (line)
		sscanf(line + 6, "%31[^\n]", name);
	return name;
}

static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The views of a thread named mine in a process whose first is first. */
static void check_views(const char *who, const char *mine, const char *first)
{
	char comm[32];

	snprintf(comm, sizeof(comm), "%s\n", mine);
	check(strcmp(get_name(), mine) == 0, "%s: PR_GET_NAME is %s", who,
	      mine);
	check(strcmp(text_of("/proc/thread-self/comm"), comm) == 0,
	      "%s: /proc/thread-self/comm is %s", who, mine);
	check(strcmp(stat_name("/proc/thread-self/stat"), mine) == 0,
	      "%s: /proc/thread-self/stat names %s", who, mine);
	check(strcmp(status_name("/proc/thread-self/status"), mine) == 0,
	      "%s: /proc/thread-self/status Name: %s", who, mine);
	check(stat_id("/proc/thread-self/stat") == tid_of_caller(),
	      "%s: /proc/thread-self/stat shows its tid", who);
	snprintf(comm, sizeof(comm), "%s\n", first);
	check(strcmp(text_of("/proc/self/comm"), comm) == 0,
	      "%s: /proc/self/comm is %s", who, first);
	check(strcmp(stat_name("/proc/self/stat"), first) == 0,
	      "%s: /proc/self/stat names %s", who, first);
	check(strcmp(status_name("/proc/self/status"), first) == 0,
	      "%s: /proc/self/status Name: %s", who, first);
	check(stat_id("/proc/self/stat") == getpid(),
	      "%s: /proc/self/stat shows the pid", who);
}

/* The child a thread forked: named as that thread; not its parent's namer. */
static int forked_child(const char *want)
{
	char comm[32], path[64];
	int fd;

	snprintf(comm, sizeof(comm), "%s\n", want);
	if (strcmp(get_name(), want) != 0)
		return 10;
	if (strcmp(text_of("/proc/self/comm"), comm) != 0)
		return 11;
	if (strcmp(stat_name("/proc/self/stat"), want) != 0)
		return 12;
	if (task_count() != 1)
		return 13;
	snprintf(path, sizeof(path), "/proc/%d/comm", getppid());
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return 14;
	if (write(fd, "intruder", 8) != -1 || errno != EINVAL)
		return 15;
	close(fd);
	return 0;
}

static void *worker(void *arg)
{
	char path[64];
	pid_t pid;
	int fd, st;

	(void)arg;
	worker_tid = tid_of_caller();
	check(strcmp(get_name(), "main-thread") == 0,
	      "worker: starts with its creator's name");
	set_name("worker-b");
	check_views("worker", "worker-b", "main-thread");
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", main_tid);
	check(strcmp(text_of("%s", path), "main-thread\n") == 0,
	      "worker: task/MAIN/comm is main-thread");
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", main_tid);
	check(strcmp(stat_name(path), "main-thread") == 0 &&
		      stat_id(path) == main_tid,
	      "worker: task/MAIN/stat is main's");
	pthread_barrier_wait(&step); /* A: main looks at us */
	pthread_barrier_wait(&step); /* B: main renamed us */
	check(strcmp(get_name(), "abcdefghijklmno") == 0,
	      "worker: renamed through task/TID/comm, cut to 15 bytes");
	set_name("0123456789abcdefXYZ");
	check(strcmp(get_name(), "0123456789abcde") == 0,
	      "worker: PR_SET_NAME cuts a 19-byte name to 15");
	/* Writing /proc/self/comm from here renames the first thread. */
	fd = open("/proc/self/comm", O_WRONLY);
	check(fd >= 0 && write(fd, "leader-new\n", 10) == 10,
	      "worker: writes /proc/self/comm");
	close(fd);
	check(strcmp(get_name(), "0123456789abcde") == 0,
	      "worker: its own name stays");
	pid = fork();
	if (pid == 0)
		_exit(forked_child("0123456789abcde"));
	st = -1;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		fail("worker: fork and wait");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "worker: a child it forks has its name (status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	pthread_barrier_wait(&step); /* C: done */
	return NULL;
}

static void main_views(pthread_t w)
{
	char path[64], name[32];

	check_views("main", "main-thread", "main-thread");
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", worker_tid);
	check(strcmp(text_of("%s", path), "worker-b\n") == 0,
	      "main: task/WORKER/comm is worker-b");
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", worker_tid);
	check(strcmp(status_name(path), "worker-b") == 0,
	      "main: task/WORKER/status Name: worker-b");
	check(task_count() == 2, "main: /proc/self/task lists 2 threads");
	check(pthread_getname_np(w, name, sizeof(name)) == 0 &&
		      strcmp(name, "worker-b") == 0,
	      "main: pthread_getname_np of the worker is worker-b");
	check(pthread_setname_np(w, "renamed-b") == 0,
	      "main: pthread_setname_np of the worker");
	check(pthread_getname_np(w, name, sizeof(name)) == 0 &&
		      strcmp(name, "renamed-b") == 0,
	      "main: pthread_getname_np reads renamed-b");
	check(pthread_setname_np(w, "sixteen-chars-xx") == ERANGE,
	      "main: pthread_setname_np of 16 bytes is ERANGE");
	check(strcmp(get_name(), "main-thread") == 0,
	      "main: renaming the worker left main's name");
}

/* Write a long name straight into the worker's comm: 15 bytes stay. */
static void main_rename_worker(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", worker_tid);
	fd = open(path, O_RDWR);
	check(fd >= 0 && write(fd, "abcdefghijklmnopqrstuvwxyz", 26) == 26,
	      "main: a 26-byte write to task/WORKER/comm counts whole");
	close(fd);
	check(strcmp(text_of("%s", path), "abcdefghijklmno\n") == 0,
	      "main: task/WORKER/comm is cut to 15 bytes");
}

static void main_after_join(void)
{
	char path[64];

	check(strcmp(get_name(), "leader-new") == 0,
	      "main: renamed by the worker through /proc/self/comm");
	check(strcmp(text_of("/proc/self/comm"), "leader-new\n") == 0 &&
		      strcmp(stat_name("/proc/self/stat"), "leader-new") == 0,
	      "main: /proc/self/comm and stat say leader-new");
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", worker_tid);
	errno = 0;
	check_errno(open(path, O_RDONLY), ENOENT,
		    "task/WORKER/comm after the worker ended");
	check(task_count() == 1, "main: /proc/self/task lists 1 thread");
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", main_tid);
	check(strcmp(text_of("%s", path), "leader-new\n") == 0,
	      "main: task/MAIN/comm is leader-new");
}

/* After an execve from a second thread: one thread, named "exe". */
static int after_exec(void)
{
	static const char exe16[16] = "exe";
	char path[64];

	/* All 16 bytes: none of the longer "exec-parent" may remain. */
	if (memcmp(get_name(), exe16, sizeof(exe16)) != 0)
		return 20;
	if (strcmp(text_of("/proc/self/comm"), "exe\n") != 0)
		return 21;
	if (strcmp(stat_name("/proc/thread-self/stat"), "exe") != 0)
		return 22;
	if (task_count() != 1 || tid_of_caller() != getpid())
		return 23;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", getpid());
	if (strcmp(status_name(path), "exe") != 0)
		return 24;
	return 0;
}

static void *exec_thread(void *arg)
{
	char *argv[] = { "thread_names", "after-exec", NULL };

	(void)arg;
	set_name("exec-thread");
	execv("/proc/self/exe", argv);
	_exit(30);
}

static void exec_from_thread(void)
{
	pthread_t t;
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		set_name("exec-parent");
		if (pthread_create(&t, NULL, exec_thread, NULL) != 0)
			_exit(31);
		for (;;)
			pause();
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		fail("fork and wait for the exec child");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "an execve from a second thread names the one left exe "
	      "(status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * Who may write /proc/self/comm: /proc/PID is root's once setuid made
 * the process undumpable, its own again after PR_SET_DUMPABLE (Linux's
 * task_dump_owner). Needs root to start (as the bomb in fork_signals).
 */
static int comm_as_nobody(void)
{
	struct stat sb;
	int fd;

	if (getuid() != 0)
		return 0;
	if (setresuid(65534, 65534, 65534) != 0)
		return 40;
	if (prctl(PR_GET_DUMPABLE) == 1)
		return 41;
	/* A 0555 directory stays the euid's: stat(/proc/PID) tells who */
	if (stat("/proc/self", &sb) != 0 || sb.st_uid != 65534)
		return 42;
	if (stat("/proc/self/comm", &sb) != 0 || sb.st_uid != 0)
		return 48;
	if (open("/proc/self/comm", O_WRONLY) != -1 || errno != EACCES)
		return 43;
	if (prctl(PR_SET_DUMPABLE, 1) != 0 || prctl(PR_GET_DUMPABLE) != 1)
		return 44;
	if (stat("/proc/self/comm", &sb) != 0 || sb.st_uid != 65534)
		return 45;
	fd = open("/proc/self/comm", O_WRONLY);
	if (fd < 0 || write(fd, "nobody-name", 11) != 11)
		return 46;
	close(fd);
	return strcmp(get_name(), "nobody-name") == 0 ? 0 : 47;
}

static void comm_after_setuid(void)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0)
		_exit(comm_as_nobody());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		fail("fork and wait for the setuid child");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "after setuid /proc/self/comm is root's, after PR_SET_DUMPABLE "
	      "the process's: it may write comm (status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char **argv)
{
	pthread_t w;

	if (argc > 1 && strcmp(argv[1], "after-exec") == 0)
		return after_exec();
	check_start("thread_names");
	main_tid = tid_of_caller();
	check(main_tid == getpid(), "main: its tid is the pid");
	set_name("main-thread");
	pthread_barrier_init(&step, NULL, 2);
	if (pthread_create(&w, NULL, worker, NULL) != 0)
		fail("pthread_create");
	pthread_barrier_wait(&step); /* A */
	main_views(w);
	main_rename_worker();
	pthread_barrier_wait(&step); /* B */
	pthread_barrier_wait(&step); /* C */
	pthread_join(w, NULL);
	main_after_join();
	exec_from_thread();
	comm_after_setuid();
	printf("%s: all %d checks passed\n", check_prog, check_count);
	return 0;
}
