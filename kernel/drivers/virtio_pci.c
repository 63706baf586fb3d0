/* virtio_pci.c - the modern virtio-pci transport (virtio 1.2, 4.1), with MSI-X interrupts. */
#include <asm-generic/errno.h>

#include "arch.h"
#include "core/printk.h"
#include "drivers/pci.h"
#include "drivers/virtio.h"
#include "lib/string.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_MODERN_BASE 0x1040 /* 4.1.2: 0x1040 + device type */
#define VIRTIO_PCI_TRANSITIONAL_FIRST 0x1000
#define VIRTIO_PCI_TRANSITIONAL_LAST 0x103f
#define PCI_SUBSYSTEM_ID 0x2e

/* virtio 1.2, 4.1.4: struct virtio_pci_cap, in a vendor capability. */
enum {
	CAP_CFG_TYPE = 3,
	CAP_BAR = 4,
	CAP_OFFSET = 8,
	CAP_LENGTH = 12,
	CAP_NOTIFY_MUL = 16
};
enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4 };

/* virtio 1.2, 4.1.4.3: struct virtio_pci_common_cfg. */
enum {
	COMMON_DFSELECT = 0x00,
	COMMON_DF = 0x04,
	COMMON_GFSELECT = 0x08,
	COMMON_GF = 0x0c,
	COMMON_MSIX = 0x10,
	COMMON_NUMQ = 0x12,
	COMMON_STATUS = 0x14,
	COMMON_CFGGEN = 0x15,
	COMMON_Q_SELECT = 0x16,
	COMMON_Q_SIZE = 0x18,
	COMMON_Q_MSIX = 0x1a,
	COMMON_Q_ENABLE = 0x1c,
	COMMON_Q_NOFF = 0x1e,
	COMMON_Q_DESC = 0x20,
	COMMON_Q_DRIVER = 0x28,
	COMMON_Q_DEVICE = 0x30,
};
#define VIRTIO_MSI_NO_VECTOR 0xffff
#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000

#define C8(d, o) (*(volatile uint8_t *)((d)->common + (o)))
#define C16(d, o) (*(volatile uint16_t *)((d)->common + (o)))
#define C32(d, o) (*(volatile uint32_t *)((d)->common + (o)))

static uint8_t pci_get_status(struct virtio_dev *d)
{
	return C8(d, COMMON_STATUS);
}

static void pci_set_status(struct virtio_dev *d, uint8_t s)
{
	C8(d, COMMON_STATUS) = s;
}

static uint64_t pci_get_features(struct virtio_dev *d)
{
	C32(d, COMMON_DFSELECT) = 1;
	uint64_t hi = C32(d, COMMON_DF);
	C32(d, COMMON_DFSELECT) = 0;
	return hi << 32 | C32(d, COMMON_DF);
}

static void pci_set_features(struct virtio_dev *d, uint64_t f)
{
	C32(d, COMMON_GFSELECT) = 0;
	C32(d, COMMON_GF) = (uint32_t)f;
	C32(d, COMMON_GFSELECT) = 1;
	C32(d, COMMON_GF) = (uint32_t)(f >> 32);
}

static uint16_t pci_queue_max(struct virtio_dev *d, uint16_t index)
{
	if (index >= C16(d, COMMON_NUMQ))
		return 0;
	C16(d, COMMON_Q_SELECT) = index;
	if (C16(d, COMMON_Q_ENABLE))
		return 0;
	return C16(d, COMMON_Q_SIZE);
}

/* 64-bit fields as two 32-bit writes, low first (4.1.3.1). */
static void c64(struct virtio_dev *d, uint32_t off, uint64_t v)
{
	C32(d, off) = (uint32_t)v;
	C32(d, off + 4) = (uint32_t)(v >> 32);
}

/* virtio 1.2, 4.1.5.1.3: virtqueue configuration; vector 0 for all queues. */
static int pci_queue_enable(struct virtio_dev *d, struct virtq *q)
{
	C16(d, COMMON_Q_SELECT) = q->index;
	C16(d, COMMON_Q_SIZE) = q->size;
	c64(d, COMMON_Q_DESC, q->desc_phys);
	c64(d, COMMON_Q_DRIVER, q->avail_phys);
	c64(d, COMMON_Q_DEVICE, q->used_phys);
	if (d->msix_table) {
		C16(d, COMMON_Q_MSIX) = 0;
		if (C16(d, COMMON_Q_MSIX) != 0)
			return -EIO; /* the device could not allocate it */
	}
	q->notify_off = (uint64_t)C16(d, COMMON_Q_NOFF) * d->notify_mul;
	if (q->notify_off + 2 > d->notify_len)
		return -EIO; /* untrusted: outside the notify structure */
	C16(d, COMMON_Q_ENABLE) = 1;
	return 0;
}

