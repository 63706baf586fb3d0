/* printk.h - the kernel log and the console. */
#ifndef KILN_CORE_PRINTK_H
#define KILN_CORE_PRINTK_H

#include <stddef.h>

/*
 * Two channels: the console (COM1) carries the application's output; the
 * kernel log goes to COM2 when the VM has one, else shares COM1. Both are
 * safe to call from any context, including fault handlers (no locks, no
 * allocation): a line may interleave with another CPU's, never block.
 */
void printk_init(void);

/* printf-style line(s) to the kernel log (see lib/format.h). */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * printk_info: a printk of what the boot found (rates, memory, timings),
 * dropped after printk_set_quiet: the command line said "quiet" (kiln
 * run does, unless --verbose). Under TCG every byte of the log is two
 * emulated port accesses and a write by QEMU; errors, the exit status
 * and panics always go out through printk.
 */
void printk_set_quiet(void);
void printk_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Raw bytes to the kernel log, as printk("%s") without the formatter:
 * for the one line a clean run writes (the exit status), so that a
 * quiet boot of an app that never fails translates no formatting code.
 */
void printk_write(const char *s, size_t n);

/* Raw bytes to the console, exactly as given. */
void console_write(const char *s, size_t n);

/* True when the kernel log has its own port (not shared with the console). */
int printk_log_separate(void);

#endif
