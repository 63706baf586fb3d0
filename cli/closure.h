/* closure.h - the shared libraries a dynamic program needs, found as the host's loader would. */
#ifndef KILN_CLI_CLOSURE_H
#define KILN_CLI_CLOSURE_H

#include "kiln.h"

/*
 * ---- libpath.c: where the loaders look ----
 * A directory to search, twice: as the guest's loader names it (guest,
 * absolute and lexically clean) and where the host holds it (host:
 * root + guest, or the host object's own directory for $ORIGIN).
 */
struct lib_dir {
	char *guest, *host;
};
struct lib_dirs {
	struct lib_dir *v;
	size_t n;
};

/*
 * libdirs_system: the directories searched after RPATH/RUNPATH. glibc:
 * root/etc/ld.so.conf (its include globs followed, at most 8 deep), then
 * /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /usr/lib64,
 * /lib, /usr/lib. musl: root/etc/ld-musl-x86_64.path (':' or newline
 * separated) if present, else /lib:/usr/local/lib:/usr/lib. Duplicates
 * and relative entries are dropped. root is "" for the host itself.
 */
void libdirs_system(const char *root, int musl, struct lib_dirs *out);

/*
 * libdirs_expand: an RPATH/RUNPATH list ("a:b:$ORIGIN/../lib") into out.
 * $ORIGIN and ${ORIGIN} become the object's directory (guest_origin in
 * the guest, host_origin on the host); glibc also expands $LIB
 * (lib/x86_64-linux-gnu, Debian's multiarch value) and $PLATFORM
 * (x86_64). Empty and relative entries, and ones with a token the
 * loader would not expand, are dropped (they name nothing we can find).
 */
void libdirs_expand(const char *list, int musl, const char *root,
		    const char *guest_origin, const char *host_origin,
		    struct lib_dirs *out);
void libdirs_free(struct lib_dirs *d);

/*
 * Clean an absolute guest path lexically ("/a/./b/../c" -> "/a/c") into
 * out (n bytes); false when it does not fit.
 */
int libpath_clean(const char *path, char *out, size_t n);

/*
 * ---- pathwalk.c: a path followed in the host and the image at once ----
 * fs is the image so far, root the host's prefix ("" for /); the files a
 * walk adds are remembered with their host file, in step.
 */
struct pathwalk {
	struct rootfs *fs;
	const char *root;
	struct strvec added_guest, added_host;
};

/*
 * pathwalk: follow rel from the directory (host, guest) to a regular
 * file, as the guest's kernel would in the image. At every step the
 * image wins (what --file and --dir put there is what the guest sees):
 * an image file ends the walk, an image symlink is followed, an image
 * directory entered; otherwise the host's: a symlink is added (with add)
 * as a symlink and followed (absolute targets from root, at most 40), a
 * directory added and entered, a file added last. hreal and greal
 * (PATH_MAX bytes each) get the file's host path ("" for a file the
 * image had of its own) and its guest path. Returns 0, or -errno
 * (-EEXIST: the image holds something else there; reported).
 */
int pathwalk(struct pathwalk *pw, const char *host, const char *guest,
	     const char *rel, int add, char *hreal, char *greal);

/*
 * pathwalk_image_dir: a guest directory through the symlinks the image
 * has so far (a $ORIGIN directory "/bin/../lib" may be the image's
 * "/lib -> usr/lib"), into out (n bytes). 0 when the path is too long or
 * loops, else 1.
 */
int pathwalk_image_dir(struct pathwalk *pw, const char *guest, char *out,
		       size_t n);

/* a + "/" + b into out; "" + b is "/b". 0 when it does not fit. */
int path_join(char *out, size_t n, const char *a, const char *b);

/* ---- closure.c: the closure ---- */

struct closure;
/*
 * closure_new: a resolver that adds what it finds to fs; host files are
 * looked up under root ("" for the host's own /, a directory for tests).
 */
struct closure *closure_new(struct rootfs *fs, const char *root);
void closure_free(struct closure *c);

/*
 * closure_add_object: an ELF file in the image (guest path) whose
 * interpreter and libraries must be there too; host is where it came
 * from ($ORIGIN on the host side), data its contents (8-aligned, kept
 * by the caller until closure_resolve returns). Files that are not
 * x86_64 ELF executables or shared objects are ignored when quiet,
 * else reported. Returns 0, or the exit status after one line.
 */
int closure_add_object(struct closure *c, const char *host, const char *guest,
		       const uint8_t *data, size_t size, int quiet);

/*
 * closure_resolve: find and add every interpreter and DT_NEEDED library,
 * transitively, with each symlink on the way kept as a symlink. Returns
 * 0, or the exit status after one line
 * ("kiln: libfoo.so.1: not found (needed by /bin/prog)").
 */
int closure_resolve(struct closure *c);

/* LIBRARY entries for the image (include/kiln/image.h), in found order. */
const struct strvec *closure_records(const struct closure *c);

#endif
