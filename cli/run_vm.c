/* run_vm.c - `kiln run` steps: the temporary image, the boot, and what the status means. */
#define _GNU_SOURCE /* O_TMPFILE, mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "lib/elf.h"

#define QEMU_NAME "qemu-system-x86_64"
/*
 * The app did not stop in time and the VM was ended: 128+SIGKILL, as
 * docker reports a container its stop had to kill.
 */
#define RUN_EXIT_KILLED 137

/*
 * A file with no name in dir: O_TMPFILE (the storage a named temp file
 * would use), else a mkstemp name unlinked at once (file systems without
 * O_TMPFILE). The fd, above stdio and close-on-exec, or -errno.
 */
static int tmp_open(const char *dir)
{
	char path[4096];
	int fd, high, err;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/kiln-run-XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -errno;
		unlink(path);
	}
	/* QEMU's stdio are set up over 0-2: the image must not be one. */
	if (fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	err = -errno;
	close(fd);
	return high >= 0 ? high : err;
}

/*
 * Write data to a temp file without a name and boot it: QEMU inherits
 * the fd and opens "/dev/fd/N" (vm_opts.image_fd). Neither kiln nor QEMU
 * ending, by SIGKILL or otherwise, can leave the file behind. The fd
 * stays open for a restart until run_tmp_close. 0, or the status after
 * one line.
 */
static int write_tmp(struct run_args *ra, const void *data, size_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd, err;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = tmp_open(dir);
	err = fd < 0 ? fd : kiln_write_all(fd, data, size);
	if (err) {
		if (fd >= 0)
			close(fd);
		kiln_err("%s: cannot write the temporary image (%s)", dir,
			 strerror(-err));
		return KILN_EXIT_FAIL;
	}
	snprintf(ra->tmp_image, sizeof(ra->tmp_image), "/dev/fd/%d", fd);
	ra->vm.image = ra->tmp_image;
	ra->vm.image_fd = fd;
	return 0;
}

void run_tmp_close(struct run_args *ra)
{
	if (ra->vm.image_fd > 2)
		close(ra->vm.image_fd);
	ra->vm.image_fd = 0;
	ra->tmp_image[0] = '\0';
}

static void apply_args(struct run_args *ra, struct kiln_config *cfg)
{
	struct strvec argv = { 0 };

	if (ra->have_args) {
		strvec_push(&argv, cfg->argv.n ? cfg->argv.v[0] : cfg->program);
		for (size_t i = 0; i < ra->args.n; i++)
			strvec_push(&argv, ra->args.v[i]);
		strvec_free(&cfg->argv);
		cfg->argv = argv;
	}
}

/*
 * An image read from a FIFO has no file QEMU could read its root disk
 * from: the disk's bytes follow the temporary image, page-aligned, and
 * the record in its bundle says so. The record goes in parts (by
 * pointer) before the image is assembled; the offset is fixed after.
 */
static int write_tmp_with_disk(struct run_args *ra,
			       const struct kiln_image *img,
			       struct kiln_rootdisk *rd, struct kbuf *out)
{
	static const uint8_t zero[KILN_BUNDLE_ALIGN];
	int err = write_tmp(ra, out->data, out->len), werr;

	if (err)
		return err;
	werr = kiln_write_all(ra->vm.image_fd, zero, rd->offset - out->len);
	if (!werr)
		werr = kiln_write_all(ra->vm.image_fd,
				      img->file + img->rootdisk.offset,
				      (size_t)rd->size);
	if (werr) {
		kiln_err("cannot write the temporary image's root disk (%s)",
			 strerror(-werr));
		return KILN_EXIT_FAIL;
	}
	return run_disk_root(ra, rd, ra->tmp_image);
}

/* The image with this run's config and stdin, assembled into out. */
static int assemble(struct run_args *ra, const struct kiln_image *img,
		    const struct kbuf *cfgbuf, const void *in, size_t in_size,
		    struct kiln_rootdisk *rd, struct kbuf *out)
{
	struct bundle_parts parts = { 0 };
	const char *why;
	int err;

