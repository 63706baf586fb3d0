/* syscall_fuzz.c - random syscall fuzzer, a guest program: SEED and CALLS in, "done" out, or a kernel report. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "syscall_fuzz.h"

/*
 * Usage: syscall_fuzz [-v] [-e] SEED CALLS
 *
 * Makes CALLS random system calls, numbers 0..450 and a few beyond, with
 * arguments that mix hostile values and plausible ones, all chosen from
 * SEED: the same seed on the same kernel makes the same calls. A periodic
 * SIGALRM interrupts whatever blocks, and the calls themselves send
 * signals. Ends with "syscall_fuzz: seed S, N calls, done" and status 0;
 * anything else (no such line, a kernel report, a timeout) is a finding.
 * -v prints each call before it is made (on stderr). -e also enters the
 * kernel with hostile flags now and then: NT, AC and DF set in RFLAGS at
 * the SYSCALL, which the kernel's flag mask must clear (Linux's does).
 *
 * It refuses to run anywhere but a Kiln guest: on a Linux host it would
 * make the same hostile calls as the user running it.
 */

struct regions R;
int fd_table[FD_TABLE];
int fd_count;
static int fd_base; /* fd_table[0..fd_base) were opened at start-up */
long self_pid;
int listen_port;

/* The last calls, for the report of a fault. */
#define RING 16
static struct call {
	uint64_t n;
	uint64_t nr, a[MAX_ARGS];
	uint64_t rflags; /* bits set at the SYSCALL (-e), or 0 */
	long ret;
	bool done;
} ring[RING];
static uint64_t calls_made;
static volatile unsigned long signals_caught[65];
static bool verbose, hostile_flags;

/* What check_after compares with. */
extern char __executable_start[], _end[]; /* the program's image (GNU ld) */
static uintptr_t stack_mark;		  /* an address on main's stack */
static uint8_t ro_copy[PAGE];		  /* what the read-only page holds */

/* ---- raw system calls: no libc wrapper between the arguments and the kernel ---- */

