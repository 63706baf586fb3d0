/* clock.c - wall clock from the CMOS RTC read once at boot, advanced by the TSC. */
#include "core/clock.h"

#include <asm-generic/errno.h>

#include "core/sched.h"

#include <stdbool.h>

#include "arch.h"
#include "core/printk.h"
#include "lib/string.h"
#include "lib/time.h"
#include "lib/vclock.h"

/*
 * MC146818 CMOS RTC, ports 0x70 (index) / 0x71 (data). Registers:
 *
 *   0x00 seconds  0x02 minutes  0x04 hours  0x07 day  0x08 month  0x09 year
 *   0x0a status A: bit 7 UIP (update in progress: values about to change)
 *   0x0b status B: bit 2 DM (1 = binary, 0 = BCD), bit 1 (1 = 24-hour)
 *   0x32 century (BCD/binary like the rest; where PCs and QEMU keep it)
 *
 * In 12-hour mode bit 7 of the hours register means PM.
 */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32
#define RTC_A_UIP 0x80
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_HOUR_PM 0x80
#define RTC_UIP_WAIT_NS 20000000ULL /* an update takes < 2 ms; allow 20 */

struct rtc_regs {
	uint8_t sec, min, hour, day, mon, year, century;
};

/*
 * The clocks' numbers (lib/vclock.h), on a page of their own: the vDSO
 * reads this very page, mapped read-only as [vvar], and the system calls
 * compute from it too, so both give the same time.
 */
static union {
	struct vclock v;
	char page[4096];
} vvar __attribute__((aligned(4096)));

_Static_assert(sizeof(vvar) == 4096, "[vvar] is one page");

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static bool rtc_wait_not_updating(void)
{
	uint64_t start = time_ns();

	while (cmos_read(RTC_STATUS_A) & RTC_A_UIP)
		if (time_ns() - start > RTC_UIP_WAIT_NS)
			return false;
	return true;
}

static void rtc_read_regs(struct rtc_regs *r)
{
	r->sec = cmos_read(RTC_SECONDS);
	r->min = cmos_read(RTC_MINUTES);
	r->hour = cmos_read(RTC_HOURS);
	r->day = cmos_read(RTC_DAY);
	r->mon = cmos_read(RTC_MONTH);
	r->year = cmos_read(RTC_YEAR);
	r->century = cmos_read(RTC_CENTURY);
}

/* Read twice until two reads agree, so no field straddles an update. */
static bool rtc_read_stable(struct rtc_regs *r)
{
	struct rtc_regs again;

	for (int tries = 0; tries < 5; tries++) {
		if (!rtc_wait_not_updating())
			return false;
		rtc_read_regs(r);
		if (!rtc_wait_not_updating())
			return false;
		rtc_read_regs(&again);
		if (memcmp(r, &again, sizeof(again)) == 0)
			return true;
	}
	return false;
}

