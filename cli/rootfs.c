/* rootfs.c - collect host files into the image's root file system (a newc cpio archive). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"
#include "lib/cpio.h"

#define GUEST_MAX 4095 /* bytes of a guest path (newc namesize <= 4096) */

/* One file, directory or symlink; path is relative to / ("bin/hello"). */
struct rootfs_entry {
	char *path;
	uint32_t mode;
	int implicit; /* a parent directory nobody asked for (mode 0755) */
	uint32_t uid, gid;
	uint8_t *data; /* contents or symlink target, owned */
	size_t size;
};

struct rootfs {
	struct rootfs_entry *e;
	size_t n, cap;
	/* Open-addressed index of e by path (SIZE_MAX: empty): a whole
	   image's root (--from) has thousands of entries. */
	size_t *slot, nslots;
};

static size_t path_hash(const char *s, size_t nslots)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return (size_t)h & (nslots - 1);
}

static void index_add(struct rootfs *fs, size_t i)
{
	size_t s = path_hash(fs->e[i].path, fs->nslots);

	while (fs->slot[s] != SIZE_MAX)
		s = (s + 1) & (fs->nslots - 1);
	fs->slot[s] = i;
}

/* Keep the index at most half full: 1 when rebuilt (e[] all in it). */
static int index_grow(struct rootfs *fs)
{
	if (fs->n * 2 < fs->nslots)
		return 0;
	free(fs->slot);
	fs->nslots = fs->nslots ? fs->nslots * 2 : 256;
	fs->slot = kiln_xmalloc(fs->nslots * sizeof(*fs->slot));
	memset(fs->slot, 0xff, fs->nslots * sizeof(*fs->slot));
	for (size_t i = 0; i < fs->n; i++)
		index_add(fs, i);
	return 1;
}

struct rootfs *rootfs_new(void)
{
	struct rootfs *fs = kiln_xmalloc(sizeof(*fs));

	*fs = (struct rootfs){ 0 };
	return fs;
}

void rootfs_free(struct rootfs *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->e[i].path);
		free(fs->e[i].data);
	}
	free(fs->e);
	free(fs->slot);
	free(fs);
}

/*
 * "/a//b/c/" -> "a/b/c" in out (GUEST_MAX + 1 bytes). Refuses relative
 * paths and "." / ".." components, which would make the archive say
 * something other than what the user wrote.
 */
static int normalize(const char *guest, char *out)
{
	size_t o = 0;
	const char *p = guest;

	if (*p != '/')
		return -EINVAL;
	while (*p) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && !strncmp(p, "..", 2)))
			return -EINVAL;
		if (o + len + 1 > GUEST_MAX)
			return -ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	out[o] = '\0';
	return 0;
}

static struct rootfs_entry *find(const struct rootfs *fs, const char *path)
{
	if (!fs->nslots)
		return NULL;
	for (size_t s = path_hash(path, fs->nslots); fs->slot[s] != SIZE_MAX;
	     s = (s + 1) & (fs->nslots - 1))
		if (strcmp(fs->e[fs->slot[s]].path, path) == 0)
			return &fs->e[fs->slot[s]];
	return NULL;
}

static struct rootfs_entry *push(struct rootfs *fs, const char *path,
				 uint32_t mode)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 64;

		fs->e = kiln_xrealloc(fs->e, cap * sizeof(*fs->e));
		fs->cap = cap;
	}
	fs->e[fs->n] = (struct rootfs_entry){ .path = kiln_xstrdup(path),
					      .mode = mode };
	fs->n++;
	if (!index_grow(fs))
		index_add(fs, fs->n - 1);
	return &fs->e[fs->n - 1];
}

