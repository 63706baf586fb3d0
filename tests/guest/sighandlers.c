/* sighandlers.c - guest test: signal handlers run, with siginfo, masks, altstack, restarts and FPU state. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t hits;
static siginfo_t last_info;
static sigset_t mask_in_handler;
static void *volatile handler_stack;
static sigjmp_buf recover;
static int pipe_w = -1;

static void on_info(int sig, siginfo_t *si, void *uc)
{
	int local;

	(void)sig, (void)uc;
	hits++;
	last_info = *si;
	handler_stack = &local;
	sigprocmask(SIG_SETMASK, NULL, &mask_in_handler);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	last_info = *si;
	siglongjmp(recover, 1);
}

/* Writes a byte for the interrupted read to find once it restarts. */
static void on_alarm_write(int sig)
{
	(void)sig;
	hits++;
	if (write(pipe_w, "x", 1) != 1)
		_exit(9);
}

static void on_plain(int sig)
{
	(void)sig;
	hits++;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	check(sigaction(sig, &sa, NULL) == 0, "sigaction %d flags %#x", sig,
	      flags);
}

static void install_plain(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	check(sigaction(sig, &sa, NULL) == 0, "sigaction %d flags %#x", sig,
	      flags);
}

static void siginfo_checks(void)
{
	install(SIGUSR1, on_info, 0);
	hits = 0;
	check(raise(SIGUSR1) == 0 && hits == 1, "raise runs the handler once");
	check(last_info.si_signo == SIGUSR1 && last_info.si_code == SI_TKILL &&
		      last_info.si_pid == getpid(),
	      "raise: si_code SI_TKILL, si_pid us");
	check(sigismember(&mask_in_handler, SIGUSR1),
	      "the signal is blocked inside its handler");
	check(kill(getpid(), SIGUSR1) == 0 && hits == 2,
	      "kill runs the handler");
	check(last_info.si_code == SI_USER && last_info.si_pid == getpid(),
	      "kill: si_code SI_USER, si_pid us");
	check(sigprocmask(SIG_SETMASK, NULL, &mask_in_handler) == 0 &&
		      !sigismember(&mask_in_handler, SIGUSR1),
	      "mask restored after it");
}

static void block_then_deliver(void)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	hits = 0;
	sigprocmask(SIG_BLOCK, &set, NULL);
	check(raise(SIGUSR1) == 0 && hits == 0, "blocked: the handler waits");
	check(sigpending(&pending) == 0 && sigismember(&pending, SIGUSR1),
	      "blocked: SIGUSR1 pending");
	check(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0 && hits == 1,
	      "unblocking delivers it");
	check(sigpending(&pending) == 0 && !sigismember(&pending, SIGUSR1),
	      "no longer pending");

	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigemptyset(&set);
	errno = 0;
	check(sigsuspend(&set) == -1 && errno == EINTR && hits == 2,
	      "sigsuspend runs the handler and fails with EINTR");
	check(!sigismember(&mask_in_handler, SIGUSR2) &&
		      sigismember(&mask_in_handler, SIGUSR1),
	      "handler mask under sigsuspend");
	check(sigprocmask(SIG_SETMASK, NULL, &set) == 0 &&
		      sigismember(&set, SIGUSR1),
	      "sigsuspend put the old mask back");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static int *volatile null_ptr;
static volatile int zero, seven = 7;

static void faults(void)
{
	volatile int sink;

	install(SIGSEGV, on_fault, SA_NODEFER);
	if (sigsetjmp(recover, 1) == 0) {
		sink = *null_ptr;
		check(0, "null dereference faults");
	}
	check(last_info.si_signo == SIGSEGV &&
		      last_info.si_code == SEGV_MAPERR &&
		      last_info.si_addr == NULL,
	      "SIGSEGV: SEGV_MAPERR at address 0");
	if (sigsetjmp(recover, 1) == 0) {
		*null_ptr = 1;
		check(0, "null store faults");
	}
	check(last_info.si_signo == SIGSEGV, "a second SIGSEGV is caught too");

	install(SIGFPE, on_fault, 0);
	if (sigsetjmp(recover, 1) == 0) {
		sink = seven / zero;
		check(0, "division by zero traps");
	}
	check(last_info.si_signo == SIGFPE && last_info.si_code == FPE_INTDIV,
	      "SIGFPE: FPE_INTDIV");
	(void)sink;
}

