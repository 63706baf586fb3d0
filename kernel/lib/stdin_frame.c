/* stdin_frame.c - the framing of a streamed stdin (stdin_frame.h): encoding and decoding. */
#include "lib/stdin_frame.h"

size_t stdin_frame_encode(const uint8_t *in, size_t n, bool end, uint8_t *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		out[k++] = in[i];
		if (in[i] == STDIN_FRAME_ESC)
			out[k++] = STDIN_FRAME_LIT;
	}
	if (end) {
		out[k++] = STDIN_FRAME_ESC;
		out[k++] = STDIN_FRAME_END;
	}
	return k;
}

size_t stdin_frame_decode(struct stdin_frame_dec *d, const uint8_t *in,
			  size_t n, uint8_t *out, size_t *used)
{
	size_t i, k = 0;

	for (i = 0; i < n && !d->ended; i++) {
		uint8_t c = in[i];

		if (!d->esc && c == STDIN_FRAME_ESC) {
			d->esc = true;
		} else if (!d->esc) {
			out[k++] = c;
		} else {
			d->esc = false;
			if (c == STDIN_FRAME_LIT)
				out[k++] = STDIN_FRAME_ESC;
			else if (c == STDIN_FRAME_END)
				d->ended = true;
		}
	}
	*used = i;
	return k;
}
