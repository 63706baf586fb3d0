/* cpio_test.c - newc archive writer and parser, including truncated and hostile archives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cpio.h"

struct file {
	const char *name;
	uint32_t mode;
	const char *data;
};

static const struct file files[] = {
	{ "bin", 040755, "" },
	{ "bin/hello", 0100755,
	  "\x7f"
	  "ELF binary\0with NUL" },
	{ "etc/motd", 0100644, "hi\n" },
	{ "bin/sh", 0120777, "hello" },
	{ "empty", 0100600, "" },
	{ "a/b/c/d/e/f/g", 0100644, "1234" },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

/* The data size of files[i] ("binary" contains a NUL: size is fixed). */
static size_t file_size(size_t i)
{
	return i == 1 ? 19 : strlen(files[i].data);
}

static size_t put_entry(char *buf, size_t at, const char *name, uint32_t mode,
			const void *data, size_t size, uint32_t ino)
{
	at += cpio_header(buf + at, name, mode, 0, 0, 1700000000, size, ino);
	memcpy(buf + at, data, size);
	at += size;
	memset(buf + at, 0, cpio_pad(size));
	return at + cpio_pad(size);
}

/* Write the test archive into buf (big enough); return its size. */
static size_t make_archive(char *buf)
{
	size_t at = 0;

	for (size_t i = 0; i < NFILES; i++)
		at = put_entry(buf, at, files[i].name, files[i].mode,
			       files[i].data, file_size(i), (uint32_t)i + 1);
	return put_entry(buf, at, "TRAILER!!!", 0, "", 0, 0);
}

static void test_roundtrip(void **state)
{
	static char buf[4096];
	size_t size = make_archive(buf), pos = 0;
	struct cpio_entry e;

	(void)state;
	assert_int_equal(size % 4, 0);
	for (size_t i = 0; i < NFILES; i++) {
		assert_int_equal(cpio_next(buf, size, &pos, &e), 1);
		assert_string_equal(e.name, files[i].name);
		assert_int_equal(e.namelen, strlen(files[i].name));
		assert_int_equal(e.mode, files[i].mode);
		assert_int_equal(e.mtime, 1700000000);
		assert_int_equal(e.nlink,
				 (files[i].mode & 0170000) == 040000 ? 2 : 1);
		assert_int_equal(e.size, file_size(i));
		assert_memory_equal(e.data, files[i].data, file_size(i));
		assert_int_equal(pos % 4, 0);
	}
	assert_int_equal(cpio_next(buf, size, &pos, &e), 0);
	assert_int_equal(cpio_next(buf, size, &pos, &e), 0);
}

/* A header written by hand, as GNU cpio -H newc does (uppercase hex too). */
static void test_foreign_header(void **state)
{
	static const char arc[] = "070701"
				  "00000001"
				  "000081A4"
				  "000003E8"
				  "000003E8"
				  "00000001"
				  "5F5E1000"
				  "00000003"
				  "00000000"
				  "00000000"
				  "00000000"
				  "00000000"
				  "00000002"
				  "00000000"
				  "x\0"
				  "hi\n\0"
				  "070701"
				  "00000000"
				  "00000000"
				  "00000000"
				  "00000000"
				  "00000001"
				  "00000000"
				  "00000000"
				  "00000000"
				  "00000000"
				  "00000000"
				  "00000000"
				  "0000000B"
				  "00000000"
				  "TRAILER!!!\0"
				  "\0\0\0";
	struct cpio_entry e;
	size_t pos = 0;

	(void)state;
	assert_int_equal(cpio_next(arc, sizeof(arc) - 1, &pos, &e), 1);
	assert_string_equal(e.name, "x");
	assert_int_equal(e.mode, 0100644);
	assert_int_equal(e.uid, 1000);
	assert_int_equal(e.gid, 1000);
	assert_int_equal(e.size, 3);
	assert_memory_equal(e.data, "hi\n", 3);
	assert_int_equal(pos, 116);
	assert_int_equal(cpio_next(arc, sizeof(arc) - 1, &pos, &e), 0);
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(cpio_pad(0), 0);
	assert_int_equal(cpio_pad(1), 3);
	assert_int_equal(cpio_pad(4), 0);
	assert_int_equal(cpio_pad(7), 1);
	assert_int_equal(cpio_header_size(0), 112);
	assert_int_equal(cpio_header_size(1), 112);
	assert_int_equal(cpio_header_size(2), 116);
	assert_int_equal(cpio_header_size(10), 124);
}

/* Walk the whole archive; return the number of entries, or -1. */
static int walk(const void *buf, size_t size)
{
	struct cpio_entry e;
	size_t pos = 0;
	int n = 0, r;

	while ((r = cpio_next(buf, size, &pos, &e)) == 1) {
		const char *lo = buf, *hi = lo + size;

		assert_true(e.name >= lo && e.name + e.namelen < hi);
		assert_int_equal(e.name[e.namelen], '\0');
		assert_int_equal(strlen(e.name), e.namelen);
		assert_true((const char *)e.data >= lo);
		assert_true(e.size <= (size_t)(hi - (const char *)e.data));
		assert_true(pos <= size);
		n++;
	}
	return r < 0 ? -1 : n;
}

/*
 * Every prefix of a valid archive that cuts before the trailer's name ends
 * is rejected; the trailer's own padding may be missing.
 */
