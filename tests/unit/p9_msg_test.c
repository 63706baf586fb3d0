/* p9_msg_test.c - 9P2000.L requests as bytes, and replies checked as a hostile server could send them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fs/9p_msg.h"

#define EPROTO_ 71

static uint8_t msg[256];

/* A reply: header (size as given) + body. */
static size_t reply(uint32_t size, uint8_t type, uint16_t tag, const void *body,
		    size_t n)
{
	uint8_t h[7] = { (uint8_t)size,
			 (uint8_t)(size >> 8),
			 (uint8_t)(size >> 16),
			 (uint8_t)(size >> 24),
			 type,
			 (uint8_t)tag,
			 (uint8_t)(tag >> 8) };

	memcpy(msg, h, 7);
	memcpy(msg + 7, body, n);
	return 7 + n;
}

static void test_walk_request_bytes(void **state)
{
	static const uint8_t want[] = {
		22, 0, 0, 0, 110, 5,   0,     /* size 22, Twalk, tag 5 */
		1,  0, 0, 0, 2,	  0,   0,  0, /* fid 1, newfid 2 */
		1,  0, 3, 0, 'a', 'b', 'c'    /* one name, "abc" */
	};
	struct p9_buf b;

	(void)state;
	p9_begin(&b, msg, sizeof(msg), P9_TWALK, 5);
	p9_put_u32(&b, 1);
	p9_put_u32(&b, 2);
	p9_put_u16(&b, 1);
	p9_put_str(&b, "abc", 3);
	assert_int_equal(p9_finish(&b), sizeof(want));
	assert_memory_equal(msg, want, sizeof(want));
}

static void test_request_too_big_is_refused(void **state)
{
	static char name[300];
	struct p9_buf b;

	(void)state;
	memset(name, 'x', sizeof(name));
	p9_begin(&b, msg, 64, P9_TWALK, 1);
	p9_put_u32(&b, 1);
	p9_put_str(&b, name, sizeof(name));
	assert_true(b.bad);
	assert_int_equal(p9_finish(&b), 0);
	p9_begin(&b, msg, sizeof(msg), P9_TWALK, 1);
	p9_put_str(&b, name, 70000); /* longer than a string can say */
	assert_int_equal(p9_finish(&b), 0);
}

static void test_reply_ok_and_lerror(void **state)
{
	static const uint8_t count[] = { 3, 0, 0, 0, 'h', 'e', 'y' };
	static const uint8_t enoent[] = { 2, 0, 0, 0 };
	struct p9_buf r;
	const void *p;
	size_t n;

	(void)state;
	n = reply(14, P9_TREAD + 1, 9, count, sizeof(count));
	assert_int_equal(p9_reply(&r, msg, n, 9, P9_TREAD + 1), 0);
	assert_int_equal(p9_get_u32(&r), 3);
	p = p9_get_bytes(&r, 3);
	assert_non_null(p);
	assert_memory_equal(p, "hey", 3);
	assert_false(r.bad);
	n = reply(11, P9_RLERROR, 9, enoent, sizeof(enoent));
	assert_int_equal(p9_reply(&r, msg, n, 9, P9_TREAD + 1), -2);
}

static void test_hostile_headers(void **state)
{
	static const uint8_t zero[] = { 0, 0, 0, 0 };
	static const uint8_t big[] = { 0, 0x10, 0, 0 }; /* errno 4096 */
	struct p9_buf r;
	size_t n;

	(void)state;
	/* Shorter than a header, or the device wrote less than size says. */
	assert_int_equal(p9_reply(&r, msg, 3, 1, 117), -EPROTO_);
	n = reply(50, 117, 1, zero, 4);
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), -EPROTO_);
	n = reply(6, 117, 1, zero, 4);
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), -EPROTO_);
	/* Someone else's tag, a type that is neither answer. */
	n = reply(11, 117, 2, zero, 4);
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), -EPROTO_);
	n = reply(11, 119, 1, zero, 4);
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), -EPROTO_);
	/* Rlerror of 0, beyond errnos, or cut short. */
	n = reply(11, P9_RLERROR, 1, zero, 4);
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), -EPROTO_);
	n = reply(11, P9_RLERROR, 1, big, 4);
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), -EPROTO_);
	n = reply(9, P9_RLERROR, 1, zero, 2);
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), -EPROTO_);
}

