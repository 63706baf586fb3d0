/* oci_build.c - `kiln build --from`: an OCI/Docker image's layers and config into a Kiln image. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

/* Docker's PATH when the image sets none (moby's oci/defaults.go). */
#define DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The image config's fields Kiln uses (image-spec config.md). */
struct oci_config {
	struct strvec entrypoint, cmd, env, ports, volumes;
	char *workdir, *user;
};

static void oci_config_free(struct oci_config *c)
{
	strvec_free(&c->entrypoint);
	strvec_free(&c->cmd);
	strvec_free(&c->env);
	strvec_free(&c->ports);
	strvec_free(&c->volumes);
	free(c->workdir);
	free(c->user);
}

/* A layer media type Kiln can apply (tar, gzip or zstd). */
static int layer_media_ok(const char *m)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(m, ok[i]))
			return 1;
	return 0;
}

/* Member key, an array of strings (or null/absent: empty), into sv. */
static int str_array(struct json_object *o, const char *key, struct strvec *sv)
{
	struct json_object *a;

	return oci_json_strings(
		json_object_object_get_ex(o, key, &a) ? a : NULL, sv);
}

/* The keys of an object (ExposedPorts, Volumes) into sv. */
static int obj_keys(struct json_object *o, const char *key, struct strvec *sv)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, key, &m) || !m)
		return 0;
	if (!json_object_is_type(m, json_type_object))
		return -EINVAL;
	json_object_object_foreach(m, k, v)
	{
		(void)v;
		if (strlen(k) >= KILN_CFG_MAX_VALUE)
			return -EINVAL;
		strvec_push(sv, k);
	}
	return 0;
}

/* A string member (absent or null: NULL) into *out; -EINVAL if not one. */
static int str_member(struct json_object *o, const char *key, char **out)
{
	struct json_object *s;

	if (!json_object_object_get_ex(o, key, &s) || !s)
		return 0;
	if (!oci_json_cstr(s))
		return -EINVAL;
	*out = kiln_xstrdup(json_object_get_string(s));
	return 0;
}

/* The config blob (untrusted JSON) into c. */
static int parse_config(const char *name, const uint8_t *data, size_t size,
			struct oci_config *c)
{
	struct json_object *root = oci_json_parse(data, size), *cfg = NULL;
	const char *arch = NULL, *os = NULL;
	int err = root && json_object_is_type(root, json_type_object) ? 0 :
									-EINVAL;

	if (!err) {
		struct json_object *v;

		/* "amd64\u0000..." is not amd64: a non-string is "?" */
		if (json_object_object_get_ex(root, "architecture", &v) && v)
			arch = oci_json_cstr(v) ? json_object_get_string(v) :
						  "?";
		if (json_object_object_get_ex(root, "os", &v) && v)
			os = oci_json_cstr(v) ? json_object_get_string(v) : "?";
		json_object_object_get_ex(root, "config", &cfg);
	}
	if (!err &&
	    ((arch && strcmp(arch, "amd64")) || (os && strcmp(os, "linux")))) {
		kiln_err("%s: the image is for %s/%s; Kiln runs linux/amd64",
			 name, os ? os : "?", arch ? arch : "?");
		json_object_put(root);
		return KILN_EXIT_FAIL;
	}
	if (!err && cfg) {
		if (!json_object_is_type(cfg, json_type_object))
			err = -EINVAL;
		if (!err)
			err = str_array(cfg, "Entrypoint", &c->entrypoint);
		if (!err)
			err = str_array(cfg, "Cmd", &c->cmd);
		if (!err)
			err = str_array(cfg, "Env", &c->env);
		if (!err)
			err = obj_keys(cfg, "ExposedPorts", &c->ports);
		if (!err)
			err = obj_keys(cfg, "Volumes", &c->volumes);
		if (!err)
			err = str_member(cfg, "WorkingDir", &c->workdir);
		if (!err)
			err = str_member(cfg, "User", &c->user);
	}
	json_object_put(root);
	if (err) {
		kiln_err("%s: malformed image config", name);
		return KILN_EXIT_FAIL;
	}
	return 0;
}

/* The manifest (untrusted) into its config and layer descriptors. */
static int parse_manifest(const char *name, const uint8_t *data, size_t size,
			  const char *media, struct oci_desc *config,
			  struct oci_desc **layers, size_t *nlayers)
{
	struct json_object *root = NULL, *c, *l;
	int err = KILN_EXIT_FAIL;

