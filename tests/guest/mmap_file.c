/* mmap_file.c - guest test: file mappings, private (copy on write) and shared. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096
/* The file: three pages and 100 bytes, so its mappings end mid-page. */
#define FILE_SIZE (3 * PAGE + 100)

static char fpath[64];
static unsigned char data[FILE_SIZE];
static sigjmp_buf trap_env;
static volatile sig_atomic_t trapped;

static void on_fault(int sig)
{
	trapped = sig;
	siglongjmp(trap_env, 1);
}

/* The signal a store of v at p raises (0: none). */
static int store_signal(volatile unsigned char *p, unsigned char v)
{
	trapped = 0;
	if (sigsetjmp(trap_env, 1) == 0)
		*p = v;
	return trapped;
}

/* The signal a load at p raises (0: none). */
static int load_signal(volatile const unsigned char *p)
{
	trapped = 0;
	if (sigsetjmp(trap_env, 1) == 0)
		(void)*p;
	return trapped;
}

static unsigned char *map(size_t len, int prot, int flags, int fd, off_t off)
{
	unsigned char *p = mmap(NULL, len, prot, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static int file_is(int fd, size_t off, const void *want, size_t n)
{
	static unsigned char back[FILE_SIZE];

	return pread(fd, back, n, (off_t)off) == (ssize_t)n &&
	       memcmp(back, want, n) == 0;
}

static void private_maps(int fd)
{
	unsigned char *p = map(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			       fd, 0);
	unsigned char *q = map(FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
	int zero = 1;

	check(p && q, "two MAP_PRIVATE mappings of the file");
	check(memcmp(p, data, FILE_SIZE) == 0, "they hold the file's bytes");
	for (size_t i = FILE_SIZE; i < 4 * PAGE; i++)
		zero &= p[i] == 0;
	check(zero, "the last page is zero past the end of the file");
	memset(p + PAGE - 2, 'P', 4);
	check(file_is(fd, 0, data, FILE_SIZE),
	      "private writes do not reach the file (read shows the old bytes)");
	check(memcmp(q, data, FILE_SIZE) == 0,
	      "nor another private mapping of it");
	check(p[PAGE - 2] == 'P' && p[PAGE + 1] == 'P',
	      "the writer sees its own copy");
	check(madvise(p, 4 * PAGE, MADV_DONTNEED) == 0 &&
		      memcmp(p, data, FILE_SIZE) == 0,
	      "MADV_DONTNEED gives the file's bytes back");
	check(store_signal(q, 1) == SIGSEGV,
	      "a store to a read-only private mapping is SIGSEGV");
	munmap(p, FILE_SIZE);
	munmap(q, FILE_SIZE);
}

static void shared_maps(int fd)
{
	unsigned char *p = map(FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fd, 0);
	unsigned char *q = map(2 * PAGE, PROT_READ, MAP_SHARED, fd, PAGE);

	check(p && q, "MAP_SHARED mappings, one at offset 4096");
	memcpy(p + PAGE + 10, "shared", 6);
	check(file_is(fd, PAGE + 10, "shared", 6),
	      "a store to the mapping is what read() sees");
	check(memcmp(q + 10, "shared", 6) == 0,
	      "and what another mapping of the file sees");
	check(pwrite(fd, "written", 7, 2 * PAGE) == 7 &&
		      memcmp(p + 2 * PAGE, "written", 7) == 0 &&
		      memcmp(q + PAGE, "written", 7) == 0,
	      "write() is seen by both mappings");
	check(msync(p, FILE_SIZE, MS_SYNC) == 0, "msync MS_SYNC");
	check(msync(p, PAGE, MS_ASYNC | MS_INVALIDATE) == 0,
	      "msync MS_ASYNC|MS_INVALIDATE");
	check_errno(msync(p, PAGE, MS_SYNC | MS_ASYNC), EINVAL,
		    "msync MS_SYNC|MS_ASYNC");
	check_errno(msync(p + 1, PAGE, MS_SYNC), EINVAL,
		    "msync of an unaligned address");
	check(mprotect(q, PAGE, PROT_READ | PROT_WRITE) == 0,
	      "mprotect a shared mapping of an O_RDWR fd writable");
	check(mprotect(p + PAGE, PAGE, PROT_READ) == 0,
	      "mprotect one page of it read-only");
	check(store_signal(p + PAGE, 1) == SIGSEGV,
	      "a store there is SIGSEGV (caught by a handler)");
	check(store_signal(p, 'S') == 0 && store_signal(p + 2 * PAGE, 'S') == 0,
	      "the pages on either side stay writable");
	check(file_is(fd, 0, "S", 1) && file_is(fd, 2 * PAGE, "S", 1),
	      "and their stores reach the file");
	check(munmap(p + PAGE, PAGE) == 0, "munmap the middle page");
	check(load_signal(p + PAGE) == SIGSEGV, "it is gone (SIGSEGV)");
	check(p[0] == 'S' && p[2 * PAGE + 1] == 'r',
	      "the pieces on either side still map the file");
	check_errno(msync(p, 3 * PAGE, MS_SYNC), ENOMEM, "msync over the hole");
	munmap(p, FILE_SIZE);
	munmap(q, 2 * PAGE);
	/* Put the file back as it was for the tests that follow. */
	check(pwrite(fd, data, FILE_SIZE, 0) == FILE_SIZE, "restore the file");
}

static void access_rules(void)
{
	int ro = open(fpath, O_RDONLY), wo = open(fpath, O_WRONLY);
	unsigned char *p;

	check(ro >= 0 && wo >= 0, "open the file O_RDONLY and O_WRONLY");
	check_errno((long)(intptr_t)mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					 MAP_SHARED, ro, 0),
		    EACCES, "a writable MAP_SHARED of an O_RDONLY fd");
	check_errno(
		(long)(intptr_t)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0),
		EACCES, "a mapping of an O_WRONLY fd");
	p = map(PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	check(p && p[0] == data[0],
	      "a writable MAP_PRIVATE of O_RDONLY is fine");
	p[0] = 'x';
	munmap(p, PAGE);
	p = map(PAGE, PROT_READ, MAP_SHARED, ro, 0);
	check(p != NULL, "a read-only MAP_SHARED of O_RDONLY is fine");
	check_errno(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES,
		    "making it writable with mprotect");
	munmap(p, PAGE);
	close(ro);
	close(wo);
}

static void past_the_end(int fd)
{
	unsigned char *p = map(8 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	check(p != NULL, "map 8 pages of a 4-page file");
	check(load_signal(p + 3 * PAGE + 200) == 0,
	      "the last page reads (zeros past the end)");
	check(load_signal(p + 5 * PAGE) == SIGBUS,
	      "a page wholly past the end is SIGBUS");
	munmap(p, 8 * PAGE);
	p = map(PAGE, PROT_READ, MAP_PRIVATE, fd, INT64_MAX - 2 * PAGE + 1);
	check(p != NULL, "map the last page a file can have");
	check(load_signal(p) == SIGBUS, "it is SIGBUS");
	munmap(p, PAGE);
	check_errno((long)(intptr_t)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd,
					 INT64_MAX - PAGE + 1),
		    EOVERFLOW, "a mapping past the largest file");
}

static void remap(int fd)
{
	unsigned char *p = map(2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			       fd, 0);
	unsigned char *a, *g;

	check(p != NULL, "map the file's first 2 pages");
	p[0] = 'C';
	check(p[PAGE] == data[PAGE], "read its second page");
	/* An anonymous page above: growing must move the mapping. */
	a = mmap(p + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0);
	g = mremap(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	check(g != MAP_FAILED, "mremap grows it to 4 pages");
	check(g[0] == 'C', "the private copy moved with it");
	check(memcmp(g + 1, data + 1, FILE_SIZE - 1) == 0,
	      "the new pages map the file where it continues");
	g[PAGE] = 'M';
	check(file_is(fd, PAGE, data + PAGE, 1),
	      "a store to a page read before the move is still private");
	check(munmap(g, 4 * PAGE) == 0 &&
		      (a == MAP_FAILED || munmap(a, PAGE) == 0),
	      "munmap both");
}

static void fixed(int fd)
{
	unsigned char *p = map(3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0), *z;

	check(p != NULL, "map 3 pages of the file");
	check_errno((long)(intptr_t)mmap(p + PAGE, PAGE, PROT_READ,
					 MAP_PRIVATE | MAP_ANONYMOUS |
						 MAP_FIXED_NOREPLACE,
					 -1, 0),
		    EEXIST, "MAP_FIXED_NOREPLACE over it");
	z = mmap(p + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd,
		 2 * PAGE);
	check(z == p + PAGE, "MAP_FIXED of the file's page 2 over page 1");
	check(memcmp(p, data, PAGE) == 0 &&
		      memcmp(p + PAGE, data + 2 * PAGE, PAGE) == 0 &&
		      memcmp(p + 2 * PAGE, data + 2 * PAGE, PAGE) == 0,
	      "each page maps what was asked");
	z = mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	check(z == p && p[0] == 0, "MAP_FIXED anonymous memory over page 0");
	munmap(p, 3 * PAGE);
}

/* MAP_SHARED_VALIDATE: Linux's legacy flags only, and files only. */
static void validate(int fd)
{
	static const struct {
		int flag;
		const char *name;
	} bad[] = { { MAP_SYNC, "MAP_SYNC" },
		    { MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" },
		    { 0x200000, "bit 21" },
		    { (int)0x80000000U, "bit 31" } };
	unsigned char *p;
	char what[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = mmap(NULL, PAGE, PROT_READ,
			 MAP_SHARED_VALIDATE | bad[i].flag, fd, 0);
		snprintf(what, sizeof(what), "MAP_SHARED_VALIDATE|%s",
			 bad[i].name);
		check_errno(p == MAP_FAILED ? -1 : 0, EOPNOTSUPP, what);
		if (p != MAP_FAILED)
			munmap(p, PAGE);
	}
	p = map(PAGE, PROT_READ, MAP_SHARED | 0x200000, fd, 0);
	check(p && memcmp(p, data, PAGE) == 0,
	      "MAP_SHARED ignores the flags it does not know");
	munmap(p, PAGE);
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_SYNC, fd, 0);
	check_errno(p == MAP_FAILED ? -1 : 0, EOPNOTSUPP,
		    "MAP_SYNC of a file without DAX, even private");
	p = map(PAGE, PROT_READ | PROT_WRITE,
		MAP_SHARED_VALIDATE | MAP_POPULATE | MAP_NORESERVE, fd, 0);
	check(p && memcmp(p, data, PAGE) == 0,
	      "MAP_SHARED_VALIDATE takes MAP_POPULATE|MAP_NORESERVE");
	munmap(p, PAGE);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1,
		 0);
	check_errno(p == MAP_FAILED ? -1 : 0, EINVAL,
		    "anonymous MAP_SHARED_VALIDATE");
}

/* The fields of the maps line for address p that do not vary by machine. */
static void maps_line(const void *p, const char *what)
{
	char want[32], line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)p);
	check(f != NULL, "open /proc/self/maps");
	while (!found && fgets(line, sizeof(line), f)) {
		char perms[8], off[16];
		const char *name;

		if (strncmp(line, want, strlen(want)) != 0)
			continue;
		found = 1;
		check(sscanf(line, "%*s %7s %15s", perms, off) == 2,
		      "%s: a maps line", what);
		name = strchr(line, '/');
		check(name && strncmp(name, fpath, strlen(fpath)) == 0 &&
			      name[strlen(fpath)] == '\n',
		      "%s: perms %s offset %s, the file's path", what, perms,
		      off);
		check(name - line == 73, "%s: the path at column 73", what);
	}
	fclose(f);
	check(found, "%s: found in maps", what);
}