static long raw6(uint64_t nr, const uint64_t a[MAX_ARGS])
{
	register uint64_t r10 __asm__("r10") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define RFLAGS_DF 0x400UL
#define RFLAGS_NT 0x4000UL
#define RFLAGS_AC 0x40000UL

/*
 * raw6 with extra RFLAGS bits set for the SYSCALL alone, cleared right
 * after it: the C code around assumes DF and AC clear. Below the red
 * zone, which the pushes would otherwise overwrite.
 */
static long raw6_flags(uint64_t nr, const uint64_t a[MAX_ARGS], uint64_t set)
{
	register uint64_t r10 __asm__("r10") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];
	uint64_t keep = ~(RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
	long ret;

	__asm__ volatile("sub $128, %%rsp\n\t"
			 "pushfq\n\t"
			 "or %[set], (%%rsp)\n\t"
			 "popfq\n\t"
			 "syscall\n\t"
			 "pushfq\n\t"
			 "and %[keep], (%%rsp)\n\t"
			 "popfq\n\t"
			 "add $128, %%rsp"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10),
			   "r"(r8), "r"(r9), [set] "r"(set), [keep] "r"(keep)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}

static long raw(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	const uint64_t a[MAX_ARGS] = { a0, a1, a2, a3, 0, 0 };

	return raw6(nr, a);
}

/* ---- output without stdio: the handler shares it ---- */

static void put(int fd, const char *s, size_t n)
{
	while (n > 0) {
		long w = raw(SYS_write, (uint64_t)fd, (uint64_t)(uintptr_t)s, n,
			     0);

		if (w == -EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

struct line {
	char buf[512];
	size_t n;
};

static void line_str(struct line *l, const char *s)
{
	while (*s && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = *s++;
}

static void line_num(struct line *l, uint64_t v, unsigned base)
{
	char tmp[24];
	int i = 0;

	if (base == 16)
		line_str(l, "0x");
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i > 0 && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = tmp[--i];
}

static void line_signed(struct line *l, long v)
{
	if (v < 0) {
		line_str(l, "-");
		line_num(l, (uint64_t)0 - (uint64_t)v, 10);
	} else {
		line_num(l, (uint64_t)v, 10);
	}
}

static void line_out(struct line *l, int fd)
{
	l->buf[l->n++] = '\n';
	put(fd, l->buf, l->n);
	l->n = 0;
}

/*
 * An argument: addresses inside the fuzzer's regions by region and
 * offset ("scratch+0x10"), since ASLR moves the regions from boot to
 * boot while the seed fixes the offsets.
 */
static void line_arg(struct line *l, uint64_t v)
{
	static const struct {
		const char *name;
		uint8_t *const *base;
		size_t size;
	} regions[] = {
		{ "scratch", &R.scratch, SCRATCH + PAGE },
		{ "ro", &R.ro, PAGE },
		{ "nomap", &R.nomap, NOMAP },
		{ "arena", &R.arena, ARENA },
		{ "altstack", &R.altstack, ALTSTACK },
	};

	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		uint64_t base = (uint64_t)(uintptr_t)*regions[i].base;

		if (base && v >= base && v - base < regions[i].size) {
			line_str(l, regions[i].name);
			line_str(l, "+");
			line_num(l, v - base, 16);
			return;
		}
	}
	line_num(l, v, 16);
}

/* "#N nr(a0, ..., a5) = ret" */
static void line_call(struct line *l, const struct call *c)
{
	line_str(l, "syscall_fuzz: #");
	line_num(l, c->n, 10);
	line_str(l, " ");
	line_num(l, c->nr, c->nr < 1024 ? 10 : 16);
	line_str(l, "(");
	for (int i = 0; i < MAX_ARGS; i++) {
		line_arg(l, c->a[i]);
		line_str(l, i < MAX_ARGS - 1 ? ", " : ")");
	}
	if (c->rflags) {
		line_str(l, " rflags |= ");
		line_num(l, c->rflags, 16);
	}
	if (c->done) {
		line_str(l, " = ");
		line_signed(l, c->ret);
	}
}

/* ---- signals ---- */

bool signal_reserved(int sig)
{
	return sig == SIGALRM || sig == SIGSEGV || sig == SIGBUS ||
	       sig == SIGILL || sig == SIGFPE || sig == SIGTRAP ||
	       sig == SIGSYS;
}

__asm__(".text\n"
	".globl fuzz_restorer\n"
	"fuzz_restorer:\n"
	"\tmov $15, %eax\n" /* rt_sigreturn */
	"\tsyscall\n"
	"\thlt\n");

struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};
#define K_SA_SIGINFO 4UL
#define K_SA_RESTORER 0x04000000UL

static void set_handler(int sig, uint64_t handler)
{
	struct k_sigaction sa = { handler, K_SA_SIGINFO | K_SA_RESTORER,
				  (uint64_t)(uintptr_t)fuzz_restorer, 0 };

	raw(SYS_rt_sigaction, (uint64_t)sig, (uint64_t)(uintptr_t)&sa, 0, 8);
}

/*
 * A fault the kernel raised (si_code > 0) in the fuzzer's own code: say
 * which call came last, then let the fault repeat under the default
 * action, so the kernel reports it and the run ends with 128+sig. The
 * same signal sent by a call (si_code <= 0) is only counted.
 */
static void report_last_calls(struct line *l)
{
	line_str(l, " after call #");
	line_num(l, calls_made ? calls_made - 1 : 0, 10);
	line_str(l, "; the last calls:");
	line_out(l, FD_ERR);
	for (uint64_t i = calls_made > RING ? calls_made - RING : 0;
	     i < calls_made; i++) {
		line_call(l, &ring[i % RING]);
		line_out(l, FD_ERR);
	}
}

static void report_fault(int sig, const int32_t *si)
{
	struct line l = { .n = 0 };

	line_str(&l, "syscall_fuzz: fatal signal ");
	line_num(&l, (uint64_t)sig, 10);
	line_str(&l, " code ");
	line_signed(&l, si[2]);
	line_str(&l, " address ");
	line_num(&l, *(const uint64_t *)(si + 4), 16);
	report_last_calls(&l);
	set_handler(sig, 0 /* SIG_DFL */);
}

/* A broken promise of the kernel's that no signal reports: say so, status 3. */
static _Noreturn void report_broken(const char *what)
{
	struct line l = { .n = 0 };

	line_str(&l, "syscall_fuzz: ");
	line_str(&l, what);
	report_last_calls(&l);
	raw(SYS_exit_group, 3, 0, 0, 0);
	for (;;)
		;
}

void fuzz_on_signal(int sig, void *info, void *uctx)
{
	const int32_t *si = info;

	(void)uctx;
	if (sig > 0 && sig <= 64)
		signals_caught[sig]++;
	if (sig != SIGALRM && signal_reserved(sig) && si && si[2] > 0)
		report_fault(sig, si);
}

static void signals_setup(void)
{
	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			set_handler(sig, (uint64_t)(uintptr_t)fuzz_on_signal);
}

/* SIGALRM every 10 ms: no call blocks for longer. */
static void watchdog_arm(void)
{
	const int64_t it[4] = { 0, 10000, 0, 10000 };

	raw(SYS_setitimer, 0 /* ITIMER_REAL */, (uint64_t)(uintptr_t)it, 0, 0);
}

/* Whatever a call did to the mask, the watchdog's signal gets through. */
static void watchdog_unblock(void)
{
	uint64_t set = 1ULL << (SIGALRM - 1);

	raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (uint64_t)(uintptr_t)&set, 0, 8);
}

/* ---- the memory and fds set aside ---- */

static uint8_t *map(size_t n, int prot)
{
	uint64_t a[MAX_ARGS] = {
		0, n, (uint64_t)prot, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1,
		0
	};
	long p = raw6(SYS_mmap, a);

	if (p < 0 && p > -4096) {
		put(FD_ERR, "syscall_fuzz: mmap failed\n", 26);
		raw(SYS_exit_group, 2, 0, 0, 0);
	}
	return (uint8_t *)(uintptr_t)p;
}

static void regions_setup(void)
{
	R.scratch = map(SCRATCH + PAGE, PROT_READ | PROT_WRITE);
	R.scratch_end = R.scratch + SCRATCH;
	R.structs = R.scratch + SCRATCH / 2;
	raw(SYS_mprotect, (uint64_t)(uintptr_t)R.scratch_end, PAGE, PROT_NONE,
	    0);
	R.ro = map(PAGE, PROT_READ | PROT_WRITE);
	for (size_t i = 0; i < PAGE; i++)
		R.ro[i] = ro_copy[i] = (uint8_t)rnd();
	raw(SYS_mprotect, (uint64_t)(uintptr_t)R.ro, PAGE, PROT_READ, 0);
	R.nomap = map(NOMAP, PROT_NONE);
	R.arena = map(ARENA, PROT_READ | PROT_WRITE);
	R.altstack = map(ALTSTACK + PAGE, PROT_READ | PROT_WRITE) + PAGE;
	raw(SYS_mprotect, (uint64_t)(uintptr_t)(R.altstack - PAGE), PAGE,
	    PROT_NONE, 0);
	for (size_t i = 0; i < SCRATCH; i++)
		R.scratch[i] = (uint8_t)rnd();
	R.brk0 = (uintptr_t)raw(SYS_brk, 0, 0, 0, 0);
}

void fd_remember(long fd)
{
	int slot;

	if (fd < 0 || fd >= FD_RESERVED_LO)
		return;
	for (int i = 0; i < fd_count; i++)
		if (fd_table[i] == fd)
			return;
	if (fd_count < FD_TABLE) {
		fd_table[fd_count++] = (int)fd;
		return;
	}
	/* Full: a new fd replaces one a call opened, which is closed. */
	slot = fd_base + (int)rnd_below((uint64_t)(FD_TABLE - fd_base));
	raw(SYS_close, (uint64_t)fd_table[slot], 0, 0, 0);
	fd_table[slot] = (int)fd;
}

static void open_base(const char *path, int flags)
{
	fd_remember(raw(SYS_openat, (uint64_t)AT_FDCWD,
			(uint64_t)(uintptr_t)path, (uint64_t)flags, 0644));
}

/* A TCP listener on 127.0.0.1, a connection to it, and both ends. */
static void sockets_setup(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)listen_port),
				   .sin_addr.s_addr = htonl(0x7f000001) };
	long l = raw(SYS_socket, AF_INET, SOCK_STREAM, 0, 0);
	long c = raw(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, 0);
	long u = raw(SYS_socket, AF_INET, SOCK_DGRAM, 0, 0);
	int sv[2];

	raw(SYS_bind, (uint64_t)l, (uint64_t)(uintptr_t)&sin, sizeof(sin), 0);
	raw(SYS_listen, (uint64_t)l, 8, 0, 0);
	raw(SYS_connect, (uint64_t)c, (uint64_t)(uintptr_t)&sin, sizeof(sin),
	    0);
	fd_remember(l);
	fd_remember(c);
	fd_remember(raw(SYS_accept4, (uint64_t)l, 0, 0, SOCK_NONBLOCK));
	sin.sin_port = htons((uint16_t)(listen_port + 1));
	raw(SYS_bind, (uint64_t)u, (uint64_t)(uintptr_t)&sin, sizeof(sin), 0);
	fd_remember(u);
	for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
		if (raw(SYS_socketpair, AF_UNIX, (uint64_t)type, 0,
			(uint64_t)(uintptr_t)sv) == 0) {
			fd_remember(sv[0]);
			fd_remember(sv[1]);
		}
	}
}

