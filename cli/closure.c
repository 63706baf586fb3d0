/* closure.c - put a dynamic program's interpreter and DT_NEEDED libraries into the image, symlinks kept. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "closure.h"
#include "lib/elf.h"

/* One ELF file in the image whose dependencies are resolved. */
struct object {
	char *guest, *host_dir; /* host_dir: $ORIGIN on the host */
	char *soname, *rpath, *runpath, *interp; /* copies, or NULL */
	struct strvec needed;
	int parent; /* the object that needed it, or -1 */
};

struct closure {
	struct pathwalk pw;   /* the image, the root and what was added */
	int musl, kind_known; /* which loader's rules, once an interp says */
	struct object *o;
	size_t n;
	struct strvec names; /* names already loaded (needed names, sonames) */
	struct strvec records; /* LIBRARY entries */
};

struct closure *closure_new(struct rootfs *fs, const char *root)
{
	struct closure *c = kiln_xmalloc(sizeof(*c));

	*c = (struct closure){ .pw = { .fs = fs, .root = root } };
	return c;
}

static void object_free(struct object *o)
{
	free(o->guest);
	free(o->host_dir);
	free(o->soname);
	free(o->rpath);
	free(o->runpath);
	free(o->interp);
	strvec_free(&o->needed);
}

void closure_free(struct closure *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		object_free(&c->o[i]);
	free(c->o);
	strvec_free(&c->names);
	strvec_free(&c->records);
	strvec_free(&c->pw.added_guest);
	strvec_free(&c->pw.added_host);
	free(c);
}

const struct strvec *closure_records(const struct closure *c)
{
	return &c->records;
}

static char *dup_or_null(const char *s)
{
	return s ? kiln_xstrdup(s) : NULL;
}

