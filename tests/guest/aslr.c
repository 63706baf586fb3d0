/* aslr.c - guest test: where the stack, mmap, heap and program land. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "check.h"

/*
 * Without arguments the program checks the layout's shape, which holds
 * on Linux and under Kiln alike, and prints only its check lines. With
 * "report" it first prints one line of the addresses themselves, which
 * differ from run to run: tests/e2e/test_aslr.py boots it several times
 * and measures how much each one varies. With "tables" it prints what
 * SGDT and SIDT tell ring 3 of the kernel (tests/e2e/test_kaslr.py).
 */
extern char end[]; /* the linker's: the first byte past the program's bss */

struct layout {
	uintptr_t stack; /* argv: where the initial stack pointer was */
	uintptr_t mmap;	 /* a fresh anonymous mapping */
	uintptr_t brk;	 /* the break at main, less the program's end */
	uintptr_t heap;	 /* the break itself */
	uintptr_t text;	 /* main: moves with a PIE's load base */
	uintptr_t vdso;	 /* AT_SYSINFO_EHDR, 0 when there is none */
};

/* True when addr lies in the mapping /proc/self/maps names name. */
static int in_mapping(uintptr_t addr, const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    strstr(line, name))
			found = addr >= lo && addr < hi;
	}
	fclose(f);
	return found;
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* The GDT's and IDT's addresses, or a fault where UMIP forbids asking. */
static void descriptor_tables(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdtr = { 0, 0 }, idtr = { 0, 0 };
	int sig;

	signal(SIGSEGV, on_fault);
	sig = sigsetjmp(fault_jmp, 1);
	if (sig) {
		note("sgdt faults with signal %d", sig);
		return;
	}
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	note("sgdt 0x%lx sidt 0x%lx", (unsigned long)gdtr.base,
	     (unsigned long)idtr.base);
}

int main(int argc, char **argv)
{
	struct layout l;
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check_start("aslr");
	if (argc > 1 && !strcmp(argv[1], "tables")) {
		descriptor_tables();
		return 0;
	}
	l.stack = (uintptr_t)argv;
	l.mmap = (uintptr_t)p;
	l.heap = (uintptr_t)sbrk(0);
	l.brk = l.heap - (uintptr_t)end;
	l.text = (uintptr_t)main;
	l.vdso = getauxval(AT_SYSINFO_EHDR);
	if (argc > 1 && !strcmp(argv[1], "report"))
		printf("aslr: stack 0x%lx mmap 0x%lx brk+0x%lx text 0x%lx "
		       "vdso 0x%lx\n",
		       (unsigned long)l.stack, (unsigned long)l.mmap,
		       (unsigned long)l.brk, (unsigned long)l.text,
		       (unsigned long)l.vdso);

	check(p != MAP_FAILED, "mmap a page");
	check(l.stack < (1UL << 47) && l.mmap < (1UL << 47) &&
		      l.heap < (1UL << 47),
	      "stack, mapping and heap are in the lower half");
	check(l.text >= 0x10000 && l.heap >= 0x10000 && l.mmap >= 0x10000,
	      "nothing below 64 KiB");
	check(in_mapping(l.stack, "[stack]"), "argv is in [stack]");
	check(l.heap < l.mmap && l.mmap < l.stack,
	      "heap below mappings below the stack");
	check(l.stack % 16 == 8, "argv is 8 bytes above a 16-byte aligned sp");
	return check_done();
}