static void fds_setup(void)
{
	static const char content[] = "syscall fuzz file\n";
	int p[2];
	long fd, ep;
	uint64_t mask = 1ULL << (SIGUSR2 - 1);

	/* Keep the real stdio out of reach; 0-2 become /dev/null. */
	raw(SYS_dup2, 0, FD_IN, 0, 0);
	raw(SYS_dup2, 1, FD_OUT, 0, 0);
	raw(SYS_dup2, 2, FD_ERR, 0, 0);
	fd = raw(SYS_openat, (uint64_t)AT_FDCWD,
		 (uint64_t)(uintptr_t) "/dev/null", O_RDWR, 0);
	for (int i = 0; i < 3; i++)
		raw(SYS_dup2, (uint64_t)fd, (uint64_t)i, 0, 0);
	if (fd > 2)
		raw(SYS_close, (uint64_t)fd, 0, 0, 0);

	raw(SYS_mkdir, (uint64_t)(uintptr_t) "/tmp", 01777, 0, 0);
	raw(SYS_mkdir, (uint64_t)(uintptr_t) "/tmp/fz", 0755, 0, 0);
	raw(SYS_mkdir, (uint64_t)(uintptr_t) "/tmp/fz/d", 0755, 0, 0);
	raw(SYS_mknod, (uint64_t)(uintptr_t) "/tmp/fz/fifo", S_IFIFO | 0644, 0,
	    0);
	raw(SYS_symlink, (uint64_t)(uintptr_t) "a",
	    (uint64_t)(uintptr_t) "/tmp/fz/link", 0, 0);
	raw(SYS_chdir, (uint64_t)(uintptr_t) "/tmp/fz", 0, 0, 0);
	fd = raw(SYS_openat, (uint64_t)AT_FDCWD,
		 (uint64_t)(uintptr_t) "/tmp/fz/file", O_RDWR | O_CREAT, 0644);
	raw(SYS_write, (uint64_t)fd, (uint64_t)(uintptr_t)content,
	    sizeof(content) - 1, 0);
	fd_remember(fd);
	open_base("/tmp/fz/a", O_RDWR | O_CREAT | O_APPEND);
	open_base("/tmp/fz", O_RDONLY | O_DIRECTORY);
	open_base("/dev/null", O_RDWR);
	open_base("/dev/zero", O_RDONLY);
	open_base("/dev/urandom", O_RDONLY);
	open_base("/proc/self/maps", O_RDONLY);
	if (raw(SYS_pipe2, (uint64_t)(uintptr_t)p, O_NONBLOCK, 0, 0) == 0) {
		fd_remember(p[0]);
		fd_remember(p[1]);
	}
	ep = raw(SYS_epoll_create1, 0, 0, 0, 0);
	fd_remember(ep);
	fd_remember(raw(SYS_eventfd2, 0, 0, 0, 0));
	fd_remember(raw(SYS_timerfd_create, CLOCK_MONOTONIC, 0, 0, 0));
	fd_remember(raw(SYS_signalfd4, (uint64_t)-1, (uint64_t)(uintptr_t)&mask,
			8, 0));
	sockets_setup();
	fd_base = fd_count;
}