static int has_name(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

/* Host directory of a host file, for $ORIGIN. */
static char *host_dir_of(const char *host)
{
	char real[PATH_MAX], *slash;

	if (!realpath(host, real))
		snprintf(real, sizeof(real), "%s", host);
	slash = strrchr(real, '/');
	if (!slash)
		return kiln_xstrdup(".");
	if (slash == real)
		slash++;
	*slash = '\0';
	return kiln_xstrdup(real);
}

/* Record a checked ELF file as an object; a library's soname counts as loaded. */
static void push_object(struct closure *c, const char *guest, const char *host,
			const struct elf_info *info,
			const struct elf_dyn_info *d, int parent)
{
	struct object *o;

	c->o = kiln_xrealloc(c->o, (c->n + 1) * sizeof(*c->o));
	o = &c->o[c->n++];
	*o = (struct object){ .guest = kiln_xstrdup(guest),
			      .host_dir = host_dir_of(host),
			      .soname = dup_or_null(d->soname),
			      .rpath = dup_or_null(d->rpath),
			      .runpath = dup_or_null(d->runpath),
			      .interp = dup_or_null(info->interp),
			      .parent = parent };
	for (uint32_t i = 0; i < d->nneeded; i++)
		strvec_push(&o->needed, d->needed[i]);
	/* A file merely present (--file, --dir) is not loaded by its soname. */
	if (parent >= 0 && d->soname && !has_name(&c->names, d->soname))
		strvec_push(&c->names, d->soname);
}

/* Which loader's rules apply: the first interpreter says. */
static void note_interp(struct closure *c, const char *interp)
{
	const char *base = strrchr(interp, '/');

	if (c->kind_known)
		return;
	c->kind_known = 1;
	c->musl = !strncmp(base ? base + 1 : interp, "ld-musl-", 8);
}

/* Check and parse one ELF file; an ELF_E* code, why in *why. */
static int parse_elf(const uint8_t *data, size_t size, struct elf_info *info,
		     struct elf_dyn_info *d)
{
	int err = elf_check_object(data, size, info);

	return err ? err : elf_dynamic(data, size, info, d);
}

int closure_add_object(struct closure *c, const char *host, const char *guest,
		       const uint8_t *data, size_t size, int quiet)
{
	struct elf_dyn_info *d = kiln_xmalloc(sizeof(*d));
	struct elf_info info;
	int err = parse_elf(data, size, &info, d);

	for (size_t i = 0; !err && i < c->n; i++)
		if (!strcmp(c->o[i].guest, guest))
			goto out; /* found as a library already */
	if (err && !quiet) {
		kiln_err("%s: %s", host, elf_strerror(err));
		free(d);
		return KILN_EXIT_FAIL;
	}
	if (!err && (info.interp || d->nneeded)) {
		if (info.interp)
			note_interp(c, info.interp);
		push_object(c, guest, host, &info, d, -1);
	}
out:
	free(d);
	return 0;
}

/* The one record line of a found library, for `kiln inspect`. */
static void push_record(struct closure *c, const char *name, const char *guest,
			const char *host, const char *by)
{
	size_t n = strlen(name) + strlen(guest) + strlen(host) + strlen(by) + 4;
	char *s = kiln_xmalloc(n);

	snprintf(s, n, "%s\n%s\n%s\n%s", name, guest, host, by);
	strvec_push(&c->records, s);
	free(s);
}

/* Outcome of trying one candidate path. */
enum { TRY_NONE, TRY_FOUND, TRY_FAILED };

/*
 * Try name in directory dir for the object at index by: a file there of
 * another class or machine is skipped by glibc (not musl); one that is
 * no usable ELF is an error, as the loader would make it.
 */
/*
 * Add the file try_dir found and checked (walking again, adding what it
 * meets), its object and its record. 1, or 0 after one error line.
 */
static int add_found(struct closure *c, const char *dhost, const char *dguest,
		     const char *name, const char *label, const char *guest,
		     const struct elf_info *info, const struct elf_dyn_info *d,
		     int by)
{
	char hreal[PATH_MAX], greal[PATH_MAX], rp[PATH_MAX];
	char origin[PATH_MAX * 2];
	int err = pathwalk(&c->pw, dhost, dguest, name, 1, hreal, greal);

	if (err) {
		/* -EEXIST: the image holds something else there, reported. */
		if (err != -EEXIST)
			kiln_file_error(guest, err);
		return 0;
	}
	/* A file of the image's own: $ORIGIN's host side is a guess. */
	snprintf(origin, sizeof(origin), "%s%s", hreal[0] ? "" : c->pw.root,
		 hreal[0] ? hreal : greal);
	push_object(c, guest, origin, info, d, by);
	if (hreal[0] && realpath(hreal, rp)) /* "bin/../lib/x": "lib/x" */
		snprintf(hreal, sizeof(hreal), "%s", rp);
	push_record(c, label, guest, hreal, c->o[by].guest);
	strvec_push(&c->names, label);
	return 1;
}

static int try_dir(struct closure *c, const char *dhost, const char *dguest,
		   const char *name, const char *label, int by)
{
	char hreal[PATH_MAX], greal[PATH_MAX], guest[PATH_MAX], gdir[PATH_MAX];
	struct elf_dyn_info *d;
	struct elf_info info;
	const uint8_t *data;
	uint8_t *buf = NULL;
	size_t size, rl;
	int err, r = TRY_FAILED;

	if (!path_join(guest, sizeof(guest), dguest, name))
		return TRY_NONE;
	/*
	 * A directory under root is walked from root, so that symlinks on
	 * the way to it (merged /usr's /lib -> usr/lib) are kept as well.
	 */
	rl = strlen(c->pw.root);
	if (!strncmp(dhost, c->pw.root, rl) && !strcmp(dhost + rl, dguest)) {
		dhost = c->pw.root;
		dguest = "/";
		name = guest + 1;
	} else if (!pathwalk_image_dir(&c->pw, dguest, gdir, sizeof(gdir))) {
		return TRY_NONE;
	} else {
		dguest = gdir; /* $ORIGIN: where the guest's path leads */
	}
	if (pathwalk(&c->pw, dhost, dguest, name, 0, hreal, greal))
		return TRY_NONE;
	if (hreal[0] && kiln_read_file(hreal, &buf, &size) < 0)
		return TRY_NONE;
	data = hreal[0] ? buf : rootfs_data(c->pw.fs, greal, &size);
	d = kiln_xmalloc(sizeof(*d));
	err = parse_elf(data, size, &info, d);
	if (!c->musl &&
	    (err == ELF_ECLASS || err == ELF_EMACHINE || err == ELF_EENDIAN))
		r = TRY_NONE;
	else if (err)
		kiln_err("%s: %s (needed by %s)", hreal[0] ? hreal : greal,
			 elf_strerror(err), c->o[by].guest);
	else if (add_found(c, dhost, dguest, name, label, guest, &info, d, by))
		r = TRY_FOUND;
	free(d);
	free(buf);
	return r;
}

static int try_dirs(struct closure *c, const struct lib_dirs *dirs,
		    const char *name, int by)
{
	int r = TRY_NONE;

	for (size_t i = 0; i < dirs->n && r == TRY_NONE; i++)
		r = try_dir(c, dirs->v[i].host, dirs->v[i].guest, name, name,
			    by);
	return r;
}

/* An RPATH/RUNPATH of object i into dirs. */
static void object_dirs(struct closure *c, int i, const char *list,
			struct lib_dirs *dirs)
{
	char gdir[PATH_MAX];
	const char *slash;

	if (!list)
		return;
	snprintf(gdir, sizeof(gdir), "%s", c->o[i].guest);
	slash = strrchr(gdir, '/');
	if (slash && slash != gdir)
		gdir[slash - gdir] = '\0';
	else
		snprintf(gdir, sizeof(gdir), "/");
	libdirs_expand(list, c->musl, c->pw.root, gdir, c->o[i].host_dir, dirs);
}

/*
 * The search list for a library object by needs, in the loader's order.
 * glibc (ld.so(8)): the RPATHs of by and of the objects that loaded it
 * (each only if that object has no RUNPATH; none if by has a RUNPATH),
 * by's RUNPATH, ld.so.conf's directories, the defaults. musl: RUNPATH,
 * else RPATH, of by and of each object up its chain, then its path.
 */
static void search_list(struct closure *c, int by, struct lib_dirs *dirs)
{
	struct lib_dirs sys = { 0 };

	for (int i = by; i >= 0; i = c->o[i].parent) {
		if (c->musl)
			object_dirs(c, i,
				    c->o[i].runpath ? c->o[i].runpath :
						      c->o[i].rpath,
				    dirs);
		else if (!c->o[by].runpath && !c->o[i].runpath)
			object_dirs(c, i, c->o[i].rpath, dirs);
	}
	if (!c->musl)
		object_dirs(c, by, c->o[by].runpath, dirs);
	libdirs_system(c->pw.root, c->musl, &sys);
	for (size_t i = 0; i < sys.n; i++) {
		dirs->v = kiln_xrealloc(dirs->v,
					(dirs->n + 1) * sizeof(*dirs->v));
		dirs->v[dirs->n++] = sys.v[i];
	}
	free(sys.v);
}

/*
 * musl's ld.so is libc.so itself and answers for the names it provides
 * (ldso/dynlink.c, load_library): "libc.so", "libpthread.so", ... with
 * or without a version suffix.
 */
static int musl_builtin(const char *name)
{
	static const char *const libs[] = { "c",  "pthread", "rt",  "m",
					    "dl", "util",    "xnet" };

	if (strncmp(name, "lib", 3))
		return 0;
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		size_t l = strlen(libs[i]);

		if (!strncmp(name + 3, libs[i], l) &&
		    (!name[3 + l] || !strncmp(name + 3 + l, ".so", 3)))
			return 1;
	}
	return 0;
}

