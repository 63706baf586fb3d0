/* oci_push.c - `kiln push IMAGE REF`: a Kiln image into an OCI registry as an artifact. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "store.h"

static const char push_usage[] =
	"usage: kiln push [--insecure] IMAGE HOST[:PORT]/REPO[:TAG]\n"
	"\n"
	"Store the Kiln image file IMAGE in an OCI registry as an artifact\n"
	"(docs/containers.md): a config of what kiln inspect shows and the\n"
	"image file as its one layer. Blobs the registry has are not sent\n"
	"again. Prints the manifest's digest, as docker push does.\n"
	"\n"
	"  --insecure   allow plain HTTP, or HTTPS with any certificate (a\n"
	"               registry's own CA goes in\n"
	"               ~/.config/kiln/certs.d/HOST:PORT/ca.crt)\n"
	"  -h, --help   show this help\n";

static struct json_object *str_array(const struct strvec *sv)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/*
 * The Kiln config blob: what kiln inspect knows of img, and created
 * (the image file's modification time, so pushing the same file twice
 * gives the same digest).
 */
static void config_json(const struct kiln_image *img,
			const struct kiln_config *c, const char *created,
			struct kbuf *out)
{
	struct json_object *o = json_object_new_object();
	char ver[32];
	const char *s;

	put_str(o, "created", created);
	put_str(o, "program", c->program);
	json_object_object_add(o, "argv", str_array(&c->argv));
	json_object_object_add(o, "env", str_array(&c->env));
	put_str(o, "workdir", c->workdir);
	if (c->user)
		put_str(o, "user", c->user);
	if (c->from)
		put_str(o, "from", c->from);
	json_object_object_add(o, "ports", str_array(&c->ports));
	json_object_object_add(o, "volumes", str_array(&c->volumes));
	if (!image_kernel_version(img, ver, sizeof(ver)))
		snprintf(ver, sizeof(ver), "unknown version");
	put_str(o, "kernel", ver);
	json_object_object_add(o, "size",
			       json_object_new_int64((int64_t)img->size));
	json_object_object_add(o, "kernelSize",
			       json_object_new_int64((int64_t)img->bundle_off));
	json_object_object_add(
		o, "bundleSize",
		json_object_new_int64((int64_t)img->bundle->total_size));
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	kbuf_append(out, s, strlen(s));
	json_object_put(o);
}

static struct json_object *desc_json(const char *media, const char *digest,
				     size_t size)
{
	struct json_object *d = json_object_new_object();

	put_str(d, "mediaType", media);
	put_str(d, "digest", digest);
	json_object_object_add(d, "size", json_object_new_int64((int64_t)size));
	return d;
}

/* The manifest (image-spec manifest.md, an artifact with its own config). */
static void manifest_json(const char *cfg_digest, size_t cfg_size,
			  const char *img_digest, size_t img_size,
			  const char *created, struct kbuf *out)
{
	struct json_object *o = json_object_new_object(), *layers, *ann;
	const char *s;

	json_object_object_add(o, "schemaVersion", json_object_new_int(2));
	put_str(o, "mediaType", OCI_MANIFEST);
	put_str(o, "artifactType", KILN_ARTIFACT_TYPE);
	json_object_object_add(
		o, "config", desc_json(KILN_CONFIG_TYPE, cfg_digest, cfg_size));
	layers = json_object_new_array();
	json_object_array_add(layers,
			      desc_json(KILN_LAYER_TYPE, img_digest, img_size));
	json_object_object_add(o, "layers", layers);
	ann = json_object_new_object();
	put_str(ann, "org.opencontainers.image.created", created);
	json_object_object_add(o, "annotations", ann);
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	kbuf_append(out, s, strlen(s));
	json_object_put(o);
}

static int refused(struct oci_registry *reg, const char *what, long st)
{
	kiln_err("%s: %s: the registry refused (HTTP %ld)",
		 oci_registry_name(reg), what, st);
	return KILN_EXIT_FAIL;
}

/*
 * One blob (distribution spec, "Pushing blobs"): HEAD to skip one the
 * registry has, else POST an upload and PUT it whole ("monolithic"):
 * data, or when fd >= 0 the file, read as it is sent.
 */
