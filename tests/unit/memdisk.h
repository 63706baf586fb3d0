/* memdisk.h - a block device in memory for the file-system unit tests, loaded from and saved to an image file, its ext4 mounted, and the shell commands that make and check those images. */
#ifndef KILN_TESTS_MEMDISK_H
#define KILN_TESTS_MEMDISK_H

#include <stddef.h>
#include <stdint.h>

#include "fs/bcache.h"

#define MEMDISK_BS 4096

struct memdisk {
	struct bcache_dev bc;
	uint8_t *bytes;
	size_t size;
};

/* A registered disk holding a copy of bytes[0, size). Fails the test on error. */
struct memdisk *memdisk_from(const uint8_t *bytes, size_t size);

/* A registered disk holding the whole of the file at path. */
struct memdisk *memdisk_load(const char *path);

/* Unregister (the cache writes back), then free the disk. */
void memdisk_free(struct memdisk *dk);

/*
 * Unregister, which must write back every dirty block without error, save
 * the bytes to path, then free the disk.
 */
void memdisk_save(struct memdisk *dk, const char *path);

struct ext4_fs;

/*
 * dk's ext4 mounted read-write (time of day 1700000009, for the orphan
 * list); fails the test unless the mount succeeds and is not read-only.
 */
struct ext4_fs *memdisk_mount_rw(struct memdisk *dk);

/* Run a shell command (mke2fs, debugfs, e2fsck...); fail the test unless it exits 0. */
void memdisk_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
