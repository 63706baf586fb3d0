/* run_disk.c - `kiln run --disk FILE[:GUESTDIR][:ro]`: host files as the guest's virtio-blk disks, ext4 ones mounted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

/*
 * cache=writeback is QEMU's default, named so it cannot drift: the host
 * page cache holds writes, the guest sees a volatile write cache
 * (VIRTIO_BLK_F_FLUSH), and each FLUSH the guest sends becomes an
 * fdatasync of the file. What an app fsync'd is then on the host's disk,
 * without making every write synchronous (cache=directsync would).
 */
#define DRIVE_OPTS "if=none,format=raw,cache=writeback,discard=unmap"

/* Append s to out, each ',' doubled: QEMU's escape inside option values. */
static void put_escaped(struct kbuf *out, const char *s)
{
	for (; *s; s++) {
		kbuf_append(out, s, 1);
		if (*s == ',')
			kbuf_append(out, ",", 1);
	}
}

/* Why path cannot be a disk, or NULL: one line's worth. */
static const char *unusable(const char *path, int ro)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return strerror(errno);
	if (S_ISDIR(st.st_mode))
		return "is a directory, not a disk image";
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return "not a regular file or block device";
	if (access(path, ro ? R_OK : R_OK | W_OK) < 0)
		return strerror(errno);
	return NULL;
}

/* Add "vdX:DIR[:ro]" to kiln.mount=... */
static void add_mount(struct run_args *ra, const char *dir, int ro)
{
	size_t n = strlen(ra->mounts);

	snprintf(ra->mounts + n, sizeof(ra->mounts) - n, "%svd%c:%s%s",
		 n ? "," : "kiln.mount=", (char)('a' + ra->disks.n), dir,
		 ro ? ":ro" : "");
	ra->vm.mounts = ra->mounts;
}

int run_disk_add(struct run_args *ra, const char *spec)
{
	size_t len = strlen(spec);
	int ro = len > 3 && !strcmp(spec + len - 3, ":ro");
	struct kbuf drive = { 0 };
	char *path, *dir, head[128];
	const char *why;
	int err;

	if (ra->disks.n >= RUN_MAX_DISKS)
		return kiln_usage_error("run", "too many --disk (8 at most)",
					spec);
	path = kiln_xmalloc(len + 1);
	memcpy(path, spec, len + 1);
	if (ro)
		path[len - 3] = '\0';
	/* FILE:/GUESTDIR: a ':' followed by an absolute path. */
	dir = strrchr(path, ':');
	if (dir != NULL && dir[1] == '/')
		*dir++ = '\0';
	else
		dir = NULL;
	if (!path[0]) {
		free(path);
		return kiln_usage_error(
			"run", "--disk wants FILE[:GUESTDIR][:ro], not", spec);
	}
	if (dir != NULL && (why = volume_dir_error(dir)) != NULL) {
		free(path);
		return kiln_usage_error("run", why, spec);
	}
	if (dir != NULL && (err = run_disk_dir_add(ra, dir, spec)) != 0) {
		free(path);
		return err;
	}
	why = unusable(path, ro);
	if (why) {
		kiln_err("%s: %s", path, why);
		free(path);
		return KILN_EXIT_FAIL;
	}
	snprintf(head, sizeof(head),
		 "id=disk%zu," DRIVE_OPTS "%s,file=", ra->disks.n,
		 ro ? ",readonly=on" : "");
	kbuf_append(&drive, head, strlen(head));
	put_escaped(&drive, path);
	kbuf_append(&drive, "", 1);
	if (dir != NULL)
		add_mount(ra, dir, ro);
	strvec_push(&ra->disks, (const char *)drive.data);
	kbuf_free(&drive);
	free(path);
	ra->vm.disks = (const char *const *)ra->disks.v;
	ra->vm.ndisks = (int)ra->disks.n;
	return 0;
}

int run_disk_root(struct run_args *ra, const struct kiln_rootdisk *rd,
		  const char *file)
{
	struct kbuf drive = { 0 };
	char head[160];

	if (ra->disks.n >= RUN_MAX_DISKS)
		return kiln_usage_error("run",
					"too many --disk for an image with a "
					"root disk (7 at most)",
					NULL);
	/* offset and size are the raw format driver's (QEMU's raw-format.c) */
	snprintf(head, sizeof(head),
		 "id=root,if=none,format=raw,readonly=on,cache=writeback,"
		 "offset=%llu,size=%llu,file=",
		 (unsigned long long)rd->offset, (unsigned long long)rd->size);
	kbuf_append(&drive, head, strlen(head));
	put_escaped(&drive, file);
	kbuf_append(&drive, "", 1);
	free(ra->root_drive);
	ra->root_drive = (char *)drive.data;
	ra->vm.root_drive = ra->root_drive;
	return 0;
}
