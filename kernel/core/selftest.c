/* selftest.c - fault and subsystem checks the tests trigger from the command line. */
#include "core/selftest.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "core/heap.h"
#include "core/page.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/sched.h"
#include "lib/string.h"

/* Volatile so the compiler cannot prove the faults and optimise them away. */
static volatile uintptr_t zero;
static uint8_t data_code[16] = { 0xc3 }; /* "ret", in a no-execute page */

__attribute__((noinline)) static int selftest_null_deref(void)
{
	return *(volatile int *)zero;
}

__attribute__((noinline)) static int selftest_write_text(void)
{
	*(volatile uint8_t *)(uintptr_t)&selftest_write_text = 0xcc;
	return 1;
}

__attribute__((noinline)) static int selftest_exec_data(void)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)data_code;

	fn();
	return 1;
}

/* Each level keeps 1 KiB live so the compiler can neither inline nor loop. */
__attribute__((noinline)) static int selftest_recurse(int depth)
{
	volatile char pad[1024];

	pad[0] = (char)depth;
	if ((uintptr_t)depth == zero + 1000000)
		return 0; /* never: the guard page is hit long before */
	return selftest_recurse(depth + 1) + pad[0];
}

static int selftest_stack_overflow(void)
{
	return selftest_recurse(0);
}

struct chunk {
	struct chunk *next;
};

/* Take heap memory until kmalloc says no, then give all of it back. */
static int selftest_oom(void)
{
	size_t before = page_free_count(), n = 0;
	struct chunk *list = NULL, *c;

	while ((c = kmalloc(64 * 1024)) != NULL) {
		c->next = list;
		list = c;
		n++;
	}
	printk("kiln: oom: kmalloc returned NULL after %zu allocations of 64 KiB\n",
	       n);
	while ((c = list) != NULL) {
		list = c->next;
		kfree(c);
	}
	if (page_free_count() != before) {
		printk("kiln: oom: %zu pages lost\n",
		       before - page_free_count());
		return 1;
	}
	printk("kiln: oom: all memory returned\n");
	return 0;
}

static volatile unsigned ticks;

static void count_tick(void)
{
	ticks++;
}

static int selftest_timer(void)
{
	uint64_t t0 = time_ns(), elapsed;

	if (lapic_timer_start(1000000, count_tick) != 0) {
		printk("kiln: timer: cannot start\n");
		return 1;
	}
	while (ticks < 10 && time_ns() - t0 < 2000000000ULL)
		cpu_wait_irq();
	lapic_timer_stop();
	elapsed = time_ns() - t0;
	if (ticks < 10) {
		printk("kiln: timer: only %u ticks in 2 s\n", ticks);
		return 1;
	}
	printk("kiln: timer: 10 ticks of 1 ms in %lu us\n", elapsed / 1000);
	return 0;
}

static volatile bool soon_fired;

static void soon_due(struct ktimer *k)
{
	(void)k;
	soon_fired = true;
}

static void never_due(struct ktimer *k)
{
	(void)k;
}

static const char *lapic_state(uint32_t left)
{
	if (left >= 0x80000000u)
		return "counting from the top";
	return left ? "counting short" : "stopped";
}

/*
 * Once a 1 ms kernel timer has fired (the LAPIC is calibrated and
 * idle), one "forever" away (SCHED_NEVER_NS on, where the deadline of
 * sleep infinity and of every timeout Linux clamps to KTIME_MAX lies)
 * leaves the LAPIC timer stopped: no idle interrupts. One 6 hours away
 * starts it counting from nearly its most (the count saturates; the
 * handler re-arms for the rest). Sleepers share the choice of deadline.
 */
static int selftest_tickless(void)
{
	struct ktimer soon = { 0 }, forever = { 0 }, later = { 0 };
	uint64_t t0 = time_ns();
	uint32_t idle, left_forever, left_later;

	ktimer_arm(&soon, t0 + 1000000, soon_due);
	while (!soon_fired && time_ns() - t0 < 2000000000ULL)
		cpu_wait_irq();
	if (!soon_fired) {
		printk("kiln: tickless: a 1 ms timer did not fire in 2 s\n");
		return 1;
	}
	idle = lapic_timer_left();
	ktimer_arm(&forever, time_ns() + SCHED_NEVER_NS, never_due);
	left_forever = lapic_timer_left();
	ktimer_arm(&later, time_ns() + 6 * 3600 * 1000000000ULL, never_due);
	left_later = lapic_timer_left();
	ktimer_cancel(&later);
	ktimer_cancel(&forever);
	printk("kiln: tickless: %s after 1 ms, %s for forever, %s for 6 h\n",
	       lapic_state(idle), lapic_state(left_forever),
	       lapic_state(left_later));
	return idle || left_forever || left_later < 0x80000000u;
}

static void describe(const char *what, uintptr_t va)
{
	struct page_info pi;

	if (!paging_query(va, &pi)) {
		printk("kiln: paging: %s unmapped\n", what);
		return;
	}
	printk("kiln: paging: %s %c%c%c\n", what, 'r', pi.writable ? 'w' : '-',
	       pi.executable ? 'x' : '-');
}

extern char __stack_guard_boot[];

static int selftest_paging(void)
{
	describe("page 0", 0);
	describe("text", (uintptr_t)__text_start);
	describe("rodata", (uintptr_t)__rodata_start);
	describe("data", (uintptr_t)__data_start);
	describe("stack guard", (uintptr_t)__stack_guard_boot);
	describe("direct map",
		 (uintptr_t)phys_to_virt(virt_to_phys(__kernel_end) + 4096));
	describe("kernel text in direct map",
		 (uintptr_t)phys_to_virt(virt_to_phys(__text_start)));
	return 0;
}

static int selftest_panic(void)
{
	panic("test panic requested");
}

SELFTEST("null", selftest_null_deref);
SELFTEST("write-text", selftest_write_text);
SELFTEST("exec-data", selftest_exec_data);
SELFTEST("stack-overflow", selftest_stack_overflow);
SELFTEST("oom", selftest_oom);
SELFTEST("timer", selftest_timer);
SELFTEST("tickless", selftest_tickless);
SELFTEST("paging", selftest_paging);
SELFTEST("panic", selftest_panic);

extern const struct selftest __selftests_start[], __selftests_end[];

int selftest_run(const char *name)
{
	const struct selftest *t;

	for (t = __selftests_start; t < __selftests_end; t++)
		if (!strcmp(name, t->name))
			return t->fn();
	printk("kiln: unknown kiln.test=%s\n", name);
	return 2;
}
