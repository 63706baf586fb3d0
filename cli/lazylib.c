/* lazylib.c - libcurl, libarchive and libcrypto, loaded on the first call that needs them, not at every start of kiln. */
#define CURL_DISABLE_TYPECHECK
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>

/*
 * Only `kiln build --from`, `kiln pull` and `kiln push` (cli/oci_*.c) use
 * libcurl, libarchive and libcrypto (for SHA-256), but linked normally
 * they and the ~40 libraries they pull in (TLS, Kerberos, LDAP, ICU) are
 * loaded by the dynamic loader before main: ~37 ms of CPU on every `kiln
 * run`, a quarter of the boot of a bare PVH stub under TCG
 * (docs/performance.md, "kiln run"). So kiln links none of them: each
 * function below has the library's name and
 * signature and calls the library's own through a pointer found on the
 * first call. A library that cannot be loaded makes the calls fail as the
 * library reports failure (NULL handles, error codes), after one message.
 */
enum { LIB_CURL, LIB_ARCHIVE, LIB_CRYPTO, NLIBS };

static const char *const sonames[NLIBS] = { "libcurl.so.4", "libarchive.so.13",
					    "libcrypto.so.3" };
static void *handles[NLIBS];
static int failed[NLIBS];

/* The address of name in library lib, or NULL (said once per library). */
static void *lazy_sym(int lib, const char *name)
{
	void *sym;

	if (!handles[lib] && !failed[lib]) {
		handles[lib] = dlopen(sonames[lib], RTLD_NOW | RTLD_LOCAL);
		if (!handles[lib]) {
			failed[lib] = 1;
			fprintf(stderr, "kiln: cannot load %s: %s\n",
				sonames[lib], dlerror());
		}
	}
	if (!handles[lib])
		return NULL;
	sym = dlsym(handles[lib], name);
	if (!sym)
		fprintf(stderr, "kiln: %s has no %s\n", sonames[lib], name);
	return sym;
}

/*
 * fp: a static pointer of the declared function's own type (from the
 * library's header), filled on the first call; dlsym returns a data
 * pointer, which POSIX lets us store through a void **.
 */
