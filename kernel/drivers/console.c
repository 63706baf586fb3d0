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
 * this is the line discipline (Linux's n_tty, the part programs rely on):
 * in canonical mode echo, VERASE/VKILL editing, '\n' ends a line, VEOF
 * at the start of a line is end of input, one line per read; with
 * ICANON off bytes as typed, by VMIN/VTIME. The settings are the
 * console_mode fs/console_file.c passes from TCSETS.
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
static uint64_t rx_count;

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
		rx_count++;
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

/* The settings of a terminal at start, as Linux's tty_std_termios. */
static struct console_mode mode = {
	.icanon = true,
	.echo = true,
	.echoe = true,
	.echoctl = true,
	.icrnl = true,
	.verase = 127,
	.vkill = 21,
	.veof = 4,
	.vmin = 1,
};

/*
 * Input mapping (n_tty_receive_char_special): -1 for a byte IGNCR
 * drops, else the byte as the program sees it.
 */
static int rx_map(char c)
{
	if (c == '\r') {
		if (mode.igncr)
			return -1;
		if (mode.icrnl)
			return '\n';
	} else if (c == '\n' && mode.inlcr) {
		return '\r';
	}
	return (unsigned char)c;
}

/* True when rx holds the end of a line ('\n' after mapping, or VEOF). */
static bool rx_has_line_end(void)
{
	size_t i;
	int c;

	for (i = 0; i < rx_len; i++) {
		c = rx_map(rx[(rx_head + i) % RX_SIZE]);
		if (c == '\n' || (c == mode.veof && c != 0))
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
	if (in_stream) {
		stream_fill();
		return in_count;
	}
	return rx_count;
}

/* How many bytes a raw read waits for, as n_tty's input_available_p. */
static size_t raw_wanted(void)
{
	return mode.vmin != 0 && mode.vtime == 0 ? mode.vmin : 1;
}

bool console_in_ready(void)
{
	if (in_fixed)
		return true;
	if (in_stream)
		return stream_fill() || in_eof;
	console_rx_poll();
	if (line_pos < line_len && !line_open)
		return true;
	if (!mode.icanon)
		return line_pos < line_len || rx_len >= raw_wanted();
	/* A typed line completes only on Enter; a partial one is not ready. */
	return rx_has_line_end();
}

/* The next mapped byte of rx, or -1 when rx is empty. */
static int rx_take(void)
{
	int c;

	while (rx_len > 0) {
		c = rx_map(rx[rx_head]);
		rx_head = (rx_head + 1) % RX_SIZE;
		rx_len--;
		if (c >= 0)
			return c;
	}
	return -1;
}

/* The next typed byte, or -EINTR when a signal came first. */
static int serial_getc(void)
{
	int c;

	for (;;) {
		console_rx_poll();
		c = rx_take();
		if (c >= 0)
			return c;
		if (sched_sleep(time_ns() + TTY_POLL_NS, true) == -EINTR)
			return -EINTR;
	}
}

/* Echo a typed byte (n_tty's echo_char): controls as ^X under ECHOCTL. */
static void echo_byte(char c)
{
	char e[2] = { '^', (char)(c ^ 0x40) };

	if (!mode.echo)
		return;
	if (((unsigned char)c < ' ' || c == 0x7f) && c != '\t' && mode.echoctl)
		console_out(e, 2);
	else
		console_out(&c, 1);
}

/* Erase the last byte of the line (VERASE), as ECHOE shows it. */
static void erase_one(void)
{
	char c = line[--line_len];

	if (!mode.echo)
		return;
	if (!mode.echoe) {
		echo_byte((char)mode.verase);
		return;
	}
	console_out("\b \b", 3);
	if (((unsigned char)c < ' ' || c == 0x7f) && c != '\t' && mode.echoctl)
		console_out("\b \b", 3);
}

/*
 * Raw to canonical with input pending (n_tty_set_termios): what was
 * typed while ICANON was off is not edited after the fact; it becomes
 * one line, readable at once without a line end (Linux's canon_head
 * moved to read_head, "push"). Bytes are taken as the raw mode they
 * arrived in maps and echoes them. What line[] cannot hold stays in rx
 * and is read as canonical input.
 */
static void push_pending(void)
{
	int c;

	if (line_pos > 0) {
		memmove(line, line + line_pos, line_len - line_pos);
		line_len -= line_pos;
		line_pos = 0;
	}
	while (line_len < sizeof(line) - 1 && (c = rx_take()) >= 0) {
		line[line_len++] = (char)c;
		echo_byte((char)c);
	}
	line_open = false;
}

void console_set_mode(const struct console_mode *m)
{
	if (m->icanon && !mode.icanon)
		push_pending();
	mode = *m;
}

/*
 * Canonical mode (n_tty's icanon): 1: a line is in line[]; 0: VEOF at
 * the start of a line, end of input; -EINTR (the line is kept).
 */
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
		if (c != 0 && c == mode.veof) {
			/* VEOF hands over the line so far, without itself. */
			line_open = false;
			return line_len > 0;
		}
		if (c == '\n') {
			line[line_len++] = '\n';
			if (mode.echo || mode.echonl)
				console_out("\r\n", 2);
			line_open = false;
			return 1;
		}
		if (c != 0 && c == mode.verase) {
			if (line_len > 0)
				erase_one();
		} else if (c != 0 && c == mode.vkill) {
			while (line_len > 0)
				erase_one();
		} else if (line_len < sizeof(line) - 1) {
			line[line_len++] = (char)c;
			echo_byte((char)c);
		}
	}
}

/*
 * Non-canonical mode (n_tty_read without icanon): bytes as typed, no
 * editing. VMIN > 0: wait for VMIN bytes (or n), VTIME then limits the
 * gap between bytes; VMIN = 0: return what is there, after waiting up
 * to VTIME for a first byte. -EINTR only when nothing was read.
 */
static long read_raw(char *buf, size_t n)
{
	uint64_t gap = (uint64_t)mode.vtime * 100000000ULL, deadline = 0;
	size_t got = 0, want = mode.vmin ? mode.vmin : 1;
	int c;

	if (want > n)
		want = n;
	if (mode.vmin == 0 && mode.vtime != 0)
		deadline = time_ns() + gap;
	for (;;) {
		size_t before = got;

		while (line_pos < line_len && got < n)
			buf[got++] = line[line_pos++];
		console_rx_poll();
		while (got < n && (c = rx_take()) >= 0) {
			buf[got++] = (char)c;
			echo_byte((char)c);
		}
		if (got >= want || (mode.vmin == 0 && mode.vtime == 0))
			return (long)got;
		if (got > before && mode.vtime != 0)
			deadline = time_ns() + gap;
		if (deadline != 0 && time_ns() >= deadline)
			return (long)got;
		if (sched_sleep(time_ns() + TTY_POLL_NS, true) == -EINTR)
			return got ? (long)got : -EINTR;
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
	if (!mode.icanon) {
		line_open = false;
		return read_raw(buf, n);
	}
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
