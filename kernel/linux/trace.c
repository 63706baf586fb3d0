/* trace.c - strace-style syscall tracing on the kernel log (kiln.trace). */
#include "linux/trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <asm/unistd_64.h>

#include "core/printk.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/syscall.h"
#include "linux/trace_decode.h"

/*
 * Each traced syscall prints one line when it returns:
 *
 *     trace: openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *     trace: read(3, "root:x:0:0:root:/root:/bin/sh\n"..., 4096) = 31
 *     trace: open("/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
 *
 * Syscalls that may not return (exit_group, a fatal kill) print at entry
 * with "= ?"; if they do return, a "<name resumed> = N" line follows.
 * Syscalls missing from the table below print their six raw args in hex.
 * Strings and buffers show at most TRACE_STR_MAX bytes, then "...".
 */
#define TRACE_STR_MAX 32
#define TRACE_IOV_MAX 4
#define ERRNO_MAX 4095

enum arg_kind {
	A_END,	   /* no more arguments */
	A_INT,	   /* signed decimal */
	A_UINT,	   /* unsigned decimal (sizes, counts) */
	A_HEX,	   /* flags nobody decodes yet, requests */
	A_PTR,	   /* address: NULL or 0x... */
	A_FD,	   /* file descriptor */
	A_DIRFD,   /* fd or AT_FDCWD */
	A_STR,	   /* NUL-terminated string in user memory */
	A_BUF_IN,  /* bytes the syscall reads: length is the next argument */
	A_BUF_OUT, /* bytes it writes: shown on return, length = result */
	A_OFLAGS,  /* open(2) flags */
	A_MODE,	   /* octal permission bits */
	A_PROT,	   /* mmap protection */
	A_MFLAGS,  /* mmap flags */
	A_SIG,	   /* signal number */
	A_CLOCK,   /* clockid_t */
	A_IOV_IN,  /* struct iovec[] the syscall reads: count is the next arg */
};

enum ret_kind { R_INT, R_HEX, R_MAYBE_NORETURN };

/* A list, not an array indexed by number: 91 entries, not 440 slots. */
struct trace_sig {
	uint16_t nr;
	uint8_t ret;	 /* enum ret_kind */
	uint8_t args[6]; /* enum arg_kind, A_END-terminated */
};

#define S(nr, r, ...)               \
	{                           \
		nr, r,              \
		{                   \
			__VA_ARGS__ \
		}                   \
	}

