/* volume_files.c - statfs, private file mappings and exec on a volume (or a host directory), printed so both runs compare. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "check.h"

/*
 * volume_files statfs DIR   statfs and fstatfs of DIR: the numbers that
 *                           do not move while the host works (type,
 *                           block size, blocks, inodes, name length)
 * volume_files mmap DIR     DIR/map.bin written, then mapped MAP_PRIVATE
 *                           (whole, at an offset, written to privately)
 * volume_files exec PROG    PROG (a copy of this program on the volume)
 *                           run by execv and by a forked child
 * volume_files child        what the exec'd copy prints
 */
#define MAP_SIZE 10000

static unsigned char byte_at(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 9));
}

static void do_statfs(const char *dir)
{
	struct statfs a, b;
	int fd;

	check(statfs(dir, &a) == 0, "statfs %s", "DIR");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && fstatfs(fd, &b) == 0, "fstatfs of DIR");
	close(fd);
	note("f_type %#lx f_bsize %ld f_frsize %ld", (unsigned long)a.f_type,
	     (long)a.f_bsize, (long)a.f_frsize);
	note("f_blocks %llu f_files %llu f_namelen %ld",
	     (unsigned long long)a.f_blocks, (unsigned long long)a.f_files,
	     (long)a.f_namelen);
	check(a.f_bfree <= a.f_blocks && a.f_bavail <= a.f_bfree,
	      "bavail <= bfree <= blocks");
	check(a.f_ffree <= a.f_files, "ffree <= files");
	check(a.f_type == b.f_type && a.f_blocks == b.f_blocks &&
		      !memcmp(&a.f_fsid, &b.f_fsid, sizeof(a.f_fsid)),
	      "statfs and fstatfs agree");
	check(statfs("/nonexistent-volume-dir", &a) == -1 && errno == ENOENT,
	      "statfs of a missing path is ENOENT");
}

static void do_mmap(const char *dir)
{
	unsigned char buf[MAP_SIZE], back[16];
	char path[4096];
	unsigned char *p;
	int fd, same = 1;

	for (size_t i = 0; i < MAP_SIZE; i++)
		buf[i] = byte_at(i);
	snprintf(path, sizeof(path), "%s/map.bin", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	check(fd >= 0 && write(fd, buf, MAP_SIZE) == MAP_SIZE, "write %d bytes",
	      MAP_SIZE);

	p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	check(p != MAP_FAILED, "mmap MAP_PRIVATE PROT_READ, 3 pages");
	check(!memcmp(p, buf, MAP_SIZE), "the mapping holds the file's bytes");
	for (size_t i = MAP_SIZE; i < 3 * 4096; i++)
		same &= p[i] == 0;
	check(same, "the last page is zero past the end of the file");
	munmap(p, 3 * 4096);

	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
	check(p != MAP_FAILED && !memcmp(p, buf + 4096, 4096),
	      "mmap at offset 4096 holds bytes 4096..8191");
	munmap(p, 4096);

	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check(p != MAP_FAILED, "mmap MAP_PRIVATE PROT_READ|PROT_WRITE");
	memcpy(p + 100, "private!", 8);
	check(!memcmp(p + 100, "private!", 8) && p[99] == byte_at(99),
	      "a private write shows in the mapping");
	check(pread(fd, back, 8, 100) == 8 && !memcmp(back, buf + 100, 8),
	      "and not in the file");
	munmap(p, 2 * 4096);

	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4095);
	check(p == MAP_FAILED && errno == EINVAL,
	      "an unaligned offset is EINVAL");
	close(fd);

	fd = open(path, O_WRONLY);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	check(p == MAP_FAILED && errno == EACCES, "a write-only fd is EACCES");
	close(fd);
	check(unlink(path) == 0, "unlink map.bin");
}

static void do_exec(const char *prog)
{
	char *args[] = { "volume_files", "child", "from-fork", NULL };
	int st, pid = fork();

	if (pid == 0) {
		execv(prog, args);
		_exit(99);
	}
	check(pid > 0 && waitpid(pid, &st, 0) == pid, "fork, exec, wait");
	check(WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "the child ran the volume's program (status %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	check(execv("/nonexistent-volume-dir/prog", args) == -1 &&
		      errno == ENOENT,
	      "execv of a missing program is ENOENT");
	args[2] = "from-execv";
	printf("volume_files: all %d checks passed before execv\n",
	       check_count);
	fflush(stdout);
	execv(prog, args);
	fail("execv of the volume's program");
}

int main(int argc, char **argv)
{
	check_start("volume_files");
	if (argc == 3 && !strcmp(argv[1], "child")) {
		note("child running, %s", argv[2]);
		return strcmp(argv[2], "from-fork") ? 0 : 7;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: volume_files statfs|mmap DIR | exec "
				"PROG\n");
		return 2;
	}
	if (!strcmp(argv[1], "statfs"))
		do_statfs(argv[2]);
	else if (!strcmp(argv[1], "mmap"))
		do_mmap(argv[2]);
	else if (!strcmp(argv[1], "exec"))
		do_exec(argv[2]);
	else
		return 2;
	printf("volume_files: all %d checks passed\n", check_count);
	return 0;
}
