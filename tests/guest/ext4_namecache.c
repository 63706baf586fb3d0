/* ext4_namecache.c - lookups see every change at once: names absent then made, renamed, linked, unlinked, directories removed and moved, many names and long ones (an ext4 disk under Kiln, whose lookups go through a name cache; a host directory natively). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "check.h"

#define MANY 700

/* Create rel: 0, or -1. */
static int made(const char *rel)
{
	int fd = open(path(rel), O_CREAT | O_EXCL | O_WRONLY, 0644);

	return fd >= 0 && close(fd) == 0 ? 0 : -1;
}

static void make(const char *rel)
{
	check(made(rel) == 0, "create %s", rel);
}

/* stat of rel: its inode number, or 0 with errno. */
static ino_t ino_of(const char *rel)
{
	struct stat st;

	return stat(path(rel), &st) == 0 ? st.st_ino : 0;
}

static void absent(const char *rel, const char *when)
{
	check_errno(stat(path(rel), &(struct stat){ 0 }), ENOENT, when);
}

static void many_name(char *out, size_t size, int i)
{
	snprintf(out, size, "m/name-%04d%s", i,
		 i % 7 == 0 ? "-with-a-tail-longer-than-forty-seven-bytes" :
			      "");
}

/* Hundreds of names: more than the cache holds, some too long for it. */
static void many(void)
{
	char name[128];
	int bad = 0;

	check(mkdir(path("m"), 0755) == 0, "mkdir m");
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < MANY; i++) {
			many_name(name, sizeof(name), i);
			bad += ino_of(name) != 0 || errno != ENOENT;
		}
	check(bad == 0, "%d names absent, twice", MANY);
	for (int i = 0; i < MANY; i++) {
		many_name(name, sizeof(name), i);
		bad += made(name) != 0;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < MANY; i++) {
			many_name(name, sizeof(name), i);
			bad += ino_of(name) == 0;
		}
	check(bad == 0, "all %d found once made, twice", MANY);
	for (int i = 0; i < MANY; i += 2) {
		many_name(name, sizeof(name), i);
		bad += unlink(path(name)) != 0;
	}
	for (int i = 0; i < MANY; i++) {
		many_name(name, sizeof(name), i);
		bad += (ino_of(name) != 0) != (i % 2 == 1);
	}
	check(bad == 0, "every other name unlinked: gone, the rest found");
	for (int i = 0; i < MANY; i += 2) {
		many_name(name, sizeof(name), i);
		bad += made(name) != 0;
	}
	for (int i = 0; i < MANY; i++) {
		many_name(name, sizeof(name), i);
		bad += ino_of(name) == 0;
	}
	check(bad == 0, "made again: all found");
}

int main(int argc, char **argv)
{
	ino_t a, d;

	check_start("ext4_namecache");
	if (argc != 2)
		fail("usage: ext4_namecache DIR");
	snprintf(scratch, sizeof(scratch), "%s/nc", argv[1]);
	check(mkdir(scratch, 0755) == 0, "mkdir nc");
	d = ino_of(".");

	absent("a", "a absent");
	absent("a", "a absent, asked again");
	make("a");
	a = ino_of("a");
	check(a != 0 && ino_of("a") == a, "a found once made, twice");
	check_errno(open(path("a"), O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST,
		    "O_EXCL on a");

	check(rename(path("a"), path("b")) == 0, "rename a b");
	absent("a", "a gone after the rename");
	check(ino_of("b") == a, "b is a's inode");
	check(link(path("b"), path("c")) == 0, "link b c");
	check(ino_of("c") == a, "c is the same inode");
	check(unlink(path("b")) == 0, "unlink b");
	absent("b", "b gone after the unlink");
	check(ino_of("c") == a, "c still there");

	make("e");
	check(ino_of("e") != a, "e another inode");
	check(rename(path("c"), path("e")) == 0, "rename c over e");
	absent("c", "c gone");
	check(ino_of("e") == a, "e is now c's inode");

	check(symlink("t", path("l")) == 0, "symlink l -> t");
	absent("l", "l dangles");
	make("t");
	check(ino_of("l") == ino_of("t") && ino_of("t") != 0,
	      "l reaches t once made");
	check(unlink(path("t")) == 0, "unlink t");
	absent("l", "l dangles again");

	check(mkdir(path("s"), 0755) == 0, "mkdir s");
	absent("s/x", "s/x absent");
	make("s/x");
	check(ino_of("s/x") != 0, "s/x found");
	check(unlink(path("s/x")) == 0 && rmdir(path("s")) == 0, "rmdir s");
	absent("s", "s gone");
	absent("s/x", "s/x gone with it");
	check(mkdir(path("s"), 0755) == 0, "mkdir s again");
	absent("s/x", "the new s is empty");

	check(mkdir(path("p"), 0755) == 0, "mkdir p");
	make("p/f");
	check(ino_of("p/f") != 0 && ino_of("p/..") == d, "p/f and p/..");
	check(mkdir(path("s/q"), 0755) == 0, "mkdir s/q");
	check(rename(path("p"), path("s/q/p")) == 0, "rename p s/q/p");
	absent("p/f", "p/f gone after moving p");
	check(ino_of("s/q/p/f") != 0, "s/q/p/f found");
	check(ino_of("s/q/p/..") == ino_of("s/q"), "its .. is s/q");

	many();
	check_done();
	return 0;
}