/* ---- choosing calls ---- */

static unsigned enosys[NSYSCALLS];

/*
 * Mostly 0..450, each as likely, except that a number the kernel answered
 * ENOSYS twice comes up 1 time in 16 afterwards. Sometimes a number the
 * table has no row for: above 450, with high bits set (Linux reads only
 * eax), or the x32 bit (which Linux refuses here).
 */
static int pick_row(void)
{
	for (;;) {
		int nr = (int)rnd_below(NSYSCALLS);

		if (skip_reason(nr))
			continue;
		if (enosys[nr] >= 2 && !chance(6))
			continue;
		return nr;
	}
}

static uint64_t pick_nr(int row)
{
	if (!chance(2))
		return (uint64_t)row;
	switch (rnd_below(4)) {
	case 0:
		return (uint64_t)row | 1ULL << 32;
	case 1:
		return (uint64_t)row | 0x40000000;
	case 2:
		return NSYSCALLS + rnd_below(600);
	default:
		return (uint64_t)-1 - rnd_below(2);
	}
}

static struct {
	unsigned long ok, failed, enosys, efault, eintr;
} stats;

/* ---- what the kernel must never do, checked as the calls go ---- */

/* The top of user space (Linux's TASK_SIZE). */
#define USER_SPAN 0x00007ffffffff000ULL

