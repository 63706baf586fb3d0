/* syscall_fuzz_guard.c - the guards on calls whose arguments could hurt the fuzzer itself rather than test the kernel. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "syscall_fuzz.h"

/*
 * Each guard rewrites some of the arguments the kinds of
 * syscall_fuzz_table.c chose: a range that must stay in the arena, a
 * signal handler the fuzzer survives, fds it keeps for itself. What is
 * left hostile is what a kernel must refuse on its own.
 */

/* Signals the kernel raises on a fault: sent by kill they are harmless. */
static bool fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS;
}

static void fix_mmap(uint64_t a[MAX_ARGS])
{
	static const uint64_t flags[] = {
		MAP_PRIVATE | MAP_ANONYMOUS,
		MAP_SHARED | MAP_ANONYMOUS,
		MAP_PRIVATE,
		MAP_SHARED,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		MAP_SHARED | MAP_FIXED,
		MAP_PRIVATE | MAP_FIXED,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		MAP_SHARED_VALIDATE,
	};

	a[3] = chance(85) ?
		       PICK(flags) | (chance(15) ? 1ULL << rnd_below(32) : 0) :
		       gen_flags();
	if (a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		/* Only the arena may be replaced. */
		a[0] = gen_arena_addr();
		a[1] = gen_arena_len(a[0]);
	} else {
		/* A hint; one in use (the scratch area) must be ignored. */
		switch (rnd_below(4)) {
		case 0:
			a[0] = 0;
			break;
		case 1:
			a[0] = (uint64_t)(uintptr_t)R.scratch;
			break;
		case 2:
			a[0] = gen_hostile();
			break;
		default:
			break; /* the arena address K_ADDR chose */
		}
		a[1] = chance(75) ? PAGE * (1 + rnd_below(16)) : gen_len(0);
	}
	a[4] = chance(50) ? (uint64_t)-1 : (uint64_t)gen_fd();
	a[5] = chance(70) ? 0 : chance(50) ? PAGE * rnd_below(16) : gen_int();
}

static void fix_mremap(uint64_t a[MAX_ARGS])
{
	static const uint64_t flags[] = { 0,
					  MREMAP_MAYMOVE,
					  MREMAP_MAYMOVE | MREMAP_FIXED,
					  MREMAP_MAYMOVE |
						  4 /* MREMAP_DONTUNMAP */,
					  MREMAP_FIXED,
					  4 };

	a[3] = chance(90) ? PICK(flags) : gen_flags();
	if (a[3] & MREMAP_FIXED) { /* the target is replaced: the arena only */
		a[4] = gen_arena_addr();
		a[2] = gen_arena_len(a[4]);
	} else {
		a[2] = chance(75) ? PAGE * (1 + rnd_below(32)) : gen_int();
	}
}

static void fix_brk(uint64_t a[MAX_ARGS])
{
	switch (rnd_below(6)) {
	case 0:
		a[0] = 0;
		break;
	case 1:
		a[0] = R.brk0 + rnd_below(1 << 20);
		break;
	case 2:
		a[0] = R.brk0 + rnd_below(64 << 20);
		break;
	case 3:
		a[0] = 1ULL << 47;
		break;
	case 4:
		a[0] = R.brk0;
		break;
	default:
		a[0] = gen_hostile();
		break;
	}
}

/* Never a range holding a reserved fd; usually a short one. */
static void fix_close_range(uint64_t a[MAX_ARGS])
{
	uint64_t lo = (uint32_t)a[0], hi = (uint32_t)a[1];

	if (chance(75)) {
		lo = 3 + rnd_below(FD_RESERVED_LO - 3);
		hi = lo + rnd_below(4);
	}
	if (lo <= FD_RESERVED_HI && hi >= FD_RESERVED_LO) {
		if (lo < FD_RESERVED_LO)
			hi = FD_RESERVED_LO - 1;
		else
			lo = FD_RESERVED_HI + 1;
	}
	a[0] = lo;
	a[1] = hi;
	a[2] = chance(50) ? 0 : PICK(((const uint64_t[]){ 2, 4, 6, 1 }));
}

