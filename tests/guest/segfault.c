/* segfault.c - guest test: dies of a fault; the e2e test checks how Kiln reports it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>

#include "check.h"

/* volatile so the compiler must really load and store through them. */
static int *volatile null_ptr;
static volatile int sink;

int main(int argc, char **argv);

__attribute__((noinline)) static void write_text(void)
{
	volatile unsigned char *code =
		(volatile unsigned char *)(uintptr_t)&main;

	*code = 0xcc;
}

/*
 * Usage: segfault [null|text|ud2]
 *   null: store to address 0 (SIGSEGV, address 0x0)
 *   text: store into this program's own code (SIGSEGV, read-only text)
 *   ud2:  execute an invalid instruction (SIGILL)
 *   syscall-entry ADDR: jump to the kernel's SYSCALL entry at ADDR with
 *         the registers a SYSCALL leaves (rcx, r11 = IOPL 3): SIGSEGV
 *   bad-handler: a SIGUSR1 handler at a non-canonical address, then
 *         raise(SIGUSR1): entering the handler faults (SIGSEGV)
 */
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "null";

	check_start("segfault");
	note("mode %s", mode);
	if (strcmp(mode, "null") == 0) {
		*null_ptr = 42;
	} else if (strcmp(mode, "text") == 0) {
		write_text();
	} else if (strcmp(mode, "ud2") == 0) {
		__asm__ volatile("ud2");
	} else if (strcmp(mode, "syscall-entry") == 0 && argc > 2) {
		unsigned long entry = strtoul(argv[2], NULL, 0), flags;
		long r;

		__asm__ volatile(
			"lea 1f(%%rip), %%rcx; mov $0x3202, %%r11; jmp *%2; 1:"
			: "=a"(r)
			: "a"(39L), "r"(entry)
			: "rcx", "r11", "memory");
		__asm__ volatile("pushfq; popq %0" : "=r"(flags));
		note("the jump returned %ld with IOPL %lu", r, flags >> 12 & 3);
	} else if (strcmp(mode, "bad-handler") == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = (void (*)(int))0x800000000000UL;
		if (sigaction(SIGUSR1, &sa, NULL) != 0) {
			note("sigaction failed");
			return 1;
		}
		raise(SIGUSR1);
	} else {
		note("unknown mode");
		return 2;
	}
	sink = 1;
	note("still alive: the fault did not happen");
	return 1;
}
