/* start.c - start the application from the image's bundle: config, root fs, exec. */
#include "linux/start.h"

#include <asm-generic/errno.h>
#include <asm-generic/siginfo.h>

#include <kiln/exit.h>

#include "arch.h"
#include "core/heap.h"
#include "core/panic.h"
#include "core/printk.h"
#include "core/sched.h"
#include "drivers/console.h"
#include "fs/9pfs.h"
#include "drivers/sigport.h"
#include "fs/blkdev.h"
#include "fs/mount.h"
#include "linux/procfs_pid.h"
#include "fs/vfs.h"
#include "lib/bundle.h"
#include "lib/cmdline.h"
#include "lib/string.h"
#include "linux/exec.h"
#include "linux/ipc.h"
#include "linux/jobctl.h"
#include "linux/mm.h"
#include "linux/signals.h"
#include "linux/syscall.h"
#include "linux/sysproc.h"
#include "net/net_boot.h"

/* What the CONFIG section says; strings are kmalloc'ed, NUL-terminated. */
struct boot_config {
	char *program, *workdir, *net;
	char **argv, **envp, **volumes;
	size_t argc, envc, nvolumes;
	int has_user; /* KILN_CFG_USER: start as uid:gid rather than root */
	uint32_t uid, gid;
};

/* A decimal id below (uint32_t)-1 from v[0..len); its end, or NULL. */
static const char *parse_id(const char *v, const char *end, uint32_t *id)
{
	uint64_t x = 0;
	const char *s = v;

	while (s < end && *s >= '0' && *s <= '9' && x < UINT32_MAX)
		x = x * 10 + (uint64_t)(*s++ - '0');
	if (s == v || x >= UINT32_MAX)
		return NULL;
	*id = (uint32_t)x;
	return s;
}

/* "UID:GID" (include/kiln/image.h, untrusted) into bc. */
static int parse_user(const char *v, uint32_t len, struct boot_config *bc)
{
	const char *end = v + len, *s = parse_id(v, end, &bc->uid);

	if (bc->has_user || !s || s == end || *s != ':' ||
	    parse_id(s + 1, end, &bc->gid) != end)
		return -EINVAL;
	bc->has_user = 1;
	return 0;
}

static char *dup_value(const char *v, uint32_t len)
{
	char *s = kmalloc((size_t)len + 1);

	if (s) {
		memcpy(s, v, len);
		s[len] = '\0';
	}
	return s;
}

/* Append to a NULL-terminated vector of at most max entries. */
static int vec_push(char ***vec, size_t *n, size_t max, char *s)
{
	char **nv;

	if (!s || *n >= max)
		return -E2BIG;
	nv = kmalloc((*n + 2) * sizeof(char *));
	if (!nv)
		return -ENOMEM;
	if (*n)
		memcpy(nv, *vec, *n * sizeof(char *));
	kfree(*vec);
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*vec = nv;
	return 0;
}

static int parse_config(const void *cfg, size_t size, struct boot_config *bc)
{
	size_t pos = 0;
	uint32_t type, len;
	const char *val;
	int r, err = 0;

	while (!err &&
	       (r = cfg_next(cfg, size, &pos, &type, &val, &len)) == 1) {
		if (type == KILN_CFG_PROGRAM && !bc->program)
			bc->program = dup_value(val, len);
		else if (type == KILN_CFG_WORKDIR && !bc->workdir)
			bc->workdir = dup_value(val, len);
		else if (type == KILN_CFG_NET && !bc->net)
			bc->net = dup_value(val, len);
		else if (type == KILN_CFG_ARG)
			err = vec_push(&bc->argv, &bc->argc, KILN_CFG_MAX_ARGS,
				       dup_value(val, len));
		else if (type == KILN_CFG_ENV)
			err = vec_push(&bc->envp, &bc->envc, KILN_CFG_MAX_ENVS,
				       dup_value(val, len));
		else if (type == KILN_CFG_USER)
			err = parse_user(val, len, bc);
		else if (type == KILN_CFG_VOLUME)
			err = vec_push(&bc->volumes, &bc->nvolumes, 64,
				       dup_value(val, len));
	}
	if (err || r < 0 || !bc->program || bc->program[0] != '/')
		return -EINVAL;
	return 0;
}

/*
 * The app could not be started: say why, exit like a shell would
 * (KILN_EXIT_NOTFOUND only for a program that is not there, else
 * KILN_EXIT_NOEXEC, whatever the error).
 */
static _Noreturn void start_failed_status(const char *what, const char *path,
					  int err, int status)
{
	printk("kiln: cannot start %s: %s (error %d)\n",
	       path ? path : "the program", what, -err);
	kernel_exit(status);
}

static _Noreturn void start_failed(const char *what, const char *path, int err)
{
	start_failed_status(what, path, err, KILN_EXIT_NOEXEC);
}

static void setup_process(struct proc *p, const void *bundle,
			  const struct kiln_rootdisk *rd)
{
	size_t cpio_size;
	const void *cpio = bundle_section(bundle, KILN_SECTION_ROOTFS,
					  &cpio_size);
	int err;

	p->pid = 1;
	p->umask = 022;
	p->trace = cmdline_has(boot_info.cmdline, boot_info.cmdline_len,
			       "kiln.trace");
	sysproc_init(p);
	proc_set_mm(p, mm_create());
	if (!p->mm)
		start_failed("out of memory", NULL, -ENOMEM);
	err = vfs_init(cpio, cpio_size, rd ? rd->uuid : NULL);
	if (err && rd)
		start_failed("cannot mount the image's root disk", NULL, err);
	if (err)
		start_failed("bad root file system in the image", NULL, err);
	/* all three wait for the first look into /proc; sys comes first */
	err = ipc_procfs_init();
	if (err)
		start_failed("cannot make /proc/sys/kernel", NULL, err);
	err = procfs_pid_init();
	if (!err)
		err = procfs_pid_add(p->pid);
	if (err)
		start_failed("cannot make /proc/1", NULL, err);
	err = fs_proc_init(p);
	if (err)
		start_failed("cannot set up standard streams", NULL, err);
}

