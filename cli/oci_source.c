/* oci_source.c - manifests and blobs from an OCI layout, a docker-save archive or a registry. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"

enum { SRC_LAYOUT, SRC_ARCHIVE, SRC_REGISTRY };

/* A regular file of a docker-save archive. */
struct afile {
	char *name;
	uint8_t *data;
	size_t size;
};

struct oci_source {
	int kind;
	char *name; /* the reference, for messages */
	char *dir, *tag;
	struct oci_registry *reg;
	struct afile *files; /* docker-archive: its files */
	size_t nfiles;
	struct {
		char digest[72];
		const struct afile *f;
	} * map; /* docker-archive: blob digest -> file */
	size_t nmap;
};

int oci_is_index(const char *media)
{
	return !strcmp(media, OCI_INDEX) || !strcmp(media, DOCKER_LIST);
}

/*
 * A string member of o, or NULL; one with a NUL in it too ("\u0000"
 * would cut a digest or media type short of what the JSON says).
 */
static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !oci_json_cstr(v))
		return NULL;
	return json_object_get_string(v);
}

int oci_desc_parse(struct json_object *o, struct oci_desc *d)
{
	const char *media, *digest;
	struct json_object *size;

	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	media = str_of(o, "mediaType");
	digest = str_of(o, "digest");
	if (!media || !digest || strlen(media) >= sizeof(d->media) ||
	    !oci_digest_ok(digest) ||
	    !json_object_object_get_ex(o, "size", &size) ||
	    !json_object_is_type(size, json_type_int))
		return -EINVAL;
	d->size = json_object_get_int64(size);
	if (d->size < 0 || (uint64_t)d->size >= KILN_READ_MAX)
		return -EINVAL;
	snprintf(d->media, sizeof(d->media), "%s", media);
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	return 0;
}

/* Does descriptor o match the wanted platform (or ref name)? */
static int wanted(struct json_object *o, const char *tag)
{
	struct json_object *p, *ann;

	if (tag) {
		const char *ref =
			json_object_object_get_ex(o, "annotations", &ann) ?
				str_of(ann,
				       "org.opencontainers.image.ref.name") :
				NULL;

		return ref && !strcmp(ref, tag);
	}
	if (!json_object_object_get_ex(o, "platform", &p))
		return -1; /* no platform: usable when it is the only one */
	return str_of(p, "os") && !strcmp(str_of(p, "os"), "linux") &&
	       str_of(p, "architecture") &&
	       !strcmp(str_of(p, "architecture"), "amd64");
}

