/* files.c - guest test: regular file I/O and its errno values, in /tmp. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void basic_io(void)
{
	char buf[64] = { 0 };
	int fd;

	fd = open(path("a.txt"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	check(fd >= 0, "create");
	check(write(fd, "hello, world\n", 13) == 13, "write 13 bytes");
	check(close(fd) == 0, "close");
	fd = open(path("a.txt"), O_RDONLY);
	check(fd >= 0, "open for reading");
	check(read(fd, buf, sizeof(buf)) == 13 &&
		      memcmp(buf, "hello, world\n", 13) == 0,
	      "read back 13 bytes");
	check(read(fd, buf, sizeof(buf)) == 0, "read at end of file returns 0");
	check(lseek(fd, 7, SEEK_SET) == 7, "lseek SEEK_SET 7");
	check(read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0,
	      "read 'world'");
	check(lseek(fd, -2, SEEK_CUR) == 10, "lseek SEEK_CUR -2");
	check(lseek(fd, 0, SEEK_END) == 13, "lseek SEEK_END is the size");
	check_errno(lseek(fd, -100, SEEK_SET), EINVAL,
		    "lseek to a negative offset");
	check(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "hello", 5) == 0,
	      "pread at 0");
	check(lseek(fd, 0, SEEK_CUR) == 13, "pread leaves the offset alone");
	check_errno(write(fd, "x", 1), EBADF, "write to an O_RDONLY fd");
	check(close(fd) == 0, "close the reader");
	check_errno(read(fd, buf, 1), EBADF, "read from a closed fd");
	check_errno(close(fd), EBADF, "close a closed fd");
}

static void positioned_io(void)
{
	char buf[64] = { 0 };
	int fd = open(path("a.txt"), O_RDWR);

	check(fd >= 0, "open O_RDWR");
	check(pwrite(fd, "HELLO", 5, 0) == 5, "pwrite at 0");
	check(lseek(fd, 0, SEEK_CUR) == 0, "pwrite leaves the offset alone");
	check(read(fd, buf, 13) == 13 && memcmp(buf, "HELLO, world\n", 13) == 0,
	      "read sees the pwrite");
	check(lseek(fd, 20, SEEK_SET) == 20 && write(fd, "end", 3) == 3,
	      "write past the end");
	check(pread(fd, buf, 23, 0) == 23 &&
		      memcmp(buf + 13, "\0\0\0\0\0\0\0end", 10) == 0,
	      "the hole reads as zeros");
	check(ftruncate(fd, 5) == 0 && lseek(fd, 0, SEEK_END) == 5,
	      "ftruncate shrinks to 5");
	check(ftruncate(fd, 100) == 0 && pread(fd, buf, 64, 5) == 64 &&
		      buf[0] == 0 && buf[63] == 0,
	      "ftruncate grows with zeros");
	check(fsync(fd) == 0, "fsync");
	check(close(fd) == 0, "close");
}

static void append_and_excl(void)
{
	struct stat st;
	char buf[16] = { 0 };
	int fd;

	fd = open(path("log"), O_CREAT | O_EXCL | O_WRONLY | O_APPEND, 0600);
	check(fd >= 0, "O_CREAT|O_EXCL creates");
	check_errno(open(path("log"), O_CREAT | O_EXCL | O_WRONLY, 0600),
		    EEXIST, "O_EXCL on an existing file");
	check(write(fd, "abc", 3) == 3 && lseek(fd, 0, SEEK_SET) == 0 &&
		      write(fd, "def", 3) == 3,
	      "O_APPEND writes after lseek(0)");
	check(fstat(fd, &st) == 0 && st.st_size == 6,
	      "O_APPEND file is 6 bytes");
	close(fd);
	fd = open(path("log"), O_RDONLY);
	check(read(fd, buf, sizeof(buf)) == 6 && memcmp(buf, "abcdef", 6) == 0,
	      "O_APPEND data is in order");
	close(fd);
	fd = open(path("log"), O_WRONLY | O_TRUNC);
	check(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0,
	      "O_TRUNC empties");
	close(fd);
}

static void errors(void)
{
	check_errno(open(path("missing"), O_RDONLY), ENOENT,
		    "open a missing file");
	check_errno(open(path("no/such/dir"), O_CREAT | O_WRONLY, 0644), ENOENT,
		    "create under a missing directory");
	check_errno(open(scratch, O_WRONLY), EISDIR,
		    "open a directory for writing");
	check_errno(open(path("a.txt/x"), O_RDONLY), ENOTDIR,
		    "a file used as a directory");
	check_errno(open(path("a.txt"), O_RDONLY | O_DIRECTORY), ENOTDIR,
		    "O_DIRECTORY on a file");
	check_errno(unlink(path("missing")), ENOENT, "unlink a missing file");
	check_errno(write(-1, "x", 1), EBADF, "write to fd -1");
	check_errno(write(999, "x", 1), EBADF, "write to fd 999");
}

static void rename_unlink(void)
{
	struct stat st;
	char buf[8] = { 0 };
	int fd;

	check(rename(path("a.txt"), path("b.txt")) == 0, "rename");
	check_errno(stat(path("a.txt"), &st), ENOENT, "old name is gone");
	check(stat(path("b.txt"), &st) == 0 && st.st_size == 100,
	      "new name has the data");
	check(rename(path("log"), path("b.txt")) == 0 &&
		      stat(path("b.txt"), &st) == 0 && st.st_size == 0,
	      "rename replaces a file");
	check_errno(rename(path("missing"), path("c")), ENOENT,
		    "rename a missing file");

	fd = open(path("b.txt"), O_RDWR);
	check(fd >= 0 && write(fd, "keep", 4) == 4, "write before unlink");
	check(unlink(path("b.txt")) == 0, "unlink");
	check_errno(stat(path("b.txt"), &st), ENOENT, "unlinked name is gone");
	check(pread(fd, buf, 4, 0) == 4 && memcmp(buf, "keep", 4) == 0,
	      "an open fd outlives unlink");
	close(fd);
}

static void dup_and_big(void)
{
	static unsigned char big[1 << 20], back[1 << 20];
	int fd, fd2;
	size_t got = 0;
	ssize_t n;

	fd = open(path("big"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + i / 4096);
	check(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big),
	      "write 1 MiB");
	check(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	while ((n = read(fd, back + got, 65536 - 1)) > 0)
		got += (size_t)n;
	check(got == sizeof(big) && memcmp(big, back, sizeof(big)) == 0,
	      "read back 1 MiB in odd-sized chunks");
	fd2 = dup(fd);
	check(fd2 > fd, "dup returns a new fd");
	check(lseek(fd, 10, SEEK_SET) == 10 && lseek(fd2, 0, SEEK_CUR) == 10,
	      "dup shares the offset");
	check(dup2(fd, 50) == 50 && lseek(50, 0, SEEK_CUR) == 10,
	      "dup2 to fd 50");
	check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "F_GETFL is O_RDWR");
	check(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 &&
		      fcntl(fd, F_GETFD) == FD_CLOEXEC,
	      "FD_CLOEXEC round trip");
	close(50);
	close(fd2);
	close(fd);
	check(unlink(path("big")) == 0, "unlink the big file");
}

int main(void)
{
	check_start("files");
	scratch_start();
	basic_io();
	positioned_io();
	append_and_excl();
	errors();
	rename_unlink();
	dup_and_big();
	check(rmdir(scratch) == 0, "scratch directory is empty and removed");
	return check_done();
}