	if (strcmp(media, OCI_MANIFEST) && strcmp(media, DOCKER_MANIFEST)) {
		kiln_err("%s: unsupported manifest media type %s", name, media);
		return KILN_EXIT_FAIL;
	}
	root = oci_json_parse(data, size);
	if (!root || !json_object_object_get_ex(root, "config", &c) ||
	    oci_desc_parse(c, config) < 0 ||
	    !json_object_object_get_ex(root, "layers", &l) ||
	    !json_object_is_type(l, json_type_array) ||
	    json_object_array_length(l) > 1024) {
		kiln_err("%s: malformed manifest", name);
		goto out;
	}
	if (strcmp(config->media, OCI_CONFIG) &&
	    strcmp(config->media, DOCKER_CONFIG)) {
		kiln_err("%s: unsupported config media type %s", name,
			 config->media);
		goto out;
	}
	*nlayers = json_object_array_length(l);
	*layers = kiln_xmalloc((*nlayers ? *nlayers : 1) * sizeof(**layers));
	for (size_t i = 0; i < *nlayers; i++) {
		struct oci_desc *d = &(*layers)[i];

		if (oci_desc_parse(json_object_array_get_idx(l, i), d) < 0) {
			kiln_err("%s: malformed manifest (layer %zu)", name,
				 i + 1);
			goto out;
		}
		if (!layer_media_ok(d->media)) {
			kiln_err("%s: layer %zu: unsupported media type %s",
				 name, i + 1, d->media);
			goto out;
		}
	}
	err = 0;
out:
	json_object_put(root);
	return err;
}

/* Fetch, verify and apply every layer in order. */
static int apply_layers(struct oci_source *src, const struct oci_desc *layers,
			size_t n, struct otree *t)
{
	char first[256] = "", what[80];
	size_t skipped = 0;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		uint8_t *data = NULL;
		size_t size = 0;
		int fd;

		snprintf(what, sizeof(what), "layer %zu/%zu %.12s", i + 1, n,
			 layers[i].digest + 7);
		err = oci_source_blob_fd(src, &layers[i], what, &fd, &data,
					 &size);
		if (err)
			break;
		if (fd >= 0) {
			err = otree_apply_fd(t, what, fd, (int)i, &skipped,
					     first, sizeof(first));
			close(fd);
		} else {
			err = otree_apply(t, what, data, size, (int)i, &skipped,
					  first, sizeof(first));
			free(data);
		}
	}
	if (!err && skipped)
		fprintf(stderr,
			"kiln: note: %zu special file%s (devices, FIFOs) "
			"skipped, first %s: the guest has its own /dev\n",
			skipped, skipped == 1 ? "" : "s", first);
	return err;
}

