/* heap_test.c - unit tests of kmalloc/kfree (kernel/core/heap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/heap.h"
#include "core/page.h"

#define PG PAGE_SIZE
#define ARENA_PAGES 16384 /* 64 MiB for the big tests */

/* heap_bug longjmps back to EXPECT_HEAP_BUG; anywhere else it aborts. */
static jmp_buf bug_env;
static int bug_armed;

_Noreturn void heap_bug(const char *what, const void *p)
{
	if (!bug_armed) {
		fprintf(stderr, "unexpected heap_bug: %s %p\n", what, p);
		abort();
	}
	bug_armed = 0;
	longjmp(bug_env, 1);
}

/* The heap must never hand page_free a bad run: that would be its bug. */
_Noreturn void page_bug(const char *what, const void *p)
{
	fprintf(stderr, "unexpected page_bug: %s %p\n", what, p);
	abort();
}

/* Run stmt, which must call heap_bug: its longjmp skips the fail_msg. */
#define EXPECT_HEAP_BUG(stmt)                                   \
	do {                                                    \
		bug_armed = 1;                                  \
		if (setjmp(bug_env) == 0) {                     \
			stmt;                                   \
			bug_armed = 0;                          \
			fail_msg("no heap_bug from %s", #stmt); \
		}                                               \
	} while (0)

static char *arena;
static size_t start_free; /* page_free_count() before the test */

static int group_setup(void **state)
{
	(void)state;
	arena = aligned_alloc(PG, ARENA_PAGES * PG);
	return arena == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(arena);
	return 0;
}

/* Start from an empty heap over pages pages of the arena. */
static void reset(size_t pages)
{
	page_init();
	heap_init();
	page_add_region(arena, pages * PG);
	start_free = page_free_count();
}

static int setup(void **state)
{
	(void)state;
	reset(ARENA_PAGES);
	return 0;
}

/* What heap_in_use is expected to count for a request of size bytes. */
static size_t charged(size_t size)
{
	size_t c = 16;

	if (size > 2048)
		return (size + 15) & ~(size_t)15;
	while (c < size)
		c *= 2;
	return c;
}

/* A byte pattern that differs between neighbouring allocations. */
static unsigned char pat(size_t tag, size_t i)
{
	return (unsigned char)(tag * 131 + i * 7 + 1);
}

static void fill(void *p, size_t size, size_t tag)
{
	unsigned char *b = p;

	for (size_t i = 0; i < size; i++)
		b[i] = pat(tag, i);
}

static void check(const void *p, size_t size, size_t tag)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < size; i++)
		assert_int_equal(b[i], pat(tag, i));
}

struct live {
	char *p;
	size_t size;
	size_t tag;
};

static int by_addr(const void *a, const void *b)
{
	const struct live *x = a, *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

/* No two live allocations may share a byte. Sorts v. */
static void check_disjoint(struct live *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_addr);
	for (size_t i = 1; i < n; i++)
		assert_true(v[i - 1].p + v[i - 1].size <= v[i].p);
}

#define NSIZES 5000

static void test_every_size(void **state)
{
	static struct live v[NSIZES];
	size_t want = 0;

	(void)state;
	for (size_t s = 1; s <= NSIZES; s++) {
		char *p = kmalloc(s);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		fill(p, s, s);
		v[s - 1] = (struct live){ p, s, s };
		want += charged(s);
	}
	assert_int_equal(heap_in_use(), want);
	for (size_t i = 0; i < NSIZES; i++)
		check(v[i].p, v[i].size, v[i].tag);
	check_disjoint(v, NSIZES);
	for (size_t i = 0; i < NSIZES; i++)
		kfree(v[i].p);
	assert_int_equal(heap_in_use(), 0);
	assert_int_equal(page_free_count(), start_free);
}

static void test_zero_and_overflow(void **state)
{
	(void)state;
	assert_null(kmalloc(0));
	assert_null(kzalloc(0));
	assert_null(kmalloc(SIZE_MAX));
	assert_null(kzalloc(SIZE_MAX));
	assert_null(kmalloc(SIZE_MAX - 15));
	assert_null(kmalloc(SIZE_MAX - PG));
	assert_null(kmalloc(SIZE_MAX - PG - 16));
	assert_null(kmalloc(SIZE_MAX / 2));
	assert_null(kmalloc(ARENA_PAGES * PG)); /* header pushes it over */
	assert_int_equal(heap_in_use(), 0);
	assert_int_equal(page_free_count(), start_free);
	kfree(NULL);
	assert_int_equal(heap_in_use(), 0);
}

/* Fill a 16-page region with size-byte objects; expect exactly count. */
static void exhaust(size_t size, size_t count)
{
	static void *v[4096];
	size_t n = 0;

	reset(17); /* one bitmap page, 16 usable */
	assert_int_equal(start_free, 16);
	while ((v[n] = kmalloc(size)) != NULL)
		assert_true(++n < 4096);
	assert_int_equal(n, count);
	assert_int_equal(page_free_count(), 0);
	while (n > 0)
		kfree(v[--n]);
	assert_int_equal(heap_in_use(), 0);
	assert_int_equal(page_free_count(), 16);
}

static void test_exhaustion(void **state)
{
	(void)state;
	exhaust(16, 16 * 252); /* (4096 - 64) / 16 slots a slab page */
	exhaust(64, 16 * 63);
	exhaust(1000, 16 * 3);
	exhaust(2048, 16);
	exhaust(4080, 16); /* 16-byte header + 4080 = one page */
	exhaust(4081, 8);
	exhaust(5000, 8);
	exhaust(16 * PG - 16, 1); /* the whole region, header included */
	assert_null(kmalloc(16 * PG - 15)); /* (all freed again) */
	/* Pages freed by one class serve another. */
	exhaust(64, 16 * 63);
	assert_non_null(kmalloc(15 * PG));
}