#define LAZY(lib, name)              \
	static __typeof__(&name) fp; \
	if (!fp)                     \
	*(void **)&fp = lazy_sym(lib, #name)

/* ---- libcurl ---- */

CURL *curl_easy_init(void)
{
	LAZY(LIB_CURL, curl_easy_init);
	return fp ? fp() : NULL;
}

void curl_easy_cleanup(CURL *c)
{
	LAZY(LIB_CURL, curl_easy_cleanup);
	if (fp)
		fp(c);
}

CURLcode curl_easy_perform(CURL *c)
{
	LAZY(LIB_CURL, curl_easy_perform);
	return fp ? fp(c) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode code)
{
	LAZY(LIB_CURL, curl_easy_strerror);
	return fp ? fp(code) : "libcurl could not be loaded";
}

char *curl_easy_escape(CURL *c, const char *s, int len)
{
	LAZY(LIB_CURL, curl_easy_escape);
	return fp ? fp(c, s, len) : NULL;
}

void curl_free(void *p)
{
	LAZY(LIB_CURL, curl_free);
	if (fp)
		fp(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	LAZY(LIB_CURL, curl_slist_append);
	return fp ? fp(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	LAZY(LIB_CURL, curl_slist_free_all);
	if (fp)
		fp(l);
}

/*
 * The variadic two: the option's number says its argument's type
 * (curl.h's CURLOPTTYPE_*), and every CURLINFO argument is a pointer;
 * each is read as what it is and passed on as that.
 */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	LAZY(LIB_CURL, curl_easy_setopt);
	va_list ap;
	CURLcode r;

	if (!fp)
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = fp(c, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		r = fp(c, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		r = fp(c, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		r = fp(c, opt, va_arg(ap, curl_off_t));
	else
		r = fp(c, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	LAZY(LIB_CURL, curl_easy_getinfo);
	va_list ap;
	void *p;

	if (!fp)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return fp(c, info, p);
}

/* ---- libarchive ---- */

struct archive *archive_read_new(void)
{
	LAZY(LIB_ARCHIVE, archive_read_new);
	return fp ? fp() : NULL;
}

#define ARCHIVE_INT_FN(name)                       \
	int name(struct archive *a)                \
	{                                          \
		LAZY(LIB_ARCHIVE, name);           \
		return fp ? fp(a) : ARCHIVE_FATAL; \
	}

ARCHIVE_INT_FN(archive_read_free)
ARCHIVE_INT_FN(archive_read_support_filter_gzip)
ARCHIVE_INT_FN(archive_read_support_filter_zstd)
ARCHIVE_INT_FN(archive_read_support_format_tar)

int archive_read_open_memory(struct archive *a, const void *buf, size_t size)
{
	LAZY(LIB_ARCHIVE, archive_read_open_memory);
	return fp ? fp(a, buf, size) : ARCHIVE_FATAL;
}

int archive_read_open_fd(struct archive *a, int fd, size_t block_size)
{
	LAZY(LIB_ARCHIVE, archive_read_open_fd);
	return fp ? fp(a, fd, block_size) : ARCHIVE_FATAL;
}

int archive_read_next_header(struct archive *a, struct archive_entry **e)
{
	LAZY(LIB_ARCHIVE, archive_read_next_header);
	return fp ? fp(a, e) : ARCHIVE_FATAL;
}

la_ssize_t archive_read_data(struct archive *a, void *buf, size_t size)
{
	LAZY(LIB_ARCHIVE, archive_read_data);
	return fp ? fp(a, buf, size) : ARCHIVE_FATAL;
}

const char *archive_error_string(struct archive *a)
{
	LAZY(LIB_ARCHIVE, archive_error_string);
	return fp ? fp(a) : "libarchive could not be loaded";
}

/* Entries exist only once libarchive is loaded: fp is never NULL here. */
#define ENTRY_FN(type, name)               \
	type name(struct archive_entry *e) \
	{                                  \
		LAZY(LIB_ARCHIVE, name);   \
		return fp(e);              \
	}

ENTRY_FN(__LA_MODE_T, archive_entry_filetype)
ENTRY_FN(__LA_MODE_T, archive_entry_mode)
ENTRY_FN(la_int64_t, archive_entry_gid)
ENTRY_FN(la_int64_t, archive_entry_uid)
ENTRY_FN(la_int64_t, archive_entry_size)
ENTRY_FN(const char *, archive_entry_pathname)
ENTRY_FN(const char *, archive_entry_hardlink)
ENTRY_FN(const char *, archive_entry_symlink)

/* ---- libcrypto: the SHA-256 of OCI digests ---- */

const EVP_MD *EVP_sha256(void)
{
	LAZY(LIB_CRYPTO, EVP_sha256);
	return fp ? fp() : NULL;
}

int EVP_Digest(const void *data, size_t count, unsigned char *md,
	       unsigned int *size, const EVP_MD *type, ENGINE *impl)
{
	LAZY(LIB_CRYPTO, EVP_Digest);
	return fp && type ? fp(data, count, md, size, type, impl) : 0;
}

/* A running digest, for blobs streamed to disk (oci_hash_*). */
EVP_MD_CTX *EVP_MD_CTX_new(void)
{
	LAZY(LIB_CRYPTO, EVP_MD_CTX_new);
	return fp ? fp() : NULL;
}

void EVP_MD_CTX_free(EVP_MD_CTX *ctx)
{
	LAZY(LIB_CRYPTO, EVP_MD_CTX_free);
	if (fp)
		fp(ctx);
}

int EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl)
{
	LAZY(LIB_CRYPTO, EVP_DigestInit_ex);
	return fp && ctx && type ? fp(ctx, type, impl) : 0;
}

int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t cnt)
{
	LAZY(LIB_CRYPTO, EVP_DigestUpdate);
	return fp && ctx ? fp(ctx, d, cnt) : 0;
}

int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s)
{
	LAZY(LIB_CRYPTO, EVP_DigestFinal_ex);
	return fp && ctx ? fp(ctx, md, s) : 0;
}