/* A decimal id (no sign, fits 32 bits but not (uint32_t)-1), or -1. */
static int64_t parse_id(const char *s, size_t len)
{
	uint64_t v = 0;

	if (!len || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v >= UINT32_MAX ? -1 : (int64_t)v;
}

/*
 * Look name up in an /etc/passwd- or /etc/group-style file of the tree:
 * field 3 (the id) and, for passwd, field 4 (the group) and 6 (home).
 * 0 when found.
 */
static int db_lookup(const struct otree *t, const char *file, const char *name,
		     size_t nlen, int64_t *id, int64_t *gid, char *home,
		     size_t hsize)
{
	size_t size;
	const char *p = (const char *)otree_data(t, file, &size);
	const char *end = p + size;

	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *f[7] = { p };
		int nf = 1;

		eol = eol ? eol : end;
		for (const char *q = p; q < eol && nf < 7; q++)
			if (*q == ':')
				f[nf++] = q + 1;
		if (nf >= 4 && (size_t)(f[1] - p - 1) == nlen &&
		    !memcmp(p, name, nlen)) {
			*id = parse_id(f[2], (size_t)(f[3] - f[2] - 1));
			if (gid && nf >= 5)
				*gid = parse_id(f[3],
						(size_t)(f[4] - f[3] - 1));
			if (home && nf >= 7)
				snprintf(home, hsize, "%.*s",
					 (int)(f[6] - f[5] - 1), f[5]);
			return *id < 0 ? -EINVAL : 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

/*
 * User "NAME|UID[:GROUP|GID]" (docker run's --user) into "UID:GID",
 * names looked up in the image's own /etc/passwd and /etc/group. A
 * named user without a group takes its passwd entry's; a numeric one
 * group 0. home gets a named user's home directory, else "".
 */
static int resolve_user(const char *name, const struct otree *t,
			const char *user, char *out, size_t n, char *home,
			size_t hsize)
{
	const char *colon = strchr(user, ':');
	size_t ulen = colon ? (size_t)(colon - user) : strlen(user);
	int64_t uid = parse_id(user, ulen), gid = -1, pgid = -1;

	home[0] = '\0';
	if (uid < 0 && db_lookup(t, "/etc/passwd", user, ulen, &uid, &pgid,
				 home, hsize) < 0) {
		kiln_err("%s: user %.*s not found in the image's /etc/passwd",
			 name, (int)ulen, user);
		return KILN_EXIT_FAIL;
	}
	if (colon) {
		gid = parse_id(colon + 1, strlen(colon + 1));
		if (gid < 0 &&
		    db_lookup(t, "/etc/group", colon + 1, strlen(colon + 1),
			      &gid, NULL, NULL, 0) < 0) {
			kiln_err("%s: group %s not found in the image's "
				 "/etc/group",
				 name, colon + 1);
			return KILN_EXIT_FAIL;
		}
	}
	if (gid < 0)
		gid = pgid >= 0 ? pgid : 0;
	snprintf(out, n, "%lld:%lld", (long long)uid, (long long)gid);
	return 0;
}

/*
 * argv[0] as execvp would find it in the image's root: a name with a
 * '/' as it is (relative to workdir), else the first executable regular
 * file in PATH's directories. The path into out.
 */
static int resolve_program(const char *name, const struct otree *t,
			   const char *arg0, const char *path,
			   const char *workdir, char *out, size_t n)
{
	if (strchr(arg0, '/')) {
		uint32_t mode;

		if (arg0[0] == '/')
			snprintf(out, n, "%s", arg0);
		else
			snprintf(out, n, "%s/%s", workdir, arg0);
		mode = otree_stat(t, out);
		if (S_ISREG(mode) && (mode & 0111))
			return 0;
		kiln_err("%s: %s: %s in the image", name, arg0,
			 mode ? "not an executable file" : "not found");
		return KILN_EXIT_FAIL;
	}
	for (const char *p = path; p;) {
		size_t len = strcspn(p, ":");
		uint32_t mode;

		snprintf(out, n, "%.*s/%s", (int)len, len ? p : ".", arg0);
		if (out[0] != '/') /* a relative PATH entry: from workdir */
			snprintf(out, n, "%s/%.*s/%s", workdir, (int)len,
				 len ? p : ".", arg0);
		mode = otree_stat(t, out);
		if (S_ISREG(mode) && (mode & 0111))
			return 0;
		p = p[len] ? p + len + 1 : NULL;
	}
	kiln_err("%s: %s: not found in the image's PATH (%s)", name, arg0,
		 path);
	return KILN_EXIT_FAIL;
}

/*
 * argv as docker run makes it: --entrypoint replaces the image's
 * Entrypoint and drops its Cmd; ARG... replace Cmd.
 */
static int make_argv(const char *name, const struct oci_spec *spec,
		     const struct oci_config *oc, struct strvec *argv)
{
	const struct strvec *cmd = spec->has_args   ? &spec->args :
				   spec->entrypoint ? NULL :
						      &oc->cmd;

	if (spec->entrypoint)
		strvec_push(argv, spec->entrypoint);
	else
		for (size_t i = 0; i < oc->entrypoint.n; i++)
			strvec_push(argv, oc->entrypoint.v[i]);
	for (size_t i = 0; cmd && i < cmd->n; i++)
		strvec_push(argv, cmd->v[i]);
	if (!argv->n || !argv->v[0][0]) {
		kiln_err("%s: no command: the image has no Entrypoint or Cmd "
			 "(give --entrypoint or ARG...)",
			 name);
		return KILN_EXIT_FAIL;
	}
	return 0;
}

/* Env, WorkingDir, User, ports and volumes into the Kiln config. */
static int map_config(const char *name, const struct oci_spec *spec,
		      const struct build_spec *b, const struct oci_config *oc,
		      const struct otree *t, struct kiln_config *c)
{
	char user[32] = "0:0", home[256] = "", prog[4200];
	const char *wd = b->workdir		       ? b->workdir :
			 oc->workdir && oc->workdir[0] ? oc->workdir :
							 "/";
	int err = 0;

	if (wd[0] != '/') {
		kiln_err("%s: WorkingDir %s is not absolute", name, wd);
		return KILN_EXIT_FAIL;
	}
	c->workdir = kiln_xstrdup(wd);
	for (size_t i = 0; i < oc->env.n && !err; i++) {
		if (!strchr(oc->env.v[i], '=') || oc->env.v[i][0] == '=') {
			kiln_err("%s: malformed Env entry %s", name,
				 oc->env.v[i]);
			return KILN_EXIT_FAIL;
		}
		err = config_setenv(c, oc->env.v[i]);
	}
	if (!err && oc->user && oc->user[0])
		err = resolve_user(name, t, oc->user, user, sizeof(user), home,
				   sizeof(home));
	if (!err && !strvec_env(&c->env, "PATH"))
		err = config_setenv(c, "PATH=" DEFAULT_PATH);
	if (!err && !strvec_env(&c->env, "HOME")) {
		char kv[300];

		snprintf(kv, sizeof(kv), "HOME=%s", home[0] ? home : "/");
		err = config_setenv(c, kv);
	}
	for (size_t i = 0; i < b->env.n && !err; i++)
		err = config_setenv(c, b->env.v[i]);
	if (!err)
		err = make_argv(name, spec, oc, &c->argv);
	if (!err)
		err = resolve_program(name, t, c->argv.v[0],
				      strvec_env(&c->env, "PATH"), c->workdir,
				      prog, sizeof(prog));
	if (err)
		return err;
	c->program = kiln_xstrdup(prog);
	if (strcmp(user, "0:0"))
		c->user = kiln_xstrdup(user);
	for (size_t i = 0; i < oc->ports.n; i++)
		strvec_push(&c->ports, oc->ports.v[i]);
	for (size_t i = 0; i < oc->volumes.n; i++)
		strvec_push(&c->volumes, oc->volumes.v[i]);
	if (b->net)
		c->net = kiln_xstrdup(b->net);
	return 0;
}

/* The tree into a root with what Kiln's kernel expects, then the image. */
static int make_root(const struct otree *t, const struct kiln_config *c,
		     const struct kbuf *cfg, int root_disk, struct kbuf *out)
{
	static const struct {
		const char *path;
		uint32_t mode;
	} dirs[] = { { "/dev", 0755 }, { "/proc", 0555 }, { "/tmp", 01777 } };
	struct rootfs *fs = rootfs_new();
	int err = otree_to_rootfs(t, fs);

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !err; i++)
		if (!rootfs_mode(fs, dirs[i].path))
			err = rootfs_add_dir(fs, dirs[i].path, dirs[i].mode);
	/* docker creates a missing WorkingDir */
	if (!err && !rootfs_mode(fs, c->workdir))
		err = rootfs_add_dir(fs, c->workdir, 0755);
	if (!err)
		err = build_pack(cfg, fs, root_disk, out);
	rootfs_free(fs);
	return err;
}

int oci_build_image(const struct oci_spec *spec, const struct build_spec *b,
		    struct kbuf *out)
{
	struct oci_source *src = NULL;
	struct oci_config oc = { 0 };
	struct kiln_config c = { 0 };
	struct kbuf cfg = { 0 };
	struct otree *t = otree_new();
	struct oci_desc config, *layers = NULL;
	uint8_t *data = NULL;
	char media[128], digest[72], from[512];
	size_t size, nlayers = 0;
	int err = oci_source_open(spec->ref, spec->insecure, &src);

	if (!err)
		err = oci_source_manifest(src, &data, &size, media);
	if (!err) {
		oci_sha256(data, size, digest);
		err = parse_manifest(spec->ref, data, size, media, &config,
				     &layers, &nlayers);
		free(data);
		data = NULL;
	}
	if (!err)
		err = oci_source_blob(src, &config, "config", &data, &size);
	if (!err)
		err = parse_config(spec->ref, data, size, &oc);
	if (!err)
		err = apply_layers(src, layers, nlayers, t);
	if (!err)
		err = map_config(spec->ref, spec, b, &oc, t, &c);
	if (!err) {
		snprintf(from, sizeof(from), "%s@%s", spec->ref, digest);
		c.from = kiln_xstrdup(from);
		err = config_write(&c, &cfg);
	}
	if (!err)
		err = make_root(t, &c, &cfg, b->root_disk, out);
	free(data);
	free(layers);
	otree_free(t);
	oci_source_close(src);
	oci_config_free(&oc);
	config_free(&c);
	kbuf_free(&cfg);
	return err;
}
