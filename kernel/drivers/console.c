/* console.c - the application's standard streams over the serial ports. */
#include "drivers/console.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/printk.h"
#include "core/sched.h"
#include "drivers/virtio_console.h"
#include "lib/stdin_frame.h"
#include "lib/string.h"

#define SERIAL_COM3 0x3e8
#define UART_LSR 5
#define LSR_DATA_READY 0x01

static uint16_t err_port = SERIAL_COM1;
static char line[1024]; /* the terminal's current input line */
static size_t line_len, line_pos;
static const char *in_data;
static size_t in_size, in_pos;
static bool in_fixed;  /* stdin is the image's STDIN section */
static bool in_stream; /* stdin is a pipe kiln relays on a virtio console */
static struct stdin_frame_dec in_dec; /* the stream's decoder (below) */

void console_init(const void *stdin_data, size_t stdin_size, bool stream)
{
	if (serial_probe(SERIAL_COM3)) {
		serial_init(SERIAL_COM3);
		err_port = SERIAL_COM3;
	}
	if (stdin_data) {
		in_data = stdin_data;
		in_size = stdin_size;
		in_fixed = true;
	} else if (stream) {
		in_stream = true;
		/* Without its device the stream is empty: EOF, never a hang. */
		if (virtio_console_init() != 0) {
			printk("kiln: stdin: no stream device, reading EOF\n");
			in_dec.ended = true;
		}
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
	return !in_fixed && !in_stream;
}

/*
 * A terminal: the host's terminal is raw (QEMU's stdio, signal=off), so
 * this is the line discipline: echo, backspace, Enter ends a line, ^D at
 * the start of a line is end of input. One line is returned at a time.
 *
 * The UART interrupt is not wired, so typed bytes are fetched by polling
 * the UART every 10 ms: from a kernel timer while the terminal's filter
 * is set (console_set_rx_filter; the filter sees each byte first and
 * takes ^C and friends), and while a reader waits. They wait in rx until
 * a read takes them; when rx is full the UART is left alone, and QEMU
 * holds what is typed after.
 */
#define TTY_POLL_NS 10000000ULL
/* Typed bytes not yet taken by a read (N_TTY_BUF_SIZE) */
#define RX_SIZE 4096

static char rx[RX_SIZE];
static size_t rx_head, rx_len;
static bool (*rx_filter)(char c);
static struct ktimer rx_timer;
static bool line_open; /* a line is being typed: read_line was interrupted */

void console_rx_poll(void)
{
	char c;

	if (in_fixed || in_stream)
		return;
	while (rx_len < RX_SIZE &&
	       (inb(SERIAL_COM1 + UART_LSR) & LSR_DATA_READY)) {
		c = (char)inb(SERIAL_COM1);
		if (rx_filter != NULL && rx_filter(c))
			continue;
		rx[(rx_head + rx_len++) % RX_SIZE] = c;
	}
}

static void rx_tick(struct ktimer *t)
{
	console_rx_poll();
	ktimer_arm(t, time_ns() + TTY_POLL_NS, rx_tick);
}

void console_set_rx_filter(bool (*filter)(char c))
{
	rx_filter = filter;
	if (!in_fixed && !in_stream && !rx_timer.armed)
		ktimer_arm(&rx_timer, time_ns() + TTY_POLL_NS, rx_tick);
}

void console_flush_input(void)
{
	rx_len = 0;
	/* A line being typed stays open: its reader starts it again. */
	line_len = line_pos = 0;
}

/* True when rx holds the end of a line (Enter, or ^D). */
static bool rx_has_line_end(void)
{
	size_t i;
	char c;

	for (i = 0; i < rx_len; i++) {
		c = rx[(rx_head + i) % RX_SIZE];
		if (c == '\r' || c == '\n' || c == 4)
			return true;
	}
	return false;
}

/*
 * A streamed stdin (kiln run with a pipe on stdin, cli/qemu.c): the
 * virtio console carries the pipe's bytes framed (lib/stdin_frame.h), so
 * that its end arrives in order after its last byte. The stream is
 * untrusted like any input; nothing after its end is read. Decoded
 * bytes wait in rx (unused by a stream otherwise).
 */
static bool in_eof;	  /* the end has been read (or the device broke) */
static uint64_t in_count; /* decoded bytes and ends so far: poll's edges */

/* Decode what the device holds into rx while it has room. Returns rx_len. */
static size_t stream_fill(void)
{
	static uint8_t raw[RX_SIZE], dec[RX_SIZE];
	size_t n, k, used;

	/* Decoding never grows: room raw bytes fit in rx's room. */
	while (!in_dec.ended && rx_len < RX_SIZE) {
		n = virtio_console_read((char *)raw, RX_SIZE - rx_len);
		if (n == 0)
			break;
		k = stdin_frame_decode(&in_dec, raw, n, dec, &used);
		for (size_t i = 0; i < k; i++)
			rx[(rx_head + rx_len++) % RX_SIZE] = (char)dec[i];
		in_count += k + in_dec.ended;
	}
	in_eof |= in_dec.ended;
	return rx_len;
}

/* A lost interrupt costs at most this long a wait. */
#define STREAM_WAIT_NS 50000000ULL

/* A pipe's read (pipe_read): what is there, 0 at its end, or -EINTR. */
static long stream_read(char *buf, size_t n)
{
	size_t got = 0, k;
	int err;

	for (;;) {
		while (got < n && stream_fill() > 0) {
			k = RX_SIZE - rx_head < rx_len ? RX_SIZE - rx_head :
							 rx_len;
			k = k < n - got ? k : n - got;
			memcpy(buf + got, rx + rx_head, k);
			got += k;
			rx_head = (rx_head + k) % RX_SIZE;
			rx_len -= k;
		}
		if (got > 0 || in_eof)
			return (long)got;
		err = virtio_console_wait(time_ns() + STREAM_WAIT_NS);
		if (err == -EINTR)
			return -EINTR;
		if (err == -EIO)
			in_eof = true;
	}
}

bool console_in_ended(void)
{
	return in_stream && stream_fill() == 0 && in_eof;
}

uint64_t console_in_count(void)
{
	if (in_stream)
		stream_fill();
	return in_count;
}

bool console_in_ready(void)
{
	if (in_fixed)
		return true;
	if (in_stream)
		return stream_fill() || in_eof;
	/* A typed line completes only on Enter; a partial one is not ready. */
	console_rx_poll();
	return (line_pos < line_len && !line_open) || rx_has_line_end();
}

/* The next typed byte, or -EINTR when a signal came first. */
static int serial_getc(void)
{
	char c;

	for (;;) {
		console_rx_poll();
		if (rx_len > 0) {
			c = rx[rx_head];
			rx_head = (rx_head + 1) % RX_SIZE;
			rx_len--;
			return (unsigned char)c;
		}
		if (sched_sleep(time_ns() + TTY_POLL_NS, true) == -EINTR)
			return -EINTR;
	}
}

/* Echo a control character as ECHOCTL does: ^X. */
static void echo_ctl(char c)
{
	char e[2] = { '^', (char)(c ^ 0x40) };

	console_out(e, 2);
}

/* 1: a line is in line[]; 0: end of input; -EINTR (the line is kept). */
static int read_line(void)
{
	int c;

	if (!line_open) {
		line_len = line_pos = 0;
		line_open = true;
	}
	for (;;) {
		c = serial_getc();
		if (c < 0)
			return c;
		if (c == 4 && line_len == 0) {
			line_open = false;
			return 0;
		}
		if (c == '\r' || c == '\n') {
			line[line_len++] = '\n';
			console_out("\r\n", 2);
			line_open = false;
			return 1;
		}
		if (c == 0x7f || c == 8) {
			if (line_len > 0) {
				line_len--;
				console_out("\b \b", 3);
			}
		} else if (c != 4 && line_len < sizeof(line) - 1) {
			line[line_len++] = (char)c;
			if (c < ' ')
				echo_ctl((char)c);
			else
				console_out(&line[line_len - 1], 1);
		}
	}
}

long console_in(char *buf, size_t n)
{
	size_t k;
	int r;

	if (in_fixed) {
		k = in_size - in_pos < n ? in_size - in_pos : n;
		memcpy(buf, in_data + in_pos, k);
		in_pos += k;
		return (long)k;
	}
	if (in_stream)
		return stream_read(buf, n);
	if (line_pos == line_len || line_open) {
		r = read_line();
		if (r <= 0)
			return r;
	}
	k = line_len - line_pos < n ? line_len - line_pos : n;
	memcpy(buf, line + line_pos, k);
	line_pos += k;
	return (long)k;
}