static void test_truncation(void **state)
{
	static char buf[4096];
	size_t size = make_archive(buf);
	size_t whole = size - 3; /* the trailer name's NUL is at size - 4 */

	(void)state;
	assert_int_equal(walk(buf, size), (int)NFILES);
	for (size_t len = 0; len < size; len++) {
		char *copy = malloc(len ? len : 1);

		memcpy(copy, buf, len);
		assert_int_equal(walk(copy, len),
				 len >= whole ? (int)NFILES : -1);
		free(copy);
	}
}

/* Overwrite 8 characters of field f (0 = ino) of the first header. */
static int walk_with_field(int field, const char *val)
{
	static char buf[4096];
	size_t size = make_archive(buf);

	memcpy(buf + 6 + 8 * field, val, 8);
	return walk(buf, size);
}

static void test_corrupt_fields(void **state)
{
	static char buf[4096];
	size_t size = make_archive(buf), pos;
	struct cpio_entry e;

	(void)state;
	assert_int_equal(walk_with_field(1, "0000zz00"), -1); /* mode not hex */
	assert_int_equal(walk_with_field(6, "ffffffff"), -1); /* filesize */
	assert_int_equal(walk_with_field(6, "-0000001"), -1);
	assert_int_equal(walk_with_field(11, "00000000"), -1); /* namesize 0 */
	assert_int_equal(walk_with_field(11, "00000002"), -1); /* NUL missing */
	assert_int_equal(walk_with_field(11, "00001001"), -1); /* > PATH_MAX */
	assert_int_equal(walk_with_field(11, "ffffffff"), -1);
	assert_int_equal(walk_with_field(11, " 0000004"), -1);
	memcpy(buf, "070707", 6); /* old portable format: not newc */
	pos = 0;
	assert_int_equal(cpio_next(buf, size, &pos, &e), -1);
	memcpy(buf, "070702", 6); /* newc with checksum: accepted */
	assert_int_equal(cpio_next(buf, size, &pos, &e), 1);
	pos = 2; /* misaligned position */
	assert_int_equal(cpio_next(buf, size, &pos, &e), -1);
	pos = size + 4;
	assert_int_equal(cpio_next(buf, size, &pos, &e), -1);
	/* A NUL inside the name: namesize says 4, "bin" is 3 + NUL, shrink. */
	buf[110 + 1] = '\0';
	pos = 0;
	assert_int_equal(cpio_next(buf, size, &pos, &e), -1);
}

/*
 * NULs after the name, counted in namesize, put the data on a page
 * boundary (kiln build's large files); the name is still the one written.
 * Anything but NUL after the name's NUL, or a name proper past PATH_MAX,
 * is malformed.
 */
static void test_padded_name(void **state)
{
	static char buf[3 * 4096];
	size_t at, pad, pos;
	struct cpio_entry e;

	(void)state;
	memset(buf, 0, sizeof(buf));
	at = put_entry(buf, 0, "d", 040755, "", 0, 1);
	pad = cpio_name_pad(at, strlen("lib/big.so"), 4096);
	assert_int_equal((at + 110 + 11 + pad) % 4096, 0);
	at += cpio_header_padded(buf + at, "lib/big.so", 0100644, 0, 0, 0, 4096,
				 2, pad);
	assert_int_equal(at, 4096);
	memset(buf + at, 'x', 4096);
	put_entry(buf, at + 4096, "TRAILER!!!", 0, "", 0, 0);
	pos = 0;
	assert_int_equal(walk(buf, sizeof(buf)), 2);
	assert_int_equal(cpio_next(buf, sizeof(buf), &pos, &e), 1);
	assert_int_equal(cpio_next(buf, sizeof(buf), &pos, &e), 1);
	assert_string_equal(e.name, "lib/big.so");
	assert_int_equal(e.namelen, 10);
	assert_ptr_equal(e.data, buf + 4096);
	assert_int_equal(e.size, 4096);
	assert_int_equal(cpio_next(buf, sizeof(buf), &pos, &e), 0);
	/* A byte after the name's NUL that is not NUL: not a name. */
	buf[4000] = 'y';
	assert_int_equal(walk(buf, sizeof(buf)), -1);
	/* The name proper at most PATH_MAX - 1 even when namesize allows more. */
	memset(buf + 112 + 110, 'n', 4096);
	memcpy(buf + 112 + 94, "00001001", 8);
	memset(buf + 112 + 110 + 4096, 0, 1);
	assert_int_equal(walk(buf, sizeof(buf)), -1);
	memcpy(buf + 112 + 94, "00002001", 8); /* namesize past the limit */
	assert_int_equal(walk(buf, sizeof(buf)), -1);
}

/* Seeded random mutations must never crash or read out of bounds. */
static void test_mutations(void **state)
{
	static char buf[4096];
	size_t size = make_archive(buf);
	uint32_t seed = 12345;
	int ok = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = size;
		char *copy;
		int flips = 1 + iter % 8;

		copy = malloc(size);
		memcpy(copy, buf, size);
		for (int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % size;
			seed = seed * 1103515245u + 12345u;
			/* Bias towards hex digits so sizes change, not only magic. */
			copy[at] =
				(seed >> 16) & 1 ?
					"0123456789abcdef"[(seed >> 8) & 15] :
					(char)(seed >> 8);
		}
		if (iter % 5 == 0)
			len = (seed >> 4) % (size + 1);
		if (walk(copy, len) >= 0)
			ok++;
		free(copy);
	}
	/* Some mutations hit only file data: they still parse. */
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_foreign_header),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_corrupt_fields),
		cmocka_unit_test(test_padded_name),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
