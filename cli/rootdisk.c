/* rootdisk.c - a big root as a read-only ext4 appended to the image (mke2fs -d), or the archive as before. */
/* nftw, which -std=c11 with _DEFAULT_SOURCE leaves out */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
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
 * Run argv (its output to msg, cut to size; quiet: only stderr), with E2FSPROGS_FAKE_TIME
 * so that mke2fs and debugfs write no clock into the disk: -1 when it
 * could not run or was killed, else its exit status.
 */
static int run_tool(char *const argv[], bool quiet, char *msg, size_t size)
{
	int st, errfd[2];
	ssize_t n = 0, r;
	pid_t pid;

	if (pipe(errfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(errfd[1], 2);
		dup2(quiet && null >= 0 ? null : errfd[1], 1);
		close(errfd[0]);
		setenv("E2FSPROGS_FAKE_TIME", "1", 1);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(errfd[1]);
	while (pid > 0 &&
	       (r = read(errfd[0], msg + n, size - 1 - (size_t)n)) > 0)
		n += r;
	close(errfd[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	msg[n > 0 ? n : 0] = '\0';
	if (pid < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * mke2fs -d dir into file, blocks of 4 KiB and inodes: read-only use,
 * so no journal, no reserved blocks, no room to grow (resize_inode);
 * uuid and the directory hash seed fixed, so the same root makes the
 * same bytes. 0, 1 when it did not fit (the caller tries bigger), or
 * -1 for any other failure, after mke2fs's own lines.
 */
static int run_mke2fs(const char *dir, const char *file, uint64_t blocks,
		      uint64_t inodes, const char *uuid)
{
	char nblocks[32], ninodes[32], ext[128], msg[512];
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
			 (char *)(uintptr_t) "-U",
			 (char *)(uintptr_t)uuid,
			 (char *)(uintptr_t) "-E",
			 ext,
			 (char *)(uintptr_t) "-d",
			 (char *)(uintptr_t)dir,
			 (char *)(uintptr_t)file,
			 nblocks,
			 NULL };

	snprintf(nblocks, sizeof(nblocks), "%llu", (unsigned long long)blocks);
	snprintf(ninodes, sizeof(ninodes), "%llu", (unsigned long long)inodes);
	snprintf(ext, sizeof(ext), "root_owner=0:0,nodiscard,hash_seed=%s",
		 uuid);
	if (run_tool(argv, false, msg, sizeof(msg)) == 0)
		return 0;
	if (strstr(msg, "allocate") || strstr(msg, "No space") ||
	    strstr(msg, "too small") || strstr(msg, "Could not"))
		return 1;
	kiln_err("mke2fs failed: %s", msg[0] ? msg : "(no message)");
	return -1;
}

/*
 * debugfs -w -f script file: the owners, modes and times rootfs_export
 * wrote down, so no root is needed to give files away. debugfs exits 0
 * whatever its commands did: any line on its stderr but the banner
 * is a failure. 0 or -1.
 */
static int run_debugfs(const char *script, const char *file)
{
	const char *mk = mke2fs_path();
	char tool[4200], msg[1024], *line;
	char *argv[] = { tool,
			 (char *)(uintptr_t) "-w",
			 (char *)(uintptr_t) "-f",
			 (char *)(uintptr_t)script,
			 (char *)(uintptr_t)file,
			 NULL };
	int r;

	/* e2fsprogs installs both in one place */
	snprintf(tool, sizeof(tool), "%s", mk ? mk : "mke2fs");
	snprintf(tool + strlen(tool) - strlen("mke2fs"),
		 sizeof(tool) - strlen(tool) + strlen("mke2fs"), "debugfs");
	r = run_tool(argv, true, msg, sizeof(msg));
	for (line = msg; r == 0 && *line; line += strcspn(line, "\n")) {
		line += *line == '\n';
		if (*line && strncmp(line, "debugfs", 7) != 0)
			r = -1;
	}
	if (r == 0)
		return 0;
	kiln_err("debugfs failed: %s", msg[0] ? msg : "(no message)");
	return -1;
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" of u into out (37 bytes). */
static void uuid_format(const uint8_t u[16], char *out)
{
	for (int i = 0; i < 16; i++)
		out += sprintf(out, "%02x%s", u[i],
			       i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
}

/* The ext4 of fs's disk part into disk, its uuid into uuid: 0 or status. */
static int make_disk(const struct rootfs *fs, struct kbuf *disk,
		     uint8_t uuid[16])
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], file[4200], script[4200], uuid_text[40];
	uint64_t blocks, inodes;
	uint8_t *data = NULL;
	FILE *sf;
	size_t size;
	int err, r = 1;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/kiln-root-XXXXXX", tmp);
	if (!mkdtemp(dir))
		return kiln_file_error(dir, -errno);
	snprintf(file, sizeof(file), "%s.ext4", dir);
	snprintf(script, sizeof(script), "%s.debugfs", dir);
	kiln_tmp_register(file);
	kiln_tmp_register(script);
	sf = fopen(script, "w");
	if (sf == NULL) {
		err = kiln_file_error(script, -errno);
		goto out;
	}
	err = rootfs_export(fs, dir, sf, uuid, &blocks, &inodes);
	if (fclose(sf) != 0 && !err)
		err = kiln_file_error(script, -errno);
	uuid_format(uuid, uuid_text);
	/* + metadata: the inode table, bitmaps, descriptors; some slack */
	blocks += blocks / 50 + inodes / 16 + 256;
	inodes += 64;
	for (int i = 0; !err && r == 1 && i < MKFS_TRIES; i++) {
		r = run_mke2fs(dir, file, blocks, inodes, uuid_text);
		blocks += blocks / 4;
	}
	if (!err && r)
		err = r == 1 ?
			      (kiln_err("mke2fs: the root does not fit in %llu "
					"blocks",
					(unsigned long long)blocks),
			       KILN_EXIT_FAIL) :
			      KILN_EXIT_FAIL;
	if (!err && run_debugfs(script, file) < 0)
		err = KILN_EXIT_FAIL;
	if (!err && (err = kiln_read_file(file, &data, &size)) != 0)
		err = kiln_file_error(file, err);
	if (!err && (size < SB_UUID_OFF + 16 || size % BLOCK)) {
		kiln_err("%s: not the ext4 mke2fs was asked for", file);
		err = KILN_EXIT_FAIL;
	}
	if (!err && memcmp(uuid, data + SB_UUID_OFF, 16) != 0) {
		kiln_err("%s: mke2fs did not take the uuid", file);
		err = KILN_EXIT_FAIL;
	}
	if (!err)
		kbuf_append(disk, data, size);
	free(data);
out:
	unlink(file);
	unlink(script);
	kiln_tmp_forget(file);
	kiln_tmp_forget(script);
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

	/* owners and modes come from debugfs: any user builds the disk */
	if (root_disk == ROOT_DISK_AUTO)
		root_disk = rootfs_bytes(fs) >= ROOT_DISK_THRESHOLD ?
				    ROOT_DISK_YES :
				    ROOT_DISK_NO;
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
