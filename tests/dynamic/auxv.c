/* auxv.c - dynamic test: the auxiliary vector a program sees through its ld.so. */
#define _GNU_SOURCE
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>

#include "../guest/check.h"

/* crt1.o's entry point, where AT_ENTRY must point (not ld.so's). */
extern char _start[];
/* The linker's end of the program's data: the heap starts after it. */
extern char _end[];

struct seen {
	uintptr_t base;	  /* AT_BASE: the interpreter's load address */
	int interp_found; /* an object of the link map is loaded there */
	const void *phdr; /* the program's headers, first in the map */
	int nobjs;
};

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct seen *s = arg;

	(void)size;
	if (s->nobjs++ == 0)
		s->phdr = info->dlpi_phdr;
	if (info->dlpi_addr == s->base)
		s->interp_found = 1;
	return 0;
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	handled = sig;
}

/* A handler runs on an alternate stack of AT_MINSIGSTKSZ plus its own use. */
static int altstack_works(size_t min)
{
	static char stack[1 << 16] __attribute__((aligned(16)));
	stack_t ss = { .ss_sp = stack, .ss_size = min + 4096 };
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK };

	if (min + 4096 > sizeof(stack) || sigaltstack(&ss, NULL) ||
	    sigaction(SIGUSR1, &sa, NULL) || raise(SIGUSR1))
		return 0;
	return handled == SIGUSR1;
}

int main(void)
{
	struct seen s = { .base = getauxval(AT_BASE) };
	size_t min = getauxval(AT_MINSIGSTKSZ);

	check_start("auxv");
	check(s.base != 0, "AT_BASE is set under ld.so");
	check((s.base & 4095) == 0, "AT_BASE is page-aligned");
	check(getauxval(AT_ENTRY) == (uintptr_t)_start,
	      "AT_ENTRY is the program's entry");
	dl_iterate_phdr(visit, &s);
	check(s.interp_found, "AT_BASE is where the interpreter is loaded");
	check(getauxval(AT_PHDR) == (uintptr_t)s.phdr,
	      "AT_PHDR is the program's headers");
	check((uintptr_t)sbrk(0) >= (uintptr_t)_end &&
		      (uintptr_t)sbrk(0) - (uintptr_t)_end <=
			      (1UL << 30) + 4096,
	      "the heap follows the program, not ld.so");
	check(getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), "AT_PHENT");
	check(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ is 4096");
	check(getauxval(AT_RANDOM) != 0, "AT_RANDOM is set");
	check(getauxval(AT_EXECFN) != 0, "AT_EXECFN is set");
	check(min >= 1024 && min % 16 == 0, "AT_MINSIGSTKSZ is a frame's size");
	check(altstack_works(min), "a handler runs on such an alternate stack");
	check_done();
	return 0;
}
