/* kiln.h - internal interfaces of the `kiln` host tool (build, run, inspect). */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <kiln/exit.h>
#include <kiln/image.h>

/*
 * Errors: one convention for all of cli/ (this header, run.h, vm.h). A
 * function that can fail returns 0 on success, and on failure either
 *  - a negative errno, having printed nothing: a quiet helper (kiln_read_*,
 *    kiln_write_atomic, image_open, image_assemble, rootfs_lookup,
 *    vm_boot). -ENOEXEC is a file in a format it refuses, with *why naming
 *    the fault ("bad magic"). The caller, which knows what the file was
 *    for, writes the line; or
 *  - a positive exit status (a KILN_EXIT_* of <kiln/exit.h>), having
 *    printed the one line that explains it: "kiln: FILE: what is wrong"
 *    (kiln_err, kiln_file_error, image_report), or "kiln CMD: ...; see
 *    'kiln CMD --help'" for a bad command line (kiln_usage_error).
 *    Callers pass it up unchanged, to main's return.
 * So the sign says whether the line is still owed. Out of memory is not
 * returned: kiln_xmalloc, kiln_xrealloc, kbuf_* and strvec_push print it,
 * remove the temp files and exit with KILN_EXIT_FAIL. No failure leaves
 * a temp file or a half-written image behind (kiln_tmp_*, below).
 */

/* ---- util.c: messages, buffers, files ---- */

/* Print "kiln: " + the message + newline on stderr. */
void kiln_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a quiet function's -errno about path; returns KILN_EXIT_FAIL. */
int kiln_file_error(const char *path, int err);

/* A growable byte buffer; all-zero is empty. Allocation failure exits. */
struct kbuf {
	uint8_t *data;
	size_t len, cap;
};
void kbuf_reserve(struct kbuf *b, size_t more);
void kbuf_append(struct kbuf *b, const void *p, size_t n);
void kbuf_zeros(struct kbuf *b, size_t n);
void kbuf_align(struct kbuf *b, size_t align); /* zero-pad len to align */
void kbuf_free(struct kbuf *b);

/* A growable list of strings (owned copies). */
struct strvec {
	char **v;
	size_t n;
};
void strvec_push(struct strvec *sv, const char *s);
void strvec_free(struct strvec *sv);
/* The value of KEY in env (KEY=VALUE strings), or NULL. */
const char *strvec_env(const struct strvec *env, const char *key);

/*
 * Read a whole file into a page-aligned buffer (so ELF and bundle headers
 * inside it can be read in place). Returns 0, or -errno with nothing
 * allocated. Also works on pipes (stdin). Input is bounded: -EFBIG for
 * KILN_READ_MAX bytes or more (an endless stream ends there); kiln_read_file
 * takes only regular files and FIFOs, and gives -ENODEV for a device or
 * a socket (found by stat, before any open), which kiln_file_error
 * reports as "not a regular file or FIFO".
 */
#define KILN_READ_MAX (1ULL << 30)
int kiln_read_file(const char *path, uint8_t **data, size_t *size);
int kiln_read_fd(int fd, uint8_t **data, size_t *size);

/*
 * Allocation that cannot fail: without memory they call
 * kiln_out_of_memory, which says so, removes the temporary files
 * (kiln_tmp_cleanup) and exits KILN_EXIT_FAIL. Also for a library's
 * allocation failing (curl_easy_escape).
 */
_Noreturn void kiln_out_of_memory(void);
void *kiln_xmalloc(size_t n);
void *kiln_xrealloc(void *p, size_t n);
char *kiln_xstrdup(const char *s);

/*
 * Temporary files: kiln_tmp_register remembers a path so kiln_tmp_cleanup
 * unlinks it; kiln_tmp_forget drops it once renamed or removed. Every way
 * out calls kiln_tmp_cleanup: main after the command, out-of-memory exits,
 * and the handler kiln_tmp_catch_signals installs for SIGINT, SIGTERM and
 * SIGHUP (it is async-signal-safe; `kiln run` replaces the handler with
 * one that also stops QEMU).
 */
void kiln_tmp_register(const char *path);
void kiln_tmp_forget(const char *path);
void kiln_tmp_cleanup(void);
void kiln_tmp_catch_signals(void);

/*
 * Write data to path atomically: a temp file in the same directory,
 * fsync'd, then renamed over path. Returns 0, or -errno with nothing left
 * behind.
 */
int kiln_write_atomic(const char *path, const void *data, size_t size);
/* The first line of dir/file, without its newline, into buf ("" when missing). */
void kiln_read_line(const char *dir, const char *file, char *buf, size_t n);
/* All of data to fd, through short writes and EINTR; 0 or -errno. */
int kiln_write_all(int fd, const void *data, size_t size);

/* ---- image.c: Kiln images on disk ---- */

/* A bundle under construction: its sections in order. */
struct bundle_parts {
	const void *data[KILN_MAX_SECTIONS];
	size_t size[KILN_MAX_SECTIONS];
	uint32_t type[KILN_MAX_SECTIONS];
	int n;
};
/* Add a section; more than KILN_MAX_SECTIONS is a bug here: abort(). */
void parts_add(struct bundle_parts *p, uint32_t type, const void *data,
	       size_t size);

