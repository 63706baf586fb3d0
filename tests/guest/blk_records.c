/* blk_records.c - patterned records at odd offsets and lengths on a disk (or a host file), fsync'd, read back, digested. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "check.h"

/* <linux/fs.h>'s numbers (musl's headers have no linux/). */
#ifndef BLKROGET
#define BLKROGET _IO(0x12, 94)
#define BLKFLSBUF _IO(0x12, 97)
#define BLKSSZGET _IO(0x12, 104)
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#define BLKDISCARD _IO(0x12, 119)
#define BLKZEROOUT _IO(0x12, 127)
#endif

/*
 * blk_records write SEED PATH...  records on each PATH; prints digests
 * blk_records digest PATH...      the FNV-1a digest of each PATH's bytes
 * blk_records ro PATH             a read-only disk: EPERM on writes
 * blk_records dev PATH            a block device's size, ioctls and ends
 * blk_records keep PATH           4 KiB at 8192, fsync'd, 4 KiB at 24576
 *                                 through O_DSYNC, "synced", and then
 *                                 4 KiB at 16384 unsynced; waits
 *                                 for a kill if told "hang", else exits
 *
 * "write" and "digest" print the same natively on host files and under
 * Kiln on disks made of same-size files; "ro" and "dev" only make sense
 * on a block device (the test asserts their exact output).
 */
#define NRECORDS 160
#define MAXLEN 9000
#define SYNC_EVERY 16

static uint64_t lcg_state;

static uint32_t lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(lcg_state >> 33);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static unsigned char rec[MAXLEN], back[MAXLEN];
static unsigned char chunk[65536];

