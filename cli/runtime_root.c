/* runtime_root.c - a bundle's root directory and process into a Kiln image (kiln oci create). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

/* Docker's PATH, for finding args[0] when process.env has none. */
#define RT_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The root's file data is bounded as kiln build's and --from's are. */
#define RT_ROOT_MAX (1ULL << 30)
/* Symlinks followed resolving one path, as Linux's MAXSYMLINKS. */
#define RT_MAX_LINKS 40
/* ---- the root file system: the host directory into a rootfs ---- */

struct walk {
	const struct rt *rt;
	struct rootfs *fs;
	uint64_t bytes;
	size_t skipped;
};

static int walk_dir(struct walk *w, const char *host, const char *guest);

/* One entry: kept with its mode and owner; devices and FIFOs skipped. */
static int walk_one(struct walk *w, const char *host, const char *guest)
{
	struct stat st;
	int err = 0;

	if (lstat(host, &st) < 0)
		return rt_err(w->rt, "%s: %s", host, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		err = rootfs_add_dir(w->fs, guest, st.st_mode);
		if (!err)
			err = walk_dir(w, host, guest);
	} else if (S_ISLNK(st.st_mode)) {
		/* on the heap: this frame recurses as deep as the tree goes */
		char *target = kiln_xmalloc(4096);
		ssize_t n = readlink(host, target, 4095);

		err = n < 0 ? rt_err(w->rt, "%s: %s", host, strerror(errno)) :
			      rootfs_add_data(w->fs, guest, st.st_mode, target,
					      (size_t)n);
		free(target);
	} else if (S_ISREG(st.st_mode)) {
		uint8_t *data;
		size_t size;
		int fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		w->bytes += (uint64_t)st.st_size;
		if (w->bytes > RT_ROOT_MAX)
			return rt_err(w->rt,
				      "%s: the root holds more than 1 "
				      "GiB of files",
				      host);
		err = fd < 0 ? -errno : kiln_read_fd(fd, &data, &size);
		if (fd >= 0)
			close(fd);
		if (err)
			return rt_err(w->rt, "%s: %s", host, strerror(-err));
		err = rootfs_add_data(w->fs, guest, st.st_mode, data, size);
		free(data);
	} else {
		w->skipped++; /* the guest has its own /dev */
		return 0;
	}
	if (!err)
		rootfs_set_owner(w->fs, guest, st.st_uid, st.st_gid);
	return err;
}

static int walk_dir(struct walk *w, const char *host, const char *guest)
{
	DIR *d = opendir(host);
	struct dirent *e;
	int err = 0;

	if (!d)
		return rt_err(w->rt, "%s: %s", host, strerror(errno));
	while (!err && (e = readdir(d)) != NULL) {
		size_t hl = strlen(host) + strlen(e->d_name) + 2;
		size_t gl = strlen(guest) + strlen(e->d_name) + 2;
		char *h, *g;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		h = kiln_xmalloc(hl);
		g = kiln_xmalloc(gl);
		snprintf(h, hl, "%s/%s", host, e->d_name);
		snprintf(g, gl, "%s/%s", strcmp(guest, "/") ? guest : "",
			 e->d_name);
		err = walk_one(w, h, g);
		free(h);
		free(g);
	}
	closedir(d);
	return err;
}

/*
 * Resolve path (absolute) in the root as the guest's kernel will,
 * following symlinks inside the root (an absolute target restarts at
 * the guest's /, never the host's): the final entry's st_mode, 0 when
 * nothing is there.
 */
static uint32_t root_stat(const struct rootfs *fs, const char *path)
{
	char cur[4096] = "", rest[4096], link[4096], next[8200];
	int links = 0;

	snprintf(rest, sizeof(rest), "%s", path);
	for (;;) {
		char *p = rest, comp[256];
		size_t len;
		uint32_t mode;

		while (*p == '/')
			p++;
		if (!*p)
			return cur[0] ? rootfs_mode(fs, cur) : S_IFDIR | 0755;
		len = strcspn(p, "/");
		if (len >= sizeof(comp))
			return 0;
		memcpy(comp, p, len);
		comp[len] = '\0';
		memmove(rest, p + len, strlen(p + len) + 1);
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(cur, '/');

			if (slash)
				*slash = '\0';
			continue;
		}
		snprintf(next, sizeof(next), "%s/%s", cur, comp);
		mode = rootfs_mode(fs, next);
		if (S_ISLNK(mode)) {
			if (++links > RT_MAX_LINKS ||
			    !rootfs_readlink(fs, next, link, sizeof(link)))
				return 0;
			snprintf(next, sizeof(next), "%s/%s", link, rest);
			if (strlen(next) >= sizeof(rest))
				return 0;
			memcpy(rest, next, strlen(next) + 1);
			if (link[0] == '/')
				cur[0] = '\0';
			continue;
		}
		if (!mode || strlen(next) >= sizeof(cur))
			return 0;
		memcpy(cur, next, strlen(next) + 1);
	}
}

