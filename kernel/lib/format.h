/* format.h - printf-style formatting into a bounded buffer (freestanding and hosted). */
#ifndef KILN_LIB_FORMAT_H
#define KILN_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Supported conversions: %d %i %u %x %X %o %c %s %p %%, with flags '-' '0'
 * '+' ' ' '#', a field width and precision (numbers or '*'), and length
 * modifiers hh h l ll z t j. %p prints 0x followed by lowercase hex, "(nil)"
 * for NULL; %s prints "(null)" for NULL. Unknown conversions are copied
 * through verbatim.
 *
 * fmt_vsnprintf writes at most size bytes including the terminating NUL
 * (nothing when size is 0) and returns the length the full output would have
 * had, like C11 vsnprintf. It never fails and never writes past buf+size.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Streaming form used by printk: every produced character is handed to
 * put(c, ctx). Returns the number of characters produced.
 */
int fmt_vformat(void (*put)(char c, void *ctx), void *ctx, const char *fmt,
		va_list ap) __attribute__((format(printf, 3, 0)));

#endif
