/* kernel_host.c - the kernel's allocators and wait queues for host unit tests: malloc underneath, one thread, nothing ever waits. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/sched.h"

void *kmalloc(size_t size)
{
	return malloc(size);
}

void *kzalloc(size_t size)
{
	return calloc(1, size);
}

void kfree(void *p)
{
	free(p);
}

/* Page-aligned, as the kernel's pages are (the rings and the cache check). */
void *page_alloc_zero(size_t n)
{
	void *p = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);

	memset(p, 0, n * PAGE_SIZE);
	return p;
}

void page_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

/* One thread: a waiter is never queued behind another caller. */
void wait_add(struct wait_queue *q, struct waiter *w)
{
	(void)q, (void)w;
}

void wait_remove(struct waiter *w)
{
	(void)w;
}

void wake_up(struct wait_queue *q)
{
	(void)q;
}
