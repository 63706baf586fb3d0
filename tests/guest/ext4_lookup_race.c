/* ext4_lookup_race.c - lookups racing a writer on one name (an ext4 disk under Kiln, a host directory natively): one thread stats and opens "cur" while another replaces it by rename, moves it away and back, and unlinks it; each stat finds a whole file or fails ENOENT, and what an open finds reads as its size says. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "check.h"

#define ROUNDS 300
/* The stater looks at least this often, the writer done or not. */
#define LOOKS_MIN 3000
/*
 * Every file the writer names "cur" is whole before it gets the name:
 * kind k is SIZE(k) bytes of FILL(k), so size alone says what it holds
 * (the sizes span one to four 1 KiB blocks).
 */
#define KINDS 5
#define SIZE(k) (700 * (k) + 300)
#define FILL(k) ('A' + (k))

static char cur[512], tmp[512], away[512];
static atomic_int writer_done;

struct looks {
	long bad_stat, bad_errno, bad_read;
};

/* The kind of a file of size bytes, or -1 when no kind has that size. */
static int kind_of(off_t size)
{
	for (int k = 0; k < KINDS; k++)
		if (size == SIZE(k))
			return k;
	return -1;
}

static int make(const char *path, int k)
{
	char buf[SIZE(KINDS - 1)];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	memset(buf, FILL(k), sizeof(buf));
	n = write(fd, buf, SIZE(k));
	return close(fd) == 0 && n == SIZE(k) ? 0 : -1;
}

static void *writer(void *arg)
{
	long failed = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		failed += make(tmp, i % KINDS) < 0;
		/* replaced whole: the old inode goes unless it is open */
		failed += rename(tmp, cur) < 0;
		if (i % 3 == 0) {
			failed += rename(cur, away) < 0;
			failed += rename(away, cur) < 0;
		}
		if (i % 4 == 0)
			failed += unlink(cur) < 0;
	}
	atomic_store(&writer_done, 1);
	return (void *)failed;
}

/* An open of cur: its size is a kind's and every byte that kind's. */
static void look_inside(struct looks *l)
{
	char buf[SIZE(KINDS - 1) + 1];
	struct stat st;
	ssize_t n;
	int fd = open(cur, O_RDONLY), k;

	if (fd < 0) {
		l->bad_errno += errno != ENOENT;
		return;
	}
	k = fstat(fd, &st) == 0 ? kind_of(st.st_size) : -1;
	n = read(fd, buf, sizeof(buf));
	if (k < 0 || n != SIZE(k) || read(fd, buf, 1) != 0)
		l->bad_read++;
	else
		for (int i = 0; i < n; i++)
			l->bad_read += buf[i] != FILL(k);
	close(fd);
}

static void *stater(void *arg)
{
	struct looks *l = arg;

	for (long i = 0; i < LOOKS_MIN || !atomic_load(&writer_done); i++) {
		struct stat st;

		if (stat(cur, &st) == 0) {
			/* nlink 0: unlinked between the lookup and the stat */
			if (!S_ISREG(st.st_mode) || st.st_nlink > 1 ||
			    kind_of(st.st_size) < 0)
				l->bad_stat++;
		} else if (errno != ENOENT) {
			l->bad_errno++;
		}
		look_inside(l);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct looks l = { 0 };
	pthread_t w, s;
	void *failed;

	check_start("ext4_lookup_race");
	if (argc != 2)
		fail("usage: ext4_lookup_race DIR");
	snprintf(cur, sizeof(cur), "%s/cur", argv[1]);
	snprintf(tmp, sizeof(tmp), "%s/tmp", argv[1]);
	snprintf(away, sizeof(away), "%s/away", argv[1]);
	check(pthread_create(&s, NULL, stater, &l) == 0, "start the stater");
	check(pthread_create(&w, NULL, writer, NULL) == 0, "start the writer");
	pthread_join(w, &failed);
	pthread_join(s, NULL);
	check(failed == NULL, "the writer made every change");
	check(l.bad_errno == 0, "every failed lookup is ENOENT");
	check(l.bad_stat == 0, "every stat finds a whole file");
	check(l.bad_read == 0, "every open reads as its size says");
	check(stat(away, &(struct stat){ 0 }) == -1 && errno == ENOENT,
	      "the name moved away is gone");
	return 0;
}
