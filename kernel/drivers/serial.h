/* serial.h - 16550 UART driver (polled output). */
#ifndef KILN_DRIVERS_SERIAL_H
#define KILN_DRIVERS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1 0x3f8
#define SERIAL_COM2 0x2f8

/* True when a UART answers at base (its scratch register holds a value). */
bool serial_probe(uint16_t base);

/* 115200 8N1, FIFOs on, interrupts off. */
void serial_init(uint16_t base);

/* Write n bytes as they are (no newline translation); waits for the FIFO. */
void serial_write(uint16_t base, const char *s, size_t n);

#endif