static void altstack(void)
{
	static char stack[65536];
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) };
	char here;

	check(sigaltstack(&ss, NULL) == 0, "sigaltstack");
	install(SIGUSR2, on_info, SA_ONSTACK);
	raise(SIGUSR2);
	check((char *)handler_stack >= stack &&
		      (char *)handler_stack < stack + sizeof(stack),
	      "SA_ONSTACK: the handler runs on the alternate stack");
	install(SIGUSR2, on_info, 0);
	raise(SIGUSR2);
	check((uintptr_t)handler_stack < (uintptr_t)&here &&
		      (uintptr_t)&here - (uintptr_t)handler_stack < 65536,
	      "without SA_ONSTACK: on the normal stack");
	ss.ss_flags = SS_DISABLE;
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack disabled");
}

static void resethand(void)
{
	struct sigaction old;

	install(SIGUSR1, on_info, SA_RESETHAND);
	hits = 0;
	raise(SIGUSR1);
	check(hits == 1 && sigaction(SIGUSR1, NULL, &old) == 0 &&
		      old.sa_handler == SIG_DFL,
	      "SA_RESETHAND: back to SIG_DFL");
}

static void alarm_pause(void)
{
	struct itimerval it;

	install_plain(SIGALRM, on_plain, 0);
	hits = 0;
	check(alarm(1) == 0, "alarm(1)");
	check(getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec <= 1 &&
		      (it.it_value.tv_sec || it.it_value.tv_usec),
	      "getitimer sees it");
	errno = 0;
	check(pause() == -1 && errno == EINTR && hits == 1,
	      "pause ends with EINTR after SIGALRM");
	check(alarm(0) == 0, "no alarm left");
}

static void timedwait(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	hits = 0;
	kill(getpid(), SIGUSR2); /* glibc reports raise's SI_TKILL as SI_USER */
	check(sigtimedwait(&set, &si, &ts) == SIGUSR2 &&
		      si.si_signo == SIGUSR2 && si.si_code == SI_USER &&
		      si.si_pid == getpid() && hits == 0,
	      "sigtimedwait takes the blocked pending SIGUSR2");
	check_errno(sigtimedwait(&set, &si, &ts), EAGAIN,
		    "sigtimedwait with none");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* One-shot ITIMER_REAL after ms milliseconds. */
static void arm_ms(int ms)
{
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };

	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		check(0, "setitimer");
}

static void restarts(void)
{
	int fds[2];
	char c;

	check(pipe(fds) == 0, "pipe");
	pipe_w = fds[1];
	install_plain(SIGALRM, on_alarm_write, 0);
	arm_ms(20);
	errno = 0;
	check(read(fds[0], &c, 1) == -1 && errno == EINTR,
	      "read interrupted by a handler without SA_RESTART: EINTR");
	check(read(fds[0], &c, 1) == 1, "the handler's byte is there");
	install_plain(SIGALRM, on_alarm_write, SA_RESTART);
	hits = 0;
	arm_ms(20);
	check(read(fds[0], &c, 1) == 1 && c == 'x' && hits == 1,
	      "with SA_RESTART the read restarts and gets the byte");
	close(fds[0]);
	close(fds[1]);
}

/* The handler trashes xmm8 and MXCSR; both must come back. */
static void on_clobber(int sig)
{
	unsigned int rz = 0x7f80; /* round toward zero, all masked */

	(void)sig;
	hits++;
	__asm__ volatile("xorps %%xmm8, %%xmm8\n\tldmxcsr %0"
			 :
			 : "m"(rz)
			 : "xmm8");
}

