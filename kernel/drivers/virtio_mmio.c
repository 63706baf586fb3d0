/* virtio_mmio.c - the virtio-mmio transport (virtio 1.2, 4.2), found on the kernel command line. */
#include <asm-generic/errno.h>

#include "arch.h"
#include "core/printk.h"
#include "drivers/pci.h"
#include "drivers/virtio.h"
#include "lib/cmdline.h"
#include "lib/string.h"

/* virtio 1.2, 4.2.2: register layout (all 32-bit, little-endian). */
enum {
	MMIO_MAGIC = 0x000,
	MMIO_VERSION = 0x004,
	MMIO_DEVICE_ID = 0x008,
	MMIO_DEVICE_FEATURES = 0x010,
	MMIO_DEVICE_FEATURES_SEL = 0x014,
	MMIO_DRIVER_FEATURES = 0x020,
	MMIO_DRIVER_FEATURES_SEL = 0x024,
	MMIO_QUEUE_SEL = 0x030,
	MMIO_QUEUE_NUM_MAX = 0x034,
	MMIO_QUEUE_NUM = 0x038,
	MMIO_QUEUE_READY = 0x044,
	MMIO_QUEUE_NOTIFY = 0x050,
	MMIO_INTERRUPT_STATUS = 0x060,
	MMIO_INTERRUPT_ACK = 0x064,
	MMIO_STATUS = 0x070,
	MMIO_QUEUE_DESC = 0x080, /* low, then high at +4 */
	MMIO_QUEUE_DRIVER = 0x090,
	MMIO_QUEUE_DEVICE = 0x0a0,
	MMIO_CONFIG = 0x100,
};

#define MMIO_MAGIC_VALUE 0x74726976 /* "virt" */
#define MMIO_REGION_MIN 0x200

/*
 * QEMU microvm's fixed transports, used when the command line names none
 * (QEMU 7.2 appends virtio_mmio.device= only with acpi=off). Without a
 * second I/O APIC: 8 slots on GSIs 5..12; with one (ioapic2, on by
 * default with ACPI): 24 slots on GSIs 24..47, the second chip's inputs.
 */
#define MICROVM_MMIO_BASE 0xfeb00000ULL
#define MICROVM_SLOT_SIZE 512
#define MICROVM_SLOTS_LEGACY 8
#define MICROVM_IRQ_LEGACY 5
#define MICROVM_SLOTS_IOAPIC2 24
#define MICROVM_IRQ_IOAPIC2 24

static uint32_t rd(struct virtio_dev *d, uint32_t reg)
{
	return *(volatile uint32_t *)(d->mmio + reg);
}

static void wr(struct virtio_dev *d, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(d->mmio + reg) = v;
}

static uint8_t mmio_get_status(struct virtio_dev *d)
{
	return (uint8_t)rd(d, MMIO_STATUS);
}

static void mmio_set_status(struct virtio_dev *d, uint8_t s)
{
	wr(d, MMIO_STATUS, s);
}

