/* runtime_create.c - `kiln oci create`: an OCI bundle (config.json + rootfs) into a Kiln image, and the monitor that boots it at start. */
#define _GNU_SOURCE /* close_range */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"
#include "run.h"
#include "runtime.h"

static void spec_free(struct rt_spec *s)
{
	strvec_free(&s->args);
	strvec_free(&s->env);
	free(s->cwd);
	free(s->root);
}

/* ---- config.json (untrusted: every field checked before use) ---- */

static struct json_object *member(struct json_object *o, const char *key,
				  enum json_type type)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* Say in the log which parts of the spec a VM does not honour. */
static void note_ignored(const struct rt *rt, struct json_object *root)
{
	static const char *const top[] = { "mounts", "hooks", "hostname" };
	static const char *const linux_keys[] = {
		"namespaces",	 "cgroupsPath", "seccomp", "maskedPaths",
		"readonlyPaths", "devices",	"sysctl",  "uidMappings"
	};
	struct json_object *lx = member(root, "linux", json_type_object), *v;
	struct json_object *proc = member(root, "process", json_type_object);
	char list[1024] = "";

	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (json_object_object_get_ex(root, top[i], &v))
			snprintf(list + strlen(list),
				 sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", top[i]);
	for (size_t i = 0; i < sizeof(linux_keys) / sizeof(char *); i++)
		if (lx && json_object_object_get_ex(lx, linux_keys[i], &v))
			snprintf(list + strlen(list),
				 sizeof(list) - strlen(list), "%slinux.%s",
				 list[0] ? ", " : "", linux_keys[i]);
	if (proc && (json_object_object_get_ex(proc, "capabilities", &v) ||
		     json_object_object_get_ex(proc, "rlimits", &v)))
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%sprocess.capabilities/rlimits", list[0] ? ", " : "");
	if (list[0])
		rt_note(rt,
			"kiln: %s: ignored (the VM is the isolation; only the "
			"memory limit of linux.resources is used)",
			list);
}

/* process.user's numeric ids (names are not looked up, as runc). */
static int user_ids(struct json_object *proc, struct rt_spec *s)
{
	struct json_object *u = member(proc, "user", json_type_object);
	struct json_object *uid = member(u, "uid", json_type_int);
	struct json_object *gid = member(u, "gid", json_type_int);

	s->uid = uid ? json_object_get_int64(uid) : 0;
	s->gid = gid ? json_object_get_int64(gid) : 0;
	return s->uid < 0 || s->uid >= UINT32_MAX || s->gid < 0 ||
			       s->gid >= UINT32_MAX ?
		       -EINVAL :
		       0;
}

static int parse_spec(const struct rt *rt, const char *bundle,
		      const uint8_t *data, size_t size, struct rt_spec *s)
{
	struct json_object *root = oci_json_parse(data, size);
	struct json_object *proc = member(root, "process", json_type_object);
	struct json_object *rootobj = member(root, "root", json_type_object);
	struct json_object *path = member(rootobj, "path", json_type_string);
	struct json_object *cwd = member(proc, "cwd", json_type_string);
	struct json_object *tty = member(proc, "terminal", json_type_boolean);
	struct json_object *ro = member(rootobj, "readonly", json_type_boolean);
	struct json_object *res = member(
		member(root, "linux", json_type_object), "resources",
		json_type_object);
	struct json_object *lim = member(
		member(res, "memory", json_type_object), "limit",
		json_type_int);
	int err = 0;

	if (!root || !proc || !path || !cwd)
		err = rt_err(rt,
			     "%s/config.json: malformed (process, process.cwd "
			     "and root.path are needed)",
			     bundle);
	else if (oci_json_strings(member(proc, "args", json_type_array),
				  &s->args) ||
		 !s->args.n || !s->args.v[0][0])
		err = rt_err(rt,
			     "%s/config.json: process.args: want strings, "
			     "at least one",
			     bundle);
	else if (oci_json_strings(member(proc, "env", json_type_array),
				  &s->env))
		err = rt_err(rt, "%s/config.json: process.env: want strings",
			     bundle);
	else if (!oci_json_cstr(cwd) || !oci_json_cstr(path) ||
		 json_object_get_string(cwd)[0] != '/' ||
		 json_object_get_string_len(cwd) > 1024 ||
		 json_object_get_string_len(path) > 2048)
		err = rt_err(rt,
			     "%s/config.json: process.cwd not absolute, or "
			     "it or root.path too long or holding a NUL",
			     bundle);
	else if (user_ids(proc, s))
		err = rt_err(rt, "%s/config.json: bad process.user", bundle);
	if (!err) {
		const char *p = json_object_get_string(path);
		char full[4200];

		if (p[0] == '/')
			snprintf(full, sizeof(full), "%s", p);
		else
			snprintf(full, sizeof(full), "%s/%s", bundle, p);
		s->root = kiln_xstrdup(full);
		s->cwd = kiln_xstrdup(json_object_get_string(cwd));
		s->terminal = tty && json_object_get_boolean(tty);
		s->mem = lim ? json_object_get_int64(lim) : 0;
		s->readonly = ro && json_object_get_boolean(ro);
		note_ignored(rt, root);
	}
	json_object_put(root);
	return err;
}

/* ---- the monitor: the process the shim waits on ---- */

/*
 * Boot the image as a foreground `kiln run` would, with no stop timeout
 * (containerd sends its own SIGKILL); returns kiln's exit status, the
 * container's.
 */
static int boot(const char *image, int tty, int stream, int64_t mem,
		int readonly)
{
	static char mem_arg[32];
	struct run_args ra = { 0 };
	struct kiln_image img = { 0 };
	struct kiln_config cfg = { 0 };
	const char *why;
	struct stat st;
	int ret, err;

	ra.target = image;
	ra.mem_bytes = 128ULL << 20;
	ra.vm = (struct vm_opts){ .mem = "128M",
				  .accel = "auto",
				  .machine = "microvm",
				  .tty_stdin = tty,
				  .stream_stdin = stream,
				  .read_only = readonly,
				  .stop_timeout = -1 };
	if (mem >= (16LL << 20)) {
		snprintf(mem_arg, sizeof(mem_arg), "%lldM",
			 (long long)(mem >> 20));
		ra.vm.mem = mem_arg;
		ra.mem_bytes = (uint64_t)(mem >> 20) << 20;
		ra.mem_given = 1;
	}
	vm_catch_signals();
	/* run_prepare boots a file as it is and gives QEMU its root disk */
	if (stat(image, &st) == 0 && S_ISREG(st.st_mode)) {
		ra.target_is_file = 1;
		ra.target_dev = st.st_dev;
		ra.target_ino = st.st_ino;
	}
	err = image_open(image, &img, &why);
	if (err)
		return image_report(image, err, why);
	ret = config_parse(image, img.config, img.config_size, &cfg);
	if (!ret)
		ret = run_prepare(&ra, &img, &cfg, 0);
	if (!ret)
		ret = run_boot(&ra, &img, &cfg);
	run_tmp_close(&ra);
	config_free(&cfg);
	image_close(&img);
	return ret;
}

/*
 * Without a terminal, a pipe (or FIFO, socket) the shim gave as stdin is
 * streamed to the app as it runs, as kiln run does (docs/fs.md): ctr may
 * keep it open for ever, and the VM boots all the same. Anything else
 * (a file, nothing) becomes /dev/null: the app reads EOF. 1 when
 * stdin streams.
 */
static int stdin_stream_or_null(void)
{
	struct stat st;
	int fd;

	if (fstat(0, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return 1;
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	return 0;
}

/*
 * The monitor: stdio as the shim gave them (or the terminal), blocked
 * on start.fifo until `start`, then the VM. Never returns.
 */
static void monitor(const struct rt *rt, int slave, int64_t mem, int readonly)
{
	char fifo[4600], image[4600];
	int fd, stream = 0;

	if (slave >= 0) {
		setsid();
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		ioctl(0, TIOCSCTTY, 0);
	}
	close_range(3, ~0U, 0); /* nothing of the shim's but stdio */
	if (slave < 0)
		stream = stdin_stream_or_null();
	snprintf(fifo, sizeof(fifo), "%s/start.fifo", rt->dir);
	snprintf(image, sizeof(image), "%s/image", rt->dir);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		_exit(KILN_EXIT_VMFAIL);
	close(fd);
	/* run's temporary image goes with the container's state */
	setenv("TMPDIR", rt->dir, 1);
	fd = boot(image, slave >= 0, stream, mem, readonly);
	kiln_tmp_cleanup();
	fflush(stdout);
	_exit(fd);
}

/*
 * --console-socket: a new pty; its master goes to the socket (SCM_RIGHTS,
 * as runc sends it), the slave is returned for the container.
 */
static int send_console(const struct rt *rt, const char *sock, int *slave)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[128], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int master, fd, err = 0;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return rt_err(rt, "%s: console socket path too long", sock);
	strcpy(sa.sun_path, sock);
	if (openpty(&master, slave, name, NULL, NULL) < 0)
		return rt_err(rt, "openpty: %s", strerror(errno));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = rt_err(rt, "%s: %s", sock, strerror(errno));
		goto out;
	}
	iov = (struct iovec){ .iov_base = name, .iov_len = strlen(name) };
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(fd, &msg, 0) < 0)
		err = rt_err(rt, "%s: %s", sock, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	close(master);
	if (err)
		close(*slave);
	return err;
}

/* The state files, the fifo the monitor waits on, and the image. */
static int prepare(struct rt *rt, const char *bundle, const struct rt_spec *s,
		   int *made)
{
	char buf[4400], when[64], fifo[4600];
	struct timespec ts;
	struct tm tm;
	int err;

	if (mkdir(rt->dir, 0700) < 0)
		return errno == EEXIST ?
			       rt_err(rt, "container with id exists: %s",
				      rt->id) :
			       rt_err(rt, "%s: %s", rt->dir, strerror(errno));
	*made = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, sizeof(buf), "%s.%09ldZ\n", when, ts.tv_nsec);
	err = rt_write(rt, "created", buf);
	snprintf(buf, sizeof(buf), "%s\n", bundle);
	err = err ? err : rt_write(rt, "bundle", buf);
	snprintf(buf, sizeof(buf), "%s\n", s->root);
	err = err ? err : rt_write(rt, "rootfs", buf);
	snprintf(fifo, sizeof(fifo), "%s/start.fifo", rt->dir);
	if (!err && mkfifo(fifo, 0600) < 0)
		err = -errno;
	if (err)
		return rt_err(rt, "%s: %s", rt->dir, strerror(-err));
	return rt_make_image(rt, s);
}