static void proc_maps(int fd)
{
	unsigned char *p = map(3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			       fd, 0);
	unsigned char *s = map(PAGE, PROT_READ, MAP_SHARED, fd, 2 * PAGE);

	check(p && s, "a private and a shared mapping");
	check(mprotect(p + PAGE, PAGE, PROT_READ) == 0,
	      "mprotect splits the private one");
	maps_line(p, "private page 0");
	maps_line(p + PAGE, "private page 1");
	maps_line(p + 2 * PAGE, "private page 2");
	maps_line(s, "shared");
	munmap(p, 3 * PAGE);
	munmap(s, PAGE);
}

/*
 * The program's own file: under Kiln it comes from the image's archive,
 * its segments already mapped from the page cache by exec, the rest
 * still in the archive. A mapping of all of it reads what read() does.
 */
static void own_program(void)
{
	static unsigned char buf[PAGE];
	int fd = open("/proc/self/exe", O_RDONLY), same = 1;
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	unsigned char *p = size > 0 ? map((size_t)size, PROT_READ, MAP_PRIVATE,
					  fd, 0) :
				      NULL;

	check(p != NULL, "map the program's own file");
	for (off_t off = 0; off < size; off += PAGE) {
		ssize_t n = pread(fd, buf, PAGE, off);

		same &= n > 0 && memcmp(p + off, buf, (size_t)n) == 0;
	}
	check(same, "every page of it is what read() gives");
	munmap(p, (size_t)size);
	close(fd);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_fault };
	int fd;

	check_start("mmap_file");
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	snprintf(fpath, sizeof(fpath), "/tmp/guest-mmap-file.%d",
		 (int)getpid());
	for (size_t i = 0; i < FILE_SIZE; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	fd = open(fpath, O_CREAT | O_RDWR | O_TRUNC, 0644);
	check(fd >= 0 && write(fd, data, FILE_SIZE) == FILE_SIZE,
	      "write a %d-byte file", FILE_SIZE);
	private_maps(fd);
	shared_maps(fd);
	access_rules();
	past_the_end(fd);
	remap(fd);
	fixed(fd);
	validate(fd);
	proc_maps(fd);
	own_program();
	close(fd);
	unlink(fpath);
	printf("mmap_file: all %d checks passed\n", check_count);
	return 0;
}
