/* run_volume.c - `kiln run -v HOSTDIR:GUESTDIR[:ro]`: host directories shared with the guest over virtio-9p. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"
#include "run.h"
#include "volume.h"

/* dir without repeated or trailing slashes, into out. */
static void clean(const char *dir, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = dir; *p && n + 1 < size; p++)
		if (*p != '/' || (n == 0 || out[n - 1] != '/'))
			out[n++] = *p;
	if (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
}

/* True when a is b or a directory above or below it. */
static int overlaps(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	return !strncmp(a, b, n) &&
	       (la == lb || (la < lb ? b[la] : a[lb]) == '/');
}

/* Split spec into host, guest and ro: 0, or the usage error's status. */
static int parse(const char *spec, char *host, char *guest, int *ro)
{
	size_t len = strlen(spec);
	const char *opt = strrchr(spec, ':'), *g;
	const char *why;

	if (len >= 4096)
		return kiln_usage_error("run", "-v: too long", spec);
	*ro = 0;
	g = opt;
	if (opt != NULL && opt[1] != '/') {
		for (g = opt; g > spec && g[-1] != ':';)
			g--;
		g = g > spec ? g - 1 : NULL;
		if (g == NULL) /* HOSTDIR:relative: GUESTDIR's error below */
			g = opt;
		else if (strcmp(opt + 1, "ro") && strcmp(opt + 1, "rw"))
			return kiln_usage_error(
				"run",
				"-v wants HOSTDIR:GUESTDIR[:ro|:rw], not",
				spec);
		else
			*ro = !strcmp(opt + 1, "ro");
	}
	if (g == NULL || g == spec)
		return kiln_usage_error(
			"run", "-v wants HOSTDIR:GUESTDIR[:ro|:rw], not", spec);
	memcpy(host, spec, (size_t)(g - spec));
	host[g - spec] = '\0';
	len = (size_t)((opt != NULL && opt != g ? opt : spec + len) - g - 1);
	memcpy(guest, g + 1, len);
	guest[len] = '\0';
	why = volume_dir_error(guest);
	if (why)
		return kiln_usage_error("run", why, spec);
	return 0;
}

/* Append s to out, each ',' doubled: QEMU's escape inside option values. */
static void put_escaped(struct kbuf *out, const char *s)
{
	for (; *s; s++) {
		kbuf_append(out, s, 1);
		if (*s == ',')
			kbuf_append(out, ",", 1);
	}
}

/*
 * -v NAME:GUESTDIR[:ro]: the named volume (made on first use, as docker
 * does) as a --disk mounted at GUESTDIR. 0, or the status after a line.
 */
static int add_named(struct run_args *ra, const char *name, const char *guest,
		     int ro, const char *spec)
{
	char path[4200], users[1024], *disk;
	size_t len;
	int err;

	if (!volume_name_ok(name))
		return kiln_usage_error("run",
					"-v: bad volume name (it must match "
					"[a-zA-Z0-9][a-zA-Z0-9_.-]*)",
					spec);
	err = volume_path(name, path, sizeof(path));
	if (err == -ENOENT) {
		err = volume_create(name, VOLUME_DEFAULT_SIZE, 0, 0);
		if (err == 0)
			err = volume_path(name, path, sizeof(path));
		if (err == 0)
			strvec_push(&ra->new_volumes, path);
	}
	if (err)
		return err < 0 ? kiln_file_error(path, err) : err;
	/* QEMU would refuse it too; this says which volume and who has it. */
	if (volume_locked(path, !ro)) {
		instance_users(name, users, sizeof(users));
		kiln_err("volume %s: in use by %s%s", name,
			 users[0] ? "instance " : "another running VM", users);
		return KILN_EXIT_FAIL;
	}
	len = strlen(path) + strlen(guest) + 8;
	disk = kiln_xmalloc(len);
	snprintf(disk, len, "%s:%s%s", path, guest, ro ? ":ro" : "");
	err = run_disk_add(ra, disk);
	free(disk);
	if (!err)
		strvec_push(&ra->named_volumes, name);
	return err;
}