	parts_add(&parts, KILN_SECTION_CONFIG, cfgbuf->data, cfgbuf->len);
	parts_add(&parts, KILN_SECTION_ROOTFS, img->rootfs, img->rootfs_size);
	if (img->has_rootdisk)
		parts_add(&parts, KILN_SECTION_ROOTDISK, rd, sizeof(*rd));
	if (!ra->vm.tty_stdin && !ra->vm.stream_stdin)
		parts_add(&parts, KILN_SECTION_STDIN, in, in_size);
	else if (img->stdin_data)
		parts_add(&parts, KILN_SECTION_STDIN, img->stdin_data,
			  img->stdin_size);
	err = image_assemble(img->file, img->size, img->bundle_off, 1, &parts,
			     out, &why);
	if (err)
		err = image_report(ra->target, err, why);
	/* the copy's disk: right after it (the record's size is fixed) */
	if (!err && img->has_rootdisk && !ra->target_is_file)
		rd->offset = (out->len + KILN_BUNDLE_ALIGN - 1) /
			     KILN_BUNDLE_ALIGN * KILN_BUNDLE_ALIGN;
	return err;
}

/*
 * `kiln run /dev/stdin < IMAGE`: the image came in on stdin. QEMU's
 * stdin is not kiln's, so it boots a copy (as from a FIFO), and the app
 * gets an empty stdin, not the image a second time.
 */
static int stdin_is_target(const struct run_args *ra)
{
	struct stat st;

	return ra->target_is_file && fstat(0, &st) == 0 &&
	       st.st_dev == ra->target_dev && st.st_ino == ra->target_ino;
}

int run_prepare(struct run_args *ra, const struct kiln_image *img,
		struct kiln_config *cfg, int built)
{
	struct kbuf cfgbuf = { 0 }, out = { 0 };
	struct kiln_rootdisk rd = img->rootdisk;
	uint8_t *in = NULL;
	size_t in_size = 0;
	int same = stdin_is_target(ra), err = 0, as_is;

	if (same)
		ra->target_is_file = 0;
	/* a FIFO was read whole by load_target: QEMU would find it empty */
	as_is = !built && !ra->have_args && !ra->env.n && ra->target_is_file;

	ra->vm.image = ra->target;
	ra->load_end = image_load_end(img->file, img->size);
	if (img->has_rootdisk && ra->target_is_file) {
		err = run_disk_root(ra, &rd, ra->target);
		if (err)
			return err;
	}
	if (as_is && (ra->vm.tty_stdin || ra->vm.stream_stdin))
		return 0; /* boot the file as it is */
	if (!ra->vm.tty_stdin && !ra->vm.stream_stdin) {
		int rerr = same ? -ENOENT : kiln_read_fd(0, &in, &in_size);

		if (rerr == -EFBIG || rerr == -ENOMEM)
			return kiln_file_error("standard input", rerr);
		if (rerr < 0)
			in = NULL,
			in_size = 0; /* no stdin at all: the app sees EOF */
		/*
		 * Nothing to add (the common `kiln run IMAGE </dev/null`):
		 * boot the file as it is and let the kernel give the app an
		 * empty stdin, rather than copy the image to a temp file.
		 */
		if (as_is && in_size == 0 && img->stdin_size == 0) {
			free(in);
			ra->vm.empty_stdin = 1;
			return 0;
		}
	}
	apply_args(ra, cfg);
	for (size_t i = 0; i < ra->env.n && !err; i++)
		err = config_setenv(cfg, ra->env.v[i]);
	if (!err)
		err = config_write(cfg, &cfgbuf);
	if (!err)
		err = assemble(ra, img, &cfgbuf, in, in_size, &rd, &out);
	/* a second time: the record now says where the disk is */
	if (!err && img->has_rootdisk && !ra->target_is_file)
		err = assemble(ra, img, &cfgbuf, in, in_size, &rd, &out);
	if (!err)
		ra->load_end = image_load_end(out.data, out.len);
	if (!err && img->has_rootdisk && !ra->target_is_file)
		err = write_tmp_with_disk(ra, img, &rd, &out);
	else if (!err)
		err = write_tmp(ra, out.data, out.len);
	free(in);
	kbuf_free(&cfgbuf);
	kbuf_free(&out);
	return err;
}

