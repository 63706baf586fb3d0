/* crc32c.h - CRC-32C (Castagnoli), portable: kernel and host. */
#ifndef KILN_LIB_CRC32C_H
#define KILN_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * The raw reflected CRC-32C update (polynomial 0x82F63B78), without the
 * initial or final inversion: Linux's crc32c(seed, data, len), which is
 * what ext4 and jbd2 store. The textbook CRC-32C of data is
 * ~crc32c(~0U, data, len).
 */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
