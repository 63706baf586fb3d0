/* main.c - kmain: the start-up sequence from entry to the application; the one file that calls every layer. */
#include <kiln/exit.h>
#include <kiln/version.h>

#include "arch.h"
#include "core/clock.h"
#include "core/memory.h"
#include "core/random.h"
#include "core/page.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/selftest.h"
#include "lib/cmdline.h"
#include "linux/start.h"

/* Called once from entry.S on the boot stack, interrupts off. */
_Noreturn void kmain(uint64_t start_info_phys, uint64_t tsc_entry);

/* Run the image's application, if this kernel is part of an image. */
static _Noreturn void start_app(void)
{
	int err;
	const void *bundle = memory_bundle(&err);

	if (bundle)
		linux_start(bundle);
	if (err) /* a damaged image: memory_init said why */
		kernel_exit(KILN_EXIT_NOEXEC);
	printk("kiln: no application in this image\n");
	kernel_exit(KILN_EXIT_OK);
}

/* TSC readings between boot stages, for the "boot stages" log line. */
enum {
	ST_KMAIN,
	ST_EARLY,
	ST_TSC,
	ST_MEMORY,
	ST_LATE,
	ST_CLOCK,
	ST_RANDOM,
	ST_N
};
static uint64_t stage_tsc[ST_N];

static void print_stages(uint64_t tsc_entry)
{
	static const char *const names[ST_N] = { "entry",  "cpu",   "tsc",
						 "memory", "lapic", "clock",
						 "random" };
	uint64_t prev = tsc_entry;

	printk_info("kiln: boot stages (us):");
	for (int i = 0; i < ST_N; i++) {
		printk_info(" %s %lu", names[i],
			    tsc_to_ns(stage_tsc[i] - prev) / 1000);
		prev = stage_tsc[i];
	}
	printk_info("\n");
}

_Noreturn void kmain(uint64_t start_info_phys, uint64_t tsc_entry)
{
	const char *clock;
	uint64_t ready_ns;
	char test[32];

	stage_tsc[ST_KMAIN] = rdtsc();
	boot_info.tsc_entry = tsc_entry;
	printk_init();
	/*
	 * The banner after the CPU's set-up: under TCG its code would
	 * otherwise be translated twice (arch_early_init changes CR0 and
	 * CR4 bits that key QEMU's translated blocks).
	 */
	arch_early_init(start_info_phys);
	printk(KILN_NAME " " KILN_VERSION " (x86_64)\n");
	if (cmdline_has(boot_info.cmdline, boot_info.cmdline_len, "quiet"))
		printk_set_quiet();
	stage_tsc[ST_EARLY] = rdtsc();
	clock = tsc_init();
	stage_tsc[ST_TSC] = rdtsc();
	memory_init();
	stage_tsc[ST_MEMORY] = rdtsc();
	arch_late_init();
	clock = tsc_check(clock); /* kiln.tsc_khz's PIT check spans the above */
	stage_tsc[ST_LATE] = rdtsc();
	clock_init();
	stage_tsc[ST_CLOCK] = rdtsc();
	random_init();
	stage_tsc[ST_RANDOM] = rdtsc();
	ready_ns = time_ns();
	print_stages(tsc_entry);

	printk_info("kiln: command line: %s\n", boot_info.cmdline);
	printk_info("kiln: tsc %lu kHz from %s\n", tsc_hz() / 1000, clock);
	printk_info("kiln: memory: %lu KiB free of %lu KiB\n",
		    page_free_count() * PAGE_SIZE / 1024,
		    page_total() * PAGE_SIZE / 1024);
	printk_info("kiln: ready in %lu us\n", ready_ns / 1000);

	if (cmdline_get(boot_info.cmdline, boot_info.cmdline_len, "kiln.test",
			test, sizeof(test)) >= 0)
		kernel_exit(selftest_run(test));
	start_app();
}
