/* panic.c - fatal kernel errors: report, backtrace, exit with the panic status. */
#include "core/panic.h"

#include <stdarg.h>

#include <kiln/exit.h>

#include "arch.h"
#include "core/ksyms.h"
#include "core/printk.h"
#include "lib/format.h"

static volatile int panicking;

void panic_enter(void)
{
	irq_save();
	if (panicking) {
		/* A fault inside the report: say so and leave, no more work. */
		printk("kiln: fault during panic report\n");
		printk(KILN_EXIT_MARKER "%d\n", KILN_EXIT_PANIC);
		arch_exit(KILN_EXIT_PANIC);
	}
	panicking = 1;
}

_Noreturn void panic_exit(void)
{
	/* As Linux's panic report: the addresses above less this are nm's. */
	printk("kiln: kernel offset 0x%lx from 0x%lx\n",
	       (unsigned long)kernel_offset, (unsigned long)KERNEL_BASE);
	printk(KILN_EXIT_MARKER "%d\n", KILN_EXIT_PANIC);
	arch_exit(KILN_EXIT_PANIC);
}

_Noreturn void kernel_exit(int status)
{
	/* printk's "%d", by hand: see printk_write */
	char line[sizeof(KILN_EXIT_MARKER) + 4] = KILN_EXIT_MARKER;
	size_t n = sizeof(KILN_EXIT_MARKER) - 1;
	int v = status & 0xff;

	if (v >= 100)
		line[n++] = (char)('0' + v / 100);
	if (v >= 10)
		line[n++] = (char)('0' + v / 10 % 10);
	line[n++] = (char)('0' + v % 10);
	line[n++] = '\n';
	printk_write(line, n);
	arch_exit(v);
}

struct backtrace {
	int n;
	bool exact_first; /* frame #0 is where a trap hit, not a return */
};

static void print_frame(uint64_t rip, void *ctx)
{
	struct backtrace *bt = ctx;
	char sym[96];

	ksyms_format_return(rip, bt->n > 0 || !bt->exact_first, sym,
			    sizeof(sym));
	printk("kiln:   #%d 0x%016lx %s\n", bt->n++, (unsigned long)rip, sym);
}

void panic_backtrace(uint64_t rip, uint64_t rbp, bool rip_exact)
{
	struct backtrace bt = { 0, rip_exact };

	printk("kiln: backtrace:\n");
	arch_backtrace(rip, rbp, 32, print_frame, &bt);
}

_Noreturn void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	panic_enter();
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk("kiln: panic: %s\n", msg);
	/* Start at our caller: its return address and its saved frame. */
	panic_backtrace((uint64_t)__builtin_return_address(0),
			*(const uint64_t *)__builtin_frame_address(0), false);
	panic_exit();
}
