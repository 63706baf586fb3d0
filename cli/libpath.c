/* libpath.c - where glibc's and musl's loaders look for libraries: ld.so.conf, musl's path file, RPATH/RUNPATH. */
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "closure.h"

#define CONF_DEPTH 8

void libdirs_free(struct lib_dirs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].guest);
		free(d->v[i].host);
	}
	free(d->v);
	*d = (struct lib_dirs){ 0 };
}

int libpath_clean(const char *path, char *out, size_t n)
{
	size_t o = 0;

	if (n < 2 || path[0] != '/')
		return 0;
	while (*path) {
		size_t len;

		while (*path == '/')
			path++;
		len = strcspn(path, "/");
		if (len == 0)
			break;
		if (len == 2 && !strncmp(path, "..", 2)) {
			while (o > 0 && out[o] != '/')
				o--;
		} else if (!(len == 1 && path[0] == '.')) {
			if (o + 1 + len + 1 > n)
				return 0;
			out[o++] = '/';
			memcpy(out + o, path, len);
			o += len;
		}
		path += len;
		out[o] = '\0';
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 1;
}

/* Append (guest, host) unless guest is there already. */
static void push_dir(struct lib_dirs *d, const char *guest, const char *host)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].guest, guest) &&
		    !strcmp(d->v[i].host, host))
			return;
	d->v = kiln_xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n].guest = kiln_xstrdup(guest);
	d->v[d->n].host = kiln_xstrdup(host);
	d->n++;
}

/* An absolute directory of the guest, found under root on the host. */
static void push_system(struct lib_dirs *d, const char *root, const char *dir)
{
	char clean[PATH_MAX], host[PATH_MAX * 2];

	if (!libpath_clean(dir, clean, sizeof(clean)))
		return;
	snprintf(host, sizeof(host), "%s%s", root, clean);
	push_dir(d, clean, host);
}

static void read_conf(const char *root, const char *path, int depth,
		      struct lib_dirs *out);

