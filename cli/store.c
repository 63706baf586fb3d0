/* store.c - the local store of pulled Kiln images: blobs by digest and an index of references. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"
#include "store.h"

/*
 * Layout (docs/containers.md, "The store"):
 *
 *   ROOT/blobs/sha256/HEX   manifests, Kiln configs and image files
 *   ROOT/index.json         {"images": [{repository, tag, digest,
 *                            config, image, size, created}...]}
 *   ROOT/lock               flock'd by whoever changes the two above
 *
 * Every file is written to a temp file and renamed; a pull writes its
 * blobs and then the index under the lock, so a blob no entry names is
 * only ever one a failed or removed pull left, which rmi's sweep takes.
 */

int store_root(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	/* XDG base directory spec: a relative value is to be ignored. */
	if (xdg && xdg[0] == '/')
		snprintf(buf, n, "%s/kiln/images", xdg);
	else if (home && home[0] == '/')
		snprintf(buf, n, "%s/.local/share/kiln/images", home);
	else {
		kiln_err("no store: neither XDG_DATA_HOME nor HOME is set");
		return KILN_EXIT_FAIL;
	}
	return 0;
}

void store_blob_path(const char *root, const char *digest, char *buf, size_t n)
{
	snprintf(buf, n, "%s/blobs/sha256/%s", root, digest + 7);
}

static int is_hex(const char *s, size_t min, size_t max)
{
	size_t len = strlen(s);

	return len >= min && len <= max && strspn(s, "0123456789abcdef") == len;
}

int store_is_reference(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : 0, len = strlen(s);

	if (!strncmp(s, "sha256:", 7))
		return 1;
	if (is_hex(s, 12, 64))
		return 1;
	/*
	 * A path such as ./x, ../x or dir.d/x.img that is not there stays
	 * a path, so its error is the file's.
	 */
	if (!slash || !hl || s[0] == '.' ||
	    (len >= 4 && !strcmp(s + len - 4, ".img")))
		return 0;
	return memchr(s, '.', hl) || memchr(s, ':', hl) ||
	       (hl == 9 && !strncmp(s, "localhost", 9));
}

/* mkdir -p of ROOT/blobs/sha256 (0700: the user's images). */
int store_make_dirs(const char *root, char *made, size_t n)
{
	char path[4200];

	if (made)
		made[0] = '\0';
	snprintf(path, sizeof(path), "%s/blobs/sha256", root);
	for (char *p = path + 1;; p++) {
		int last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == 0) {
			if (made && !made[0])
				snprintf(made, n, "%s", path);
		} else if (errno != EEXIST) {
			return kiln_file_error(path, -errno);
		}
		if (last)
			return 0;
		*p = '/';
	}
}

void store_unmake_dirs(const char *root, const char *made)
{
	char path[4200];
	char *slash;

	if (!made[0])
		return;
	snprintf(path, sizeof(path), "%s/blobs/sha256", root);
	while (rmdir(path) == 0 && strcmp(path, made) &&
	       (slash = strrchr(path, '/')) != NULL)
		*slash = '\0';
}

int store_lock(const char *root, int create, int *fd)
{
	char path[4200];
	int err;

	*fd = -1;
	if (create) {
		err = store_make_dirs(root, NULL, 0);
		if (err)
			return err;
	}
	snprintf(path, sizeof(path), "%s/lock", root);
	*fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (*fd < 0 && !create && errno == ENOENT)
		return 0; /* no store yet: nothing in it */
	if (*fd < 0)
		return kiln_file_error(path, -errno);
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = kiln_file_error(path, -errno);
			close(*fd);
			*fd = -1;
			return err;
		}
	}
	return 0;
}

