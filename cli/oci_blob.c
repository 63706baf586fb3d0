/* oci_blob.c - content digests (sha256, libcrypto) and the per-layer progress line. */
#include <errno.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"

void oci_sha256(const void *data, size_t size, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	/* EVP_Digest fails only without memory or the algorithm. */
	if (!EVP_Digest(data, size, md, &len, EVP_sha256(), NULL) ||
	    len != 32) {
		kiln_err("libcrypto: sha256 failed");
		kiln_tmp_cleanup();
		_exit(KILN_EXIT_FAIL);
	}
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* libcrypto failed: without memory, or the library could not load. */
static void sha256_failed(void)
{
	kiln_err("libcrypto: sha256 failed");
	kiln_tmp_cleanup();
	_exit(KILN_EXIT_FAIL);
}

void oci_hash_init(struct oci_hash *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
		sha256_failed();
}

void oci_hash_update(struct oci_hash *h, const void *data, size_t size)
{
	if (!EVP_DigestUpdate(h->ctx, data, size))
		sha256_failed();
}

void oci_hash_final(struct oci_hash *h, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_DigestFinal_ex(h->ctx, md, &len) || len != 32)
		sha256_failed();
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

void oci_hash_drop(struct oci_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int oci_sha256_fd(int fd, char out[72])
{
	uint8_t *buf = kiln_xmalloc(1 << 16);
	struct oci_hash h;
	ssize_t n;

	oci_hash_init(&h);
	while ((n = read(fd, buf, 1 << 16)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			oci_hash_drop(&h);
			free(buf);
			return err;
		}
		oci_hash_update(&h, buf, (size_t)n);
	}
	free(buf);
	oci_hash_final(&h, out);
	return 0;
}

int oci_verify(const char *name, const struct oci_desc *d, const char *what,
	       const uint8_t *data, size_t size)
{
	char got[72];

	if ((uint64_t)d->size != size)
		return oci_check(name, d, what, size, NULL);
	oci_sha256(data, size, got);
	return oci_check(name, d, what, size, got);
}

int oci_check(const char *name, const struct oci_desc *d, const char *what,
	      uint64_t size, const char *got)
{
	if ((uint64_t)d->size != size) {
		kiln_err("%s: %s %s: size %llu, the manifest says %lld", name,
			 what, d->digest, (unsigned long long)size,
			 (long long)d->size);
		return KILN_EXIT_FAIL;
	}
	if (strcmp(got, d->digest)) {
		kiln_err("%s: %s %s: digest mismatch (content is %s)", name,
			 what, d->digest, got);
		return KILN_EXIT_FAIL;
	}
	return 0;
}

bool oci_json_whole(struct json_object *s)
{
	/* json-c keeps "\u0000" in the string: strlen would stop there */
	return json_object_is_type(s, json_type_string) &&
	       strlen(json_object_get_string(s)) ==
		       (size_t)json_object_get_string_len(s);
}

bool oci_json_cstr(struct json_object *s)
{
	return oci_json_whole(s) &&
	       (size_t)json_object_get_string_len(s) < KILN_CFG_MAX_VALUE;
}

int oci_json_strings(struct json_object *a, struct strvec *sv)
{
	size_t n;

	if (a == NULL)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -EINVAL;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(a, i);

		if (!oci_json_cstr(s))
			return -EINVAL;
		strvec_push(sv, json_object_get_string(s));
	}
	return 0;
}

int oci_digest_ok(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) || strlen(digest) != 71)
		return 0;
	return strspn(digest + 7, "0123456789abcdef") == 64;
}

/*
 * "what: done/total" rewritten in place, as docker pull's per-layer
 * lines; a newline when the transfer ends. Quiet when stderr is not a
 * terminal, so logs and tests see only errors.
 */
void oci_progress(const char *what, uint64_t done, uint64_t total, int last)
{
	static int tty = -1;

	if (tty < 0)
		tty = isatty(2);
	if (!tty)
		return;
	fprintf(stderr, "\r\033[K%s: %llu/%llu bytes%s", what,
		(unsigned long long)done, (unsigned long long)total,
		last ? "\n" : "");
}

/* Whether s[0..n) is JSON whitespace; s need not end in a NUL. */
static bool only_blanks(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

struct json_object *oci_json_parse(const void *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *o;

	/*
	 * json-c's lengths are int; manifests and configs are small. No
	 * bytes is no JSON value, and an empty HTTP body has NULL data,
	 * which memchr must not see.
	 */
	if (!size || size >= (1u << 26) || memchr(data, '\0', size))
		return NULL;
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, data, (int)size);
	if (o &&
	    (json_tokener_get_error(tok) != json_tokener_success ||
	     !only_blanks((const char *)data + json_tokener_get_parse_end(tok),
			  size - json_tokener_get_parse_end(tok)))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}
