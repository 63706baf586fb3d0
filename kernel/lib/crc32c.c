/* crc32c.c - CRC-32C (Castagnoli), a byte at a time through a table built on first use. */
#include "lib/crc32c.h"

#include <stdbool.h>

#define CRC32C_POLY 0x82F63B78U /* reflected 0x1EDC6F41 */

static uint32_t table[256];
static bool table_ready;

static void table_build(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY : 0);
		table[i] = c;
	}
	table_ready = true;
}

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!table_ready)
		table_build();
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
