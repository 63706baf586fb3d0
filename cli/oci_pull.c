/* oci_pull.c - `kiln pull REF`: a Kiln image from a registry into the local store, verified. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	"  --insecure   allow plain HTTP\n"
	"  -h, --help   show this help\n";

/* What a pull fetched, all checked, before anything is written. */
struct pulled {
	uint8_t *manifest, *config;
	size_t manifest_size, config_size;
	struct kiln_image img;
	struct store_entry e;
};

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

/* Fetch and check everything ref names into p. */
static int fetch(struct oci_registry *reg, const char *name, struct pulled *p)
{
	const char *ref = oci_registry_reference(reg);
	struct oci_desc cd, id;
	char media[128], what[64];
	uint8_t *img;
	size_t img_size;
	const char *why;
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
	snprintf(what, sizeof(what), "image %.12s", id.digest + 7);
	err = oci_registry_blob(reg, &id, what, &img, &img_size);
	if (err)
		return err;
	oci_progress(what, img_size, (uint64_t)id.size, 1);
	err = oci_verify(name, &id, "image", img, img_size);
	if (err) {
		free(img);
		return err;
	}
	/* image_from_buffer takes img, and wants it 8-aligned (malloc is). */
	if (image_from_buffer(img, img_size, &p->img, &why)) {
		kiln_err("%s: image %s: not a Kiln image (%s)", name, id.digest,
			 why);
		return KILN_EXIT_FAIL;
	}
	snprintf(p->e.config, sizeof(p->e.config), "%s", cd.digest);
	snprintf(p->e.image, sizeof(p->e.image), "%s", id.digest);
	p->e.size = img_size;
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

/* The blobs, then the index entry (replacing the one of the same name). */
static int save(const char *root, const struct pulled *p, int *fresh)
{
	struct store_index ix;
	int fd, err = store_lock(root, 1, &fd);
	size_t i;

	if (err)
		return err;
	err = put_blob(root, p->e.image, p->img.file, p->img.size);
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
	struct pulled p = { 0 };
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
	err = fetch(reg, ref, &p);
	if (!err)
		err = save(root, &p, &fresh);
	if (!err && !quiet)
		printf("Digest: %s\nStatus: %s %s\n", p.e.digest,
		       fresh ? "Downloaded newer image for" :
			       "Image is up to date for",
		       ref);
	image_close(&p.img);
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
