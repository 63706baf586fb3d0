/* pathwalk.c - follow a path in the host and in the image at once, adding what it meets (symlinks kept). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "closure.h"

/* Symlinks followed on one path, as Linux's MAXSYMLINKS. */
#define WALK_LINKS 40

int path_join(char *out, size_t n, const char *a, const char *b)
{
	size_t al = strlen(a);
	int r;

	if (al && a[al - 1] == '/')
		al--;
	r = snprintf(out, n, "%.*s/%s", (int)al, a, b);
	return r >= 0 && (size_t)r < n;
}

/* A path walk: the host and guest directory reached so far. */
struct walk {
	char host[PATH_MAX], guest[PATH_MAX];
	char rest[PATH_MAX];
	int links;
};

/* Take the first component of w->rest into comp (NAME_MAX + 1 bytes). */
static int next_comp(struct walk *w, char *comp)
{
	char *p = w->rest;
	size_t len;

	while (*p == '/')
		p++;
	len = strcspn(p, "/");
	if (len == 0 || len > NAME_MAX)
		return len == 0 ? 0 : -ENAMETOOLONG;
	memcpy(comp, p, len);
	comp[len] = '\0';
	memmove(w->rest, p + len, strlen(p + len) + 1);
	return 1;
}

/* Go up one guest directory; at "/" the host side goes back to root. */
static void walk_up(struct pathwalk *pw, struct walk *w)
{
	char *slash = strrchr(w->guest, '/');

	if (slash && slash != w->guest) {
		*slash = '\0';
		strncat(w->host, "/..", sizeof(w->host) - strlen(w->host) - 1);
	} else {
		snprintf(w->guest, sizeof(w->guest), "/");
		snprintf(w->host, sizeof(w->host), "%s", pw->root);
	}
}

/* Go on at a symlink's target: the rest of the path follows it. */
static int walk_follow(struct pathwalk *pw, struct walk *w, const char *target)
{
	char rest[PATH_MAX];
	int r;

	if (++w->links > WALK_LINKS)
		return -ELOOP;
	r = snprintf(rest, sizeof(rest), "%s/%s", target, w->rest);
	if (r < 0 || (size_t)r >= sizeof(rest))
		return -ENAMETOOLONG;
	memcpy(w->rest, rest, sizeof(rest));
	if (target[0] == '/') {
		snprintf(w->guest, sizeof(w->guest), "/");
		snprintf(w->host, sizeof(w->host), "%s", pw->root);
	}
	return 0;
}

/* A host symlink at hn: keep it in the image at gn, go on at its target. */
static int walk_link(struct pathwalk *pw, struct walk *w, const char *hn,
		     const char *gn, int add)
{
	char target[PATH_MAX];
	ssize_t len = readlink(hn, target, sizeof(target) - 1);

	if (len < 0)
		return -errno;
	target[len] = '\0';
	if (add && rootfs_add_symlink(pw->fs, gn, target))
		return -EEXIST;
	return walk_follow(pw, w, target);
}

/* Advance the walk into (hn, gn). */
static void walk_enter(struct walk *w, const char *hn, const char *gn)
{
	snprintf(w->host, sizeof(w->host), "%s", hn);
	snprintf(w->guest, sizeof(w->guest), "%s", gn);
}

/*
 * What the image holds at gn already (--file, --dir, a library added
 * before) is what the guest will see, so it wins over the host: a link
 * is followed as the image has it, a directory entered, a file is the
 * end (w->host "" says: in the image). 1 for a file, 0 to go on, -errno,
 * or 2 when the image has nothing there.
 */
static int walk_image(struct pathwalk *pw, struct walk *w, const char *hn,
		      const char *gn)
{
	uint32_t have = rootfs_mode(pw->fs, gn);
	char target[PATH_MAX];

	if (S_ISLNK(have))
		return rootfs_readlink(pw->fs, gn, target, sizeof(target)) ?
			       walk_follow(pw, w, target) :
			       -ENAMETOOLONG;
	if (S_ISDIR(have)) {
		walk_enter(w, hn, gn);
		return 0;
	}
	if (!have)
		return 2;
	if (!S_ISREG(have) || w->rest[strspn(w->rest, "/")])
		return S_ISREG(have) ? -ENOTDIR : -ENOENT;
	walk_enter(w, "", gn);
	for (size_t i = 0; i < pw->added_guest.n; i++)
		if (!strcmp(pw->added_guest.v[i], gn))
			walk_enter(w, pw->added_host.v[i], gn);
	return 1;
}

