/* tsc.c - TSC calibration and the monotonic nanosecond clock. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/x86.h"
#include "core/printk.h"
#include "lib/calib.h"
#include "lib/cmdline.h"
#include "lib/vclock.h"

static uint64_t hz;
static uint64_t ns_mult; /* ns = ticks * ns_mult >> 32 (lib/vclock.h) */
static uint64_t base_ns; /* boot_info.tsc_entry in ns at ns_mult */

/* CPUID 0x15: TSC = crystal * EBX / EAX; crystal Hz in ECX or from 0x16. */
static uint64_t from_cpuid_15(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] < 0x15)
		return 0;
	cpuid(0x15, 0, r);
	if (r[0] && r[1] && r[2])
		return (uint64_t)r[2] * r[1] / r[0];
	cpuid(0, 0, r);
	if (r[0] < 0x16)
		return 0;
	cpuid(0x16, 0, r); /* EAX: base frequency in MHz */
	return (uint64_t)(r[0] & 0xffff) * 1000000;
}

/* Hypervisor leaf 0x40000010 (VMware convention, QEMU/KVM): EAX = TSC kHz. */
static uint64_t from_hypervisor_leaf(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		return 0;
	cpuid(0x40000000, 0, r);
	if (r[0] < 0x40000010)
		return 0;
	cpuid(0x40000010, 0, r);
	return (uint64_t)r[0] * 1000;
}

/*
 * KVM's pvclock (Documentation/virt/kvm/x86/msr.rst): the host fills in
 * tsc_to_system_mul and tsc_shift such that
 * ns = ((ticks << shift) * mul) >> 32, so Hz = 10^9 * 2^32 / mul >> shift.
 */
struct pvclock_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

_Static_assert(sizeof(struct pvclock_time_info) == 32, "pvclock layout");

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

static struct pvclock_time_info pvclock __attribute__((aligned(64)));

static bool is_kvm(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		return false;
	cpuid(0x40000000, 0, r);
	return r[1] == 0x4b4d564b && r[2] == 0x564b4d56 && r[3] == 0x4d;
}

static uint64_t from_kvmclock(void)
{
	uint32_t r[4];
	uint64_t f;

	if (!is_kvm())
		return 0;
	cpuid(0x40000001, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys(&pvclock) | 1);
	while (__atomic_load_n(&pvclock.version, __ATOMIC_ACQUIRE) == 0 ||
	       (pvclock.version & 1))
		cpu_relax();
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0); /* one reading is all we need */
	if (pvclock.tsc_to_system_mul == 0)
		return 0;
	f = (1000000000ULL << 32) / pvclock.tsc_to_system_mul;
	return pvclock.tsc_shift >= 0 ? f >> pvclock.tsc_shift :
					f << -pvclock.tsc_shift;
}

/*
 * PIT channel 0 as a reference (1.193182 MHz): program a free-running
 * countdown, latch-read it, and count TSC ticks while it falls by a known
 * amount. Under TCG on a loaded host the vCPU can be descheduled at any
 * instruction, PIT reads (exits to QEMU, which may wait for its lock)
 * most of all: a stall between a PIT read and the TSC read that dates it
 * made one boot measure 2.5x the host's TSC rate, another over 25x, and
 * every sleep as much longer (a 20 ms nanosleep took 1.7 s, `sleep 5`
 * outlasted a 140 s test). So each PIT read is dated by TSC reads on
 * both sides (a stall widens that bracket), a sample takes the
 * brackets' midpoints, and calib_pick keeps the median of the samples
 * with narrow brackets.
 */
#define PIT_HZ 1193182
#define PIT_SPAN 1193 /* 1 ms of PIT counts: 0.1% resolution */
#define PIT_SAMPLES 7

