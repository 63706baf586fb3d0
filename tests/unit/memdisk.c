/* memdisk.c - a block device in memory for the file-system unit tests, loaded from and saved to an image file, and its ext4 mounted. */
#include "memdisk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "fs/ext4.h"

/*
 * e2fsprogs live in /sbin, which a non-root user's PATH (or a bare
 * environment) may lack; every test using this file runs them by name.
 */
__attribute__((constructor)) static void memdisk_path(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s:/usr/sbin:/sbin",
		 path && *path ? path : "/usr/bin:/bin");
	setenv("PATH", buf, 1);
}

static int memdisk_io(struct bcache_dev *d, struct bcache_io *ios, size_t n)
{
	struct memdisk *dk = d->priv;

	for (size_t i = 0; i < n; i++) {
		uint64_t off = ios[i].block * d->block_size;

		ios[i].err = 0;
		if (ios[i].write)
			memcpy(dk->bytes + off, ios[i].buf, ios[i].len);
		else
			memcpy(ios[i].buf, dk->bytes + off, ios[i].len);
	}
	return 0;
}

/* No write cache to flush: a write is in bytes when io returns. */
static const struct bcache_dev_ops memdisk_ops = { memdisk_io, NULL };

static struct memdisk *memdisk_register(uint8_t *bytes, size_t size)
{
	struct memdisk *dk = calloc(1, sizeof(*dk));

	assert_non_null(dk);
	dk->bytes = bytes;
	dk->size = size;
	dk->bc = (struct bcache_dev){ .ops = &memdisk_ops,
				      .priv = dk,
				      .size = size,
				      .block_size = MEMDISK_BS };
	bcache_register(&dk->bc);
	return dk;
}

struct memdisk *memdisk_from(const uint8_t *bytes, size_t size)
{
	uint8_t *copy = malloc(size);

	assert_non_null(copy);
	memcpy(copy, bytes, size);
	return memdisk_register(copy, size);
}

struct memdisk *memdisk_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *bytes;

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	bytes = malloc((size_t)st.st_size);
	assert_non_null(bytes);
	assert_int_equal(fread(bytes, 1, (size_t)st.st_size, f), st.st_size);
	fclose(f);
	return memdisk_register(bytes, (size_t)st.st_size);
}

void memdisk_free(struct memdisk *dk)
{
	bcache_unregister(&dk->bc);
	free(dk->bytes);
	free(dk);
}

void memdisk_save(struct memdisk *dk, const char *path)
{
	FILE *f;

	assert_int_equal(bcache_unregister(&dk->bc), 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(dk->bytes, 1, dk->size, f), dk->size);
	fclose(f);
	free(dk->bytes);
	free(dk);
}

struct ext4_fs *memdisk_mount_rw(struct memdisk *dk)
{
	struct ext4_fs *fs = NULL;

	assert_int_equal(ext4_mount_rw(&dk->bc, "vda", true, 1700000009, &fs),
			 0);
	assert_false(fs->ro);
	return fs;
}

void memdisk_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}
