/* program.c - from a host program (+ files, args, env) to a complete image in memory. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "closure.h"
#include "kiln.h"
#include "lib/elf.h"

/* A "#!" script: the kernel runs it through the interpreter it names. */
static bool is_script(const uint8_t *data, size_t size)
{
	return size >= 2 && data[0] == '#' && data[1] == '!';
}

int program_load(const char *path, uint8_t **elf, size_t *size)
{
	struct elf_info info;
	char why[96];
	int err = kiln_read_file(path, elf, size);

	if (err)
		return kiln_file_error(path, err);
	if (is_script(*elf, *size))
		return 0;
	err = elf_check(*elf, *size, &info);
	if (err) {
		elf_describe(err, &info, why, sizeof(why));
		if (err == ELF_ECLASS || err == ELF_EMACHINE ||
		    err == ELF_EENDIAN)
			kiln_err("%s: %s; only x86_64 programs are supported",
				 path, why);
		else if (err == ELF_ETRUNC)
			kiln_err("%s: truncated ELF file", path);
		else
			kiln_err("%s: %s", path, why);
		goto err_free;
	}
	return 0;

err_free:
	free(*elf);
	*elf = NULL;
	return KILN_EXIT_FAIL;
}

int kernel_path(char *buf, size_t n)
{
	const char *env = getenv("KILN_KERNEL");
	char self[PATH_MAX];
	ssize_t len;
	char *slash;

	if (env && *env) {
		snprintf(buf, n, "%s", env);
	} else {
		len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (len < 0) {
			kiln_err("cannot find the kernel: set KILN_KERNEL");
			return KILN_EXIT_FAIL;
		}
		self[len] = '\0';
		slash = strrchr(self, '/');
		*slash = '\0';
		snprintf(buf, n, "%s/kernel.elf", self);
	}
	if (access(buf, R_OK) < 0) {
		kiln_err(
			"kernel not found at %s (run make, or set KILN_KERNEL)",
			buf);
		return KILN_EXIT_FAIL;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Split "A:B" at the last ':' into host and guest; reports a bad one. */
static int split_pair(const char *opt, const char *arg, char **host,
		      char **guest)
{
	const char *colon = strrchr(arg, ':');

	if (!colon || colon == arg || colon[1] != '/') {
		kiln_err("%s %s: expected HOST:/GUEST/PATH", opt, arg);
		return KILN_EXIT_FAIL;
	}
	*host = kiln_xstrdup(arg);
	(*host)[colon - arg] = '\0';
	*guest = kiln_xstrdup(colon + 1);
	return 0;
}

/* The standard tree, the program, then --file and --dir contents. */
static int fill_rootfs(struct rootfs *fs, const struct build_spec *spec,
		       const char *guest_prog, const uint8_t *elf, size_t size)
{
	static const struct {
		const char *path;
		uint32_t mode;
	} dirs[] = { { "/bin", 0755 },
		     { "/dev", 0755 },
		     { "/etc", 0755 },
		     { "/proc", 0555 },
		     { "/tmp", 01777 } };
	int err = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !err; i++)
		err = rootfs_add_dir(fs, dirs[i].path, dirs[i].mode);
	if (!err)
		err = rootfs_add_data(fs, guest_prog, S_IFREG | 0755, elf,
				      size);
	for (size_t i = 0; i < spec->files.n && !err; i++) {
		char *host, *guest;

		err = split_pair("--file", spec->files.v[i], &host, &guest);
		if (!err) {
			err = rootfs_add_host(fs, host, guest);
			free(host);
			free(guest);
		}
	}
	for (size_t i = 0; i < spec->dirs.n && !err; i++) {
		char *host, *guest;

		err = split_pair("--dir", spec->dirs.v[i], &host, &guest);
		if (!err) {
			err = rootfs_add_tree(fs, host, guest);
			free(host);
			free(guest);
		}
	}
	return err;
}

static int fill_config(struct kiln_config *c, const struct build_spec *spec,
		       const char *guest_prog)
{
	c->program = kiln_xstrdup(guest_prog);
	strvec_push(&c->argv, guest_prog);
	for (size_t i = 0; i < spec->args.n; i++)
		strvec_push(&c->argv, spec->args.v[i]);
	strvec_push(&c->env, "PATH=/bin:/usr/bin");
	strvec_push(&c->env, "HOME=/");
	for (size_t i = 0; i < spec->env.n; i++) {
		int err = config_setenv(c, spec->env.v[i]);

		if (err)
			return err;
	}
	if (spec->workdir && spec->workdir[0] != '/') {
		kiln_err("--workdir %s: must be an absolute path",
			 spec->workdir);
		return KILN_EXIT_FAIL;
	}
	c->workdir = kiln_xstrdup(spec->workdir ? spec->workdir : "/");
	if (spec->net)
		c->net = kiln_xstrdup(spec->net);
	for (size_t i = 0; i < spec->volumes.n; i++) {
		const char *v = spec->volumes.v[i], *why = volume_dir_error(v);

		if (why) {
			kiln_err("--volume %s: %s", v, why);
			return KILN_EXIT_FAIL;
		}
		for (size_t j = 0; j < c->volumes.n; j++)
			if (!strcmp(c->volumes.v[j], v)) {
				kiln_err("--volume %s: given twice", v);
				return KILN_EXIT_FAIL;
			}
		if (c->volumes.n >= KILN_CFG_MAX_VOLUMES) {
			kiln_err("--volume %s: more than %d", v,
				 KILN_CFG_MAX_VOLUMES);
			return KILN_EXIT_FAIL;
		}
		strvec_push(&c->volumes, v);
	}
	return 0;
}

/*
 * Kernel + config + rootfs -> out, and the root disk after everything:
 * its section's offset is known once the rest is laid out, and writing
 * it changes no size, so the bundle is made a second time with it.
 */
int build_assemble(const struct kbuf *cfg, const struct kbuf *arc,
		   const struct kbuf *disk, const uint8_t uuid[16],
		   struct kbuf *out)
{
	char kpath[PATH_MAX];
	struct bundle_parts parts = { 0 };
	struct kiln_rootdisk rd = { 0 };
	const char *why;
	uint8_t *kernel;
	size_t ksize;
	int err;

	err = kernel_path(kpath, sizeof(kpath));
	if (err)
		return err;
	err = kiln_read_file(kpath, &kernel, &ksize);
	if (err)
		return kiln_file_error(kpath, err);
	parts_add(&parts, KILN_SECTION_CONFIG, cfg->data, cfg->len);
	parts_add(&parts, KILN_SECTION_ROOTFS, arc->data, arc->len);
	if (disk) {
		rd.size = disk->len;
		memcpy(rd.uuid, uuid, sizeof(rd.uuid));
		parts_add(&parts, KILN_SECTION_ROOTDISK, &rd, sizeof(rd));
	}
	err = image_assemble(kernel, ksize, ksize, 0, &parts, out, &why);
	if (!err && disk) {
		rd.offset = (out->len + 4095) / 4096 * 4096;
		err = image_assemble(kernel, ksize, ksize, 0, &parts, out,
				     &why);
		kbuf_align(out, 4096);
		kbuf_append(out, disk->data, disk->len);
	}
	free(kernel);
	if (err) {
		kiln_err("%s: not a usable kernel (%s)", kpath, why);
		return KILN_EXIT_FAIL;
	}
	return 0;
}

/* The host file a --file or --dir put at guest (a clean path), or NULL. */
static char *host_of(const struct build_spec *spec, const char *guest)
{
	char clean[PATH_MAX], buf[PATH_MAX * 2];
	char *host = NULL, *g;

	for (size_t i = 0; i < spec->files.n && !host; i++) {
		if (split_pair("--file", spec->files.v[i], &host, &g))
			return NULL;
		if (!libpath_clean(g, clean, sizeof(clean)) ||
		    strcmp(clean, guest)) {
			free(host);
			host = NULL;
		}
		free(g);
	}
	for (size_t i = 0; i < spec->dirs.n && !host; i++) {
		size_t len;

		if (split_pair("--dir", spec->dirs.v[i], &host, &g))
			return NULL;
		len = libpath_clean(g, clean, sizeof(clean)) ? strlen(clean) :
							       0;
		if (len && !strncmp(guest, clean, len) &&
		    (guest[len] == '/' || len == 1)) {
			snprintf(buf, sizeof(buf), "%s/%s", host,
				 guest + len + (len > 1));
			free(host);
			host = kiln_xstrdup(buf);
		} else {
			free(host);
			host = NULL;
		}
		free(g);
	}
	return host;
}

/*
 * The closure (cli/closure.h) of the program and of every ELF file
 * --file and --dir brought, into fs; where each library came from into
 * c->libs.
 */
static int add_closure(struct rootfs *fs, const struct build_spec *spec,
		       const char *guest_prog, const uint8_t *elf, size_t size,
		       struct kiln_config *cfg)
{
	struct closure *c = closure_new(fs, "");
	struct strvec files = { 0 };
	/* A script's interpreter comes with --file, its closure with it. */
	int err = is_script(elf, size) ?
			  0 :
			  closure_add_object(c, spec->program, guest_prog, elf,
					     size, 0);

	rootfs_regular_files(fs, &files);
	for (size_t i = 0; i < files.n && !err; i++) {
		size_t len;
		const uint8_t *data = rootfs_data(fs, files.v[i], &len);
		char *host;

		if (!data || len < 4 ||
		    memcmp(data,
			   "\x7f"
			   "ELF",
			   4) ||
		    !strcmp(files.v[i], guest_prog))
			continue;
		host = host_of(spec, files.v[i]);
		err = closure_add_object(c, host ? host : files.v[i],
					 files.v[i], data, len, 1);
		free(host);
	}
	if (!err)
		err = closure_resolve(c);
	for (size_t i = 0; !err && i < closure_records(c)->n; i++)
		strvec_push(&cfg->libs, closure_records(c)->v[i]);
	strvec_free(&files);
	closure_free(c);
	return err;
}

int build_image(const struct build_spec *spec, struct kbuf *out)
{
	struct kiln_config c = { 0 };
	struct kbuf cfg = { 0 };
	struct rootfs *fs = rootfs_new();
	char guest_prog[PATH_MAX];
	uint8_t *elf = NULL;
	size_t size;
	int err;

	snprintf(guest_prog, sizeof(guest_prog), "/bin/%s",
		 base_name(spec->program));
	err = program_load(spec->program, &elf, &size);
	if (!err)
		err = fill_rootfs(fs, spec, guest_prog, elf, size);
	if (!err)
		err = fill_config(&c, spec, guest_prog);
	if (!err && !spec->no_libs)
		err = add_closure(fs, spec, guest_prog, elf, size, &c);
	if (!err)
		err = config_write(&c, &cfg);
	if (!err)
		err = build_pack(&cfg, fs, spec->root_disk, out);
	free(elf);
	rootfs_free(fs);
	config_free(&c);
	kbuf_free(&cfg);
	return err;
}
