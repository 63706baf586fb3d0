/* crash_records.c - appends numbered records (and makes small files) with fsync, saying "ack N" after each, for the crash test; and checks them after a crash. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 *   crash_records append DIR   records from where DIR/log ends, forever
 *   crash_records check DIR N  every record and small file, N acked
 *
 * Record i is RECLEN bytes at i * RECLEN of DIR/log; every SMALL_EVERY-th
 * record also makes DIR/s<i> (SMALL_LEN bytes). "ack i" is printed only
 * once both are fsync'd, so what the test saw acked must be on the disk
 * whenever the VM was killed. A run starts by making the small file of
 * the log's last record if that record's run was killed before it did.
 */
#define RECLEN 64
#define SMALL_EVERY 8
#define SMALL_LEN 100
#define MAX_RECORDS 1000000

static void record(unsigned i, char *r)
{
	int n = snprintf(r, RECLEN, "%08u ", i);

	for (int k = n; k < RECLEN - 1; k++)
		r[k] = (char)('a' + (i * 7 + (unsigned)k) % 26);
	r[RECLEN - 1] = '\n';
}

static void small(unsigned i, char *s)
{
	for (int k = 0; k < SMALL_LEN; k++)
		s[k] = (char)('A' + (i + (unsigned)k) % 26);
}

static void die(const char *what, const char *path)
{
	printf("crash_records: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void say(const char *fmt, unsigned v)
{
	char line[64];
	int n = snprintf(line, sizeof(line), fmt, v);

	/* Straight to the fd: the test reads each line as it comes. */
	if (write(1, line, (size_t)n) != n)
		exit(1);
}

static void make_small(const char *dir, unsigned i)
{
	char path[512], s[SMALL_LEN];
	int fd;

	snprintf(path, sizeof(path), "%s/s%08u", dir, i);
	small(i, s);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", path);
	if (write(fd, s, SMALL_LEN) != SMALL_LEN || fsync(fd) < 0)
		die("write", path);
	close(fd);
}

static int append(const char *dir)
{
	char path[512], r[RECLEN];
	struct stat st;
	unsigned i;
	int fd;

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("open", path);
	/* A record cut short by the last crash (never acked) goes. */
	i = (unsigned)(st.st_size / RECLEN);
	if (ftruncate(fd, (off_t)i * RECLEN) < 0 || fsync(fd) < 0 ||
	    lseek(fd, 0, SEEK_END) < 0)
		die("truncate", path);
	/* The last record's small file, if the crash came before it. */
	if (i > 0 && (i - 1) % SMALL_EVERY == 0)
		make_small(dir, i - 1);
	say("start %u\n", i);
	for (; i < MAX_RECORDS; i++) {
		record(i, r);
		if (write(fd, r, RECLEN) != RECLEN || fsync(fd) < 0)
			die("append", path);
		if (i % SMALL_EVERY == 0)
			make_small(dir, i);
		say("ack %u\n", i);
	}
	return 0;
}

static int bad(const char *what, unsigned i)
{
	printf("crash_records: %s %u\n", what, i);
	return 1;
}

static int check(const char *dir, unsigned acked)
{
	char path[512], r[RECLEN], want[RECLEN], s[SMALL_LEN + 1],
		ws[SMALL_LEN];
	unsigned n = 0;
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open", path);
	while ((got = read(fd, r, RECLEN)) == RECLEN) {
		record(n, want);
		if (memcmp(r, want, RECLEN) != 0)
			return bad("bad record", n);
		n++;
	}
	if (got < 0)
		die("read", path);
	close(fd);
	if (n < acked)
		return bad("lost records after", n);
	for (unsigned i = 0; i < acked; i += SMALL_EVERY) {
		snprintf(path, sizeof(path), "%s/s%08u", dir, i);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return bad("lost small file", i);
		got = read(fd, s, sizeof(s));
		close(fd);
		small(i, ws);
		if (got != SMALL_LEN || memcmp(s, ws, SMALL_LEN) != 0)
			return bad("bad small file", i);
	}
	printf("ok %u\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "append") == 0)
		return append(argv[2]);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return check(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: crash_records append DIR | check DIR ACKED\n");
	return 2;
}