/*
 * One step of the walk into component comp. Returns 1 when it reached a
 * regular file (w->host/w->guest are then the file), 0 to go on, or
 * -errno (-EEXIST: the image holds something else there, reported).
 */
static int walk_step(struct pathwalk *pw, struct walk *w, const char *comp,
		     int add)
{
	char hn[PATH_MAX], gn[PATH_MAX];
	struct stat st;
	int r;

	if (!path_join(hn, sizeof(hn), w->host, comp) ||
	    !path_join(gn, sizeof(gn), w->guest, comp))
		return -ENAMETOOLONG;
	r = walk_image(pw, w, hn, gn);
	if (r != 2)
		return r;
	if (lstat(hn, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return walk_link(pw, w, hn, gn, add);
	if (S_ISDIR(st.st_mode)) {
		if (add && rootfs_add_dir(pw->fs, gn, st.st_mode & 07777))
			return -EEXIST;
	} else if (!S_ISREG(st.st_mode) || w->rest[strspn(w->rest, "/")]) {
		return S_ISREG(st.st_mode) ? -ENOTDIR : -ENOENT;
	} else if (add) {
		if (rootfs_add_host(pw->fs, hn, gn))
			return -EEXIST;
		strvec_push(&pw->added_guest, gn);
		strvec_push(&pw->added_host, hn);
	}
	walk_enter(w, hn, gn);
	return S_ISREG(st.st_mode) ? 1 : 0;
}

int pathwalk(struct pathwalk *pw, const char *host, const char *guest,
	     const char *rel, int add, char *hreal, char *greal)
{
	struct walk *w = kiln_xmalloc(sizeof(*w));
	char comp[NAME_MAX + 1];
	int r = -ENAMETOOLONG;

	if (snprintf(w->host, sizeof(w->host), "%s", host) >= PATH_MAX ||
	    snprintf(w->guest, sizeof(w->guest), "%s", guest) >= PATH_MAX ||
	    snprintf(w->rest, sizeof(w->rest), "%s", rel) >= PATH_MAX)
		goto out;
	w->links = 0;
	while ((r = next_comp(w, comp)) == 1) {
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			walk_up(pw, w);
			continue;
		}
		r = walk_step(pw, w, comp, add);
		if (r != 0)
			break;
	}
	if (r == 0)
		r = -EISDIR;
	if (r == 1) {
		memcpy(hreal, w->host, sizeof(w->host));
		memcpy(greal, w->guest, sizeof(w->guest));
		r = 0;
	}
out:
	free(w);
	return r;
}

int pathwalk_image_dir(struct pathwalk *pw, const char *guest, char *out,
		       size_t n)
{
	struct walk *w = kiln_xmalloc(sizeof(*w));
	char comp[NAME_MAX + 1], next[PATH_MAX], target[PATH_MAX];
	int r, ok = 0;

	snprintf(w->guest, sizeof(w->guest), "/");
	w->host[0] = '\0';
	w->links = 0;
	if (snprintf(w->rest, sizeof(w->rest), "%s", guest) >= PATH_MAX)
		goto out;
	while ((r = next_comp(w, comp)) == 1) {
		if (!strcmp(comp, ".."))
			walk_up(pw, w);
		if (!strcmp(comp, ".") || !strcmp(comp, ".."))
			continue;
		if (!path_join(next, sizeof(next), w->guest, comp))
			goto out;
		if (!rootfs_readlink(pw->fs, next, target, sizeof(target))) {
			memcpy(w->guest, next, sizeof(next));
			continue;
		}
		if (++w->links > WALK_LINKS ||
		    !path_join(next, sizeof(next), target, w->rest))
			goto out;
		memcpy(w->rest, next, sizeof(next));
		if (target[0] == '/')
			snprintf(w->guest, sizeof(w->guest), "/");
	}
	ok = r == 0 && snprintf(out, n, "%s", w->guest) < (int)n;
out:
	free(w);
	return ok;
}