static bool overlaps(uint64_t a, uint64_t n, uintptr_t lo, uintptr_t hi)
{
	return a < hi && lo < a + n;
}

/*
 * A mapping a call made (mmap or mremap, not MAP_FIXED onto the arena)
 * must not lie over the fuzzer's program, stack or regions: the kernel
 * placed it over memory in use. Otherwise it is the fuzzer's to use.
 */
static void check_mapping(uint64_t addr, uint64_t len)
{
	uintptr_t s = (uintptr_t)R.scratch, alt = (uintptr_t)R.altstack;

	if (len > USER_SPAN || addr + len > USER_SPAN)
		report_broken("a mapping larger than user space was made");
	len = (len + PAGE - 1) & ~(PAGE - 1);
	if (overlaps(addr, len, (uintptr_t)__executable_start,
		     (uintptr_t)_end) ||
	    overlaps(addr, len, stack_mark - (256 << 10),
		     stack_mark + (256 << 10)) ||
	    overlaps(addr, len, s, s + SCRATCH + PAGE) ||
	    overlaps(addr, len, (uintptr_t)R.ro, (uintptr_t)R.ro + PAGE) ||
	    overlaps(addr, len, (uintptr_t)R.nomap,
		     (uintptr_t)R.nomap + NOMAP) ||
	    overlaps(addr, len, alt - PAGE, alt + ALTSTACK))
		report_broken(
			"a mapping was placed over the fuzzer's own memory");
	map_remember(addr, len);
}

static void check_after(uint64_t nr, const uint64_t a[MAX_ARGS], long ret)
{
	if (ret > 0 && (nr == SYS_mmap || nr == SYS_mremap))
		check_mapping((uint64_t)ret, nr == SYS_mmap ? a[1] : a[2]);
	if (memcmp(R.ro, ro_copy, PAGE) != 0)
		report_broken("the read-only page changed");
}

