/* random.h - the kernel's random number generator (ChaCha20, seeded at boot). */
#ifndef KILN_CORE_RANDOM_H
#define KILN_CORE_RANDOM_H

#include <stddef.h>

/*
 * Prepare the generator. It is seeded on the first random_bytes call
 * from the CPU (RDSEED, else RDRAND, when CPUID has them), TSC jitter and
 * the boot time, and logs which sources it used. Call once at boot after
 * tsc_init and clock_init.
 */
void random_init(void);

/*
 * Fill buf with n cryptographically strong random bytes. Never fails and
 * never blocks. Callable from any context (it masks interrupts for one
 * 64-byte block per MiB, never for the whole request).
 */
void random_bytes(void *buf, size_t n);

#endif
