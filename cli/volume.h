/* volume.h - named volumes: ext4 images kept in the user's data directory (cli/volume.c, cli/volume_cmd.c). */
#ifndef KILN_CLI_VOLUME_H
#define KILN_CLI_VOLUME_H

#include <stddef.h>
#include <stdint.h>

/* `kiln volume create` without --size: 1 GiB, sparse. */
#define VOLUME_DEFAULT_SIZE (1ULL << 30)
/* Below this mke2fs makes a file system too small to be of use. */
#define VOLUME_MIN_SIZE (8ULL << 20)
#define VOLUME_MAX_SIZE (16ULL << 40)
#define VOLUME_NAME_MAX 64

/*
 * A volume NAME is the directory ROOT/NAME holding disk.img (the ext4
 * image QEMU opens) and created (seconds since the epoch). ROOT is
 * $XDG_DATA_HOME/kiln/volumes, else $HOME/.local/share/kiln/volumes.
 */

/*
 * The mke2fs to run (volumes, root disks): on PATH, else Debian's /sbin
 * (not on a user's PATH); NULL when there is none.
 */
const char *mke2fs_path(void);

/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most VOLUME_NAME_MAX. */
int volume_name_ok(const char *name);

/*
 * The volumes' directory into out, made (0700) when missing. 0, or the
 * exit status after one line.
 */
int volume_root(char *out, size_t n);

/*
 * The image of volume name into path. 0 when it exists; -ENOENT when
 * not (nothing printed); else the exit status after one line.
 */
int volume_path(const char *name, char *path, size_t n);

/*
 * Make volume name: a sparse file of size bytes formatted ext4 by
 * mke2fs, its root owned by uid:gid. Made under a temporary name and
 * renamed, so a failure leaves nothing. 0, or the exit status after one
 * line (an existing name is "already exists", status 1).
 */
int volume_create(const char *name, uint64_t size, unsigned uid, unsigned gid);

/*
 * mke2fs -t ext4 on the file path (its size), the root directory owned
 * by uid:gid. 0, or the exit status after one line.
 */
int volume_format(const char *path, unsigned uid, unsigned gid);

/*
 * Whether a running QEMU holds path: QEMU's file-posix driver takes
 * shared OFD locks on bytes 100.. (the permissions it uses) and 200..
 * (those it does not share) of every image it opens. writer: test for
 * any lock at all (a writer shares nothing); else only for a QEMU that
 * writes (byte 100 + BLK_PERM_WRITE). 1 when held, else 0.
 */
int volume_locked(const char *path, int writer);

/* Parse SIZE: bytes, or with K/M/G/T (powers of 1024). 0, or -EINVAL. */
int volume_parse_size(const char *s, uint64_t *out);

int cmd_volume(int argc, char **argv);

#endif
