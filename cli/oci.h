/* oci.h - internal interfaces of `kiln build --from`: OCI/Docker images into Kiln images. */
#ifndef KILN_CLI_OCI_H
#define KILN_CLI_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/*
 * Errors follow kiln.h: 0, or an exit status after one line. Everything
 * read from an image (manifests, configs, layer tars) is untrusted: a
 * hostile image ends the build with one line and no output file.
 */

/* ---- oci_tree.c: the root file system the layers build up ---- */

struct otree;
struct otree *otree_new(void);
void otree_free(struct otree *t);
/*
 * Apply one layer (a tar, compressed or not: libarchive finds out) of
 * data[0..size) as layer number layer (0 first), by the OCI image spec's
 * changeset rules (image-spec layer.md): whiteouts and opaque
 * directories hide only what lower layers made. name names the layer in
 * the error line. Device nodes and FIFOs are counted in *skipped, the
 * first one's path in first_skipped.
 */
int otree_apply(struct otree *t, const char *name, const void *data,
		size_t size, int layer, size_t *skipped, char *first_skipped,
		size_t first_size);
/* The same, the layer read from fd (at its start) as it is applied. */
int otree_apply_fd(struct otree *t, const char *name, int fd, int layer,
		   size_t *skipped, char *first_skipped, size_t first_size);
/*
 * Resolve path (absolute) in the tree, following symlinks (at most 40,
 * as Linux): the entry's st_mode, 0 when nothing is there.
 */
uint32_t otree_stat(const struct otree *t, const char *path);
/* A regular file's contents after symlinks, or NULL. */
const uint8_t *otree_data(const struct otree *t, const char *path,
			  size_t *size);
/* Everything into fs (modes, owners, links as they are). */
int otree_to_rootfs(const struct otree *t, struct rootfs *fs);

/* ---- oci_blob.c: sha256 digests ---- */

/* "sha256:HEX" of data into out (72 bytes). */
void oci_sha256(const void *data, size_t size, char out[72]);
/*
 * JSON text data[0..size) (untrusted, not NUL-terminated) as one JSON
 * value with nothing after it, or NULL (json_object_put frees it).
 */
struct json_object *oci_json_parse(const void *data, size_t size);
/*
 * A JSON array of strings (untrusted; NULL for absent or null: empty)
 * appended to sv: 0, or -EINVAL for anything else or a string that
 * oci_json_cstr refuses.
 */
struct json_object;
int oci_json_strings(struct json_object *a, struct strvec *sv);
/*
 * oci_json_whole: whether s is a JSON string that is whole as a C
 * string, with no NUL in it ("\u0000"); oci_json_cstr: that, and
 * shorter than KILN_CFG_MAX_VALUE bytes (what a config value holds).
 */
bool oci_json_whole(struct json_object *s);
bool oci_json_cstr(struct json_object *s);
/*
 * A running sha256, for blobs streamed to disk: init, update, then
 * final (which frees it) or drop. libcrypto failing (no memory) ends
 * kiln after one line, as oci_sha256.
 */
struct oci_hash {
	void *ctx;
};
void oci_hash_init(struct oci_hash *h);
void oci_hash_update(struct oci_hash *h, const void *data, size_t size);
void oci_hash_final(struct oci_hash *h, char out[72]);
void oci_hash_drop(struct oci_hash *h);
/* "sha256:HEX" of what is left to read of fd: 0, or -errno. */
int oci_sha256_fd(int fd, char out[72]);
/* 1 when digest is a well-formed "sha256:" + 64 lowercase hex digits. */
int oci_digest_ok(const char *digest);

/* ---- oci_source.c / oci_registry.c: where manifests and blobs come from ---- */

/* A blob descriptor (image-spec descriptor.md), checked. */
struct oci_desc {
	char media[128];
	char digest[72];
	int64_t size;
};

/*
 * oci_desc_parse: a descriptor object (untrusted JSON) into d: 0, or
 * -EINVAL when a field is missing, of the wrong type or out of range.
 */
struct json_object;
int oci_desc_parse(struct json_object *o, struct oci_desc *d);
/*
 * oci_verify (oci_blob.c): 0 when data is exactly what d promises (its
 * size and sha256); else the exit status after one line naming name and
 * what.
 */
int oci_verify(const char *name, const struct oci_desc *d, const char *what,
	       const uint8_t *data, size_t size);
/*
 * oci_check: the same for a blob of size bytes whose digest was got
 * ("sha256:HEX"; unused when the size is wrong).
 */
int oci_check(const char *name, const struct oci_desc *d, const char *what,
	      uint64_t size, const char *got);
/*
 * Of an index or manifest list (data, untrusted), the descriptor of the
 * linux/amd64 manifest; with tag, the one annotated with that ref name.
 * 0, or the exit status after one line naming name.
 */
int oci_index_pick(const char *name, const uint8_t *data, size_t size,
		   const char *tag, struct oci_desc *d);
/* Media types (image-spec media-types.md, Docker's manifest v2 s2). */
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
/* 1 for an index or manifest list media type. */
int oci_is_index(const char *media);

struct oci_source;
/*
 * oci_source_open: from REF as `kiln build --from` takes it. insecure
 * allows plain HTTP for a registry. Returns 0 with *src set, or the exit
 * status after one line.
 */