int oci_index_pick(const char *name, const uint8_t *data, size_t size,
		   const char *tag, struct oci_desc *d)
{
	struct json_object *root = oci_json_parse(data, size);
	struct json_object *list;
	int found = 0, n, err = KILN_EXIT_FAIL;

	if (!root || !json_object_object_get_ex(root, "manifests", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		kiln_err("%s: malformed index (no manifests list)", name);
		goto out;
	}
	n = (int)json_object_array_length(list);
	for (int i = 0; i < n && found < 2; i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		int w = wanted(o, tag);

		if (w == 0 || (w < 0 && n > 1))
			continue;
		if (oci_desc_parse(o, d) < 0) {
			kiln_err("%s: malformed descriptor in the index", name);
			goto out;
		}
		found = 1;
		break;
	}
	if (!found) {
		if (tag)
			kiln_err("%s: no image tagged %s", name, tag);
		else
			kiln_err("%s: no linux/amd64 image in the index", name);
		goto out;
	}
	err = 0;
out:
	json_object_put(root);
	return err;
}

/* ---- docker-archive: the files of a `docker save` tar ---- */

static int archive_load(struct oci_source *src, const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint8_t *tar;
	size_t size, cap = 0;
	int r, err = kiln_read_file(path, &tar, &size);

	if (err) {
		archive_read_free(a);
		return kiln_file_error(path, err);
	}
	/* docker save's tar, maybe gzipped; no external programs. */
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	r = archive_read_open_memory(a, tar, size);
	while (r == ARCHIVE_OK &&
	       (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		struct afile *f;
		int64_t len = archive_entry_size(e);

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (len < 0 || (uint64_t)len > size) {
			r = ARCHIVE_FATAL;
			break;
		}
		if (src->nfiles == cap) {
			cap = cap ? cap * 2 : 16;
			src->files = kiln_xrealloc(src->files,
						   cap * sizeof(*src->files));
		}
		f = &src->files[src->nfiles++];
		f->name = kiln_xstrdup(archive_entry_pathname(e));
		f->size = (size_t)len;
		f->data = kiln_xmalloc(f->size ? f->size : 1);
		for (size_t at = 0; at < f->size;) {
			la_ssize_t got = archive_read_data(a, f->data + at,
							   f->size - at);

			if (got <= 0) {
				r = ARCHIVE_FATAL;
				break;
			}
			at += (size_t)got;
		}
	}
	if (r != ARCHIVE_EOF) {
		kiln_err("%s: not a docker-save archive (%s)", path,
			 archive_error_string(a) ? archive_error_string(a) :
						   "bad tar");
		err = KILN_EXIT_FAIL;
	}
	archive_read_free(a);
	free(tar);
	return err;
}

static const struct afile *archive_file(const struct oci_source *src,
					const char *name)
{
	if (!strncmp(name, "./", 2))
		name += 2;
	for (size_t i = 0; i < src->nfiles; i++) {
		const char *n = src->files[i].name;

		if (!strncmp(n, "./", 2))
			n += 2;
		if (!strcmp(n, name))
			return &src->files[i];
	}
	return NULL;
}

static void map_add(struct oci_source *src, const char *digest,
		    const struct afile *f)
{
	src->map = kiln_xrealloc(src->map, (src->nmap + 1) * sizeof(*src->map));
	snprintf(src->map[src->nmap].digest, sizeof(src->map[0].digest), "%s",
		 digest);
	src->map[src->nmap++].f = f;
}

/*
 * The digest a docker-save config file's name promises: "HEX.json"
 * (legacy) or "blobs/sha256/HEX" (Docker 25's OCI form).
 */
static int name_digest(const char *name, char out[72])
{
	const char *base = strrchr(name, '/');
	char hex[65];

	base = base ? base + 1 : name;
	if (strlen(base) < 64)
		return -EINVAL;
	memcpy(hex, base, 64);
	hex[64] = '\0';
	if (base[64] && strcmp(base + 64, ".json"))
		return -EINVAL;
	snprintf(out, 72, "sha256:%s", hex);
	return oci_digest_ok(out) ? 0 : -EINVAL;
}

/* Add a descriptor to manifest JSON m's layer array (or config). */
static struct json_object *desc_json(const char *media, const char *digest,
				     size_t size)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "mediaType", json_object_new_string(media));
	json_object_object_add(o, "digest", json_object_new_string(digest));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
	return o;
}

/*
 * manifest.json's first image as an OCI manifest: the config by the
 * digest its name promises, each layer by the diff_id the config gives
 * it (docker save writes layers uncompressed, so the file's sha256 is
 * its diff_id). The digests are verified when the blobs are read.
 */
static int archive_manifest(struct oci_source *src, uint8_t **data,
			    size_t *size)
{
	const struct afile *mf = archive_file(src, "manifest.json"), *cf;
	struct json_object *root = NULL, *img, *layers, *cfg = NULL, *ids,
			   *rootfs, *m = NULL, *ml;
	char cdigest[72], got[72];
	const char *cname;
	int err = KILN_EXIT_FAIL;
	size_t n;

	if (!mf || !(root = oci_json_parse(mf->data, mf->size)) ||
	    !json_object_is_type(root, json_type_array) ||
	    !json_object_array_length(root) ||
	    !(img = json_object_array_get_idx(root, 0)) ||
	    !(cname = str_of(img, "Config")) ||
	    !json_object_object_get_ex(img, "Layers", &layers) ||
	    !json_object_is_type(layers, json_type_array)) {
		kiln_err("%s: malformed or missing manifest.json", src->name);
		goto out;
	}
	cf = archive_file(src, cname);
	if (!cf || name_digest(cname, cdigest) < 0) {
		kiln_err("%s: config %s: missing or badly named", src->name,
			 cname);
		goto out;
	}
	oci_sha256(cf->data, cf->size, got);
	if (strcmp(got, cdigest)) {
		kiln_err("%s: config %s: digest mismatch (content is %s)",
			 src->name, cname, got);
		goto out;
	}
	map_add(src, cdigest, cf);
	cfg = oci_json_parse(cf->data, cf->size);
	n = json_object_array_length(layers);
	if (!cfg || !json_object_object_get_ex(cfg, "rootfs", &rootfs) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array) ||
	    json_object_array_length(ids) != n) {
		kiln_err("%s: malformed config %s (rootfs.diff_ids)", src->name,
			 cname);
		goto out;
	}
	m = json_object_new_object();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType",
			       json_object_new_string(OCI_MANIFEST));
	json_object_object_add(m, "config",
			       desc_json(OCI_CONFIG, cdigest, cf->size));
	ml = json_object_new_array();
	json_object_object_add(m, "layers", ml);
	for (size_t i = 0; i < n; i++) {
		struct json_object *lo = json_object_array_get_idx(layers, i);
		struct json_object *io = json_object_array_get_idx(ids, i);
		const char *ln = json_object_is_type(lo, json_type_string) ?
					 json_object_get_string(lo) :
					 NULL;
		const char *id = json_object_is_type(io, json_type_string) ?
					 json_object_get_string(io) :
					 NULL;
		const struct afile *lf = ln ? archive_file(src, ln) : NULL;

		if (!lf || !id || !oci_digest_ok(id)) {
			kiln_err("%s: layer %zu: %s", src->name, i + 1,
				 lf ? "bad diff_id in the config" :
				      "missing from the archive");
			goto out;
		}
		map_add(src, id, lf);
		json_object_array_add(
			ml, desc_json("application/vnd.oci.image.layer.v1.tar",
				      id, lf->size));
	}
	cname = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	*size = strlen(cname);
	*data = (uint8_t *)kiln_xstrdup(cname);
	err = 0;