static uint64_t digest_fd(int fd, off_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	off_t done = 0;
	ssize_t r;

	check(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	while ((r = read(fd, chunk, sizeof(chunk))) > 0) {
		h = fnv(h, chunk, (size_t)r);
		done += r;
	}
	check(r == 0 && done == size, "read all %lld bytes", (long long)size);
	return h;
}

static void write_records(int fd, off_t size, unsigned seed, int disk)
{
	for (int i = 0; i < NRECORDS; i++) {
		size_t len = 1 + lcg() % MAXLEN;
		off_t off = (off_t)(lcg() % (uint32_t)(size - (off_t)len));
		ssize_t w;

		if (i == NRECORDS - 1)
			off = size - (off_t)len; /* the partial last block */
		for (size_t j = 0; j < len; j++)
			rec[j] = (unsigned char)(seed * 31 + (unsigned)i * 7 +
						 j * 13 + (j >> 8));
		if (i % 2) {
			w = lseek(fd, off, SEEK_SET) == off ?
				    write(fd, rec, len) :
				    -1;
		} else {
			w = pwrite(fd, rec, len, off);
		}
		if (w != (ssize_t)len)
			fail("write a record");
		if (i % SYNC_EVERY == SYNC_EVERY - 1 &&
		    (i % 32 == 31 ? fdatasync(fd) : fsync(fd)) != 0)
			fail("fsync");
		if (pread(fd, back, len, off) != (ssize_t)len ||
		    memcmp(back, rec, len) != 0)
			fail("read a record back");
	}
	check(fsync(fd) == 0, "disk %d: %d records written and read back", disk,
	      NRECORDS);
}

static off_t open_disk(const char *path, int flags, int *fd)
{
	off_t size;

	*fd = open(path, flags);
	if (*fd < 0)
		fail("open");
	size = lseek(*fd, 0, SEEK_END);
	check(size > MAXLEN, "size %lld", (long long)size);
	return size;
}

static int do_write(unsigned seed, int n, char **paths)
{
	for (int d = 0; d < n; d++) {
		int fd;
		off_t size = open_disk(paths[d], O_RDWR, &fd);

		lcg_state = seed + (unsigned)d;
		write_records(fd, size, seed + (unsigned)d, d);
		note("disk %d: digest %016llx", d,
		     (unsigned long long)digest_fd(fd, size));
		check(close(fd) == 0, "close");
	}
	return 0;
}

static int do_digest(int n, char **paths)
{
	for (int d = 0; d < n; d++) {
		int fd;
		off_t size = open_disk(paths[d], O_RDONLY, &fd);

		note("disk %d: digest %016llx", d,
		     (unsigned long long)digest_fd(fd, size));
		close(fd);
	}
	return 0;
}

/* Linux: opening a read-only disk for writing works; write(2) is EPERM. */
static int do_ro(const char *path)
{
	int fd;
	off_t size = open_disk(path, O_RDWR, &fd);
	int ro = -1;

	check(ioctl(fd, BLKROGET, &ro) == 0 && ro == 1, "BLKROGET says 1");
	check_errno(pwrite(fd, "x", 1, 0), EPERM, "pwrite");
	check_errno(write(fd, "x", 1), EPERM, "write");
	check(fsync(fd) == 0, "fsync");
	note("digest %016llx", (unsigned long long)digest_fd(fd, size));
	close(fd);
	return 0;
}

/* BLKZEROOUT: zeroes exactly the range, through any cached data. */
static void zero_and_discard(int fd, off_t size)
{
	uint64_t r[2] = { 8192 + 512, 4096 };
	int rd = open("/dev/vda", O_RDONLY);

	memset(rec, 'Q', 8192);
	check(pwrite(fd, rec, 8192, 8192) == 8192, "8 KiB of Q at 8192");
	check(ioctl(fd, BLKZEROOUT, r) == 0, "BLKZEROOUT 4 KiB at 8704");
	check(pread(fd, back, 8192, 8192) == 8192 && back[511] == 'Q' &&
		      back[512] == 0 && back[4607] == 0 && back[4608] == 'Q',
	      "zeroes exactly there");
	r[0] = 4096 + 100;
	check_errno(ioctl(fd, BLKZEROOUT, r), EINVAL, "BLKZEROOUT unaligned");
	r[0] = (uint64_t)size - 2048;
	check_errno(ioctl(fd, BLKZEROOUT, r), EINVAL,
		    "BLKZEROOUT past the end");
	r[0] = 65536;
	r[1] = 65536;
	check(ioctl(fd, BLKDISCARD, r) == 0, "BLKDISCARD 64 KiB");
	r[1] = 100;
	check_errno(ioctl(fd, BLKDISCARD, r), EINVAL, "BLKDISCARD unaligned");
	check_errno(ioctl(rd, BLKDISCARD, r), EBADF, "BLKDISCARD read-only fd");
	close(rd);
}

static int do_dev(const char *path)
{
	struct stat st;
	uint64_t bytes = 0;
	int fd, ssz = 0, ro = -1;
	off_t size = open_disk(path, O_RDWR, &fd);
	char c;

	check(fstat(fd, &st) == 0 && S_ISBLK(st.st_mode), "S_ISBLK");
	note("rdev %u:%u", major(st.st_rdev), minor(st.st_rdev));
	check(ioctl(fd, BLKGETSIZE64, &bytes) == 0 && bytes == (uint64_t)size,
	      "BLKGETSIZE64 = SEEK_END = %lld", (long long)size);
	check(ioctl(fd, BLKSSZGET, &ssz) == 0 && ssz == 512, "BLKSSZGET 512");
	check(ioctl(fd, BLKROGET, &ro) == 0 && ro == 0, "BLKROGET 0");
	check(ioctl(fd, BLKFLSBUF, 0) == 0, "BLKFLSBUF");
	check_errno(ioctl(fd, TCGETS, chunk), ENOTTY, "TCGETS");
	check(pread(fd, &c, 1, size) == 0, "read at the end gives 0");
	check_errno(pwrite(fd, "x", 1, size), ENOSPC, "write at the end");
	check(pwrite(fd, "xyz", 3, size - 2) == 2,
	      "a write across the end is cut");
	check_errno(lseek(fd, size + 1, SEEK_SET), EINVAL, "seek past the end");
	check(lseek(fd, -3, SEEK_END) == size - 3, "SEEK_END - 3");
	check(fdatasync(fd) == 0 && syncfs(fd) == 0, "fdatasync, syncfs");
	zero_and_discard(fd, size);
	sync();
	close(fd);
	fd = open("/proc/partitions", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, chunk, sizeof(chunk) - 1);
	check(n > 0, "read /proc/partitions");
	fwrite(chunk, 1, (size_t)n, stdout);
	printf("%s: all %d checks passed\n", check_prog, check_count);
	return 0;
}

/* What reaches the disk: fsync'd data, and at exit everything. */
static int do_keep(const char *path, int hang)
{
	int fd;

	open_disk(path, O_RDWR, &fd);
	memset(rec, 'S', 4096);
	check(pwrite(fd, rec, 4096, 8192) == 4096 && fsync(fd) == 0,
	      "write and fsync");
	int dfd = open(path, O_RDWR | O_DSYNC);

	memset(rec, 'D', 4096);
	check(dfd >= 0 && pwrite(dfd, rec, 4096, 24576) == 4096,
	      "write through O_DSYNC");
	close(dfd);
	memset(rec, 'U', 4096);
	check(pwrite(fd, rec, 4096, 16384) == 4096, "write, no fsync");
	note("synced");
	fflush(stdout);
	while (hang)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	check_start("blk_records");
	if (argc >= 4 && !strcmp(argv[1], "write"))
		return do_write((unsigned)atoi(argv[2]), argc - 3, argv + 3);
	if (argc >= 3 && !strcmp(argv[1], "digest"))
		return do_digest(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "ro"))
		return do_ro(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "keep"))
		return do_keep(argv[2], argc == 4 && !strcmp(argv[3], "hang"));
	if (argc == 3 && !strcmp(argv[1], "dev"))
		return do_dev(argv[2]);
	fprintf(stderr,
		"usage: blk_records write SEED PATH... | digest PATH... | ro PATH | dev PATH | keep PATH [hang]\n");
	return 2;
}
