/* oci_registry.c - manifests and blobs over the OCI distribution API, with token auth: pull and push (the HTTP itself: oci_http.c). */
#include <ctype.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oci_registry.h"

/* Manifests are small; a bigger one is hostile (distribution's limit is 4 MiB). */
#define MANIFEST_MAX (4u << 20)

/*
 * The token flow of the distribution spec (docker's token auth
 * spec): GET realm?service=S&scope=S, with the basic credentials
 * when there are some; the JSON answer's "token" (or "access_token")
 * becomes the Bearer header.
 */
static int fetch_token(struct oci_registry *reg, const char *challenge)
{
	struct oci_bearer bp;
	char *url, *es, *sc, *dflt = NULL, *hdr = NULL;
	struct oci_resp r = { .limit = 1u << 20 };
	struct json_object *o = NULL;
	const char *tok = NULL;
	long st;
	int err = KILN_EXIT_FAIL;

	if (oci_bearer_parse(challenge + 7, &bp) || !bp.realm ||
	    (strncmp(bp.realm, "https://", 8) &&
	     (!reg->insecure || strncmp(bp.realm, "http://", 7)))) {
		kiln_err("%s: unusable token challenge: %.200s%s", reg->ref,
			 challenge, strlen(challenge) > 200 ? "..." : "");
		free(bp.buf);
		return KILN_EXIT_FAIL;
	}
	if (!bp.scope) {
		dflt = kiln_xmalloc(strlen(reg->repo) + 32);
		sprintf(dflt, "repository:%s:pull", reg->repo);
		bp.scope = dflt;
	}
	es = curl_easy_escape(NULL, bp.service ? bp.service : "", 0);
	sc = curl_easy_escape(NULL, bp.scope, 0);
	if (!es || !sc)
		kiln_out_of_memory();
	url = kiln_xmalloc(strlen(bp.realm) + strlen(es) + strlen(sc) + 32);
	sprintf(url, "%s%cservice=%s&scope=%s", bp.realm,
		strchr(bp.realm, '?') ? '&' : '?', es, sc);
	curl_free(es);
	curl_free(sc);
	free(bp.buf);
	free(dflt);
	/* reg->basic is as long as config.json's auth (up to 4 KiB) */
	if (reg->basic) {
		hdr = kiln_xmalloc(strlen(reg->basic) + 32);
		sprintf(hdr, "Authorization: %s", reg->basic);
	}
	st = oci_http_get(reg, url, NULL, hdr, &r);
	free(hdr);
	free(url);
	if (st < 0)
		goto out;
	if (st != 200) {
		kiln_err("%s: the token service refused (HTTP %ld)%s", reg->ref,
			 st,
			 reg->basic ?
				 "" :
				 "; no credentials in ~/.docker/config.json");
		goto out;
	}
	o = oci_json_parse(r.body.data, r.body.len);
	if (o) {
		struct json_object *v;

		/* "\u0000" would cut the C string short of the token */
		if ((json_object_object_get_ex(o, "token", &v) ||
		     json_object_object_get_ex(o, "access_token", &v)) &&
		    oci_json_whole(v))
			tok = json_object_get_string(v);
	}
	if (!tok || !*tok || strlen(tok) > 16384 || strpbrk(tok, "\r\n")) {
		kiln_err("%s: malformed answer from the token service",
			 reg->ref);
		goto out;
	}
	free(reg->auth);
	reg->auth = kiln_xmalloc(strlen(tok) + 32);
	sprintf(reg->auth, "Authorization: Bearer %s", tok);
	err = 0;
out:
	json_object_put(o);
	kbuf_free(&r.body);
	oci_resp_free_headers(&r);
	return err;
}

/*
 * After a 401: answer its challenge (a token, or the basic credentials)
 * and send the request again, once: the new status, or 401 with *err
 * set when the challenge could not be answered. A token for pulling
 * gets a 401 on a push, with a challenge for the push scope: so a
 * request that had a token may ask again.
 */
static long reg_auth_retry(struct oci_registry *reg, const char *url,
			   const char *accept, struct oci_resp *r, int *err)
{
	int had = reg->auth != NULL;

	if (!r->challenge)
		return 401;
	if (!strncasecmp(r->challenge, "Bearer ", 7))
		*err = fetch_token(reg, r->challenge);
	else if (!strncasecmp(r->challenge, "Basic", 5) && reg->basic && !had) {
		reg->auth = kiln_xmalloc(strlen(reg->basic) + 32);
		sprintf(reg->auth, "Authorization: %s", reg->basic);
	} else
		return 401;
	if (*err || !reg->auth)
		return 401;
	return oci_http_get(reg, url, accept, reg->auth, r);
}

