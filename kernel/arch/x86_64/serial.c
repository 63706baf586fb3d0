/* serial.c - 16550 UART driver (polled output). */
#include "arch.h"

/* 16550 registers, as offsets from the base port. */
enum {
	UART_DATA = 0, /* THR on write, divisor low with DLAB */
	UART_IER = 1,  /* interrupt enable, divisor high with DLAB */
	UART_FCR = 2,  /* FIFO control */
	UART_LCR = 3,  /* line control; bit 7 is DLAB */
	UART_MCR = 4,  /* modem control */
	UART_LSR = 5,  /* line status; bit 5: transmit holding empty */
	UART_SCR = 7,  /* scratch */
};

#define LSR_THRE 0x20

bool serial_probe(uint16_t base)
{
	outb(base + UART_SCR, 0x5a);
	if (inb(base + UART_SCR) != 0x5a)
		return false;
	outb(base + UART_SCR, 0xa5);
	return inb(base + UART_SCR) == 0xa5;
}

void serial_init(uint16_t base)
{
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x80);  /* DLAB: set the divisor */
	outb(base + UART_DATA, 0x01); /* 115200 baud */
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x03); /* 8 bits, no parity, 1 stop */
	outb(base + UART_FCR, 0x07); /* enable and clear FIFOs */
	outb(base + UART_MCR, 0x03); /* DTR, RTS */
}

void serial_write(uint16_t base, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		while (!(inb(base + UART_LSR) & LSR_THRE))
			cpu_relax();
		outb(base + UART_DATA, (uint8_t)s[i]);
	}
}