/* "include PATTERN": a relative pattern is relative to the file's directory. */
static void conf_include(const char *root, const char *conf, const char *pat,
			 int depth, struct lib_dirs *out)
{
	char full[PATH_MAX * 2];
	glob_t g;
	size_t rl = strlen(root);

	if (pat[0] == '/') {
		snprintf(full, sizeof(full), "%s%s", root, pat);
	} else {
		const char *slash = strrchr(conf, '/');
		int dl = slash ? (int)(slash - conf) : 0;

		snprintf(full, sizeof(full), "%.*s/%s", dl, conf, pat);
	}
	if (glob(full, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (strncmp(g.gl_pathv[i], root, rl) == 0)
			read_conf(root, g.gl_pathv[i], depth + 1, out);
	globfree(&g);
}

/* One line of ld.so.conf: "include PAT", "hwcap ...", or directories. */
static void conf_line(const char *root, const char *conf, char *line, int depth,
		      struct lib_dirs *out)
{
	static const char sep[] = " \t:,=";
	char *save, *w;

	line[strcspn(line, "#\n")] = '\0';
	w = strtok_r(line, " \t", &save);
	if (!w || !strcmp(w, "hwcap"))
		return;
	if (!strcmp(w, "include")) {
		while ((w = strtok_r(NULL, " \t", &save)) != NULL)
			conf_include(root, conf, w, depth, out);
		return;
	}
	for (; w; w = strtok_r(NULL, sep, &save))
		if (w[0] == '/')
			push_system(out, root, w);
}

/* path is a host path (root included); its directories go to out. */
static void read_conf(const char *root, const char *path, int depth,
		      struct lib_dirs *out)
{
	char line[PATH_MAX];
	FILE *f;

	if (depth > CONF_DEPTH)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		conf_line(root, path, line, depth, out);
	fclose(f);
}

/* musl's path file: directories separated by ':' or newlines. */
static int read_musl_path(const char *root, struct lib_dirs *out)
{
	char path[PATH_MAX], line[PATH_MAX], *save, *w;
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/ld-musl-x86_64.path", root);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		for (w = strtok_r(line, ":\n", &save); w;
		     w = strtok_r(NULL, ":\n", &save))
			if (w[0] == '/')
				push_system(out, root, w);
	fclose(f);
	return 1;
}

void libdirs_system(const char *root, int musl, struct lib_dirs *out)
{
	static const char *const glibc_dirs[] = {
		"/lib/x86_64-linux-gnu",
		"/usr/lib/x86_64-linux-gnu",
		"/lib64",
		"/usr/lib64",
		"/lib",
		"/usr/lib",
	};
	static const char *const musl_dirs[] = { "/lib", "/usr/local/lib",
						 "/usr/lib" };
	char conf[PATH_MAX];

	if (musl) {
		if (!read_musl_path(root, out))
			for (size_t i = 0; i < 3; i++)
				push_system(out, root, musl_dirs[i]);
		return;
	}
	snprintf(conf, sizeof(conf), "%s/etc/ld.so.conf", root);
	read_conf(root, conf, 0, out);
	for (size_t i = 0; i < sizeof(glibc_dirs) / sizeof(glibc_dirs[0]); i++)
		push_system(out, root, glibc_dirs[i]);
}

/*
 * The length of "$NAME" or "${NAME}" at s (which starts after the '$')
 * when it names name, else 0. As glibc's is_dst: an unbraced name ends
 * where the identifier does ("$LIBX" is not "$LIB").
 */
static size_t token_len(const char *s, const char *name)
{
	size_t l = strlen(name);
	char after;

	if (s[0] == '{')
		return !strncmp(s + 1, name, l) && s[1 + l] == '}' ? l + 3 : 0;
	if (strncmp(s, name, l))
		return 0;
	after = s[l];
	if ((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') ||
	    (after >= '0' && after <= '9') || after == '_')
		return 0;
	return l + 1;
}

/* The token at s + 1 (s at a '$'): its value and length, or NULL. */
static const char *token(const char *s, int musl, const char *origin,
			 size_t *skip, int *is_origin)
{
	*is_origin = 0;
	if ((*skip = token_len(s + 1, "ORIGIN")) != 0) {
		*is_origin = 1;
		return origin;
	}
	if (musl)
		return NULL;
	if ((*skip = token_len(s + 1, "LIB")) != 0)
		return "lib/x86_64-linux-gnu";
	if ((*skip = token_len(s + 1, "PLATFORM")) != 0)
		return "x86_64";
	return NULL;
}

/*
 * Replace the tokens of one entry (s[0..len)) into out (n bytes).
 * *used_origin says whether $ORIGIN was among them. 0 when a token is
 * unknown (glibc drops such an entry) or the result does not fit.
 */
static int expand_entry(const char *s, size_t len, int musl, const char *origin,
			char *out, size_t n, int *used_origin)
{
	size_t o = 0;

	*used_origin = 0;
	for (size_t i = 0; i < len;) {
		const char *val;
		size_t skip, vl;
		int is_origin;

		if (s[i] != '$') {
			if (o + 1 >= n)
				return 0;
			out[o++] = s[i++];
			continue;
		}
		val = token(s + i, musl, origin, &skip, &is_origin);
		if (!val || i + skip > len)
			return 0;
		*used_origin |= is_origin;
		vl = strlen(val);
		if (o + vl >= n)
			return 0;
		memcpy(out + o, val, vl);
		o += vl;
		i += skip;
	}
	out[o] = '\0';
	return 1;
}

void libdirs_expand(const char *list, int musl, const char *root,
		    const char *guest_origin, const char *host_origin,
		    struct lib_dirs *out)
{
	char g[PATH_MAX], h[PATH_MAX], clean[PATH_MAX], host[PATH_MAX * 2];

	while (*list) {
		size_t len = strcspn(list, ":");
		int og, oh;

		if (len &&
		    expand_entry(list, len, musl, guest_origin, g, sizeof(g),
				 &og) &&
		    expand_entry(list, len, musl, host_origin, h, sizeof(h),
				 &oh) &&
		    libpath_clean(g, clean, sizeof(clean))) {
			/* Without $ORIGIN the host has it under root. */
			if (og)
				snprintf(host, sizeof(host), "%s", h);
			else
				snprintf(host, sizeof(host), "%s%s", root,
					 clean);
			push_dir(out, clean, host);
		}
		list += len;
		if (*list == ':')
			list++;
	}
}