/* The program's ELF, copied out of the rootfs to an aligned buffer. */
static uint8_t *program_elf(const struct kiln_image *img, const char *path,
			    size_t *size)
{
	const void *data;
	uint32_t mode;
	uint8_t *copy;

	if (rootfs_lookup(img->rootfs, img->rootfs_size, path, &data, size,
			  &mode) < 0)
		return NULL;
	copy = aligned_alloc(4096, (*size + 4095) / 4096 * 4096 + 4096);
	if (copy)
		memcpy(copy, data, *size);
	return copy;
}

/* " <sym+0xoff>" for rip, or "" when unknown. */
static void symbolize(const struct kiln_image *img, const char *program,
		      const struct vm_result *r, uint64_t rip, char *out,
		      size_t n)
{
	struct elf_info info;
	const char *name;
	uint64_t off, addr = rip;
	size_t size;
	uint8_t *elf = program_elf(img, program, &size);

	out[0] = '\0';
	if (!elf)
		return;
	if (elf_check(elf, size, &info) == ELF_OK && info.pie && r->have_base)
		addr = rip - r->load_base;
	if (elf_symbolize(elf, size, addr, &name, &off))
		snprintf(out, n, " <%s+0x%llx>", name, (unsigned long long)off);
	free(elf);
}

/*
 * QEMU refuses a disk image another QEMU has open ("Failed to get
 * "write" lock" then "Is another process using the image [FILE]?"):
 * say so in one line, naming FILE. 1 when that was the failure.
 */
static int lock_refused(const struct vm_result *r)
{
	static const char key[] = "Is another process using the image [";
	const char *err = (const char *)r->qemu_err.data, *file, *end;
	size_t n = r->qemu_err.len, k = sizeof(key) - 1;

	for (size_t i = 0; n >= k && i <= n - k; i++) {
		if (memcmp(err + i, key, k))
			continue;
		file = err + i + k;
		end = memchr(file, ']', n - i - k);
		if (!end)
			return 0;
		kiln_err("%.*s: in use by another VM (QEMU could not lock it)",
			 (int)(end - file), file);
		return 1;
	}
	return 0;
}

/* The one stderr line for an app killed by a signal. */
static void report_signal(const struct kiln_image *img,
			  const struct kiln_config *cfg,
			  const struct vm_result *r)
{
	unsigned long long rip, addr;
	char signame[32], sym[256];
	int sig;

	if (sscanf(r->signal_line,
		   "kiln: killed by signal %d (%31[^)]) at rip 0x%llx, address 0x%llx",
		   &sig, signame, &rip, &addr) != 4) {
		kiln_err("%s: %s", cfg->program, r->signal_line + 6);
		return;
	}
	symbolize(img, cfg->program, r, rip, sym, sizeof(sym));
	kiln_err("%s: killed by signal %d (%s) at 0x%llx%s, address 0x%llx",
		 cfg->program, sig, signame, rip, sym, addr);
}

/*
 * The kernel could not start the program (126, 127): print its reason,
 * one line. The kernel logs "kiln: cannot start PROGRAM: ..." and, before
 * it, a more specific "kiln: PROGRAM: ..." when it has one (the
 * interpreter it did not find); the specific line wins. With neither, the
 * status is the app's own (ld.so exits 127 after its own message).
 */
static void report_start_failure(const struct kiln_config *cfg,
				 const struct vm_result *r)
{
	const char *specific = NULL, *generic = NULL;
	size_t plen = strlen(cfg->program);

	for (int i = 0; i < VM_TAIL_LINES; i++) {
		const char *line = r->tail[(r->tail_next + i) % VM_TAIL_LINES];

		if (!line || strncmp(line, "kiln: ", 6))
			continue;
		if (!strncmp(line + 6, "cannot start ", 13))
			generic = line;
		else if (!strncmp(line + 6, cfg->program, plen) &&
			 !strncmp(line + 6 + plen, ": ", 2))
			specific = line;
	}
	if (generic)
		fprintf(stderr, "%s\n", specific ? specific : generic);
}

