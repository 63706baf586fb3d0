/* oci_tree.c - the root file system an image's layers build up, one tar changeset at a time. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci.h"

#define TREE_PATH_MAX 4095
#define SYMLINK_MAX 40
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* One file, directory or symlink; path is relative to / ("bin/sh"). */
struct onode {
	char *path;
	uint32_t mode, uid, gid;
	int layer; /* which layer made it: whiteouts hide only lower ones */
	int dead;
	uint8_t *data; /* contents or symlink target */
	size_t size;
};

struct otree {
	struct onode *n;
	size_t len, cap;
	size_t *slot; /* open-addressed index into n, SIZE_MAX = empty */
	size_t nslots;
};

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

static void rehash(struct otree *t, size_t nslots)
{
	free(t->slot);
	t->slot = kiln_xmalloc(nslots * sizeof(*t->slot));
	memset(t->slot, 0xff, nslots * sizeof(*t->slot));
	t->nslots = nslots;
	for (size_t i = 0; i < t->len; i++) {
		size_t s = hash_path(t->n[i].path) & (nslots - 1);

		while (t->slot[s] != SIZE_MAX)
			s = (s + 1) & (nslots - 1);
		t->slot[s] = i;
	}
}

struct otree *otree_new(void)
{
	struct otree *t = kiln_xmalloc(sizeof(*t));

	*t = (struct otree){ 0 };
	rehash(t, 1024);
	return t;
}

void otree_free(struct otree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->len; i++) {
		free(t->n[i].path);
		free(t->n[i].data);
	}
	free(t->n);
	free(t->slot);
	free(t);
}

/* The node at path (dead ones too: a name keeps its slot), or NULL. */
static struct onode *lookup(const struct otree *t, const char *path)
{
	size_t s = hash_path(path) & (t->nslots - 1);

	for (; t->slot[s] != SIZE_MAX; s = (s + 1) & (t->nslots - 1))
		if (!strcmp(t->n[t->slot[s]].path, path))
			return &t->n[t->slot[s]];
	return NULL;
}

static struct onode *live(const struct otree *t, const char *path)
{
	struct onode *n = lookup(t, path);

	return n && !n->dead ? n : NULL;
}

/* The node for path, made (dead) if new. */
static struct onode *node_at(struct otree *t, const char *path)
{
	struct onode *n = lookup(t, path);

	if (n)
		return n;
	if (t->len == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->n = kiln_xrealloc(t->n, t->cap * sizeof(*t->n));
	}
	t->n[t->len] = (struct onode){ .path = kiln_xstrdup(path), .dead = 1 };
	t->len++;
	if (t->len * 2 > t->nslots) {
		rehash(t, t->nslots * 2);
	} else {
		size_t s = hash_path(path) & (t->nslots - 1);

		while (t->slot[s] != SIZE_MAX)
			s = (s + 1) & (t->nslots - 1);
		t->slot[s] = t->len - 1;
	}
	return &t->n[t->len - 1];
}

/*
 * Remove what lies under dir ("" is the root) and was made by a layer
 * below below (all of it when below is INT32_MAX); with self, dir too.
 */
static void remove_tree(struct otree *t, const char *dir, int below, int self)
{
	size_t len = strlen(dir);

	for (size_t i = 0; i < t->len; i++) {
		struct onode *n = &t->n[i];
		int inside = len == 0 || (!strncmp(n->path, dir, len) &&
					  n->path[len] == '/');

		if (self && !strcmp(n->path, dir))
			inside = 1;
		if (!n->dead && inside && n->layer < below) {
			n->dead = 1;
			free(n->data);
			n->data = NULL;
		}
	}
}

/*
 * A tar entry's name (untrusted) into out ("usr/bin/x"): "./" prefixes
 * and "." components go; an absolute name or a ".." component is
 * hostile (-EPERM). "" is the root itself.
 */