static const struct trace_sig sigs[] = {
	S(__NR_read, R_INT, A_FD, A_BUF_OUT, A_UINT),
	S(__NR_write, R_INT, A_FD, A_BUF_IN, A_UINT),
	S(__NR_pread64, R_INT, A_FD, A_BUF_OUT, A_UINT, A_INT),
	S(__NR_pwrite64, R_INT, A_FD, A_BUF_IN, A_UINT, A_INT),
	S(__NR_readv, R_INT, A_FD, A_PTR, A_INT),
	S(__NR_writev, R_INT, A_FD, A_IOV_IN, A_INT),
	S(__NR_pwritev, R_INT, A_FD, A_IOV_IN, A_INT, A_INT),
	S(__NR_preadv2, R_INT, A_FD, A_PTR, A_INT, A_INT, A_INT, A_HEX),
	S(__NR_pwritev2, R_INT, A_FD, A_IOV_IN, A_INT, A_INT, A_INT, A_HEX),
	S(__NR_splice, R_INT, A_FD, A_PTR, A_FD, A_PTR, A_UINT, A_HEX),
	S(__NR_tee, R_INT, A_FD, A_FD, A_UINT, A_HEX),
	S(__NR_vmsplice, R_INT, A_FD, A_PTR, A_UINT, A_HEX),
	S(__NR_copy_file_range, R_INT, A_FD, A_PTR, A_FD, A_PTR, A_UINT, A_HEX),
	S(__NR_memfd_create, R_INT, A_STR, A_HEX),
	S(__NR_getdents, R_INT, A_FD, A_PTR, A_UINT),
	S(__NR_timer_create, R_INT, A_CLOCK, A_PTR, A_PTR),
	S(__NR_timer_settime, R_INT, A_INT, A_HEX, A_PTR, A_PTR),
	S(__NR_open, R_INT, A_STR, A_OFLAGS, A_MODE),
	S(__NR_openat, R_INT, A_DIRFD, A_STR, A_OFLAGS, A_MODE),
	S(__NR_creat, R_INT, A_STR, A_MODE),
	S(__NR_close, R_INT, A_FD),
	S(__NR_stat, R_INT, A_STR, A_PTR),
	S(__NR_lstat, R_INT, A_STR, A_PTR),
	S(__NR_fstat, R_INT, A_FD, A_PTR),
	S(__NR_newfstatat, R_INT, A_DIRFD, A_STR, A_PTR, A_HEX),
	S(__NR_statx, R_INT, A_DIRFD, A_STR, A_HEX, A_HEX, A_PTR),
	S(__NR_lseek, R_INT, A_FD, A_INT, A_INT),
	S(__NR_access, R_INT, A_STR, A_INT),
	S(__NR_faccessat, R_INT, A_DIRFD, A_STR, A_INT),
	S(__NR_faccessat2, R_INT, A_DIRFD, A_STR, A_INT, A_HEX),
	S(__NR_readlink, R_INT, A_STR, A_BUF_OUT, A_UINT),
	S(__NR_readlinkat, R_INT, A_DIRFD, A_STR, A_BUF_OUT, A_UINT),
	S(__NR_getdents64, R_INT, A_FD, A_PTR, A_UINT),
	S(__NR_inotify_init1, R_INT, A_HEX),
	S(__NR_inotify_add_watch, R_INT, A_FD, A_STR, A_HEX),
	S(__NR_inotify_rm_watch, R_INT, A_FD, A_INT),
	S(__NR_getxattr, R_INT, A_STR, A_STR, A_PTR, A_UINT),
	S(__NR_lgetxattr, R_INT, A_STR, A_STR, A_PTR, A_UINT),
	S(__NR_fgetxattr, R_INT, A_FD, A_STR, A_PTR, A_UINT),
	S(__NR_setxattr, R_INT, A_STR, A_STR, A_PTR, A_UINT, A_HEX),
	S(__NR_lsetxattr, R_INT, A_STR, A_STR, A_PTR, A_UINT, A_HEX),
	S(__NR_fsetxattr, R_INT, A_FD, A_STR, A_PTR, A_UINT, A_HEX),
	S(__NR_listxattr, R_INT, A_STR, A_PTR, A_UINT),
	S(__NR_removexattr, R_INT, A_STR, A_STR),
	S(__NR_getcwd, R_INT, A_PTR, A_UINT),
	S(__NR_chdir, R_INT, A_STR),
	S(__NR_fchdir, R_INT, A_FD),
	S(__NR_mkdir, R_INT, A_STR, A_MODE),
	S(__NR_mkdirat, R_INT, A_DIRFD, A_STR, A_MODE),
	S(__NR_rmdir, R_INT, A_STR),
	S(__NR_unlink, R_INT, A_STR),
	S(__NR_unlinkat, R_INT, A_DIRFD, A_STR, A_HEX),
	S(__NR_rename, R_INT, A_STR, A_STR),
	S(__NR_renameat, R_INT, A_DIRFD, A_STR, A_DIRFD, A_STR),
	S(__NR_chmod, R_INT, A_STR, A_MODE),
	S(__NR_fchmod, R_INT, A_FD, A_MODE),
	S(__NR_ftruncate, R_INT, A_FD, A_INT),
	S(__NR_truncate, R_INT, A_STR, A_INT),
	S(__NR_dup, R_INT, A_FD),
	S(__NR_dup2, R_INT, A_FD, A_FD),
	S(__NR_dup3, R_INT, A_FD, A_FD, A_HEX),
	S(__NR_pipe, R_INT, A_PTR),
	S(__NR_pipe2, R_INT, A_PTR, A_HEX),
	S(__NR_fcntl, R_INT, A_FD, A_INT, A_HEX),
	S(__NR_ioctl, R_INT, A_FD, A_HEX, A_HEX),
	S(__NR_fsync, R_INT, A_FD),
	S(__NR_umask, R_INT, A_MODE),
	S(__NR_mmap, R_HEX, A_PTR, A_UINT, A_PROT, A_MFLAGS, A_FD, A_HEX),
	S(__NR_mprotect, R_INT, A_PTR, A_UINT, A_PROT),
	S(__NR_munmap, R_INT, A_PTR, A_UINT),
	S(__NR_mremap, R_HEX, A_PTR, A_UINT, A_UINT, A_HEX, A_PTR),
	S(__NR_madvise, R_INT, A_PTR, A_UINT, A_INT),
	S(__NR_brk, R_HEX, A_PTR),
	S(__NR_execve, R_MAYBE_NORETURN, A_STR, A_PTR, A_PTR),
	S(__NR_exit, R_MAYBE_NORETURN, A_INT),
	S(__NR_exit_group, R_MAYBE_NORETURN, A_INT),
	S(__NR_kill, R_MAYBE_NORETURN, A_INT, A_SIG),
	S(__NR_tkill, R_MAYBE_NORETURN, A_INT, A_SIG),
	S(__NR_tgkill, R_MAYBE_NORETURN, A_INT, A_INT, A_SIG),
	S(__NR_rt_sigaction, R_INT, A_SIG, A_PTR, A_PTR, A_UINT),
	S(__NR_rt_sigprocmask, R_INT, A_INT, A_PTR, A_PTR, A_UINT),
	S(__NR_sigaltstack, R_INT, A_PTR, A_PTR),
	S(__NR_rt_sigpending, R_INT, A_PTR, A_UINT),
	S(__NR_getrusage, R_INT, A_INT, A_PTR),
	S(__NR_sysinfo, R_INT, A_PTR),
	S(__NR_times, R_INT, A_PTR),
	S(__NR_sched_getaffinity, R_INT, A_INT, A_UINT, A_PTR),
	S(__NR_arch_prctl, R_INT, A_HEX, A_HEX),
	S(__NR_set_tid_address, R_INT, A_PTR),
	S(__NR_set_robust_list, R_INT, A_PTR, A_UINT),
	S(__NR_futex, R_INT, A_PTR, A_INT, A_INT, A_PTR, A_PTR, A_INT),
	S(__NR_clock_gettime, R_INT, A_CLOCK, A_PTR),
	S(__NR_clock_getres, R_INT, A_CLOCK, A_PTR),
	S(__NR_clock_nanosleep, R_INT, A_CLOCK, A_HEX, A_PTR, A_PTR),
	S(__NR_nanosleep, R_INT, A_PTR, A_PTR),
	S(__NR_gettimeofday, R_INT, A_PTR, A_PTR),
	S(__NR_getrandom, R_INT, A_PTR, A_UINT, A_HEX),
	S(__NR_prlimit64, R_INT, A_INT, A_INT, A_PTR, A_PTR),
	S(__NR_uname, R_INT, A_PTR),
	S(__NR_prctl, R_INT, A_INT, A_HEX, A_HEX, A_HEX, A_HEX),
	S(__NR_poll, R_INT, A_PTR, A_UINT, A_INT),
	S(__NR_ppoll, R_INT, A_PTR, A_UINT, A_PTR, A_PTR, A_UINT),
	S(__NR_socket, R_INT, A_INT, A_INT, A_INT),
	S(__NR_connect, R_INT, A_FD, A_PTR, A_UINT),
	S(__NR_bind, R_INT, A_FD, A_PTR, A_UINT),
	S(__NR_listen, R_INT, A_FD, A_INT),
	S(__NR_accept4, R_INT, A_FD, A_PTR, A_PTR, A_HEX),
	S(__NR_sendto, R_INT, A_FD, A_BUF_IN, A_UINT, A_HEX, A_PTR, A_UINT),
	S(__NR_recvfrom, R_INT, A_FD, A_BUF_OUT, A_UINT, A_HEX, A_PTR, A_PTR),
	S(__NR_getpid, R_INT),
	S(__NR_gettid, R_INT),
	S(__NR_getppid, R_INT),
	S(__NR_getuid, R_INT),
	S(__NR_geteuid, R_INT),
	S(__NR_getgid, R_INT),
	S(__NR_getegid, R_INT),
	S(__NR_sched_yield, R_INT),
};

