/* syscall_fuzz.h - the random syscall fuzzer's shared state: memory regions, fds, PRNG, generators. */
#ifndef SYSCALL_FUZZ_H
#define SYSCALL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The fuzzer runs only inside a Kiln guest, as the one process: every
 * argument it hands the kernel either points into memory it set aside for
 * that (so the kernel may write anything there), or is hostile and must be
 * refused. What it never hands over is its own code, data, stack or output
 * fds; the rules that keep it so are in syscall_fuzz_table.c.
 */

#define PAGE 4096UL
/* 0..450: every x86_64 number up to set_mempolicy_home_node. */
#define NSYSCALLS 451
#define MAX_ARGS 6

/* The fds the fuzzer keeps for itself, out of reach of every generator. */
#define FD_OUT 1020 /* the real stdout: the summary and final lines */
#define FD_ERR 1021 /* the real stderr: -v lines, the report of a fault */
#define FD_IN 1022  /* the real stdin, kept so its number stays taken */
#define FD_RESERVED_LO FD_OUT
#define FD_RESERVED_HI FD_IN

/* Memory set aside at start-up (syscall_fuzz.c). */
#define SCRATCH (64 * 1024UL)
#define NOMAP (64 * 1024UL)
#define ARENA (1024 * 1024UL)
#define ALTSTACK (64 * 1024UL)
struct regions {
	uint8_t *scratch; /* SCRATCH bytes RW; the first half for buffers, */
	uint8_t *structs; /* the second for the structs built per call */
	uint8_t *scratch_end; /* == a PROT_NONE guard page */
	uint8_t *ro;	      /* one page, PROT_READ */
	uint8_t *nomap; /* NOMAP bytes, PROT_NONE: "unmapped" user addresses */
	uint8_t *arena; /* ARENA bytes the memory syscalls may do anything to */
	uint8_t *altstack; /* ALTSTACK bytes for sigaltstack, a guard below */
	uintptr_t brk0;	   /* the program break at start */
};
extern struct regions R;

/* fds to hand out: those opened at start-up, then those calls returned. */
#define FD_TABLE 64
extern int fd_table[FD_TABLE];
extern int fd_count;
void fd_remember(long fd);

extern long self_pid;
extern int listen_port; /* the TCP listener's port on 127.0.0.1 */

/* splitmix64: one 64-bit state, seeded from the command line. */
void rnd_seed(uint64_t seed);
uint64_t rnd(void);
static inline uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}
static inline bool chance(unsigned percent)
{
	return rnd_below(100) < percent;
}

/* The handler and restorer every caught signal gets (syscall_fuzz.c). */
void fuzz_on_signal(int sig, void *info, void *uctx);
void fuzz_restorer(void);
/* Signals the fuzzer keeps: its watchdog (SIGALRM) and the fault signals. */
bool signal_reserved(int sig);

/* ---- syscall_fuzz_gen.c: values, one kind at a time ---- */

uint64_t pick_u64(const uint64_t *v, size_t n);
#define PICK(arr) pick_u64(arr, sizeof(arr) / sizeof(arr[0]))
void fill_random(void *p, size_t n);

void structs_reset(void);     /* before each call */
void *struct_alloc(size_t n); /* in R.structs, 8-aligned; NULL when full */
void *struct_place(size_t n); /* the same, or ending at the guard page */
bool in_scratch(uint64_t p, size_t n); /* [p, p+n) inside the RW scratch */
uint64_t gen_int(void);		       /* small, boundary and random integers */
uint64_t gen_flags(void);
uint64_t gen_mode(void);
uint64_t gen_uid(void);
long gen_fd(void); /* mostly open fds, never a reserved one */
long gen_dirfd(void);
long gen_pid(void);
int gen_signal(void);		/* never SIGKILL or SIGSTOP */
uint64_t gen_hostile(void);	/* a pointer the kernel must refuse */
uint64_t gen_ptr(bool out);	/* a buffer pointer, good or bad */
uint64_t gen_len(uint64_t ptr); /* a length to go with ptr */
uint64_t gen_count(void);	/* an array count */
uint64_t gen_timeout_ms(void);
uint64_t gen_path(void);
void map_remember(uint64_t addr, uint64_t len); /* a mapping a call made */
uint64_t gen_mapped(void);     /* an address in such a mapping, or the arena */
uint64_t gen_arena_addr(void); /* for the memory calls: arena, mappings, bad */
uint64_t gen_arena_len(
	uint64_t addr); /* keeps [addr, addr+len) where it began */
uint64_t gen_prot(void);
uint64_t gen_clock(void);
uint64_t gen_futex_addr(void);

/* ---- syscall_fuzz_structs.c: structs the kernel reads ---- */

uint64_t gen_sigset(void); /* never blocks a reserved signal */
uint64_t gen_times(void);  /* timespec/timeval/itimerspec values */
uint64_t gen_iov(uint64_t *count);
uint64_t gen_msghdr(void);
uint64_t gen_sockaddr(uint64_t *len);
uint64_t gen_lenp(void); /* pointer to an in/out socklen_t */
uint64_t gen_pollfds(uint64_t *count);
uint64_t gen_fdset(void);
uint64_t gen_epoll_event(void);
uint64_t gen_sigaction(int sig); /* handlers the fuzzer survives */
uint64_t gen_stack_t(void);	 /* inside R.altstack */

/* ---- syscall_fuzz_table.c: what each syscall takes ---- */

/*
 * args_make: choose the arguments for syscall nr into a[]. Returns false
 * when nr is one the fuzzer must not make (skip_reason names why).
 * args_after: what the fuzzer learns from the result (new fds).
 */
bool args_make(int nr, uint64_t a[MAX_ARGS]);
void args_after(int nr, const uint64_t a[MAX_ARGS], long ret);
const char *skip_reason(int nr);

/* ---- syscall_fuzz_guard.c ---- */

/* Rewrite what args_make chose where it could hurt the fuzzer; false: skip. */
bool args_fixup(int nr, uint64_t a[MAX_ARGS]);

#endif
