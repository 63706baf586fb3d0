/* oom_clone.c - guest test: with memory eaten by stack pages, clone fails with ENOMEM (never a kernel panic) and works once pages are given back. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL

/*
 * Needs a VM smaller than EAT (kiln run --mem 32M): the pages of a
 * MAP_STACK area are not charged when mapped, so touching them takes the
 * machine's memory to its last pages, which the kernel also needs for a
 * thread's stack and page tables. Natively the host has more memory than
 * EAT and the program says so.
 */
#define EAT (256UL << 20)

static long pages_free(void)
{
	struct sysinfo si;

	if (sysinfo(&si) != 0)
		fail("sysinfo");
	return (long)(si.freeram * si.mem_unit / PAGE);
}

/* The raw clone syscall for a libc-free thread that sets *ran and exits. */
static long bare_clone(void *stack_top, volatile int *ran)
{
	const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES |
				    CLONE_SIGHAND | CLONE_THREAD |
				    CLONE_SYSVSEM;
	register volatile int *r12 __asm__("r12") = ran;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movl $1, (%%r12)\n\t"
			 "mov $60, %%eax\n\t" /* exit(0): this thread only */
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone), "D"(flags), "S"(stack_top),
			   "d"(0), "r"(r12)
			 : "rcx", "r11", "r10", "r8", "memory");
	return ret;
}

int main(void)
{
	static char child_stack[16384] __attribute__((aligned(16)));
	static volatile int ran;
	char *area = mmap(
		NULL, EAT, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	size_t used = 0;
	int refused = 0;
	long tid = 0;

	check_start("oom_clone");
	if (area == MAP_FAILED)
		fail("mmap a MAP_STACK area");
	/* Stop with 1 or 2 pages left: a touch may need a page table too. */
	while (pages_free() > 2 && used < EAT) {
		area[used] = 1;
		used += PAGE;
	}
	if (used == EAT) {
		note("%lu MiB eaten and memory left: run with a smaller --mem",
		     EAT >> 20);
		return check_done();
	}
	note("ate stack pages until at most 2 pages were free");
	/* Give pages back one at a time (DONTNEED: no area to split). */
	for (int i = 0; i < 64 && used > 0; i++) {
		tid = bare_clone(child_stack + sizeof(child_stack), &ran);
		if (tid != -ENOMEM)
			break;
		refused = 1;
		used -= PAGE;
		if (madvise(area + used, PAGE, MADV_DONTNEED) != 0)
			fail("madvise DONTNEED");
	}
	check(refused, "clone fails with ENOMEM while memory is exhausted");
	if (tid <= 0)
		note("the last clone: %s", check_errno_name((int)-tid));
	check(tid > 0, "clone makes a thread once a few pages are free");
	for (int i = 0; i < 100000 && !ran; i++)
		sched_yield();
	check(ran, "the thread ran");
	return check_done();
}
