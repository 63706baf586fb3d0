/* lapic.c - the local APIC and its timer. */
#include <stdint.h>

#include "arch/x86_64/x86.h"
#include "core/panic.h"
#include "core/printk.h"
#include "lib/calib.h"

/* Intel SDM vol. 3, 11.4 / 11.5: xAPIC registers (MMIO offsets). */
enum {
	LAPIC_ID = 0x020,
	LAPIC_EOI = 0x0b0,
	LAPIC_SVR = 0x0f0,
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_TIMER_INIT = 0x380,
	LAPIC_TIMER_CUR = 0x390,
	LAPIC_TIMER_DIV = 0x3e0,
};

#define MSR_APIC_BASE 0x1b
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define TIMER_DIV_1 0xb

static volatile uint32_t *lapic;
static uint64_t lapic_hz; /* timer counts per second at divide-by-1 */
static void (*timer_handler)(void);

static uint32_t lapic_read(uint32_t reg)
{
	return lapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

/*
 * What the timer registers hold, so the scheduler's re-arming on every
 * switch and wake-up writes only the initial count: each register write
 * is an exit to the APIC model (under TCG and KVM alike), and the one-shot
 * set-up took five per switch of a pipe ping-pong (bench/procs.py).
 */
static uint32_t lvt_timer = LVT_MASKED | VEC_TIMER;
/* A count was started since the last stop (fired or not: stop writes 0). */
static bool counting;

/* A count started at divide-by-1: the TSC before and after the start. */
struct lapic_span {
	uint64_t a0, b0;
};

static void lapic_span_start(struct lapic_span *sp)
{
	sp->a0 = rdtsc();
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	sp->b0 = rdtsc();
}

/*
 * The count lapic_init starts (masked: it interrupts nothing), for
 * lapic_calibrate; b0 is 0 once used.
 */
static struct lapic_span early;

static void set_lvt_timer(uint32_t v)
{
	lvt_timer = v;
	lapic_write(LAPIC_LVT_TIMER, v);
}

void lapic_eoi(void)
{
	if (lapic)
		lapic_write(LAPIC_EOI, 0);
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) & 0xffffffffff000ULL;

	lapic = paging_map_mmio(base, 4096);
	if (!lapic)
		panic("lapic: cannot map registers at 0x%lx", base);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	set_lvt_timer(LVT_MASKED | VEC_TIMER);
	/* lapic_calibrate's first sample: it counts while the boot goes on */
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
	lapic_span_start(&early);
}

/*
 * The timer's rate against the TSC, once, on first use: counts over
 * half a millisecond of TSC. As the PIT calibration (tsc.c), the two
 * register accesses that start and read the count are each dated by TSC
 * reads on both sides: a host stall at either (TCG on a loaded host)
 * would make the rate too high and every timer fire that many times
 * late; calib_pick keeps the median of the samples with narrow brackets.
 * Three samples of 0.5 ms (not five of 1 ms): the busy wait is all CPU
 * under TCG, and a bracket of a few microseconds is still under 1%.
 */
#define LAPIC_SAMPLES 3

/*
 * Wait for what is left of half a millisecond since sp's start, read the
 * count, stop it, and fill in s. Returns the span in TSC ticks; 0 when
 * the count was stopped or ran out (4 s at 1 GHz), and s then has no
 * rate and the widest brackets, so calib_pick passes over it.
 */
static uint64_t lapic_span_finish(const struct lapic_span *sp,
				  struct calib_sample *s)
{
	uint64_t a1, b1, span, div, wait = tsc_hz() / 2000;
	unsigned __int128 product;
	uint32_t left;

	while (rdtsc() - sp->b0 < wait)
		cpu_relax();
	a1 = rdtsc();
	left = lapic_read(LAPIC_TIMER_CUR);
	b1 = rdtsc();
	lapic_write(LAPIC_TIMER_INIT, 0);
	span = (a1 + b1) / 2 - (sp->a0 + sp->b0) / 2;
	s->width = (sp->b0 - sp->a0) + (b1 - a1);
	if (left == 0 || span == 0) {
		s->hz = 0;
		s->width = UINT64_MAX;
		return 0;
	}
	/*
	 * Counts (< 2^32) times tsc_hz (< 2^37) can pass 2^64: halve both
	 * sides until the product fits, as the kernel has no 128-bit divide.
	 */
	product = (unsigned __int128)(0xffffffffu - left) * tsc_hz();
	for (div = span; product >> 64; product >>= 1)
		div >>= 1;
	s->hz = div ? (uint64_t)product / div : 0;
	return span;
}

