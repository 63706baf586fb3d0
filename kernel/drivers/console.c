/* console.c - the application's standard streams over the serial ports. */
#include "drivers/console.h"

#include "arch.h"
#include "core/sched.h"
#include "lib/string.h"

#define SERIAL_COM3 0x3e8
#define UART_LSR 5
#define LSR_DATA_READY 0x01

static uint16_t err_port = SERIAL_COM1;
static char line[1024]; /* the terminal's current input line */
static size_t line_len, line_pos;
static const char *in_data;
static size_t in_size, in_pos;
static bool in_fixed; /* stdin is the image's STDIN section */

void console_init(const void *stdin_data, size_t stdin_size)
{
	if (serial_probe(SERIAL_COM3)) {
		serial_init(SERIAL_COM3);
		err_port = SERIAL_COM3;
	}
	if (stdin_data) {
		in_data = stdin_data;
		in_size = stdin_size;
		in_fixed = true;
	}
}

void console_out(const char *s, size_t n)
{
	serial_write(SERIAL_COM1, s, n);
}

void console_err(const char *s, size_t n)
{
	serial_write(err_port, s, n);
}

bool console_is_tty(void)
{
	return !in_fixed;
}

bool console_in_ready(void)
{
	if (in_fixed)
		return true;
	/* A typed line completes only on Enter; a partial one is not ready. */
	return line_pos < line_len;
}

/*
 * A terminal: the host's terminal is raw (QEMU's stdio), so this is the
 * line discipline: echo, backspace, Enter ends a line, ^D at the start of
 * a line is end of input. One line is returned at a time.
 */

/*
 * Polled every 10 ms while nothing is typed, sleeping in between so other
 * threads run and an idle guest halts (the UART interrupt is not wired).
 */
#define TTY_POLL_NS 10000000ULL

static int serial_getc(void)
{
	while (!(inb(SERIAL_COM1 + UART_LSR) & LSR_DATA_READY))
		sched_sleep(time_ns() + TTY_POLL_NS, false);
	return inb(SERIAL_COM1);
}

static bool read_line(void)
{
	line_len = line_pos = 0;
	for (;;) {
		char c = (char)serial_getc();

		if (c == 4 && line_len == 0)
			return false;
		if (c == '\r' || c == '\n') {
			line[line_len++] = '\n';
			console_out("\r\n", 2);
			return true;
		}
		if ((c == 0x7f || c == 8) && line_len > 0) {
			line_len--;
			console_out("\b \b", 3);
		} else if (c >= ' ' && line_len < sizeof(line) - 1) {
			line[line_len++] = c;
			console_out(&c, 1);
		}
	}
}

size_t console_in(char *buf, size_t n)
{
	size_t k;

	if (in_fixed) {
		k = in_size - in_pos < n ? in_size - in_pos : n;
		memcpy(buf, in_data + in_pos, k);
		in_pos += k;
		return k;
	}
	if (line_pos == line_len && !read_line())
		return 0;
	k = line_len - line_pos < n ? line_len - line_pos : n;
	memcpy(buf, line + line_pos, k);
	line_pos += k;
	return k;
}
