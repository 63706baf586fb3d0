/* sys_exec.c - execve and execveat: arguments from the app, the checks, the point of no return, the new image. */
#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>
#include <linux/fcntl.h>

#include "arch.h"
#include "core/clock.h"
#include "core/heap.h"
#include "core/printk.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/exec.h"
#include "linux/mm.h"
#include "linux/proc.h"
#include "linux/procfs_pid.h"
#include "linux/signals.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"
#include "linux/sysproc.h"

/*
 * The app's argv or envp (uvec: a NULL-terminated array of string
 * pointers, or NULL for none) into s. Both levels are untrusted: every
 * pointer is copied with a fault-safe copy, each string is bounded by
 * MAX_ARG_STRLEN and the whole by the largest argument area Linux allows,
 * so a hostile vector costs at most that much memory (*total: what argv
 * and envp took so far, pointers counted). 0, -EFAULT, -E2BIG, -ENOMEM.
 */
static int strings_from_user(uintptr_t uvec, struct exec_strings *s, char *buf,
			     size_t *total)
{
	uint64_t uptr;
	long len;
	int err;

	for (size_t i = 0; uvec; i++) {
		if (copy_from_user(&uptr, uvec + i * 8, sizeof(uptr)))
			return -EFAULT;
		if (!uptr)
			return 0;
		len = strncpy_from_user(buf, uptr, EXEC_ARG_STRLEN);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return (int)len;
		*total += 8 + (size_t)len + 1;
		if (*total > EXEC_ARGS_MAX)
			return -E2BIG;
		err = exec_strings_push(s, buf, (size_t)len);
		if (err)
			return err;
	}
	return 0;
}

static int args_from_user(struct exec_bprm *b, uintptr_t uargv, uintptr_t uenvp)
{
	char *buf = kmalloc(EXEC_ARG_STRLEN);
	size_t total = 0;
	int err;

	if (!buf)
		return -ENOMEM;
	err = strings_from_user(uargv, &b->argv, buf, &total);
	if (!err)
		err = strings_from_user(uenvp, &b->envp, buf, &total);
	kfree(buf);
	/* Linux 5.18 and later: an empty argv gets "" as argv[0]. */
	if (!err && b->argv.n == 0)
		err = exec_strings_push(&b->argv, "", 0);
	return err;
}

/* A copy of text, or NULL. */
static char *dup_string(const char *text)
{
	size_t n = strlen(text) + 1;
	char *s = kmalloc(n);

	if (s)
		memcpy(s, text, n);
	return s;
}

/*
 * Linux's alloc_bprm: the name the program is given (AT_EXECFN, a
 * script's argument): the path when absolute or cwd-relative, else
 * "/dev/fd/N" or "/dev/fd/N/path". A script opened through an fd that
 * closes at exec could not be read by its interpreter.
 */
static int bprm_filename(struct exec_bprm *b, int dirfd, const char *path)
{
	size_t n = strlen(path) + 32;

	if (dirfd == AT_FDCWD || path[0] == '/') {
		b->filename = dup_string(path);
		return b->filename ? 0 : -ENOMEM;
	}
	b->filename = kmalloc(n);
	if (!b->filename)
		return -ENOMEM;
	if (path[0] == '\0')
		fmt_snprintf(b->filename, n, "/dev/fd/%d", dirfd);
	else
		fmt_snprintf(b->filename, n, "/dev/fd/%d/%s", dirfd, path);
	b->fdpath = true;
	b->path_inaccessible = fd_get_cloexec(current, dirfd) > 0;
	return 0;
}

/* AT_EMPTY_PATH: the file open at fd itself. */
static int open_fd(struct exec_bprm *b, int fd)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!f->vn)
		return -EACCES; /* a pipe or socket is no regular file */
	return exec_open_node(&b->file, f->vn, f->path ? f->path : "");
}

/* path relative to dirfd; AT_SYMLINK_NOFOLLOW makes a symlink -ELOOP. */
static int open_at(struct exec_bprm *b, int dirfd, const char *path, int flags)
{
	struct lookup lk;
	int err;

	err = at_lookup(dirfd, path,
			(flags & AT_SYMLINK_NOFOLLOW) ? LOOKUP_NOFOLLOW : 0,
			&lk);
	if (err)
		return err;
	return exec_open_lookup(&b->file, &lk);
}

