/* volume_cmd.c - `kiln volume create|ls|rm|inspect`: named volumes as docker's `volume` commands show them. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"
#include "kiln.h"
#include "volume.h"

static const char volume_usage[] =
	"usage: kiln volume COMMAND\n"
	"\n"
	"Named volumes: ext4 disk images kept in $XDG_DATA_HOME/kiln/volumes\n"
	"(else ~/.local/share/kiln/volumes), mounted with kiln run -v "
	"NAME:/DIR.\n"
	"\n"
	"commands:\n"
	"  create NAME [--size SIZE]  make one (default 1G, sparse; K, M, G, "
	"T)\n"
	"  ls                         list them: name, size, instances using "
	"them\n"
	"  rm [-f] NAME...            remove (never one in use; -f: a missing\n"
	"                             one is not an error)\n"
	"  inspect NAME...            details as JSON\n";

/* A name from the command line: 0, or the usage status after a line. */
static int check_name(const char *cmd, const char *name)
{
	if (volume_name_ok(name))
		return 0;
	return kiln_usage_error(cmd,
				"bad volume name (it must match "
				"[a-zA-Z0-9][a-zA-Z0-9_.-]*)",
				name);
}

/* The image of an existing volume; 0, or the status after a line. */
static int existing(const char *name, char *path, size_t n)
{
	int err = volume_path(name, path, n);

	if (err == -ENOENT) {
		kiln_err("%s: no such volume", name);
		return KILN_EXIT_FAIL;
	}
	return err;
}

static int volume_cmd_create(int argc, char **argv)
{
	const char *name = NULL, *size_arg = NULL;
	uint64_t size = VOLUME_DEFAULT_SIZE;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size_arg = argv[++i];
		else if (!strncmp(argv[i], "--size=", 7))
			size_arg = argv[i] + 7;
		else if (argv[i][0] == '-' || name)
			return kiln_usage_error("volume create",
						argv[i][0] == '-' ?
							"unknown option" :
							"one NAME only, not",
						argv[i]);
		else
			name = argv[i];
	}
	if (!name)
		return kiln_usage_error("volume create", "missing NAME", NULL);
	err = check_name("volume create", name);
	if (err)
		return err;
	if (size_arg && (volume_parse_size(size_arg, &size) < 0 ||
			 size < VOLUME_MIN_SIZE || size > VOLUME_MAX_SIZE))
		return kiln_usage_error("volume create",
					"bad --size (8M to 16T)", size_arg);
	err = volume_create(name, size, 0, 0);
	if (!err)
		printf("%s\n", name);
	return err;
}

/* "1G", "512M", or bytes: the size as --size would take it. */
static void show_size(char *out, size_t n, uint64_t b)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && b >= 1024 && b % 1024 == 0) {
		b /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, n, "%llu", (unsigned long long)b);
	else
		snprintf(out, n, "%llu%c", (unsigned long long)b, units[u]);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The volumes' names, sorted; 0 or the status after a line. */
static int list_names(struct strvec *names)
{
	char root[4096];
	struct dirent *e;
	DIR *d;
	int err = volume_root(root, sizeof(root));

	if (err)
		return err;
	d = opendir(root);
	if (!d)
		return kiln_file_error(root, -errno);
	while ((e = readdir(d)) != NULL)
		if (volume_name_ok(e->d_name))
			strvec_push(names, e->d_name);
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof(names->v[0]), by_name);
	return 0;
}

static int volume_cmd_ls(int argc, char **argv)
{
	struct strvec names = { 0 };
	char path[4200], size[32], users[1024];
	struct stat st;
	int err;

	if (argc > 1)
		return kiln_usage_error("volume ls", "unexpected argument",
					argv[1]);
	err = list_names(&names);
	if (err)
		return err;
	printf("%-24s %-8s %s\n", "NAME", "SIZE", "USED BY");
	for (size_t i = 0; i < names.n; i++) {
		/* A directory without its image is not a volume. */
		if (volume_path(names.v[i], path, sizeof(path)) != 0 ||
		    stat(path, &st) < 0)
			continue;
		show_size(size, sizeof(size), (uint64_t)st.st_size);
		instance_users(names.v[i], users, sizeof(users));
		if (!users[0] && volume_locked(path, 1))
			snprintf(users, sizeof(users), "(a running VM)");
		printf("%-24s %-8s %s\n", names.v[i], size, users);
	}
	strvec_free(&names);
	return 0;
}

