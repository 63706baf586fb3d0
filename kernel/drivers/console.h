/* console.h - the application's standard streams: stdin, stdout, stderr. */
#ifndef KILN_DRIVERS_CONSOLE_H
#define KILN_DRIVERS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * stdout is COM1; stderr is COM3 when the VM has one (kiln run gives it
 * one), else COM1 too. stdin is the image's STDIN section when present
 * (then it ends with EOF), else with stream a pipe's bytes framed on
 * a virtio console (kiln.stdin_stream; ends with EOF, not a terminal),
 * else bytes typed on COM1 (a terminal). The kernel log never uses these
 * (core/printk.h).
 */
void console_init(const void *stdin_data, size_t stdin_size, bool stream);

void console_out(const char *s, size_t n);
void console_err(const char *s, size_t n);

/*
 * Read up to n bytes of stdin into buf. Blocks until at least one byte
 * is there (interrupts enabled while waiting); returns the count, 0 at
 * end of input (the STDIN section is used up, or ^D typed at a terminal
 * at the start of a line), or -EINTR when a signal came while waiting
 * for a terminal's line (what was typed of it is kept). A terminal's
 * line discipline is console_tty.c.
 */
long console_in(char *buf, size_t n);

/*
 * True when a streamed stdin has ended and all of it was read: poll
 * says POLLHUP then, not POLLIN, as for a pipe whose writer is gone.
 */
bool console_in_ended(void);
/* Grows with each byte queued as input (and a stream's end): poll's edges. */
uint64_t console_in_count(void);

/*
 * A terminal's input: from now on every typed byte goes to filter first
 * (from a 10 ms kernel timer as well as from reads: any context, no
 * sleeping); a byte it returns true for is not input. Nothing when stdin
 * is the STDIN section.
 */
void console_set_rx_filter(bool (*filter)(char c));
/* Throw away typed input not yet read (a ^C, as n_tty's isig flushes). */
void console_flush_input(void);
/* Fetch what the UART holds into the input queue (any context). */
void console_rx_poll(void);

/*
 * The terminal settings the line discipline acts on (the termios flags
 * of the same names, set by TCSETS through fs/console_file.c). icanon:
 * lines edited with the verase/vkill characters (and with iexten
 * vwerase, vlnext, vreprint), veof ends input;
 * otherwise a read returns once vmin bytes are there, vtime (tenths of
 * a second) as n_tty's MIN/TIME. echo: typed bytes are echoed (echoe:
 * erase shown as "\b \b", echoctl: controls as ^X); echonl: '\n' is
 * echoed even without echo. icrnl, inlcr, igncr map input. ixon:
 * vstop and vstart stop and start output (ixany: any byte starts it).
 */
struct console_mode {
	bool icanon, echo, echoe, echoctl, echonl, iexten;
	bool icrnl, inlcr, igncr, ixon, ixany;
	unsigned char verase, vkill, veof, vmin, vtime;
	unsigned char vwerase, vlnext, vreprint, vstart, vstop;
};

/*
 * Take new settings; any context. Turning ICANON on makes input typed
 * while it was off (not yet read) one line, readable without a line end.
 * Bytes typed before are processed under the old settings only if
 * console_rx_poll ran first.
 */
void console_set_mode(const struct console_mode *m);

/* True when console_in would not wait (data buffered, or end of input). */
bool console_in_ready(void);

/*
 * FIONREAD: the bytes a read would return now. A terminal in canonical
 * mode counts complete lines only (n_tty's inq_canon); a stream counts
 * what has reached the guest.
 */
size_t console_in_avail(void);

/*
 * Output flow control (IXON's VSTOP/VSTART, TCXONC): stop holds the
 * terminal's echo and makes console_out_wait wait; by_tcoff: only a
 * start, not IXANY, ends it. Any context.
 */
void console_tty_stop(bool by_tcoff);
void console_tty_start(void);
/* Wait while output is stopped: 0, or -EINTR for a signal. Process context. */
int console_out_wait(void);

/* True when stdin is a terminal (no STDIN section): isatty, TCGETS. */
bool console_is_tty(void);

#endif
