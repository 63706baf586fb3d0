/* chacha20.h - the ChaCha20 block function (RFC 8439), freestanding and hosted. */
#ifndef KILN_LIB_CHACHA20_H
#define KILN_LIB_CHACHA20_H

#include <stdint.h>

#define CHACHA20_KEY_SIZE 32
#define CHACHA20_NONCE_SIZE 12
#define CHACHA20_BLOCK_SIZE 64

/*
 * RFC 8439 2.3: produce one 64-byte keystream block from a 256-bit key,
 * a 32-bit block counter and a 96-bit nonce. Key and nonce are read as
 * little-endian words, exactly as the RFC's test vectors give them.
 * Pure function: no state, safe from any context.
 */
void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
		    const uint8_t nonce[CHACHA20_NONCE_SIZE],
		    uint8_t out[CHACHA20_BLOCK_SIZE]);

#endif