/* Find one DT_NEEDED name of object by. */
static int resolve_needed(struct closure *c, int by, const char *name)
{
	struct lib_dirs dirs = { 0 };
	int r = TRY_NONE;

	if (!name[0] || strchr(name, '\n')) {
		kiln_err("bad library name (needed by %s)", c->o[by].guest);
		return KILN_EXIT_FAIL;
	}
	if (has_name(&c->names, name) || (c->musl && musl_builtin(name)))
		return 0;
	if (strchr(name, '/')) {
		if (name[0] == '/')
			r = try_dir(c, c->pw.root, "/", name + 1, name, by);
	} else {
		search_list(c, by, &dirs);
		r = try_dirs(c, &dirs, name, by);
		libdirs_free(&dirs);
	}
	if (r == TRY_NONE)
		kiln_err("%s: not found (needed by %s)", name, c->o[by].guest);
	return r == TRY_FOUND ? 0 : KILN_EXIT_FAIL;
}

/* The interpreter of object by, at the path PT_INTERP names. */
static int resolve_interp(struct closure *c, int by)
{
	const char *interp = c->o[by].interp;
	int r;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->o[i].guest, interp))
			return 0;
	if (interp[0] != '/') {
		kiln_err("%s: interpreter %s is not an absolute path",
			 c->o[by].guest, interp);
		return KILN_EXIT_FAIL;
	}
	r = try_dir(c, c->pw.root, "/", interp + 1, interp, by);
	if (r == TRY_NONE)
		kiln_err("%s: not found (interpreter of %s)", interp,
			 c->o[by].guest);
	return r == TRY_FOUND ? 0 : KILN_EXIT_FAIL;
}