/* -1 for a byte that is not valid BCD (each nibble 0..9). */
static int from_bcd(uint8_t v)
{
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static int rtc_field(uint8_t v, bool binary)
{
	return binary ? v : from_bcd(v);
}

static int rtc_hour(uint8_t v, uint8_t status_b)
{
	bool pm = !(status_b & RTC_B_24H) && (v & RTC_HOUR_PM);
	int h = rtc_field(v & (uint8_t)~RTC_HOUR_PM, status_b & RTC_B_BINARY);

	if (status_b & RTC_B_24H)
		return rtc_field(v, status_b & RTC_B_BINARY);
	if (h < 1 || h > 12)
		return -1;
	return (h % 12) + (pm ? 12 : 0); /* 12 AM is 0h, 12 PM is 12h */
}

/* The RTC's bytes to a date; false when any field is out of range. */
static bool rtc_decode(const struct rtc_regs *r, uint8_t status_b,
		       struct civil_time *t)
{
	bool bin = status_b & RTC_B_BINARY;
	int yy = rtc_field(r->year, bin), cc = rtc_field(r->century, bin);

	if (yy < 0 || yy > 99)
		return false;
	/* No century register (or garbage): pivot like POSIX %y does. */
	if (cc < 19 || cc > 99)
		cc = yy < 70 ? 20 : 19;
	t->year = cc * 100 + yy;
	t->month = rtc_field(r->mon, bin);
	t->day = rtc_field(r->day, bin);
	t->hour = rtc_hour(r->hour, status_b);
	t->minute = rtc_field(r->min, bin);
	t->second = rtc_field(r->sec, bin);
	return time_civil_valid(t);
}

/* The RTC's time in ns since the epoch; false when there is no usable RTC. */
static bool clock_from_rtc(uint64_t *ns)
{
	struct rtc_regs r;
	struct civil_time t;
	uint8_t status_b = cmos_read(RTC_STATUS_B);

	/* No RTC on the bus reads as all ones. */
	if (status_b == 0xff || !rtc_read_stable(&r) ||
	    !rtc_decode(&r, status_b, &t) || t.year < 1970)
		return false;
	*ns = (uint64_t)time_to_unix(&t) * 1000000000ULL;
	return true;
}

/*
 * The hypervisor's clock first: nanosecond precision, and no port I/O
 * (each CMOS access is a VM exit; QEMU microvm under KVM and Firecracker
 * have no RTC at all). The CMOS RTC next (TCG, q35, pc).
 */
static bool wall_read;

/*
 * Read the wall clock (pvclock, else the CMOS RTC: ~1 ms of port I/O under
 * TCG). Done on first use rather than at boot, so a boot that runs no
 * program does not pay for it. The first exec uses it (AT_RANDOM seeds
 * the RNG, which mixes in the wall clock: core/random.c), so [vvar] has
 * the REALTIME offset before any application runs.
 */
static void clock_read_wall(void)
{
	const char *source = "KVM pvclock";
	struct civil_time t;
	uint64_t ns, secs;

	if (!arch_wallclock_ns(&ns)) {
		source = "the CMOS RTC";
		if (!clock_from_rtc(&ns)) {
			ns = 0;
			source = NULL;
		}
	}
	vclock_set_wall(&vvar.v, ns, clock_monotonic_ns());
	if (!source) {
		printk("clock: no wall clock (no pvclock, no CMOS RTC); "
		       "it starts at 1970-01-01\n");
		return;
	}
	secs = ns / 1000000000ULL;
	time_civil_from_days((int64_t)(secs / 86400), &t.year, &t.month,
			     &t.day);
	printk_info("clock: %04ld-%02d-%02d %02lu:%02lu:%02lu UTC from %s\n",
		    (long)t.year, t.month, t.day, secs % 86400 / 3600,
		    secs % 3600 / 60, secs % 60, source);
}

void clock_init(void)
{
	wall_read = false; /* read lazily: see clock_read_wall */
	vclock_init(&vvar.v);
	vclock_set_mono(&vvar.v, boot_info.tsc_entry, tsc_ns_mult());
}

uint64_t clock_realtime_ns(void)
{
	if (!wall_read) {
		wall_read = true;
		clock_read_wall();
	}
	return vclock_real_ns(&vvar.v, clock_monotonic_ns());
}

/* time_ns(), from the numbers the vDSO has (arch.h says they agree). */
uint64_t clock_monotonic_ns(void)
{
	return vclock_mono_ns(&vvar.v, rdtsc());
}

uint64_t clock_vvar_phys(void)
{
	return virt_to_phys(&vvar);
}

int clock_sleep_until(uint64_t deadline_ns)
{
	while (time_ns() < deadline_ns)
		if (sched_sleep(deadline_ns, true) == -EINTR)
			return -EINTR;
	return 0;
}

uint64_t clock_idle_ns(void)
{
	return sched_idle_ns();
}
