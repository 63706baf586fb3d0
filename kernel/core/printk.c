/* printk.c - the kernel log and the console, over the serial ports. */
#include "core/printk.h"

#include <stdarg.h>
#include <stdbool.h>

#include "arch.h"
#include "lib/format.h"

static uint16_t console_port = SERIAL_COM1;
static uint16_t log_port = SERIAL_COM1;
static bool quiet;

void printk_init(void)
{
	serial_init(SERIAL_COM1);
	if (serial_probe(SERIAL_COM2)) {
		serial_init(SERIAL_COM2);
		log_port = SERIAL_COM2;
	}
}

int printk_log_separate(void)
{
	return log_port != console_port;
}

/* Format in pieces of a small buffer: no allocation, bounded stack use. */
struct log_buf {
	char b[128];
	size_t n;
};

static void log_put(char c, void *ctx)
{
	struct log_buf *lb = ctx;

	lb->b[lb->n++] = c;
	if (lb->n == sizeof(lb->b)) {
		serial_write(log_port, lb->b, lb->n);
		lb->n = 0;
	}
}

static void vprintk(const char *fmt, va_list ap)
{
	struct log_buf lb = { .n = 0 };

	fmt_vformat(log_put, &lb, fmt, ap);
	serial_write(log_port, lb.b, lb.n);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void printk_set_quiet(void)
{
	quiet = true;
}

void printk_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void printk_write(const char *s, size_t n)
{
	serial_write(log_port, s, n);
}

void console_write(const char *s, size_t n)
{
	serial_write(console_port, s, n);
}
