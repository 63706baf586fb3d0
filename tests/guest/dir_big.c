/* dir_big.c - guest test: 20,000 files in one directory: create, stat, readdir (with unlinks), remove. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "check.h"

#define NFILES 20000
/* To create and stat them: Linux 0.1-0.8 s, Kiln 0.4 s (TCG). */
#define BOUND_MS 5000
#define SPAN 50 /* entries re-read after a seekdir */

static unsigned char seen[NFILES], gone[NFILES];

static const char *file(int i)
{
	static char name[32];

	snprintf(name, sizeof(name), "d/f%05d", i);
	return path(name);
}

/* The index of a name "fNNNNN", or -1 ("." and ".." included). */
static int index_of(const char *name)
{
	char *end;
	long i;

	if (name[0] != 'f')
		return -1;
	i = strtol(name + 1, &end, 10);
	return *end == 0 && i >= 0 && i < NFILES ? (int)i : -1;
}

static void create_and_stat(void)
{
	long long t0 = now_ms();
	int ok = 0;
	struct stat st;

	check(mkdir(path("d"), 0755) == 0, "mkdir d");
	for (int i = 0; i < NFILES; i++) {
		int fd = open(file(i), O_CREAT | O_EXCL | O_WRONLY, 0644);

		ok += fd >= 0 && write(fd, &i, sizeof(i)) == sizeof(i) &&
		      close(fd) == 0;
	}
	check(ok == NFILES, "create %d files in one directory", NFILES);
	ok = 0;
	for (int i = NFILES - 1; i >= 0; i--)
		ok += stat(file(i), &st) == 0 && st.st_size == sizeof(int);
	check(ok == NFILES, "stat each of them");
	check_errno(open(file(NFILES / 2), O_CREAT | O_EXCL | O_WRONLY, 0644),
		    EEXIST, "O_EXCL on an existing name");
	check_errno(stat(path("d/f99999"), &st), ENOENT, "stat a missing name");
	check(now_ms() - t0 < BOUND_MS, "all that within %d s",
	      BOUND_MS / 1000);
}

/* readdir sees every file exactly once, "." and ".." too. */
static void list_all(void)
{
	DIR *d = opendir(path("d"));
	struct dirent *e;
	int dots = 0, dup = 0, n = 0;

	check(d != NULL, "opendir");
	memset(seen, 0, sizeof(seen));
	while ((e = readdir(d)) != NULL) {
		int i = index_of(e->d_name);

		if (i < 0) {
			dots += !strcmp(e->d_name, ".") ||
				!strcmp(e->d_name, "..");
			continue;
		}
		dup += seen[i]++ != 0;
		n++;
	}
	closedir(d);
	check(n == NFILES && dup == 0 && dots == 2,
	      "readdir lists each file once, and . and ..");
}

/* seekdir back to a telldir position re-reads the same entries. */
static void seek_back(void)
{
	DIR *d = opendir(path("d"));
	int first[SPAN], same = 0;
	struct dirent *e;
	long pos;

	check(d != NULL, "opendir");
	for (int i = 0; i < NFILES / 3; i++)
		readdir(d);
	pos = telldir(d);
	for (int i = 0; i < SPAN; i++)
		first[i] = (e = readdir(d)) ? index_of(e->d_name) : -2;
	seekdir(d, pos);
	for (int i = 0; i < SPAN; i++)
		same += (e = readdir(d)) && index_of(e->d_name) == first[i];
	check(same == SPAN,
	      "seekdir to a telldir position reads the same %d again", SPAN);
	check(unlink(file(first[0])) == 0, "unlink the entry at that position");
	seekdir(d, pos);
	same = 0;
	for (int i = 1; i < SPAN; i++)
		same += (e = readdir(d)) && index_of(e->d_name) == first[i];
	check(same == SPAN - 1, "seekdir there again reads the %d after it",
	      SPAN - 1);
	closedir(d);
	gone[first[0]] = 1;
}

/* getdents64's record (linux_dirent64, not in libc headers everywhere). */
struct dent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * Read the directory with getdents64 while unlinking: each entry read, and
 * the one NFILES / 2 after it. No entry comes twice, and every file not
 * unlinked before readdir got to it comes. (An entry unlinked earlier may
 * still come: ext4 returns names it had read ahead, and so may a batch.)
 */
static void unlink_while_reading(void)
{
	int fd = open(path("d"), O_RDONLY | O_DIRECTORY);
	int bad = 0, nseen = 0, unseen = 0, partners = 0, ok = 0;
	char buf[1024];
	long n;

	check(fd >= 0, "open the directory");
	memset(seen, 0, sizeof(seen));
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long k = 0; k < n;) {
			struct dent64 *e = (struct dent64 *)(buf + k);
			int i = index_of(e->name), j;

			k += e->reclen;
			if (i < 0)
				continue;
			bad += seen[i];
			if (gone[i])
				continue; /* unlinked after the call returned it */
			seen[i] = 1;
			nseen++;
			gone[i] = 1;
			ok += unlink(file(i)) == 0;
			j = (i + NFILES / 2) % NFILES;
			if (!gone[j]) {
				gone[j] = 1;
				partners++;
				ok += unlink(file(j)) == 0;
			}
		}
	}
	close(fd);
	for (int i = 0; i < NFILES; i++)
		unseen += !seen[i];
	check(n == 0, "getdents64 reaches the end");
	check(bad == 0, "no entry returned twice");
	check(ok == NFILES - 1, "unlinked the rest while reading");
	/* Unread: the partners unlinked ahead of readdir, and seek_back's. */
	check(unseen == partners + 1 && nseen >= NFILES / 2 - 1,
	      "every entry still there when readdir reached it was read");
}

/*
 * The scratch directory in memory on both sides, as the time bound is
 * about the file system's own work: Linux's tmpfs at /dev/shm when there
 * is one (/tmp may be a disk, which takes seconds for 20,000 files),
 * else /tmp (Kiln's /tmp is its tmpfs).
 */
static void scratch_in_memory(void)
{
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
					   access("/dev/shm", W_OK) == 0 ?
				   "/dev/shm" :
				   "/tmp";

	snprintf(scratch, sizeof(scratch), "%s/guest-%s.%d", base, check_prog,
		 (int)getpid());
	check(mkdir(scratch, 0755) == 0, "mkdir a scratch directory in memory");
}

int main(void)
{
	check_start("dir_big");
	scratch_in_memory();
	create_and_stat();
	list_all();
	seek_back();
	unlink_while_reading();
	check(rmdir(path("d")) == 0, "the directory is empty: rmdir");
	check(rmdir(scratch) == 0, "remove the scratch directory");
	return check_done();
}
