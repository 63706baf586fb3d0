/* heap.h - the kernel heap: kmalloc/kfree on top of the page allocator. */
#ifndef KILN_CORE_HEAP_H
#define KILN_CORE_HEAP_H

#include <stddef.h>

/*
 * kmalloc returns memory aligned to 16 bytes, or NULL when size is 0, the
 * size overflows, or memory is exhausted (it never panics on exhaustion).
 * Small sizes come from power-of-two size classes carved from single
 * pages; large ones take a run of pages from page_alloc.
 * kfree(NULL) does nothing. Freeing a pointer kmalloc did not return, or
 * freeing twice, is detected where cheaply possible and reported through
 * heap_bug() (a kernel panic; a test failure hosted).
 *
 * Not thread-safe: callers hold the heap lock (single CPU for now).
 */
void heap_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/* Bytes currently handed out by kmalloc (requested sizes rounded to class). */
size_t heap_in_use(void);

/* Supplied by the environment (kernel: panic; tests: fail). Never returns. */
_Noreturn void heap_bug(const char *what, const void *p);

#endif
