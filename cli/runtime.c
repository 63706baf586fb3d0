/* runtime.c - `kiln oci` (also run as kiln-runtime): runc's command line for containerd's io.containerd.runc.v2 shim. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kiln/version.h>

#include "runtime.h"

static const char oci_usage[] =
	"usage: kiln oci [--root DIR] [--log FILE] [--log-format text|json]\n"
	"                COMMAND [OPTIONS] ID\n"
	"\n"
	"A runc-compatible OCI runtime: containerd's runc shim runs it (as\n"
	"kiln-runtime, or kiln with the first word oci) to make each container\n"
	"a Kiln VM. See docs/containers.md.\n"
	"\n"
	"commands:\n"
	"  create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID\n"
	"         build the VM's image from the bundle; its monitor waits for start\n"
	"  start ID           boot it\n"
	"  state ID           runc's state JSON: created, running or stopped\n"
	"  kill [--all] ID [SIGNAL]\n"
	"                     TERM (default), HUP, INT, QUIT to the app; KILL ends the VM\n"
	"  delete [--force] ID\n"
	"  ps [--format json|table] ID\n"
	"  features           what this runtime supports, as JSON\n";

/* ---- messages: stderr, and runc's --log records ---- */

static void rt_log(const struct rt *rt, const char *level, const char *msg)
{
	char when[64];
	struct timespec ts;
	struct tm tm;
	FILE *f;

	if (!rt->log || !(f = fopen(rt->log, "a")))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (rt->log_json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "level",
				       json_object_new_string(level));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(when));
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(
				o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", when, level,
			msg);
	}
	fclose(f);
}

int rt_err(const struct rt *rt, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kiln_err("%s", msg);
	rt_log(rt, "error", msg);
	return KILN_EXIT_FAIL;
}

void rt_note(const struct rt *rt, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_log(rt, "warning", msg);
}

/* ---- the state directory ---- */

int rt_write(const struct rt *rt, const char *file, const char *s)
{
	char path[4600];

	snprintf(path, sizeof(path), "%s/%s", rt->dir, file);
	return kiln_write_atomic(path, s, strlen(s));
}

void rt_read(const struct rt *rt, const char *file, char *buf, size_t n)
{
	kiln_read_line(rt->dir, file, buf, n);
}

unsigned long long rt_starttime(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	char state;
	size_t got;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	/* "PID (COMM) S ..." where COMM may hold anything: after the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u"
			 " %*d %*d %*d %*d %*d %*d %llu",
			 &state, &start) != 2)
		return 0;
	/* An exited monitor the shim has not reaped yet is stopped. */
	return state == 'Z' || state == 'X' ? 0 : start;
}

/* runc's own rule for ids: letters, digits and _ + - . (no /, no ..). */
int rt_id_ok(const char *id)
{
	return id[0] && strlen(id) <= 1024 && strcmp(id, ".") &&
	       strcmp(id, "..") &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789_+-.") == strlen(id);
}

/* mkdir -p for --root (0700 for what it makes). */
static int make_root(const struct rt *rt)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", rt->root);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return rt_err(rt, "%s: %s", path, strerror(errno));
		*p = c;
		if (!c)
			return 0;
	}
}

/* The monitor's pid when it is alive (and is the process create made). */
int rt_monitor_alive(const struct rt *rt)
{
	char buf[64], start[64];
	int pid;

	rt_read(rt, "pid", buf, sizeof(buf));
	rt_read(rt, "starttime", start, sizeof(start));
	pid = atoi(buf);
	/* 0: create never saw it alive (or it is gone): never a match */
	if (pid <= 0 || !strtoull(start, NULL, 10) ||
	    rt_starttime(pid) != strtoull(start, NULL, 10))
		return 0;
	return pid;
}

/* "created" (waiting for start), "running" or "stopped"; *pid if alive. */
const char *rt_status(const struct rt *rt, int *pid)
{
	char fifo[4600];

	*pid = rt_monitor_alive(rt);
	if (!*pid)
		return "stopped";
	snprintf(fifo, sizeof(fifo), "%s/start.fifo", rt->dir);
	return access(fifo, F_OK) == 0 ? "created" : "running";
}

/* The container named on the command line must exist. */
int rt_existing(struct rt *rt, const char *id)
{
	struct stat st;

	if (!id)
		return rt_err(rt, "missing container ID");
	if (!rt_id_ok(id))
		return rt_err(rt, "%s: bad container id", id);
	rt->id = id;
	snprintf(rt->dir, sizeof(rt->dir), "%s/%s", rt->root, id);
	if (stat(rt->dir, &st) < 0)
		return rt_err(rt, "container %s does not exist", id);
	return 0;
}

/* The pids whose parent is pid (/proc/PID/task/PID/children) into out. */
/* ---- the command line ---- */

/*
 * Option NAME at argv[*i] ("--name VALUE" or "--name=VALUE"): 1 with
 * *val set (advancing *i past a separate value), else 0.
 */
static int opt_value(int argc, char **argv, int *i, const char *name,
		     const char **val)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len))
		return 0;
	if (argv[*i][len] == '=') {
		*val = argv[*i] + len + 1;
		return 1;
	}
	if (argv[*i][len] || *i + 1 >= argc)
		return 0;
	*val = argv[++*i];
	return 1;
}