#define NSIGS (sizeof(sigs) / sizeof(sigs[0]))

/* A user string, at most TRACE_STR_MAX bytes, "..." when cut. */
static void put_str(struct trace_line *l, uint64_t uptr)
{
	char s[TRACE_STR_MAX + 1];
	long n = strncpy_from_user(s, uptr, sizeof(s));

	if (n == -ENAMETOOLONG) {
		tl_quoted(l, s, TRACE_STR_MAX);
		tl_printf(l, "...");
	} else if (n < 0) {
		tl_printf(l, "%#lx", (unsigned long)uptr);
	} else {
		tl_quoted(l, s, (size_t)n);
	}
}

static void put_buf(struct trace_line *l, uint64_t uptr, uint64_t len)
{
	char s[TRACE_STR_MAX];
	size_t n = len < sizeof(s) ? (size_t)len : sizeof(s);

	if (copy_from_user(s, uptr, n)) {
		tl_printf(l, "%#lx", (unsigned long)uptr);
		return;
	}
	tl_quoted(l, s, n);
	if (len > n)
		tl_printf(l, "...");
}

/* [{"bytes", len}, ...]: the first TRACE_IOV_MAX buffers of an iovec. */
static void put_iov(struct trace_line *l, uint64_t uptr, uint64_t count)
{
	struct {
		uint64_t base, len;
	} iov;
	uint64_t i;

	tl_printf(l, "[");
	for (i = 0; i < count && i < TRACE_IOV_MAX; i++) {
		if (copy_from_user(&iov, uptr + i * sizeof(iov), sizeof(iov))) {
			tl_printf(l, "%s%#lx", i ? ", " : "",
				  (unsigned long)uptr);
			break;
		}
		tl_printf(l, "%s{", i ? ", " : "");
		put_buf(l, iov.base, iov.len);
		tl_printf(l, ", %lu}", (unsigned long)iov.len);
	}
	tl_printf(l, "%s]", i < count ? ", ..." : "");
}

