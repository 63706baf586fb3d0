/* page_test.c - unit tests of the page allocator (kernel/core/page.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/page.h"

#define PG PAGE_SIZE

/* page_bug longjmps back to EXPECT_PAGE_BUG; anywhere else it aborts. */
static jmp_buf bug_env;
static int bug_armed;

_Noreturn void page_bug(const char *what, const void *p)
{
	if (!bug_armed) {
		fprintf(stderr, "unexpected page_bug: %s %p\n", what, p);
		abort();
	}
	bug_armed = 0;
	longjmp(bug_env, 1);
}

/* Run stmt, which must call page_bug: its longjmp skips the fail_msg. */
#define EXPECT_PAGE_BUG(stmt)                                   \
	do {                                                    \
		bug_armed = 1;                                  \
		if (setjmp(bug_env) == 0) {                     \
			stmt;                                   \
			bug_armed = 0;                          \
			fail_msg("no page_bug from %s", #stmt); \
		}                                               \
	} while (0)

/* Page-aligned host buffers, released after each test. */
static char *bufs[64];
static int nbufs;

static char *buf_pages(size_t npages)
{
	char *b = aligned_alloc(PG, npages * PG);

	assert_non_null(b);
	assert_true(nbufs < 64);
	bufs[nbufs++] = b;
	return b;
}

static int setup(void **state)
{
	(void)state;
	page_init();
	nbufs = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	while (nbufs > 0)
		free(bufs[--nbufs]);
	return 0;
}

static void test_region_unaligned(void **state)
{
	char *b = buf_pages(64);
	char *c = buf_pages(64);

	(void)state;
	/* Start rounded up: pages 1..63 remain, one goes to the bitmap. */
	assert_int_equal(page_add_region(b + 100, 64 * PG - 100), 62);
	assert_ptr_equal(page_alloc(1), b + 2 * PG);
	/* End rounded down: pages 0..62 remain. */
	assert_int_equal(page_add_region(c, 64 * PG - 1), 62);
	assert_int_equal(page_total(), 124);
	assert_int_equal(page_free_count(), 123);
}

static void test_exhaust_and_reuse(void **state)
{
	char *b = buf_pages(64);
	char *p[64];
	size_t n = 0;

	(void)state;
	/* One bitmap page in front, then first fit hands out in order. */
	assert_int_equal(page_add_region(b, 64 * PG), 63);
	assert_int_equal(page_total(), 63);
	assert_int_equal(page_free_count(), 63);
	while ((p[n] = page_alloc(1)) != NULL) {
		assert_ptr_equal(p[n], b + (n + 1) * PG);
		n++;
	}
	assert_int_equal(n, 63);
	assert_int_equal(page_free_count(), 0);
	assert_null(page_alloc(1));
	page_free(p[40], 1);
	assert_ptr_equal(page_alloc(1), p[40]);
	for (size_t i = 0; i < n; i++)
		page_free(p[i], 1);
	assert_int_equal(page_free_count(), 63);
	assert_ptr_equal(page_alloc(63), b + PG);
}

static void test_contiguous_runs(void **state)
{
	char *b = buf_pages(64);
	char *s = b + PG; /* first managed page */

	(void)state;
	page_add_region(b, 64 * PG);
	assert_null(page_alloc(64)); /* larger than the region */
	assert_ptr_equal(page_alloc(10), s);
	assert_ptr_equal(page_alloc(5), s + 10 * PG);
	page_free(s, 10);
	assert_ptr_equal(page_alloc(11), s + 15 * PG); /* hole too small */
	assert_ptr_equal(page_alloc(10), s);
	assert_int_equal(page_free_count(), 63 - 26);
	assert_null(page_alloc(38));
	assert_ptr_equal(page_alloc(37), s + 26 * PG);
	/* Part of a run may be freed on its own. */
	page_free(s + 2 * PG, 3);
	assert_int_equal(page_free_count(), 3);
	assert_ptr_equal(page_alloc(3), s + 2 * PG);
}

static void test_fragmentation(void **state)
{
	char *b = buf_pages(64);
	char *s = b + PG;

	(void)state;
	page_add_region(b, 64 * PG);
	assert_ptr_equal(page_alloc(63), s);
	for (size_t i = 0; i < 63; i += 2)
		page_free(s + i * PG, 1);
	assert_int_equal(page_free_count(), 32);
	assert_null(page_alloc(2));
	page_free(s + PG, 1); /* pages 0, 1, 2 now free */
	assert_ptr_equal(page_alloc(2), s);
	assert_null(page_alloc(2));
	assert_ptr_equal(page_alloc(1), s + 2 * PG);
	assert_ptr_equal(page_alloc(1), s + 4 * PG);
}

static void test_zero_sizes(void **state)
{
	char *b = buf_pages(8);

	(void)state;
	assert_null(page_alloc(1)); /* no regions yet */
	assert_int_equal(page_add_region(NULL, 0), 0);
	assert_int_equal(page_add_region(b, 0), 0);
	assert_int_equal(page_add_region(b, 8 * PG), 7);
	assert_null(page_alloc(0));
	assert_null(page_alloc_zero(0));
	assert_int_equal(page_free_count(), 7);
	assert_null(page_alloc(SIZE_MAX));
}

static void test_multiple_regions(void **state)
{
	char *a = buf_pages(17);
	char *b = buf_pages(33);

	(void)state;
	assert_int_equal(page_add_region(a, 17 * PG), 16);
	assert_int_equal(page_add_region(b, 33 * PG), 32);
	assert_int_equal(page_total(), 48);
	assert_ptr_equal(page_alloc(20), b + PG); /* only b holds 20 */
	assert_ptr_equal(page_alloc(16), a + PG);
	assert_null(page_alloc(16));
	assert_ptr_equal(page_alloc(12), b + 21 * PG);
	assert_int_equal(page_free_count(), 0);
	assert_null(page_alloc(1));
	page_free(a + 5 * PG, 1);
	page_free(b + 7 * PG, 1);
	assert_ptr_equal(page_alloc(1), a + 5 * PG);
	assert_ptr_equal(page_alloc(1), b + 7 * PG);
}

static void test_too_small(void **state)
{
	char *b = buf_pages(4);

	(void)state;
	assert_int_equal(page_add_region(b, PG), 0); /* bitmap only */
	assert_int_equal(page_add_region(b, 2 * PG - 1), 0);
	assert_int_equal(page_add_region(b + 1, 2 * PG), 0);
	assert_int_equal(page_add_region(b + 1, 100), 0);
	assert_int_equal(page_total(), 0);
	assert_int_equal(page_add_region(b, 2 * PG), 1);
	assert_ptr_equal(page_alloc(1), b + PG);
}

static void test_table_full(void **state)
{
	char *b = buf_pages(2 * PAGE_MAX_REGIONS + 2);

	(void)state;
	for (size_t i = 0; i < PAGE_MAX_REGIONS; i++)
		assert_int_equal(page_add_region(b + 2 * i * PG, 2 * PG), 1);
	assert_int_equal(page_add_region(b + 2 * PAGE_MAX_REGIONS * PG, 2 * PG),
			 0);
	assert_int_equal(page_total(), PAGE_MAX_REGIONS);
	assert_null(page_alloc(2)); /* regions are not merged */
	page_init();
	assert_int_equal(page_total(), 0);
}

static void test_overlap_refused(void **state)
{
	char *b = buf_pages(16);

	(void)state;
	assert_int_equal(page_add_region(b + 4 * PG, 8 * PG), 7);
	assert_int_equal(page_add_region(b + 4 * PG, 8 * PG), 0);
	assert_int_equal(page_add_region(b, 5 * PG), 0);
	assert_int_equal(page_add_region(b + 11 * PG, 5 * PG), 0);
	assert_int_equal(page_add_region(b, 4 * PG), 3); /* adjacent: fine */
	assert_int_equal(page_total(), 10);
}

/*
 * A page costs a bitmap bit and a 4-byte count: one metadata page covers
 * exactly 992 pages (16 bitmap words + 992 * 4 = 4096 bytes); the 993rd
 * needs a second.
 */
static void test_bitmap_sizes(void **state)
{
	const size_t bits = 992;
	char *b = buf_pages(bits + 3);

	(void)state;
	assert_int_equal(page_add_region(b, (bits + 1) * PG), bits);
	page_init();
	assert_int_equal(page_add_region(b, (bits + 2) * PG), bits);
	assert_int_equal(page_add_region(b, (bits + 2) * PG), 0);
	page_init();
	assert_int_equal(page_add_region(b, (bits + 3) * PG), bits + 1);
	/* Every page, the last bitmap bit included, is handed out in order. */
	for (size_t i = 0; i < bits + 1; i++)
		assert_ptr_equal(page_alloc(1), b + (i + 2) * PG);
	assert_null(page_alloc(1));
	page_free(b + 2 * PG, bits + 1);
	assert_int_equal(page_free_count(), bits + 1);
}

static void test_alloc_zero_fills(void **state)
{
	char *b = buf_pages(4);
	unsigned char *p;

	(void)state;
	page_add_region(b, 4 * PG);
	p = page_alloc(2);
	memset(p, 0xAA, 2 * PG);
	page_free(p, 2);
	assert_ptr_equal(page_alloc_zero(2), p);
	for (size_t i = 0; i < 2 * PG; i++)
		assert_int_equal(p[i], 0);
}

static void test_free_bugs(void **state)
{
	char *b = buf_pages(16);
	char *s = b + PG;
	char *other = buf_pages(2);
	char *p;

	(void)state;
	page_add_region(b, 16 * PG);
	p = page_alloc(2);
	assert_ptr_equal(p, s);
	EXPECT_PAGE_BUG(page_free(s + 5 * PG, 1)); /* never allocated */
	EXPECT_PAGE_BUG(page_free(p, 3));	   /* run too long */
	EXPECT_PAGE_BUG(page_free(p + 1, 1));	   /* misaligned */
	EXPECT_PAGE_BUG(page_free(p + PG / 2, 1));
	EXPECT_PAGE_BUG(page_free(other, 1)); /* foreign */
	EXPECT_PAGE_BUG(page_free(b, 1));     /* the bitmap */
	EXPECT_PAGE_BUG(page_free(NULL, 1));
	EXPECT_PAGE_BUG(page_free(p, 0));
	EXPECT_PAGE_BUG(page_free(b + 15 * PG, 2)); /* past the end */
	EXPECT_PAGE_BUG(page_free(b + 16 * PG, 1));
	assert_int_equal(page_free_count(), 13); /* nothing changed */
	page_free(p, 2);
	EXPECT_PAGE_BUG(page_free(p, 1)); /* double free */
	EXPECT_PAGE_BUG(page_free(p + PG, 1));
	assert_int_equal(page_free_count(), 15);
}

static void test_refcounts(void **state)
{
	char *b = buf_pages(8);
	char *p, *q;

	(void)state;
	page_add_region(b, 8 * PG);
	p = page_alloc(2);
	q = p + PG;
	assert_int_equal(page_refs(p), 1);
	assert_int_equal(page_refs(q), 1);
	page_get(q);
	page_get(q);
	assert_int_equal(page_refs(q), 3);
	EXPECT_PAGE_BUG(page_free(p, 2));  /* q has other holders */
	assert_int_equal(page_refs(p), 1); /* nothing changed */
	assert_int_equal(page_free_count(), 5);
	assert_false(page_put(q));
	assert_false(page_put(q));
	assert_int_equal(page_free_count(), 5);
	assert_true(page_put(q)); /* the last holder frees it */
	assert_int_equal(page_refs(q), 0);
	assert_int_equal(page_free_count(), 6);
	EXPECT_PAGE_BUG(page_put(q)); /* already free */
	EXPECT_PAGE_BUG(page_get(q));
	EXPECT_PAGE_BUG(page_get(p + 1)); /* misaligned */
	EXPECT_PAGE_BUG(page_get(b));	  /* metadata, not managed */
	/* A freed page comes back with a count of one. */
	assert_ptr_equal(page_alloc(1), q);
	assert_int_equal(page_refs(q), 1);
	page_free(p, 2);
	assert_int_equal(page_refs(p), 0);
	assert_int_equal(page_free_count(), 7);
	assert_int_equal(page_refs(b), 0);
}

/*
 * Adding a region zeroes only its bitmap: the counts of free pages are
 * whatever the memory held. None of that may show: a free page has no
 * holders, an allocated one starts at one, and a freed one is free again.
 */
static void test_counts_not_zeroed(void **state)
{
	char *b = buf_pages(8);
	char *p;

	(void)state;
	memset(b, 0xA5, 8 * PG);
	assert_int_equal(page_add_region(b, 8 * PG), 7);
	p = page_alloc(1);
	assert_ptr_equal(p, b + PG);
	for (int i = 1; i < 8; i++)
		assert_int_equal(page_refs(b + i * PG), i == 1 ? 1 : 0);
	EXPECT_PAGE_BUG(page_get(b + 2 * PG)); /* free: a stale count */
	EXPECT_PAGE_BUG(page_put(b + 3 * PG));
	EXPECT_PAGE_BUG(page_free(b + 4 * PG, 1));
	page_get(p);
	assert_false(page_put(p));
	assert_true(page_put(p));
	assert_int_equal(page_refs(p), 0);
	assert_int_equal(page_free_count(), 7);
	assert_ptr_equal(page_alloc(7), b + PG);
	for (int i = 1; i < 8; i++)
		assert_int_equal(page_refs(b + i * PG), 1);
}

/* xorshift64: a fixed seed makes every run of the test identical. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define RPAGES 256

struct run {
	size_t idx, n;
};

static unsigned char shadow[RPAGES]; /* 1 = allocated */
static struct run held[RPAGES];
static size_t nheld, shadow_free;

/* Where first fit must place n pages, or -1 when nowhere. */
static long shadow_fit(size_t n)
{
	for (size_t i = 0; i + n <= RPAGES; i++) {
		size_t len = 0;

		while (len < n && !shadow[i + len])
			len++;
		if (len == n)
			return (long)i;
		i += len;
	}
	return -1;
}

static void random_alloc(char *s)
{
	size_t n = rnd() % 10 == 0 ? 1 + rnd() % 40 : 1 + rnd() % 4;
	long want = shadow_fit(n);
	char *p = page_alloc(n);

	if (want < 0) {
		assert_null(p);
		return;
	}
	assert_ptr_equal(p, s + (size_t)want * PG);
	memset(shadow + want, 1, n);
	held[nheld++] = (struct run){ (size_t)want, n };
	shadow_free -= n;
}

/* Free a random piece of a random held run, splitting what remains. */
static void random_free(char *s)
{
	size_t k = rnd() % nheld;
	struct run r = held[k];
	size_t m = 1 + rnd() % r.n;
	size_t off = rnd() % (r.n - m + 1);

	page_free(s + (r.idx + off) * PG, m);
	memset(shadow + r.idx + off, 0, m);
	shadow_free += m;
	held[k] = held[--nheld];
	if (off > 0)
		held[nheld++] = (struct run){ r.idx, off };
	if (off + m < r.n)
		held[nheld++] = (struct run){ r.idx + off + m, r.n - off - m };
}

static void test_random_shadow(void **state)
{
	char *b = buf_pages(RPAGES + 1);
	char *s = b + PG;

	(void)state;
	memset(shadow, 0, sizeof(shadow));
	nheld = 0;
	shadow_free = RPAGES;
	assert_int_equal(page_add_region(b, (RPAGES + 1) * PG), RPAGES);
	for (int step = 0; step < 50000; step++) {
		if (nheld > 0 && rnd() % 3 == 0)
			random_free(s);
		else if (nheld < RPAGES)
			random_alloc(s);
		assert_int_equal(page_free_count(), shadow_free);
	}
	while (nheld > 0)
		random_free(s);
	assert_int_equal(page_free_count(), RPAGES);
	assert_ptr_equal(page_alloc(RPAGES), s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_region_unaligned),  T(test_exhaust_and_reuse),
		T(test_contiguous_runs),   T(test_fragmentation),
		T(test_zero_sizes),	   T(test_multiple_regions),
		T(test_too_small),	   T(test_table_full),
		T(test_overlap_refused),   T(test_bitmap_sizes),
		T(test_alloc_zero_fills),  T(test_free_bugs),
		T(test_refcounts),	   T(test_random_shadow),
		T(test_counts_not_zeroed),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
