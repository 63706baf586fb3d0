/* oci_pull.c - `kiln pull REF`: a Kiln image from a registry into the local store, verified. */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"
#include "store.h"

static const char pull_usage[] =
	"usage: kiln pull [--insecure] HOST[:PORT]/REPO[:TAG|@DIGEST]\n"
	"\n"
	"Fetch a Kiln image kiln push stored in a registry into the local\n"
	"store ($XDG_DATA_HOME/kiln/images, else ~/.local/share/kiln/images),\n"
	"verifying every digest and size. kiln images lists the store, kiln\n"
	"run REF runs from it.\n"
	"\n"
	"  --insecure   allow plain HTTP, or HTTPS with any certificate (a\n"
	"               registry's own CA goes in\n"
	"               ~/.config/kiln/certs.d/HOST:PORT/ca.crt)\n"
	"  -h, --help   show this help\n";

/*
 * What a pull fetched, all checked, before anything is named in the
 * store: the manifest and config in memory, the image file (any size)
 * in a temp file on the store's file system, which save links or
 * renames into place.
 */
struct pulled {
	uint8_t *manifest, *config;
	size_t manifest_size, config_size;
	int fd;		 /* the image's temp file */
	int anon;	 /* it has no name (O_TMPFILE) */
	char tmp[4200];	 /* else its name, "" when none */
	char made[4200]; /* the first store directory the pull made */
	struct store_entry e;
};

/*
 * The image's temp file: without a name (O_TMPFILE) in the store's blob
 * directory, or the nearest directory above it there is (where the
 * store will be made: the same file system), so that nothing is left
 * however kiln ends, and a failed first pull makes no store. Where the
 * file system has no O_TMPFILE: a dot name in the blob directory (which
 * store_gc leaves alone), removed on errors and signals.
 */
static int open_tmp(const char *root, struct pulled *p)
{
	char dir[4200];
	char *slash;

	snprintf(dir, sizeof(dir), "%s/blobs/sha256", root);
	while (access(dir, F_OK) && (slash = strrchr(dir, '/')) != NULL &&
	       slash != dir)
		*slash = '\0';
	p->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (p->fd >= 0) {
		p->anon = 1;
		return 0;
	}
	if (store_make_dirs(root, p->made, sizeof(p->made)))
		return KILN_EXIT_FAIL;
	snprintf(p->tmp, sizeof(p->tmp), "%s/blobs/sha256/.pull-XXXXXX", root);
	p->fd = mkstemp(p->tmp);
	if (p->fd < 0) {
		int err = kiln_file_error(p->tmp, -errno);

		p->tmp[0] = '\0';
		return err;
	}
	kiln_tmp_register(p->tmp);
	return 0;
}

static int not_kiln(const char *name, const char *what)
{
	kiln_err("%s: not a Kiln image (%s); for a container image use"
		 " kiln build --from %s",
		 name, what, name);
	return KILN_EXIT_FAIL;
}

/*
 * The manifest (untrusted) into the config's and the image's
 * descriptors: 0, or the exit status after one line.
 */
static int parse_manifest(const char *name, const char *media,
			  const uint8_t *data, size_t size, struct oci_desc *cd,
			  struct oci_desc *id)
{
	struct json_object *o, *c, *layers;
	int err = 0;

	if (strcmp(media, OCI_MANIFEST))
		return not_kiln(name, oci_is_index(media) ?
					      "an index of images" :
					      "not an OCI image manifest");
	o = oci_json_parse(data, size);
	if (!o || !json_object_object_get_ex(o, "config", &c) ||
	    oci_desc_parse(c, cd) < 0 ||
	    !json_object_object_get_ex(o, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array)) {
		json_object_put(o);
		kiln_err("%s: malformed manifest", name);
		return KILN_EXIT_FAIL;
	}
	if (strcmp(cd->media, KILN_CONFIG_TYPE))
		err = not_kiln(name, "its config is not " KILN_CONFIG_TYPE);
	else if (json_object_array_length(layers) != 1 ||
		 oci_desc_parse(json_object_array_get_idx(layers, 0), id) < 0 ||
		 strcmp(id->media, KILN_LAYER_TYPE))
		err = not_kiln(name, "not one layer of " KILN_LAYER_TYPE);
	json_object_put(o);
	return err;
}