/* Remove one volume: its two files, then its directory. */
static int remove_volume(const char *name, const char *path)
{
	char dir[4200], created[4300];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	snprintf(created, sizeof(created), "%s/created", dir);
	if (unlink(path) < 0)
		return kiln_file_error(path, -errno);
	unlink(created);
	if (rmdir(dir) < 0)
		return kiln_file_error(dir, -errno);
	printf("%s\n", name);
	return 0;
}

static int volume_cmd_rm(int argc, char **argv)
{
	char path[4200], users[1024];
	int force = 0, ret = 0, any = 0, err;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
			force = 1;
		else if (argv[i][0] == '-')
			return kiln_usage_error("volume rm", "unknown option",
						argv[i]);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		err = check_name("volume rm", argv[i]);
		if (err)
			return err;
		err = volume_path(argv[i], path, sizeof(path));
		if (err == -ENOENT && force)
			continue;
		if (err == -ENOENT)
			kiln_err("%s: no such volume", argv[i]);
		if (err) {
			ret = err < 0 ? KILN_EXIT_FAIL : err;
			continue;
		}
		/* Docker's rule, -f or not: a volume in use stays. */
		if (instance_users(argv[i], users, sizeof(users)) ||
		    volume_locked(path, 1)) {
			kiln_err("%s: the volume is in use%s%s", argv[i],
				 users[0] ? " by " : " by a running VM", users);
			ret = KILN_EXIT_FAIL;
			continue;
		}
		err = remove_volume(argv[i], path);
		if (err)
			ret = err;
	}
	if (!any)
		return kiln_usage_error("volume rm", "missing NAME", NULL);
	return ret;
}

/* s as a JSON string (quotes, backslashes and controls escaped). */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* One volume's object in `kiln volume inspect`'s array. */
static void inspect_one(const char *name, const char *path, int last)
{
	char created[64] = "", dir[4200], stamp[32] = "";
	struct stat st;
	struct tm tm;
	time_t t = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	strcat(dir, "/created");
	f = fopen(dir, "r");
	if (f && fgets(stamp, sizeof(stamp), f))
		t = (time_t)strtoll(stamp, NULL, 10);
	if (f)
		fclose(f);
	if (stat(path, &st) < 0)
		st.st_size = 0;
	if (!t)
		t = st.st_mtime;
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("    {\n        \"CreatedAt\": \"%s\",\n", created);
	printf("        \"Driver\": \"local\",\n        \"Mountpoint\": ");
	json_string(path);
	printf(",\n        \"Name\": ");
	json_string(name);
	printf(",\n        \"Scope\": \"local\",\n");
	printf("        \"Size\": %llu\n    }%s\n",
	       (unsigned long long)st.st_size, last ? "" : ",");
}

static int volume_cmd_inspect(int argc, char **argv)
{
	char path[4200];
	struct strvec found = { 0 }, paths = { 0 };
	int ret = 0, err;

	if (argc < 2)
		return kiln_usage_error("volume inspect", "missing NAME", NULL);
	for (int i = 1; i < argc; i++) {
		err = check_name("volume inspect", argv[i]);
		if (!err)
			err = existing(argv[i], path, sizeof(path));
		if (err == KILN_EXIT_USAGE)
			return err;
		if (err) {
			ret = err;
			continue;
		}
		strvec_push(&found, argv[i]);
		strvec_push(&paths, path);
	}
	/* Docker prints what it found, and fails for what it did not. */
	printf(found.n ? "[\n" : "[");
	for (size_t i = 0; i < found.n; i++)
		inspect_one(found.v[i], paths.v[i], i + 1 == found.n);
	printf("]\n");
	strvec_free(&found);
	strvec_free(&paths);
	return ret;
}

int cmd_volume(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} subs[] = {
		{ "create", volume_cmd_create },
		{ "ls", volume_cmd_ls },
		{ "list", volume_cmd_ls },
		{ "rm", volume_cmd_rm },
		{ "remove", volume_cmd_rm },
		{ "inspect", volume_cmd_inspect },
	};
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return kiln_usage_error("volume", "missing COMMAND", NULL);
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(volume_usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(sub, subs[i].name)) {
			if (argc > 2 && (!strcmp(argv[2], "-h") ||
					 !strcmp(argv[2], "--help"))) {
				fputs(volume_usage, stdout);
				return 0;
			}
			return subs[i].fn(argc - 1, argv + 1);
		}
	return kiln_usage_error("volume", "unknown command", sub);
}
