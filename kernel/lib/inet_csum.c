/* inet_csum.c - the Internet checksum of RFC 1071 over byte buffers. */
#include "lib/inet_csum.h"

/*
 * Bytes are read one at a time, so the buffer needs no alignment and the
 * result does not depend on the host's byte order (RFC 1071 2(B)). A
 * 64-bit accumulator cannot overflow for any buffer that fits in memory
 * divided into 16-bit words (2^48 of them), so carries are folded once.
 */
uint64_t inet_csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint64_t inet_csum_add16(uint64_t sum, uint16_t word)
{
	return sum + word;
}

uint64_t inet_csum_add32(uint64_t sum, uint32_t value)
{
	return sum + (value >> 16) + (value & 0xffff);
}

uint16_t inet_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t inet_csum(const void *data, size_t len)
{
	return inet_csum_fold(inet_csum_add(0, data, len));
}