/* 4.1.4.4: write the queue's index at its notification address. */
static void pci_notify(struct virtio_dev *d, struct virtq *q)
{
	*(volatile uint16_t *)(d->notify_base + q->notify_off) = q->index;
}

static uint8_t pci_config_read8(struct virtio_dev *d, uint32_t off)
{
	return d->devcfg ? d->devcfg[off] : 0;
}

/*
 * Without MSI-X: the function's INTx line, as the firmware routed it
 * (PCI interrupt line register), through the I/O APIC; the ISR status
 * byte tells what happened and acknowledges it (4.1.4.5).
 */
static int pci_intx_setup(struct virtio_dev *d, int vector)
{
	uint8_t line = pci_read8(d->pci_bdf, PCI_INTERRUPT_LINE);

	if (line == 0 || line == 0xff)
		return -ENODEV; /* no line was routed */
	d->irq = line;
	pci_write16(d->pci_bdf, PCI_COMMAND,
		    pci_read16(d->pci_bdf, PCI_COMMAND) &
			    (uint16_t)~PCI_COMMAND_INTX_OFF);
	return ioapic_route(line, vector);
}

/* MSI-X (PCI 3.0, 6.8.2): table entry 0 = {addr lo, addr hi, data, ctrl}. */
static int pci_irq_setup(struct virtio_dev *d, int vector)
{
	uint64_t addr;
	uint32_t data;
	uint16_t ctl;

	if (!d->msix_table)
		return pci_intx_setup(d, vector);
	irq_msi_message(vector, &addr, &data);
	d->msix_table[0] = (uint32_t)addr;
	d->msix_table[1] = (uint32_t)(addr >> 32);
	d->msix_table[2] = data;
	d->msix_table[3] = 0; /* unmasked */
	ctl = pci_read16(d->pci_bdf, (uint8_t)(d->msix_cap + 2));
	pci_write16(d->pci_bdf, (uint8_t)(d->msix_cap + 2),
		    (uint16_t)((ctl | MSIX_ENABLE) & ~MSIX_MASKALL));
	pci_write16(d->pci_bdf, PCI_COMMAND,
		    pci_read16(d->pci_bdf, PCI_COMMAND) | PCI_COMMAND_INTX_OFF);
	C16(d, COMMON_MSIX) = VIRTIO_MSI_NO_VECTOR; /* no config interrupts */
	return 0;
}

/*
 * With MSI-X each vector says what happened: treat it as "used buffers".
 * With INTx, reading the ISR byte returns and clears the cause.
 */
static uint32_t pci_irq_ack(struct virtio_dev *d)
{
	if (!d->msix_table)
		return *d->isr;
	return 1;
}

static const struct virtio_ops pci_ops = {
	.get_status = pci_get_status,
	.set_status = pci_set_status,
	.get_features = pci_get_features,
	.set_features = pci_set_features,
	.queue_max = pci_queue_max,
	.queue_enable = pci_queue_enable,
	.notify = pci_notify,
	.config_read8 = pci_config_read8,
	.irq_setup = pci_irq_setup,
	.irq_ack = pci_irq_ack,
};

/* Map the structure one virtio capability describes (at most 1 MiB). */
static volatile uint8_t *map_cap(uint16_t bdf, uint8_t cap)
{
	uint8_t bar = pci_read8(bdf, (uint8_t)(cap + CAP_BAR));
	uint32_t off = pci_read32(bdf, (uint8_t)(cap + CAP_OFFSET));
	uint32_t len = pci_read32(bdf, (uint8_t)(cap + CAP_LENGTH));
	uint64_t base = pci_bar_phys(bdf, bar);

	if (!base || len == 0 || len > (1u << 20))
		return NULL;
	return paging_map_mmio(base + off, len);
}