/*
 * Linux's de_thread: the other threads end as for exit_group (they see
 * group_exit at their next return to user mode) and the caller waits for
 * them; it then takes the process id as its thread id, as the group
 * leader's. -EAGAIN when an exit_group or another exec got there first:
 * the caller ends on its way out, as in Linux.
 */
static int exec_end_other_threads(void)
{
	struct proc *p = current;
	struct thread *t = current_thread;

	if (p->group_exit)
		return -EAGAIN;
	if (p->nthreads > 1) {
		p->group_exit = true;
		proc_end_other_threads(p);
		p->group_exit = false;
	}
	t->tid = p->pid;
	return 0;
}

/*
 * Give p a new empty address space (its own page tables, loaded now) and
 * drop the old one: freed, or left to the vfork parent that shares it.
 * 0 or -ENOMEM.
 */
static int exec_replace_mm(struct proc *p)
{
	struct mm *mm = mm_create();

	if (!mm)
		return -ENOMEM;
	proc_set_mm(p, mm);
	return 0;
}

/* The state of the new image that is not its memory (begin_new_exec). */
static void exec_reset_process(struct exec_bprm *b)
{
	struct thread *t = current_thread;

	fd_close_on_exec(current);
	signal_exec(t);
	current->execed = true; /* setpgid from the parent: EACCES */
	posix_timer_proc_exit(current);
	t->clear_child_tid = 0;
	t->robust_list = 0;
	t->fs_base = 0;
	arch_set_fs_base(0);
	arch_fpu_reset();
	/* Linux names an fd's program by its file, else by the path given. */
	sysproc_exec_comm(current, b->fdpath ? b->file.path : b->filename);
	/* Linux's begin_new_exec (no set-user-ID files here) */
	proc_set_dumpable(current,
			  current->cred.euid == current->cred.uid &&
				  current->cred.egid == current->cred.gid);
}

/*
 * Past the point of no return: the old image goes, the new one comes.
 * Any failure now kills the process with SIGSEGV, as Linux does.
 */
static int exec_commit(struct exec_bprm *b, struct trap_frame *f)
{
	uint64_t entry, sp, cs = f->cs, ss = f->ss;
	int err;

	if (exec_end_other_threads())
		return -EAGAIN;
	err = exec_replace_mm(current);
	if (!err)
		err = exec_load_image(current, b, &entry, &sp);
	if (err) {
		printk("kiln: execve of %s failed after the point of no "
		       "return (error %d)\n",
		       b->file.path, -err);
		proc_exit(0, SIGSEGV);
	}
	exec_reset_process(b);
	proc_vfork_done(current);
	/* All registers 0, as Linux's start_thread and ELF_PLAT_INIT. */
	*f = (struct trap_frame){ .vector = TRAP_SYSCALL,
				  .rip = entry,
				  .cs = cs,
				  .rflags = 0x202,
				  .rsp = sp,
				  .ss = ss };
	return 0;
}

long sys_execveat(int dirfd, uintptr_t upath, uintptr_t uargv, uintptr_t uenvp,
		  int flags)
{
	struct exec_bprm b = { 0 };
	char *path = NULL;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = upath_get(upath, &path);
	if (err)
		return err;
	if (path[0] == '\0' && !(flags & AT_EMPTY_PATH))
		err = -ENOENT;
	if (!err)
		err = path[0] ? open_at(&b, dirfd, path, flags) :
				open_fd(&b, dirfd);
	if (!err)
		err = bprm_filename(&b, dirfd, path);
	if (!err)
		err = args_from_user(&b, uargv, uenvp);
	if (!err)
		err = exec_prepare(&b);
	upath_put(path);
	/* Linux fails this later, killing the caller; tell it instead. */
	if (!err)
		err = exec_check_memory(&b, current->mm->resident);
	if (!err)
		err = exec_commit(&b, signal_user_frame());
	exec_bprm_free(&b);
	return err;
}
SYSCALL5(execveat);

long sys_execve(uintptr_t upath, uintptr_t uargv, uintptr_t uenvp)
{
	return sys_execveat(AT_FDCWD, upath, uargv, uenvp, 0);
}
SYSCALL3(execve);
