/* syscall_fuzz_gen.c - argument values for the syscall fuzzer: hostile ones mixed with plausible ones. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "syscall_fuzz.h"

/*
 * Every generator mixes three sorts of value: plausible ones that get a
 * call past its argument checks (open fds, buffers inside the scratch
 * area, paths under /tmp/fz), boundary ones (0, -1, lengths that end at
 * or cross the guard page, sizes just over a limit) and hostile ones
 * (kernel addresses, non-canonical addresses, unmapped user memory).
 * Structs the kernel reads are built in R.structs, fresh for each call
 * (syscall_fuzz_structs.c).
 */

static uint64_t rnd_state;

void rnd_seed(uint64_t seed)
{
	rnd_state = seed;
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, and every seed is good. */
uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t pick_u64(const uint64_t *v, size_t n)
{
	return v[rnd_below(n)];
}

/* ---- the per-call struct area ---- */

static size_t struct_used;

void structs_reset(void)
{
	struct_used = 0;
}

void *struct_alloc(size_t n)
{
	size_t room = (size_t)(R.scratch_end - R.structs);
	void *p;

	n = (n + 7) & ~7UL;
	if (n > room - struct_used)
		return NULL;
	p = R.structs + struct_used;
	struct_used += n;
	return p;
}

bool in_scratch(uint64_t p, size_t n)
{
	uint64_t lo = (uint64_t)(uintptr_t)R.scratch;
	uint64_t hi = (uint64_t)(uintptr_t)R.scratch_end;

	return p >= lo && p <= hi && n <= hi - p;
}

/* A struct of n bytes: usually in R.structs, sometimes ending at the guard page. */
void *struct_place(size_t n)
{
	if (chance(5))
		return R.scratch_end - n;
	return struct_alloc(n);
}

void fill_random(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd();
}

/* ---- integers ---- */

uint64_t gen_int(void)
{
	static const uint64_t edge[] = {
		0,
		1,
		2,
		3,
		4,
		7,
		8,
		16,
		64,
		255,
		256,
		4095,
		4096,
		65535,
		65536,
		0x100000,
		0x1000000,
		0x6400000, /* 1, 16 and 100 MiB: memory pressure */
		0x7fffffff,
		0x80000000,
		0xffffffff,
		0x100000000ULL,
		0x7fffffffffffffffULL,
		0x8000000000000000ULL,
		(uint64_t)-1,
		(uint64_t)-2,
		(uint64_t)-4096,
		(uint64_t)(int64_t)INT32_MIN,
	};

	switch (rnd_below(4)) {
	case 0:
		return rnd_below(32);
	case 1:
		return PICK(edge);
	case 2:
		return (uint32_t)rnd();
	default:
		return rnd();
	}
}

uint64_t gen_flags(void)
{
	switch (rnd_below(10)) {
	case 0:
	case 1:
	case 2:
		return 0;
	case 3:
		return rnd_below(8);
	case 4:
	case 5:
		return 1ULL << rnd_below(32);
	case 6:
	case 7:
		return rnd() & rnd() & 0xfff;
	case 8:
		return (uint32_t)rnd();
	default:
		return rnd();
	}
}

uint64_t gen_mode(void)
{
	static const uint64_t modes[] = {
		0,	 0644,	  0755,	      0777,    07777,
		0100644, 0040755, 0120777,    0010644, 0140755,
		0020666, 0060666, 0xffffffff,
	};

	return chance(70) ? PICK(modes) : gen_int();
}

/* Mostly "unchanged" (-1) or root: losing root early would make the rest EPERM. */
uint64_t gen_uid(void)
{
	static const uint64_t ids[] = { 1,     1000,	   65534,
					65535, 0x7fffffff, 0xfffffffe };

	switch (rnd_below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return chance(50) ? 0xffffffff : (uint64_t)-1;
	case 4:
	case 5:
	case 6:
		return 0;
	case 7:
	case 8:
		return PICK(ids);
	default:
		return gen_int();
	}
}

/* Never one of FD_RESERVED_LO..HI, whatever the branch. */
long gen_fd(void)
{
	static const long bogus[] = { -1,    -2,	 -100,
				      1023,  1024,	 4096,
				      65536, 0x7fffffff, -0x7fffffff - 1 };
	long fd;

	if (fd_count && chance(75))
		return fd_table[rnd_below((uint64_t)fd_count)];
	if (chance(40))
		return (long)rnd_below(FD_RESERVED_LO);
	fd = bogus[rnd_below(sizeof(bogus) / sizeof(bogus[0]))];
	return fd;
}

long gen_dirfd(void)
{
	return chance(40) ? AT_FDCWD : gen_fd();
}

long gen_pid(void)
{
	static const long pids[] = { 0,	  -1,	 1,	     2,
				     100, 32768, 0x7fffffff, -0x7fffffff - 1 };

	switch (rnd_below(4)) {
	case 0:
	case 1:
		return self_pid;
	case 2:
		return pids[rnd_below(sizeof(pids) / sizeof(pids[0]))];
	default:
		return chance(50) ? -self_pid : (long)(int)rnd();
	}
}

int gen_signal(void)
{
	int sig;

	switch (rnd_below(6)) {
	case 0:
		sig = 0;
		break;
	case 1:
		sig = chance(50) ? SIGUSR1 : SIGUSR2;
		break;
	case 2:
		sig = (int)(int64_t)PICK(((const uint64_t[]){
			65, 128, (uint64_t)-1, 0x7fffffff, 0x80000000 }));
		break;
	default:
		sig = 1 + (int)rnd_below(64);
		break;
	}
	if (sig == SIGKILL || sig == SIGSTOP)
		sig = SIGUSR1;
	return sig;
}

/* ---- pointers ---- */

uint64_t gen_hostile(void)
{
	static const uint64_t fixed[] = {
		0,
		1,
		8,
		0xfff,
		0x1000,
		0xffff,
		0x00007ffffffff000ULL,
		0x00007ffffffffff8ULL, /* above USER_TOP */
		0x0000800000000000ULL,
		0x0000800000001000ULL, /* non-canonical */
		0x8000000000000000ULL,
		0xffff800000000000ULL,
		0xffff888000000000ULL,
		0xffff888000100000ULL, /* direct map */
		0xffff888001000000ULL,
		0xffffc90000000000ULL, /* device registers */
		0xffffffff80000000ULL,
		0xffffffff80100000ULL, /* kernel text */
		0xffffffff81000000ULL,
		0xffffffffff600000ULL, /* vsyscall page */
		0xfffffffffffff000ULL,
		0xfffffffffffffff8ULL,
		(uint64_t)-1,
	};

	switch (rnd_below(6)) {
	case 0:
		return (uint64_t)(uintptr_t)R.nomap + rnd_below(NOMAP);
	case 1:
		return PICK(fixed) + (chance(50) ? 0 : rnd_below(PAGE));
	case 2:
		return 0xffff888000000000ULL + (rnd() & 0x3ffffff8); /* RAM */
	case 3:
		return 0xffffffff80000000ULL +
		       (rnd() & 0x3ffff8); /* kernel image */
	case 4:
		return rnd() | 0x0000800000000000ULL; /* never user memory */
	default:
		return PICK(fixed);
	}
}

/*
 * A buffer: mostly inside the scratch area (sometimes unaligned, or just
 * before the guard page so a length crosses it), sometimes the arena
 * (whatever the memory calls left there), a read-only page (EFAULT when
 * the kernel writes), or hostile.
 */
uint64_t gen_ptr(bool out)
{
	uint64_t scratch = (uint64_t)(uintptr_t)R.scratch;
	uint64_t end = (uint64_t)(uintptr_t)R.scratch_end;

	switch (rnd_below(20)) {
	case 0:
	case 1:
		return end - 1 - rnd_below(64); /* straddles the guard page */
	case 2:
	case 3:
	case 4:
		return gen_hostile();
	case 5:
		return gen_mapped(); /* whatever the memory calls left there */
	case 6:
		return (uint64_t)(uintptr_t)R.ro + (out ? 0 : rnd_below(PAGE));
	case 7:
		return scratch + rnd_below(SCRATCH); /* unaligned */
	default:
		return scratch + (rnd_below(SCRATCH / 2) & ~7UL);
	}
}

uint64_t gen_len(uint64_t ptr)
{
	static const uint64_t huge[] = {
		0x1000000,
		0x4000000,
		0x7ffff000,
		0x80000000,
		0xffffffff,
		0x100000000ULL,
		1ULL << 47,
		0x7fffffffffffffffULL,
		0x8000000000000000ULL,
		(uint64_t)-1,
		(uint64_t)-4096,
	};
	uint64_t end = (uint64_t)(uintptr_t)R.scratch_end;

	switch (rnd_below(10)) {
	case 0:
		return 0;
	case 1:
		return 1 + rnd_below(8);
	case 2:
		return PICK(huge);
	case 3:
		if (in_scratch(ptr, 0))
			return end - ptr + (chance(50) ? 0 : 1 + rnd_below(64));
		return PAGE;
	case 4:
		return PAGE * (1 + rnd_below(4)) +
		       (chance(50) ? 0 : rnd_below(8));
	default:
		return rnd_below(chance(50) ? 256 : 8192);
	}
}

uint64_t gen_count(void)
{
	static const uint64_t edge[] = { 0,	     1,		 2,
					 1023,	     1024,	 1025,
					 0x7fffffff, 0x80000000, (uint64_t)-1 };

	return chance(75) ? rnd_below(9) : PICK(edge);
}

uint64_t gen_timeout_ms(void)
{
	static const uint64_t t[] = { 0,
				      0,
				      1,
				      5,
				      (uint64_t)-1,
				      0x7fffffff,
				      (uint64_t)(int64_t)INT32_MIN };

	return chance(85) ? PICK(t) : gen_int();
}

/* ---- strings ---- */

/*
 * Paths under /tmp/fz and a few system ones. Never /bin or
 * /proc/self/exe: truncating or unlinking the running program, or
 * opening it for writing, is a way to end the run, not to test the kernel.
 */
static const char *const paths[] = {
	"/tmp/fz/a",
	"/tmp/fz/b",
	"/tmp/fz/file",
	"/tmp/fz/d",
	"/tmp/fz/d/e",
	"/tmp/fz/link",
	"/tmp/fz/sock",
	"/tmp/fz/fifo",
	"/tmp/fz",
	"/tmp/fz/",
	"/tmp",
	"/",
	".",
	"..",
	"",
	"a",
	"b",
	"d/e",
	"file",
	"link",
	"../fz/a",
	"//tmp/./fz/../fz/b",
	"/tmp/fz/a/",
	"/tmp/fz/file/x",
	"/dev/null",
	"/dev/zero",
	"/dev/full",
	"/dev/urandom",
	"/dev/shm",
	"/dev/stdin",
	"/dev/fd",
	"/proc/self/maps",
	"/proc/self/status",
	"/proc/self/fd",
	"/proc/self/cwd",
	"/proc/self/stat",
	"/proc",
	"/proc/meminfo",
	"/proc/1",
	"/nonexistent",
	"/nonexistent/x",
	"/dev/null/x",
};

/* A string in R.structs: a known path, a long one, or unterminated. */
uint64_t gen_path(void)
{
	const char *s = paths[rnd_below(sizeof(paths) / sizeof(paths[0]))];
	size_t n = strlen(s);
	char *p;

	switch (rnd_below(20)) {
	case 0:
	case 1:
		return gen_hostile();
	case 2: /* no NUL before the guard page */
		p = (char *)R.scratch_end - n - (n == 0);
		memcpy(p, n ? s : "x", n ? n : 1);
		return (uint64_t)(uintptr_t)p;
	case 3: /* longer than PATH_MAX, or one component over NAME_MAX */
		n = chance(50) ? 4096 + rnd_below(8) : 250 + rnd_below(12);
		p = struct_alloc(n + 16);
		if (!p)
			return 0;
		memcpy(p, "/tmp/fz/", 8);
		for (size_t i = 8; i < n + 8; i++)
			p[i] = (n > 4096 && i % 2) ? '/' : 'x';
		p[n + 8] = '\0';
		return (uint64_t)(uintptr_t)p;
	default:
		p = struct_alloc(n + 1);
		if (!p)
			return 0;
		memcpy(p, s, n + 1);
		return (uint64_t)(uintptr_t)p;
	}
}

/* ---- memory ranges: the arena, mappings calls made, or ranges the kernel must refuse ---- */

#define LOW_END 0x10000ULL /* Linux's mmap_min_addr: never mapped */
/* Linux's TASK_SIZE and Kiln's USER_TOP. */
#define USER_END 0x00007ffffffff000ULL

/*
 * Mappings mmap and mremap returned: the fuzzer's own to hand out again,
 * as buffers and as ranges for the memory calls. Never its code, data or
 * stack: syscall_fuzz.c stops the run if the kernel ever places one there.
 */
#define MAPS 16
static struct {
	uint64_t addr, len;
} maps[MAPS];
static unsigned maps_made;

void map_remember(uint64_t addr, uint64_t len)
{
	if (len == 0 || len > (1ULL << 32) || (addr & (PAGE - 1)) ||
	    addr >= USER_END || len > USER_END - addr)
		return;
	maps[maps_made % MAPS].addr = addr;
	maps[maps_made % MAPS].len = len;
	maps_made++;
}

/* A remembered mapping: false when there is none yet. */
static bool map_pick(uint64_t *addr, uint64_t *len)
{
	unsigned n = maps_made < MAPS ? maps_made : MAPS, i;

	if (n == 0)
		return false;
	i = (unsigned)rnd_below(n);
	*addr = maps[i].addr;
	*len = maps[i].len;
	return true;
}

uint64_t gen_mapped(void)
{
	uint64_t addr, len;

	if (!map_pick(&addr, &len))
		return (uint64_t)(uintptr_t)R.arena + rnd_below(ARENA);
	return addr + rnd_below(len);
}

/* Bytes from addr to the end of the arena or the remembered mapping holding it; 0 if none. */
static uint64_t range_left(uint64_t addr)
{
	uint64_t base = (uint64_t)(uintptr_t)R.arena;
	unsigned n = maps_made < MAPS ? maps_made : MAPS;

	if (addr >= base && addr <= base + ARENA)
		return base + ARENA - addr;
	for (unsigned i = 0; i < n; i++)
		if (addr >= maps[i].addr && addr <= maps[i].addr + maps[i].len)
			return maps[i].addr + maps[i].len - addr;
	return 0;
}

/*
 * A bad address for a range: in the low 64 KiB, at or above the top of
 * user space, or kernel and non-canonical ones. Never an address of the
 * fuzzer's own memory, from which a long range would unmap the fuzzer
 * itself, rightly (munmap(0, 4 GiB) does on Linux).
 */
static uint64_t gen_bad_range_start(void)
{
	switch (rnd_below(3)) {
	case 0:
		return rnd_below(LOW_END) & (chance(70) ? ~(PAGE - 1) : ~0ULL);
	case 1:
		return USER_END + (chance(50) ? 0 : rnd_below(PAGE));
	default:
		return gen_hostile() | 0x0000800000000000ULL;
	}
}

uint64_t gen_arena_addr(void)
{
	uint64_t base = (uint64_t)(uintptr_t)R.arena, addr, len;

	switch (rnd_below(10)) {
	case 0:
		return gen_bad_range_start();
	case 1:
		return base + rnd_below(ARENA); /* unaligned */
	case 2:
	case 3:
		if (map_pick(&addr, &len))
			return addr + rnd_below(len / PAGE + 1) * PAGE;
		/* fall through */
	default:
		return base + rnd_below(ARENA / PAGE) * PAGE;
	}
}

/*
 * A length that keeps [addr, addr+len) inside the arena or the mapping
 * holding addr, or that makes addr+len wrap: a range reaching past them
 * could unmap or protect the fuzzer itself, as it would on Linux. From a
 * bad start, one that stays below LOW_END, or anything above USER_END.
 */
uint64_t gen_arena_len(uint64_t addr)
{
	uint64_t left;

	if (addr < LOW_END)
		return chance(80) ? rnd_below(LOW_END - addr + 1) :
				    (uint64_t)0 - addr;
	if (addr >= USER_END)
		return chance(50) ? PAGE : gen_int();
	left = range_left(addr);
	switch (left ? rnd_below(10) : 0) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)0 - addr + rnd_below(2 * PAGE); /* wraps */
	case 2:
		return (uint64_t)-1;
	case 3:
		return left;
	case 4:
		return rnd_below(left + 1); /* unaligned */
	default: {
		uint64_t n = (1 + rnd_below(16)) * PAGE;

		return n > left ? left : n;
	}
	}
}