/* Make every proper prefix directory of path exist; 1 on a conflict. */
static int make_parents(struct rootfs *fs, const char *path)
{
	char buf[GUEST_MAX + 1];

	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		struct rootfs_entry *e;

		memcpy(buf, path, (size_t)(s - path));
		buf[s - path] = '\0';
		e = find(fs, buf);
		if (!e)
			push(fs, buf, S_IFDIR | 0755)->implicit = 1;
		else if (!S_ISDIR(e->mode)) {
			kiln_err("/%s: not a directory in the image", buf);
			return KILN_EXIT_FAIL;
		}
	}
	return 0;
}

int rootfs_add_dir(struct rootfs *fs, const char *guest, uint32_t mode)
{
	char path[GUEST_MAX + 1];
	struct rootfs_entry *e;
	int err;

	if (normalize(guest, path) < 0) {
		kiln_err("%s: guest paths must be absolute, without . or ..",
			 guest);
		return KILN_EXIT_FAIL;
	}
	if (!path[0])
		return 0; /* the root itself */
	err = make_parents(fs, path);
	if (err)
		return err;
	e = find(fs, path);
	if (e && !S_ISDIR(e->mode)) {
		kiln_err("/%s: given twice", path);
		return KILN_EXIT_FAIL;
	}
	if (!e)
		e = push(fs, path, 0);
	e->mode = S_IFDIR | (mode & 07777);
	e->implicit = 0;
	return 0;
}

int rootfs_add_data(struct rootfs *fs, const char *guest, uint32_t mode,
		    const void *data, size_t size)
{
	char path[GUEST_MAX + 1];
	struct rootfs_entry *e;
	int err;

	if (normalize(guest, path) < 0 || !path[0]) {
		kiln_err("%s: guest paths must be absolute, without . or ..",
			 guest);
		return KILN_EXIT_FAIL;
	}
	if (size > UINT32_MAX) {
		kiln_err("/%s: larger than 4 GiB", path);
		return KILN_EXIT_FAIL;
	}
	err = make_parents(fs, path);
	if (err)
		return err;
	if (find(fs, path)) {
		kiln_err("/%s: given twice", path);
		return KILN_EXIT_FAIL;
	}
	e = push(fs, path, mode);
	e->data = kiln_xmalloc(size);
	if (size)
		memcpy(e->data, data, size);
	e->size = size;
	return 0;
}

/* A regular file's contents (host path) into the image. */
static int add_regular(struct rootfs *fs, const char *host, const char *guest,
		       uint32_t mode)
{
	uint8_t *data;
	size_t size;
	int err = kiln_read_file(host, &data, &size), ret;

	if (err)
		return kiln_file_error(host, err);
	ret = rootfs_add_data(fs, guest, mode, data, size);
	free(data);
	return ret;
}

int rootfs_add_host(struct rootfs *fs, const char *host, const char *guest)
{
	struct stat st;

	if (stat(host, &st) < 0)
		return kiln_file_error(host, -errno);
	if (S_ISDIR(st.st_mode)) {
		kiln_err("%s: is a directory (use --dir)", host);
		return KILN_EXIT_FAIL;
	}
	if (!S_ISREG(st.st_mode)) {
		kiln_err("%s: not a regular file", host);
		return KILN_EXIT_FAIL;
	}
	return add_regular(fs, host, guest, st.st_mode);
}

static int add_symlink(struct rootfs *fs, const char *host, const char *guest,
		       uint32_t mode)
{
	char target[GUEST_MAX + 1];
	ssize_t n = readlink(host, target, sizeof(target));

	if (n < 0 || (size_t)n >= sizeof(target)) {
		kiln_err("%s: %s", host,
			 n < 0 ? strerror(errno) : "link too long");
		return KILN_EXIT_FAIL;
	}
	return rootfs_add_data(fs, guest, mode, target, (size_t)n);
}

/* The entry at a guest path as rootfs_add_* take it, or NULL. */
static const struct rootfs_entry *find_guest(const struct rootfs *fs,
					     const char *guest)
{
	char path[GUEST_MAX + 1];

	if (normalize(guest, path) < 0)
		return NULL;
	return find(fs, path);
}

