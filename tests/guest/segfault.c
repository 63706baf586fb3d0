/* segfault.c - guest test: dies of a fault; the e2e test checks how Kiln reports it. */
#define _GNU_SOURCE
#include <stdint.h>

#include "check.h"

/* volatile so the compiler must really load and store through them. */
static int *volatile null_ptr;
static volatile int sink;

int main(int argc, char **argv);

__attribute__((noinline)) static void write_text(void)
{
	volatile unsigned char *code = (volatile unsigned char *)(uintptr_t)&main;

	*code = 0xcc;
}

/*
 * Usage: segfault [null|text|ud2]
 *   null: store to address 0 (SIGSEGV, address 0x0)
 *   text: store into this program's own code (SIGSEGV, read-only text)
 *   ud2:  execute an invalid instruction (SIGILL)
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
	} else {
		note("unknown mode");
		return 2;
	}
	sink = 1;
	note("still alive: the fault did not happen");
	return 1;
}