/* MSI-X table: BIR in bits 2:0 of the dword at cap+4, offset above. */
static void map_msix(struct virtio_dev *d, uint8_t cap)
{
	uint32_t t = pci_read32(d->pci_bdf, (uint8_t)(cap + 4));
	uint64_t base = pci_bar_phys(d->pci_bdf, t & 7);

	if (base)
		d->msix_table = paging_map_mmio(base + (t & ~7u), 16);
	d->msix_cap = cap;
}

/*
 * Walk the capability list (untrusted: bounded steps, aligned pointers)
 * and map the first structure of each type (4.1.4: first one wins).
 */
static int map_caps(struct virtio_dev *d)
{
	uint16_t bdf = d->pci_bdf;
	uint8_t cap = pci_read8(bdf, PCI_CAP_PTR) & 0xfc;

	for (int n = 0; cap >= 0x40 && n < 48; n++) {
		uint8_t id = pci_read8(bdf, cap), type;

		type = pci_read8(bdf, (uint8_t)(cap + CAP_CFG_TYPE));
		if (id == PCI_CAP_MSIX && !d->msix_table)
			map_msix(d, cap);
		if (id == PCI_CAP_VENDOR && type == CFG_COMMON && !d->common)
			d->common = map_cap(bdf, cap);
		if (id == PCI_CAP_VENDOR && type == CFG_NOTIFY &&
		    !d->notify_base) {
			d->notify_base = map_cap(bdf, cap);
			d->notify_mul = pci_read32(
				bdf, (uint8_t)(cap + CAP_NOTIFY_MUL));
			d->notify_len = pci_read32(bdf,
						   (uint8_t)(cap + CAP_LENGTH));
		}
		if (id == PCI_CAP_VENDOR && type == CFG_ISR && !d->isr)
			d->isr = map_cap(bdf, cap);
		if (id == PCI_CAP_VENDOR && type == CFG_DEVICE && !d->devcfg)
			d->devcfg = map_cap(bdf, cap);
		cap = pci_read8(bdf, (uint8_t)(cap + 1)) & 0xfc;
	}
	return d->common && d->notify_base && d->isr ? 0 : -ENODEV;
}

/* The virtio device type of a function, or 0 if it is not virtio. */
static uint32_t virtio_type(uint16_t bdf)
{
	uint16_t dev = pci_read16(bdf, PCI_DEVICE);

	if (pci_read16(bdf, PCI_VENDOR) != VIRTIO_PCI_VENDOR)
		return 0;
	if (dev >= VIRTIO_PCI_MODERN_BASE &&
	    dev <= VIRTIO_PCI_MODERN_BASE + 0x3f)
		return dev - VIRTIO_PCI_MODERN_BASE;
	if (dev >= VIRTIO_PCI_TRANSITIONAL_FIRST &&
	    dev <= VIRTIO_PCI_TRANSITIONAL_LAST)
		return pci_read16(bdf, PCI_SUBSYSTEM_ID); /* 4.1.2.1 */
	return 0;
}

struct pci_match {
	uint32_t want;
	unsigned *skip; /* matches to pass over first */
	struct virtio_dev *d;
	bool found;
};

static bool match_fn(uint16_t bdf, void *ctx)
{
	struct pci_match *m = ctx;
	struct virtio_dev *d = m->d;

	if (virtio_type(bdf) != m->want)
		return false;
	memset(d, 0, sizeof(*d));
	d->ops = &pci_ops;
	d->transport = "pci";
	d->device_id = m->want;
	d->pci_bdf = bdf;
	pci_write16(bdf, PCI_COMMAND,
		    pci_read16(bdf, PCI_COMMAND) | PCI_COMMAND_MEMORY |
			    PCI_COMMAND_MASTER);
	if (map_caps(d) != 0) {
		printk("kiln: virtio-pci: %02x:%02x.%x has no modern capabilities\n",
		       bdf >> 8, (bdf >> 3) & 31, bdf & 7);
		return false;
	}
	if ((*m->skip)-- > 0)
		return false;
	m->found = true;
	return true;
}

int virtio_pci_find(uint32_t device_id, unsigned *skip, struct virtio_dev *d)
{
	struct pci_match m = { .want = device_id, .skip = skip, .d = d };

	pci_scan(match_fn, &m);
	return m.found ? 0 : -ENODEV;
}
