/* ioapic.c - the I/O APIC: device interrupt lines routed to vectors, and MSI messages. */
#include <asm-generic/errno.h>
#include <stdint.h>

#include "arch/x86_64/x86.h"
#include "core/printk.h"

/*
 * Without ACPI tables Kiln assumes the layout every QEMU x86 machine has:
 * the first I/O APIC at 0xfec00000 with inputs (GSIs) 0..23, and on
 * microvm with ioapic2=on a second one at 0xfec10000 from GSI 24.
 *
 * Registers (Intel 82093AA datasheet, 3.0): an index register IOREGSEL
 * at +0x00 and a data window IOWIN at +0x10. Index 0x01 is the version
 * (bits 23:16: the last redirection entry); entry n is at 0x10 + 2n:
 *
 *   low  dword: 7:0 vector | 10:8 delivery (000 fixed) | 11 dest mode
 *               (0 physical) | 13 polarity (1 low) | 15 trigger (1 level)
 *               | 16 mask
 *   high dword: 31:24 destination APIC ID
 */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL 0x10
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

/* Device vectors: above the LAPIC timer's 0x30, below the PIC's 0xe0. */
#define VEC_DEVICE_FIRST 0x40
#define VEC_DEVICE_END VEC_PIC_BASE

struct ioapic {
	uint64_t phys;
	unsigned gsi_base;
	volatile uint32_t *regs; /* NULL until first used */
	unsigned entries;	 /* 0: absent */
	bool probed;
};

static struct ioapic ioapics[] = {
	{ .phys = 0xfec00000, .gsi_base = 0 },
	{ .phys = 0xfec10000, .gsi_base = 24 },
};

static int next_vector = VEC_DEVICE_FIRST;

int irq_alloc_vector(void)
{
	if (next_vector >= VEC_DEVICE_END)
		return -ENOSPC;
	return next_vector++;
}

static uint32_t ioapic_read(struct ioapic *io, uint32_t reg)
{
	io->regs[IOREGSEL / 4] = reg;
	return io->regs[IOWIN / 4];
}

static void ioapic_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->regs[IOREGSEL / 4] = reg;
	io->regs[IOWIN / 4] = v;
}

/* Map the chip on first use and learn its size; false when absent. */
static bool ioapic_probe(struct ioapic *io)
{
	uint32_t ver;

	if (io->probed)
		return io->entries != 0;
	io->probed = true;
	io->regs = paging_map_mmio(io->phys, 4096);
	if (!io->regs)
		return false;
	ver = ioapic_read(io, IOAPIC_VER);
	if (ver == 0xffffffffu || ver == 0)
		return false; /* nothing decodes this address */
	io->entries = ((ver >> 16) & 0xff) + 1;
	return true;
}

/* The initial APIC ID of the boot CPU (CPUID leaf 1, EBX 31:24). */
static uint32_t boot_apic_id(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[1] >> 24;
}

int ioapic_route(unsigned gsi, int vector)
{
	for (size_t i = 0; i < sizeof(ioapics) / sizeof(ioapics[0]); i++) {
		struct ioapic *io = &ioapics[i];
		unsigned pin;

		if (gsi < io->gsi_base || !ioapic_probe(io))
			continue;
		pin = gsi - io->gsi_base;
		if (pin >= io->entries)
			continue;
		/* Mask while the two halves disagree, then unmask. */
		ioapic_write(io, IOAPIC_REDTBL + 2 * pin, RTE_MASKED);
		ioapic_write(io, IOAPIC_REDTBL + 2 * pin + 1,
			     boot_apic_id() << 24);
		ioapic_write(io, IOAPIC_REDTBL + 2 * pin,
			     RTE_LEVEL | (uint32_t)(vector & 0xff));
		return 0;
	}
	printk("kiln: ioapic: no input for interrupt %u\n", gsi);
	return -ENODEV;
}

void irq_eoi(void)
{
	lapic_eoi();
}

/* Intel SDM vol. 3, 11.11: MSI address 0xfee(dest)000, data = vector. */
void irq_msi_message(int vector, uint64_t *addr, uint32_t *data)
{
	*addr = 0xfee00000u | (boot_apic_id() << 12);
	*data = (uint32_t)(vector & 0xff);
}