static void test_reads_stop_at_the_size_field(void **state)
{
	static const uint8_t body[] = { 200, 0, 0, 0, 1, 2, 3, 4 };
	struct p9_buf r;
	size_t n;
	const char *s;
	size_t len;

	(void)state;
	/* Rread claiming 200 bytes in a 15-byte message. */
	n = reply(15, 117, 1, body, sizeof(body));
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), 0);
	assert_int_equal(p9_get_u32(&r), 200);
	assert_null(p9_get_bytes(&r, 200));
	assert_true(r.bad);
	/* Bytes past the size field (the device wrote more) are not read. */
	n = reply(11, 117, 1, body, sizeof(body));
	assert_int_equal(p9_reply(&r, msg, n, 1, 117), 0);
	p9_get_u32(&r);
	assert_int_equal(p9_get_u8(&r), 0);
	assert_true(r.bad);
	/* A string longer than the message. */
	n = reply(11, 23, 1, (const uint8_t[]){ 0xff, 0xff, 'a', 'b' }, 4);
	assert_int_equal(p9_reply(&r, msg, n, 1, 23), 0);
	s = p9_get_str(&r, &len);
	assert_null(s);
	assert_true(r.bad);
}

/* One Rreaddir entry: qid, offset, type, name. */
static size_t dirent(uint8_t *p, const char *name, size_t len, uint64_t off)
{
	size_t n = 0;

	p[n++] = 0x80;
	memset(p + n, 0, 12);
	p[n + 4] = 42; /* qid path 42 */
	n += 12;
	for (int i = 0; i < 8; i++)
		p[n++] = (uint8_t)(off >> (8 * i));
	p[n++] = 4; /* DT_DIR */
	p[n++] = (uint8_t)len;
	p[n++] = (uint8_t)(len >> 8);
	memcpy(p + n, name, len);
	return n + len;
}

static void test_dirents(void **state)
{
	uint8_t data[200];
	struct p9_dirent d;
	struct p9_buf r;
	size_t n = 0;

	(void)state;
	n += dirent(data + n, "sub", 3, 7);
	n += dirent(data + n, "a/b", 3, 8);
	r = (struct p9_buf){ data, n, 0, false };
	assert_int_equal(p9_get_dirent(&r, &d), 1);
	assert_int_equal(d.namelen, 3);
	assert_memory_equal(d.name, "sub", 3);
	assert_int_equal(d.offset, 7);
	assert_int_equal(d.qid.path, 42);
	assert_int_equal(d.type, 4);
	assert_int_equal(p9_get_dirent(&r, &d), -EPROTO_); /* '/' in a name */
	r = (struct p9_buf){ data, 0, 0, false };
	assert_int_equal(p9_get_dirent(&r, &d), 0);
	n = dirent(data, "", 0, 1); /* empty name */
	r = (struct p9_buf){ data, n, 0, false };
	assert_int_equal(p9_get_dirent(&r, &d), -EPROTO_);
	n = dirent(data, "x\0y", 3, 1);
	r = (struct p9_buf){ data, n, 0, false };
	assert_int_equal(p9_get_dirent(&r, &d), -EPROTO_);
	n = dirent(data, "abc", 3, 1);
	for (size_t cut = 1; cut < n; cut++) { /* every truncation */
		r = (struct p9_buf){ data, cut, 0, false };
		assert_int_equal(p9_get_dirent(&r, &d), -EPROTO_);
	}
}

static void test_getattr_fields(void **state)
{
	uint8_t body[160] = { 0 };
	struct p9_attr a;
	struct p9_buf r;
	size_t n;

	(void)state;
	body[0] = 0xff;	 /* valid */
	body[8] = 0;	 /* qid type */
	body[13] = 9;	 /* qid path 9 */
	body[21] = 0xa4; /* mode 0100644 */
	body[22] = 0x81;
	body[33] = 1;	 /* nlink 1 */
	body[49] = 0x10; /* size 0x1000 */
	body[50] = 0x10;
	n = reply((uint32_t)(7 + sizeof(body)), 25, 3, body, sizeof(body));
	assert_int_equal(p9_reply(&r, msg, n, 3, 25), 0);
	p9_get_attr(&r, &a);
	assert_false(r.bad);
	assert_int_equal(a.qid.path, 9);
	assert_int_equal(a.mode, 0100644);
	assert_int_equal(a.nlink, 1);
	assert_int_equal(a.size, 0x1010);
	/* The same cut short: bad, nothing read past the end. */
	n = reply(7 + 40, 25, 3, body, 40);
	assert_int_equal(p9_reply(&r, msg, n, 3, 25), 0);
	p9_get_attr(&r, &a);
	assert_true(r.bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_request_bytes),
		cmocka_unit_test(test_request_too_big_is_refused),
		cmocka_unit_test(test_reply_ok_and_lerror),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_reads_stop_at_the_size_field),
		cmocka_unit_test(test_dirents),
		cmocka_unit_test(test_getattr_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
