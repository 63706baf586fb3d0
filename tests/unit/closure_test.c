/* closure_test.c - the library closure resolved in a fake root tree (cli/closure.c, cli/libpath.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "closure.h"
#include "elf_make.h"

static char root[256];

/* mkdir -p root/path's parent directories. */
static void make_parents(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", root, path);
	for (char *s = strchr(buf + strlen(root) + 1, '/'); s;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(buf, 0755);
		*s = '/';
	}
}

/* An ELF file for spec at root/path. */
static void put_elf(const char *path, const struct elf_spec *spec)
{
	static uint64_t words[ELF_MAKE_SIZE / 8];
	char full[512];
	int ndyn;
	size_t size = elf_make(spec, (uint8_t *)words, &ndyn);
	FILE *f;

	make_parents(path);
	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(words, 1, size, f), size);
	fclose(f);
	chmod(full, 0755);
}

static void put_text(const char *path, const char *text)
{
	char full[512];
	FILE *f;

	make_parents(path);
	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_link(const char *path, const char *target)
{
	char full[512];

	make_parents(path);
	snprintf(full, sizeof(full), "%s%s", root, path);
	assert_int_equal(symlink(target, full), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/kiln-closure-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

/* Resolve the program at root/path (guest /bin/NAME); 0 or the status. */
static int resolve(struct rootfs *fs, struct closure **out, const char *path,
		   const char *guest)
{
	static uint64_t words[ELF_MAKE_SIZE / 8];
	char full[512];
	FILE *f;
	size_t size;
	int err;

	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	assert_non_null(f);
	size = fread(words, 1, sizeof(words), f);
	fclose(f);
	*out = closure_new(fs, root);
	err = closure_add_object(*out, full, guest, (uint8_t *)words, size, 0);
	return err ? err : closure_resolve(*out);
}

static void assert_link(struct rootfs *fs, const char *guest, const char *to)
{
	char buf[256];

	if (!rootfs_readlink(fs, guest, buf, sizeof(buf)))
		fail_msg("%s: not a symlink in the image", guest);
	assert_string_equal(buf, to);
}

static void assert_file(struct rootfs *fs, const char *guest)
{
	if (!S_ISREG(rootfs_mode(fs, guest)))
		fail_msg("%s: not a regular file in the image", guest);
}

/* "NAME\nGUEST\nHOST\nBY" with HOST under root. */
static void assert_record(const struct closure *c, size_t i, const char *name,
			  const char *guest, const char *host, const char *by)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s\n%s\n%s%s\n%s", name, guest, root,
		 host, by);
	assert_true(i < closure_records(c)->n);
	assert_string_equal(closure_records(c)->v[i], want);
}

/*
 * A Debian-like merged /usr: /lib -> usr/lib, /lib64 -> usr/lib64 with
 * an absolute link to the loader (which must resolve under root, not on
 * the host); ld.so.conf including a directory; a soname symlink; a
 * 32-bit candidate glibc skips; RUNPATH with $ORIGIN.
 */
static void test_glibc_tree(void **state)
{
	struct rootfs *fs = rootfs_new();
	struct closure *c;
	const struct elf_spec prog = {
		.interp = "/lib64/ld-linux-x86-64.so.2",
		.runpath = "$ORIGIN/../rlib",
		.needed = { "libfoo.so.1", "libbaz.so", "libc.so.6" },
	};

	(void)state;
	put_link("/lib", "usr/lib");
	put_link("/lib64", "usr/lib64");
	put_link("/usr/lib64/ld-linux-x86-64.so.2",
		 "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	put_elf("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		&(struct elf_spec){ .soname = "ld-linux-x86-64.so.2" });
	put_elf("/usr/lib/x86_64-linux-gnu/libc.so.6",
		&(struct elf_spec){ .soname = "libc.so.6",
				    .needed = { "ld-linux-x86-64.so.2" } });
	put_text("/etc/ld.so.conf",
		 "# comment\ninclude /etc/ld.so.conf.d/*.conf\n");
	put_text("/etc/ld.so.conf.d/opt.conf", "/opt/lib\n");
	put_text("/etc/ld.so.cache", "cache");
	put_link("/opt/lib/libfoo.so.1", "libfoo.so.1.2.3");
	put_elf("/opt/lib/libfoo.so.1.2.3",
		&(struct elf_spec){ .soname = "libfoo.so.1",
				    .needed = { "libbar.so", "libc.so.6" } });
	put_elf("/opt/lib/libbar.so", &(struct elf_spec){ .elf32 = 1 });
	put_elf("/usr/lib/libbar.so",
		&(struct elf_spec){ .soname = "libbar.so" });
	put_elf("/progs/rlib/libbaz.so",
		&(struct elf_spec){ .soname = "libbaz.so" });
	put_elf("/progs/bin/prog", &prog);

	assert_int_equal(resolve(fs, &c, "/progs/bin/prog", "/bin/prog"), 0);
	assert_link(fs, "/lib", "usr/lib");
	assert_link(fs, "/lib64", "usr/lib64");
	assert_link(fs, "/usr/lib64/ld-linux-x86-64.so.2",
		    "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	assert_file(fs, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	assert_file(fs, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_link(fs, "/opt/lib/libfoo.so.1", "libfoo.so.1.2.3");
	assert_file(fs, "/opt/lib/libfoo.so.1.2.3");
	assert_int_equal(rootfs_mode(fs, "/opt/lib/libbar.so"), 0);
	assert_file(fs, "/usr/lib/libbar.so");
	assert_file(fs, "/rlib/libbaz.so");
	assert_file(fs, "/etc/ld.so.cache");

	assert_int_equal(closure_records(c)->n, 5);
	assert_record(c, 0, "/lib64/ld-linux-x86-64.so.2",
		      "/lib64/ld-linux-x86-64.so.2",
		      "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		      "/bin/prog");
	assert_record(c, 1, "libfoo.so.1", "/opt/lib/libfoo.so.1",
		      "/opt/lib/libfoo.so.1.2.3", "/bin/prog");
	assert_record(c, 2, "libbaz.so", "/rlib/libbaz.so",
		      "/progs/rlib/libbaz.so", "/bin/prog");
	assert_record(c, 3, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6",
		      "/usr/lib/x86_64-linux-gnu/libc.so.6", "/bin/prog");
	assert_record(c, 4, "libbar.so", "/lib/libbar.so", "/usr/lib/libbar.so",
		      "/opt/lib/libfoo.so.1");
	closure_free(c);
	rootfs_free(fs);
}

/* RUNPATH hides RPATH; RPATH alone wins over the default directories. */
static void test_rpath_runpath(void **state)
{
	struct rootfs *fs = rootfs_new();
	struct closure *c;

	(void)state;
	put_elf("/r1/libq.so", &(struct elf_spec){ .soname = "libq.so" });
	put_elf("/r2/libq.so", &(struct elf_spec){ .soname = "libq.so" });
	put_elf("/lib/libq.so", &(struct elf_spec){ .soname = "libq.so" });
	put_elf("/p/both", &(struct elf_spec){ .rpath = "/r1",
					       .runpath = "/r2",
					       .needed = { "libq.so" } });
	put_elf("/p/rpath", &(struct elf_spec){ .rpath = "/r1:/nonexistent",
						.needed = { "libq.so" } });
	put_elf("/p/none", &(struct elf_spec){ .needed = { "libq.so" } });

	assert_int_equal(resolve(fs, &c, "/p/both", "/bin/both"), 0);
	assert_record(c, 0, "libq.so", "/r2/libq.so", "/r2/libq.so",
		      "/bin/both");
	closure_free(c);
	rootfs_free(fs);
	fs = rootfs_new();
	assert_int_equal(resolve(fs, &c, "/p/rpath", "/bin/rpath"), 0);
	assert_record(c, 0, "libq.so", "/r1/libq.so", "/r1/libq.so",
		      "/bin/rpath");
	closure_free(c);
	rootfs_free(fs);
	fs = rootfs_new();
	assert_int_equal(resolve(fs, &c, "/p/none", "/bin/none"), 0);
	assert_record(c, 0, "libq.so", "/lib/libq.so", "/lib/libq.so",
		      "/bin/none");
	closure_free(c);
	rootfs_free(fs);
}

/*
 * musl: libc.so is the loader itself; the path file gives the search
 * directories, and a wrong-class file found first is an error (musl
 * does not skip it).
 */
static void test_musl(void **state)
{
	struct rootfs *fs = rootfs_new();
	struct closure *c;

	(void)state;
	put_link("/lib/ld-musl-x86_64.so.1", "/usr/lib/musl/libc.so");
	put_elf("/usr/lib/musl/libc.so", &(struct elf_spec){ 0 });
	put_text("/etc/ld-musl-x86_64.path", "/usr/lib/musl:/m2\n");
	put_elf("/m2/libz.so.1", &(struct elf_spec){ .soname = "libz.so.1" });
	put_elf("/lib/libz.so.1", &(struct elf_spec){ .soname = "libz.so.1" });
	put_elf("/p/m",
		&(struct elf_spec){
			.interp = "/lib/ld-musl-x86_64.so.1",
			.needed = { "libc.so", "libz.so.1", "libm.so.6" } });
	assert_int_equal(resolve(fs, &c, "/p/m", "/bin/m"), 0);
	assert_link(fs, "/lib/ld-musl-x86_64.so.1", "/usr/lib/musl/libc.so");
	assert_file(fs, "/usr/lib/musl/libc.so");
	assert_int_equal(closure_records(c)->n, 2);
	assert_record(c, 1, "libz.so.1", "/m2/libz.so.1", "/m2/libz.so.1",
		      "/bin/m");
	assert_int_equal(rootfs_mode(fs, "/lib/libz.so.1"), 0);
	assert_int_equal(rootfs_mode(fs, "/etc/ld.so.cache"), 0);
	closure_free(c);
	rootfs_free(fs);

	put_elf("/usr/lib/musl/libz.so.1", &(struct elf_spec){ .elf32 = 1 });
	fs = rootfs_new();
	assert_int_equal(resolve(fs, &c, "/p/m", "/bin/m"), KILN_EXIT_FAIL);
	closure_free(c);
	rootfs_free(fs);
}

/* Not found, a symlink loop, a missing interpreter: status 1, no hang. */
static void test_failures(void **state)
{
	struct rootfs *fs = rootfs_new();
	struct closure *c;

	(void)state;
	put_link("/loop/libl.so", "libm.so");
	put_link("/loop/libm.so", "libl.so");
	put_elf("/p/loop", &(struct elf_spec){ .runpath = "/loop",
					       .needed = { "libl.so" } });
	put_elf("/p/gone", &(struct elf_spec){ .needed = { "libgone.so" } });
	put_elf("/p/nointerp",
		&(struct elf_spec){ .interp = "/lib/ld-nothere.so" });
	put_text("/lib/libtext.so", "INPUT(-lc)\n");
	put_elf("/p/text", &(struct elf_spec){ .needed = { "libtext.so" } });
	assert_int_equal(resolve(fs, &c, "/p/loop", "/bin/l"), KILN_EXIT_FAIL);
	closure_free(c);
	assert_int_equal(resolve(fs, &c, "/p/gone", "/bin/g"), KILN_EXIT_FAIL);
	assert_int_equal(closure_records(c)->n, 0);
	closure_free(c);
	assert_int_equal(resolve(fs, &c, "/p/nointerp", "/bin/n"),
			 KILN_EXIT_FAIL);
	closure_free(c);
	assert_int_equal(resolve(fs, &c, "/p/text", "/bin/t"), KILN_EXIT_FAIL);
	closure_free(c);
	put_elf("/p/odd", &(struct elf_spec){ .needed = { "a\nb" } });
	assert_int_equal(resolve(fs, &c, "/p/odd", "/bin/o"), KILN_EXIT_FAIL);
	closure_free(c);
	put_elf("/p/abs",
		&(struct elf_spec){ .needed = { "/lib/libtext.so" } });
	assert_int_equal(resolve(fs, &c, "/p/abs", "/bin/a"), KILN_EXIT_FAIL);
	closure_free(c);
	rootfs_free(fs);
}

static void test_clean(void **state)
{
	char out[64];

	(void)state;
	assert_true(libpath_clean("/bin/../lib/./x//", out, sizeof(out)));
	assert_string_equal(out, "/lib/x");
	assert_true(libpath_clean("/..", out, sizeof(out)));
	assert_string_equal(out, "/");
	assert_false(libpath_clean("rel/x", out, sizeof(out)));
	assert_false(libpath_clean("/a/very/long/path", out, 8));
}

/*
 * What --file and --dir put in the image wins over the host, as the
 * guest will see it: an interpreter given with --file (the host has none
 * there), a library the host lacks, a symlink of the image's own.
 */
static void test_image_files_win(void **state)
{
	static uint64_t words[ELF_MAKE_SIZE / 8];
	struct rootfs *fs = rootfs_new();
	struct closure *c;
	int n;
	size_t size;

	(void)state;
	size = elf_make(&(struct elf_spec){ .soname = "ld.so" },
			(uint8_t *)words, &n);
	assert_int_equal(
		rootfs_add_data(fs, "/lib64/ld.so", 0100755, words, size), 0);
	size = elf_make(&(struct elf_spec){ .soname = "libown.so.1" },
			(uint8_t *)words, &n);
	assert_int_equal(rootfs_add_data(fs, "/opt/own/libown.so.1.0", 0100755,
					 words, size),
			 0);
	assert_int_equal(rootfs_add_symlink(fs, "/usr/lib/libown.so.1",
					    "/opt/own/libown.so.1.0"),
			 0);
	put_elf("/p/prog", &(struct elf_spec){ .interp = "/lib64/ld.so",
					       .needed = { "libown.so.1" } });
	assert_int_equal(resolve(fs, &c, "/p/prog", "/bin/prog"), 0);
	assert_int_equal(closure_records(c)->n, 2);
	assert_string_equal(closure_records(c)->v[0],
			    "/lib64/ld.so\n/lib64/ld.so\n\n/bin/prog");
	assert_string_equal(closure_records(c)->v[1],
			    "libown.so.1\n/usr/lib/libown.so.1\n\n/bin/prog");
	assert_link(fs, "/usr/lib/libown.so.1", "/opt/own/libown.so.1.0");
	closure_free(c);
	rootfs_free(fs);
}

/* RPATH/RUNPATH lists: tokens, dropped entries, both sides of $ORIGIN. */
static void test_expand(void **state)
{
	struct lib_dirs d = { 0 };

	(void)state;
	libdirs_expand("$ORIGIN/../lib::rel:/a/$LIB:/b/${PLATFORM}/x:/c/$LIBX:"
		       "/d/$NOPE:${ORIGIN}",
		       0, "/R", "/bin", "/host/bin", &d);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.v[0].guest, "/lib");
	assert_string_equal(d.v[0].host, "/host/bin/../lib");
	assert_string_equal(d.v[1].guest, "/a/lib/x86_64-linux-gnu");
	assert_string_equal(d.v[1].host, "/R/a/lib/x86_64-linux-gnu");
	assert_string_equal(d.v[2].guest, "/b/x86_64/x");
	assert_string_equal(d.v[2].host, "/R/b/x86_64/x");
	assert_string_equal(d.v[3].guest, "/bin");
	assert_string_equal(d.v[3].host, "/host/bin");
	libdirs_free(&d);
	/* musl expands $ORIGIN only. */
	libdirs_expand("/a/$LIB:$ORIGIN/l", 1, "", "/opt", "/h", &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].guest, "/opt/l");
	assert_string_equal(d.v[0].host, "/h/l");
	libdirs_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_glibc_tree, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rpath_runpath, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_musl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_files_win, setup,
						teardown),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_expand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