/* An image read into memory and checked. */
struct kiln_image {
	uint8_t *file; /* the whole file, page-aligned */
	size_t size;
	size_t bundle_off; /* file offset of the bundle (the kernel's size) */
	const struct kiln_bundle *bundle;
	const void *config, *rootfs, *stdin_data;
	size_t config_size, rootfs_size, stdin_size;
	/* the root disk's place in the file (checked), when it has one */
	struct kiln_rootdisk rootdisk;
	int has_rootdisk;
	int mapped; /* file is a read-only mapping (image_map) */
};

/*
 * image_open: read and check path (quiet). Returns 0; or -errno from
 * reading it; or -ENOEXEC with *why naming what is wrong with the file
 * ("bad magic", "truncated", "checksum mismatch", ...).
 */
int image_open(const char *path, struct kiln_image *img, const char **why);
/* The same for an image in memory (8-aligned); takes ownership of data. */
int image_from_buffer(uint8_t *data, size_t size, struct kiln_image *img,
		      const char **why);
/*
 * image_check_fd: the same checks of the image file open on fd, mapped
 * and unmapped again (the root disk is never read): 0, -errno, or
 * -ENOEXEC with *why.
 */
int image_check_fd(int fd, const char **why);
/*
 * image_map: image_open's checks with the file mapped read-only, not
 * read: only what is used is paged in (a big root disk is not); the
 * same returns. image_close unmaps it.
 */
int image_map(const char *path, struct kiln_image *img, const char **why);
void image_close(struct kiln_image *img);
/* Report image_open's failure: "kiln: PATH: not a Kiln image (WHY)". */
int image_report(const char *path, int err, const char *why);

/*
 * image_assemble: a kernel + a bundle of parts -> a complete image in *out.
 * kernel[0..kernel_size) holds the ELF header and program headers; its
 * first keep bytes are copied. For kernel.elf keep = kernel_size; for an
 * existing image keep = its bundle offset and drop_last = 1 drops the old
 * bundle's PT_LOAD. Quiet: returns 0, or -ENOEXEC with *why set for an
 * unusable kernel.
 */
int image_assemble(const uint8_t *kernel, size_t kernel_size, size_t keep,
		   int drop_last, const struct bundle_parts *parts,
		   struct kbuf *out, const char **why);

/*
 * The guest-physical address where the last loaded segment of the image
 * file[0..size) ends (what its RAM must hold), or 0 when its headers are
 * not those of a checked image.
 */
uint64_t image_load_end(const uint8_t *file, size_t size);

/* "Kiln 0.1.0"-style version string found in the kernel bytes, or NULL. */
const char *image_kernel_version(const struct kiln_image *img, char *buf,
				 size_t n);

/* ---- rootfs.c: the root file system archive ---- */

struct rootfs;
struct rootfs *rootfs_new(void);
void rootfs_free(struct rootfs *fs);
/* Add things; each returns 0, or the exit status after one error line. */
int rootfs_add_dir(struct rootfs *fs, const char *guest, uint32_t mode);
int rootfs_add_data(struct rootfs *fs, const char *guest, uint32_t mode,
		    const void *data, size_t size);
int rootfs_add_host(struct rootfs *fs, const char *host, const char *guest);
int rootfs_add_tree(struct rootfs *fs, const char *hostdir, const char *guest);
/* A symlink guest -> target; 0 too when that same link is there already. */
int rootfs_add_symlink(struct rootfs *fs, const char *guest,
		       const char *target);
/* Set the owner of what is at guest (nothing happens if nothing is). */
void rootfs_set_owner(struct rootfs *fs, const char *guest, uint32_t uid,
		      uint32_t gid);
/* What is at guest (absolute) so far: its st_mode, or 0 when nothing is. */
uint32_t rootfs_mode(const struct rootfs *fs, const char *guest);
/* A regular file's contents (8-aligned, owned by fs), or NULL. */
const uint8_t *rootfs_data(const struct rootfs *fs, const char *guest,
			   size_t *size);
/* A symlink's target into buf (n bytes): 1, or 0 if no link or too long. */
int rootfs_readlink(const struct rootfs *fs, const char *guest, char *buf,
		    size_t n);
/* Push the absolute guest path of every regular file so far onto out. */
void rootfs_regular_files(const struct rootfs *fs, struct strvec *out);
/* Serialize as a newc cpio archive (sorted, parents first) into out. */
void rootfs_archive(const struct rootfs *fs, struct kbuf *out);
/*
 * With a root disk (cli/rootdisk.c): the archive of what stays in
 * memory (top-level files and symlinks, /dev, /proc, /tmp), and the rest
 * made under hostdir, owned by the builder, with the debugfs commands
 * that give the disk's inodes their owners, modes and times (0) into
 * script, a uuid hashed from the contents, and the 4 KiB blocks and
 * inodes it needs, roughly. 0, or the exit status after one line.
 */
void rootfs_archive_rest(const struct rootfs *fs, struct kbuf *out);
int rootfs_export(const struct rootfs *fs, const char *hostdir, FILE *script,
		  uint8_t uuid[16], uint64_t *blocks, uint64_t *inodes);