static void put_ptr(struct trace_line *l, uint64_t v)
{
	if (v)
		tl_printf(l, "%#lx", (unsigned long)v);
	else
		tl_printf(l, "NULL");
}

/* One argument; ret is the result when known (after the call), else absent. */
static void put_arg(struct trace_line *l, int kind, const uint64_t *a, int i,
		    bool done, long ret)
{
	uint64_t v = a[i];

	switch (kind) {
	case A_INT:
		tl_printf(l, "%ld", (long)v);
		break;
	case A_FD:
		tl_printf(l, "%d", (int)v);
		break;
	case A_UINT:
		tl_printf(l, "%lu", (unsigned long)v);
		break;
	case A_PTR:
		put_ptr(l, v);
		break;
	case A_DIRFD:
		trace_dirfd(l, v);
		break;
	case A_STR:
		put_str(l, v);
		break;
	case A_BUF_IN:
		put_buf(l, v, i < 5 ? a[i + 1] : 0);
		break;
	case A_BUF_OUT:
		if (done && ret >= 0)
			put_buf(l, v, (uint64_t)ret);
		else
			put_ptr(l, v);
		break;
	case A_OFLAGS:
		trace_open_flags(l, v);
		break;
	case A_MODE:
		tl_printf(l, "%#o", (unsigned int)v);
		break;
	case A_PROT:
		trace_prot(l, v);
		break;
	case A_MFLAGS:
		trace_mmap_flags(l, v);
		break;
	case A_SIG:
		trace_signal(l, v);
		break;
	case A_CLOCK:
		trace_clock(l, v);
		break;
	case A_IOV_IN:
		put_iov(l, v, i < 5 ? a[i + 1] : 0);
		break;
	default:
		tl_printf(l, "%#lx", (unsigned long)v);
		break;
	}
}