static void fix_sigaction(uint64_t a[MAX_ARGS])
{
	int sig = (int)a[0];

	if (chance(5))
		sig = chance(50) ? SIGKILL : SIGSTOP; /* refused; never sent */
	a[0] = (uint64_t)(int64_t)sig;
	if (sig >= 1 && sig <= 64 && signal_reserved(sig))
		a[1] = chance(50) ? 0 : gen_hostile();
	else if (!chance(15))
		a[1] = gen_sigaction(sig);
	else
		a[1] = 0;
}

/* siginfo the kernel copies in: a fault signal would pass for a real fault. */
static void fix_sigqueue(uint64_t a[MAX_ARGS], int sig_arg, int info_arg)
{
	static const uint64_t codes[] = { (uint64_t)-1, 0,
					  (uint64_t)-6, 1,
					  0x80,		(uint64_t)-60 };
	int sig = (int)a[sig_arg];
	int32_t *info;

	if (fault_signal(sig))
		a[sig_arg] = SIGUSR2;
	if (chance(20))
		return;
	info = struct_alloc(128);
	if (!info)
		return;
	for (int i = 0; i < 32; i++)
		info[i] = (int32_t)rnd();
	info[0] = (int32_t)a[sig_arg];
	info[2] = (int32_t)PICK(codes);
	a[info_arg] = (uint64_t)(uintptr_t)info;
}

static void fix_prctl(uint64_t a[MAX_ARGS])
{
	static const uint64_t opts[] = {
		1,
		2,
		3,
		4,
		7,
		8,
		13,
		15,
		16,
		23,
		24,
		27,
		28,
		29,
		30,
		36,
		37,
		38,
		39,
		40,
		41,
		42,
		45,
		46,
		47,
		52,
		53,
		57,
		58,
		0x59616d61,
		0x53564d41 /* PR_SET_VMA */,
		0x41555856 /* PR_GET_AUXV */,
	};

	a[0] = chance(85) ? PICK(opts) : gen_int();
	/*
	 * PR_SET_SECCOMP (22) and PR_SET_SYSCALL_USER_DISPATCH (59) turn
	 * syscalls into fatal signals, PR_SET_TSC (26) makes rdtsc fault,
	 * PR_SET_MM (35) moves the program break and stack bounds.
	 */
	if (a[0] == 22 || a[0] == 26 || a[0] == 35 || a[0] == 59)
		a[0] = 16; /* PR_GET_NAME */
	if (a[0] == 15 || a[0] == 16 || a[0] == 40) {
		a[1] = gen_ptr(a[0] != 15);
	} else if (a[0] == 0x53564d41) {
		a[1] = 0; /* PR_SET_VMA_ANON_NAME */
		a[2] = gen_arena_addr();
		a[3] = gen_arena_len(a[2]);
		a[4] = gen_path();
	} else if (a[0] == 0x41555856) {
		a[1] = gen_ptr(true);
		a[2] = gen_len(a[1]);
	}
}

static void fix_arch_prctl(uint64_t a[MAX_ARGS])
{
	static const uint64_t codes[] = {
		0x1001 /* SET_GS */,
		0x1003 /* GET_FS */,
		0x1004 /* GET_GS */,
		0x1011 /* GET_CPUID */,
		0x1012 /* SET_CPUID */,
		0x2001,
		0x2002,
		0x2003 /* MAP_VDSO_* */,
		0x3001,
		0x3002,
		0x3003 /* XCOMP */,
		0x4001,
		0x4002,
		0x4003,
		0x5002,
		0x5003,
		0x5004,
	};

	a[0] = chance(85) ? PICK(codes) : gen_int();
	/* SET_FS moves the fuzzer's own TLS; SHSTK_ENABLE makes its next ret fault. */
	if (a[0] == 0x1002 || a[0] == 0x5001)
		a[0] = 0x1003;
	if (a[0] == 0x1001)
		a[1] = chance(50) ? gen_hostile() : gen_int();
	else if (a[0] == 0x1012)
		a[1] = rnd_below(2);
	else if (a[0] >= 0x2001 && a[0] <= 0x2003)
		a[1] = gen_arena_addr();
	else if (a[0] == 0x3003)
		a[1] = rnd_below(32);
}