/* args[0] as runc's exec finds it: as named with a '/', else in PATH. */
static int find_program(const struct rt *rt, const struct rootfs *fs,
			const struct rt_spec *s, char *out, size_t n)
{
	const char *arg0 = s->args.v[0], *path = strvec_env(&s->env, "PATH");
	uint32_t mode;

	if (strchr(arg0, '/')) {
		if (arg0[0] == '/')
			snprintf(out, n, "%s", arg0);
		else
			snprintf(out, n, "%s/%s", s->cwd, arg0);
		mode = root_stat(fs, out);
		if (S_ISREG(mode) && (mode & 0111))
			return 0;
		return rt_err(rt, "%s: %s in the container's root", arg0,
			      mode ? "not an executable file" : "not found");
	}
	path = path ? path : RT_DEFAULT_PATH;
	for (const char *p = path; p;) {
		size_t len = strcspn(p, ":");

		if (len && p[0] == '/') {
			snprintf(out, n, "%.*s/%s", (int)len, p, arg0);
			mode = root_stat(fs, out);
			if (S_ISREG(mode) && (mode & 0111))
				return 0;
		}
		p = p[len] ? p + len + 1 : NULL;
	}
	return rt_err(rt, "%s: executable file not found in $PATH (%s)", arg0,
		      path);
}

/* The bundle into a whole Kiln image at rt->dir/image. */
int rt_make_image(const struct rt *rt, const struct rt_spec *s)
{
	struct kiln_config c = { 0 };
	struct kbuf cfg = { 0 }, arc = { 0 }, out = { 0 };
	struct walk w = { .rt = rt, .fs = rootfs_new() };
	char prog[4200], user[32], path[4600];
	struct stat st;
	int err = 0;

	if (stat(s->root, &st) < 0 || !S_ISDIR(st.st_mode))
		err = rt_err(rt, "%s: the root is not a directory", s->root);
	if (!err)
		err = rootfs_add_dir(w.fs, "/", st.st_mode);
	if (!err)
		err = walk_dir(&w, s->root, "/");
	if (!err && w.skipped)
		rt_note(rt,
			"kiln: %zu special files (devices, FIFOs, sockets) "
			"of the root skipped: the guest has its own /dev",
			w.skipped);
	for (const char *d = "/dev\0/proc\0/tmp\0"; !err && *d;
	     d += strlen(d) + 1)
		if (!rootfs_mode(w.fs, d))
			err = rootfs_add_dir(w.fs, d,
					     strcmp(d, "/tmp") ? 0755 : 01777);
	if (!err && !root_stat(w.fs, s->cwd))
		err = rootfs_add_dir(w.fs, s->cwd, 0755); /* as runc */
	if (!err)
		err = find_program(rt, w.fs, s, prog, sizeof(prog));
	if (!err) {
		c.program = kiln_xstrdup(prog);
		c.workdir = kiln_xstrdup(s->cwd);
		for (size_t i = 0; i < s->args.n; i++)
			strvec_push(&c.argv, s->args.v[i]);
		for (size_t i = 0; i < s->env.n && !err; i++)
			err = strchr(s->env.v[i], '=') &&
					      s->env.v[i][0] != '=' ?
				      config_setenv(&c, s->env.v[i]) :
				      rt_err(rt, "process.env: malformed %s",
					     s->env.v[i]);
		snprintf(user, sizeof(user), "%lld:%lld", (long long)s->uid,
			 (long long)s->gid);
		if (s->uid || s->gid)
			c.user = kiln_xstrdup(user);
	}
	if (!err)
		err = config_write(&c, &cfg);
	if (!err) {
		rootfs_archive(w.fs, &arc);
		/* a container's root stays in memory: no root disk */
		err = build_assemble(&cfg, &arc, NULL, NULL, &out);
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/image", rt->dir);
		err = kiln_write_atomic(path, out.data, out.len);
		if (err)
			err = rt_err(rt, "%s: %s", path, strerror(-err));
	}
	rootfs_free(w.fs);
	config_free(&c);
	kbuf_free(&cfg);
	kbuf_free(&arc);
	kbuf_free(&out);
	return err;
}
