/* file_locks.c - flock, POSIX record and OFD locks between processes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "check.h"

static char lock_path[64];

static int open_file(void)
{
	int fd = open(lock_path, O_RDWR);

	if (fd < 0)
		fail("open the lock file");
	return fd;
}

static int range_lock(int fd, int cmd, int type, off_t start, off_t len)
{
	struct flock fl = { .l_type = (short)type,
			    .l_whence = SEEK_SET,
			    .l_start = start,
			    .l_len = len };

	return fcntl(fd, cmd, &fl);
}

/* F_GETLK (or F_OFD_GETLK) of a write lock over start/len. */
static struct flock get_lock(int fd, int cmd, off_t start, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK,
			    .l_whence = SEEK_SET,
			    .l_start = start,
			    .l_len = len };

	if (fcntl(fd, cmd, &fl) != 0)
		fail("F_GETLK");
	return fl;
}

/* Wait for child pid; it must exit 0 (its own checks passed). */
static void reap(pid_t pid, const char *what)
{
	int st;

	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0,
	      "%s: child exits 0", what);
}

static void flock_between_processes(void)
{
	int a = open_file(), b, p[2];
	char c;
	pid_t pid;

	check(flock(a, LOCK_EX) == 0, "flock LOCK_EX");
	pid = fork();
	if (pid == 0) {
		int own = open_file();

		check_errno(flock(own, LOCK_EX | LOCK_NB), EWOULDBLOCK,
			    "child: flock LOCK_EX|LOCK_NB on its own open");
		check_errno(flock(own, LOCK_SH | LOCK_NB), EWOULDBLOCK,
			    "child: flock LOCK_SH|LOCK_NB on its own open");
		check(flock(a, LOCK_EX | LOCK_NB) == 0,
		      "child: the inherited description holds the lock");
		_exit(0);
	}
	reap(pid, "flock contention");
	check(flock(a, LOCK_SH) == 0, "flock converts to LOCK_SH");
	pid = fork();
	if (pid == 0) {
		int own = open_file();

		check(flock(own, LOCK_SH | LOCK_NB) == 0,
		      "child: a second LOCK_SH is granted");
		check_errno(flock(open_file(), LOCK_EX | LOCK_NB), EWOULDBLOCK,
			    "child: LOCK_EX against two LOCK_SH");
		_exit(0);
	}
	reap(pid, "shared flock");

	/* Blocking: the child waits until the parent unlocks. */
	check(flock(a, LOCK_EX) == 0, "flock back to LOCK_EX");
	if (pipe(p) != 0)
		fail("pipe");
	pid = fork();
	if (pid == 0) {
		int own = open_file();

		close(p[0]);
		if (flock(own, LOCK_EX) != 0)
			_exit(2);
		if (write(p[1], "g", 1) != 1)
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	usleep(200000);
	check(read(p[0], &c, 1) == -1 && errno == EAGAIN,
	      "the blocked child has not got the lock");
	fcntl(p[0], F_SETFL, 0);
	check(flock(a, LOCK_UN) == 0, "flock LOCK_UN");
	check(read(p[0], &c, 1) == 1 && c == 'g',
	      "the child gets the lock once released");
	close(p[0]);
	reap(pid, "blocking flock");

	/* The lock lives until the description's last close. */
	check(flock(a, LOCK_EX) == 0, "flock LOCK_EX again");
	b = dup(a);
	close(a);
	pid = fork();
	if (pid == 0) {
		check_errno(flock(open_file(), LOCK_EX | LOCK_NB), EWOULDBLOCK,
			    "child: held while a dup is open");
		_exit(0);
	}
	reap(pid, "flock after closing one dup");
	close(b);
	pid = fork();
	if (pid == 0) {
		check(flock(open_file(), LOCK_EX | LOCK_NB) == 0,
		      "child: free after the last close");
		_exit(0);
	}
	reap(pid, "flock after the last close");
}

static void posix_ranges(void)
{
	int a = open_file();
	pid_t parent = getpid(), pid;

	check(range_lock(a, F_SETLK, F_WRLCK, 0, 100) == 0,
	      "F_SETLK F_WRLCK 0..99");
	check(range_lock(a, F_SETLK, F_UNLCK, 40, 20) == 0,
	      "F_SETLK F_UNLCK 40..59 splits it");
	check(range_lock(a, F_SETLK, F_RDLCK, 200, 0) == 0,
	      "F_SETLK F_RDLCK 200..EOF");
	check(range_lock(a, F_SETLK, F_WRLCK, 10, 5) == 0,
	      "the owner's own locks never conflict");
	pid = fork();
	if (pid == 0) {
		int own = open_file();
		struct flock fl = get_lock(own, F_GETLK, 0, 0);

		check(fl.l_type == F_WRLCK && fl.l_start == 0 &&
			      fl.l_len == 40 && fl.l_whence == SEEK_SET,
		      "child: F_GETLK reports 0..39 write-locked");
		check(fl.l_pid == parent, "child: l_pid is the parent's pid");
		fl = get_lock(own, F_GETLK, 45, 10);
		check(fl.l_type == F_UNLCK, "child: 45..54 is free");
		fl = get_lock(own, F_GETLK, 45, 30);
		check(fl.l_type == F_WRLCK && fl.l_start == 60 &&
			      fl.l_len == 40,
		      "child: 45..74 conflicts with 60..99");
		fl = get_lock(own, F_GETLK, 300, 1);
		check(fl.l_type == F_RDLCK && fl.l_start == 200 &&
			      fl.l_len == 0,
		      "child: 300 conflicts with the read lock to EOF");
		check_errno(range_lock(own, F_SETLK, F_WRLCK, 30, 20), EAGAIN,
			    "child: F_SETLK over 30..49");
		check(range_lock(own, F_SETLK, F_WRLCK, 40, 20) == 0,
		      "child: F_SETLK on the hole 40..59");
		check(range_lock(own, F_SETLK, F_RDLCK, 250, 10) == 0,
		      "child: read locks share 250..259");
		_exit(0);
	}
	reap(pid, "record locks");
	check(range_lock(a, F_SETLK, F_WRLCK, 40, 20) == 0,
	      "the hole relocked: it merges with both sides");
	pid = fork();
	if (pid == 0) {
		struct flock fl = get_lock(open_file(), F_GETLK, 0, 150);

		check(fl.l_type == F_WRLCK && fl.l_start == 0 &&
			      fl.l_len == 100,
		      "child: one lock 0..99 after the merge");
		_exit(0);
	}
	reap(pid, "merged record lock");
	check(range_lock(a, F_SETLK, F_UNLCK, 0, 0) == 0, "unlock everything");
	close(a);
}

static void posix_release(void)
{
	int a = open_file(), b = open_file(), p[2];
	pid_t pid;
	struct flock fl;
	char c;

	check(range_lock(a, F_SETLK, F_WRLCK, 0, 1) == 0, "lock byte 0");
	close(b);
	pid = fork();
	if (pid == 0) {
		check(range_lock(open_file(), F_SETLK, F_WRLCK, 0, 1) == 0,
		      "child: closing another fd released the lock");
		_exit(0);
	}
	reap(pid, "release on any close");

	/* A child's locks go when it exits. */
	if (pipe(p) != 0)
		fail("pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (range_lock(open_file(), F_SETLK, F_WRLCK, 5, 5) != 0)
			_exit(2);
		if (write(p[1], "l", 1) != 1)
			_exit(3);
		pause();
		_exit(4);
	}
	close(p[1]);
	check(read(p[0], &c, 1) == 1, "the child holds 5..9");
	fl = get_lock(a, F_GETLK, 0, 0);
	check(fl.l_type == F_WRLCK && fl.l_pid == pid && fl.l_start == 5,
	      "F_GETLK names the child as the holder");
	check_errno(range_lock(a, F_SETLK, F_RDLCK, 7, 1), EAGAIN,
		    "F_SETLK against the child's lock");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	fl = get_lock(a, F_GETLK, 0, 0);
	check(fl.l_type == F_UNLCK, "the lock went with the child");
	close(a);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void posix_wait(void)
{
	int a = open_file(), p[2];
	struct sigaction sa = { .sa_handler = on_usr1 };
	pid_t pid;
	char c;

	check(range_lock(a, F_SETLK, F_WRLCK, 0, 1) == 0, "lock byte 0");
	if (pipe(p) != 0)
		fail("pipe");
	pid = fork();
	if (pid == 0) {
		int own = open_file();

		close(p[0]);
		if (range_lock(own, F_SETLK, F_WRLCK, 1, 1) != 0)
			_exit(2);
		if (write(p[1], "1", 1) != 1)
			_exit(3);
		/* Blocks on the parent until it gives byte 0 up. */
		if (range_lock(own, F_SETLKW, F_WRLCK, 0, 1) != 0)
			_exit(4);
		if (write(p[1], "0", 1) != 1)
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	check(read(p[0], &c, 1) == 1 && c == '1', "the child holds byte 1");
	usleep(500000);
	check_errno(range_lock(a, F_SETLKW, F_WRLCK, 1, 1), EDEADLK,
		    "F_SETLKW on the child's byte while it waits for ours");
	check(range_lock(a, F_SETLK, F_UNLCK, 0, 1) == 0, "unlock byte 0");
	check(read(p[0], &c, 1) == 1 && c == '0',
	      "the waiting child got byte 0");
	close(p[0]);
	reap(pid, "F_SETLKW and EDEADLK");

	/* A signal without SA_RESTART ends the wait with EINTR. */
	check(range_lock(a, F_SETLK, F_WRLCK, 0, 1) == 0, "lock byte 0 again");
	pid = fork();
	if (pid == 0) {
		sigaction(SIGUSR1, &sa, NULL);
		check_errno(range_lock(open_file(), F_SETLKW, F_WRLCK, 0, 1),
			    EINTR, "child: F_SETLKW interrupted by a signal");
		_exit(0);
	}
	usleep(300000);
	kill(pid, SIGUSR1);
	reap(pid, "F_SETLKW and a signal");
	close(a);
}

static void ofd_locks(void)
{
	int a = open_file(), b = open_file();
	pid_t pid;

	check(range_lock(a, F_OFD_SETLK, F_WRLCK, 0, 10) == 0,
	      "F_OFD_SETLK 0..9");
	check_errno(range_lock(b, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN,
		    "another description in the same process conflicts");
	check_errno(range_lock(b, F_SETLK, F_WRLCK, 5, 1), EAGAIN,
		    "a POSIX lock of the same process conflicts");
	{
		struct flock fl = get_lock(b, F_OFD_GETLK, 0, 0);

		check(fl.l_type == F_WRLCK && fl.l_pid == -1 && fl.l_len == 10,
		      "F_OFD_GETLK reports l_pid -1");
	}
	{
		struct flock fl = { .l_type = F_WRLCK, .l_pid = 1 };

		check_errno(fcntl(b, F_OFD_SETLK, &fl), EINVAL,
			    "F_OFD_SETLK with l_pid set");
	}
	pid = fork();
	if (pid == 0) {
		check(range_lock(a, F_OFD_SETLK, F_RDLCK, 0, 10) == 0,
		      "child: the inherited description owns the lock");
		_exit(0);
	}
	reap(pid, "OFD locks across fork");
	close(b);
	pid = fork();
	if (pid == 0) {
		struct flock fl = get_lock(open_file(), F_OFD_GETLK, 0, 0);

		check(fl.l_type == F_RDLCK && fl.l_len == 10,
		      "child: converted to a read lock, kept past a close");
		_exit(0);
	}
	reap(pid, "OFD lock after closing another fd");
	close(a);
	b = open_file();
	check(range_lock(b, F_OFD_SETLK, F_WRLCK, 0, 0) == 0,
	      "released at the description's last close");
	close(b);
}

int main(void)
{
	int fd;
	struct flock fl = { .l_type = F_UNLCK };

	check_start("file_locks");
	snprintf(lock_path, sizeof(lock_path), "/tmp/file_locks.%d",
		 (int)getpid());
	fd = open(lock_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0, "create the lock file");
	check_errno(fcntl(fd, F_GETLK, &fl), EINVAL, "F_GETLK of F_UNLCK");
	close(fd);
	flock_between_processes();
	posix_ranges();
	posix_release();
	posix_wait();
	ofd_locks();
	unlink(lock_path);
	return check_done();
}