static uint16_t pit_read(void)
{
	outb(0x43, 0x00); /* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint16_t)(lo | inb(0x40) << 8);
}

/* A PIT read and the TSC before and after it: the latch is in between. */
static uint16_t pit_read_dated(uint64_t *before, uint64_t *after)
{
	uint16_t v;

	*before = rdtsc();
	v = pit_read();
	*after = rdtsc();
	return v;
}

/* One measurement; false when no PIT answers (the count never moves). */
static bool pit_sample(struct calib_sample *s)
{
	uint64_t a0, b0, a1, b1, limit = 1ULL << 32;
	uint16_t start, now;

	start = pit_read_dated(&a0, &b0);
	do {
		now = pit_read_dated(&a1, &b1);
		if (b1 - a0 > limit)
			return false;
	} while ((uint16_t)(start - now) < PIT_SPAN);
	s->hz = ((a1 + b1) / 2 - (a0 + b0) / 2) * PIT_HZ /
		(uint16_t)(start - now);
	s->width = (b0 - a0) + (b1 - a1);
	return true;
}

static uint64_t from_pit(void)
{
	struct calib_sample s[PIT_SAMPLES];

	outb(0x43, 0x34); /* channel 0, lo/hi, mode 2, binary */
	outb(0x40, 0x00);
	outb(0x40, 0x00); /* reload 65536 */
	for (size_t i = 0; i < PIT_SAMPLES; i++)
		if (!pit_sample(&s[i]))
			return 0;
	return calib_pick(s, PIT_SAMPLES);
}

/*
 * The PIT measures beside the boot: tsc_init starts a span and
 * tsc_check, once memory_init and the LAPIC set-up have run, ends it,
 * instead of from_pit's seven 1 ms busy samples. Channel 0 counts down
 * in mode 0, whose OUT goes high when the count runs out and stays so;
 * the read-back command latches it with the count (Intel 8254 data
 * sheet, "Read-Back Command"), so a span past the 55 ms of one count is
 * seen, never aliased, and does not count. Nor does one whose brackets
 * took over 0.2% of it (a stall: the midpoints could be off by over
 * 0.1%). A span that does not count leaves the measuring to from_pit,
 * and the check of a claimed rate to pit_agrees.
 */
#define PIT_READBACK_CH0 0xc2 /* 11: read-back; count and status; ch. 0 */
#define PIT_STATUS_OUT 0x80
#define PIT_NONE_TICKS (1ULL << 32) /* no PIT: its count never moves */

static struct {
	bool claimed;  /* hz is kiln.tsc_khz's, to be checked */
	bool spanning; /* span_start found a PIT: start, a0, b0 are set */
	uint16_t start;
	uint64_t a0, b0;
} check;

/* Channel 0's status and count, latched together between the TSC reads. */
static uint8_t pit_readback_dated(uint16_t *count, uint64_t *before,
				  uint64_t *after)
{
	uint8_t status, lo;

	*before = rdtsc();
	outb(0x43, PIT_READBACK_CH0);
	*after = rdtsc();
	status = inb(0x40);
	lo = inb(0x40);
	*count = (uint16_t)(lo | inb(0x40) << 8);
	return status;
}

/*
 * Start the span at a step of the count (it loads at the next PIT
 * clock). The reads before it also get the code translated under TCG,
 * which would otherwise happen inside the first bracket.
 */
static bool span_start(void)
{
	uint64_t a, b;
	uint16_t first;

	outb(0x43, 0x30); /* channel 0, lo/hi, mode 0, binary */
	outb(0x40, 0x00);
	outb(0x40, 0x00); /* count 65536 */
	pit_readback_dated(&first, &a, &b);
	do {
		pit_readback_dated(&check.start, &check.a0, &check.b0);
		if (check.b0 - a > PIT_NONE_TICKS)
			return false;
	} while (check.start == first);
	check.spanning = true;
	return true;
}

/* The TSC's rate over the span since span_start; 0 when not to be trusted. */
static uint64_t span_rate(void)
{
	uint64_t a1, b1, span;
	uint16_t now, counts;

	if (!check.spanning)
		return 0;
	pit_readback_dated(&now, &a1, &b1); /* translated, not dated */
	do {
		if (pit_readback_dated(&now, &a1, &b1) & PIT_STATUS_OUT)
			return 0; /* the count ran out: over 55 ms */
		if (b1 - check.a0 > PIT_NONE_TICKS)
			return 0;
		counts = (uint16_t)(check.start - now);
	} while (counts < PIT_SPAN);
	span = (a1 + b1) / 2 - (check.a0 + check.b0) / 2;
	if ((check.b0 - check.a0) + (b1 - a1) > span / 500)
		return 0; /* the midpoints could be off by over 0.1% */
	return span * PIT_HZ / counts;
}

/*
 * kiln.tsc_khz=N: the rate kiln measured on the host, whose TSC a TCG
 * guest reads, to 0.05% (cli/host_tsc.c). Taken only once the PIT
 * agrees within 10%: the check is for a value of another clock (QEMU's
 * -icount makes the TSC count instructions, 1 GHz), which is refused,
 * and the PIT measures. The span beside the boot checks it; when that
 * does not count, pit_agrees takes one short sample (a quarter of a
 * millisecond, against 7 ms for from_pit). A sample whose brackets took
 * over 4% of it (a stall) is not trusted; up to three are tried.
 */
#define CHECK_SPAN 298 /* PIT counts: 0.25 ms */
#define CHECK_TRIES 3
#define KHZ_MIN 100000ULL    /* 100 MHz */
#define KHZ_MAX 100000000ULL /* 100 GHz */

static bool within_tenth(uint64_t got, uint64_t f)
{
	return got > f - f / 10 && got < f + f / 10;
}

static bool pit_agrees(uint64_t f)
{
	uint64_t a0, b0, a1, b1, span;
	uint16_t start, now;

	outb(0x43, 0x34); /* channel 0, lo/hi, mode 2, binary */
	outb(0x40, 0x00);
	outb(0x40, 0x00);
	for (int i = 0; i < CHECK_TRIES; i++) {
		start = pit_read_dated(&a0, &b0);
		do {
			now = pit_read_dated(&a1, &b1);
			if (b1 - a0 > f) /* a second: no PIT */
				return false;
		} while ((uint16_t)(start - now) < CHECK_SPAN);
		span = (a1 + b1) / 2 - (a0 + b0) / 2;
		if ((b0 - a0) + (b1 - a1) > span / 25)
			continue; /* a stall in a bracket: try again */
		return within_tenth(span * PIT_HZ / (uint16_t)(start - now), f);
	}
	return false;
}

static uint64_t from_cmdline(void)
{
	uint64_t khz;

	if (cmdline_get_u64(boot_info.cmdline, boot_info.cmdline_len,
			    "kiln.tsc_khz", &khz) != 0 ||
	    khz < KHZ_MIN || khz > KHZ_MAX)
		return 0;
	span_start(); /* no PIT: tsc_check assumes 1 GHz at once */
	check.claimed = true;
	return khz * 1000;
}

static void set_hz(uint64_t f)
{
	hz = f;
	ns_mult = vclock_mult(f);
	/* tsc_entry is set in kmain, before tsc_init */
	base_ns = vclock_ticks_ns(boot_info.tsc_entry, ns_mult);
}

/* The PIT's seven samples, or a guess that says so. */
static const char *calibrate(void)
{
	uint64_t f = from_pit();

	if (f != 0) {
		set_hz(f);
		return "pit";
	}
	set_hz(1000000000ULL);
	return "none (assuming 1 GHz)";
}

/*
 * The clocks' sums are modulo 2^64 and assume the TSC does not wrap
 * while Kiln runs (lib/vclock.h): if it did, every clock would jump back
 * by 2^64 ticks' worth. A TSC counts from whatever a hypervisor or a
 * restored snapshot set it to, not from 0 at boot, so say so when it
 * starts in the top eighth of its range (24 years from wrapping at 3 GHz).
 */
static void warn_tsc_near_wrap(void)
{
	if (boot_info.tsc_entry >= UINT64_MAX - UINT64_MAX / 8)
		printk("kiln: warning: the TSC starts at 0x%lx, near 2^64; "
		       "clocks jump back if it wraps\n",
		       (unsigned long)boot_info.tsc_entry);
}

const char *tsc_init(void)
{
	uint64_t f;

	warn_tsc_near_wrap();
	if ((f = from_kvmclock()) != 0) {
		set_hz(f);
		return "kvmclock";
	}
	if ((f = from_cpuid_15()) != 0) {
		set_hz(f);
		return "cpuid";
	}
	if ((f = from_hypervisor_leaf()) != 0) {
		set_hz(f);
		return "hypervisor leaf";
	}
	if ((f = from_cmdline()) != 0) {
		set_hz(f); /* unchecked: time_ns approximate until tsc_check */
		return "kiln.tsc_khz, checked against the PIT";
	}
	if (!span_start()) {
		set_hz(1000000000ULL);
		return "none (assuming 1 GHz)";
	}
	/* A placeholder: time_ns is approximate until tsc_check measures. */
	set_hz(1000000000ULL);
	return "pit";
}

/*
 * A span that counted is the PIT's measure: it checks a claimed rate,
 * and replaces one it refuses, as it replaces the placeholder. With no
 * PIT at all (span_start saw none) a claim cannot be checked, and
 * pit_agrees and from_pit would only wait seconds more to say so.
 */
const char *tsc_check(const char *source)
{
	bool pit_seen = check.spanning;
	uint64_t f;

	if (!check.claimed && !check.spanning)
		return source;
	f = span_rate();
	check.spanning = false;
	if (check.claimed) {
		check.claimed = false;
		if (!pit_seen) {
			set_hz(1000000000ULL);
			return "none (assuming 1 GHz)";
		}
		if (f != 0 ? within_tenth(f, hz) : pit_agrees(hz))
			return source;
		printk("kiln: kiln.tsc_khz=%lu disagrees with the PIT\n",
		       hz / 1000);
	}
	if (f == 0)
		return calibrate();
	set_hz(f);
	return "pit";
}

uint64_t tsc_hz(void)
{
	return hz;
}

uint64_t tsc_ns_mult(void)
{
	return ns_mult;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return vclock_ticks_ns(ticks, ns_mult);
}

uint64_t time_ns(void)
{
	/* lib/vclock.h's sum, as the vDSO's: not tsc_to_ns(tsc - entry) */
	return vclock_sum(rdtsc(), ns_mult, -base_ns);
}
