/* sys_futex.h - fast user-space mutexes: sleeping on a word of application memory. */
#ifndef KILN_LINUX_SYS_FUTEX_H
#define KILN_LINUX_SYS_FUTEX_H

#include <stdint.h>

/*
 * Wake up to n threads waiting on uaddr whose wait bitset meets bitset
 * (FUTEX_BITSET_MATCH_ANY for all). Returns how many were woken.
 * A shared wake (as Linux's clear_child_tid and robust-list wakes are):
 * in a MAP_SHARED area it reaches the waiters of that page of the node
 * through any mapping (sys_futex.c, struct futex_key).
 */
int futex_wake(uintptr_t uaddr, int n, uint32_t bitset);

#endif
