/* store.h - Kiln images in registries (push, pull) and the local store of pulled images. */
#ifndef KILN_CLI_STORE_H
#define KILN_CLI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/*
 * A Kiln image as an OCI artifact (image-spec 1.1, manifest.md,
 * "Guidelines for artifact usage"): an image manifest whose config is
 * of Kiln's config type (JSON: what `kiln inspect` shows) and whose one
 * layer is the image file, uncompressed. docs/containers.md has the
 * table.
 */
#define KILN_ARTIFACT_TYPE "application/vnd.kiln.image.v1"
#define KILN_CONFIG_TYPE "application/vnd.kiln.image.config.v1+json"
#define KILN_LAYER_TYPE "application/vnd.kiln.image.v1"

/* One image of the store's index: a repository and tag -> digests. */
struct store_entry {
	char repo[300];	  /* HOST[:PORT]/REPO */
	char tag[132];	  /* the tag, or "<none>" when pulled by digest */
	char digest[72];  /* the manifest's */
	char config[72];  /* the Kiln config blob's */
	char image[72];	  /* the image file's (the layer) */
	uint64_t size;	  /* the image file's bytes */
	char created[32]; /* RFC 3339, from the config */
};

/*
 * store_root: the store's directory ($XDG_DATA_HOME/kiln/images, else
 * ~/.local/share/kiln/images) into buf. 0, or the exit status after one
 * line (no HOME).
 */
int store_root(char *buf, size_t n);
/*
 * store_make_dirs: make ROOT/blobs/sha256 and what is missing above it:
 * 0 with made the first directory it made ("" when none; made may be
 * NULL), or the exit status after one line. store_unmake_dirs removes
 * them again, as far up as made, while they are empty.
 */
int store_make_dirs(const char *root, char *made, size_t n);
void store_unmake_dirs(const char *root, const char *made);
/* The path of blob digest in the store (root from store_root). */
void store_blob_path(const char *root, const char *digest, char *buf, size_t n);
/*
 * 1 when s (no file by that name) names an image of the store: a
 * registry reference (HOST/REPO..., HOST with a '.' or ':' or
 * "localhost", not starting with '.', not ending in ".img"), a digest
 * ("sha256:HEX") or a short one (12 to 64 hex digits).
 */
int store_is_reference(const char *s);

/* The index, read whole (the caller holds the lock for a change). */
struct store_index {
	struct store_entry *e;
	size_t n;
};
/*
 * store_lock: take the store's lock (flock on ROOT/lock, made with the
 * directories when create is set) into *fd: 0 (*fd is -1 when there is
 * no store and create is not set), or the exit status after one line.
 * store_unlock closes it.
 */
int store_lock(const char *root, int create, int *fd);
void store_unlock(int fd);
/* Read ROOT/index.json (none: empty). 0, or the exit status after one line. */
int store_index_read(const char *root, struct store_index *ix);
/* Write it atomically. 0, or the exit status after one line. */
int store_index_write(const char *root, const struct store_index *ix);
void store_index_free(struct store_index *ix);
/*
 * Which entries name: a reference (tag, or @digest) or a digest or its
 * short form. Sets match[i] for each; returns how many, or the exit
 * status negated after one line for a malformed name (cmd names the
 * command).
 */
int store_match(const struct store_index *ix, const char *name, const char *cmd,
		unsigned char *match);
/* Remove the blobs no entry names (the caller holds the lock). */
void store_gc(const char *root, const struct store_index *ix);

/*
 * store_resolve: for `kiln run` and `kiln inspect`: the image file of
 * name in the store into path, pulling it first by policy ("missing",
 * "always", "never"; NULL: never, for inspect). shown gets the
 * reference to show (REPO:TAG or REPO@DIGEST). 0, or the exit status
 * after one line.
 */
int store_resolve(const char *name, const char *policy, int insecure,
		  char *path, size_t n, char *shown, size_t sn);

/*
 * pull_image (oci_pull.c): fetch ref into the store, verifying every
 * digest and size; print the digest unless quiet. 0, or the exit status
 * after one line, with nothing written.
 */
int pull_image(const char *ref, int insecure, int quiet);

int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);

#endif
