/* oci_registry.c - manifests and blobs over the OCI distribution API (libcurl), with token auth: pull and push. */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "oci.h"

/* Manifests are small; a bigger one is hostile (distribution's limit is 4 MiB). */
#define MANIFEST_MAX (4u << 20)
/*
 * A header value kiln keeps (Location, WWW-Authenticate, Content-Type)
 * is held whole, up to this; a longer one fails the request. S3 signed
 * upload URLs run to a few KiB; curl itself stops at 100 KiB a line.
 */
#define HEADER_MAX (64u << 10)

struct oci_registry {
	char *ref; /* as given, for messages */
	char *host, *repo, *reference;
	/* "https"; with --insecure "http" until a 400 says it is TLS (get) */
	const char *scheme;
	char *auth;  /* "Authorization: ..." header, or NULL */
	char *basic; /* "Basic B64" from ~/.docker/config.json, or NULL */
	char *ca;    /* HOST's certs.d/.../ca.crt, or NULL */
	int insecure;
	int probed; /* --insecure: the first answer has chosen the scheme */
};

/* One response. */
struct resp {
	struct kbuf body;
	size_t limit;
	/* The headers kept, malloc'd and whole, or NULL (resp_headers_free) */
	char *challenge; /* WWW-Authenticate */
	char *media;	 /* Content-Type */
	char *location;	 /* Location (an upload's URL) */
	/* a header the transfer failed on (-E2BIG, -EINVAL) or NULL */
	const char *bad_header;
	int bad_header_err;
	const char *what; /* progress label, or NULL */
	uint64_t total, shown;
	/* A request body (PUT, POST), or NULL; HEAD when head is set. */
	const void *send;
	size_t send_size;
	/* or send_size bytes of the file send_fd, when from_fd is set */
	int from_fd, send_fd;
	const char *method;
	int quiet; /* no line for a transport error (the HTTPS probe) */
	/* oci_registry_blob_fd: the body goes to fd, hashed, not to body */
	int sink, fd, write_err;
	struct oci_hash hash;
	uint64_t written;
};

/* A new response (a redirect's, a retry's): the file starts again. */
static void sink_reset(struct resp *r)
{
	oci_hash_drop(&r->hash);
	oci_hash_init(&r->hash);
	r->written = 0;
	r->write_err = 0;
	if (ftruncate(r->fd, 0) < 0 || lseek(r->fd, 0, SEEK_SET) < 0)
		r->write_err = errno;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	int err;

	if (r->sink) {
		if (r->written + sz * n > r->limit)
			return 0; /* curl stops with CURLE_WRITE_ERROR */
		err = kiln_write_all(r->fd, p, sz * n);
		if (err) {
			r->write_err = -err;
			return 0;
		}
		oci_hash_update(&r->hash, p, sz * n);
		r->written += sz * n;
		return sz * n;
	}
	if (r->body.len + sz * n > r->limit)
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	kbuf_append(&r->body, p, sz * n);
	return sz * n;
}

static void resp_headers_free(struct resp *r)
{
	free(r->challenge);
	free(r->media);
	free(r->location);
	r->challenge = r->media = r->location = NULL;
}

/*
 * When line (untrusted, len bytes, no NUL) is "name: value": the value,
 * trimmed, whole into *out (malloc'd, replacing one before). 0, or
 * -E2BIG when it is longer than HEADER_MAX, -EINVAL when it holds a NUL
 * (*out is then untouched).
 */
static int header_value(const char *line, size_t len, const char *name,
			char **out)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return 0;
	line += nl + 1;
	len -= nl + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && isspace((unsigned char)line[len - 1]))
		len--;
	if (len > HEADER_MAX)
		return -E2BIG;
	/* a NUL inside would end the C string early: no such header */
	if (memchr(line, '\0', len))
		return -EINVAL;
	free(*out);
	*out = kiln_xmalloc(len + 1);
	memcpy(*out, line, len);
	(*out)[len] = '\0';
	return 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	static const char *const names[] = { "WWW-Authenticate", "Content-Type",
					     "Location" };
	struct resp *r = arg;
	char **outs[] = { &r->challenge, &r->media, &r->location };
	size_t len = sz * n;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response */
		resp_headers_free(r);
		r->body.len = 0;
		if (r->sink)
			sink_reset(r);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int err = header_value(p, len, names[i], outs[i]);

		if (err) {
			r->bad_header = names[i];
			r->bad_header_err = err;
			/* curl stops with CURLE_WRITE_ERROR */
			return 0;
		}
	}
	return len;
}