/*
 * RLIMIT_CPU and RLIMIT_RTTIME end in SIGKILL, RLIMIT_STACK and RLIMIT_AS
 * can refuse the fuzzer's own stack growth: those only get NULL or a bad
 * pointer. The rest may be set to anything.
 */
static void fix_rlimit(uint64_t a[MAX_ARGS], int res_arg)
{
	static const uint64_t vals[] = { 0,    1,	   16,		1024,
					 4096, 1ULL << 32, (uint64_t)-1 };
	uint64_t res = chance(85) ? rnd_below(16) : gen_int();
	uint64_t *lim;

	a[res_arg] = res;
	if (res == RLIMIT_CPU || res == RLIMIT_STACK || res == RLIMIT_AS ||
	    res == RLIMIT_RTTIME) {
		a[res_arg + 1] = chance(50) ? 0 : gen_hostile();
		return;
	}
	if (chance(15))
		return;
	lim = struct_place(2 * sizeof(*lim));
	if (!lim)
		return;
	lim[0] = chance(80) ? PICK(vals) : rnd();
	lim[1] = chance(80) ? PICK(vals) : rnd();
	a[res_arg + 1] = (uint64_t)(uintptr_t)lim;
}

static void fix_fcntl(uint64_t a[MAX_ARGS])
{
	static const uint64_t cmds[] = {
		F_DUPFD,  F_GETFD,  F_SETFD,
		F_GETFL,  F_SETFL,  F_GETLK,
		F_SETLK,  F_SETLKW, F_SETOWN,
		F_GETOWN, F_SETSIG, F_GETSIG,
		15,	  16,	    36,
		37,	  38,	    1024,
		1025,	  1026,	    F_DUPFD_CLOEXEC,
		1031,	  1032,	    1033,
		1034,
	};
	int16_t *lk;

	a[1] = chance(90) ? PICK(cmds) : gen_int();
	switch (a[1]) {
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case 36:
	case 37:
	case 38:
		lk = struct_place(32); /* struct flock */
		if (!lk)
			break;
		lk[0] = (int16_t)(chance(85) ? rnd_below(3) : rnd());
		lk[1] = (int16_t)(chance(85) ? rnd_below(3) : rnd());
		((int64_t *)lk)[1] = (int64_t)(chance(70) ? rnd_below(4096) :
							    gen_int());
		((int64_t *)lk)[2] = (int64_t)(chance(70) ? rnd_below(4096) :
							    gen_int());
		((int32_t *)lk)[6] = (int32_t)gen_pid();
		a[2] = chance(90) ? (uint64_t)(uintptr_t)lk : gen_hostile();
		break;
	case 15:
	case 16: /* F_SETOWN_EX, F_GETOWN_EX */
		a[2] = gen_ptr(a[1] == 16);
		break;
	default:
		a[2] = chance(70) ? gen_int() : gen_flags();
		break;
	}
}

static void fix_ioctl(uint64_t a[MAX_ARGS])
{
	static const uint64_t reqs[] = {
		0x5421 /* FIONBIO */,
		0x541b /* FIONREAD */,
		0x5451,
		0x5450,
		0x5452 /* FIOASYNC */,
		0x5401 /* TCGETS */,
		0x5402,
		0x5403,
		0x5404,
		0x5413 /* TIOCGWINSZ */,
		0x5414,
		0x540f,
		0x5410,
		0x540e,
		0x5422,
		0x5411 /* TIOCOUTQ */,
		0x80045430,
		0x8912 /* SIOCGIFCONF */,
		0x8913,
		0x8914,
		0x8915,
		0x8927,
		0x8933,
		0x8905 /* SIOCATMARK */,
		2,
		0x80086601,
		0x40086602,
	};

	a[1] = chance(85) ? PICK(reqs) : gen_int();
	a[2] = chance(65) ? gen_ptr(true) : gen_int();
}

