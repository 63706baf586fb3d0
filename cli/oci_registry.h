/* oci_registry.h - what oci_registry.c, oci_http.c and oci_auth.c share: the registry's state, one HTTP exchange, the token challenge. */
#ifndef KILN_CLI_OCI_REGISTRY_H
#define KILN_CLI_OCI_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "oci.h"

struct oci_registry {
	char *ref; /* as given, for messages */
	char *host, *repo, *reference;
	/* "https"; with --insecure "http" until a 400 says it is TLS (oci_http_get) */
	const char *scheme;
	char *auth;  /* "Authorization: ..." header, or NULL */
	char *basic; /* "Basic B64" from ~/.docker/config.json, or NULL */
	char *ca;    /* HOST's certs.d/.../ca.crt, or NULL */
	int insecure;
	int probed; /* --insecure: the first answer has chosen the scheme */
};

/* One exchange: what the caller asks for and what the registry answered. */
struct oci_resp {
	struct kbuf body;
	size_t limit;
	/* The headers kept, malloc'd and whole, or NULL (oci_resp_free_headers) */
	char *challenge; /* WWW-Authenticate */
	char *media;	 /* Content-Type */
	char *location;	 /* Location (an upload's URL) */
	/* a header the transfer failed on (-E2BIG, -EINVAL) or NULL */
	const char *bad_header;
	int bad_header_err;
	const char *what; /* progress label, or NULL */
	uint64_t total, shown;
	/* A request body (PUT, POST), or NULL (GET, or HEAD by method). */
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

/*
 * One request to url (r->method, GET by default; r->send or the file
 * r->send_fd as the body) with the headers accept and auth (or NULL),
 * over the scheme the registry speaks (--insecure: the HTTPS probe).
 * The HTTP status, or -1 after one line (refused, TLS, too big). The
 * body is in r->body (or written to r->fd when r->sink), the headers
 * kept in r: free them with oci_resp_free_headers. For oci_registry.c.
 */
long oci_http_get(struct oci_registry *reg, const char *url, const char *accept,
		  const char *auth, struct oci_resp *r);
/* Free the headers an exchange kept; r can be used again. */
void oci_resp_free_headers(struct oci_resp *r);

/* oci_auth.c: the parameters of a Bearer challenge the token flow asks for. */
struct oci_bearer {
	char *buf; /* their values, unquoted, one after another */
	const char *realm, *service, *scope;
};
/*
 * The parameters of challenge ch (untrusted; what follows "Bearer "):
 * 'realm="...", service="..."', RFC 7235 2.1 auth-params, whitespace
 * allowed around each '='. realm, service and scope (the first of each,
 * NULL when absent) point into bp->buf, which the caller frees, also on
 * failure: 0, or -EINVAL when the list is malformed.
 */
int oci_bearer_parse(const char *ch, struct oci_bearer *bp);

#endif
