/* pci.h - PCI configuration space through the legacy 0xcf8/0xcfc ports. */
#ifndef KILN_DRIVERS_PCI_H
#define KILN_DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* A function's address: bus 15:8, device 7:3, function 2:0. */
#define PCI_BDF(bus, dev, fn) ((uint16_t)((bus) << 8 | (dev) << 3 | (fn)))

/* PCI Local Bus 3.0, 6.1: configuration header offsets. */
#define PCI_VENDOR 0x00
#define PCI_DEVICE 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS 0x0a /* sub-class, then class at 0x0b */
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) headers */
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c /* the IRQ the firmware routed INTx to */

#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_OFF 0x400
#define PCI_STATUS_CAPS 0x10
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09

/* Reads of any width at any (aligned) offset; absent functions read ~0. */
uint32_t pci_read32(uint16_t bdf, uint8_t off);
uint16_t pci_read16(uint16_t bdf, uint8_t off);
uint8_t pci_read8(uint16_t bdf, uint8_t off);
void pci_write32(uint16_t bdf, uint8_t off, uint32_t v);
void pci_write16(uint16_t bdf, uint8_t off, uint16_t v);

/* True when a host bridge answers at 00:00.0 (pc, q35; not microvm). */
bool pci_present(void);

/*
 * Call fn for each function on bus 0 and on the buses behind PCI-PCI
 * bridges, until fn returns true (then pci_scan returns true).
 */
bool pci_scan(bool (*fn)(uint16_t bdf, void *ctx), void *ctx);

/*
 * Physical address of memory BAR n (64-bit BARs span n and n+1), or 0
 * when it is an I/O BAR, unassigned, or n is out of range.
 */
uint64_t pci_bar_phys(uint16_t bdf, unsigned n);

#endif
