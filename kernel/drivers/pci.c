/* pci.c - PCI configuration space through the legacy 0xcf8/0xcfc ports, and bus enumeration. */
#include "drivers/pci.h"

#include "arch.h"

/*
 * PCI Local Bus 3.0, 3.2.2.3.2 (configuration mechanism #1): write
 * enable | bus | device | function | dword offset to 0xcf8, then access
 * the dword at 0xcfc. One CPU, interrupts off: nothing interleaves.
 */
#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc

static void pci_select(uint16_t bdf, uint8_t off)
{
	outl(PCI_ADDR_PORT, 0x80000000u | (uint32_t)bdf << 8 | (off & 0xfc));
}

uint32_t pci_read32(uint16_t bdf, uint8_t off)
{
	pci_select(bdf, off);
	return inl(PCI_DATA_PORT);
}

uint16_t pci_read16(uint16_t bdf, uint8_t off)
{
	return (uint16_t)(pci_read32(bdf, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(uint16_t bdf, uint8_t off)
{
	return (uint8_t)(pci_read32(bdf, off) >> ((off & 3) * 8));
}

void pci_write32(uint16_t bdf, uint8_t off, uint32_t v)
{
	pci_select(bdf, off);
	outl(PCI_DATA_PORT, v);
}

void pci_write16(uint16_t bdf, uint8_t off, uint16_t v)
{
	pci_select(bdf, off);
	outw((uint16_t)(PCI_DATA_PORT + (off & 2)), v);
}

bool pci_present(void)
{
	return pci_read16(PCI_BDF(0, 0, 0), PCI_VENDOR) != 0xffff;
}

/* Depth-limited: a malformed bridge chain cannot recurse forever. */
static bool scan_bus(unsigned bus, int depth,
		     bool (*fn)(uint16_t bdf, void *ctx), void *ctx)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		unsigned nfn = 1;

		for (unsigned f = 0; f < nfn; f++) {
			uint16_t bdf = PCI_BDF(bus, dev, f);
			uint8_t hdr;

			if (pci_read16(bdf, PCI_VENDOR) == 0xffff)
				continue;
			hdr = pci_read8(bdf, PCI_HEADER_TYPE);
			if (f == 0 && (hdr & 0x80))
				nfn = 8; /* multi-function device */
			if (fn(bdf, ctx))
				return true;
			if ((hdr & 0x7f) == 1 && depth < 8) {
				unsigned sec = pci_read8(bdf,
							 PCI_SECONDARY_BUS);

				if (sec > bus &&
				    scan_bus(sec, depth + 1, fn, ctx))
					return true;
			}
		}
	}
	return false;
}

bool pci_scan(bool (*fn)(uint16_t bdf, void *ctx), void *ctx)
{
	if (!pci_present())
		return false;
	return scan_bus(0, 0, fn, ctx);
}

/* PCI Local Bus 3.0, 6.2.5.1: memory BAR type bits 2:1 (2: 64-bit). */
uint64_t pci_bar_phys(uint16_t bdf, unsigned n)
{
	uint32_t lo;
	uint64_t phys;

	if (n > 5)
		return 0;
	lo = pci_read32(bdf, (uint8_t)(PCI_BAR0 + 4 * n));
	if (lo & 1)
		return 0; /* an I/O BAR */
	phys = lo & ~0xfULL;
	if (((lo >> 1) & 3) == 2) {
		if (n == 5)
			return 0;
		phys |= (uint64_t)pci_read32(bdf,
					     (uint8_t)(PCI_BAR0 + 4 * n + 4))
			<< 32;
	}
	return phys;
}