static int clean_name(const char *name, char *out)
{
	size_t o = 0;

	if (name[0] == '/')
		return -EPERM;
	while (*name) {
		size_t len = strcspn(name, "/");

		if (len == 2 && !strncmp(name, "..", 2))
			return -EPERM;
		if (len && !(len == 1 && name[0] == '.')) {
			if (o + len + 1 > TREE_PATH_MAX)
				return -ENAMETOOLONG;
			if (o)
				out[o++] = '/';
			memcpy(out + o, name, len);
			o += len;
		}
		name += len;
		while (*name == '/')
			name++;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Make every parent directory of path exist (0755, root's, as the
 * runtimes do for a layer that names a file before its directory). A
 * parent that is a symlink would send the write elsewhere: hostile.
 */
static int make_parents(struct otree *t, const char *path, int layer,
			const char **why)
{
	char buf[TREE_PATH_MAX + 1];

	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		struct onode *n;

		memcpy(buf, path, (size_t)(s - path));
		buf[s - path] = '\0';
		n = live(t, buf);
		if (n && S_ISLNK(n->mode)) {
			*why = "path through a symlink";
			return -EPERM;
		}
		if (n && !S_ISDIR(n->mode)) {
			*why = "parent is not a directory";
			return -ENOTDIR;
		}
		if (!n) {
			n = node_at(t, buf);
			*n = (struct onode){ .path = n->path,
					     .mode = S_IFDIR | 0755,
					     .layer = layer };
		}
	}
	return 0;
}

/* A relative symlink target that climbs above / from path's directory. */
static int link_escapes(const char *path, const char *target)
{
	int depth = 0;

	if (target[0] == '/')
		return 0; /* resolved in the guest's root, as chroot would */
	for (const char *s = path; (s = strchr(s, '/')) != NULL; s++)
		depth++;
	while (*target) {
		size_t len = strcspn(target, "/");

		if (len == 2 && !strncmp(target, "..", 2)) {
			if (--depth < 0)
				return 1;
		} else if (len && !(len == 1 && target[0] == '.')) {
			depth++;
		}
		target += len;
		while (*target == '/')
			target++;
	}
	return 0;
}

/* A whiteout entry (image-spec layer.md, "Whiteouts"). */
static int whiteout(struct otree *t, const char *path, const char *base,
		    int layer, const char **why)
{
	char target[TREE_PATH_MAX + 1];
	size_t dirlen = (size_t)(base - path);
	struct onode *n;

	if (!strcmp(base, WH_OPAQUE)) {
		memcpy(target, path, dirlen ? dirlen - 1 : 0);
		target[dirlen ? dirlen - 1 : 0] = '\0';
		remove_tree(t, target, layer, 0);
		return 0;
	}
	base += strlen(WH_PREFIX);
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		*why = "bad whiteout name";
		return -EPERM;
	}
	memcpy(target, path, dirlen);
	strcpy(target + dirlen, base);
	n = live(t, target);
	if (n && !S_ISDIR(n->mode)) { /* the common case, without a walk */
		if (n->layer < layer) {
			n->dead = 1;
			free(n->data);
			n->data = NULL;
		}
		return 0;
	}
	remove_tree(t, target, layer, 1);
	return 0;
}

/* What one layer's application keeps between entries. */
struct apply {
	struct otree *t;
	struct archive *a;
	int layer;
	uint64_t total; /* bytes of file data so far, bounded */
	const char *why;
};

/* Put a node at path (replacing what was there), parents made. */
static struct onode *put(struct apply *ap, const char *path, uint32_t mode,
			 struct archive_entry *e)
{
	struct onode *n = live(ap->t, path);

	if (n && !(S_ISDIR(n->mode) && S_ISDIR(mode)))
		remove_tree(ap->t, path, INT32_MAX, 1);
	n = node_at(ap->t, path);
	if (n->dead) {
		free(n->data);
		*n = (struct onode){ .path = n->path, .layer = ap->layer };
	}
	n->mode = mode;
	n->uid = (uint32_t)archive_entry_uid(e);
	n->gid = (uint32_t)archive_entry_gid(e);
	return n;
}

/* A regular file's data from the archive into n. */
static int read_data(struct apply *ap, struct onode *n, int64_t size)
{
	la_ssize_t got;
	size_t at = 0;

	if (size < 0 || (uint64_t)size > UINT32_MAX ||
	    ap->total + (uint64_t)size > KILN_READ_MAX) {
		ap->why = "files larger than Kiln's 1 GiB limit";
		return -EFBIG;
	}
	ap->total += (uint64_t)size;
	n->data = kiln_xmalloc(size ? (size_t)size : 1);
	n->size = (size_t)size;
	while (at < (size_t)size &&
	       (got = archive_read_data(ap->a, n->data + at,
					(size_t)size - at)) > 0)
		at += (size_t)got;
	if (at != (size_t)size) {
		ap->why = archive_error_string(ap->a) ?
				  archive_error_string(ap->a) :
				  "truncated file data";
		return -EIO;
	}
	return 0;
}