void store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static const char *str_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* One index entry (untrusted: a user could edit the file): 0 or -EINVAL. */
static int entry_parse(struct json_object *o, struct store_entry *e)
{
	const char *f[6] = { str_of(o, "repository"), str_of(o, "tag"),
			     str_of(o, "digest"),     str_of(o, "config"),
			     str_of(o, "image"),      str_of(o, "created") };
	struct json_object *size;

	for (int i = 0; i < 6; i++)
		if (!f[i])
			return -EINVAL;
	if (strlen(f[0]) >= sizeof(e->repo) || strlen(f[1]) >= sizeof(e->tag) ||
	    strlen(f[5]) >= sizeof(e->created) || !oci_digest_ok(f[2]) ||
	    !oci_digest_ok(f[3]) || !oci_digest_ok(f[4]) ||
	    !json_object_object_get_ex(o, "size", &size) ||
	    !json_object_is_type(size, json_type_int) ||
	    json_object_get_int64(size) < 0)
		return -EINVAL;
	snprintf(e->repo, sizeof(e->repo), "%s", f[0]);
	snprintf(e->tag, sizeof(e->tag), "%s", f[1]);
	snprintf(e->digest, sizeof(e->digest), "%s", f[2]);
	snprintf(e->config, sizeof(e->config), "%s", f[3]);
	snprintf(e->image, sizeof(e->image), "%s", f[4]);
	snprintf(e->created, sizeof(e->created), "%s", f[5]);
	e->size = (uint64_t)json_object_get_int64(size);
	return 0;
}

