/* kvm_wall.c - the wall-clock time KVM's pvclock offers, for VMs without a CMOS RTC. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"

/*
 * Documentation/virt/kvm/x86/msr.rst: writing a guest-physical address
 * to MSR_KVM_WALL_CLOCK_NEW makes the host fill in the wall-clock time at
 * which kvmclock's system_time was 0; writing one to
 * MSR_KVM_SYSTEM_TIME_NEW (bit 0 = enable) makes it publish system_time
 * at a TSC value, with a scale to extrapolate from there:
 *
 *     now = wall.sec * 10^9 + wall.nsec + system_time
 *           + (((rdtsc() - tsc_timestamp) << shift) * mul >> 32)
 *
 * An odd version means the host is mid-update: read again.
 */
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_FEATURES 0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define CPUID_HYPERVISOR (1u << 31)

struct pvclock_wall_clock {
	uint32_t version, sec, nsec;
};

struct pvclock_vcpu_time {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags, pad[2];
};

_Static_assert(sizeof(struct pvclock_vcpu_time) == 32, "pvclock layout");

static struct pvclock_wall_clock wall __attribute__((aligned(64)));
static struct pvclock_vcpu_time vtime __attribute__((aligned(64)));

static bool kvm_has_clocksource2(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & CPUID_HYPERVISOR))
		return false;
	cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d)
		return false; /* not "KVMKVMKVM\0\0\0" */
	cpuid(KVM_CPUID_FEATURES, 0, r);
	return r[0] & KVM_FEATURE_CLOCKSOURCE2;
}

/* Wait until the host has published (nonzero, even version). */
static void wait_version(const volatile uint32_t *version)
{
	while (__atomic_load_n(version, __ATOMIC_ACQUIRE) == 0 ||
	       (*version & 1))
		cpu_relax();
}

static uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift >= 0)
		delta <<= shift;
	else
		delta >>= -shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

bool arch_wallclock_ns(uint64_t *ns)
{
	uint64_t sys;

	if (!kvm_has_clocksource2())
		return false;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys(&vtime) | 1);
	wait_version(&vtime.version);
	wrmsr(MSR_KVM_WALL_CLOCK_NEW, virt_to_phys(&wall));
	wait_version(&wall.version);
	sys = vtime.system_time + pvclock_scale(rdtsc() - vtime.tsc_timestamp,
						vtime.tsc_to_system_mul,
						vtime.tsc_shift);
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0); /* one reading is all we need */
	if (wall.sec == 0)
		return false;
	*ns = (uint64_t)wall.sec * 1000000000ULL + wall.nsec + sys;
	return true;
}