/* The config's "created" (RFC 3339), or "" when absent or odd. */
static void config_created(const uint8_t *data, size_t size, char out[32])
{
	struct json_object *o = oci_json_parse(data, size), *v;
	const char *s;

	out[0] = '\0';
	if (o && json_object_object_get_ex(o, "created", &v) &&
	    json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strlen(s) < 32 &&
		    strspn(s, "0123456789-:TZ.+") == strlen(s))
			snprintf(out, 32, "%s", s);
	}
	json_object_put(o);
}

/*
 * The image blob into a new temp file of the store, verified while it
 * is written, then checked as a Kiln image from the file: 0 with
 * p->tmp, or the exit status after one line.
 */
static int fetch_image(struct oci_registry *reg, const char *root,
		       const char *name, const struct oci_desc *id,
		       struct pulled *p)
{
	char what[64];
	const char *why;
	int err;

	err = open_tmp(root, p);
	if (err)
		return err;
	snprintf(what, sizeof(what), "image %.12s", id->digest + 7);
	err = oci_registry_blob_fd(reg, id, what, p->fd);
	if (err)
		return err;
	oci_progress(what, (uint64_t)id->size, (uint64_t)id->size, 1);
	err = image_check_fd(p->fd, &why);
	if (err == -ENOEXEC) {
		kiln_err("%s: image %s: not a Kiln image (%s)", name,
			 id->digest, why);
		return KILN_EXIT_FAIL;
	}
	if (!err && ((!p->anon && fchmod(p->fd, 0644) < 0) || fsync(p->fd) < 0))
		err = -errno;
	if (err) {
		kiln_err("%s: %s: %s", name, what, strerror(-err));
		return KILN_EXIT_FAIL;
	}
	return 0;
}

/* Fetch and check everything ref names into p. */
static int fetch(struct oci_registry *reg, const char *root, const char *name,
		 struct pulled *p)
{
	const char *ref = oci_registry_reference(reg);
	struct oci_desc cd, id;
	char media[128];
	int err = oci_registry_manifest(reg, ref, &p->manifest,
					&p->manifest_size, media);

	if (err)
		return err;
	oci_sha256(p->manifest, p->manifest_size, p->e.digest);
	if (!strncmp(ref, "sha256:", 7) && strcmp(ref, p->e.digest)) {
		kiln_err("%s: manifest: digest mismatch (content is %s)", name,
			 p->e.digest);
		return KILN_EXIT_FAIL;
	}
	err = parse_manifest(name, media, p->manifest, p->manifest_size, &cd,
			     &id);
	if (!err)
		err = oci_registry_blob(reg, &cd, "config", &p->config,
					&p->config_size);
	if (!err)
		err = oci_verify(name, &cd, "config", p->config,
				 p->config_size);
	if (err)
		return err;
	oci_progress("config", p->config_size, (uint64_t)cd.size, 1);
	err = fetch_image(reg, root, name, &id, p);
	if (err)
		return err;
	snprintf(p->e.config, sizeof(p->e.config), "%s", cd.digest);
	snprintf(p->e.image, sizeof(p->e.image), "%s", id.digest);
	p->e.size = (uint64_t)id.size;
	config_created(p->config, p->config_size, p->e.created);
	return 0;
}

/* Write blob digest unless the store has it. */
static int put_blob(const char *root, const char *digest, const void *data,
		    size_t size)
{
	char path[4200];
	int err;

	store_blob_path(root, digest, path, sizeof(path));
	if (access(path, F_OK) == 0)
		return 0;
	err = kiln_write_atomic(path, data, size);
	return err ? kiln_file_error(path, err) : 0;
}

