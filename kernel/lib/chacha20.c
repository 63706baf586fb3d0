/* chacha20.c - the ChaCha20 block function written from RFC 8439 section 2. */
#include "lib/chacha20.h"

static uint32_t rotl32(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* RFC 8439 2.1: the quarter round on four words of the state. */
static void quarter_round(uint32_t s[16], int a, int b, int c, int d)
{
	s[a] += s[b];
	s[d] = rotl32(s[d] ^ s[a], 16);
	s[c] += s[d];
	s[b] = rotl32(s[b] ^ s[c], 12);
	s[a] += s[b];
	s[d] = rotl32(s[d] ^ s[a], 8);
	s[c] += s[d];
	s[b] = rotl32(s[b] ^ s[c], 7);
}

/*
 * RFC 8439 2.3: the state is 4x4 words:
 *
 *     cccccccc  cccccccc  cccccccc  cccccccc    c = "expand 32-byte k"
 *     kkkkkkkk  kkkkkkkk  kkkkkkkk  kkkkkkkk    k = key
 *     kkkkkkkk  kkkkkkkk  kkkkkkkk  kkkkkkkk
 *     bbbbbbbb  nnnnnnnn  nnnnnnnn  nnnnnnnn    b = counter, n = nonce
 */
static void chacha20_init_state(uint32_t s[16], const uint8_t *key,
				uint32_t counter, const uint8_t *nonce)
{
	s[0] = 0x61707865;
	s[1] = 0x3320646e;
	s[2] = 0x79622d32;
	s[3] = 0x6b206574;
	for (int i = 0; i < 8; i++)
		s[4 + i] = load_le32(key + 4 * i);
	s[12] = counter;
	for (int i = 0; i < 3; i++)
		s[13 + i] = load_le32(nonce + 4 * i);
}

void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
		    const uint8_t nonce[CHACHA20_NONCE_SIZE],
		    uint8_t out[CHACHA20_BLOCK_SIZE])
{
	uint32_t init[16], s[16];

	chacha20_init_state(init, key, counter, nonce);
	for (int i = 0; i < 16; i++)
		s[i] = init[i];
	/* 20 rounds: 10 iterations of a column round and a diagonal round. */
	for (int i = 0; i < 10; i++) {
		quarter_round(s, 0, 4, 8, 12);
		quarter_round(s, 1, 5, 9, 13);
		quarter_round(s, 2, 6, 10, 14);
		quarter_round(s, 3, 7, 11, 15);
		quarter_round(s, 0, 5, 10, 15);
		quarter_round(s, 1, 6, 11, 12);
		quarter_round(s, 2, 7, 8, 13);
		quarter_round(s, 3, 4, 9, 14);
	}
	for (int i = 0; i < 16; i++)
		store_le32(out + 4 * i, s[i] + init[i]);
}