static void test_slab_pages_returned(void **state)
{
	void *v[64];

	(void)state;
	for (int i = 0; i < 63; i++)
		v[i] = kmalloc(64);
	assert_int_equal(page_free_count(), start_free - 1);
	v[63] = kmalloc(64);
	assert_int_equal(page_free_count(), start_free - 2);
	kfree(v[63]);
	assert_int_equal(page_free_count(), start_free - 1);
	kfree(v[0]); /* a full slab gets a free slot back, and reuses it */
	assert_ptr_equal(kmalloc(64), v[0]);
	assert_int_equal(page_free_count(), start_free - 1);
	for (int i = 0; i < 63; i++)
		kfree(v[i]);
	assert_int_equal(page_free_count(), start_free);
}

static void test_in_use(void **state)
{
	static const size_t sizes[] = { 1,    16,   17,	  100,	1025,
					2048, 2049, 4080, 4081, 100000 };
	static const size_t want[] = { 16,   16,   32,	 128,  2048,
				       2048, 2064, 4080, 4096, 100000 };
	void *v[10];
	size_t sum = 0;

	(void)state;
	for (int i = 0; i < 10; i++) {
		v[i] = kmalloc(sizes[i]);
		sum += want[i];
		assert_int_equal(heap_in_use(), sum);
	}
	for (int i = 9; i >= 0; i--) {
		kfree(v[i]);
		sum -= want[i];
		assert_int_equal(heap_in_use(), sum);
	}
}

static void test_kzalloc(void **state)
{
	static const size_t sizes[] = { 100, 2048, 10000 };

	(void)state;
	for (int k = 0; k < 3; k++) {
		unsigned char *p = kmalloc(sizes[k]);
		unsigned char *q;

		memset(p, 0xAA, sizes[k]);
		kfree(p);
		q = kzalloc(sizes[k]);
		assert_ptr_equal(q, p); /* same memory, so the zeroing counts */
		for (size_t i = 0; i < sizes[k]; i++)
			assert_int_equal(q[i], 0);
		kfree(q);
	}
}

static void test_double_free(void **state)
{
	char *a = kmalloc(32);
	char *b = kmalloc(32);
	char *big = kmalloc(9000);

	(void)state;
	kfree(a);
	EXPECT_HEAP_BUG(kfree(a)); /* slab still live: slot bit clear */
	kfree(b);
	EXPECT_HEAP_BUG(kfree(b)); /* slab returned: magic gone */
	kfree(big);
	EXPECT_HEAP_BUG(kfree(big));
	assert_int_equal(heap_in_use(), 0);
	assert_int_equal(page_free_count(), start_free);
}

static void test_bad_pointers(void **state)
{
	static _Alignas(4096) char outside[2 * 4096];
	char *a = kmalloc(32);
	char *big = kmalloc(9000);
	char *pg = page_alloc_zero(1);
	size_t used = heap_in_use();

	(void)state;
	memset(big, 0x5A, 9000);	/* no stale header in its second page */
	EXPECT_HEAP_BUG(kfree(a + 16)); /* inside an object */
	EXPECT_HEAP_BUG(kfree(a + 8));	/* misaligned */
	EXPECT_HEAP_BUG(kfree(a - 64)); /* the slab header */
	EXPECT_HEAP_BUG(kfree(big + 16));
	EXPECT_HEAP_BUG(kfree(big + PG)); /* second page of the run */
	EXPECT_HEAP_BUG(kfree(pg + 16));  /* pages not from the heap */
	EXPECT_HEAP_BUG(kfree(pg));
	EXPECT_HEAP_BUG(kfree(outside + 64)); /* not managed at all */
	assert_int_equal(heap_in_use(), used);
	kfree(a);
	kfree(big);
	page_free(pg, 1);
	assert_int_equal(page_free_count(), start_free);
}

/* xorshift64: a fixed seed makes every run of the test identical. */
static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Mostly small objects, some of every class, a few multi-page ones. */
static size_t random_size(void)
{
	uint64_t r = rnd() % 100;

	if (r < 70)
		return 1 + rnd() % 256;
	if (r < 95)
		return 257 + rnd() % (2048 - 256);
	return 2049 + rnd() % 20000;
}

#define NLIVE 3000

static void test_random_stress(void **state)
{
	static struct live v[NLIVE];
	size_t n = 0, want = 0;

	(void)state;
	for (size_t step = 1; step <= 200000; step++) {
		if (n == NLIVE || (n > 0 && rnd() % 2 == 0)) {
			size_t k = rnd() % n;

			check(v[k].p, v[k].size, v[k].tag);
			kfree(v[k].p);
			want -= charged(v[k].size);
			v[k] = v[--n];
		} else {
			size_t size = random_size();
			char *p = kmalloc(size);

			assert_non_null(p);
			assert_int_equal((uintptr_t)p % 16, 0);
			fill(p, size, step);
			v[n++] = (struct live){ p, size, step };
			want += charged(size);
		}
		assert_int_equal(heap_in_use(), want);
		if (step % 20000 == 0)
			check_disjoint(v, n);
	}
	while (n > 0) {
		check(v[n - 1].p, v[n - 1].size, v[n - 1].tag);
		kfree(v[--n].p);
	}
	assert_int_equal(heap_in_use(), 0);
	assert_int_equal(page_free_count(), start_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, NULL)
		T(test_every_size),    T(test_zero_and_overflow),
		T(test_exhaustion),    T(test_slab_pages_returned),
		T(test_in_use),	       T(test_kzalloc),
		T(test_double_free),   T(test_bad_pointers),
		T(test_random_stress),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
