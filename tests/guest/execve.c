/* execve.c - guest test: execve and execveat, #! scripts, what the new image keeps and loses. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/*
 * One program plays every part of a chain of execs, told which by argv[1]
 * (a #! line's argument lands there too):
 *
 *   start SELF   the errno cases, then state set up, then exec of $T/s2
 *   s2 ...       via "#!SELF s2 two  words": argv, envp, fds, signals
 *   s3           exec'd from a second thread: the pid stays the tid
 *   s3b          execve("/proc/self/fd/3"), fexecve's fallback
 *   s4           execveat(fd, "", AT_EMPTY_PATH)
 *   (argc 1, "") execve with argv NULL; two threads then exec at once
 *   nest         five nested scripts deep
 *   show ...     prints argv (basenames): a script run at boot
 *   child N      a process fork, vfork or posix_spawn started: exits N
 *
 * Paths differ between the host and the image (SELF, the temp dir T), so
 * they are printed as $SELF and $T.
 */
#define FD_CLOEXEC_NUM 10
#define FD_KEPT_NUM 11

static const char *self, *tdir;
static char **chain_env;

/* Raw calls: bad pointers must reach the kernel as they are. */
static long sys_execveat(int dirfd, const char *path, const void *argv,
			 const void *envp, int flags)
{
	return syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}

static long sys_execve(const char *path, const void *argv, const void *envp)
{
	return syscall(SYS_execve, path, argv, envp);
}

/* s with the prefixes $SELF and $T named instead of spelled. */
static const char *shown(const char *s)
{
	static char buf[8192];

	if (self && strcmp(s, self) == 0)
		return "$SELF";
	if (tdir && strncmp(s, tdir, strlen(tdir)) == 0) {
		snprintf(buf, sizeof(buf), "$T%s", s + strlen(tdir));
		return buf;
	}
	return s;
}

static char *tpath(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", tdir, name);
	return b;
}

static void write_file(const char *name, const char *text, size_t len,
		       mode_t mode)
{
	int fd = open(tpath(name), O_WRONLY | O_CREAT | O_TRUNC, mode);

	check(fd >= 0 && write(fd, text, len) == (ssize_t)len &&
		      close(fd) == 0 && chmod(tpath(name), mode) == 0,
	      "write %s", name);
}

static void print_argv(int argc, char **argv)
{
	printf("%s: argc %d\n", check_prog, argc);
	for (int i = 0; i < argc; i++)
		printf("%s: argv[%d] [%s]\n", check_prog, i, shown(argv[i]));
}

static void print_env(char **envp)
{
	for (int i = 0; envp[i]; i++)
		printf("%s: env[%d] [%s]\n", check_prog, i,
		       strncmp(envp[i], "SELF=", 5) == 0 ? "SELF=..." :
		       strncmp(envp[i], "T=", 2) == 0	 ? "T=..." :
							   envp[i]);
}

static void expect_fail(long ret, int want, const char *what)
{
	check_errno(ret, want, what);
}