static void fuzz_one(void)
{
	int row = pick_row();
	uint64_t nr = pick_nr(row), a[MAX_ARGS];
	struct call *c = &ring[calls_made % RING];
	struct line l = { .n = 0 };
	long ret;

	structs_reset();
	if (!args_make(row, a))
		return;
	*c = (struct call){ .n = calls_made, .nr = nr };
	memcpy(c->a, a, sizeof(a));
	if (hostile_flags && chance(3))
		c->rflags = PICK(((const uint64_t[]){
			RFLAGS_NT, RFLAGS_AC, RFLAGS_DF,
			RFLAGS_NT | RFLAGS_AC | RFLAGS_DF }));
	if (verbose) {
		line_call(&l, c);
		line_out(&l, FD_ERR);
	}
	calls_made++;
	ret = c->rflags ? raw6_flags(nr, a, c->rflags) : raw6(nr, a);
	c->ret = ret;
	c->done = true;
	if (ret >= 0 || ret < -4095) {
		stats.ok++;
	} else {
		stats.failed++;
		stats.enosys += ret == -ENOSYS;
		stats.efault += ret == -EFAULT;
		stats.eintr += ret == -EINTR;
		if (ret == -ENOSYS && nr < NSYSCALLS)
			enosys[nr]++;
	}
	if (nr < NSYSCALLS)
		args_after((int)nr, a, ret);
	check_after(nr, a, ret);
	if (nr == SYS_alarm || nr == SYS_setitimer)
		watchdog_arm();
	if (nr == SYS_rt_sigprocmask || nr == SYS_rt_sigsuspend)
		watchdog_unblock();
}

/* ---- start and end ---- */

static void say(struct line *l)
{
	line_out(l, FD_OUT);
}

static void summary(uint64_t seed, uint64_t n)
{
	struct line l = { .n = 0 };
	unsigned long sigs = 0;

	for (int i = 1; i <= 64; i++)
		sigs += signals_caught[i];
	line_str(&l, "syscall_fuzz: ");
	line_num(&l, stats.ok, 10);
	line_str(&l, " succeeded, ");
	line_num(&l, stats.failed, 10);
	line_str(&l, " failed (");
	line_num(&l, stats.enosys, 10);
	line_str(&l, " ENOSYS, ");
	line_num(&l, stats.efault, 10);
	line_str(&l, " EFAULT, ");
	line_num(&l, stats.eintr, 10);
	line_str(&l, " EINTR), ");
	line_num(&l, sigs, 10);
	line_str(&l, " signals caught");
	say(&l);
	line_str(&l, "syscall_fuzz: seed ");
	line_num(&l, seed, 10);
	line_str(&l, ", ");
	line_num(&l, n, 10);
	line_str(&l, " calls, done");
	say(&l);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !*end && !errno;
}

/* Under Kiln uname's release ends in "-kiln" (kernel/linux/sys_info.c). */
static bool in_kiln(void)
{
	struct utsname u;
	size_t n;

	if (uname(&u) != 0)
		return false;
	n = strlen(u.release);
	return n >= 5 && strcmp(u.release + n - 5, "-kiln") == 0;
}

int main(int argc, char **argv)
{
	uint64_t seed, n;
	int arg = 1;

	for (; arg < argc && argv[arg][0] == '-'; arg++) {
		if (strcmp(argv[arg], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[arg], "-e") == 0)
			hostile_flags = true;
		else
			break;
	}
	if (argc - arg != 2 || !parse_u64(argv[arg], &seed) ||
	    !parse_u64(argv[arg + 1], &n)) {
		put(2, "usage: syscall_fuzz [-v] [-e] SEED CALLS\n", 41);
		return 2;
	}
	if (!in_kiln()) {
		put(2,
		    "syscall_fuzz: not a Kiln guest; refusing to make hostile calls here\n",
		    68);
		return 2;
	}
	stack_mark = (uintptr_t)&seed;
	rnd_seed(seed);
	self_pid = raw(SYS_getpid, 0, 0, 0, 0);
	listen_port = 20000 + (int)(seed % 20000);
	regions_setup();
	fds_setup();
	signals_setup();
	watchdog_arm();
	while (calls_made < n)
		fuzz_one();
	summary(seed, n);
	raw(SYS_exit_group, 0, 0, 0, 0);
	return 0;
}