static const struct trace_sig *lookup(uint64_t nr)
{
	for (size_t i = 0; i < NSIGS; i++)
		if (sigs[i].nr == nr)
			return &sigs[i];
	return NULL;
}

static void put_call(struct trace_line *l, uint64_t nr, const uint64_t *a,
		     bool done, long ret)
{
	const struct trace_sig *s = lookup(nr);
	const char *name = syscall_name(nr);

	if (name)
		tl_printf(l, "%s(", name);
	else
		tl_printf(l, "syscall_%lu(", (unsigned long)nr);
	for (int i = 0; i < 6; i++) {
		int kind = s ? s->args[i] : A_HEX;

		if (kind == A_END)
			break;
		tl_printf(l, "%s", i ? ", " : "");
		put_arg(l, kind, a, i, done, ret);
	}
	tl_printf(l, ")");
}

/*
 * errno e's name and description are "NAME\0description" at
 * errno_text + errno_at[e]; 0 is no name (scripts/gen_errno.sh).
 */
#include "errno_names.h"
static const char errno_text[] = ERRNO_TEXT;
static const uint16_t errno_at[] = { ERRNO_AT };
_Static_assert(sizeof(errno_text) <= 65536, "errno_at holds 16-bit offsets");

static void put_ret(struct trace_line *l, uint64_t nr, long ret)
{
	const struct trace_sig *s = lookup(nr);
	long e = -ret;

	if (ret < 0 && ret >= -ERRNO_MAX) {
		const char *name = errno_text;

		if ((size_t)e < sizeof(errno_at) / sizeof(errno_at[0]))
			name += errno_at[e];
		if (*name)
			tl_printf(l, " = -1 %s (%s)", name,
				  name + strlen(name) + 1);
		else
			tl_printf(l, " = -1 errno %ld", e);
	} else if (s && s->ret == R_HEX) {
		tl_printf(l, " = %#lx", (unsigned long)ret);
	} else {
		tl_printf(l, " = %ld", ret);
	}
}

/*
 * A traced call that sleeps is shown as it goes to sleep, "..." for
 * its result, so a program blocked in it (a sleep, a read of a quiet
 * socket) is visible at once; its whole line follows on return.
 */
static void trace_on_sleep(struct thread *t)
{
	struct trace_line l = { .len = 0 };

	put_call(&l, t->trace_nr, t->trace_args, false, 0);
	t->trace_args = NULL; /* once per call */
	printk("trace: %s ...\n", l.buf);
}

void trace_syscall_enter(uint64_t nr, const uint64_t args[6])
{
	const struct trace_sig *s = lookup(nr);
	struct trace_line l = { .len = 0 };

	if (!s || s->ret != R_MAYBE_NORETURN) {
		/* printed whole on exit, and at a sleep before that */
		current_thread->trace_nr = nr;
		current_thread->trace_args = args;
		sched_sleep_hook = trace_on_sleep;
		return;
	}
	put_call(&l, nr, args, false, 0);
	printk("trace: %s = ?\n", l.buf);
}

void trace_syscall_exit(uint64_t nr, const uint64_t args[6], long ret)
{
	const struct trace_sig *s = lookup(nr);
	struct trace_line l = { .len = 0 };

	current_thread->trace_args = NULL;
	if (s && s->ret == R_MAYBE_NORETURN)
		tl_printf(&l, "<%s resumed>", syscall_name(nr));
	else
		put_call(&l, nr, args, true, ret);
	put_ret(&l, nr, ret);
	printk("trace: %s\n", l.buf);
}