/* The options of one command and its words (ID, SIGNAL). */
struct rt_cmd {
	const char *bundle, *pid_file, *console, *format;
	const char *words[2];
	int nwords, all, force;
};

static int parse_cmd(struct rt *rt, int argc, char **argv, int first,
		     struct rt_cmd *c)
{
	static const char *const ignored_flags[] = { "--no-pivot",
						     "--no-new-keyring",
						     "--detach", "-d",
						     "--no-subreaper" };

	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *v;
		int known = 0;

		if (a[0] != '-' || !a[1]) {
			if (c->nwords == 2)
				return rt_err(rt, "%s: too many arguments", a);
			c->words[c->nwords++] = a;
			continue;
		}
		if (opt_value(argc, argv, &i, "--bundle", &c->bundle) ||
		    opt_value(argc, argv, &i, "-b", &c->bundle) ||
		    opt_value(argc, argv, &i, "--pid-file", &c->pid_file) ||
		    opt_value(argc, argv, &i, "--console-socket",
			      &c->console) ||
		    opt_value(argc, argv, &i, "--format", &c->format) ||
		    opt_value(argc, argv, &i, "--preserve-fds", &v))
			continue;
		if (!strcmp(a, "--all") || !strcmp(a, "-a"))
			c->all = known = 1;
		if (!strcmp(a, "--force") || !strcmp(a, "-f"))
			c->force = known = 1;
		for (size_t k = 0; k < sizeof(ignored_flags) / sizeof(char *);
		     k++)
			known |= !strcmp(a, ignored_flags[k]);
		if (!known)
			return rt_err(rt, "%s: unknown option", a);
	}
	return 0;
}

/*
 * The commands Kiln has. Any other is refused before its options are
 * read: the shim's `exec --process FILE --detach ...` gets "exec: not
 * supported", not a complaint about an option it was right to pass.
 */
static int rt_supported(const char *cmd)
{
	static const char *const cmds[] = { "features", "create", "start",
					    "state",	"kill",	  "delete",
					    "ps" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i]))
			return 1;
	return 0;
}

static int run_command(struct rt *rt, const char *cmd, struct rt_cmd *c)
{
	const char *id = c->nwords ? c->words[0] : NULL;

	if (!strcmp(cmd, "features"))
		return rt_features();
	if (!strcmp(cmd, "create")) {
		int err;

		if (!id || !rt_id_ok(id))
			return rt_err(rt, "%s: bad container id",
				      id ? id : "(none)");
		rt->id = id;
		snprintf(rt->dir, sizeof(rt->dir), "%s/%s", rt->root, id);
		err = make_root(rt);
		return err ? err :
			     rt_create(rt, c->bundle ? c->bundle : ".",
				       c->pid_file, c->console);
	}
	if (!strcmp(cmd, "start"))
		return rt_start(rt, id);
	if (!strcmp(cmd, "state"))
		return rt_state(rt, id);
	if (!strcmp(cmd, "kill"))
		return rt_kill(rt, id, c->nwords > 1 ? c->words[1] : NULL);
	if (!strcmp(cmd, "delete"))
		return rt_delete(rt, id, c->force);
	if (!strcmp(cmd, "ps"))
		return rt_ps(rt, id, c->format ? c->format : "table");
	return rt_err(rt,
		      "%s: not supported by Kiln (create, start, state, kill, "
		      "delete, ps and features are)",
		      cmd);
}

/* The default --root: /run/kiln-oci for root, else the user's own. */
static void default_root(struct rt *rt)
{
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (getuid() == 0)
		snprintf(rt->root, sizeof(rt->root), "/run/kiln-oci");
	else if (x && x[0] == '/')
		snprintf(rt->root, sizeof(rt->root), "%s/kiln-oci", x);
	else
		snprintf(rt->root, sizeof(rt->root), "/tmp/kiln-oci-%u",
			 (unsigned)getuid());
}

int cmd_oci(int argc, char **argv)
{
	struct rt rt = { 0 };
	struct rt_cmd c = { 0 };
	const char *v;
	int i = 1;

	default_root(&rt);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(oci_usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--version")) {
			printf("kiln-runtime version %s\nspec: %s\n",
			       KILN_VERSION, RT_OCI_VERSION);
			return 0;
		}
		if (opt_value(argc, argv, &i, "--root", &v)) {
			if (v[0] != '/' || strlen(v) > 2048)
				return rt_err(&rt, "--root %s: not absolute",
					      v);
			snprintf(rt.root, sizeof(rt.root), "%s", v);
		} else if (opt_value(argc, argv, &i, "--log", &v)) {
			rt.log = v;
		} else if (opt_value(argc, argv, &i, "--log-format", &v)) {
			rt.log_json = !strcmp(v, "json");
		} else if (opt_value(argc, argv, &i, "--criu", &v) ||
			   opt_value(argc, argv, &i, "--rootless", &v)) {
			continue;
		} else if (strcmp(argv[i], "--systemd-cgroup") &&
			   strcmp(argv[i], "--debug")) {
			return kiln_usage_error("oci", "unknown option",
						argv[i]);
		}
	}
	if (i >= argc)
		return kiln_usage_error("oci", "missing COMMAND", NULL);
	if (!rt_supported(argv[i]))
		return run_command(&rt, argv[i], &c);
	if (parse_cmd(&rt, argc, argv, i + 1, &c))
		return KILN_EXIT_FAIL;
	return run_command(&rt, argv[i], &c);
}