/* The image's temp file as blob digest, unless the store has it. */
static int move_blob(const char *root, const char *digest, struct pulled *p)
{
	char path[4200], self[64];

	store_blob_path(root, digest, path, sizeof(path));
	if (access(path, F_OK) == 0)
		return 0; /* the caller deletes tmp */
	if (p->anon) {
		/*
		 * linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the
		 * /proc link does not, but needs /proc (open(2), O_TMPFILE)
		 */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", p->fd);
		if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) &&
		    (errno != ENOENT ||
		     linkat(p->fd, "", AT_FDCWD, path, AT_EMPTY_PATH)))
			return kiln_file_error(path, -errno);
		return 0;
	}
	if (rename(p->tmp, path) < 0)
		return kiln_file_error(path, -errno);
	kiln_tmp_forget(p->tmp);
	p->tmp[0] = '\0';
	return 0;
}

/* The blobs, then the index entry (replacing the one of the same name). */
static int save(const char *root, struct pulled *p, int *fresh)
{
	struct store_index ix;
	int fd, err = store_lock(root, 1, &fd);
	size_t i;

	if (err)
		return err;
	err = move_blob(root, p->e.image, p);
	if (!err)
		err = put_blob(root, p->e.config, p->config, p->config_size);
	if (!err)
		err = put_blob(root, p->e.digest, p->manifest,
			       p->manifest_size);
	if (!err)
		err = store_index_read(root, &ix);
	if (err)
		goto out;
	for (i = 0; i < ix.n; i++)
		if (!strcmp(ix.e[i].repo, p->e.repo) &&
		    !strcmp(ix.e[i].tag, p->e.tag) &&
		    (strcmp(p->e.tag, "<none>") ||
		     !strcmp(ix.e[i].digest, p->e.digest)))
			break;
	*fresh = i == ix.n || strcmp(ix.e[i].digest, p->e.digest) != 0;
	if (i == ix.n) {
		ix.e = kiln_xrealloc(ix.e, (ix.n + 1) * sizeof(*ix.e));
		ix.n++;
	}
	ix.e[i] = p->e;
	err = store_index_write(root, &ix);
	/* What the tag named before, when nothing else names it. */
	if (!err)
		store_gc(root, &ix);
	store_index_free(&ix);
out:
	store_unlock(fd);
	return err;
}

int pull_image(const char *ref, int insecure, int quiet)
{
	struct oci_registry *reg;
	struct pulled p = { .fd = -1 };
	char root[4096];
	const char *at = strchr(ref, '@'), *colon = strrchr(ref, ':');
	size_t len = strlen(ref);
	int err = store_root(root, sizeof(root)), fresh = 0;

	if (!err)
		err = oci_registry_open(ref, insecure, "pull", &reg);
	if (err)
		return err;
	if (at)
		len = (size_t)(at - ref);
	else if (colon && !strchr(colon, '/'))
		len = (size_t)(colon - ref);
	snprintf(p.e.repo, sizeof(p.e.repo), "%.*s", (int)len, ref);
	snprintf(p.e.tag, sizeof(p.e.tag), "%s",
		 at ? "<none>" : oci_registry_reference(reg));
	err = fetch(reg, root, ref, &p);
	if (!err)
		err = save(root, &p, &fresh);
	if (!err && !quiet)
		printf("Digest: %s\nStatus: %s %s\n", p.e.digest,
		       fresh ? "Downloaded newer image for" :
			       "Image is up to date for",
		       ref);
	if (p.fd >= 0)
		close(p.fd);
	if (p.tmp[0]) {
		unlink(p.tmp);
		kiln_tmp_forget(p.tmp);
	}
	/* A failed first pull leaves no store behind. */
	if (err)
		store_unmake_dirs(root, p.made);
	free(p.manifest);
	free(p.config);
	oci_registry_close(reg);
	return err;
}

int cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "insecure", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int c, insecure = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(pull_usage, stdout);
			return 0;
		}
		if (c != 'k')
			return kiln_usage_error("pull", "unknown option",
						kiln_bad_option(argv));
		insecure = 1;
	}
	if (argc - optind != 1)
		return kiln_usage_error("pull", "want one REF", NULL);
	return pull_image(argv[optind], insecure, 0);
}