static void fpu_state(void)
{
	double in = 3.25, out = 0;
	unsigned int csr_before, csr_after;
	long nr = SYS_tgkill;

	install_plain(SIGUSR1, on_clobber, 0);
	hits = 0;
	__asm__ volatile("stmxcsr %0" : "=m"(csr_before));
	/* xmm8 stays live across the syscall that delivers the signal. */
	__asm__ volatile("movsd %[in], %%xmm8\n\t"
			 "syscall\n\t"
			 "movsd %%xmm8, %[out]"
			 : [out] "=m"(out), "+a"(nr)
			 : [in] "m"(in), "D"((long)getpid()),
			   "S"((long)gettid()), "d"((long)SIGUSR1)
			 : "rcx", "r11", "xmm8", "memory");
	__asm__ volatile("stmxcsr %0" : "=m"(csr_after));
	check(hits == 1 && nr == 0, "tgkill delivered to a handler");
	check(out == 3.25, "xmm8 survives a handler that clobbers it");
	check(csr_after == csr_before, "MXCSR survives too");
}

static void sigfd(void)
{
	struct signalfd_siginfo ssi;
	struct pollfd pfd;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	check(fd >= 0, "signalfd");
	check_errno(read(fd, &ssi, sizeof(ssi)), EAGAIN,
		    "signalfd read with none");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	check(poll(&pfd, 1, 0) == 0, "signalfd not readable yet");
	kill(getpid(), SIGUSR2);
	check(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN),
	      "signalfd readable");
	check(read(fd, &ssi, sizeof(ssi)) == sizeof(ssi) &&
		      ssi.ssi_signo == SIGUSR2 && ssi.ssi_code == SI_USER &&
		      ssi.ssi_pid == (uint32_t)getpid(),
	      "signalfd reads SIGUSR2 from kill");
	close(fd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * SIGALRMs arrive while user code spins (from a timer interrupt, not a
 * syscall): every register, rcx and r11 included, must come back.
 */
static void async_registers(void)
{
	struct itimerval it = { { 0, 10000 }, { 0, 10000 } }, off = { 0 };
	unsigned long bad = 0;

	install_plain(SIGALRM, on_plain, SA_RESTART);
	hits = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	__asm__ volatile("mov $0x1234, %%rcx\n\tmov $0x5678, %%r11\n"
			 "1: cmpq $0x1234, %%rcx\n\tjne 2f\n\t"
			 "cmpq $0x5678, %%r11\n\tjne 2f\n\t"
			 "cmpl $3, %[hits]\n\tjl 1b\n\tjmp 3f\n"
			 "2: movq $1, %[bad]\n3:"
			 : [bad] "+r"(bad)
			 : [hits] "m"(hits)
			 : "rcx", "r11", "cc");
	setitimer(ITIMER_REAL, &off, NULL);
	check(!bad && hits >= 3, "rcx and r11 survive asynchronous handlers");
}

static volatile pid_t handler_tid;
static int ready_pipe[2];

static void on_tid(int sig)
{
	(void)sig;
	handler_tid = gettid();
	hits++;
}

/* Waits, with every signal but the waited one blocked, for one signal. */
static void *waiter(void *arg)
{
	sigset_t none;

	sigemptyset(&none);
	*(pid_t *)arg = gettid();
	if (write(ready_pipe[1], "r", 1) != 1)
		return NULL;
	sigsuspend(&none);
	return NULL;
}

/* Run waiter, send it sig by send(); the handler must run in it. */
static void in_thread(int by_kill, const char *what)
{
	pthread_t th;
	pid_t tid = 0;
	char c;

	hits = 0;
	check(pthread_create(&th, NULL, waiter, &tid) == 0 &&
		      read(ready_pipe[0], &c, 1) == 1,
	      "%s: thread started", what);
	if (by_kill)
		kill(getpid(), SIGUSR2);
	else
		pthread_kill(th, SIGUSR2);
	check(pthread_join(th, NULL) == 0 && hits == 1 && handler_tid == tid,
	      "%s: the handler ran in the thread", what);
}

static void threads(void)
{
	sigset_t set;

	install_plain(SIGUSR2, on_tid, 0);
	check(pipe(ready_pipe) == 0, "pipe");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL); /* the threads inherit it */
	in_thread(0, "pthread_kill");
	in_thread(1, "kill with SIGUSR2 blocked in main");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	close(ready_pipe[0]);
	close(ready_pipe[1]);
}

int main(void)
{
	check_start("sighandlers");
	siginfo_checks();
	block_then_deliver();
	faults();
	altstack();
	resethand();
	alarm_pause();
	timedwait();
	restarts();
	fpu_state();
	sigfd();
	async_registers();
	threads();
	return check_done();
}