static void fix_futex(uint64_t a[MAX_ARGS])
{
	static const uint64_t ops[] = { 0, 1, 3,  4,  5,  6, 7,
					8, 9, 10, 11, 12, 13 };

	a[1] = chance(90) ? PICK(ops) | (chance(60) ? 128 : 0) |
				    (chance(20) ? 256 : 0) :
			    gen_int();
	/* Often the value the word holds, so FUTEX_WAIT really sleeps. */
	if (in_scratch(a[0], 4) && chance(60))
		a[2] = *(const uint32_t *)(uintptr_t)a[0];
	else
		a[2] = chance(50) ? rnd_below(4) : gen_int();
	a[5] = chance(50) ? 0xffffffff : gen_int();
}

/* pselect6's sixth argument: { const sigset_t *set; size_t size; }. */
static void fix_pselect(uint64_t a[MAX_ARGS])
{
	uint64_t *ps = struct_place(2 * sizeof(*ps));

	a[0] = chance(80) ? rnd_below(1025) : gen_int();
	if (!ps || chance(20)) {
		a[5] = chance(50) ? 0 : gen_hostile();
		return;
	}
	ps[0] = gen_sigset();
	ps[1] = chance(85) ? 8 : gen_int();
	a[5] = (uint64_t)(uintptr_t)ps;
}

/*
 * A robust list for the exit path to walk: well formed, a cycle that
 * never returns to the head (the walk must be bounded), or garbage.
 */
static void fix_robust_list(uint64_t a[MAX_ARGS])
{
	uint64_t *h = struct_place(3 * sizeof(*h)),
		 *e = struct_place(4 * sizeof(*e));

	a[1] = chance(80) ? 24 : gen_int();
	if (!h || !e || chance(15))
		return;
	h[0] = (uint64_t)(uintptr_t)e;
	h[1] = chance(70) ? 8 : gen_int(); /* futex_offset */
	h[2] = chance(50) ? 0 : (uint64_t)(uintptr_t)(e + 2);
	e[0] = chance(40) ? (uint64_t)(uintptr_t)h :
	       chance(50) ? (uint64_t)(uintptr_t)e :
			    gen_hostile();
	e[1] = (uint64_t)(chance(50) ? self_pid : (long)rnd());
	e[2] = (uint64_t)(uintptr_t)e;
	e[3] = (uint64_t)self_pid;
	a[0] = (uint64_t)(uintptr_t)h;
}

static void fix_rseq(uint64_t a[MAX_ARGS])
{
	uint8_t *p = struct_alloc(64);

	if (p && chance(85)) {
		p = (uint8_t *)(((uintptr_t)p + 31) & ~(uintptr_t)31);
		memset(p, 0, 32);
		a[0] = (uint64_t)(uintptr_t)p;
	}
	a[1] = chance(80) ? 32 : gen_len(a[0]);
	a[2] = chance(70) ? 0 : chance(50) ? 1 : gen_flags();
}

/*
 * madvise, msync, mlock and munlock may also get long ranges over the
 * fuzzer's own memory and far beyond it, when what they do there leaves
 * its contents alone: advice that only hints, syncing, locking. Linux
 * answers ENOMEM at once for a range with holes (or applies the hint).
 */
static bool advice_harmless(uint64_t advice)
{
	switch (advice) {
	case 0:
	case 1:
	case 2:
	case 3: /* NORMAL RANDOM SEQUENTIAL WILLNEED */
	case 10:
	case 11:
	case 12:
	case 13:
	case 14:
	case 15:
	case 16:
	case 17:
	case 18:
	case 19:
	case 20:
	case 21:
	case 22:
	case 23:
		return true;
	default: /* DONTNEED, FREE, REMOVE, HWPOISON...: only in the arena */
		return false;
	}
}