static void errno_cases(void)
{
	char *argv[] = { "x", "should-not-run", NULL };
	char *bad_argv[] = { "x", (char *)1, NULL };
	static char longpath[PATH_MAX + 2];
	int pfd[2], fd, dirfd;
	char *big;

	expect_fail(sys_execve("/nonexistent/prog", argv, chain_env), ENOENT,
		    "missing file");
	expect_fail(sys_execve(tdir, argv, chain_env), EACCES, "a directory");
	expect_fail(sys_execve(tpath("noexec"), argv, chain_env), EACCES,
		    "no exec permission");
	expect_fail(sys_execve(tpath("text"), argv, chain_env), ENOEXEC,
		    "text without #!");
	expect_fail(sys_execve(tpath("badelf"), argv, chain_env), ENOEXEC,
		    "a broken ELF header");
	expect_fail(sys_execve(tpath("nointerp"), argv, chain_env), ENOENT,
		    "a script whose interpreter is missing");
	expect_fail(sys_execve(tpath("blank"), argv, chain_env), ENOEXEC,
		    "a #! line of blanks");
	expect_fail(sys_execve(tpath("cut"), argv, chain_env), ENOEXEC,
		    "an interpreter path past 256 bytes");
	expect_fail(sys_execve(tpath("n6"), argv, chain_env), ELOOP,
		    "six nested scripts");
	expect_fail(sys_execveat(AT_FDCWD, tpath("link"), argv, chain_env,
				 AT_SYMLINK_NOFOLLOW),
		    ELOOP, "AT_SYMLINK_NOFOLLOW on a symlink");
	memset(longpath, 'a', PATH_MAX);
	longpath[0] = '/';
	expect_fail(sys_execve(longpath, argv, chain_env), ENAMETOOLONG,
		    "a path of PATH_MAX bytes");
	expect_fail(sys_execve((char *)1, argv, chain_env), EFAULT,
		    "a bad path pointer");
	expect_fail(sys_execve(self, (char **)1, chain_env), EFAULT,
		    "a bad argv pointer");
	expect_fail(sys_execve(self, bad_argv, chain_env), EFAULT,
		    "a bad argv string");
	expect_fail(sys_execve(self, argv, (char **)1), EFAULT,
		    "a bad envp pointer");
	expect_fail(sys_execveat(AT_FDCWD, self, argv, chain_env, 0x4), EINVAL,
		    "unknown flags");
	expect_fail(sys_execveat(AT_FDCWD, "", argv, chain_env, 0), ENOENT,
		    "an empty path");
	expect_fail(sys_execveat(999, "", argv, chain_env, AT_EMPTY_PATH),
		    EBADF, "AT_EMPTY_PATH on a closed fd");
	check(pipe(pfd) == 0, "pipe");
	expect_fail(sys_execveat(pfd[0], "", argv, chain_env, AT_EMPTY_PATH),
		    EACCES, "AT_EMPTY_PATH on a pipe");
	close(pfd[0]);
	close(pfd[1]);
	dirfd = open(tdir, O_RDONLY | O_DIRECTORY);
	check(dirfd >= 0, "open $T");
	expect_fail(sys_execveat(dirfd, "text", argv, chain_env, 0), ENOEXEC,
		    "a path relative to a directory fd");
	fd = open(tpath("text"), O_RDONLY);
	expect_fail(sys_execveat(fd, "text", argv, chain_env, 0), ENOTDIR,
		    "a path relative to a file's fd");
	close(fd);
	close(dirfd);
	fd = open(tpath("s2"), O_RDONLY | O_CLOEXEC);
	expect_fail(sys_execveat(fd, "", argv, chain_env, AT_EMPTY_PATH),
		    ENOENT, "a script by an fd closed at exec");
	close(fd);
	fd = open(tpath("busy"), O_WRONLY);
	check(fd >= 0, "open a copy of $SELF for writing");
	expect_fail(sys_execve(tpath("busy"), argv, chain_env), ETXTBSY,
		    "a program open for writing");
	close(fd);
	{
		/* A shared writable mapping writes it too, with no fd open. */
		int rw = open(tpath("busy"), O_RDWR);
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			       rw, 0);

		check(m != MAP_FAILED && close(rw) == 0,
		      "map a copy of $SELF shared and writable");
		expect_fail(sys_execve(tpath("busy"), argv, chain_env), ETXTBSY,
			    "a program mapped shared and writable");
		munmap(m, 4096);
	}
	/* MAX_ARG_STRLEN (128 KiB) with its NUL: one byte more is too long. */
	big = malloc(131073);
	memset(big, 'x', 131072);
	big[131072] = '\0';
	{
		char *one[] = { "x", "should-not-run", big, NULL };

		expect_fail(sys_execve(self, one, chain_env), E2BIG,
			    "an argument of 128 KiB");
	}
	big[120000] = '\0';
	{
		/* 7.2 MB: past 6 MiB, whatever the stack limit. */
		char *many[64];

		many[0] = "x";
		many[1] = "should-not-run";
		for (int i = 2; i < 63; i++)
			many[i] = big;
		many[63] = NULL;
		expect_fail(sys_execve(self, many, chain_env), E2BIG,
			    "7 MB of arguments");
	}
	free(big);
	{
		/* The pointers alone are past the limit (8 MB). */
		size_t n = 1 << 20;
		char **empty = malloc((n + 1) * sizeof(char *));

		for (size_t i = 0; i < n; i++)
			empty[i] = "";
		empty[n] = NULL;
		expect_fail(sys_execve(self, empty, chain_env), E2BIG,
			    "a million empty arguments");
		free(empty);
	}
}