/* The console's ^C, ^\ and ^Z: signals the kernel sends (SI_KERNEL). */
static int tty_kill_pgrp(int pgid, int sig)
{
	return signal_send_pgrp(pgid, sig, SI_KERNEL);
}

static const struct console_tty_ops tty_ops = {
	.kill_pgrp = tty_kill_pgrp,
	.background = jobctl_tty_background,
};

/*
 * The boot is an execve of the configured program (a #! script too),
 * through the same checks and loader, into the empty first process.
 */
static int start_program(const struct boot_config *bc, uint64_t *entry,
			 uint64_t *sp)
{
	struct exec_bprm b = { 0 };
	int err = 0;

	b.filename = dup_value(bc->program, (uint32_t)strlen(bc->program));
	if (!b.filename)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < bc->argc; i++)
		err = exec_strings_push(&b.argv, bc->argv[i],
					strlen(bc->argv[i]));
	for (size_t i = 0; !err && i < bc->envc; i++)
		err = exec_strings_push(&b.envp, bc->envp[i],
					strlen(bc->envp[i]));
	if (!err)
		err = exec_open_path(&b.file, bc->program);
	if (!err)
		err = exec_prepare(&b);
	if (!err)
		err = exec_load_image(current, &b, entry, sp);
	if (!err)
		sysproc_exec_comm(current, b.filename);
	exec_bprm_free(&b);
	return err;
}

/*
 * A signal the host forwarded (kiln run, kiln stop/kill): to pid 1, as
 * `docker kill` sends it, from outside (SI_USER, pid 0: no sender the
 * app can see). Dropped while pid 1 is not live.
 */
static void host_kill(int sig)
{
	struct signal_info info = { .signo = sig, .code = SI_USER };
	struct proc *p = proc_find(1);

	if (p != NULL && p->state == PROC_LIVE)
		signal_send_info(p, NULL, &info);
}

_Noreturn void linux_start(const void *bundle)
{
	struct boot_config bc = { 0 };
	const struct kiln_rootdisk *rd;
	const void *cfg, *in;
	size_t cfg_size, in_size, rd_size;
	uint64_t entry, sp;
	const char *what;
	int err;

	cfg = bundle_section(bundle, KILN_SECTION_CONFIG, &cfg_size);
	if (!cfg || parse_config(cfg, cfg_size, &bc) < 0)
		start_failed("bad boot configuration in the image", NULL,
			     -EINVAL);
	rd = bundle_section(bundle, KILN_SECTION_ROOTDISK, &rd_size);
	if (rd && rd_size != sizeof(*rd))
		start_failed("bad root disk record in the image", NULL,
			     -EINVAL);
	in = bundle_section(bundle, KILN_SECTION_STDIN, &in_size);
	/* kiln run's stdin was empty: EOF, as an empty STDIN section gives */
	if (!in && cmdline_has(boot_info.cmdline, boot_info.cmdline_len,
			       "kiln.stdin_empty"))
		in = "";
	console_init(in, in_size,
		     cmdline_has(boot_info.cmdline, boot_info.cmdline_len,
				 "kiln.stdin_stream"));
	console_tty_init(&tty_ops);
	syscall_init();
	arch_user_init();
	sched_init(current);
	proc_traps_init();
	blkdev_init(rd != NULL); /* before the root: /dev lists the disks */
	setup_process(current, bundle, rd);
	/* kiln build --volume, an OCI image's Volumes: a line, not a failure */
	for (size_t i = 0; i < bc.nvolumes; i++)
		if ((err = p9fs_declare(bc.volumes[i])) < 0)
			printk("kiln: volume %s: cannot make it (errno %d)\n",
			       bc.volumes[i], -err);
	/* kiln run --disk FILE:GUESTDIR and -v HOSTDIR:GUESTDIR */
	err = mount_boot(&what);
	if (err)
		start_failed(what, NULL, err);
	net_boot(
		bc.net); /* failures are logged; the app runs without a network */
	/* kiln run --read-only: a root disk was mounted read-only already */
	if (rd == NULL &&
	    cmdline_has(boot_info.cmdline, boot_info.cmdline_len,
			"kiln.readonly") &&
	    (err = mount_root_readonly()) < 0)
		start_failed("cannot make the root read-only", NULL, err);
	if (bc.workdir && (err = fs_set_cwd(current, bc.workdir)) < 0)
		start_failed("bad working directory", bc.workdir, err);
	if (bc.has_user) {
		/* As docker run --user: every id, no supplementary groups. */
		struct cred *c = &current->cred;

		c->uid = c->euid = c->suid = bc.uid;
		c->gid = c->egid = c->sgid = bc.gid;
		c->ngroups = 0;
	}
	err = start_program(&bc, &entry, &sp);
	if (err == -ENOENT)
		start_failed_status("not found", bc.program, err,
				    KILN_EXIT_NOTFOUND);
	if (err == -ENOMEM) {
		/* The program may be fine: say it was the memory, and the cure. */
		printk("kiln: cannot start %s: out of memory (give the VM more "
		       "with --mem)\n",
		       bc.program);
		kernel_exit(KILN_EXIT_NOEXEC);
	}
	if (err)
		start_failed("not a runnable program", bc.program, err);
	current->start_ns = time_ns();
	sigport_start(host_kill); /* one sent during the boot is read now */
	arch_enter_user(entry, sp);
}
