/* ext4_race.c - writers racing on one writable directory (an ext4 disk under Kiln, a host directory natively): threads appending to one file with O_APPEND and creating names in one directory at once; every record and every name must be there exactly once. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include "check.h"

#define WRITERS 4
#define RECORDS 300
/* A record: "wW nnnnn " and filler to 61 bytes, then '\n' (62 in all). */
#define RECLEN 62
#define NAMES 150

static const char *dir;

static void *appender(void *arg)
{
	long w = (long)arg;
	char path[512], rec[RECLEN + 1];
	int fd;

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return (void *)1;
	for (int i = 0; i < RECORDS; i++) {
		int n = snprintf(rec, sizeof(rec), "w%ld %05d ", w, i);

		memset(rec + n, 'a' + (int)w, RECLEN - 1 - (size_t)n);
		rec[RECLEN - 1] = '\n';
		if (write(fd, rec, RECLEN) != RECLEN) {
			close(fd);
			return (void *)1;
		}
	}
	close(fd);
	return NULL;
}

static void *creator(void *arg)
{
	long w = (long)arg;
	char path[512];

	for (int i = 0; i < NAMES; i++) {
		int fd;

		snprintf(path, sizeof(path),
			 "%s/names/t%ld-a-longish-name-%04d", dir, w, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return (void *)1;
		if (write(fd, path, 8) != 8) {
			close(fd);
			return (void *)1;
		}
		close(fd);
	}
	return NULL;
}

static void run(void *(*fn)(void *), const char *what)
{
	pthread_t t[WRITERS];
	int failed = 0;

	for (long w = 0; w < WRITERS; w++)
		check(pthread_create(&t[w], NULL, fn, (void *)w) == 0,
		      "%s: start %ld", what, w);
	for (int w = 0; w < WRITERS; w++) {
		void *r;

		pthread_join(t[w], &r);
		failed += r != NULL;
	}
	check(failed == 0, "%s: every thread did all its work", what);
}

/* Every record of the log exactly once and whole, in each writer's order. */
static void check_log(void)
{
	char path[512], rec[RECLEN];
	int next[WRITERS] = { 0 }, bad = 0, fd;
	struct stat st;

	snprintf(path, sizeof(path), "%s/log", dir);
	check(stat(path, &st) == 0 &&
		      st.st_size == (off_t)WRITERS * RECORDS * RECLEN,
	      "the log holds %d records", WRITERS * RECORDS);
	fd = open(path, O_RDONLY);
	check(fd >= 0, "open the log");
	while (read(fd, rec, RECLEN) == RECLEN) {
		int w = rec[1] - '0', i = atoi(rec + 3);

		if (w < 0 || w >= WRITERS || i != next[w] ||
		    rec[RECLEN - 1] != '\n' || rec[RECLEN - 2] != 'a' + w)
			bad++;
		else
			next[w]++;
	}
	close(fd);
	check(bad == 0, "every record whole, each writer's in order");
}

static void check_names(void)
{
	char path[512];
	struct dirent *e;
	int count = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/names", dir);
	d = opendir(path);
	check(d != NULL, "open the directory");
	while ((e = readdir(d)) != NULL)
		count += e->d_name[0] == 't';
	closedir(d);
	check(count == WRITERS * NAMES, "the directory holds %d names",
	      WRITERS * NAMES);
}

int main(int argc, char **argv)
{
	char path[512];

	check_start("ext4_race");
	if (argc != 2)
		fail("usage: ext4_race DIR");
	dir = argv[1];
	snprintf(path, sizeof(path), "%s/names", dir);
	check(mkdir(path, 0755) == 0, "mkdir names");
	run(appender, "append");
	check_log();
	run(creator, "create");
	check_names();
	return 0;
}
