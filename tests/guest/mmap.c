/* mmap.c - guest test: anonymous and file mappings, MAP_FIXED, mremap. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void anonymous(void)
{
	size_t len = 1 << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok = 1;

	check(p != MAP_FAILED, "anonymous 1 MiB mapping");
	check(((uintptr_t)p & (PAGE - 1)) == 0, "it is page aligned");
	check(all_bytes(p, len, 0), "it starts zeroed");
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(i ^ (i >> 12));
	for (size_t i = 0; i < len; i++)
		ok &= p[i] == (unsigned char)(i ^ (i >> 12));
	check(ok, "a pattern written reads back");
	check(mprotect(p, PAGE, PROT_READ) == 0,
	      "mprotect the first page read-only");
	check(p[0] == 0 && p[PAGE + 2] == (unsigned char)((PAGE + 2) ^ 1),
	      "still readable after mprotect");
	check(madvise(p, len, MADV_DONTNEED) == 0, "madvise DONTNEED");
	check(munmap(p, len) == 0, "munmap");
	check_errno((long)(intptr_t)mmap(NULL, 0, PROT_READ,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		    EINVAL, "mmap of length 0");
	check_errno(
		(long)(intptr_t)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0),
		EBADF, "mmap of a bad fd");
	check_errno(munmap((void *)1, PAGE), EINVAL,
		    "munmap of an unaligned address");
}

static void file_private(void)
{
	static unsigned char data[3 * PAGE + 100], back[sizeof(data)];
	char name[64];
	unsigned char *p;
	int fd;

	snprintf(name, sizeof(name), "/tmp/guest-mmap.%d", (int)getpid());
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13 + 1);
	fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
	check(fd >= 0 && write(fd, data, sizeof(data)) == (ssize_t)sizeof(data),
	      "write a %zu-byte file", sizeof(data));
	p = mmap(NULL, sizeof(data), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		 0);
	check(p != MAP_FAILED, "mmap it MAP_PRIVATE");
	check(memcmp(p, data, sizeof(data)) == 0,
	      "the mapping holds the file's bytes");
	check(all_bytes(p + sizeof(data), 4 * PAGE - sizeof(data), 0),
	      "the tail of the last page is zero");
	memset(p, 0xee, 100);
	check(pread(fd, back, sizeof(back), 0) == (ssize_t)sizeof(back) &&
		      memcmp(back, data, sizeof(data)) == 0,
	      "private writes do not reach the file");
	check(munmap(p, sizeof(data)) == 0, "munmap the file");
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * PAGE);
	check(p != MAP_FAILED && memcmp(p, data + 2 * PAGE, PAGE) == 0,
	      "mmap at offset 8192");
	munmap(p, PAGE);
	check_errno((long)(intptr_t)mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd,
					 100),
		    EINVAL, "mmap at an unaligned offset");
	close(fd);
	fd = open(name, O_RDONLY);
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	check(p != MAP_FAILED && p[5] == data[5], "the mapping outlives close");
	munmap(p, PAGE);
	unlink(name);
}

static void fixed_and_remap(void)
{
	unsigned char *r, *q, *m;

	r = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(r != MAP_FAILED, "reserve 3 pages");
	memset(r, 0x55, 3 * PAGE);
	q = mmap(r + PAGE, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	check(q == r + PAGE, "MAP_FIXED lands at the requested address");
	check(all_bytes(q, PAGE, 0) && all_bytes(r, PAGE, 0x55) &&
		      all_bytes(r + 2 * PAGE, PAGE, 0x55),
	      "it replaced only the middle page");
	check(munmap(r, 3 * PAGE) == 0, "munmap all three");

	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 0x77, PAGE);
	m = mremap(m, PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	check(m != MAP_FAILED, "mremap grows 1 page to 16");
	check(all_bytes(m, PAGE, 0x77), "the old page keeps its data");
	check(all_bytes(m + PAGE, 15 * PAGE, 0), "the new pages are zero");
	m[16 * PAGE - 1] = 1;
	m = mremap(m, 16 * PAGE, 2 * PAGE, 0);
	check(m != MAP_FAILED && all_bytes(m, PAGE, 0x77),
	      "mremap shrinks in place");
	check(munmap(m, 2 * PAGE) == 0, "munmap the remapped area");
}

static void large_sparse(void)
{
	size_t len = 64u << 20;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
				0);
	unsigned sum = 0;

	check(p != MAP_FAILED, "reserve 64 MiB");
	for (size_t off = 0; off < len; off += 1 << 20)
		p[off + 123] = (unsigned char)(off >> 20);
	for (size_t off = 0; off < len; off += 1 << 20)
		sum += p[off + 123];
	check(sum == 63 * 64 / 2, "touch one byte per MiB and read them back");
	check(p[len - 1] == 0, "an untouched page reads zero");
	check(munmap(p, len) == 0, "munmap 64 MiB");
}

/*
 * mremap(MREMAP_FIXED) obeys the floor mmap(MAP_FIXED) has (Linux's
 * mmap_min_addr). Where the floor lies depends on the host's sysctl and
 * on CAP_SYS_RAWIO, so only the agreement of the two is printed.
 */
