/* inspect.c - `kiln inspect`: what an image holds (program, argv, env, network, files, sizes). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"
#include "store.h"
#include "lib/cpio.h"
#include "lib/netcfg.h"

static const char inspect_usage[] =
	"usage: kiln inspect IMAGE|REF\n"
	"\n"
	"Show the program, arguments, environment, working directory, network\n"
	"configuration (when the image has one), the shared libraries kiln\n"
	"build added (with the host file and the object that needed each),\n"
	"files and sizes of a Kiln image. A damaged image is reported in one\n"
	"line. A REF that is not a file names an image of the local store\n"
	"(kiln images); it is not pulled.\n"
	"\n"
	"  -h, --help   show this help\n";

const char *kiln_quote(const char *s, char *buf, size_t n)
{
	static const char safe[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789_/.,:=+@%-";
	size_t o = 0;

	if (*s && strspn(s, safe) == strlen(s))
		return s;
	/* 'it'\''s' quoting; truncated with "..." if buf is too small. */
	buf[o++] = '\'';
	for (; *s && o + 6 < n; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	if (*s)
		o += (size_t)snprintf(buf + o, n - o, "...");
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* "drwxr-xr-x"-style mode (ls -l). */
static void mode_string(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	char type = '?';

	switch (mode & S_IFMT) {
	case S_IFREG:
		type = '-';
		break;
	case S_IFDIR:
		type = 'd';
		break;
	case S_IFLNK:
		type = 'l';
		break;
	case S_IFCHR:
		type = 'c';
		break;
	case S_IFBLK:
		type = 'b';
		break;
	case S_IFIFO:
		type = 'p';
		break;
	case S_IFSOCK:
		type = 's';
		break;
	}
	out[0] = type;
	for (int i = 0; i < 9; i++)
		out[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = mode & S_IXUSR ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = mode & S_IXGRP ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = mode & S_IXOTH ? 't' : 'T';
	out[10] = '\0';
}

static void print_list(const char *key, const struct strvec *sv)
{
	char buf[256];

	printf("%s:", key);
	for (size_t i = 0; i < sv->n; i++)
		printf(" %s", kiln_quote(sv->v[i], buf, sizeof(buf)));
	printf("\n");
}

/* The network words, as the kernel will read them (or why it will not). */
static void print_net(const char *words)
{
	struct netcfg c;
	struct netcfg_err e;
	char buf[256];
	int r = netcfg_read(words, strlen(words), "", &c, &e);

	if (r == 0 && netcfg_format(&c, "", buf, sizeof(buf)) > 0) {
		printf("network: %s\n", buf);
		return;
	}
	printf("network: %s (ignored: ", kiln_quote(words, buf, sizeof(buf)));
	if (r > 0)
		printf("no ip=)\n");
	else
		printf("bad %s, %s)\n", netcfg_key_name(e.key), e.why);
}

/* Split rec at its '\n's into f[0..4): 1 when there are exactly four. */
static int split_record(char *rec, char *f[4])
{
	int n = 0;

	for (char *p = rec; n < 4; n++) {
		f[n] = p;
		p = strchr(p, '\n');
		if (!p)
			return n == 3;
		*p++ = '\0';
	}
	return 0;
}

/*
 * Where each library of the closure came from: "NAME => GUEST (host
 * HOST, needed by OBJECT)", or "(in the image, ...)" for a file --file or
 * --dir put there. The entries are untrusted: a malformed one is shown
 * as it is.
 */
static void print_libs(const struct strvec *libs)
{
	char b[4][256];

	if (!libs->n)
		return;
	printf("libraries:\n");
	for (size_t i = 0; i < libs->n; i++) {
		char *rec = kiln_xstrdup(libs->v[i]), *f[4];

		if (!split_record(rec, f))
			printf("  (malformed entry %s)\n",
			       kiln_quote(libs->v[i], b[0], sizeof(b[0])));
		else
			printf("  %s => %s (%s%s, needed by %s)\n",
			       kiln_quote(f[0], b[0], sizeof(b[0])),
			       kiln_quote(f[1], b[1], sizeof(b[1])),
			       f[2][0] ? "host " : "in the image",
			       f[2][0] ? kiln_quote(f[2], b[2], sizeof(b[2])) :
					 "",
			       kiln_quote(f[3], b[3], sizeof(b[3])));
		free(rec);
	}
}

static void print_files(const struct kiln_image *img)
{
	struct cpio_entry e;
	size_t pos = 0;
	char mode[11];
	int r;

	printf("files:\n");
	while ((r = cpio_next(img->rootfs, img->rootfs_size, &pos, &e)) == 1) {
		mode_string(e.mode, mode);
		printf("  %s %10zu /%s", mode, e.size, e.name);
		if ((e.mode & S_IFMT) == S_IFLNK)
			printf(" -> %.*s", (int)e.size, (const char *)e.data);
		printf("\n");
	}
	if (r < 0)
		printf("  (the archive is malformed from here on)\n");
}

/* The root file system's entries and file bytes. */
static void print_root_size(const struct kiln_image *img)
{
	struct cpio_entry e;
	size_t pos = 0, n = 0;
	uint64_t bytes = 0;

	while (cpio_next(img->rootfs, img->rootfs_size, &pos, &e) == 1) {
		n++;
		if ((e.mode & S_IFMT) == S_IFREG)
			bytes += e.size;
	}
	printf("root: %zu entries, %llu bytes of files\n", n,
	       (unsigned long long)bytes);
}

/* What an image built --from an OCI image recorded of it. */
static void print_oci(const struct kiln_config *c)
{
	char buf[256];

	if (c->from)
		printf("from: %s\n", kiln_quote(c->from, buf, sizeof(buf)));
	if (c->user)
		printf("user: %s\n", kiln_quote(c->user, buf, sizeof(buf)));
	if (c->ports.n)
		print_list("ports", &c->ports);
	if (c->volumes.n)
		print_list("volumes", &c->volumes);
}

static int inspect(const char *path)
{
	struct kiln_image img;
	struct kiln_config c;
	const char *why;
	char buf[256], ver[32];
	int err = image_open(path, &img, &why);

	if (err)
		return image_report(path, err, why);
	err = config_parse(path, img.config, img.config_size, &c);
	if (err) {
		image_close(&img);
		return err;
	}
	printf("program: %s\n", kiln_quote(c.program, buf, sizeof(buf)));
	print_list("argv", &c.argv);
	print_list("env", &c.env);
	printf("workdir: %s\n", kiln_quote(c.workdir, buf, sizeof(buf)));
	if (c.net)
		print_net(c.net);
	print_oci(&c);
	if (img.stdin_data)
		printf("stdin: %zu bytes\n", img.stdin_size);
	if (!image_kernel_version(&img, ver, sizeof(ver)))
		snprintf(ver, sizeof(ver), "unknown version");
	printf("kernel: %s, %zu bytes\n", ver, img.bundle_off);
	printf("bundle: %llu bytes\n",
	       (unsigned long long)img.bundle->total_size);
	printf("total: %zu bytes\n", img.size);
	if (img.has_rootdisk)
		printf("root disk: %llu bytes at offset %llu (read-only ext4; "
		       "files below are the rest of the root)\n",
		       (unsigned long long)img.rootdisk.size,
		       (unsigned long long)img.rootdisk.offset);
	print_root_size(&img);
	print_libs(&c.libs);
	print_files(&img);
	config_free(&c);
	image_close(&img);
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(inspect_usage, stdout);
			return 0;
		}
		return kiln_usage_error("inspect", "unknown option",
					kiln_bad_option(argv));
	}
	if (optind != argc - 1)
		return kiln_usage_error("inspect",
					optind >= argc ? "missing IMAGE" :
							 "too many arguments",
					NULL);
	if (access(argv[optind], F_OK) != 0 &&
	    store_is_reference(argv[optind])) {
		char path[4200], shown[512];
		int err = store_resolve(argv[optind], NULL, 0, path,
					sizeof(path), shown, sizeof(shown));

		return err ? err : inspect(path);
	}
	return inspect(argv[optind]);
}