int store_index_read(const char *root, struct store_index *ix)
{
	char path[4200];
	uint8_t *data;
	size_t size, n;
	struct json_object *o, *list;
	int err;

	*ix = (struct store_index){ 0 };
	snprintf(path, sizeof(path), "%s/index.json", root);
	err = kiln_read_file(path, &data, &size);
	if (err == -ENOENT)
		return 0;
	if (err)
		return kiln_file_error(path, err);
	o = oci_json_parse(data, size);
	free(data);
	if (!o || !json_object_object_get_ex(o, "images", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		json_object_put(o);
		kiln_err("%s: malformed store index", path);
		return KILN_EXIT_FAIL;
	}
	n = json_object_array_length(list);
	ix->e = kiln_xmalloc((n ? n : 1) * sizeof(*ix->e));
	for (size_t i = 0; i < n; i++) {
		if (entry_parse(json_object_array_get_idx(list, i),
				&ix->e[ix->n]) == 0)
			ix->n++;
	}
	json_object_put(o);
	return 0;
}

int store_index_write(const char *root, const struct store_index *ix)
{
	struct json_object *o = json_object_new_object();
	struct json_object *list = json_object_new_array();
	char path[4200];
	const char *s;
	int err;

	for (size_t i = 0; i < ix->n; i++) {
		const struct store_entry *e = &ix->e[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "repository",
				       json_object_new_string(e->repo));
		json_object_object_add(j, "tag",
				       json_object_new_string(e->tag));
		json_object_object_add(j, "digest",
				       json_object_new_string(e->digest));
		json_object_object_add(j, "config",
				       json_object_new_string(e->config));
		json_object_object_add(j, "image",
				       json_object_new_string(e->image));
		json_object_object_add(j, "size",
				       json_object_new_int64((int64_t)e->size));
		json_object_object_add(j, "created",
				       json_object_new_string(e->created));
		json_object_array_add(list, j);
	}
	json_object_object_add(o, "images", list);
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(path, sizeof(path), "%s/index.json", root);
	err = kiln_write_atomic(path, s, strlen(s));
	json_object_put(o);
	return err ? kiln_file_error(path, err) : 0;
}

void store_index_free(struct store_index *ix)
{
	free(ix->e);
	*ix = (struct store_index){ 0 };
}

/* name as REPO + tag or digest; 0, or the usage status negated. */
static int split_ref(const char *name, const char *cmd, char *repo, size_t rn,
		     char *ref, size_t fn)
{
	struct oci_registry *reg;
	const char *at = strchr(name, '@');
	const char *colon = strrchr(name, ':');
	size_t len = strlen(name);
	int err = oci_registry_open(name, 0, cmd, &reg);

	if (err)
		return -err;
	snprintf(ref, fn, "%s", oci_registry_reference(reg));
	oci_registry_close(reg);
	if (at)
		len = (size_t)(at - name);
	else if (colon && !strchr(colon, '/'))
		len = (size_t)(colon - name);
	snprintf(repo, rn, "%.*s", (int)len, name);
	return 0;
}

int store_match(const struct store_index *ix, const char *name, const char *cmd,
		unsigned char *match)
{
	char repo[300], ref[200], hex[72] = "";
	int n = 0, err;

	if (!strncmp(name, "sha256:", 7) || is_hex(name, 1, 64)) {
		snprintf(hex, sizeof(hex), "%s",
			 name + (strncmp(name, "sha256:", 7) ? 0 : 7));
		if (!is_hex(hex, strncmp(name, "sha256:", 7) ? 12 : 64, 64))
			return -kiln_usage_error(
				cmd,
				"want a digest of 12 to 64 hex digits, not",
				name);
	} else {
		err = split_ref(name, cmd, repo, sizeof(repo), ref,
				sizeof(ref));
		if (err)
			return err;
	}
	for (size_t i = 0; i < ix->n; i++) {
		const struct store_entry *e = &ix->e[i];

		if (hex[0])
			match[i] = !strncmp(e->digest + 7, hex, strlen(hex));
		else if (!strncmp(ref, "sha256:", 7))
			match[i] = !strcmp(e->repo, repo) &&
				   !strcmp(e->digest, ref);
		else
			match[i] = !strcmp(e->repo, repo) &&
				   !strcmp(e->tag, ref);
		n += match[i];
	}
	return n;
}

/* 1 when an entry of ix names digest. */
static int named(const struct store_index *ix, const char *hex)
{
	for (size_t i = 0; i < ix->n; i++) {
		const struct store_entry *e = &ix->e[i];

		if (!strcmp(e->digest + 7, hex) ||
		    !strcmp(e->config + 7, hex) || !strcmp(e->image + 7, hex))
			return 1;
	}
	return 0;
}

void store_gc(const char *root, const struct store_index *ix)
{
	char dir[4200], path[4500];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/blobs/sha256", root);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || named(ix, d->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dp);
}

/* The one entry name matches into *e: 0, or the exit status after one line. */
static int find_one(const char *root, const char *name, const char *cmd,
		    struct store_entry *e)
{
	struct store_index ix;
	unsigned char *match;
	int n, err = store_index_read(root, &ix);

	if (err)
		return err;
	match = kiln_xmalloc(ix.n + 1);
	n = store_match(&ix, name, cmd, match);
	if (n < 0)
		err = -n;
	for (size_t i = 0; n > 0 && i < ix.n; i++) {
		if (match[i]) {
			*e = ix.e[i];
			break;
		}
	}
	free(match);
	store_index_free(&ix);
	if (!err && n == 0)
		err = -ENOENT;
	return err;
}

int store_resolve(const char *name, const char *policy, int insecure,
		  char *path, size_t n, char *shown, size_t sn)
{
	char root[4096];
	struct store_entry e;
	int err = store_root(root, sizeof(root)), ref;
	const char *cmd = policy ? "run" : "inspect";

	if (err)
		return err;
	/* A digest alone names no registry: it can only be in the store. */
	ref = strncmp(name, "sha256:", 7) && !is_hex(name, 12, 64);
	if (ref && policy && !strcmp(policy, "always"))
		err = pull_image(name, insecure, 1);
	else {
		err = find_one(root, name, cmd, &e);
		if (err == -ENOENT && ref && policy &&
		    !strcmp(policy, "missing"))
			err = pull_image(name, insecure, 1);
		else if (err == -ENOENT) {
			kiln_err("%s: no such image in the store%s", name,
				 ref && policy ? " (--pull never)" : "");
			return KILN_EXIT_FAIL;
		} else if (err)
			return err;
	}
	if (err)
		return err;
	err = find_one(root, name, cmd, &e);
	if (err == -ENOENT) {
		kiln_err("%s: no such image in the store", name);
		return KILN_EXIT_FAIL;
	}
	if (err)
		return err;
	store_blob_path(root, e.image, path, n);
	if (strcmp(e.tag, "<none>"))
		snprintf(shown, sn, "%s:%s", e.repo, e.tag);
	else
		snprintf(shown, sn, "%s@%s", e.repo, e.digest);
	return 0;
}