out:
	json_object_put(m);
	json_object_put(cfg);
	json_object_put(root);
	return err;
}

/* ---- common ---- */

/* An OCI layout's blob by digest, verified. */
static int layout_blob(struct oci_source *src, const struct oci_desc *d,
		       const char *what, uint8_t **data, size_t *size)
{
	size_t plen = strlen(src->dir) + 90;
	char *path = kiln_xmalloc(plen);
	int err;

	snprintf(path, plen, "%s/blobs/sha256/%s", src->dir, d->digest + 7);
	err = kiln_read_file(path, data, size);
	if (err) {
		kiln_err("%s: %s %s: %s", src->name, what, d->digest,
			 err == -ENOENT ? "missing blob" : strerror(-err));
		free(path);
		return KILN_EXIT_FAIL;
	}
	free(path);
	return 0;
}

int oci_source_blob(struct oci_source *src, const struct oci_desc *d,
		    const char *what, uint8_t **data, size_t *size)
{
	int err = 0;

	*data = NULL;
	if (src->kind == SRC_REGISTRY) {
		err = oci_registry_blob(src->reg, d, what, data, size);
	} else if (src->kind == SRC_LAYOUT) {
		err = layout_blob(src, d, what, data, size);
	} else {
		const struct afile *f = NULL;

		for (size_t i = 0; i < src->nmap && !f; i++)
			if (!strcmp(src->map[i].digest, d->digest))
				f = src->map[i].f;
		if (!f) {
			kiln_err("%s: %s %s: missing blob", src->name, what,
				 d->digest);
			return KILN_EXIT_FAIL;
		}
		*data = kiln_xmalloc(f->size ? f->size : 1);
		memcpy(*data, f->data, f->size);
		*size = f->size;
	}
	if (!err)
		err = oci_verify(src->name, d, what, *data, *size);
	if (!err)
		oci_progress(what, *size, *size, 1);
	if (err) {
		free(*data);
		*data = NULL;
	}
	return err;
}