/* An upload from a file, read as curl sends it (never whole). */
static size_t on_read(char *buf, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	ssize_t got;

	do
		got = read(r->send_fd, buf, sz * n);
	while (got < 0 && errno == EINTR);
	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct resp *r = arg;

	curl_off_t now = r->send || r->from_fd ? ulnow : dlnow;

	(void)dltotal, (void)ultotal;
	/* curl calls often; a line only when the count moved. */
	if (r->what && now > 0 && (uint64_t)now != r->shown) {
		r->shown = (uint64_t)now;
		oci_progress(r->what, r->shown, r->total, 0);
	}
	return 0;
}

/* The TLS options: the certs.d CA, or no verification with --insecure. */
static void tls_options(struct oci_registry *reg, CURL *c)
{
	if (reg->insecure) {
		/* docker's insecure-registries: any certificate */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (reg->ca) {
		/*
		 * The bundle file becomes the host's CA; the system's
		 * stay through libcurl's CA directory (/etc/ssl/certs on
		 * Debian), which OpenSSL searches too.
		 */
		curl_easy_setopt(c, CURLOPT_CAINFO, reg->ca);
	}
}

/* The line for a failed transfer (rc, curl's detail in ebuf). */
static void transfer_error(const struct oci_registry *reg, const char *url,
			   const struct resp *r, CURLcode rc, const char *ebuf)
{
	if (rc == CURLE_WRITE_ERROR)
		kiln_err("%s: %s: response larger than expected", reg->ref,
			 url);
	else if (rc == CURLE_PEER_FAILED_VERIFICATION)
		kiln_err("%s: %s: certificate not trusted (%s); put the"
			 " registry's CA in ~/.config/kiln/certs.d/%s/ca.crt,"
			 " or use --insecure",
			 reg->ref, reg->host, ebuf[0] ? ebuf : "verify failed",
			 reg->host);
	else if (rc == CURLE_SSL_CACERT_BADFILE)
		kiln_err("%s: %s: no CA certificates to check its certificate"
			 " against (%s); install ca-certificates, put the"
			 " registry's CA in ~/.config/kiln/certs.d/%s/ca.crt,"
			 " or use --insecure",
			 reg->ref, reg->host,
			 ebuf[0] ? ebuf : curl_easy_strerror(rc), reg->host);
	else
		kiln_err("%s: %s%s%s", reg->ref, r->what ? r->what : "",
			 r->what ? ": " : "",
			 rc == CURLE_SSL_CONNECT_ERROR && ebuf[0] ?
				 ebuf :
				 curl_easy_strerror(rc));
}

/*
 * r->method (GET by default) url with the headers given and r->send as
 * the body: the status, or -1 after one line (transport errors:
 * refused, TLS, too big).
 */
static long transfer(struct oci_registry *reg, const char *url,
		     const char *accept, const char *auth, struct resp *r)
{
	struct curl_slist *h = NULL;
	const char *protos = reg->insecure ? "http,https" : "https";
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = -1;

	if (!c) {
		kiln_err("%s: libcurl failed to start", reg->ref);
		return -1;
	}
	if (accept)
		h = curl_slist_append(h, accept);
	if (auth)
		h = curl_slist_append(h, auth);
	if (r->send || r->from_fd) {
		/* No 100-continue round trip; the body is a blob. */
		h = curl_slist_append(h, "Expect:");
	}
	if (r->send) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->send);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->send_size);
	} else if (r->from_fd) {
		/* each try (a 401's retry) sends the file from its start */
		if (lseek(r->send_fd, 0, SEEK_SET) < 0) {
			kiln_err("%s: %s: %s", reg->ref, url, strerror(errno));
			curl_slist_free_all(h);
			curl_easy_cleanup(c);
			return -1;
		}
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)r->send_size);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, r);
	}
	if (r->method && !strcmp(r->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (r->method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protos);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protos);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	tls_options(reg, c);
	r->body.len = 0;
	r->bad_header = NULL;
	rc = curl_easy_perform(c);
	if (rc == CURLE_WRITE_ERROR && r->bad_header && !r->quiet &&
	    r->bad_header_err == -E2BIG)
		kiln_err("%s: %s: the registry's %s header is longer than %u"
			 " bytes",
			 reg->ref, r->what ? r->what : url, r->bad_header,
			 HEADER_MAX);
	else if (rc == CURLE_WRITE_ERROR && r->bad_header && !r->quiet)
		kiln_err("%s: %s: the registry's %s header has a NUL in it",
			 reg->ref, r->what ? r->what : url, r->bad_header);
	else if (rc == CURLE_WRITE_ERROR && r->write_err)
		kiln_err("%s: %s: writing it: %s", reg->ref,
			 r->what ? r->what : url, strerror(r->write_err));
	else if (rc != CURLE_OK && !r->quiet)
		transfer_error(reg, url, r, rc, ebuf);
	else if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/*
 * transfer, over the scheme the registry speaks. --insecure speaks
 * plain HTTP first; a TLS server answers that with 400 (Go's and
 * nginx's "plain HTTP request to an HTTPS server"), so a 400 to the
 * first request sends it again over HTTPS (any certificate), and the
 * registry is HTTPS from then on, also for URLs made before. Docker
 * probes the other way round, HTTPS first; but a plain server may never
 * answer a TLS hello, and the wait would be the connect timeout.
 */
static long get(struct oci_registry *reg, const char *url, const char *accept,
		const char *auth, struct resp *r)
{
	size_t hl = strlen(reg->host);
	int ours = !strncmp(url, "http://", 7) &&
		   !strncmp(url + 7, reg->host, hl) && url[7 + hl] == '/';
	char *https = NULL;
	long st;

	if (ours) {
		https = kiln_xmalloc(strlen(url) + 2);
		sprintf(https, "https://%s", url + 7);
	}
	if (ours && !strcmp(reg->scheme, "https"))
		url = https;
	st = transfer(reg, url, accept, auth, r);
	if (reg->insecure && !reg->probed && st >= 0) {
		reg->probed = 1;
		if (st == 400 && ours) {
			long tls;

			r->quiet = 1;
			tls = transfer(reg, https, accept, auth, r);
			r->quiet = 0;
			if (tls >= 0) {
				reg->scheme = "https";
				st = tls;
			}
		}
	}
	free(https);
	return st;
}

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
	struct resp r = { .limit = 1u << 20 };
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
	st = get(reg, url, NULL, hdr, &r);
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
	resp_headers_free(&r);
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
			   const char *accept, struct resp *r, int *err)
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
	return get(reg, url, accept, reg->auth, r);
}