static int push_blob(struct oci_registry *reg, const char *digest,
		     const void *data, int fd, size_t size, const char *what)
{
	struct oci_call c = { .method = "HEAD" };
	char path[128], *url;
	int err;

	snprintf(path, sizeof(path), "blobs/%s", digest);
	c.path = path;
	err = oci_registry_call(reg, &c);
	free(c.location);
	if (err)
		return err;
	if (c.status == 200) {
		oci_progress(what, size, size, 1);
		return 0;
	}
	c = (struct oci_call){ .method = "POST",
			       .path = "blobs/uploads/",
			       .body = "" };
	err = oci_registry_call(reg, &c);
	if (!err && (c.status != 202 || !c.location))
		err = refused(reg, "starting an upload", c.status);
	if (err) {
		free(c.location);
		return err;
	}
	url = kiln_xmalloc(strlen(c.location) + 96);
	sprintf(url, "%s%cdigest=%s", c.location,
		strchr(c.location, '?') ? '&' : '?', digest);
	free(c.location);
	c = (struct oci_call){ .method = "PUT",
			       .path = url,
			       .body = fd < 0 ? data : NULL,
			       .from_fd = fd >= 0,
			       .body_fd = fd,
			       .size = size,
			       .what = what };
	err = oci_registry_call(reg, &c);
	free(c.location);
	free(url);
	if (!err && c.status != 201)
		err = refused(reg, what, c.status);
	if (!err)
		oci_progress(what, size, size, 1);
	return err;
}

/* created: the file's mtime as RFC 3339 UTC. */
static void file_created(const char *path, char out[32])
{
	struct stat st;
	struct tm tm;
	time_t t = stat(path, &st) ? 0 : st.st_mtime;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int push(const char *file, struct oci_registry *reg)
{
	struct kiln_image img;
	struct kiln_config c;
	struct kbuf cfg = { 0 }, man = { 0 };
	char created[32], cd[72], id[72], md[72], what[64], path[200];
	struct oci_call call = { .method = "PUT", .type = OCI_MANIFEST };
	const char *why;
	/* mapped: only the headers and bundle are read, not a root disk */
	int err = image_map(file, &img, &why), fd;

	if (err)
		return image_report(file, err, why);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? -errno : oci_sha256_fd(fd, id);
	if (err) {
		err = kiln_file_error(file, err);
		goto out_image;
	}
	err = config_parse(file, img.config, img.config_size, &c);
	if (err)
		goto out_image;
	file_created(file, created);
	config_json(&img, &c, created, &cfg);
	oci_sha256(cfg.data, cfg.len, cd);
	snprintf(what, sizeof(what), "image %.12s", id + 7);
	err = push_blob(reg, id, NULL, fd, img.size, what);
	if (!err)
		err = push_blob(reg, cd, cfg.data, -1, cfg.len, "config");
	if (err)
		goto out;
	manifest_json(cd, cfg.len, id, img.size, created, &man);
	oci_sha256(man.data, man.len, md);
	snprintf(path, sizeof(path), "manifests/%s",
		 oci_registry_reference(reg));
	call.path = path;
	call.body = man.data;
	call.size = man.len;
	err = oci_registry_call(reg, &call);
	free(call.location);
	if (!err && call.status != 201)
		err = refused(reg, "the manifest", call.status);
	if (!err)
		printf("%s: digest: %s size: %zu\n",
		       oci_registry_reference(reg), md, man.len);
out:
	kbuf_free(&man);
	kbuf_free(&cfg);
	config_free(&c);
out_image:
	if (fd >= 0)
		close(fd);
	image_close(&img);
	return err;
}

int cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "insecure", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct oci_registry *reg;
	int c, insecure = 0, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(push_usage, stdout);
			return 0;
		}
		if (c != 'k')
			return kiln_usage_error("push", "unknown option",
						kiln_bad_option(argv));
		insecure = 1;
	}
	if (argc - optind != 2)
		return kiln_usage_error("push", "want IMAGE and REF", NULL);
	err = oci_registry_open(argv[optind + 1], insecure, "push", &reg);
	if (err)
		return err;
	if (!strncmp(oci_registry_reference(reg), "sha256:", 7))
		err = kiln_usage_error("push", "want a tag, not a digest, in",
				       argv[optind + 1]);
	else
		err = push(argv[optind], reg);
	oci_registry_close(reg);
	return err;
}
