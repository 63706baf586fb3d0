/* rootdisk.c - a big root as a read-only ext4 appended to the image (mke2fs -d), or the archive as before. */
/* nftw, which -std=c11 with _DEFAULT_SOURCE leaves out */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln.h"
#include "volume.h"
#include "lib/etc_default.h"

/* ext4 block size: the cache's and the page's. */
#define BLOCK 4096
/* The superblock's s_uuid: 1024 bytes in, at 0x68 (ext4 docs, 3.1). */
#define SB_UUID_OFF (1024 + 0x68)
/* mke2fs tries: the estimate, then each time a quarter more. */
#define MKFS_TRIES 4

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

/* rm -rf dir: nothing of the build is left behind. */
static void remove_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * mke2fs -d dir into file, blocks of 4 KiB and inodes: read-only use,
 * so no journal, no reserved blocks, no room to grow (resize_inode).
 * 0, 1 when it did not fit (the caller tries bigger), or -1 for any
 * other failure, after mke2fs's own lines.
 */
static int run_mke2fs(const char *dir, const char *file, uint64_t blocks,
		      uint64_t inodes)
{
	char nblocks[32], ninodes[32];
	/* execvp takes char *const[] but never writes the strings */
	const char *tool = mke2fs_path();
	char *argv[] = { (char *)(uintptr_t)(tool ? tool : "mke2fs"),
			 (char *)(uintptr_t) "-q",
			 (char *)(uintptr_t) "-F",
			 (char *)(uintptr_t) "-t",
			 (char *)(uintptr_t) "ext4",
			 (char *)(uintptr_t) "-b",
			 (char *)(uintptr_t) "4096",
			 (char *)(uintptr_t) "-I",
			 (char *)(uintptr_t) "256",
			 (char *)(uintptr_t) "-m",
			 (char *)(uintptr_t) "0",
			 (char *)(uintptr_t) "-N",
			 ninodes,
			 (char *)(uintptr_t) "-O",
			 (char *)(uintptr_t) "^has_journal,^resize_inode",
			 (char *)(uintptr_t) "-E",
			 (char *)(uintptr_t) "root_owner=0:0,nodiscard",
			 (char *)(uintptr_t) "-d",
			 (char *)(uintptr_t)dir,
			 (char *)(uintptr_t)file,
			 nblocks,
			 NULL };
	int st, errfd[2];
	char msg[512];
	ssize_t n = 0;
	pid_t pid;

	snprintf(nblocks, sizeof(nblocks), "%llu", (unsigned long long)blocks);
	snprintf(ninodes, sizeof(ninodes), "%llu", (unsigned long long)inodes);
	if (pipe(errfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(errfd[1], 2);
		dup2(errfd[1], 1);
		close(errfd[0]);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(errfd[1]);
	if (pid > 0)
		n = read(errfd[0], msg, sizeof(msg) - 1);
	close(errfd[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	msg[n > 0 ? n : 0] = '\0';
	if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (strstr(msg, "allocate") || strstr(msg, "No space") ||
	    strstr(msg, "too small") || strstr(msg, "Could not"))
		return 1;
	kiln_err("mke2fs failed: %s", msg[0] ? msg : "(no message)");
	return -1;
}

/* The ext4 of fs's disk part into disk, its uuid into uuid: 0 or status. */
static int make_disk(const struct rootfs *fs, struct kbuf *disk,
		     uint8_t uuid[16])
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], file[4200];
	uint64_t blocks, inodes;
	uint8_t *data = NULL;
	size_t size;
	int err, r = 1;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/kiln-root-XXXXXX", tmp);
	if (!mkdtemp(dir))
		return kiln_file_error(dir, -errno);
	snprintf(file, sizeof(file), "%s.ext4", dir);
	kiln_tmp_register(file);
	err = rootfs_export(fs, dir, &blocks, &inodes);
	/* + metadata: the inode table, bitmaps, descriptors; some slack */
	blocks += blocks / 50 + inodes / 16 + 256;
	inodes += 64;
	for (int i = 0; !err && r == 1 && i < MKFS_TRIES; i++) {
		r = run_mke2fs(dir, file, blocks, inodes);
		blocks += blocks / 4;
	}
	if (!err && r)
		err = r == 1 ?
			      (kiln_err("mke2fs: the root does not fit in %llu "
					"blocks",
					(unsigned long long)blocks),
			       KILN_EXIT_FAIL) :
			      KILN_EXIT_FAIL;
	if (!err && (err = kiln_read_file(file, &data, &size)) != 0)
		err = kiln_file_error(file, err);
	if (!err && (size < SB_UUID_OFF + 16 || size % BLOCK)) {
		kiln_err("%s: not the ext4 mke2fs was asked for", file);
		err = KILN_EXIT_FAIL;
	}
	if (!err) {
		memcpy(uuid, data + SB_UUID_OFF, 16);
		kbuf_append(disk, data, size);
	}
	free(data);
	unlink(file);
	kiln_tmp_forget(file);
	remove_tree(dir);
	return err;
}

/*
 * The kernel's /etc defaults (lib/etc_default.h) that an /etc on the
 * disk lacks: the kernel cannot add them to a read-only /etc at boot.
 */
static int add_etc_defaults(struct rootfs *fs)
{
	static const char *const files[][2] = {
		{ "/etc/hosts", ETC_DEFAULT_HOSTS },
		{ "/etc/passwd", ETC_DEFAULT_PASSWD },
		{ "/etc/group", ETC_DEFAULT_GROUP },
	};
	int err = 0;

	if (!S_ISDIR(rootfs_mode(fs, "/etc")))
		return 0; /* the kernel makes /etc in memory, with them */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !err; i++)
		if (!rootfs_mode(fs, files[i][0]))
			err = rootfs_add_data(fs, files[i][0], S_IFREG | 0644,
					      files[i][1], strlen(files[i][1]));
	return err;
}

int build_pack(const struct kbuf *cfg, struct rootfs *fs, int root_disk,
	       struct kbuf *out)
{
	struct kbuf arc = { 0 }, disk = { 0 };
	uint8_t uuid[16];
	int err = 0;

	/*
	 * mke2fs -d copies the owners of the host files, which only root
	 * can give away: otherwise every file would be the builder's.
	 */
	if (root_disk == ROOT_DISK_AUTO)
		root_disk = rootfs_bytes(fs) >= ROOT_DISK_THRESHOLD &&
					    geteuid() == 0 ?
				    ROOT_DISK_YES :
				    ROOT_DISK_NO;
	if (root_disk == ROOT_DISK_YES && geteuid() != 0) {
		kiln_err("--root-disk: needs root (the files' owners are "
			 "kept as mke2fs -d copies them)");
		return KILN_EXIT_FAIL;
	}
	if (root_disk == ROOT_DISK_YES) {
		err = add_etc_defaults(fs);
		rootfs_archive_rest(fs, &arc);
		if (!err)
			err = make_disk(fs, &disk, uuid);
	} else {
		rootfs_archive(fs, &arc);
	}
	if (!err)
		err = build_assemble(cfg, &arc, disk.len ? &disk : NULL, uuid,
				     out);
	kbuf_free(&arc);
	kbuf_free(&disk);
	return err;
}
