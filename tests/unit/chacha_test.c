/* chacha_test.c - the ChaCha20 block function against RFC 8439's test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/chacha20.h"

struct vector {
	const char *name;
	uint8_t key[CHACHA20_KEY_SIZE];
	uint32_t counter;
	uint8_t nonce[CHACHA20_NONCE_SIZE];
	const char *want; /* 64 bytes as hex, as the RFC prints them */
};

static const struct vector vectors[] = {
	{ "RFC 8439 2.3.2",
	  { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f },
	  1,
	  { 0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0 },
	  "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
	  "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e" },
	{ "RFC 8439 A.1 #1",
	  { 0 },
	  0,
	  { 0 },
	  "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
	  "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586" },
	{ "RFC 8439 A.1 #2",
	  { 0 },
	  1,
	  { 0 },
	  "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
	  "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f" },
	{ "RFC 8439 A.1 #3",
	  { [31] = 0x01 },
	  1,
	  { 0 },
	  "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
	  "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0" },
	{ "RFC 8439 A.1 #4",
	  { [1] = 0xff },
	  2,
	  { 0 },
	  "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca"
	  "13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096" },
	{ "RFC 8439 A.1 #5",
	  { 0 },
	  0,
	  { [11] = 0x02 },
	  "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
	  "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d" },
};

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void test_vectors(void **state)
{
	uint8_t block[CHACHA20_BLOCK_SIZE];
	char hex[2 * CHACHA20_BLOCK_SIZE + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];

		chacha20_block(v->key, v->counter, v->nonce, block);
		to_hex(block, sizeof(block), hex);
		if (strcmp(hex, v->want) != 0)
			fail_msg("%s: got %s", v->name, hex);
	}
}

/* The counter is the only thing that changes between blocks of a stream. */
static void test_counter_changes_block(void **state)
{
	static const uint8_t key[CHACHA20_KEY_SIZE], nonce[CHACHA20_NONCE_SIZE];
	uint8_t a[CHACHA20_BLOCK_SIZE], b[CHACHA20_BLOCK_SIZE];

	(void)state;
	chacha20_block(key, 0xffffffffu, nonce, a);
	chacha20_block(key, 0, nonce, b);
	assert_memory_not_equal(a, b, sizeof(a));
	chacha20_block(key, 0xffffffffu, nonce, b);
	assert_memory_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_counter_changes_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
