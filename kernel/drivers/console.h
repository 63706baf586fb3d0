/* console.h - the application's standard streams: stdin, stdout, stderr. */
#ifndef KILN_DRIVERS_CONSOLE_H
#define KILN_DRIVERS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * stdout is COM1; stderr is COM3 when the VM has one (kiln run gives it
 * one), else COM1 too. stdin is the image's STDIN section when present
 * (then it ends with EOF), else bytes typed on COM1 (a terminal).
 * The kernel log never uses these (core/printk.h).
 */
void console_init(const void *stdin_data, size_t stdin_size);

void console_out(const char *s, size_t n);
void console_err(const char *s, size_t n);

/*
 * Read up to n bytes of stdin into buf. Blocks until at least one byte
 * is there (interrupts enabled while waiting); returns the count, or 0 at
 * end of input (the STDIN section is used up, or ^D typed at a terminal
 * at the start of a line).
 */
size_t console_in(char *buf, size_t n);

/* True when console_in would not wait (data buffered, or end of input). */
bool console_in_ready(void);

/* True when stdin is a terminal (no STDIN section): isatty, TCGETS. */
bool console_is_tty(void);

#endif