int oci_source_open(const char *ref, int insecure, struct oci_source **src);
void oci_source_close(struct oci_source *src);
/* The name of the reference for messages. */
const char *oci_source_name(const struct oci_source *src);
/*
 * The image to build: the manifest's bytes (*data, malloc'd) and media
 * type, after an index or manifest list has been narrowed to
 * linux/amd64. For a docker-archive the manifest is made from
 * manifest.json (config and layers named by their digests).
 */
int oci_source_manifest(struct oci_source *src, uint8_t **data, size_t *size,
			char media[128]);
/*
 * The blob d names, verified: exactly d->size bytes whose sha256 is
 * d->digest. what says what it is for the progress line and errors.
 */
int oci_source_blob(struct oci_source *src, const struct oci_desc *d,
		    const char *what, uint8_t **data, size_t *size);

/*
 * oci_source_blob_fd: the same, for layers: *fd is open at the start of
 * the verified blob, or -1 when the source holds it in memory anyway
 * (a docker-archive; then *data and *size are set as above). A
 * registry's blob goes to an unlinked temp file ($TMPDIR, else
 * /var/tmp) as it arrives, hashed on the way, so no layer is held in
 * memory whole and nothing is left behind; an OCI layout's is hashed
 * from its file and read again.
 */
int oci_source_blob_fd(struct oci_source *src, const struct oci_desc *d,
		       const char *what, int *fd, uint8_t **data, size_t *size);

/* Registry side (oci_registry.c, its HTTP in oci_http.c), used by oci_source.c. */
struct oci_registry;
/*
 * Parse ref (HOST[:PORT]/REPO[:TAG|@DIGEST]); a bad one is a usage error
 * of cmd (NULL: build --from). Credentials are looked up here.
 */
int oci_registry_open(const char *ref, int insecure, const char *cmd,
		      struct oci_registry **reg);
void oci_registry_close(struct oci_registry *reg);
/* GET a manifest (by tag or digest) or a blob; the body into *data. */
int oci_registry_manifest(struct oci_registry *reg, const char *reference,
			  uint8_t **data, size_t *size, char media[128]);
int oci_registry_blob(struct oci_registry *reg, const struct oci_desc *d,
		      const char *what, uint8_t **data, size_t *size);
/*
 * The same into fd (an empty file, written at its offset 0), hashed
 * while it is written, never held in memory: 0 when fd holds exactly the
 * blob d promises, else the exit status after one line (the file then
 * holds anything: the caller deletes it).
 */
int oci_registry_blob_fd(struct oci_registry *reg, const struct oci_desc *d,
			 const char *what, int fd);
/* The tag or digest the reference named ("latest" by default). */
const char *oci_registry_reference(const struct oci_registry *reg);
/* The reference as given. */
const char *oci_registry_name(const struct oci_registry *reg);

/* ---- oci_trust.c: per-host credentials and CAs, for oci_registry_open ---- */

/*
 * oci_docker_creds: "Basic B64" for host from $DOCKER_CONFIG/config.json
 * or ~/.docker/config.json (auths[HOST], or under https:// or http://),
 * malloc'd, or NULL when there is none.
 */
char *oci_docker_creds(const char *host);
/*
 * oci_find_ca: host's CA file (certs.d, docs/containers.md "HTTPS") into
 * *ca (malloc'd; NULL when there is none): 0, or the exit status after
 * one line naming ref when the file there holds no PEM certificate.
 */
int oci_find_ca(const char *ref, const char *host, char **ca);

/* One request of the push side (oci_registry_call). */
struct oci_call {
	const char *method; /* "HEAD", "POST", "PUT"... */
	/* Under /v2/REPO/ ("blobs/uploads/"), or a URL the registry gave. */
	const char *path;
	const char *type; /* the body's Content-Type (default octet-stream) */
	const void *body; /* or NULL */
	size_t size;
	/* with from_fd: the body is size bytes of file body_fd, read as sent */
	int from_fd, body_fd;
	const char *what; /* progress label, or NULL */
	long status;	  /* out: the HTTP status */
	/*
	 * out: the Location header whole, made absolute, malloc'd (the
	 * caller frees it), or NULL when there is none
	 */
	char *location;
};
/*
 * Send c, answering one authentication challenge: 0 with c->status (any:
 * the caller judges it), or the exit status after one line (the
 * connection failed, the token service refused, a header kept was
 * longer than 64 KiB). c->location is set either way.
 */
int oci_registry_call(struct oci_registry *reg, struct oci_call *c);

/* ---- oci_progress (oci_blob.c): per-layer progress on a terminal ---- */

/* Show "what: done/total" on stderr when it is a terminal; else nothing. */
void oci_progress(const char *what, uint64_t done, uint64_t total, int last);

/* ---- oci_build.c ---- */

/* What `kiln build --from` was asked. */
struct oci_spec {
	const char *ref;
	const char *entrypoint; /* --entrypoint, or NULL */
	int has_args;		/* ARG... given: they replace Cmd */
	struct strvec args;
	int insecure;
};

int oci_build_image(const struct oci_spec *spec, const struct build_spec *b,
		    struct kbuf *out);

#endif
