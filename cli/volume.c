/* volume.c - named volumes on the host: where they live, their names, making one with mke2fs, QEMU's locks on them. */
#define _GNU_SOURCE /* F_OFD_GETLK */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kiln.h"
#include "volume.h"

int volume_name_ok(const char *name)
{
	static const char rest[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t len = strlen(name);

	return len > 0 && len <= VOLUME_NAME_MAX && strchr(rest, name[0]) &&
	       name[0] != '_' && name[0] != '.' && name[0] != '-' &&
	       strspn(name, rest) == len;
}

/* mkdir -p path (new directories 0700). */
static int make_dirs(char *path)
{
	struct stat st;

	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST &&
		    (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
			return kiln_file_error(path, -errno);
		*p = c;
		if (!c)
			return 0;
	}
}

int volume_root(char *out, size_t n)
{
	const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	struct stat st;
	int len;

	/* XDG Base Directory: a relative $XDG_DATA_HOME is to be ignored. */
	if (data && data[0] == '/') {
		len = snprintf(out, n, "%s/kiln/volumes", data);
	} else {
		if (!home || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || home[0] != '/') {
			kiln_err("no home directory to keep volumes in (set "
				 "HOME or XDG_DATA_HOME)");
			return KILN_EXIT_FAIL;
		}
		len = snprintf(out, n, "%s/.local/share/kiln/volumes", home);
	}
	if (len < 0 || (size_t)len >= n) {
		kiln_err("%s: the data directory's path is too long", out);
		return KILN_EXIT_FAIL;
	}
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return make_dirs(out);
}

int volume_path(const char *name, char *path, size_t n)
{
	char root[4096];
	struct stat st;
	int err = volume_root(root, sizeof(root));

	if (err)
		return err;
	snprintf(path, n, "%s/%s/disk.img", root, name);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -ENOENT :
					 kiln_file_error(path, -errno);
	return 0;
}

int volume_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	char *end;
	unsigned long long v;
	const char *u;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		/* strchr finds the terminator too: a NUL must not match. */
		u = (end[0] & ~0x20) ? strchr(units, end[0] & ~0x20) : NULL;
		if (!u ||
		    (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B")))
			return -EINVAL;
		for (long i = 0; i <= u - units; i++) {
			if (v > (~0ULL >> 10))
				return -EINVAL;
			v <<= 10;
		}
	}
	*out = v;
	return 0;
}

const char *mke2fs_path(void)
{
	static const char *const dirs[] = { "/usr/sbin/mke2fs",
					    "/sbin/mke2fs" };
	const char *path = getenv("PATH");
	static char buf[4200];

	while (path && *path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/mke2fs", (int)len, path);
		if (len && access(buf, X_OK) == 0)
			return buf;
		path += len + (path[len] == ':');
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (access(dirs[i], X_OK) == 0)
			return dirs[i];
	return NULL;
}

int volume_format(const char *path, unsigned uid, unsigned gid)
{
	const char *tool = mke2fs_path();
	char owner[64];
	int pid, st;

	if (!tool) {
		kiln_err("mke2fs not found (install e2fsprogs)");
		return KILN_EXIT_FAIL;
	}
	snprintf(owner, sizeof(owner), "root_owner=%u:%u", uid, gid);
	pid = fork();
	if (pid < 0)
		return kiln_file_error("fork", -errno);
	if (pid == 0) {
		/*
		 * 4 KiB blocks whatever the size (mke2fs picks 1 KiB below
		 * 512 MiB): the kernel writes 1 KiB-block ext4 too, but its
		 * cache keeps a page per block (docs/storage.md), so 4 KiB
		 * blocks hold 4 times the data in the same memory, and one
		 * page of a file is one block.
		 */
		execl(tool, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096",
		      "-E", owner, path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return kiln_file_error("waitpid", -errno);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	kiln_err("%s: mke2fs failed (status %d)", path,
		 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return KILN_EXIT_FAIL;
}

/* Remove the half-made volume directory tmp (its two files, then it). */
static void remove_tmp(const char *tmp)
{
	char path[4400];

	snprintf(path, sizeof(path), "%s/disk.img", tmp);
	unlink(path);
	snprintf(path, sizeof(path), "%s/created", tmp);
	unlink(path);
	rmdir(tmp);
}

/* Fill the directory tmp: the sparse image, formatted, and its date. */
static int fill(const char *tmp, uint64_t size, unsigned uid, unsigned gid)
{
	char path[4400], stamp[32];
	int fd, err;

	snprintf(path, sizeof(path), "%s/disk.img", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return kiln_file_error(path, -errno);
	err = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	if (err)
		return kiln_file_error(path, err);
	err = volume_format(path, uid, gid);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/created", tmp);
	snprintf(stamp, sizeof(stamp), "%lld\n", (long long)time(NULL));
	err = kiln_write_atomic(path, stamp, strlen(stamp));
	return err ? kiln_file_error(path, err) : 0;
}

int volume_create(const char *name, uint64_t size, unsigned uid, unsigned gid)
{
	char root[4096], tmp[4200], dst[4400];
	struct stat st;
	int err = volume_root(root, sizeof(root));

	if (err)
		return err;
	snprintf(dst, sizeof(dst), "%s/%s", root, name);
	if (lstat(dst, &st) == 0) {
		kiln_err("%s: a volume of that name already exists", name);
		return KILN_EXIT_FAIL;
	}
	/* A leading '.' keeps the half-made one out of `kiln volume ls`. */
	snprintf(tmp, sizeof(tmp), "%s/.new-%s-%d", root, name, (int)getpid());
	if (mkdir(tmp, 0700) < 0)
		return kiln_file_error(tmp, -errno);
	/* A signal while mke2fs runs: the image goes, an empty dir stays. */
	snprintf(dst, sizeof(dst), "%s/disk.img", tmp);
	kiln_tmp_register(dst);
	err = fill(tmp, size, uid, gid);
	kiln_tmp_forget(dst);
	snprintf(dst, sizeof(dst), "%s/%s", root, name);
	/* rename(2) of a directory onto a non-empty one fails: no race. */
	if (!err && rename(tmp, dst) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			kiln_err("%s: a volume of that name already exists",
				 name);
			err = KILN_EXIT_FAIL;
		} else {
			err = kiln_file_error(dst, -errno);
		}
	}
	if (err)
		remove_tmp(tmp);
	return err;
}

int volume_locked(const char *path, int writer)
{
	/* QEMU's RAW_LOCK_PERM_BASE, and BLK_PERM_WRITE's bit number. */
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC), held;

	if (fd < 0)
		return 0;
	if (writer) {
		fl.l_start = 0;
		fl.l_len = 0; /* the whole file */
	} else {
		fl.l_start = 100 + 1;
		fl.l_len = 1;
	}
	held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}