int run_volume_owner(struct run_args *ra, const char *user)
{
	unsigned uid = 0, gid = 0;
	int err;

	/* config.c checked the shape: "UID:GID". */
	if (!user || sscanf(user, "%u:%u", &uid, &gid) != 2 ||
	    (uid == 0 && gid == 0))
		return 0;
	for (size_t i = 0; i < ra->new_volumes.n; i++) {
		err = volume_format(ra->new_volumes.v[i], uid, gid);
		if (err)
			return err;
	}
	return 0;
}

/* Docker's rule: a source without '/' not starting with '.' is a name. */
static int is_volume_name(const char *host)
{
	return host[0] != '.' && !strchr(host, '/');
}

int run_volume_add(struct run_args *ra, const char *spec)
{
	char host[4096], guest[4096], dir[256], head[64];
	struct kbuf fsdev = { 0 };
	struct stat st;
	size_t n = ra->volumes.n;
	int ro = 0, err;

	if (n >= RUN_MAX_VOLUMES)
		return kiln_usage_error("run", "too many -v (8 at most)", spec);
	err = parse(spec, host, guest, &ro);
	if (err)
		return err;
	if (is_volume_name(host))
		return add_named(ra, host, guest, ro, spec);
	clean(guest, dir, sizeof(dir));
	for (size_t i = 0; i < n; i++)
		if (overlaps(ra->volume_dirs[i], dir))
			return kiln_usage_error(
				"run",
				strcmp(ra->volume_dirs[i], dir) ?
					"-v: GUESTDIR inside another volume's" :
					"-v: GUESTDIR given twice",
				spec);
	for (size_t i = 0; i < ra->ndisk_dirs; i++)
		if (overlaps(ra->disk_dirs[i], dir))
			return kiln_usage_error(
				"run",
				strcmp(ra->disk_dirs[i], dir) ?
					"-v: GUESTDIR inside a --disk's" :
					"-v: GUESTDIR is also a --disk's",
				spec);
	if (stat(host, &st) < 0) {
		kiln_err("%s: %s", host, strerror(errno));
		return KILN_EXIT_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		kiln_err("%s: not a directory", host);
		return KILN_EXIT_FAIL;
	}
	snprintf(head, sizeof(head),
		 "local,id=fs%zu,security_model=none%s,path=", n,
		 ro ? ",readonly=on" : "");
	kbuf_append(&fsdev, head, strlen(head));
	put_escaped(&fsdev, host);
	kbuf_append(&fsdev, "", 1);
	strvec_push(&ra->volumes, (const char *)fsdev.data);
	kbuf_free(&fsdev);
	memcpy(ra->volume_dirs[n], dir, strlen(dir) + 1);
	n = strlen(ra->volume_mounts);
	snprintf(ra->volume_mounts + n, sizeof(ra->volume_mounts) - n,
		 "%skiln%zu:%s%s", n ? "," : "kiln.9p=", ra->volumes.n - 1, dir,
		 ro ? ":ro" : "");
	ra->vm.volumes = (const char *const *)ra->volumes.v;
	ra->vm.nvolumes = (int)ra->volumes.n;
	ra->vm.volume_cmdline = ra->volume_mounts;
	return 0;
}

int run_disk_dir_add(struct run_args *ra, const char *dir, const char *spec)
{
	char clean_dir[256];

	clean(dir, clean_dir, sizeof(clean_dir));
	for (size_t i = 0; i < ra->ndisk_dirs; i++)
		if (overlaps(ra->disk_dirs[i], clean_dir))
			return kiln_usage_error(
				"run",
				strcmp(ra->disk_dirs[i], clean_dir) ?
					"--disk: GUESTDIR inside another disk's" :
					"--disk: GUESTDIR given twice",
				spec);
	for (size_t i = 0; i < ra->volumes.n; i++)
		if (overlaps(ra->volume_dirs[i], clean_dir))
			return kiln_usage_error(
				"run",
				strcmp(ra->volume_dirs[i], clean_dir) ?
					"--disk: GUESTDIR inside a volume's" :
					"--disk: GUESTDIR is also a volume's",
				spec);
	memcpy(ra->disk_dirs[ra->ndisk_dirs++], clean_dir,
	       strlen(clean_dir) + 1);
	return 0;
}
