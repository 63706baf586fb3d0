/* main.c - kmain: the kernel's start-up sequence, from entry to ready. */
#include <kiln/exit.h>
#include <kiln/version.h>

#include "arch.h"
#include "core/memory.h"
#include "core/page.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/selftest.h"
#include "lib/cmdline.h"

/* Called once from entry.S on the boot stack, interrupts off. */
_Noreturn void kmain(uint64_t start_info_phys, uint64_t tsc_entry);

_Noreturn void kmain(uint64_t start_info_phys, uint64_t tsc_entry)
{
	const char *clock;
	uint64_t ready_ns;
	char test[32];

	boot_info.tsc_entry = tsc_entry;
	printk_init();
	printk(KILN_NAME " " KILN_VERSION " (x86_64)\n");
	arch_early_init(start_info_phys);
	clock = tsc_init();
	memory_init();
	arch_late_init();
	ready_ns = time_ns();

	printk("kiln: command line: %s\n", boot_info.cmdline);
	printk("kiln: tsc %lu kHz from %s\n", tsc_hz() / 1000, clock);
	printk("kiln: memory: %lu KiB free of %lu KiB\n",
	       page_free_count() * PAGE_SIZE / 1024,
	       page_total() * PAGE_SIZE / 1024);
	printk("kiln: ready in %lu us\n", ready_ns / 1000);

	if (cmdline_get(boot_info.cmdline, boot_info.cmdline_len, "kiln.test",
			test, sizeof(test)) >= 0)
		kernel_exit(selftest_run(test));
	kernel_exit(KILN_EXIT_OK);
}