static void long_range(uint64_t a[MAX_ARGS])
{
	static const uint64_t lens[] = { 1ULL << 46, 1ULL << 40, 1ULL << 32,
					 0x00007ffffffff000ULL, 1ULL << 30 };

	switch (rnd_below(4)) {
	case 0:
		a[0] = (uint64_t)(uintptr_t)R.scratch;
		break;
	case 1:
		a[0] = 0x10000;
		break;
	case 2:
		a[0] = R.brk0 & ~(PAGE - 1);
		break;
	default:
		a[0] = (uint64_t)(uintptr_t)R.arena;
		break;
	}
	a[1] = PICK(lens);
}

static void fix_madvise(uint64_t a[MAX_ARGS])
{
	static const uint64_t advice[] = { 0,  1,  2,  3,  4,  8,  9,	10,
					   11, 12, 13, 14, 15, 16, 17,	18,
					   19, 20, 21, 22, 23, 24, 100, 101 };

	a[2] = chance(90) ? PICK(advice) : gen_int();
	if (advice_harmless(a[2]) && chance(15))
		long_range(a);
}

/*
 * shmat at an arena address maps the whole segment, whose size shmget
 * chose at random: with SHM_REMAP it would replace whatever follows the
 * arena. Without it a fixed attach lands only where nothing is mapped.
 */
#define SHM_REMAP_FLAG 040000

bool args_fixup(int nr, uint64_t a[MAX_ARGS])
{
	switch (nr) {
	case SYS_mmap:
		fix_mmap(a);
		break;
	case SYS_shmat:
		a[2] &= ~(uint64_t)SHM_REMAP_FLAG;
		break;
	case SYS_mremap:
		fix_mremap(a);
		break;
	case SYS_madvise:
		fix_madvise(a);
		break;
	case SYS_msync:
	case SYS_mlock:
	case SYS_munlock:
	case SYS_mlock2:
		if (chance(15))
			long_range(a);
		break;
	case SYS_brk:
		fix_brk(a);
		break;
	case SYS_close_range:
		fix_close_range(a);
		break;
	case SYS_rt_sigaction:
		fix_sigaction(a);
		break;
	case SYS_sigaltstack:
		a[0] = chance(10) ? 0 : gen_stack_t();
		break;
	case SYS_rt_sigqueueinfo:
		fix_sigqueue(a, 1, 2);
		break;
	case SYS_rt_tgsigqueueinfo:
		fix_sigqueue(a, 2, 3);
		break;
	case SYS_pidfd_send_signal:
		fix_sigqueue(a, 1, 2);
		break;
	case SYS_prctl:
		fix_prctl(a);
		break;
	case SYS_arch_prctl:
		fix_arch_prctl(a);
		break;
	case SYS_setrlimit:
		fix_rlimit(a, 0);
		break;
	case SYS_prlimit64:
		fix_rlimit(a, 1);
		break;
	case SYS_fcntl:
		fix_fcntl(a);
		break;
	case SYS_ioctl:
		fix_ioctl(a);
		break;
	case SYS_futex:
		fix_futex(a);
		break;
	case SYS_pselect6:
		fix_pselect(a);
		break;
	case SYS_select:
		a[0] = chance(80) ? rnd_below(1025) : gen_int();
		break;
	case SYS_set_robust_list:
		fix_robust_list(a);
		break;
	case SYS_rseq:
		fix_rseq(a);
		break;
	case SYS_epoll_ctl:
		a[1] = chance(85) ? 1 + rnd_below(3) : gen_int();
		break;
	case SYS_signalfd:
	case SYS_signalfd4:
		if (chance(50))
			a[0] = (uint64_t)-1;
		break;
	case SYS_sched_setaffinity:
	case SYS_sched_getaffinity:
		a[1] = chance(80) ? PICK(((const uint64_t[]){ 8, 128, 0, 1,
							      4096 })) :
				    gen_int();
		break;
	default:
		break;
	}
	return true;
}