#define RUN_MEM_SLACK (2ULL << 20)
#define MIB (1ULL << 20)
/*
 * The default guest memory is RUN_MEM_DEFAULT, or the image plus
 * RUN_WORKING_SET when that is more, rounded up to 16 MiB. The image is
 * loaded whole and its files are read in place (tmpfs borrows the
 * archive), so what the app has is memory minus the image: a 2 MiB
 * static image left it ~125 MiB under the old fixed 128 MiB. 96 MiB
 * keeps most of that for big images (python3 with its modules needs
 * ~20 MiB once started: libraries' written pages, heap, stacks) plus
 * the kernel's own (page tables, kernel stacks, the frame bitmap).
 */
#define RUN_MEM_DEFAULT (128 * MIB)
#define RUN_WORKING_SET (96 * MIB)
#define RUN_MEM_ROUND (16 * MIB)

/* No --mem: choose the default for the image to boot, and say so. */
static void choose_mem(struct run_args *ra)
{
	uint64_t need = ra->load_end + RUN_WORKING_SET;

	need = (need + RUN_MEM_ROUND - 1) / RUN_MEM_ROUND * RUN_MEM_ROUND;
	if (need < RUN_MEM_DEFAULT)
		need = RUN_MEM_DEFAULT;
	ra->mem_bytes = need;
	snprintf(ra->mem_auto, sizeof(ra->mem_auto), "%lluM",
		 (unsigned long long)(need / MIB));
	ra->vm.mem = ra->mem_auto;
	if (ra->vm.verbose)
		kiln_err(
			"guest memory %s: the image needs %llu MiB, + %llu MiB "
			"working set (--mem to choose)",
			ra->mem_auto,
			(unsigned long long)((ra->load_end + MIB - 1) / MIB),
			(unsigned long long)(RUN_WORKING_SET / MIB));
}

int run_boot(struct run_args *ra, const struct kiln_image *img,
	     const struct kiln_config *cfg)
{
	struct vm_result r;
	int ret, err;

	if (!ra->mem_given && ra->load_end)
		choose_mem(ra);
	/*
	 * A guest whose RAM cannot hold the image does not fail: the loader
	 * leaves it spinning. Refuse it here, with room for the kernel's own
	 * early memory (smaller still, the kernel reports it and exits 126).
	 */
	if (ra->load_end && ra->mem_bytes < ra->load_end + RUN_MEM_SLACK) {
		kiln_err(
			"--mem %s: too small for %s (it needs at least %llu MiB)",
			ra->vm.mem, ra->target,
			(unsigned long long)((ra->load_end + RUN_MEM_SLACK +
					      (1 << 20) - 1) >>
					     20));
		return KILN_EXIT_USAGE;
	}
	fflush(stdout);
	err = vm_boot(&ra->vm, &r);
	if (err < 0) {
		kiln_err("cannot start %s: %s", QEMU_NAME, strerror(-err));
		ret = KILN_EXIT_VMFAIL;
	} else if (r.qemu_stuck) {
		kiln_err(
			"the VM stopped: KVM internal error (try --accel tcg)");
		vm_print_tail(&r);
		ret = KILN_EXIT_VMFAIL;
	} else if (r.timed_out) {
		if (!ra->vm.verbose)
			vm_print_tail(&r);
		kiln_err("%s: timed out after %g seconds", ra->target,
			 ra->vm.timeout);
		ret = KILN_EXIT_TIMEOUT;
	} else if (r.stopped) {
		kiln_err("%s: still running %g seconds after SIGTERM: the VM "
			 "was ended",
			 ra->target, ra->vm.stop_timeout);
		ret = RUN_EXIT_KILLED;
	} else if (r.status < 0 && lock_refused(&r)) {
		ret = KILN_EXIT_FAIL;
	} else if (r.status < 0 ||
		   r.qemu_rc != (((r.status & 0x7f) << 1) | 1)) {
		kiln_err("VM ended without an exit status");
		vm_print_tail(&r);
		ret = KILN_EXIT_VMFAIL;
	} else {
		if (r.signal_line)
			report_signal(img, cfg, &r);
		if (r.status == KILN_EXIT_PANIC && !ra->vm.verbose)
			vm_print_tail(&r); /* the kernel's panic report */
		if ((r.status == KILN_EXIT_NOEXEC ||
		     r.status == KILN_EXIT_NOTFOUND) &&
		    !ra->vm.verbose)
			report_start_failure(cfg, &r);
		ret = r.status;
	}
	vm_result_free(&r);
	return ret;
}
