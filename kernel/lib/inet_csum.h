/* inet_csum.h - the Internet checksum (RFC 1071), portable: kernel and host. */
#ifndef KILN_LIB_INET_CSUM_H
#define KILN_LIB_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The checksum is the ones' complement of the ones' complement sum of the
 * data read as big-endian 16-bit words. A sum is built in pieces with
 * inet_csum_add (a pseudo-header, then the segment) and finished with
 * inet_csum_fold. Every piece but the last must have an even length: an
 * odd piece is padded with a zero byte, as RFC 1071 4.1 pads the end.
 * Values are host-order numbers; store them with be16_store.
 */
uint64_t inet_csum_add(uint64_t sum, const void *data, size_t len);

/* Adds one 16-bit word (a pseudo-header field) to a running sum. */
uint64_t inet_csum_add16(uint64_t sum, uint16_t word);

/* Adds a 32-bit value as two words (an IPv4 address in host order). */
uint64_t inet_csum_add32(uint64_t sum, uint32_t value);

/* Folds the carries and complements: the value to put in a header. */
uint16_t inet_csum_fold(uint64_t sum);

/* inet_csum_fold(inet_csum_add(0, data, len)); 0 when verifying good data. */
uint16_t inet_csum(const void *data, size_t len);

#endif