uint64_t gen_prot(void)
{
	static const uint64_t prot[] = {
		PROT_NONE,
		PROT_READ,
		PROT_READ | PROT_WRITE,
		PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC,
		PROT_WRITE,
		PROT_READ | PROT_GROWSDOWN,
		PROT_READ | PROT_GROWSUP,
	};

	return chance(85) ? PICK(prot) : gen_flags();
}

uint64_t gen_clock(void)
{
	static const uint64_t odd[] = { 12,
					16,
					(uint64_t)-1,
					0x7fffffff,
					(uint64_t)(~(1L << 3) | 2),
					(uint64_t)-6 };

	return chance(75) ? rnd_below(12) : PICK(odd);
}

uint64_t gen_futex_addr(void)
{
	uint32_t *w;

	switch (rnd_below(10)) {
	case 0:
		return gen_hostile();
	case 1:
		return (uint64_t)(uintptr_t)R.scratch + 1 +
		       4 * rnd_below(64); /* unaligned */
	case 2:
		return (uint64_t)(uintptr_t)R.ro;
	default:
		w = struct_place(sizeof(*w));
		if (!w)
			return 0;
		*w = (uint32_t)(chance(50) ? rnd_below(4) : rnd());
		return (uint64_t)(uintptr_t)w;
	}
}