void rootfs_set_owner(struct rootfs *fs, const char *guest, uint32_t uid,
		      uint32_t gid)
{
	char path[GUEST_MAX + 1];
	struct rootfs_entry *e = normalize(guest, path) < 0 ? NULL :
							      find(fs, path);

	if (e) {
		e->uid = uid;
		e->gid = gid;
	}
}

uint32_t rootfs_mode(const struct rootfs *fs, const char *guest)
{
	const struct rootfs_entry *e = find_guest(fs, guest);

	return e ? e->mode : 0;
}

const uint8_t *rootfs_data(const struct rootfs *fs, const char *guest,
			   size_t *size)
{
	const struct rootfs_entry *e = find_guest(fs, guest);

	if (!e || !S_ISREG(e->mode))
		return NULL;
	*size = e->size;
	return e->data;
}

int rootfs_readlink(const struct rootfs *fs, const char *guest, char *buf,
		    size_t n)
{
	const struct rootfs_entry *e = find_guest(fs, guest);

	if (!e || !S_ISLNK(e->mode) || e->size >= n)
		return 0;
	memcpy(buf, e->data, e->size);
	buf[e->size] = '\0';
	return 1;
}

void rootfs_regular_files(const struct rootfs *fs, struct strvec *out)
{
	char path[GUEST_MAX + 2];

	for (size_t i = 0; i < fs->n; i++) {
		if (!S_ISREG(fs->e[i].mode))
			continue;
		snprintf(path, sizeof(path), "/%s", fs->e[i].path);
		strvec_push(out, path);
	}
}

int rootfs_add_symlink(struct rootfs *fs, const char *guest, const char *target)
{
	const struct rootfs_entry *e = find_guest(fs, guest);
	size_t len = strlen(target);

	if (e && S_ISLNK(e->mode) && e->size == len &&
	    memcmp(e->data, target, len) == 0)
		return 0;
	return rootfs_add_data(fs, guest, S_IFLNK | 0777, target, len);
}

/* One directory entry of a --dir tree: recurse, copy, or keep the link. */
static int add_one(struct rootfs *fs, const char *host, const char *guest)
{
	struct stat st;

	if (lstat(host, &st) < 0)
		return kiln_file_error(host, -errno);
	if (S_ISDIR(st.st_mode))
		return rootfs_add_tree(fs, host, guest);
	if (S_ISREG(st.st_mode))
		return add_regular(fs, host, guest, st.st_mode);
	if (S_ISLNK(st.st_mode))
		return add_symlink(fs, host, guest, st.st_mode);
	kiln_err(
		"%s: unsupported file type (only files, directories, symlinks)",
		host);
	return KILN_EXIT_FAIL;
}

int rootfs_add_tree(struct rootfs *fs, const char *hostdir, const char *guest)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	int ret = 0;

	if (stat(hostdir, &st) < 0)
		return kiln_file_error(hostdir, -errno);
	if (!S_ISDIR(st.st_mode)) {
		kiln_err("%s: not a directory", hostdir);
		return KILN_EXIT_FAIL;
	}
	ret = rootfs_add_dir(fs, guest, st.st_mode);
	if (ret)
		return ret;
	dir = opendir(hostdir);
	if (!dir)
		return kiln_file_error(hostdir, -errno);
	while (!ret && (d = readdir(dir)) != NULL) {
		size_t hl = strlen(hostdir) + strlen(d->d_name) + 2;
		size_t gl = strlen(guest) + strlen(d->d_name) + 2;
		char *h, *g;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		h = kiln_xmalloc(hl);
		g = kiln_xmalloc(gl);
		snprintf(h, hl, "%s/%s", hostdir, d->d_name);
		snprintf(g, gl, "%s/%s", guest, d->d_name);
		ret = add_one(fs, h, g);
		free(h);
		free(g);
	}
	closedir(dir);
	return ret;
}