/* Record the monitor (pid, start time) and write --pid-file. */
static int record(const struct rt *rt, int pid, const char *pid_file)
{
	char buf[64];
	int err;

	snprintf(buf, sizeof(buf), "%d\n", pid);
	err = rt_write(rt, "pid", buf);
	if (!err && pid_file) {
		snprintf(buf, sizeof(buf), "%d", pid); /* runc writes no \n */
		err = kiln_write_atomic(pid_file, buf, strlen(buf));
	}
	snprintf(buf, sizeof(buf), "%llu\n", rt_starttime(pid));
	if (!err)
		err = rt_write(rt, "starttime", buf);
	return err ? rt_err(rt, "%s: %s", pid_file ? pid_file : rt->dir,
			    strerror(-err)) :
		     0;
}

int rt_create(struct rt *rt, const char *bundle, const char *pid_file,
	      const char *console)
{
	struct rt_spec s = { 0 };
	char path[4200], abs_bundle[4096];
	uint8_t *data;
	size_t size;
	int err, slave = -1, pid, made = 0;

	if (!realpath(bundle, abs_bundle))
		return rt_err(rt, "bundle %s: %s", bundle, strerror(errno));
	snprintf(path, sizeof(path), "%s/config.json", abs_bundle);
	err = kiln_read_file(path, &data, &size);
	if (err)
		return rt_err(rt, "%s: %s", path, strerror(-err));
	err = parse_spec(rt, abs_bundle, data, size, &s);
	free(data);
	if (!err && s.terminal && !console)
		err = rt_err(rt, "process.terminal needs --console-socket");
	if (!err)
		err = prepare(rt, abs_bundle, &s, &made);
	if (!err && s.terminal)
		err = send_console(rt, console, &slave);
	if (!err) {
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid == 0)
			monitor(rt, slave, s.mem, s.readonly);
		if (pid < 0)
			err = rt_err(rt, "fork: %s", strerror(errno));
		else
			err = record(rt, pid, pid_file);
		if (err && pid > 0)
			kill(pid, SIGKILL);
	}
	if (slave >= 0)
		close(slave);
	if (err && made)
		rt_remove_dir(rt); /* no half-made container is left */
	spec_free(&s);
	return err;
}
