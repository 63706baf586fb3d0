/* traps.c - guest test: what user code may do to the CPU's state (EFLAGS, int3, LDT selectors, sigreturn frames) and the signals it gets. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "check.h"

/* EFLAGS bits (Intel SDM vol. 1, 3.4.3). */
#define FL_AC 0x40000UL
#define FL_NT 0x4000UL
#define FL_IOPL 0x3000UL

/* What the last handler saw. */
static volatile int got_sig, got_code, got_pid;
static volatile long got_trapno, got_err;
static volatile unsigned long got_rip;
static sigjmp_buf recover;
static char altstack[64 * 1024];

static void record(int sig, const siginfo_t *si, const ucontext_t *uc)
{
	got_sig = sig;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	got_err = uc->uc_mcontext.gregs[REG_ERR];
	got_rip = (unsigned long)uc->uc_mcontext.gregs[REG_RIP];
}

/* Records and returns to the interrupted code. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
}

/* Records and asks sigreturn for IOPL 3, NT and AC. */
static void on_signal_raise_flags(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	record(sig, si, uc);
	uc->uc_mcontext.gregs[REG_EFL] |= (long)(FL_IOPL | FL_NT | FL_AC);
}

/* Records and leaves the faulting code for good. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	record(sig, si, uc);
	siglongjmp(recover, 1);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		fail("sigaction");
	got_sig = 0;
}

static unsigned long read_flags(void)
{
	unsigned long f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/*
 * NT is an ordinary flag to ring 3 (popfq sets it), but an IRETQ the
 * kernel runs with NT set is a task return: #GP. SYSCALL must clear it.
 * (Whether NT survives the syscall differs between Linux builds: not
 * checked.)
 */
static void nt_flag(void)
{
	install(SIGUSR1, on_signal, 0);
	__asm__ volatile("pushfq; orq %0, (%%rsp); popfq"
			 :
			 : "i"(FL_NT)
			 : "cc");
	raise(SIGUSR1);
	__asm__ volatile("pushfq; andq %0, (%%rsp); popfq"
			 :
			 : "i"(~FL_NT)
			 : "cc");
	check(got_sig == SIGUSR1,
	      "a handler runs for a signal raised with EFLAGS.NT set");
	check(!(read_flags() & FL_NT), "popfq clears NT again");
}

/* rt_sigreturn takes the arithmetic flags, AC... but never IOPL or NT. */
static void sigreturn_flags(void)
{
	unsigned long after;

	install(SIGUSR2, on_signal_raise_flags, 0);
	raise(SIGUSR2);
	/* AC may turn on alignment checks: clear it before any C code. */
	__asm__ volatile("pushfq; popq %0; pushfq; andq %1, (%%rsp); popfq"
			 : "=&r"(after)
			 : "i"(~FL_AC)
			 : "cc");
	check(got_sig == SIGUSR2, "a handler that edits its saved EFLAGS ran");
	check((after & FL_IOPL) == 0, "sigreturn does not grant IOPL 3");
	check(!(after & FL_NT), "sigreturn does not set NT");
	check(after & FL_AC, "sigreturn restores AC");
}

/* int3 (0xcc) is a trap: SIGTRAP, rip after the instruction. */
static void int3(void)
{
	unsigned long next;

	install(SIGTRAP, on_signal, 0);
	__asm__ volatile("lea 1f(%%rip), %0; int3; 1:" : "=r"(next));
	check(got_sig == SIGTRAP, "int3 raises SIGTRAP");
	check(got_code == SI_KERNEL && got_pid == 0,
	      "with si_code SI_KERNEL and si_pid 0 (si_code %d)", got_code);
	check(got_trapno == 3 && got_err == 0, "trapno 3, error 0 (trapno %ld)",
	      got_trapno);
	check(got_rip == next, "the saved rip is the next instruction");
}

/*
 * Selector 7 names entry 0 of the LDT at RPL 3. No LDT is loaded, so the
 * load is a #GP with the selector as error code, not a read of memory.
 */
static void ldt_selector(void)
{
	install(SIGSEGV, on_fault, 0);
	if (sigsetjmp(recover, 1) == 0)
		__asm__ volatile("mov %0, %%es" : : "r"(7) : "memory");
	check(got_sig == SIGSEGV, "loading an LDT selector raises SIGSEGV");
	check(got_code == SI_KERNEL, "with si_code SI_KERNEL (si_code %d)",
	      got_code);
	check(got_trapno == 13 && got_err == 4,
	      "a #GP naming the LDT selector (trapno %ld, error %ld)",
	      got_trapno, got_err);
}

/* A frame rt_sigreturn cannot read is SIGSEGV, which a handler may take. */
static void bad_sigreturn_frame(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	char *none = mmap(NULL, 2 * 4096, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check(none != MAP_FAILED, "map two PROT_NONE pages");
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack");
	install(SIGSEGV, on_fault, SA_ONSTACK);
	if (sigsetjmp(recover, 1) == 0)
		__asm__ volatile("mov %0, %%rsp; mov $15, %%eax; syscall; ud2"
				 :
				 : "r"(none + 4096)
				 : "memory");
	check(got_sig == SIGSEGV,
	      "rt_sigreturn of an unreadable frame raises SIGSEGV");
	check(got_code == SI_KERNEL, "with si_code SI_KERNEL (si_code %d)",
	      got_code);
	ss.ss_flags = SS_DISABLE;
	check(sigaltstack(&ss, NULL) == 0 && munmap(none, 2 * 4096) == 0,
	      "clean up");
}

int main(void)
{
	check_start("traps");
	nt_flag();
	sigreturn_flags();
	int3();
	ldt_selector();
	bad_sigreturn_frame();
	return check_done();
}
