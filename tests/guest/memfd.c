/* memfd.c - guest test: memfd_create, its /proc/self/fd name, and seals (F_ADD_SEALS, F_GET_SEALS) as tmpfs enforces them. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/* Newer than some C libraries' headers (Linux 6.3). */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

static int mfd(const char *name, unsigned int flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

static void basics(void)
{
	char link[64], target[128], buf[16];
	struct stat st;
	int fd, fd2;
	ssize_t n;

	fd = mfd("kiln-test", MFD_CLOEXEC);
	check(fd >= 0, "memfd_create MFD_CLOEXEC");
	check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "it is close-on-exec");
	check(fcntl(fd, F_GETFL) == (O_RDWR | 0x8000),
	      "F_GETFL is O_RDWR|O_LARGEFILE");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	check(strcmp(target, "/memfd:kiln-test (deleted)") == 0,
	      "/proc/self/fd names it %s", target);
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		      (st.st_mode & 07777) == 0777 && st.st_nlink == 0 &&
		      st.st_size == 0 && st.st_uid == geteuid(),
	      "fstat: regular, 0777, no links, empty, ours");
	check(write(fd, "hello world", 11) == 11, "write 11 bytes");
	check(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "world", 5) == 0,
	      "pread them back");
	check(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5,
	      "ftruncate to 5");
	fd2 = open(link, O_RDWR);
	check(fd2 >= 0, "open /proc/self/fd/N again");
	check(pwrite(fd2, "J", 1, 0) == 1 && pread(fd, buf, 5, 0) == 5 &&
		      memcmp(buf, "Jello", 5) == 0,
	      "both opens see one file");
	check(fcntl(fd, F_GET_SEALS) == F_SEAL_SEAL,
	      "without MFD_ALLOW_SEALING: F_SEAL_SEAL");
	check_errno(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM,
		    "F_ADD_SEALS there");
	close(fd2);
	close(fd);
}

static void seals(void)
{
	int fd = mfd("sealed", MFD_ALLOW_SEALING), ro;
	char link[64], buf[8];
	struct stat st;
	void *p;

	check(fd >= 0, "memfd_create MFD_ALLOW_SEALING");
	check(fcntl(fd, F_GET_SEALS) == 0, "no seals yet");
	check(write(fd, "0123456789", 10) == 10, "write 10 bytes");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ro = open(link, O_RDONLY);
	check_errno(fcntl(ro, F_ADD_SEALS, F_SEAL_SHRINK), EPERM,
		    "F_ADD_SEALS on a read-only open");
	close(ro);
	check_errno(fcntl(fd, F_ADD_SEALS, 0x100), EINVAL, "an unknown seal");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "F_SEAL_SHRINK");
	check_errno(ftruncate(fd, 5), EPERM, "shrinking");
	check(ftruncate(fd, 20) == 0, "growing still works");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0, "F_SEAL_GROW");
	check_errno(ftruncate(fd, 30), EPERM, "growing by ftruncate");
	check_errno(pwrite(fd, "x", 1, 20), EPERM, "writing at the end");
	check_errno(pwrite(fd, "abcdefghij", 10, 15), EPERM,
		    "a write that would grow it");
	check(pwrite(fd, "ab", 2, 18) == 2, "a write inside it");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0, "F_SEAL_WRITE");
	check(fcntl(fd, F_GET_SEALS) ==
		      (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
	      "F_GET_SEALS lists the three");
	check_errno(pwrite(fd, "x", 1, 0), EPERM, "writing");
	check(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "0123", 4) == 0,
	      "reading still works");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p == MAP_FAILED && errno == EPERM,
	      "a writable shared mapping fails with EPERM");
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	check(p != MAP_FAILED && memcmp((char *)p + 18, "ab", 2) == 0,
	      "a private read-only mapping shows the data");
	munmap(p, 4096);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0, "F_SEAL_SEAL");
	check_errno(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), EPERM,
		    "any seal after F_SEAL_SEAL");
	check(fstat(fd, &st) == 0 && st.st_size == 20, "the size stayed 20");
	close(fd);
}

/*
 * F_SEAL_WRITE waits for no shared mapping that may write (EBUSY), read-
 * only ones of a writable fd included; a sealed file's shared mapping
 * can't be made writable.
 */
static void seal_while_mapped(void)
{
	int fd = mfd("mapped", MFD_ALLOW_SEALING);
	char *s, *p;

	check(fd >= 0 && ftruncate(fd, 4096) == 0, "a memfd of one page");
	s = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	check(s != MAP_FAILED, "a read-only shared mapping of it");
	check_errno(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY,
		    "F_SEAL_WRITE while it is mapped");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0,
	      "F_SEAL_FUTURE_WRITE is taken");
	check(mprotect(s, 4096, PROT_READ | PROT_WRITE) == 0,
	      "the older mapping may still become writable");
	s[0] = 'w';
	munmap(s, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check(p != MAP_FAILED && p[0] == 'w', "a private writable mapping");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0,
	      "F_SEAL_WRITE once no shared mapping is left");
	check(mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0,
	      "the private mapping stays writable");
	p[0] = 'p';
	s = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	check(s != MAP_FAILED && s[0] == 'w', "a new read-only shared mapping");
	check_errno(mprotect(s, 4096, PROT_READ | PROT_WRITE), EACCES,
		    "mprotect can't make it writable");
	check_errno(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0) == MAP_FAILED ?
			    -1 :
			    0,
		    EPERM, "nor can a new shared mapping be writable");
	munmap(s, 4096);
	munmap(p, 4096);
	close(fd);
}

static void exec_seals(void)
{
	struct stat st;
	int fd;

	fd = mfd("noexec", MFD_NOEXEC_SEAL);
	check(fd >= 0, "memfd_create MFD_NOEXEC_SEAL");
	check(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0666,
	      "its mode is 0666");
	check(fcntl(fd, F_GET_SEALS) == F_SEAL_EXEC, "sealed F_SEAL_EXEC only");
	check_errno(fchmod(fd, 0755), EPERM, "fchmod adding x bits");
	check(fchmod(fd, 0600) == 0, "fchmod leaving x bits alone");
	check(write(fd, "ok", 2) == 2, "it stays writable");
	close(fd);
	fd = mfd("exec", MFD_EXEC | MFD_ALLOW_SEALING);
	check(fd >= 0, "memfd_create MFD_EXEC|MFD_ALLOW_SEALING");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) == 0 &&
		      fcntl(fd, F_GET_SEALS) ==
			      (F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW |
			       F_SEAL_WRITE | F_SEAL_FUTURE_WRITE),
	      "F_SEAL_EXEC on an executable file seals writes too");
	close(fd);
}

static void errors(void)
{
	char name[300];
	int fd, p[2];

	check_errno(mfd("x", 0x100), EINVAL, "an unknown flag");
	check_errno(mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL,
		    "MFD_EXEC with MFD_NOEXEC_SEAL");
	memset(name, 'n', sizeof(name));
	name[249] = 0;
	fd = mfd(name, 0);
	check(fd >= 0, "a name of 249 characters");
	close(fd);
	name[249] = 'n';
	name[250] = 0;
	check_errno(mfd(name, 0), EINVAL, "a name of 250 characters");
	check_errno(mfd((const char *)8, 0), EFAULT, "an unreadable name");
	check(pipe(p) == 0, "pipe");
	check_errno(fcntl(p[0], F_GET_SEALS), EINVAL, "F_GET_SEALS on a pipe");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	check_start("memfd");
	basics();
	seals();
	seal_while_mapped();
	exec_seals();
	errors();
	return check_done();
}