/*
 * GET path under /v2/REPO/, answering one authentication challenge:
 * 0 with the body in r, or the exit status after one line.
 */
static int reg_get(struct oci_registry *reg, const char *kind,
		   const char *reference, const char *accept,
		   struct oci_resp *r)
{
	char *url = kiln_xmalloc(strlen(reg->host) + strlen(reg->repo) +
				 strlen(reference) + 64);
	long st;
	int err = 0;

	sprintf(url, "%s://%s/v2/%s/%s/%s", reg->scheme, reg->host, reg->repo,
		kind, reference);
	st = oci_http_get(reg, url, accept, reg->auth, r);
	if (st == 401)
		st = reg_auth_retry(reg, url, accept, r, &err);
	if (!err && st >= 0 && st != 200) {
		kiln_err("%s: %s %s: %s (HTTP %ld)", reg->ref,
			 kind[0] == 'm' ? "manifest" : "blob", reference,
			 st == 404 ? "not found" :
			 st == 401 ? "authentication required" :
				     "refused",
			 st);
		err = KILN_EXIT_FAIL;
	}
	if (st < 0)
		err = KILN_EXIT_FAIL;
	free(url);
	return err;
}

/*
 * The manifest's media type into media (128 bytes): Content-Type
 * without its parameters, or with none (or a plain JSON one) the
 * manifest's own mediaType field. 0, or the exit status after one line
 * when either is too long to be one or the field is not a whole string.
 */
static int manifest_media(const struct oci_registry *reg, const char *reference,
			  const struct oci_resp *r, char media[128])
{
	const char *m = r->media ? r->media : "";
	size_t len = strcspn(m, ";");
	struct json_object *o = NULL, *f;
	int err = 0;

	while (len && isspace((unsigned char)m[len - 1]))
		len--;
	if (!len || (len == 16 && !strncmp(m, "application/json", len))) {
		/* No Content-Type: the manifest's own mediaType field. */
		o = oci_json_parse(r->body.data, r->body.len);
		m = "";
		if (o && json_object_object_get_ex(o, "mediaType", &f)) {
			/* "\u0000" would cut the type short */
			if (!oci_json_cstr(f))
				err = KILN_EXIT_FAIL;
			else
				m = json_object_get_string(f);
		}
		len = strlen(m);
	}
	if (err || len >= 128) {
		kiln_err("%s: manifest %s: malformed media type", reg->ref,
			 reference);
		err = KILN_EXIT_FAIL;
	} else {
		memcpy(media, m, len);
		media[len] = '\0';
	}
	json_object_put(o);
	return err;
}

int oci_registry_manifest(struct oci_registry *reg, const char *reference,
			  uint8_t **data, size_t *size, char media[128])
{
	static const char accept[] = "Accept: " OCI_MANIFEST ", " OCI_INDEX
				     ", " DOCKER_MANIFEST ", " DOCKER_LIST;
	struct oci_resp r = { .limit = MANIFEST_MAX };
	int err = reg_get(reg, "manifests", reference, accept, &r);

	if (!err)
		err = manifest_media(reg, reference, &r, media);
	oci_resp_free_headers(&r);
	if (err) {
		kbuf_free(&r.body);
		return err;
	}
	*data = r.body.data;
	*size = r.body.len;
	if (!*data)
		*data = kiln_xmalloc(1);
	return 0;
}

int oci_registry_blob(struct oci_registry *reg, const struct oci_desc *d,
		      const char *what, uint8_t **data, size_t *size)
{
	/* One byte over the promised size: a longer body is a mismatch. */
	struct oci_resp r = { .limit = (size_t)d->size + 1,
			      .what = what,
			      .total = (uint64_t)d->size };
	int err = reg_get(reg, "blobs", d->digest, NULL, &r);

	oci_resp_free_headers(&r);
	if (err) {
		kbuf_free(&r.body);
		return err;
	}
	*data = r.body.data ? r.body.data : kiln_xmalloc(1);
	*size = r.body.len;
	return 0;
}

int oci_registry_blob_fd(struct oci_registry *reg, const struct oci_desc *d,
			 const char *what, int fd)
{
	/* One byte over the promised size: a longer body is a mismatch. */
	struct oci_resp r = { .limit = (size_t)d->size + 1,
			      .what = what,
			      .total = (uint64_t)d->size,
			      .sink = 1,
			      .fd = fd };
	char got[72];
	int err;

	oci_hash_init(&r.hash);
	err = reg_get(reg, "blobs", d->digest, NULL, &r);
	oci_resp_free_headers(&r);
	if (err) {
		oci_hash_drop(&r.hash);
		return err;
	}
	oci_hash_final(&r.hash, got);
	return oci_check(reg->ref, d, what, r.written, got);
}