/* A hard link: a copy of the regular file it names (same mode, owner). */
static int hard_link(struct apply *ap, const char *path, const char *to,
		     struct archive_entry *e)
{
	char target[TREE_PATH_MAX + 1];
	struct onode *src, *n;

	if (clean_name(to, target) < 0) {
		ap->why = "hard link out of the root";
		return -EPERM;
	}
	src = live(ap->t, target);
	if (!src || !S_ISREG(src->mode) || !strcmp(target, path)) {
		ap->why = "hard link to no regular file";
		return -ENOENT;
	}
	/* put() may move the array: keep what src held first. */
	size_t size = src->size;
	uint8_t *copy = kiln_xmalloc(size ? size : 1);
	uint32_t mode = src->mode, uid = src->uid, gid = src->gid;

	memcpy(copy, src->data, size);
	n = put(ap, path, mode, e);
	n->uid = uid;
	n->gid = gid;
	n->data = copy;
	n->size = size;
	return 0;
}

/* One tar entry. */
static int apply_entry(struct apply *ap, struct archive_entry *e,
		       size_t *skipped, char *first, size_t first_size)
{
	char path[TREE_PATH_MAX + 1];
	const char *name = archive_entry_pathname(e), *base, *link;
	uint32_t mode = archive_entry_mode(e);
	struct onode *n;
	int err;

	if (!name || (err = clean_name(name, path)) < 0) {
		ap->why = "path out of the root (absolute or ..)";
		return -EPERM;
	}
	if (!path[0])
		return 0; /* "./": the root directory itself */
	err = make_parents(ap->t, path, ap->layer, &ap->why);
	if (err)
		return err;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
		return whiteout(ap->t, path, base, ap->layer, &ap->why);
	link = archive_entry_hardlink(e);
	if (link)
		return hard_link(ap, path, link, e);
	switch (mode & S_IFMT) {
	case S_IFDIR:
		put(ap, path, mode, e);
		return 0;
	case S_IFREG:
		return read_data(ap, put(ap, path, mode, e),
				 archive_entry_size(e));
	case S_IFLNK:
		link = archive_entry_symlink(e);
		if (!link || !*link || strlen(link) > TREE_PATH_MAX ||
		    link_escapes(path, link)) {
			ap->why = "symlink pointing out of the root";
			return -EPERM;
		}
		n = put(ap, path, mode, e);
		n->data = (uint8_t *)kiln_xstrdup(link);
		n->size = strlen(link);
		return 0;
	default: /* devices, FIFOs, sockets: the guest's /dev is its own */
		if (!(*skipped)++)
			snprintf(first, first_size, "/%s", path);
		return 0;
	}
}

/* otree_apply and otree_apply_fd: the tar from fd when fd >= 0, else data. */
static int apply_tar(struct otree *t, const char *name, int fd,
		     const void *data, size_t size, int layer, size_t *skipped,
		     char *first_skipped, size_t first_size)
{
	struct apply ap = { .t = t, .layer = layer };
	struct archive_entry *e;
	int r, err = 0;

	for (size_t i = 0; i < t->len; i++)
		ap.total += t->n[i].dead ? 0 : t->n[i].size;
	ap.a = archive_read_new();
	/* The layer compressions of image-spec media-types.md, in-process
	   only: filter_all would run external programs on hostile data. */
	archive_read_support_filter_gzip(ap.a);
	archive_read_support_filter_zstd(ap.a);
	archive_read_support_format_tar(ap.a);
	/* from a file, 64 KiB at a time: a layer is never read whole */
	r = fd >= 0 ? archive_read_open_fd(ap.a, fd, 1 << 16) :
		      archive_read_open_memory(ap.a, data, size);
	if (r != ARCHIVE_OK) {
		kiln_err("%s: not a tar layer (%s)", name,
			 archive_error_string(ap.a));
		archive_read_free(ap.a);
		return KILN_EXIT_FAIL;
	}
	while (!err && (r = archive_read_next_header(ap.a, &e)) == ARCHIVE_OK)
		err = apply_entry(&ap, e, skipped, first_skipped, first_size);
	if (!err && r != ARCHIVE_EOF) {
		kiln_err("%s: bad layer tar (%s)", name,
			 archive_error_string(ap.a) ?
				 archive_error_string(ap.a) :
				 "unreadable");
		err = KILN_EXIT_FAIL;
	} else if (err) {
		kiln_err("%s: refused entry %s: %s", name,
			 archive_entry_pathname(e) ? archive_entry_pathname(e) :
						     "(no name)",
			 ap.why);
		err = KILN_EXIT_FAIL;
	}
	archive_read_free(ap.a);
	return err;
}

