/* console.c - the application's standard streams over the serial ports. */
#include "drivers/console.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/printk.h"
#include "core/sched.h"
#include "drivers/console_int.h"
#include "drivers/virtio_console.h"
#include "lib/stdin_frame.h"
#include "lib/string.h"

#define SERIAL_COM3 0x3e8

static uint16_t err_port = SERIAL_COM1;
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

/* A stream's decoded bytes not yet read */
#define RX_SIZE 4096

static char rx[RX_SIZE];
static size_t rx_head, rx_len;

/*
 * A streamed stdin (kiln run with a pipe on stdin, cli/qemu.c): the
 * virtio console carries the pipe's bytes framed (lib/stdin_frame.h), so
 * that its end arrives in order after its last byte. The stream is
 * untrusted like any input; nothing after its end is read. Decoded
 * bytes wait in rx.
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
	return console_tty_count();
}

bool console_in_ready(void)
{
	if (in_fixed)
		return true;
	if (in_stream)
		return stream_fill() || in_eof;
	return console_tty_ready();
}

size_t console_in_avail(void)
{
	if (in_fixed)
		return in_size - in_pos;
	if (in_stream)
		return stream_fill();
	return console_tty_avail();
}

long console_in(char *buf, size_t n)
{
	size_t k;

	if (in_fixed) {
		k = in_size - in_pos < n ? in_size - in_pos : n;
		memcpy(buf, in_data + in_pos, k);
		in_pos += k;
		return (long)k;
	}
	if (in_stream)
		return stream_read(buf, n);
	return console_tty_read(buf, n);
}
