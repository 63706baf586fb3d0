/* path_bytes.c - guest test: path strings at page and chunk edges, names alike but for their last bytes, stat's padding. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/* Two pages, the second inaccessible: a string may end at the first's end. */
static char *edge_pages(long page)
{
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check(p != MAP_FAILED, "mmap two pages");
	check(mprotect(p + page, page, PROT_NONE) == 0,
	      "mprotect the second page PROT_NONE");
	return p;
}

/* "/tmp" with its NUL as the page's last byte, then without a NUL. */
static void page_end(long page)
{
	char *p = edge_pages(page), *s = p + page - 5;
	struct stat st;
	int fd;

	memcpy(s, "/tmp", 5);
	check(stat(s, &st) == 0 && S_ISDIR(st.st_mode),
	      "stat of /tmp ending at a page's last byte");
	fd = open(s, O_RDONLY | O_DIRECTORY);
	check(fd >= 0, "open of /tmp ending at a page's last byte");
	close(fd);
	s = p + page - 4;
	memcpy(s, "/tmp", 4); /* no NUL before the PROT_NONE page */
	check_errno(stat(s, &st), EFAULT,
		    "stat of a path running into PROT_NONE");
	check_errno(open(s, O_RDONLY), EFAULT,
		    "open of a path running into PROT_NONE");
	munmap(p, 2 * page);
}

/* The file at path, copied to every offset around a page and 64-byte edge. */
static void crossing(long page, const char *file)
{
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t len = strlen(file) + 1;
	struct stat want, st;
	int bad = 0;

	check(p != MAP_FAILED, "mmap two pages");
	check(stat(file, &want) == 0, "stat of the long name in place");
	for (long off = page - (long)len - 70; off <= page + 70; off++) {
		memset(p, 'z', 2 * (size_t)page);
		memcpy(p + off, file, len);
		if (stat(p + off, &st) != 0 || st.st_ino != want.st_ino)
			bad++;
	}
	check(bad == 0, "stat of a path at each offset across a page edge");
	for (long off = 0; off < 130; off++) {
		memcpy(p + off, file, len);
		if (stat(p + off, &st) != 0 || st.st_ino != want.st_ino)
			bad++;
	}
	check(bad == 0, "stat of a path at each offset across 64-byte edges");
	munmap(p, 2 * page);
}

/* name's contents are its own name: a lookup that finds another shows. */
static void make_named(const char *name)
{
	int fd = open(path(name), O_CREAT | O_EXCL | O_WRONLY, 0644);

	check(fd >= 0, "create %s", name);
	check(write(fd, name, strlen(name)) == (ssize_t)strlen(name),
	      "write %s", name);
	close(fd);
}

static int holds(const char *name, const char *text)
{
	char buf[128];
	int fd = open(path(name), O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(text) && memcmp(buf, text, (size_t)n) == 0;
}

static const char *const alike[] = {
	"a",
	"ab",
	"abc",
	"abcdefg",
	"abcdefgh",
	"abcdefghi",
	"abcdefgh0",
	"abcdefgh1",
	"abcdefghijklmno",
	"abcdefghijklmnop",
	"abcdefghijklmnoq",
	"abcdefghijklmnopq",
	"file000",
	"file001",
	"file010",
	"file100",
};
#define NALIKE (sizeof(alike) / sizeof(alike[0]))

static void names_alike(void)
{
	struct stat st;
	int good = 0;

	for (size_t i = 0; i < NALIKE; i++)
		make_named(alike[i]);
	for (size_t i = 0; i < NALIKE; i++)
		good += holds(alike[i], alike[i]);
	check(good == (int)NALIKE, "each of %d alike names finds its own file",
	      (int)NALIKE);
	check_errno(stat(path("abcd"), &st), ENOENT,
		    "stat of a prefix not made");
	check_errno(stat(path("abcdefghijklmnopqr"), &st), ENOENT,
		    "stat of a longer name not made");
	check(rename(path("ab"), path("abc")) == 0, "rename ab over abc");
	check_errno(stat(path("ab"), &st), ENOENT,
		    "stat of ab after the rename");
	check(holds("abc", "ab"), "abc holds what ab held");
	check(holds("a", "a") && holds("abcdefg", "abcdefg"),
	      "the names around them unchanged");
	check(rename(path("abcdefghijklmnop"), path("abcdefghijklmnoq")) == 0,
	      "rename over a name differing in its 16th byte");
	check(holds("abcdefghijklmnoq", "abcdefghijklmnop") &&
		      holds("abcdefghijklmno", "abcdefghijklmno") &&
		      holds("abcdefghijklmnopq", "abcdefghijklmnopq"),
	      "the renamed one found, its neighbours unchanged");
	check(unlink(path("abc")) == 0 && unlink(path("abcdefghijklmnoq")) == 0,
	      "unlink the two renamed");
	for (size_t i = 0; i < NALIKE; i++)
		if (strcmp(alike[i], "ab") && strcmp(alike[i], "abc") &&
		    strcmp(alike[i], "abcdefghijklmnop") &&
		    strcmp(alike[i], "abcdefghijklmnoq"))
			check(unlink(path(alike[i])) == 0, "unlink %s",
			      alike[i]);
}

/* The kernel's struct stat (x86_64): __pad0 at 36, __unused[3] at 120. */
static void stat_padding(const char *what, const char *file, int nofollow)
{
	unsigned char st[144];
	int zero = 1;

	memset(st, 0xA5, sizeof(st));
	check(syscall(nofollow ? SYS_lstat : SYS_stat, file, st) == 0,
	      "%s of %s", nofollow ? "lstat" : "stat", what);
	for (int i = 36; i < 40; i++)
		zero &= st[i] == 0;
	for (int i = 120; i < 144; i++)
		zero &= st[i] == 0;
	check(zero, "the padding of %s's stat is zero", what);
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	const char *longname =
		"n123456789012345678901234567890123456789012345678"
		"901234567890123456789012345678901234567890";

	check_start("path_bytes");
	scratch_start();
	page_end(page);
	make_named(longname);
	crossing(page, path(longname));
	check(unlink(path(longname)) == 0, "unlink the long name");
	names_alike();
	make_named("f");
	check(symlink("f", path("l")) == 0, "symlink l -> f");
	stat_padding("a file", path("f"), 0);
	stat_padding("a directory", scratch, 0);
	stat_padding("a symlink", path("l"), 1);
	stat_padding("/dev/null", "/dev/null", 0);
	check(unlink(path("l")) == 0 && unlink(path("f")) == 0,
	      "unlink f and l");
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