int otree_apply(struct otree *t, const char *name, const void *data,
		size_t size, int layer, size_t *skipped, char *first_skipped,
		size_t first_size)
{
	return apply_tar(t, name, -1, data, size, layer, skipped, first_skipped,
			 first_size);
}

int otree_apply_fd(struct otree *t, const char *name, int fd, int layer,
		   size_t *skipped, char *first_skipped, size_t first_size)
{
	return apply_tar(t, name, fd, NULL, 0, layer, skipped, first_skipped,
			 first_size);
}

/*
 * Resolve an absolute path in the tree as the guest's kernel would
 * (symlinks followed, at most SYMLINK_MAX; ".." stops at /): the node,
 * or NULL.
 */
static const struct onode *resolve(const struct otree *t, const char *path)
{
	char cur[TREE_PATH_MAX + 1] = "", rest[2 * TREE_PATH_MAX + 2];
	int links = 0;

	snprintf(rest, sizeof(rest), "%s", path);
	for (char *p = rest; *p;) {
		size_t len = strcspn(p, "/"), clen = strlen(cur);
		const struct onode *n;

		if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len + (p[len] == '/');
			continue;
		}
		if (len == 2 && !strncmp(p, "..", 2)) {
			char *slash = strrchr(cur, '/');

			*(slash ? slash : cur) = '\0';
			p += len + (p[len] == '/');
			continue;
		}
		if (clen + len + 2 > sizeof(cur))
			return NULL;
		snprintf(cur + clen, sizeof(cur) - clen, "%s%.*s",
			 clen ? "/" : "", (int)len, p);
		p += len + (p[len] == '/');
		n = live(t, cur);
		if (!n)
			return NULL;
		if (S_ISLNK(n->mode)) {
			char next[2 * TREE_PATH_MAX + 2];

			if (++links > SYMLINK_MAX)
				return NULL;
			snprintf(next, sizeof(next), "%.*s/%s", (int)n->size,
				 (const char *)n->data, p);
			cur[clen] = '\0';
			if (n->data[0] == '/')
				cur[0] = '\0';
			snprintf(rest, sizeof(rest), "%s", next);
			p = rest;
		}
	}
	if (!cur[0])
		return NULL; /* the root: not something to run */
	return live(t, cur);
}

uint32_t otree_stat(const struct otree *t, const char *path)
{
	const struct onode *n = resolve(t, path);

	return n ? n->mode : 0;
}

const uint8_t *otree_data(const struct otree *t, const char *path, size_t *size)
{
	const struct onode *n = resolve(t, path);

	if (!n || !S_ISREG(n->mode))
		return NULL;
	*size = n->size;
	return n->data;
}

int otree_to_rootfs(const struct otree *t, struct rootfs *fs)
{
	char guest[TREE_PATH_MAX + 2];
	int err = 0;

	for (size_t i = 0; i < t->len && !err; i++) {
		const struct onode *n = &t->n[i];

		if (n->dead)
			continue;
		snprintf(guest, sizeof(guest), "/%s", n->path);
		if (S_ISDIR(n->mode))
			err = rootfs_add_dir(fs, guest, n->mode);
		else
			err = rootfs_add_data(fs, guest, n->mode, n->data,
					      n->size);
		if (!err)
			rootfs_set_owner(fs, guest, n->uid, n->gid);
	}
	return err;
}
