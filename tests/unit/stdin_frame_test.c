/* stdin_frame_test.c - a streamed stdin's framing: round trips, split escapes, hostile streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/stdin_frame.h"

/* Decode in one byte at a time into out; returns the bytes decoded. */
static size_t decode_bytewise(struct stdin_frame_dec *d, const uint8_t *in,
			      size_t n, uint8_t *out)
{
	size_t k = 0, used;

	for (size_t i = 0; i < n && !d->ended; i++)
		k += stdin_frame_decode(d, in + i, 1, out + k, &used);
	return k;
}

/* Every byte value, 0xff and NUL included, comes back exactly, whole or in pieces. */
static void test_round_trip(void **state)
{
	uint8_t in[512], enc[2 * 512 + 2], out[1026];
	struct stdin_frame_dec d = { 0 };
	size_t n, k, used;

	(void)state;
	for (int i = 0; i < 512; i++)
		in[i] = (uint8_t)(i < 256 ? i : 0xff);
	n = stdin_frame_encode(in, sizeof(in), true, enc);
	assert_int_equal(n, 512 + 257 + 2);
	assert_memory_equal(enc + n - 2, "\xff\x01", 2);
	k = stdin_frame_decode(&d, enc, n, out, &used);
	assert_int_equal(k, 512);
	assert_int_equal(used, n);
	assert_true(d.ended);
	assert_memory_equal(out, in, 512);
	memset(&d, 0, sizeof(d));
	assert_int_equal(decode_bytewise(&d, enc, n, out), 512);
	assert_true(d.ended);
	assert_memory_equal(out, in, 512);
}

/* An empty input is the end mark alone; no end mark means no end. */
static void test_empty_and_open(void **state)
{
	uint8_t enc[4], out[4];
	struct stdin_frame_dec d = { 0 };
	size_t used;

	(void)state;
	assert_int_equal(stdin_frame_encode(NULL, 0, true, enc), 2);
	assert_int_equal(stdin_frame_decode(&d, enc, 2, out, &used), 0);
	assert_true(d.ended);
	memset(&d, 0, sizeof(d));
	assert_int_equal(
		stdin_frame_encode((const uint8_t *)"ab", 2, false, enc), 2);
	assert_int_equal(stdin_frame_decode(&d, enc, 2, out, &used), 2);
	assert_false(d.ended);
}

/* Nothing after the end is consumed or decoded. */
static void test_stops_at_end(void **state)
{
	const uint8_t in[] = "x\xff\x01y\xff\x00z";
	uint8_t out[8];
	struct stdin_frame_dec d = { 0 };
	size_t used;

	(void)state;
	assert_int_equal(stdin_frame_decode(&d, in, sizeof(in) - 1, out, &used),
			 1);
	assert_int_equal(used, 3);
	assert_int_equal(out[0], 'x');
	assert_int_equal(stdin_frame_decode(&d, in + 3, 4, out, &used), 0);
	assert_int_equal(used, 0);
}

/* Unknown escapes (ff ff, ff 02, ff 80) are dropped, never decoded as data. */
static void test_hostile_escapes(void **state)
{
	const uint8_t in[] = "a\xff\xff"
			     "b\xff\x02"
			     "c\xff\x80"
			     "d\xff";
	uint8_t out[16];
	struct stdin_frame_dec d = { 0 };
	size_t used;

	(void)state;
	assert_int_equal(stdin_frame_decode(&d, in, sizeof(in) - 1, out, &used),
			 4);
	assert_memory_equal(out, "abcd", 4);
	assert_true(d.esc); /* the trailing escape waits for its pair */
	assert_false(d.ended);
	assert_int_equal(
		stdin_frame_decode(&d, (const uint8_t *)"\x01", 1, out, &used),
		0);
	assert_true(d.ended);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_and_open),
		cmocka_unit_test(test_stops_at_end),
		cmocka_unit_test(test_hostile_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