static int by_path(const void *a, const void *b)
{
	const struct rootfs_entry *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/*
 * Extra NULs in the name of e, a header at offset at of the archive: a
 * regular file of a page or more gets its data page-aligned, so the
 * kernel maps the archive's own pages rather than copies (docs/fs.md,
 * "File data"). Smaller files would waste most of a page on padding.
 */
static size_t name_pad(const struct rootfs_entry *e, size_t at)
{
	if (!S_ISREG(e->mode) || e->size < KILN_ROOTFS_ALIGN)
		return 0;
	return cpio_name_pad(at, strlen(e->path), KILN_ROOTFS_ALIGN);
}

/*
 * Does e go on a root disk (cli/rootdisk.c)? What lies under a top-level
 * directory, and the directory, but not /dev, /proc and /tmp, which the
 * kernel keeps in memory: the rest (top-level files and symlinks) stays
 * in the archive.
 */
static int on_disk(const struct rootfs_entry *e)
{
	static const char *const mem[] = { "dev", "proc", "tmp" };
	size_t n = strcspn(e->path, "/");

	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++)
		if (n == strlen(mem[i]) && !strncmp(e->path, mem[i], n))
			return 0;
	return e->path[n] == '/' || S_ISDIR(e->mode);
}

/* The entries sorted by path (parents first); the caller frees it. */
static const struct rootfs_entry **sorted(const struct rootfs *fs)
{
	const struct rootfs_entry **order = kiln_xmalloc((fs->n ? fs->n : 1) *
							 sizeof(*order));

	for (size_t i = 0; i < fs->n; i++)
		order[i] = &fs->e[i];
	qsort(order, fs->n, sizeof(*order), by_path);
	return order;
}

/* The archive of every entry, or (rest) of those not on a root disk. */
static void archive(const struct rootfs *fs, struct kbuf *out, int rest)
{
	const struct rootfs_entry **order = sorted(fs);
	size_t start = out->len;

	for (size_t i = 0; i < fs->n; i++) {
		const struct rootfs_entry *e = order[i];
		size_t pad;

		if (rest && on_disk(e))
			continue;
		pad = name_pad(e, out->len - start);
		kbuf_reserve(out, cpio_header_size(strlen(e->path) + pad));
		out->len += cpio_header_padded(
			(char *)out->data + out->len, e->path, e->mode, e->uid,
			e->gid, 0, e->size, (uint32_t)i + 1, pad);
		kbuf_append(out, e->data, e->size);
		kbuf_zeros(out, cpio_pad(e->size));
	}
	kbuf_reserve(out, cpio_header_size(10));
	out->len += cpio_header((char *)out->data + out->len, "TRAILER!!!", 0,
				0, 0, 0, 0, 0);
	free(order);
}

/* Sorted by path, so every directory comes before what it holds. */
void rootfs_archive(const struct rootfs *fs, struct kbuf *out)
{
	archive(fs, out, 0);
}

void rootfs_archive_rest(const struct rootfs *fs, struct kbuf *out)
{
	archive(fs, out, 1);
}

uint64_t rootfs_bytes(const struct rootfs *fs)
{
	uint64_t n = 0;

	for (size_t i = 0; i < fs->n; i++)
		n += fs->e[i].size;
	return n;
}

/*
 * One entry made at host path p, owned by the builder and readable by
 * it (mke2fs -d reads it as the builder): the real owners and mode come
 * from the debugfs script (rootfs_export). 0 or -errno.
 */