/* Bytes of file data and symlink targets. */
uint64_t rootfs_bytes(const struct rootfs *fs);
/* Find guest path (absolute) in an archive: 0 with the entry, or -ENOENT. */
int rootfs_lookup(const void *archive, size_t size, const char *path,
		  const void **data, size_t *len, uint32_t *mode);

/* ---- config.c: the CONFIG section ---- */

struct kiln_config {
	char *program;
	struct strvec argv, env;
	char *workdir;
	char *net; /* KILN_CFG_NET words, or NULL */
	struct strvec
		libs; /* KILN_CFG_LIBRARY values (where libraries came from) */
	char *user;   /* KILN_CFG_USER "UID:GID", or NULL (root) */
	char *from;   /* KILN_CFG_FROM, or NULL */
	struct strvec ports, volumes;
};
/* Most VOLUME entries an image may hold. */
#define KILN_CFG_MAX_VOLUMES 64
/*
 * Why dir cannot be a volume's mount point (absolute, not /, at most
 * 255 bytes, no ',' ':' quotes or spaces, no . or .. parts), or NULL.
 */
const char *volume_dir_error(const char *dir);
/* Most LIBRARY entries an image may hold. */
#define KILN_CFG_MAX_LIBS 4096
/*
 * Each returns 0, or the exit status after one error line. config_parse
 * reads a CONFIG section (the line names name); config_setenv sets
 * KEY=VALUE in c->env, replacing an existing KEY in place; config_write
 * serializes (too many or too long values fail).
 */
int config_parse(const char *name, const void *cfg, size_t size,
		 struct kiln_config *c);
int config_setenv(struct kiln_config *c, const char *kv);
int config_write(const struct kiln_config *c, struct kbuf *out);
void config_free(struct kiln_config *c);

/* ---- build.c / program.c: from a program to an image ---- */

/* What `kiln build` puts into an image. */
struct build_spec {
	const char *program; /* host path */
	struct strvec args;  /* argv[1..] */
	struct strvec files; /* HOST:GUEST */
	struct strvec dirs;  /* HOSTDIR:GUESTDIR */
	struct strvec env;   /* K=V */
	const char *workdir;
	const char *net;       /* KILN_CFG_NET words (checked), or NULL */
	struct strvec volumes; /* --volume DIR */
	int no_libs;	       /* --no-libraries: no closure */
	int root_disk;	       /* ROOT_DISK_*: --root-disk, --no-root-disk */
};

/*
 * Where the root goes (cli/rootdisk.c): in the bundle's archive, loaded
 * into memory at boot, or on a read-only ext4 appended to the image
 * (docs/storage.md, "Root on a disk"). AUTO: on a disk from
 * ROOT_DISK_THRESHOLD bytes of files.
 */
enum { ROOT_DISK_AUTO = 0, ROOT_DISK_YES = 1, ROOT_DISK_NO = 2 };
#define ROOT_DISK_THRESHOLD (16ULL << 20)

/*
 * Each returns 0, or the exit status after one error line. program_load
 * reads program and refuses what Kiln cannot run; on success *elf and
 * *size hold the file (free it). kernel_path locates the kernel:
 * $KILN_KERNEL, else kernel.elf next to the kiln binary. build_image
 * puts the whole image for spec in *out.
 */
int program_load(const char *path, uint8_t **elf, size_t *size);
int kernel_path(char *buf, size_t n);
int build_image(const struct build_spec *spec, struct kbuf *out);
/*
 * The kernel + cfg + the root archive arc into a whole image in out;
 * with disk (else NULL), that ext4 of the given uuid appended as the
 * root disk.
 */
int build_assemble(const struct kbuf *cfg, const struct kbuf *arc,
		   const struct kbuf *disk, const uint8_t uuid[16],
		   struct kbuf *out);
/* fs as root_disk (ROOT_DISK_*) says, then build_assemble: 0 or status. */
int build_pack(const struct kbuf *cfg, struct rootfs *fs, int root_disk,
	       struct kbuf *out);

/* ---- netopts.c: --ip, --gateway, --dns ---- */

/* The values as given (NULL: not given), unchecked. */
struct netopts {
	const char *ip, *gateway, *dns;
};

/*
 * Check o as kernel/lib/netcfg.h would and write its words with prefix
 * ("" for an image, "kiln." for the kernel command line) into buf; buf
 * is "" when no option was given. Returns 0, or the usage-error status
 * after one line naming cmd ("kiln build: bad --ip X (why); see ...").
 */
int netopts_format(const char *cmd, const struct netopts *o, const char *prefix,
		   char *buf, size_t n);

/* ---- commands ---- */

/* Print one usage-error line ("kiln CMD: WHAT ARG; see ..."), return 2. */
int kiln_usage_error(const char *cmd, const char *what, const char *arg);
/* The argument getopt_long just refused (call right after it). */
const char *kiln_bad_option(char **argv);
/* Shell-quote s for display when it needs it, into buf. */
const char *kiln_quote(const char *s, char *buf, size_t n);
int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

#endif
