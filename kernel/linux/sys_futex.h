/* sys_futex.h - fast user-space mutexes: sleeping on a word of application memory. */
#ifndef KILN_LINUX_SYS_FUTEX_H
#define KILN_LINUX_SYS_FUTEX_H

#include <stdint.h>

/*
 * Wake up to n threads waiting on uaddr whose wait bitset meets bitset
 * (FUTEX_BITSET_MATCH_ANY for all). Returns how many were woken.
 * One address space, so the key is the address itself (private and
 * shared futexes are the same thing here).
 */
int futex_wake(uintptr_t uaddr, int n, uint32_t bitset);

#endif
