/* procfs_cpu.c - /proc/cpuinfo from CPUID (Intel SDM vol. 2A, CPUID; AMD APM vol. 3). */
#include "fs/procfs.h"

#include <stdarg.h>

#include "arch.h"
#include "lib/format.h"
#include "lib/string.h"

/* Flag names as Linux prints them, by CPUID register and bit. */
struct cpu_flag {
	uint32_t leaf;
	uint8_t reg; /* 1 ebx, 2 ecx, 3 edx */
	uint8_t bit;
	const char *name;
};

static const struct cpu_flag cpu_flags[] = {
	{ 1, 3, 0, "fpu" },
	{ 1, 3, 1, "vme" },
	{ 1, 3, 2, "de" },
	{ 1, 3, 3, "pse" },
	{ 1, 3, 4, "tsc" },
	{ 1, 3, 5, "msr" },
	{ 1, 3, 6, "pae" },
	{ 1, 3, 7, "mce" },
	{ 1, 3, 8, "cx8" },
	{ 1, 3, 9, "apic" },
	{ 1, 3, 11, "sep" },
	{ 1, 3, 12, "mtrr" },
	{ 1, 3, 13, "pge" },
	{ 1, 3, 14, "mca" },
	{ 1, 3, 15, "cmov" },
	{ 1, 3, 16, "pat" },
	{ 1, 3, 17, "pse36" },
	{ 1, 3, 19, "clflush" },
	{ 1, 3, 23, "mmx" },
	{ 1, 3, 24, "fxsr" },
	{ 1, 3, 25, "sse" },
	{ 1, 3, 26, "sse2" },
	{ 1, 3, 28, "ht" },
	{ 0x80000001, 3, 11, "syscall" },
	{ 0x80000001, 3, 20, "nx" },
	{ 0x80000001, 3, 26, "pdpe1gb" },
	{ 0x80000001, 3, 27, "rdtscp" },
	{ 0x80000001, 3, 29, "lm" },
	{ 1, 2, 0, "pni" },
	{ 1, 2, 1, "pclmulqdq" },
	{ 1, 2, 9, "ssse3" },
	{ 1, 2, 12, "fma" },
	{ 1, 2, 13, "cx16" },
	{ 1, 2, 19, "sse4_1" },
	{ 1, 2, 20, "sse4_2" },
	{ 1, 2, 21, "x2apic" },
	{ 1, 2, 22, "movbe" },
	{ 1, 2, 23, "popcnt" },
	{ 1, 2, 25, "aes" },
	{ 1, 2, 26, "xsave" },
	{ 1, 2, 28, "avx" },
	{ 1, 2, 29, "f16c" },
	{ 1, 2, 30, "rdrand" },
	{ 1, 2, 31, "hypervisor" },
	{ 0x80000001, 2, 0, "lahf_lm" },
	{ 0x80000001, 2, 5, "abm" },
	{ 7, 1, 3, "bmi1" },
	{ 7, 1, 5, "avx2" },
	{ 7, 1, 7, "smep" },
	{ 7, 1, 8, "bmi2" },
	{ 7, 1, 9, "erms" },
	{ 7, 1, 16, "avx512f" },
	{ 7, 1, 18, "rdseed" },
	{ 7, 1, 19, "adx" },
	{ 7, 1, 20, "smap" },
	{ 7, 1, 29, "sha_ni" },
};

static uint32_t max_leaf(uint32_t base)
{
	uint32_t r[4];

	cpuid(base, 0, r);
	return r[0];
}

static void put_flags(char *buf, size_t size, size_t *len)
{
	uint32_t std = max_leaf(0), ext = max_leaf(0x80000000), r[4];
	size_t i;

	procfs_put(buf, size, len, "flags\t\t:");
	for (i = 0; i < sizeof(cpu_flags) / sizeof(cpu_flags[0]); i++) {
		const struct cpu_flag *fl = &cpu_flags[i];

		if (fl->leaf >= 0x80000000 ? fl->leaf > ext : fl->leaf > std)
			continue;
		cpuid(fl->leaf, 0, r);
		if (r[fl->reg] & (1U << fl->bit))
			procfs_put(buf, size, len, " %s", fl->name);
	}
	procfs_put(buf, size, len, "\n");
}

/* The brand string of leaves 0x80000002-4, leading spaces dropped. */
static void model_name(char *out)
{
	uint32_t r[4];
	const char *p = out;
	int i;

	out[0] = '\0';
	if (max_leaf(0x80000000) < 0x80000004)
		return;
	for (i = 0; i < 3; i++) {
		cpuid(0x80000002 + (uint32_t)i, 0, r);
		memcpy(out + 16 * i, r, 16);
	}
	out[48] = '\0';
	while (*p == ' ')
		p++;
	memmove(out, p, strlen(p) + 1);
}

size_t procfs_cpuinfo(char *buf, size_t size)
{
	uint32_t r[4], family, model;
	char vendor[13], name[49];
	size_t len = 0;

	cpuid(0, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = '\0';
	cpuid(1, 0, r);
	family = (r[0] >> 8) & 0xf;
	model = (r[0] >> 4) & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model |= ((r[0] >> 16) & 0xf) << 4;
	model_name(name);
	procfs_put(buf, size, &len, "processor\t: 0\nvendor_id\t: %s\n",
		   vendor);
	procfs_put(buf, size, &len, "cpu family\t: %u\nmodel\t\t: %u\n", family,
		   model);
	procfs_put(buf, size, &len, "model name\t: %s\nstepping\t: %u\n", name,
		   r[0] & 0xf);
	procfs_put(buf, size, &len, "cpu MHz\t\t: %lu.%03lu\n",
		   (unsigned long)(tsc_hz() / 1000000),
		   (unsigned long)(tsc_hz() / 1000 % 1000));
	procfs_put(buf, size, &len,
		   "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\n"
		   "cpu cores\t: 1\napicid\t\t: 0\nfpu\t\t: yes\n"
		   "wp\t\t: yes\n");
	put_flags(buf, size, &len);
	procfs_put(buf, size, &len,
		   "clflush size\t: 64\ncache_alignment\t: 64\n"
		   "address sizes\t: 40 bits physical, 48 bits "
		   "virtual\n\n");
	return len;
}