static void copy_self(const char *name)
{
	int in = open(self, O_RDONLY);
	int out = open(tpath(name), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;

	check(in >= 0 && out >= 0, "copy $SELF to %s", name);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			fail("write the copy");
	close(in);
	close(out);
}

/*
 * Point the PT_INTERP of $T/name (a copy of this program) at interp;
 * 0 when the program has none (a static flavour).
 */
static int patch_interp(const char *name, const char *interp)
{
	int fd = open(tpath(name), O_RDWR);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	char path[64] = { 0 };

	check(fd >= 0 && pread(fd, &eh, sizeof(eh), 0) == sizeof(eh),
	      "read the ELF header of %s", name);
	for (int i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			fail("read a program header");
		if (ph.p_type != PT_INTERP)
			continue;
		if (strlen(interp) >= ph.p_filesz || ph.p_filesz > sizeof(path))
			fail("room for the interpreter path");
		strcpy(path, interp);
		if (pwrite(fd, path, ph.p_filesz, (off_t)ph.p_offset) !=
		    (ssize_t)ph.p_filesz)
			fail("write PT_INTERP");
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

/* A dynamic program whose interpreter is missing or broken. */
static void interp_cases(char **argv)
{
	if (patch_interp("ld1", tpath("nope")))
		check_errno(sys_execve(tpath("ld1"), argv, chain_env), ENOENT,
			    "a missing PT_INTERP");
	if (patch_interp("ld2", tpath("text")))
		check_errno(sys_execve(tpath("ld2"), argv, chain_env), EIO,
			    "a PT_INTERP shorter than an ELF header");
	if (patch_interp("ld3", tpath("nelf")))
		check_errno(sys_execve(tpath("ld3"), argv, chain_env), ELIBBAD,
			    "a PT_INTERP that is no ELF file");
}

/* The files the chain and the errno cases use, in a fresh $T. */
static void make_files(void)
{
	char line[PATH_MAX + 64], cut[300];

	write_file("noexec", "#!/bin/sh\n", 10, 0644);
	write_file("text", "hello\n", 6, 0755);
	write_file("badelf", "\177ELF\0\0\0\0\0\0\0\0\0\0\0\0", 16, 0755);
	write_file("nointerp", "#!/nonexistent/interp\n", 22, 0755);
	write_file("blank", "#!  \t \n", 7, 0755);
	memset(cut, 'a', sizeof(cut));
	memcpy(cut, "#!/", 3);
	write_file("cut", cut, sizeof(cut), 0755);
	snprintf(line, sizeof(line), "#!%s s2 two  words \t \nignored\n", self);
	write_file("s2", line, strlen(line), 0755);
	snprintf(line, sizeof(line), "#!%s nest\n", self);
	write_file("n1", line, strlen(line), 0755);
	for (int i = 2; i <= 6; i++) {
		char name[8];

		snprintf(line, sizeof(line), "#! %s/n%d\n", tdir, i - 1);
		snprintf(name, sizeof(name), "n%d", i);
		write_file(name, line, strlen(line), 0755);
	}
	check(symlink(self, tpath("link")) == 0, "symlink to $SELF");
	memset(cut, 'x', sizeof(cut));
	write_file("nelf", cut, sizeof(cut), 0755);
	copy_self("busy");
	copy_self("ld1");
	copy_self("ld2");
	copy_self("ld3");
}

static void on_signal(int sig)
{
	(void)sig;
}

static void *pauser(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *spinner(void *arg)
{
	volatile unsigned long *n = arg;

	for (;;)
		(*n)++;
	return NULL;
}

/* What the new image should keep or lose (checked in s2). */
static void set_up_state(void)
{
	struct sigaction sa = { 0 };
	struct itimerval it = { { 0, 0 }, { 1000, 0 } };
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigset_t set;
	int fd = open(tpath("text"), O_RDONLY);

	check(dup2(fd, FD_CLOEXEC_NUM) == FD_CLOEXEC_NUM &&
		      fcntl(FD_CLOEXEC_NUM, F_SETFD, FD_CLOEXEC) == 0,
	      "fd %d close-on-exec", FD_CLOEXEC_NUM);
	check(dup2(fd, FD_KEPT_NUM) == FD_KEPT_NUM, "fd %d kept", FD_KEPT_NUM);
	close(fd);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, SIGHUP);
	check(sigaction(SIGUSR1, &sa, NULL) == 0, "SIGUSR1 handled");
	sa.sa_handler = SIG_IGN;
	check(sigaction(SIGUSR2, &sa, NULL) == 0, "SIGUSR2 ignored");
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	check(sigprocmask(SIG_BLOCK, &set, NULL) == 0 && raise(SIGINT) == 0,
	      "SIGINT blocked and pending");
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack");
	check(setitimer(ITIMER_REAL, &it, NULL) == 0, "ITIMER_REAL armed");
}

static void start_threads(void)
{
	static volatile unsigned long spins;
	pthread_t t;

	check(pthread_create(&t, NULL, pauser, NULL) == 0, "a thread in pause");
	check(pthread_create(&t, NULL, spinner, (void *)&spins) == 0,
	      "a thread spinning");
	while (spins == 0)
		sched_yield();
}

static int stage_start(const char *self_arg)
{
	static char t[] = "/tmp/execve.XXXXXX";
	static char self_env[PATH_MAX + 8], t_env[64];
	static char *env[] = {
		self_env, t_env, "A=1", "EMPTY=", "SP=a b", NULL
	};
	char *argv[] = { "ignored-argv0", "a1", "a 2", NULL };

	check(mkdtemp(t) != NULL, "mkdtemp");
	self = self_arg;
	tdir = t;
	snprintf(self_env, sizeof(self_env), "SELF=%s", self);
	snprintf(t_env, sizeof(t_env), "T=%s", tdir);
	chain_env = env;
	make_files();
	errno_cases();
	interp_cases(argv);
	printf("%s: still here after %d failed execs\n", check_prog,
	       check_count);
	set_up_state();
	start_threads();
	sys_execve(tpath("s2"), argv, chain_env);
	fail("execve of $T/s2");
	return 1;
}

static const char *handler_kind(int sig, unsigned long *flags)
{
	struct sigaction sa;

	sigaction(sig, NULL, &sa);
	*flags = (unsigned long)sa.sa_flags & ~0x04000000UL; /* SA_RESTORER */
	return sa.sa_handler == SIG_DFL ? "SIG_DFL" :
	       sa.sa_handler == SIG_IGN ? "SIG_IGN" :
					  "a handler";
}

static int go[2]; /* the main thread says when it has printed */

static void *exec_from_thread(void *arg)
{
	char *argv[] = { (char *)self, "s3", NULL };
	char c;

	(void)arg;
	if (read(go[0], &c, 1) != 1)
		fail("read go");
	sys_execve(self, argv, chain_env);
	fail("execve from a thread");
	return NULL;
}

static int stage_s2(int argc, char **argv, char **envp)
{
	char exe[PATH_MAX], comm[16] = { 0 };
	unsigned long flags;
	struct itimerval it;
	sigset_t set;
	stack_t ss;
	ssize_t n;
	pthread_t t;

	print_argv(argc, argv);
	print_env(envp);
	check(fcntl(FD_CLOEXEC_NUM, F_GETFD) == -1 && errno == EBADF,
	      "fd %d was closed", FD_CLOEXEC_NUM);
	check(fcntl(FD_KEPT_NUM, F_GETFD) == 0, "fd %d is open, no FD_CLOEXEC",
	      FD_KEPT_NUM);
	printf("%s: SIGUSR1 %s\n", check_prog, handler_kind(SIGUSR1, &flags));
	check(flags == 0, "SIGUSR1 flags cleared");
	printf("%s: SIGUSR2 %s\n", check_prog, handler_kind(SIGUSR2, &flags));
	check(flags == 0, "SIGUSR2 flags cleared");
	sigprocmask(SIG_BLOCK, NULL, &set);
	check(sigismember(&set, SIGINT) == 1, "SIGINT still blocked");
	sigpending(&set);
	check(sigismember(&set, SIGINT) == 1, "SIGINT still pending");
	check(sigaltstack(NULL, &ss) == 0 && ss.ss_flags == SS_DISABLE,
	      "no alternate signal stack");
	check(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec > 900,
	      "ITIMER_REAL still armed");
	check(getpid() == (pid_t)syscall(SYS_gettid), "one thread, the pid");
	prctl(PR_GET_NAME, comm);
	printf("%s: comm [%s]\n", check_prog, comm);
	printf("%s: AT_EXECFN [%s]\n", check_prog,
	       shown((const char *)getauxval(AT_EXECFN)));
	printf("%s: AT_SECURE %lu\n", check_prog, getauxval(AT_SECURE));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	printf("%s: /proc/self/exe [%s]\n", check_prog, shown(exe));
	/* The pid and the tid of the thread that execs. */
	check(pipe2(go, O_CLOEXEC) == 0 &&
		      pthread_create(&t, NULL, exec_from_thread, NULL) == 0,
	      "a thread to exec");
	if (write(go[1], "g", 1) != 1) /* no line after: it may exec first */
		fail("tell it to go");
	pthread_join(t, NULL);
	fail("the execing thread returned");
	return 1;
}

static int stage_s3(void)
{
	char comm[16] = { 0 };
	char *argv[] = { "x", "s4", NULL };
	int fd;

	check(getpid() == (pid_t)syscall(SYS_gettid),
	      "exec from a thread: its tid is the pid");
	prctl(PR_GET_NAME, comm);
	printf("%s: comm [%s]\n", check_prog, comm);
	fd = open(self, O_RDONLY);
	check(fd == 3, "open $SELF as fd 3");
	/* fexecve's fallback: the fd's magic link in /proc. */
	argv[1] = "s3b";
	sys_execve("/proc/self/fd/3", argv, chain_env);
	fail("execve of /proc/self/fd/3");
	return 1;
}

static int stage_s3b(int argc, char **argv)
{
	char comm[16] = { 0 };

	print_argv(argc, argv);
	printf("%s: AT_EXECFN [%s]\n", check_prog,
	       (const char *)getauxval(AT_EXECFN));
	prctl(PR_GET_NAME, comm);
	printf("%s: comm [%s]\n", check_prog, comm);
	argv[1] = "s4";
	sys_execveat(3, "", argv, chain_env, AT_EMPTY_PATH);
	fail("execveat AT_EMPTY_PATH");
	return 1;
}

static int stage_s4(int argc, char **argv)
{
	char comm[16] = { 0 };

	print_argv(argc, argv);
	printf("%s: AT_EXECFN [%s]\n", check_prog,
	       (const char *)getauxval(AT_EXECFN));
	prctl(PR_GET_NAME, comm);
	printf("%s: comm [%s]\n", check_prog, comm);
	check(fcntl(3, F_GETFD) == 0, "the fd it ran from stays open");
	close(3);
	sys_execve(self, NULL, chain_env);
	fail("execve with argv NULL");
	return 1;
}

static pthread_barrier_t both;

/* Two threads exec at once: one wins, the other ends with the old image. */
static void *exec_nested(void *arg)
{
	char *nargv[] = { "n5-argv0", "last", NULL };

	(void)arg;
	pthread_barrier_wait(&both);
	sys_execve(tpath("n5"), nargv, chain_env);
	return NULL;
}

static int stage_empty(int argc, char **argv)
{
	pthread_t t1, t2;

	check(argc == 1 && argv[0] && argv[0][0] == '\0' && !argv[1],
	      "argv NULL becomes {\"\", NULL}");
	/* No line after this: the threads may exec before it is written. */
	if (pthread_barrier_init(&both, NULL, 2) != 0 ||
	    pthread_create(&t1, NULL, exec_nested, NULL) != 0 ||
	    pthread_create(&t2, NULL, exec_nested, NULL) != 0)
		fail("two threads to exec at once");
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	fail("execve of five nested scripts");
	return 1;
}

/* The wait status of pid, as a line. */
static void print_status(const char *how, pid_t pid)
{
	int status = -1;

	check(pid > 0 && waitpid(pid, &status, 0) == pid, "%s: waitpid", how);
	printf("%s: %s: exited %d, status %d\n", check_prog, how,
	       WIFEXITED(status), WEXITSTATUS(status));
}

/* New processes that exec: fork, vfork, posix_spawn (CLONE_VFORK). */
static void spawn_cases(void)
{
	char *fork_argv[] = { (char *)self, "child", "7", NULL };
	char *vfork_argv[] = { (char *)self, "child", "8", NULL };
	char *spawn_argv[] = { (char *)self, "child", "9", NULL };
	char *none_argv[] = { "x", NULL };
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		sys_execve(self, fork_argv, chain_env);
		_exit(127);
	}
	print_status("fork+execve", pid);
	pid = vfork();
	if (pid == 0) { /* the libc wrapper this time */
		execve(self, vfork_argv, chain_env);
		_exit(127);
	}
	print_status("vfork+execve", pid);
	pid = vfork();
	if (pid == 0) { /* a failed exec leaves the vfork child intact */
		sys_execve(tpath("text"), none_argv, chain_env);
		_exit(errno == ENOEXEC ? 42 : 1);
	}
	print_status("vfork+failed execve", pid);
	/* No line until the child ends: it prints too. */
	if (posix_spawn(&pid, self, NULL, NULL, spawn_argv, chain_env) != 0)
		fail("posix_spawn");
	print_status("posix_spawn", pid);
}

static int stage_child(int argc, char **argv)
{
	print_argv(argc, argv);
	check(getppid() != getpid(), "a parent of its own");
	return atoi(argv[2]);
}

static int stage_nest(int argc, char **argv)
{
	static const char *const files[] = {
		"noexec", "text", "badelf", "nointerp", "blank", "cut", "s2",
		"n1",	  "n2",	  "n3",	    "n4",	"n5",	 "n6",	"link",
		"busy",	  "nelf", "ld1",    "ld2",	"ld3"
	};

	print_argv(argc, argv);
	spawn_cases();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		check(unlink(tpath(files[i])) == 0, "rm $T/%s", files[i]);
	check(rmdir(tdir) == 0, "rmdir $T");
	printf("%s: all %d checks passed\n", check_prog, check_count);
	return 0;
}

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Run as a script's interpreter, from the host or an image's boot. */
static int stage_show(int argc, char **argv)
{
	char comm[16] = { 0 };

	printf("%s: argc %d\n", check_prog, argc);
	for (int i = 0; i < argc; i++)
		printf("%s: argv[%d] [%s]\n", check_prog, i,
		       i == 0 || i == 2 ? base(argv[i]) : argv[i]);
	prctl(PR_GET_NAME, comm);
	printf("%s: comm [%s]\n", check_prog, comm);
	printf("%s: AT_EXECFN [%s]\n", check_prog,
	       base((const char *)getauxval(AT_EXECFN)));
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	check_start("execve");
	self = getenv("SELF");
	tdir = getenv("T");
	chain_env = envp;
	if (argc == 1 && argv[0][0] == '\0')
		return stage_empty(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "start") == 0)
		return stage_start(argv[2]);
	if (argc >= 2 && strncmp(argv[1], "s2", 2) == 0)
		return stage_s2(argc, argv, envp);
	if (argc >= 2 && strcmp(argv[1], "s3") == 0)
		return stage_s3();
	if (argc >= 2 && strcmp(argv[1], "s3b") == 0)
		return stage_s3b(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "s4") == 0)
		return stage_s4(argc, argv);
	if (argc >= 2 && strncmp(argv[1], "show", 4) == 0)
		return stage_show(argc, argv);
	if (argc >= 3 && strcmp(argv[1], "child") == 0)
		return stage_child(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "nest") == 0)
		return stage_nest(argc, argv);
	fail("unexpected arguments");
	return 1;
}
