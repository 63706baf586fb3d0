/* virtio_console.h - a virtio console's receive queue: the host's bytes as they come. */
#ifndef KILN_DRIVERS_VIRTIO_CONSOLE_H
#define KILN_DRIVERS_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Find the first virtio console (virtio-mmio from the command line, or
 * PCI), post its receive buffers and take its interrupt. Boot time.
 * 0, or -ENODEV / -ENOMEM / -EIO (logged).
 */
int virtio_console_init(void);

/*
 * Copy up to n received bytes to buf, in order; returns how many (0:
 * none yet). Buffers read to their end go back to the device, which
 * sends more only into posted buffers: a reader that stops stops the
 * host. The bytes are the host's, untrusted; any context but interrupts.
 */
size_t virtio_console_read(char *buf, size_t n);

/* True when received bytes are waiting for virtio_console_read. */
bool virtio_console_pending(void);

/*
 * Sleep until bytes are waiting, deadline_ns passes (time_ns(); 0 for
 * none) or a signal comes: 0 (re-check), -EINTR, or -EIO when there
 * is no device or it broke the ring protocol (nothing more will come).
 */
int virtio_console_wait(uint64_t deadline_ns);

#endif