static uint64_t mmio_get_features(struct virtio_dev *d)
{
	wr(d, MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = rd(d, MMIO_DEVICE_FEATURES);
	wr(d, MMIO_DEVICE_FEATURES_SEL, 0);
	return hi << 32 | rd(d, MMIO_DEVICE_FEATURES);
}

static void mmio_set_features(struct virtio_dev *d, uint64_t f)
{
	wr(d, MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(d, MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

static uint16_t mmio_queue_max(struct virtio_dev *d, uint16_t index)
{
	uint32_t max;

	wr(d, MMIO_QUEUE_SEL, index);
	if (rd(d, MMIO_QUEUE_READY))
		return 0; /* already in use: 4.2.3.2 says it must read 0 */
	max = rd(d, MMIO_QUEUE_NUM_MAX);
	return max > 0xffff ? 0xffff : (uint16_t)max;
}

static void wr64(struct virtio_dev *d, uint32_t reg, uint64_t v)
{
	wr(d, reg, (uint32_t)v);
	wr(d, reg + 4, (uint32_t)(v >> 32));
}

/* virtio 1.2, 4.2.3.2: virtqueue configuration. */
static int mmio_queue_enable(struct virtio_dev *d, struct virtq *q)
{
	wr(d, MMIO_QUEUE_SEL, q->index);
	wr(d, MMIO_QUEUE_NUM, q->size);
	wr64(d, MMIO_QUEUE_DESC, q->desc_phys);
	wr64(d, MMIO_QUEUE_DRIVER, q->avail_phys);
	wr64(d, MMIO_QUEUE_DEVICE, q->used_phys);
	wr(d, MMIO_QUEUE_READY, 1);
	return rd(d, MMIO_QUEUE_READY) == 1 ? 0 : -EIO;
}

static void mmio_notify(struct virtio_dev *d, struct virtq *q)
{
	wr(d, MMIO_QUEUE_NOTIFY, q->index);
}

static uint8_t mmio_config_read8(struct virtio_dev *d, uint32_t off)
{
	return d->mmio[MMIO_CONFIG + off];
}

static int mmio_irq_setup(struct virtio_dev *d, int vector)
{
	return ioapic_route(d->irq, vector);
}

/* 4.2.2: bit 0 used buffer, bit 1 configuration change. */
static uint32_t mmio_irq_ack(struct virtio_dev *d)
{
	uint32_t s = rd(d, MMIO_INTERRUPT_STATUS);

	wr(d, MMIO_INTERRUPT_ACK, s);
	return s;
}

static const struct virtio_ops mmio_ops = {
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_features = mmio_get_features,
	.set_features = mmio_set_features,
	.queue_max = mmio_queue_max,
	.queue_enable = mmio_queue_enable,
	.notify = mmio_notify,
	.config_read8 = mmio_config_read8,
	.irq_setup = mmio_irq_setup,
	.irq_ack = mmio_irq_ack,
};

/*
 * Map and check one transport. 0 when it holds a modern device of type
 * want; -ENODEV otherwise (an empty slot reads device id 0).
 */
static int mmio_probe(uint64_t base, uint64_t size, unsigned irq, uint32_t want,
		      struct virtio_dev *d)
{
	uint32_t version, id;

	memset(d, 0, sizeof(*d));
	d->ops = &mmio_ops;
	d->transport = "mmio";
	d->irq = irq;
	d->mmio = paging_map_mmio(base, size);
	if (!d->mmio)
		return -ENOMEM;
	if (rd(d, MMIO_MAGIC) != MMIO_MAGIC_VALUE) {
		printk("kiln: virtio-mmio: no device at 0x%lx (bad magic)\n",
		       (unsigned long)base);
		return -ENODEV;
	}
	version = rd(d, MMIO_VERSION);
	id = rd(d, MMIO_DEVICE_ID);
	if (id == 0 || id != want)
		return -ENODEV;
	if (version != 2) {
		printk("kiln: virtio-mmio: device %u at 0x%lx is legacy "
		       "(version %u): not supported\n",
		       id, (unsigned long)base, version);
		return -ENODEV;
	}
	d->device_id = id;
	return 0;
}

/*
 * Parse "SIZE@BASE:IRQ[:ID]" (Linux's virtio_mmio.device= syntax). The
 * value comes from the command line: untrusted, checked here.
 */
static bool parse_device(const char *s, uint64_t *size, uint64_t *base,
			 uint64_t *irq)
{
	const char *at = strchr(s, '@'), *colon = at ? strchr(at, ':') : NULL;
	const char *end = colon ? strchr(colon + 1, ':') : NULL;

	if (!at || !colon)
		return false;
	if (!end)
		end = s + strlen(s);
	if (!cmdline_parse_u64(s, (size_t)(at - s), size) ||
	    !cmdline_parse_u64(at + 1, (size_t)(colon - at - 1), base) ||
	    !cmdline_parse_u64(colon + 1, (size_t)(end - colon - 1), irq))
		return false;
	return *size >= MMIO_REGION_MIN && *size <= 0x100000 &&
	       *base % 4 == 0 && *base < (1ULL << 52) && *irq < 256;
}

/* Probe microvm's fixed slots; the layout shows in whether slot 8 exists. */
static int microvm_find(uint32_t device_id, unsigned *skip,
			struct virtio_dev *d)
{
	volatile uint32_t *slot8 = paging_map_mmio(
		MICROVM_MMIO_BASE + MICROVM_SLOTS_LEGACY * MICROVM_SLOT_SIZE,
		4);
	bool big = slot8 && *slot8 == MMIO_MAGIC_VALUE;
	unsigned n = big ? MICROVM_SLOTS_IOAPIC2 : MICROVM_SLOTS_LEGACY;
	unsigned irq = big ? MICROVM_IRQ_IOAPIC2 : MICROVM_IRQ_LEGACY;

	/*
	 * QEMU plugs the first -device into the last slot: walking down
	 * finds devices in command-line order (--disk A --disk B: vda, vdb).
	 */
	for (unsigned i = n; i-- > 0;) {
		if (mmio_probe(MICROVM_MMIO_BASE + MICROVM_SLOT_SIZE * i,
			       MICROVM_SLOT_SIZE, irq + i, device_id, d) == 0 &&
		    (*skip)-- == 0)
			return 0;
	}
	return -ENODEV;
}

int virtio_mmio_find(uint32_t device_id, unsigned *skip, struct virtio_dev *d)
{
	const char *cl = boot_info.cmdline;
	size_t len = boot_info.cmdline_len;
	uint64_t size, base, irq;
	char val[64];
	size_t i;

	for (i = 0; cmdline_get_nth(cl, len, "virtio_mmio.device", i, val,
				    sizeof(val)) >= 0;
	     i++) {
		if (!parse_device(val, &size, &base, &irq)) {
			printk("kiln: virtio-mmio: bad virtio_mmio.device=%s\n",
			       val);
			continue;
		}
		if (mmio_probe(base, size, (unsigned)irq, device_id, d) == 0 &&
		    (*skip)-- == 0)
			return 0;
	}
	if (i > 0 || pci_present())
		return -ENODEV;
	return microvm_find(device_id, skip, d);
}
