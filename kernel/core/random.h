/* random.h - the kernel's random number generator (ChaCha20, seeded at boot). */
#ifndef KILN_CORE_RANDOM_H
#define KILN_CORE_RANDOM_H

#include <stddef.h>

/*
 * Seed the generator from the CPU (RDSEED, else RDRAND, when CPUID has
 * them), TSC jitter and the boot time. Call once at boot after tsc_init
 * and clock_init, before anything asks for random bytes. Logs which
 * sources it used.
 */
void random_init(void);

/*
 * Fill buf with n cryptographically strong random bytes. Never fails and
 * never blocks. Callable from any context (it masks interrupts for one
 * 64-byte block per MiB, never for the whole request).
 */
void random_bytes(void *buf, size_t n);

#endif