/* An unlinked temp file for a registry's layer: the fd, or -errno. */
static int anon_tmp(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4200];
	int fd;

	if (!dir || dir[0] != '/')
		dir = "/var/tmp"; /* on disk, where /tmp may be memory */
	snprintf(path, sizeof(path), "%s/kiln-layer-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/* An OCI layout's blob file, hashed as it is read, verified, rewound. */
static int layout_blob_fd(struct oci_source *src, const struct oci_desc *d,
			  const char *what, int *fd)
{
	char path[4200], got[72];
	uint8_t *buf = kiln_xmalloc(1 << 16);
	struct oci_hash h;
	uint64_t total = 0;
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", src->dir,
		 d->digest + 7);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		kiln_err("%s: %s %s: %s", src->name, what, d->digest,
			 errno == ENOENT ? "missing blob" : strerror(errno));
		free(buf);
		return KILN_EXIT_FAIL;
	}
	oci_hash_init(&h);
	/* One byte past the promised size is enough to refuse it. */
	while ((n = read(*fd, buf, 1 << 16)) > 0 &&
	       total <= (uint64_t)d->size) {
		oci_hash_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	free(buf);
	if (n < 0 || lseek(*fd, 0, SEEK_SET) < 0) {
		kiln_err("%s: %s %s: %s", src->name, what, d->digest,
			 strerror(errno));
		oci_hash_drop(&h);
		err = KILN_EXIT_FAIL;
	} else {
		oci_hash_final(&h, got);
		err = oci_check(src->name, d, what, total, got);
	}
	if (err) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

int oci_source_blob_fd(struct oci_source *src, const struct oci_desc *d,
		       const char *what, int *fd, uint8_t **data, size_t *size)
{
	int err;

	*fd = -1;
	if (src->kind == SRC_ARCHIVE)
		return oci_source_blob(src, d, what, data, size);
	if (src->kind == SRC_LAYOUT) {
		err = layout_blob_fd(src, d, what, fd);
	} else {
		*fd = anon_tmp();
		if (*fd < 0) {
			kiln_err("%s: %s: a temp file: %s", src->name, what,
				 strerror(-*fd));
			*fd = -1;
			return KILN_EXIT_FAIL;
		}
		err = oci_registry_blob_fd(src->reg, d, what, *fd);
		if (!err && lseek(*fd, 0, SEEK_SET) < 0)
			err = kiln_file_error(what, -errno);
		if (err) {
			close(*fd);
			*fd = -1;
		}
	}
	if (!err)
		oci_progress(what, (uint64_t)d->size, (uint64_t)d->size, 1);
	return err;
}

/*
 * The manifest to build: from the layout's index.json or the registry's
 * tag, through indexes (at most 4 deep) to the linux/amd64 manifest.
 */
int oci_source_manifest(struct oci_source *src, uint8_t **data, size_t *size,
			char media[128])
{
	struct oci_desc d;
	int err, depth = 0;

	*data = NULL;
	if (src->kind == SRC_ARCHIVE) {
		snprintf(media, 128, "%s", OCI_MANIFEST);
		return archive_manifest(src, data, size);
	}
	if (src->kind == SRC_LAYOUT) {
		size_t plen = strlen(src->dir) + 16;
		char *path = kiln_xmalloc(plen);

		snprintf(path, plen, "%s/index.json", src->dir);
		err = kiln_read_file(path, data, size);
		if (err) {
			kiln_err("%s: not an OCI image layout (%s: %s)",
				 src->name, path, strerror(-err));
			free(path);
			return KILN_EXIT_FAIL;
		}
		free(path);
		snprintf(media, 128, "%s", OCI_INDEX);
	} else {
		err = oci_registry_manifest(src->reg,
					    oci_registry_reference(src->reg),
					    data, size, media);
		if (err)
			return err;
	}
	for (;;) {
		const char *tag = src->kind == SRC_LAYOUT && !depth ? src->tag :
								      NULL;

		if (!oci_is_index(media))
			return 0;
		err = oci_index_pick(src->name, *data, *size, tag, &d);
		free(*data);
		*data = NULL;
		if (!err && ++depth > 4) {
			kiln_err("%s: indexes nested too deep", src->name);
			err = KILN_EXIT_FAIL;
		}
		if (err)
			return err;
		snprintf(media, 128, "%s", d.media);
		if (src->kind == SRC_LAYOUT)
			err = oci_source_blob(src, &d, "manifest", data, size);
		else
			err = oci_registry_manifest(src->reg, d.digest, data,
						    size, media);
		if (!err && src->kind == SRC_REGISTRY)
			err = oci_verify(src->name, &d, "manifest", *data,
					 *size);
		if (err)
			return err;
	}
}

int oci_source_open(const char *ref, int insecure, struct oci_source **out)
{
	struct oci_source *src = kiln_xmalloc(sizeof(*src));
	int err = 0;

	*src = (struct oci_source){ .name = kiln_xstrdup(ref) };
	if (!strncmp(ref, "oci:", 4)) {
		char *colon;

		src->kind = SRC_LAYOUT;
		src->dir = kiln_xstrdup(ref + 4);
		colon = strrchr(src->dir, ':');
		if (colon && !strchr(colon, '/')) {
			*colon = '\0';
			src->tag = kiln_xstrdup(colon + 1);
		}
		if (!src->dir[0] || (src->tag && !src->tag[0])) {
			err = kiln_usage_error(
				"build", "--from wants oci:DIR[:TAG], not",
				ref);
		}
	} else if (!strncmp(ref, "docker-archive:", 15)) {
		src->kind = SRC_ARCHIVE;
		err = archive_load(src, ref + 15);
	} else {
		src->kind = SRC_REGISTRY;
		err = oci_registry_open(ref, insecure, NULL, &src->reg);
	}
	if (err) {
		oci_source_close(src);
		return err;
	}
	*out = src;
	return 0;
}

void oci_source_close(struct oci_source *src)
{
	if (!src)
		return;
	for (size_t i = 0; i < src->nfiles; i++) {
		free(src->files[i].name);
		free(src->files[i].data);
	}
	free(src->files);
	free(src->map);
	oci_registry_close(src->reg);
	free(src->name);
	free(src->dir);
	free(src->tag);
	free(src);
}

const char *oci_source_name(const struct oci_source *src)
{
	return src->name;
}
