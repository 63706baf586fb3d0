/* stdin_frame.h - the framing of a streamed stdin: kiln encodes, the kernel decodes. */
#ifndef KILN_LIB_STDIN_FRAME_H
#define KILN_LIB_STDIN_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A pipe's bytes with its end in band, after the last byte (the carrier,
 * a virtio console, cannot say "closed" without MULTIPORT):
 *   0xff 0x00  a 0xff byte of input
 *   0xff 0x01  end of input: nothing after it is read
 *   0xff X     any other X: dropped (the stream is untrusted)
 *   other      the byte itself
 */
#define STDIN_FRAME_ESC 0xff
#define STDIN_FRAME_LIT 0x00
#define STDIN_FRAME_END 0x01

/*
 * Encode n bytes of in into out, then the end mark when end. out must
 * hold 2 * n + 2 bytes. Returns the bytes written.
 */
size_t stdin_frame_encode(const uint8_t *in, size_t n, bool end, uint8_t *out);

/* Decoder state across calls: an escape may be split between chunks. */
struct stdin_frame_dec {
	bool esc;   /* the last byte was STDIN_FRAME_ESC */
	bool ended; /* the end mark has been seen */
};

/*
 * Decode up to n bytes of in into out (room for n: decoding never
 * grows). Stops after the end mark (d->ended) and consumes the input
 * only up to it: *used says how far. Returns the bytes written.
 */
size_t stdin_frame_decode(struct stdin_frame_dec *d, const uint8_t *in,
			  size_t n, uint8_t *out, size_t *used);

#endif