/*
 * The rate from the count lapic_init started: by the first timer armed
 * the boot has usually run for longer than a sample's half millisecond
 * (under TCG, milliseconds), so this waits for what is left of it, if
 * anything, instead of three busy samples. False when that count was
 * stopped or ran out, or a bracket took over 0.5% of the span (a
 * stall): then the samples are taken.
 */
static bool lapic_calibrate_early(void)
{
	struct calib_sample s;
	uint64_t span;

	if (early.b0 == 0)
		return false;
	span = lapic_span_finish(&early, &s);
	early.b0 = 0;
	/* one that ran out has width UINT64_MAX; none counted has hz 0 */
	if (s.width > span / 200 || s.hz == 0)
		return false;
	lapic_hz = s.hz;
	return true;
}

/* LAPIC_SAMPLES samples; calib_pick's rate, 0 when every one ran out. */
static uint64_t lapic_sample_rate(void)
{
	struct calib_sample s[LAPIC_SAMPLES];
	struct lapic_span sp;

	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
	set_lvt_timer(LVT_MASKED | VEC_TIMER);
	for (size_t i = 0; i < LAPIC_SAMPLES; i++) {
		lapic_span_start(&sp);
		lapic_span_finish(&sp, &s[i]);
	}
	return calib_pick(s, LAPIC_SAMPLES);
}

/*
 * QEMU's APIC timer counts at 1 GHz (APIC_BUS_CYCLE_NS 1): the rate
 * assumed when no sample measures one, so that lapic_hz is never 0 and
 * no later timer calibrates again.
 */
#define LAPIC_HZ_GUESS 1000000000ULL

static void lapic_calibrate(void)
{
	if (!lapic_calibrate_early()) {
		lapic_hz = lapic_sample_rate();
		if (lapic_hz == 0)
			lapic_hz = lapic_sample_rate(); /* once more */
		if (lapic_hz == 0) {
			printk("kiln: lapic timer: no rate measured, "
			       "assuming 1 GHz\n");
			lapic_hz = LAPIC_HZ_GUESS;
		}
	}
	printk_info("kiln: lapic timer %lu kHz\n", lapic_hz / 1000);
}

static void timer_irq(struct trap_frame *f)
{
	(void)f;
	if (timer_handler)
		timer_handler();
	lapic_eoi();
}

int lapic_timer_start(uint64_t period_ns, void (*handler)(void))
{
	uint64_t count;

	if (!lapic || period_ns < 1000 || period_ns > 1000000000000ULL)
		return -1;
	if (!lapic_hz)
		lapic_calibrate();
	count = lapic_hz * (period_ns / 1000) / 1000000; /* us granularity */
	if (count == 0 || count > 0xffffffffu)
		return -1;
	timer_handler = handler;
	irq_set_handler(VEC_TIMER, timer_irq);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
	set_lvt_timer(LVT_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
	counting = true;
	return 0;
}

int lapic_timer_oneshot(uint64_t ns, void (*handler)(void))
{
	uint64_t count;

	if (!lapic)
		return -1;
	if (!lapic_hz)
		lapic_calibrate();
	/* Longer waits fire at the counter's most: the handler re-arms. */
	count = calib_count(lapic_hz, ns, 0xffffffffu);
	timer_handler = handler;
	irq_set_handler(VEC_TIMER, timer_irq);
	if (lvt_timer != VEC_TIMER) {
		lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
		set_lvt_timer(VEC_TIMER); /* one-shot mode */
	}
	/* SDM 11.5.4: writing the initial count (re)starts the count. */
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
	counting = true;
	return 0;
}

uint32_t lapic_timer_left(void)
{
	return lapic ? lapic_read(LAPIC_TIMER_CUR) : 0;
}

void lapic_timer_stop(void)
{
	if (!lapic)
		return;
	if (lvt_timer & LVT_PERIODIC) {
		set_lvt_timer(LVT_MASKED | VEC_TIMER);
		lapic_write(LAPIC_TIMER_INIT, 0);
	} else if (counting) {
		/* SDM 11.5.4: an initial count of 0 stops a one-shot timer. */
		lapic_write(LAPIC_TIMER_INIT, 0);
	}
	counting = false;
}
