/* ext4_inocache.c - what stat says of an inode nobody holds open follows every change made through another name or call: links, modes, sizes, times (one inode's mode and times changed through two open names), directories' links, names made in place of freed ones, more inodes than are kept, a hashed directory changed between lookups (an ext4 disk under Kiln, which finds held inodes by number and searches directory blocks in its cache; a host directory natively). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "check.h"

/* More than Kiln once kept idle (64), and enough names to hash a directory. */
#define FILES 150
#define NAMES 1500

/* Make rel with mode (umask aside) and len bytes: 0, or -1. */
static int made(const char *rel, mode_t mode, size_t len)
{
	static const char bytes[64] = "0123456789abcdef";
	int fd = open(path(rel), O_CREAT | O_EXCL | O_WRONLY, 0600);
	int ok = fd >= 0 && fchmod(fd, mode) == 0 &&
		 write(fd, bytes, len) == (ssize_t)len;

	return fd >= 0 && close(fd) == 0 && ok ? 0 : -1;
}

static struct stat st_of(const char *rel)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (stat(path(rel), &st) != 0)
		st.st_ino = 0;
	return st;
}

/* rel is a regular file of mode, links and size, by stat. */
static int is(const char *rel, mode_t mode, nlink_t links, off_t size)
{
	struct stat st = st_of(rel);

	return st.st_ino != 0 && st.st_mode == (S_IFREG | mode) &&
	       st.st_nlink == links && st.st_size == size;
}

static void file_changes(void)
{
	struct timespec ts[2] = { { 1000000000, 5 }, { 1200000000, 7 } };
	struct stat st;
	ino_t f;

	check(made("f", 0640, 10) == 0, "create f");
	check(is("f", 0640, 1, 10), "f: 0640, 1 link, 10 bytes");
	f = st_of("f").st_ino;
	check(link(path("f"), path("g")) == 0 && is("f", 0640, 2, 10),
	      "link f g: f has 2 links");
	check(unlink(path("g")) == 0 && is("f", 0640, 1, 10),
	      "unlink g: f has 1 again");
	check(chmod(path("f"), 0604) == 0 && is("f", 0604, 1, 10),
	      "chmod f: its mode follows");
	check(truncate(path("f"), 3) == 0 && is("f", 0604, 1, 3),
	      "truncate f: its size follows");
	check(utimensat(AT_FDCWD, path("f"), ts, 0) == 0, "utimensat f");
	st = st_of("f");
	check(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 5 &&
		      st.st_mtim.tv_sec == 1200000000 &&
		      st.st_mtim.tv_nsec == 7,
	      "f's times are the ones set");
	check(rename(path("f"), path("h")) == 0 && st_of("h").st_ino == f &&
		      is("h", 0604, 1, 3),
	      "rename f h: the same inode");
	check(unlink(path("h")) == 0, "unlink h");
	check_errno(stat(path("h"), &st), ENOENT, "h gone");
	/* Inode numbers are handed out again: nothing of h may show. */
	check(made("n", 0600, 0) == 0 && is("n", 0600, 1, 0),
	      "a new file: 0600, 1 link, empty");
	check(unlink(path("n")) == 0, "unlink n");
}

/*
 * One inode open through one name while its mode or times change
 * through the other: each change sticks (a change through one vnode
 * must not write the other's older fields back).
 */
static void two_names(void)
{
	struct timespec ts[2] = { { 1100000000, 9 }, { 1300000000, 11 } };
	struct stat st;
	int fd;

	check(made("a", 0644, 4) == 0 && link(path("a"), path("b")) == 0,
	      "a and its second name b");
	fd = open(path("b"), O_RDONLY);
	check(fd >= 0, "open b");
	check(chmod(path("a"), 0600) == 0, "chmod a");
	check(futimens(fd, ts) == 0, "futimens b's fd");
	st = st_of("a");
	check(st.st_mode == (S_IFREG | 0600) &&
		      st.st_mtim.tv_sec == 1300000000 &&
		      st.st_mtim.tv_nsec == 11,
	      "a: the mode set through a, the times through b");
	check(close(fd) == 0, "close b");
	fd = open(path("a"), O_RDONLY);
	check(fd >= 0, "open a");
	ts[1].tv_sec = 1400000000;
	check(utimensat(AT_FDCWD, path("b"), ts, 0) == 0, "utimensat b");
	check(fchmod(fd, 0640) == 0, "fchmod a's fd");
	st = st_of("b");
	check(st.st_mode == (S_IFREG | 0640) &&
		      st.st_mtim.tv_sec == 1400000000 &&
		      st.st_atim.tv_sec == 1100000000,
	      "b: the times set through b, the mode through a");
	check(close(fd) == 0, "close a");
	/*
	 * chown through b's fd after a chmod through a: the mode a set
	 * stays, and chown's set-id clearing applies to it.
	 */
	fd = open(path("b"), O_RDONLY);
	check(fd >= 0, "open b again");
	check(chmod(path("a"), 0600) == 0, "chmod a 0600");
	check(fchown(fd, (uid_t)-1, (gid_t)-1) == 0, "fchown b's fd, no ids");
	check(st_of("a").st_mode == (S_IFREG | 0600), "a: still 0600");
	check(chmod(path("a"), 06750) == 0, "chmod a 06750");
	check(fchown(fd, (uid_t)-1, (gid_t)-1) == 0, "fchown b's fd again");
	check(st_of("a").st_mode == (S_IFREG | 0750),
	      "a: 0750, both set-id bits dropped (group x set)");
	check(chmod(path("a"), 02640) == 0, "chmod a 02640");
	check(fchown(fd, (uid_t)-1, (gid_t)-1) == 0,
	      "fchown b's fd a third time");
	check(st_of("b").st_mode == (S_IFREG | 02640),
	      "b: 02640, S_ISGID kept without group x");
	check(close(fd) == 0 && unlink(path("a")) == 0 &&
		      unlink(path("b")) == 0,
	      "close b, unlink both");
}