static int export_one(const struct rootfs_entry *e, const char *p)
{
	int fd, err = 0;

	if (S_ISDIR(e->mode)) {
		if (mkdir(p, 0700) < 0)
			return -errno;
	} else if (S_ISLNK(e->mode)) {
		char *t = kiln_xmalloc(e->size + 1);

		memcpy(t, e->data, e->size);
		t[e->size] = '\0';
		err = symlink(t, p) < 0 ? -errno : 0;
		free(t);
	} else if (S_ISREG(e->mode)) {
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		err = kiln_write_all(fd, e->data, e->size);
		if (close(fd) < 0 && !err)
			err = -errno;
	} else if (S_ISFIFO(e->mode) || S_ISSOCK(e->mode)) {
		/* the type is mke2fs's to copy; the rest, the script's */
		if (mknod(p, (e->mode & S_IFMT) | 0600, 0) < 0)
			err = -errno;
	} else {
		return -EPERM; /* devices: mknod needs root (docs/storage.md) */
	}
	return err;
}

/* FNV-1a over n bytes, from h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

/*
 * The script line that gives the disk's inode at path (relative) e's
 * owners, mode and times (0, as the archive's): debugfs set_inode_field.
 * A path debugfs cannot quote (a '"' or a newline) is refused.
 */
static int script_entry(FILE *script, const char *path, uint32_t mode,
			uint32_t uid, uint32_t gid)
{
	static const char *const times[] = { "atime", "mtime", "ctime",
					     "crtime" };

	if (strpbrk(path, "\"\n\\") != NULL)
		return -EINVAL;
	fprintf(script, "sif \"/%s\" uid %u\nsif \"/%s\" gid %u\n", path, uid,
		path, gid);
	fprintf(script, "sif \"/%s\" mode 0%o\n", path, mode);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		fprintf(script, "sif \"/%s\" %s @0\n", path, times[i]);
	return 0;
}

int rootfs_export(const struct rootfs *fs, const char *hostdir, FILE *script,
		  uint8_t uuid[16], uint64_t *blocks, uint64_t *inodes)
{
	const struct rootfs_entry **order = sorted(fs);
	size_t cap = strlen(hostdir) + GUEST_MAX + 2;
	char *p = kiln_xmalloc(cap);
	uint64_t h1 = 14695981039346656037ULL, h2 = 0x6b696c6eULL;
	int err = 0;

	*blocks = *inodes = 0;
	/* the disk's own directories: owned by root, times 0 */
	script_entry(script, "", S_IFDIR | 0755, 0, 0);
	script_entry(script, "lost+found", S_IFDIR | 0700, 0, 0);
	for (size_t i = 0; i < fs->n && !err; i++) {
		const struct rootfs_entry *e = order[i];
		uint32_t attrs[3] = { e->mode, e->uid, e->gid };

		if (!on_disk(e))
			continue;
		snprintf(p, cap, "%s/%s", hostdir, e->path);
		err = export_one(e, p);
		if (!err)
			err = script_entry(script, e->path, e->mode, e->uid,
					   e->gid);
		if (err)
			kiln_err("%s: %s", p, strerror(-err));
		/* the disk's uuid: a hash of what it holds */
		h1 = fnv(fnv(h1, e->path, strlen(e->path) + 1), attrs,
			 sizeof(attrs));
		h2 = fnv(fnv(h2, e->data, e->size), &h1, sizeof(h1));
		/* data blocks; a directory's entries (~ 8 + name, rounded) */
		*blocks += (e->size + 4095) / 4096 + 1;
		*inodes += 1;
	}
	memcpy(uuid, &h1, 8);
	memcpy(uuid + 8, &h2, 8);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x80); /* RFC 9562 v8 */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	free(p);
	free(order);
	return err ? KILN_EXIT_FAIL : 0;
}

int rootfs_lookup(const void *archive, size_t size, const char *path,
		  const void **data, size_t *len, uint32_t *mode)
{
	struct cpio_entry e;
	size_t pos = 0;

	while (*path == '/')
		path++;
	while (cpio_next(archive, size, &pos, &e) == 1) {
		const char *name = e.name;

		if (!strncmp(name, "./", 2))
			name += 2;
		while (*name == '/')
			name++;
		if (strcmp(name, path) == 0) {
			*data = e.data;
			*len = e.size;
			*mode = e.mode;
			return 0;
		}
	}
	return -ENOENT;
}
