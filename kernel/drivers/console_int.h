/* console_int.h - the terminal's line discipline (console_tty.c) as console.c uses it. */
#ifndef KILN_DRIVERS_CONSOLE_INT_H
#define KILN_DRIVERS_CONSOLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A terminal's read: console_in's contract. */
long console_tty_read(char *buf, size_t n);
/* True when console_tty_read would not wait. */
bool console_tty_ready(void);
/* Grows with each byte stored as input: poll's edges. */
uint64_t console_tty_count(void);
/* Bytes a read could take now (FIONREAD). */
size_t console_tty_avail(void);

#endif
