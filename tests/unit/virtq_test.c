/* virtq_test.c - split virtqueues against a scripted device: chains posted and freed, hostile used entries refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/page.h"
#include "drivers/virtq.h"

/* ---- The kernel around the rings (pages: kernel_host.c): identity "physical" addresses ---- */

uint64_t virt_to_phys(const void *v)
{
	return (uint64_t)(uintptr_t)v;
}

/* ---- The device's side ---- */

static struct virtq q;

static uint16_t avail_idx(void)
{
	return q.avail[1];
}

static uint16_t avail_ring(uint16_t i)
{
	return q.avail[2 + (i & (q.size - 1))];
}

/* Put {id, len} in the used ring and publish it. */
static void device_use(uint32_t id, uint32_t len)
{
	volatile uint16_t *idx = (volatile uint16_t *)(q.used + 2);
	volatile uint32_t *e = (volatile uint32_t *)(q.used + 4 +
						     8 * (*idx & (q.size - 1)));

	e[0] = id;
	e[1] = len;
	(*idx)++;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(virtq_init(&q, 0, 16, false), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	virtq_destroy(&q);
	return 0;
}

static const struct virtq_seg blk[3] = {
	{ 0x1000, 16, false },	/* header */
	{ 0x2000, 4096, true }, /* data in */
	{ 0x3000, 1, true },	/* status */
};

/* virtio 1.2, 2.7.5: NEXT on all but the last, WRITE where asked. */
static void test_chain_layout(void **state)
{
	int head;
	uint16_t d;

	(void)state;
	head = virtq_add_chain(&q, blk, 3);
	assert_true(head >= 0);
	assert_int_equal(avail_idx(), 1);
	assert_int_equal(avail_ring(0), head);
	assert_int_equal(q.nfree, 13);
	d = (uint16_t)head;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(q.desc[d].addr, blk[i].phys);
		assert_int_equal(q.desc[d].len, blk[i].len);
		assert_int_equal(
			q.desc[d].flags,
			(i < 2 ? VIRTQ_DESC_F_NEXT : 0) |
				(blk[i].writable ? VIRTQ_DESC_F_WRITE : 0));
		d = q.desc[d].next;
	}
}

static void test_used_chain_is_freed(void **state)
{
	uint32_t len;
	int head;

	(void)state;
	head = virtq_add_chain(&q, blk, 3);
	device_use((uint32_t)head, 4097);
	assert_int_equal(virtq_get_used(&q, &len), head);
	assert_int_equal(len, 4097);
	assert_int_equal(q.nfree, 16);
	assert_int_equal(virtq_get_used(&q, &len), -EAGAIN);
}

/* The device rewrites a link: freeing follows Kiln's own copy. */
static void test_device_cannot_redirect_the_free(void **state)
{
	uint32_t len;
	int head, other;

	(void)state;
	other = virtq_add_chain(&q, blk, 3);
	head = virtq_add_chain(&q, blk, 3);
	q.desc[head].next = (uint16_t)other; /* hostile */
	device_use((uint32_t)head, 1);
	assert_int_equal(virtq_get_used(&q, &len), head);
	assert_int_equal(q.nfree, 13); /* other's three are still in flight */
	device_use((uint32_t)other, 1);
	assert_int_equal(virtq_get_used(&q, &len), other);
	assert_int_equal(q.nfree, 16);
}

static void test_hostile_used_entries(void **state)
{
	uint32_t len;
	int head;

	(void)state;
	head = virtq_add_chain(&q, blk, 3);
	/* A descriptor of the chain that is not its head. */
	device_use(q.desc[head].next, 1);
	assert_int_equal(virtq_get_used(&q, &len), -EIO);
	teardown(state);
	setup(state);
	head = virtq_add_chain(&q, blk, 3);
	device_use((uint32_t)head, 4098); /* more than the writable 4097 */
	assert_int_equal(virtq_get_used(&q, &len), -EIO);
	teardown(state);
	setup(state);
	device_use(99, 1); /* out of range */
	assert_int_equal(virtq_get_used(&q, &len), -EIO);
	teardown(state);
	setup(state);
	head = virtq_add_chain(&q, blk, 3);
	device_use((uint32_t)head, 1);
	device_use((uint32_t)head, 1); /* the same request twice */
	assert_int_equal(virtq_get_used(&q, &len), head);
	assert_int_equal(virtq_get_used(&q, &len), -EIO);
}

static void test_chain_checks(void **state)
{
	static const struct virtq_seg bad_order[2] = { { 0x1000, 1, true },
						       { 0x2000, 1, false } };
	static const struct virtq_seg empty[2] = { { 0x1000, 16, false },
						   { 0x2000, 0, true } };
	struct virtq_seg many[17];

	(void)state;
	assert_int_equal(virtq_add_chain(&q, bad_order, 2), -EINVAL);
	assert_int_equal(virtq_add_chain(&q, empty, 2), -EINVAL);
	assert_int_equal(virtq_add_chain(&q, blk, 0), -EINVAL);
	for (int i = 0; i < 17; i++)
		many[i] = (struct virtq_seg){ 0x1000, 512, false };
	assert_int_equal(virtq_add_chain(&q, many, 17), -EINVAL);
	for (int i = 0; i < 5; i++)
		assert_true(virtq_add_chain(&q, blk, 3) >= 0);
	assert_int_equal(virtq_add_chain(&q, blk, 3), -ENOSPC); /* 1 left */
	assert_int_equal(q.nfree, 1);
	assert_int_equal(avail_idx(), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_chain_layout),
		T(test_used_chain_is_freed),
		T(test_device_cannot_redirect_the_free),
		T(test_hostile_used_entries),
		T(test_chain_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