/* Resolve the objects from index from on; c->o grows as they are. */
static int resolve_from(struct closure *c, size_t from)
{
	int err = 0;

	/* c->o grows as libraries are found: index, never pointers. */
	for (size_t i = from; i < c->n && !err; i++) {
		/* A library's PT_INTERP (libc.so.6 has one) is never used. */
		if (c->o[i].interp && c->o[i].parent < 0)
			err = resolve_interp(c, (int)i);
		for (size_t k = 0; k < c->o[i].needed.n && !err; k++)
			err = resolve_needed(c, (int)i, c->o[i].needed.v[k]);
	}
	return err;
}

/*
 * glibc opens libgcc_s.so.1 by name at run time: pthread_cancel and
 * pthread_exit unwind through it (and abort without it), as backtrace()
 * does. No DT_NEEDED names it, yet every Debian image has it, so an
 * image with glibc's libc.so.6 gets it too when the host has it; its
 * record says libc.so.6 needed it.
 */
static int add_glibc_runtime(struct closure *c)
{
	static const char name[] = "libgcc_s.so.1";
	struct lib_dirs dirs = { 0 };
	size_t from = c->n;
	int by = -1, r;

	for (size_t i = 0; i < c->n; i++) {
		const char *slash = strrchr(c->o[i].guest, '/');

		if (slash && !strcmp(slash + 1, "libc.so.6"))
			by = (int)i;
	}
	if (by < 0 || has_name(&c->names, name))
		return 0;
	search_list(c, by, &dirs);
	r = try_dirs(c, &dirs, name, by);
	libdirs_free(&dirs);
	if (r == TRY_FAILED)
		return KILN_EXIT_FAIL;
	return r == TRY_FOUND ? resolve_from(c, from) : 0;
}

int closure_resolve(struct closure *c)
{
	int err = resolve_from(c, 0);

	if (!err && !c->musl && c->kind_known)
		err = add_glibc_runtime(c);
	if (!err && !c->musl && c->kind_known) {
		char hreal[PATH_MAX], greal[PATH_MAX];

		/* glibc's ld.so reads the cache when the host has one. */
		if (pathwalk(&c->pw, c->pw.root, "/", "etc/ld.so.cache", 0,
			     hreal, greal) == 0 &&
		    pathwalk(&c->pw, c->pw.root, "/", "etc/ld.so.cache", 1,
			     hreal, greal) != 0)
			err = KILN_EXIT_FAIL;
	}
	return err;
}