int oci_registry_call(struct oci_registry *reg, struct oci_call *c)
{
	struct oci_resp r = { .limit = 1u << 20,
			      .what = c->what,
			      .total = c->size,
			      .send = c->body,
			      .send_size = c->size,
			      .from_fd = c->from_fd,
			      .send_fd = c->body_fd,
			      .method = c->method };
	char type[160], *url;
	int err = 0;

	if (!strncmp(c->path, "http://", 7) ||
	    !strncmp(c->path, "https://", 8)) {
		url = kiln_xstrdup(c->path);
	} else {
		url = kiln_xmalloc(strlen(reg->host) + strlen(reg->repo) +
				   strlen(c->path) + 32);
		sprintf(url, "%s://%s/v2/%s/%s", reg->scheme, reg->host,
			reg->repo, c->path);
	}
	snprintf(type, sizeof(type), "Content-Type: %s",
		 c->type ? c->type : "application/octet-stream");
	c->status = oci_http_get(reg, url, c->body || c->from_fd ? type : NULL,
				 reg->auth, &r);
	if (c->status == 401)
		c->status = reg_auth_retry(reg, url,
					   c->body || c->from_fd ? type : NULL,
					   &r, &err);
	c->location = NULL;
	/* Location is absolute or a path on the registry (RFC 9110 10.2.2). */
	if (r.location && r.location[0] == '/') {
		c->location = kiln_xmalloc(strlen(reg->scheme) +
					   strlen(reg->host) +
					   strlen(r.location) + 4);
		sprintf(c->location, "%s://%s%s", reg->scheme, reg->host,
			r.location);
	} else if (r.location && (!strncmp(r.location, "http://", 7) ||
				  !strncmp(r.location, "https://", 8))) {
		c->location = r.location;
		r.location = NULL;
	}
	free(url);
	kbuf_free(&r.body);
	oci_resp_free_headers(&r);
	return err ? err : c->status < 0 ? KILN_EXIT_FAIL : 0;
}

const char *oci_registry_name(const struct oci_registry *reg)
{
	return reg->ref;
}

const char *oci_registry_reference(const struct oci_registry *reg)
{
	return reg->reference;
}

/* Reference grammar (distribution's reference package), loosely. */
static int name_ok(const char *s, const char *set, size_t max)
{
	return *s && strlen(s) <= max && strspn(s, set) == strlen(s);
}

int oci_registry_open(const char *ref, int insecure, const char *cmd,
		      struct oci_registry **out)
{
	struct oci_registry *reg = kiln_xmalloc(sizeof(*reg));
	const char *slash = strchr(ref, '/');
	char *at, *colon;

	*reg = (struct oci_registry){ .ref = kiln_xstrdup(ref),
				      .scheme = insecure ? "http" : "https",
				      .insecure = insecure };
	if (!slash || slash == ref)
		goto bad;
	reg->host = kiln_xstrdup(ref);
	reg->host[slash - ref] = '\0';
	reg->repo = kiln_xstrdup(slash + 1);
	at = strchr(reg->repo, '@');
	colon = strrchr(reg->repo, ':');
	if (at) {
		*at = '\0';
		reg->reference = kiln_xstrdup(at + 1);
		if (!oci_digest_ok(reg->reference))
			goto bad;
	} else if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		reg->reference = kiln_xstrdup(colon + 1);
		if (!name_ok(
			    reg->reference,
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-",
			    128))
			goto bad;
	} else {
		reg->reference = kiln_xstrdup("latest");
	}
	if (!name_ok(
		    reg->host,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
		    255) ||
	    !name_ok(reg->repo, "abcdefghijklmnopqrstuvwxyz0123456789._/-",
		     255))
		goto bad;
	reg->basic = oci_docker_creds(reg->host);
	if (oci_find_ca(ref, reg->host, &reg->ca)) {
		oci_registry_close(reg);
		return KILN_EXIT_FAIL;
	}
	*out = reg;
	return 0;
bad:
	oci_registry_close(reg);
	if (cmd)
		return kiln_usage_error(
			cmd, "want HOST[:PORT]/REPO[:TAG|@DIGEST], not", ref);
	return kiln_usage_error(
		"build",
		"--from wants oci:DIR[:TAG], docker-archive:FILE"
		" or HOST[:PORT]/REPO[:TAG|@DIGEST], not",
		ref);
}

void oci_registry_close(struct oci_registry *reg)
{
	if (!reg)
		return;
	free(reg->ref);
	free(reg->host);
	free(reg->repo);
	free(reg->reference);
	free(reg->auth);
	free(reg->basic);
	free(reg->ca);
	free(reg);
}
