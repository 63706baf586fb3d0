/* kernel_host.c - the kernel's allocators and wait queues for host unit tests: malloc underneath, one thread, nothing ever waits. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/heap.h"
#include "core/page.h"
#include "core/sched.h"

/*
 * Allocations that still succeed before every later one fails (a test
 * makes the kernel run out of memory at each point in turn); negative:
 * no limit.
 */
long kernel_host_allocs_left = -1;
/*
 * Allocations that succeed before the next one fails, alone (memory
 * short for a moment: what the code does after one failure); negative:
 * none fails.
 */
long kernel_host_fail_one = -1;

static bool alloc_fails(void)
{
	if (kernel_host_fail_one >= 0 && kernel_host_fail_one-- == 0)
		return true;
	if (kernel_host_allocs_left < 0)
		return false;
	if (kernel_host_allocs_left == 0)
		return true;
	kernel_host_allocs_left--;
	return false;
}

void *kmalloc(size_t size)
{
	return alloc_fails() ? NULL : malloc(size);
}

void *kzalloc(size_t size)
{
	return alloc_fails() ? NULL : calloc(1, size);
}

void kfree(void *p)
{
	free(p);
}

/* Page-aligned, as the kernel's pages are (the rings and the cache check). */
void *page_alloc_zero(size_t n)
{
	void *p = alloc_fails() ? NULL :
				  aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);

	if (p != NULL)
		memset(p, 0, n * PAGE_SIZE);
	return p;
}

void *page_alloc(size_t n)
{
	return page_alloc_zero(n);
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
