/* volume_test.c - named volumes' names, sizes, directory and lock test (cli/volume.c). */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "volume.h"

static void test_names(void **state)
{
	static const char *const good[] = { "a", "db", "my_vol.1-x", "0",
					    "A9" };
	static const char *const bad[] = { "",	  ".x",	 "_x",	"-x",
					   "a/b", "a b", "a:b", "..",
					   "é",	  "a@b", "x\n" };
	char longest[VOLUME_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(volume_name_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(volume_name_ok(bad[i]));
	memset(longest, 'v', sizeof(longest));
	longest[VOLUME_NAME_MAX] = '\0';
	assert_true(volume_name_ok(longest));
	longest[VOLUME_NAME_MAX] = 'v';
	longest[VOLUME_NAME_MAX + 1] = '\0';
	assert_false(volume_name_ok(longest));
}

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "1K", 1024 },
		{ "8M", 8ULL << 20 },
		{ "1G", 1ULL << 30 },
		{ "2g", 2ULL << 30 },
		{ "3GiB", 3ULL << 30 },
		{ "16T", 16ULL << 40 },
		{ "5MB", 5ULL << 20 },
	};
	static const char *const bad[] = { "",
					   "G",
					   "-1",
					   "1X",
					   "1GG",
					   "1Gb",
					   " 1",
					   "1 ",
					   "1.5G",
					   "99999999999999999999",
					   "17179869184T" };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(volume_parse_size(good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(volume_parse_size(bad[i], &v), -EINVAL);
}

static void test_root(void **state)
{
	char dir[] = "/tmp/volume_test.XXXXXX", out[4096], want[4200];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("XDG_DATA_HOME", dir, 1);
	assert_int_equal(volume_root(out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/kiln/volumes", dir);
	assert_string_equal(out, want);
	assert_int_equal(stat(out, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A relative XDG_DATA_HOME is ignored: HOME's .local/share. */
	setenv("XDG_DATA_HOME", "rel", 1);
	setenv("HOME", dir, 1);
	assert_int_equal(volume_root(out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/.local/share/kiln/volumes", dir);
	assert_string_equal(out, want);
	assert_int_equal(volume_path("none", out, sizeof(out)), -ENOENT);
	snprintf(want, sizeof(want),
		 "rm -rf '%s/kiln' '%s/.local' && rmdir '%s'", dir, dir, dir);
	assert_int_equal(system(want), 0);
}

/* Take a shared OFD lock on byte off of fd, as QEMU's file-posix does. */
static void qemu_lock(int fd, off_t off)
{
	struct flock fl = { .l_type = F_RDLCK,
			    .l_whence = SEEK_SET,
			    .l_start = off,
			    .l_len = 1 };

	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
}

static void test_locked(void **state)
{
	char path[] = "/tmp/volume_test_img.XXXXXX";
	int fd = mkstemp(path), reader, writer;

	(void)state;
	assert_true(fd >= 0);
	assert_false(volume_locked(path, 1));
	assert_false(volume_locked(path, 0));
	/* A read-only QEMU: uses consistent-read, shares nothing but reads. */
	reader = open(path, O_RDONLY);
	qemu_lock(reader, 100 + 0);
	qemu_lock(reader, 200 + 1);
	assert_true(volume_locked(path, 1));
	assert_false(volume_locked(path, 0));
	close(reader);
	assert_false(volume_locked(path, 1));
	/* A read-write QEMU: uses write (byte 101); refuses all. */
	writer = open(path, O_RDWR);
	qemu_lock(writer, 100 + 0);
	qemu_lock(writer, 100 + 1);
	qemu_lock(writer, 200 + 1);
	assert_true(volume_locked(path, 1));
	assert_true(volume_locked(path, 0));
	close(writer);
	assert_false(volume_locked(path, 0));
	assert_false(volume_locked("/nonexistent/volume.img", 1));
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_locked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
