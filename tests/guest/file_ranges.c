/* file_ranges.c - guest test: getdents (the old one), readahead, fadvise64, sync_file_range, copy_file_range, preadv2/pwritev2. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x01
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04
#define RWF_NOWAIT 0x08
#define RWF_APPEND 0x10
#endif
#define X_RWF_NOAPPEND 0x20
#define X_RWF_ATOMIC 0x40

/* The old getdents record: d_type is the record's last byte. */
struct old_dirent {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

static const char *type_name(int t)
{
	return t == DT_DIR ? "dir" :
	       t == DT_REG ? "reg" :
	       t == DT_LNK ? "lnk" :
			     "?";
}

static void old_getdents(void)
{
	char buf[4096], seen[256] = "", line[300];
	const char *want = ".:dir ..:dir a:reg ln:lnk sub:dir ";
	int fd, n, f, reclen_ok = 1, count = 0;

	check(close(open(path("a"), O_CREAT | O_WRONLY, 0600)) == 0 &&
		      mkdir(path("sub"), 0700) == 0 &&
		      symlink("a", path("ln")) == 0,
	      "a file, a directory and a symlink");
	fd = open(scratch, O_RDONLY | O_DIRECTORY);
	n = (int)syscall(SYS_getdents, fd, buf, sizeof(buf));
	check(n > 0, "getdents reads the directory");
	/* In name order, whatever order the file system keeps. */
	for (const char *w = want; *w; w = strchr(w, ' ') + 1) {
		for (int off = 0; off < n;) {
			struct old_dirent *d = (struct old_dirent *)(buf + off);
			size_t len = strlen(d->d_name);

			if (d->d_reclen != ((18 + len + 2 + 7) & ~7UL))
				reclen_ok = 0;
			snprintf(line, sizeof(line), "%.255s:%s ", d->d_name,
				 type_name(buf[off + d->d_reclen - 1]));
			if (strncmp(w, line, strlen(line)) == 0)
				strcat(seen, line), count++;
			off += d->d_reclen;
		}
	}
	check(strcmp(seen, want) == 0 && count == 5,
	      "the five entries with d_type in the last byte: %s", seen);
	check(reclen_ok, "d_reclen is 18 + name + 2 rounded up to 8");
	check(syscall(SYS_getdents, fd, buf, sizeof(buf)) == 0,
	      "then 0 at the end");
	lseek(fd, 0, SEEK_SET);
	check_errno(syscall(SYS_getdents, fd, buf, 10), EINVAL,
		    "a buffer too small for one entry");
	f = open(path("a"), O_RDONLY);
	check_errno(syscall(SYS_getdents, f, buf, sizeof(buf)), ENOTDIR,
		    "getdents of a file");
	check_errno(syscall(SYS_getdents, 99, buf, sizeof(buf)), EBADF,
		    "getdents of a bad fd");
	close(f);
	close(fd);
	unlink(path("ln"));
	rmdir(path("sub"));
}

static void advice(void)
{
	int fd = open(path("a"), O_RDWR), wo = open(path("a"), O_WRONLY);
	int dir = open(scratch, O_RDONLY),
	    m = (int)syscall(SYS_memfd_create, "m", 0);
	int p[2];

	check(pipe(p) == 0, "pipe");
	check(readahead(fd, 0, 4096) == 0, "readahead of a file");
	check_errno(readahead(p[0], 0, 4096), EINVAL, "readahead of a pipe");
	check_errno(readahead(dir, 0, 4096), EINVAL,
		    "readahead of a directory");
	check_errno(readahead(wo, 0, 4096), EBADF, "readahead write-only");
	check_errno(readahead(99, 0, 4096), EBADF, "readahead of a bad fd");
	for (int a = POSIX_FADV_NORMAL; a <= POSIX_FADV_NOREUSE; a++)
		check(posix_fadvise(fd, 0, 100, a) == 0, "fadvise advice %d",
		      a);
	check(posix_fadvise(fd, 0, 100, 6) == EINVAL,
	      "fadvise advice 6: EINVAL");
	check(posix_fadvise(p[0], 0, 100, 0) == ESPIPE, "fadvise pipe: ESPIPE");
	check(posix_fadvise(99, 0, 100, 0) == EBADF, "fadvise bad fd: EBADF");
	check(syscall(SYS_fadvise64, m, -5L, 10L, 0) == 0,
	      "fadvise of a memfd at a negative offset: 0");
	check_errno(syscall(SYS_fadvise64, m, 0L, -10L, 0), EINVAL,
		    "fadvise of a memfd with a negative length");
	check_errno(syscall(SYS_readahead, m, 0L, -10L), EINVAL,
		    "readahead of a memfd with a count past INT64_MAX");
	check(sync_file_range(fd, 0, 100, 7) == 0,
	      "sync_file_range, all flags");
	check(sync_file_range(fd, 0, 0, 0) == 0, "sync_file_range to the end");
	check(sync_file_range(dir, 0, 100, 0) == 0,
	      "sync_file_range of a directory");
	check_errno(sync_file_range(fd, 0, 100, 8), EINVAL, "an unknown flag");
	check_errno(sync_file_range(fd, -1, 100, 0), EINVAL,
		    "a negative offset");
	check_errno(sync_file_range(fd, INT64_MAX, 10, 0), EINVAL,
		    "a range past the largest offset");
	check_errno(sync_file_range(p[0], 0, 100, 0), ESPIPE,
		    "sync_file_range of a pipe");
	check_errno(sync_file_range(99, 0, 100, 0), EBADF, "of a bad fd");
	close(p[0]);
	close(p[1]);
	close(m);
	close(dir);
	close(wo);
	close(fd);
}

static void copy_range(void)
{
	int src = open(path("src"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	int dst = open(path("dst"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	int ro = open(path("src"), O_RDONLY), dir = open(scratch, O_RDONLY);
	int app = open(path("dst"), O_WRONLY | O_APPEND), p[2];
	loff_t oi = 2, oo = 0;
	char buf[32] = { 0 };

	check(write(src, "0123456789", 10) == 10, "write 10 bytes");
	check(copy_file_range(src, &oi, dst, &oo, 5, 0) == 5 && oi == 7 &&
		      oo == 5,
	      "copy 5 at offsets 2 and 0: offsets now 7 and 5");
	check(lseek(src, 0, SEEK_CUR) == 10 && lseek(dst, 0, SEEK_CUR) == 0,
	      "the file positions are left alone");
	check(pread(dst, buf, 32, 0) == 5 && memcmp(buf, "23456", 5) == 0,
	      "dst reads 23456");
	lseek(src, 0, SEEK_SET);
	check(copy_file_range(src, NULL, dst, NULL, 3, 0) == 3 &&
		      lseek(src, 0, SEEK_CUR) == 3 &&
		      lseek(dst, 0, SEEK_CUR) == 3,
	      "copy 3 at the positions: both move by 3");
	check(pread(dst, buf, 32, 0) == 5 && memcmp(buf, "01256", 5) == 0,
	      "dst reads 01256");
	oi = 8, oo = 0;
	check(copy_file_range(src, &oi, dst, &oo, 100, 0) == 2 && oi == 10,
	      "a copy past the end is shortened to 2");
	check(copy_file_range(src, &oi, dst, &oo, 100, 0) == 0,
	      "at the end: 0");
	oi = 0;
	check(copy_file_range(src, &oi, dst, &oo, 0, 0) == 0, "len 0: 0");
	oi = 0, oo = 5;
	check_errno(copy_file_range(src, &oi, src, &oo, 10, 0), EINVAL,
		    "overlapping ranges of one file");
	oi = 0, oo = 10;
	check(copy_file_range(src, &oi, src, &oo, 5, 0) == 5 &&
		      pread(src, buf, 32, 0) == 15 &&
		      memcmp(buf, "012345678901234", 15) == 0,
	      "separate ranges of one file");
	oi = 0;
	check_errno(copy_file_range(src, &oi, dst, NULL, 5, 1), EINVAL,
		    "flags 1");
	check_errno(copy_file_range(dir, NULL, dst, NULL, 5, 0), EISDIR,
		    "from a directory");
	check(pipe(p) == 0, "pipe");
	check_errno(copy_file_range(p[0], NULL, dst, NULL, 5, 0), EINVAL,
		    "from a pipe");
	check_errno(copy_file_range(src, &oi, ro, NULL, 5, 0), EBADF,
		    "to a read-only file");
	check_errno(copy_file_range(src, &oi, app, NULL, 5, 0), EBADF,
		    "to an O_APPEND file");
	check_errno(copy_file_range(99, NULL, dst, NULL, 5, 0), EBADF,
		    "from a bad fd");
	oi = -1;
	check_errno(copy_file_range(src, &oi, dst, NULL, 5, 0), EOVERFLOW,
		    "offset -1, a range that wraps");
	oi = -100;
	check_errno(copy_file_range(src, &oi, dst, NULL, 5, 0), EINVAL,
		    "offset -100");
	close(p[0]);
	close(p[1]);
	close(app);
	close(dir);
	close(ro);
	close(dst);
	close(src);
	unlink(path("src"));
	unlink(path("dst"));
}

static long rw2(int nr, int fd, struct iovec *iov, int cnt, long off, int fl)
{
	return syscall(nr, fd, iov, cnt, off, 0L, fl);
}

/* RWF_NOSIGNAL (Linux 6.16): EPIPE without SIGPIPE. */
static void nosignal(void)
{
	struct iovec w = { "x", 1 };
	struct timespec zero = { 0, 0 };
	sigset_t pipe_set, pend;
	int p[2];

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, NULL);
	check(pipe(p) == 0, "a pipe whose reader is closed");
	close(p[0]);
	check_errno(rw2(SYS_pwritev2, p[1], &w, 1, -1, 0x100), EPIPE,
		    "pwritev2 RWF_NOSIGNAL");
	sigpending(&pend);
	check(!sigismember(&pend, SIGPIPE), "and no SIGPIPE pends");
	check_errno(rw2(SYS_pwritev2, p[1], &w, 1, -1, 0), EPIPE,
		    "pwritev2 without it");
	sigpending(&pend);
	check(sigismember(&pend, SIGPIPE) &&
		      sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE,
	      "SIGPIPE pends then");
	close(p[1]);
	sigprocmask(SIG_UNBLOCK, &pipe_set, NULL);
}

static void rw_v2(void)
{
	int m = (int)syscall(SYS_memfd_create, "rw", 0), app, p[2];
	char a[8] = { 0 }, b[8] = { 0 }, link[64];
	struct iovec w[2] = { { "abc", 3 }, { "def", 3 } };
	struct iovec r[2] = { { a, 2 }, { b, 2 } };

	check(rw2(SYS_pwritev2, m, w, 2, 0, 0) == 6, "pwritev2 at 0: 6 bytes");
	check(lseek(m, 0, SEEK_CUR) == 0, "the position stays 0");
	check(rw2(SYS_preadv2, m, r, 2, 2, 0) == 4 && strcmp(a, "cd") == 0 &&
		      strcmp(b, "ef") == 0,
	      "preadv2 at 2 reads cd, ef");
	lseek(m, 1, SEEK_SET);
	check(rw2(SYS_preadv2, m, r, 2, -1, 0) == 4 && strcmp(a, "bc") == 0 &&
		      lseek(m, 0, SEEK_CUR) == 5,
	      "offset -1 reads at the position and moves it");
	check(rw2(SYS_pwritev2, m, w, 1, -1, 0) == 3 &&
		      lseek(m, 0, SEEK_CUR) == 8,
	      "pwritev2 at -1 writes at the position");
	check(rw2(SYS_pwritev2, m, w, 1, 0, RWF_APPEND) == 3 &&
		      lseek(m, 0, SEEK_END) == 11,
	      "RWF_APPEND writes at the end whatever the offset");
	check(rw2(SYS_preadv2, m, r, 2, 0, RWF_HIPRI | RWF_DSYNC | RWF_SYNC) ==
		      4,
	      "RWF_HIPRI|RWF_DSYNC|RWF_SYNC are accepted");
	check_errno(rw2(SYS_preadv2, m, r, 2, 0, RWF_NOWAIT), EOPNOTSUPP,
		    "RWF_NOWAIT on a tmpfs file");
	check_errno(rw2(SYS_pwritev2, m, w, 2, 0, X_RWF_ATOMIC), EOPNOTSUPP,
		    "RWF_ATOMIC on a tmpfs file");
	check_errno(rw2(SYS_preadv2, m, r, 2, 0, 0x200), EOPNOTSUPP,
		    "an unknown flag");
	check(rw2(SYS_preadv2, m, r, 0, 0, 0x200) == 0,
	      "nothing to read: 0 whatever the flags");
	check_errno(rw2(SYS_preadv2, m, r, 2, -2, 0), EINVAL, "offset -2");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m);
	app = open(link, O_WRONLY | O_APPEND);
	check(rw2(SYS_pwritev2, app, w, 1, 0, X_RWF_NOAPPEND) == 3 &&
		      lseek(m, 0, SEEK_END) == 11,
	      "RWF_NOAPPEND on an O_APPEND file writes at the offset");
	check(pipe(p) == 0, "pipe");
	check_errno(rw2(SYS_preadv2, p[0], r, 2, 0, 0), ESPIPE,
		    "a pipe at an offset");
	check_errno(rw2(SYS_preadv2, p[0], r, 2, -1, RWF_NOWAIT), EAGAIN,
		    "an empty pipe with RWF_NOWAIT");
	check(rw2(SYS_pwritev2, p[1], w, 2, -1, 0) == 6 &&
		      rw2(SYS_preadv2, p[0], r, 2, -1, RWF_NOWAIT) == 4 &&
		      strcmp(a, "ab") == 0,
	      "a pipe at -1, RWF_NOWAIT with data waiting");
	close(p[0]);
	close(p[1]);
	nosignal();
	close(app);
	close(m);
}

int main(void)
{
	check_start("file_ranges");
	scratch_start();
	old_getdents();
	advice();
	copy_range();
	rw_v2();
	unlink(path("a"));
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