/*
 * GET path under /v2/REPO/, answering one authentication challenge:
 * 0 with the body in r, or the exit status after one line.
 */
static int reg_get(struct oci_registry *reg, const char *kind,
		   const char *reference, const char *accept, struct resp *r)
{
	char *url = kiln_xmalloc(strlen(reg->host) + strlen(reg->repo) +
				 strlen(reference) + 64);
	long st;
	int err = 0;

	sprintf(url, "%s://%s/v2/%s/%s/%s", reg->scheme, reg->host, reg->repo,
		kind, reference);
	st = get(reg, url, accept, reg->auth, r);
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
			  const struct resp *r, char media[128])
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
	struct resp r = { .limit = MANIFEST_MAX };
	int err = reg_get(reg, "manifests", reference, accept, &r);

	if (!err)
		err = manifest_media(reg, reference, &r, media);
	resp_headers_free(&r);
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
	struct resp r = { .limit = (size_t)d->size + 1,
			  .what = what,
			  .total = (uint64_t)d->size };
	int err = reg_get(reg, "blobs", d->digest, NULL, &r);

	resp_headers_free(&r);
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
	struct resp r = { .limit = (size_t)d->size + 1,
			  .what = what,
			  .total = (uint64_t)d->size,
			  .sink = 1,
			  .fd = fd };
	char got[72];
	int err;

	oci_hash_init(&r.hash);
	err = reg_get(reg, "blobs", d->digest, NULL, &r);
	resp_headers_free(&r);
	if (err) {
		oci_hash_drop(&r.hash);
		return err;
	}
	oci_hash_final(&r.hash, got);
	return oci_check(reg->ref, d, what, r.written, got);
}

int oci_registry_call(struct oci_registry *reg, struct oci_call *c)
{
	struct resp r = { .limit = 1u << 20,
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
	c->status = get(reg, url, c->body || c->from_fd ? type : NULL,
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
	resp_headers_free(&r);
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
