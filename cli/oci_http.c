/* oci_http.c - one HTTP exchange with a registry over libcurl: the body to memory or a file, kept headers, progress, TLS, the --insecure probe. */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "oci_registry.h"

/*
 * A header value kiln keeps (Location, WWW-Authenticate, Content-Type)
 * is held whole, up to this; a longer one fails the request. S3 signed
 * upload URLs run to a few KiB; curl itself stops at 100 KiB a line.
 */
#define HEADER_MAX (64u << 10)

/* A new response (a redirect's, a retry's): the file starts again. */
static void sink_reset(struct oci_resp *r)
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
	struct oci_resp *r = arg;
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

void oci_resp_free_headers(struct oci_resp *r)
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
	struct oci_resp *r = arg;
	char **outs[] = { &r->challenge, &r->media, &r->location };
	size_t len = sz * n;

	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response */
		oci_resp_free_headers(r);
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
	struct oci_resp *r = arg;
	ssize_t got;

	do
		got = read(r->send_fd, buf, sz * n);
	while (got < 0 && errno == EINTR);
	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct oci_resp *r = arg;

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
			   const struct oci_resp *r, CURLcode rc,
			   const char *ebuf)
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
		     const char *accept, const char *auth, struct oci_resp *r)
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
long oci_http_get(struct oci_registry *reg, const char *url, const char *accept,
		  const char *auth, struct oci_resp *r)
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