static void fixed_floor(void)
{
	static const uintptr_t addrs[] = { 0, 0x1000, 0x8000 };

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		void *want = (void *)addrs[i], *m, *r;
		unsigned char *p;
		int merr, rerr;

		errno = 0;
		m = mmap(want, PAGE, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		merr = m == MAP_FAILED ? errno : 0;
		if (m != MAP_FAILED)
			munmap(m, PAGE);
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		errno = 0;
		r = mremap(p, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, want);
		rerr = r == MAP_FAILED ? errno : 0;
		munmap(r == MAP_FAILED ? (void *)p : r, PAGE);
		if (merr != rerr)
			note("mmap there: %s, mremap: %s",
			     check_errno_name(merr), check_errno_name(rerr));
		check(merr == rerr,
		      "mremap to fixed address %#lx does what mmap "
		      "there does",
		      (unsigned long)addrs[i]);
	}
}

/*
 * Lengths are untrusted: an old range that runs past user space or wraps
 * around the address space, or a new length that rounds up to 0, is
 * EINVAL, and the mapping stays where it was. (The raw syscall: musl's
 * mremap refuses huge lengths itself.)
 */
static long sys_mremap(void *old, size_t old_len, size_t new_len, int flags,
		       void *new_addr)
{
	return syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

static void remap_bad_lengths(void)
{
	unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *dest = mmap(NULL, PAGE, PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a = (uintptr_t)p;

	check(p != MAP_FAILED && dest != MAP_FAILED, "map two pages");
	p[0] = 7;
	check_errno(sys_mremap(p, (1UL << 47) - a + PAGE, PAGE, 0, NULL),
		    EINVAL, "mremap of an old range past user space");
	check_errno(sys_mremap(p, -a + PAGE, PAGE, 0, NULL), EINVAL,
		    "mremap of an old range that wraps around");
	check_errno(sys_mremap(p, -a + PAGE, PAGE,
			       MREMAP_MAYMOVE | MREMAP_FIXED, dest),
		    EINVAL, "mremap moving an old range that wraps around");
	check_errno(sys_mremap(p, PAGE, -1UL, MREMAP_MAYMOVE, NULL), EINVAL,
		    "mremap to a length that rounds up to 0");
	check(p[0] == 7, "the mapping is still there");
	munmap(p, PAGE);
	munmap(dest, PAGE);
}

/*
 * Calls on a range walk its areas, not its pages, so 2^45 bytes take no
 * longer than a page: a range that is mostly unmapped is ENOMEM at once,
 * and a huge PROT_NONE reservation (as runtimes make) can be advised,
 * synced, protected and unmapped whole.
 */
static void huge_ranges(void)
{
	const size_t huge = 1UL << 45;
	/* 16 TiB + 64 TiB stays below where programs and mmap live. */
	unsigned char *p = mmap(
			      (void *)(1UL << 44), PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			      -1, 0),
		      *mid;
	long long t0 = now_ms();

	check(p == (void *)(1UL << 44), "map a page at 16 TiB");
	p[0] = 1;
	check_errno(madvise(p, 1UL << 46, MADV_DONTNEED), ENOMEM,
		    "madvise DONTNEED of 64 TiB from it");
	check(p[0] == 0, "the mapped page was still dropped");
	check_errno(msync(p, 1UL << 46, MS_SYNC), ENOMEM,
		    "msync of 64 TiB from it");
	check_errno(mprotect(p, 1UL << 46, PROT_READ), ENOMEM,
		    "mprotect of 64 TiB from it");
	check_errno(madvise(p, -PAGE, MADV_NORMAL), EINVAL,
		    "madvise of a range that wraps around");
	check_errno(msync(p, PAGE, MS_SYNC | MS_ASYNC), EINVAL,
		    "msync with both MS_SYNC and MS_ASYNC");
	check(munmap(p, PAGE) == 0, "munmap the page");
	p = mmap(NULL, huge, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	check(p != MAP_FAILED, "reserve 32 TiB PROT_NONE");
	mid = p + huge / 2;
	check(mprotect(mid, PAGE, PROT_READ | PROT_WRITE) == 0,
	      "make one page in the middle writable");
	mid[0] = 1;
	check(madvise(p, huge, MADV_DONTNEED) == 0 && mid[0] == 0,
	      "madvise DONTNEED of all of it zeroes that page");
	check(msync(p, huge, MS_SYNC) == 0, "msync all of it");
	check(mprotect(p, huge, PROT_READ) == 0,
	      "mprotect all of it PROT_READ");
	check(munmap(p, huge) == 0, "munmap all of it");
	check(now_ms() - t0 < 10000, "all in less than 10 s");
}

int main(void)
{
	check_start("mmap");
	anonymous();
	file_private();
	fixed_and_remap();
	large_sparse();
	fixed_floor();
	remap_bad_lengths();
	huge_ranges();
	return check_done();
}