static void dir_changes(void)
{
	struct stat st;

	check(mkdir(path("d"), 0750) == 0, "mkdir d");
	st = st_of("d");
	check(st.st_mode == (S_IFDIR | 0750) && st.st_nlink == 2,
	      "d: 0750, 2 links");
	check(mkdir(path("d/s"), 0755) == 0 && st_of("d").st_nlink == 3,
	      "mkdir d/s: d has 3 links");
	check(rename(path("d/s"), path("s")) == 0 && st_of("d").st_nlink == 2,
	      "d/s moved out: d has 2 again");
	check(rename(path("s"), path("d/s")) == 0 && st_of("d").st_nlink == 3,
	      "and back in: 3");
	check(rmdir(path("d/s")) == 0 && st_of("d").st_nlink == 2,
	      "rmdir d/s: 2");
	check(chmod(path("d"), 0700) == 0 &&
		      st_of("d").st_mode == (S_IFDIR | 0700),
	      "chmod d: its mode follows");
	check(rmdir(path("d")) == 0, "rmdir d");
	check_errno(stat(path("d"), &st), ENOENT, "d gone");
	check(mkdir(path("d"), 0755) == 0 && st_of("d").st_nlink == 2 &&
		      st_of("d").st_mode == (S_IFDIR | 0755),
	      "a new d: 0755, 2 links");
}

/* Many files, each stat'ed, changed, stat'ed again. */
static void many_files(void)
{
	char name[64];
	int bad = 0;

	check(mkdir(path("m"), 0755) == 0, "mkdir m");
	for (int i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "m/f%03d", i);
		bad += made(name, 0644, (size_t)(i % 50)) != 0;
		bad += !is(name, 0644, 1, i % 50);
	}
	check(bad == 0, "%d files made, each as made", FILES);
	for (int i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "m/f%03d", i);
		bad += chmod(path(name), 0600 | (i % 8)) != 0;
		bad += truncate(path(name), i % 7) != 0;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = FILES - 1; i >= 0; i--) {
			snprintf(name, sizeof(name), "m/f%03d", i);
			bad += !is(name, 0600 | (i % 8), 1, i % 7);
		}
	check(bad == 0, "all changed, each read back twice");
}

/* A directory of NAMES (hashed on ext4) changed between lookups. */
static void hashed_dir(void)
{
	char name[64], to[64];
	int bad = 0;

	check(mkdir(path("big"), 0755) == 0, "mkdir big");
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "big/name-%05d", i);
		bad += made(name, 0644, (size_t)(i % 3)) != 0;
	}
	check(bad == 0, "%d names made", NAMES);
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "big/name-%05d", i * 7 % NAMES);
		bad += !is(name, 0644, 1, i * 7 % NAMES % 3);
	}
	check(bad == 0, "each found, in a scattered order");
	for (int i = 0; i < NAMES; i += 3) {
		snprintf(name, sizeof(name), "big/name-%05d", i);
		bad += unlink(path(name)) != 0;
	}
	for (int i = 1; i < NAMES; i += 3) {
		snprintf(name, sizeof(name), "big/name-%05d", i);
		snprintf(to, sizeof(to), "big/moved-%05d", i);
		bad += rename(path(name), path(to)) != 0;
	}
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "big/name-%05d", i);
		snprintf(to, sizeof(to), "big/moved-%05d", i);
		bad += (st_of(name).st_ino != 0) != (i % 3 == 2);
		bad += (st_of(to).st_ino != 0) != (i % 3 == 1);
	}
	check(bad == 0, "a third unlinked, a third renamed: each seen");
	for (int i = 0; i < NAMES; i += 3) {
		snprintf(name, sizeof(name), "big/name-%05d", i);
		bad += made(name, 0600, 5) != 0;
	}
	for (int i = 0; i < NAMES; i += 3) {
		snprintf(name, sizeof(name), "big/name-%05d", i);
		bad += !is(name, 0600, 1, 5);
	}
	check(bad == 0, "the unlinked made again: the new files");
}

int main(int argc, char **argv)
{
	check_start("ext4_inocache");
	if (argc != 2)
		fail("usage: ext4_inocache DIR");
	snprintf(scratch, sizeof(scratch), "%s/ic", argv[1]);
	check(mkdir(scratch, 0755) == 0, "mkdir ic");
	umask(022);
	file_changes();
	two_names();
	dir_changes();
	many_files();
	hashed_dir();
	check_done();
	return 0;
}
