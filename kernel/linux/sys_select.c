/* sys_select.c - select and pselect6: fd_set bitmaps over the poll machinery. */
#include <asm/poll.h>
#include <linux/time.h>
#include <linux/time_types.h>

#include "core/heap.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sys_poll.h"
#include "linux/syscall.h"

/*
 * select(2): three bitmaps of nfds bits, read in 64-bit words; each fd
 * set in one must be open (else -EBADF before any wait). The bits map to
 * poll events as Linux's fs/select.c does: "readable" is POLLIN, POLLHUP
 * or POLLERR; "writable" POLLOUT or POLLERR; "exceptional" POLLPRI.
 * The remaining time is written back to the timeout, as Linux does.
 */
#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX POLLPRI

struct sel {
	size_t words; /* 64-bit words per set */
	uint64_t *in[3], *out[3];
	uintptr_t user[3]; /* the application's sets (0: none) */
};

static int sel_read(struct sel *s, int nfds)
{
	size_t bytes;

	s->words = ((size_t)nfds + 63) / 64;
	bytes = s->words * 8;
	s->in[0] = kzalloc(bytes ? bytes * 6 : 1);
	if (s->in[0] == NULL)
		return -ENOMEM;
	for (int i = 0; i < 3; i++) {
		s->in[i] = s->in[0] + i * s->words;
		s->out[i] = s->in[0] + (3 + i) * s->words;
		if (s->user[i] && copy_from_user(s->in[i], s->user[i], bytes))
			return -EFAULT;
	}
	return 0;
}

/* Every fd named in a set is open: 0 or -EBADF. */
static int sel_check(const struct sel *s)
{
	for (size_t w = 0; w < s->words; w++) {
		uint64_t all = s->in[0][w] | s->in[1][w] | s->in[2][w];

		for (int b = 0; all; b++, all >>= 1)
			if ((all & 1) && !fd_get(current, (int)(w * 64) + b))
				return -EBADF;
	}
	return 0;
}

/* One fd: set its output bits, join its head when pw; bits set. */
static int sel_one(struct sel *s, int fd, struct poll_wait *pw)
{
	static const unsigned int want[3] = { SEL_IN, SEL_OUT, SEL_EX };
	struct file *f = fd_get(current, fd);
	uint64_t bit = 1ULL << (fd % 64);
	unsigned int ev = 0, got;
	int n = 0;

	for (int i = 0; i < 3; i++)
		if (s->in[i][fd / 64] & bit)
			ev |= want[i];
	got = file_poll(f, ev);
	for (int i = 0; i < 3; i++) {
		if ((s->in[i][fd / 64] & bit) && (got & want[i])) {
			s->out[i][fd / 64] |= bit;
			n++;
		}
	}
	if (pw != NULL)
		poll_wait_on(pw, f);
	return n;
}

static int sel_scan(struct sel *s, struct poll_wait *pw)
{
	int n = 0;

	for (size_t w = 0; w < s->words; w++) {
		uint64_t all = s->in[0][w] | s->in[1][w] | s->in[2][w];

		for (int b = 0; all; b++, all >>= 1)
			if (all & 1)
				n += sel_one(s, (int)(w * 64) + b, pw);
	}
	return n;
}

static int scan_sets(void *ctx, struct poll_wait *pw)
{
	struct sel *s = ctx;

	memset(s->out[0], 0, s->words * 8 * 3);
	return sel_scan(s, pw);
}

static int sel_loop(struct sel *s, uint64_t deadline)
{
	return poll_scan_loop(deadline, scan_sets, s);
}

static long do_select(int nfds, uintptr_t uin, uintptr_t uout, uintptr_t uex,
		      uint64_t deadline)
{
	struct sel s = { .user = { uin, uout, uex } };
	long ret;

	if (nfds < 0)
		return -EINVAL;
	if (nfds >
	    fd_limit(current)) /* Linux: bits past the table are ignored */
		nfds = fd_limit(current);
	ret = sel_read(&s, nfds);
	if (ret == 0)
		ret = sel_check(&s);
	if (ret == 0)
		ret = sel_loop(&s, deadline);
	for (int i = 0; ret >= 0 && i < 3; i++)
		if (s.user[i] && copy_to_user(s.user[i], s.out[i], s.words * 8))
			ret = -EFAULT;
	kfree(s.in[0]);
	return ret;
}

/* Time left until deadline, in nanoseconds (0 when past). */
static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = time_ns();

	return deadline > now ? deadline - now : 0;
}

long sys_select(int nfds, uintptr_t uin, uintptr_t uout, uintptr_t uex,
		uintptr_t utv)
{
	struct __kernel_old_timeval tv;
	uint64_t deadline = POLL_FOREVER, left;
	long ret;

	if (utv) {
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EINVAL;
		deadline = time_ns() + (uint64_t)tv.tv_sec * 1000000000ULL +
			   (uint64_t)tv.tv_usec * 1000ULL;
	}
	ret = do_select(nfds, uin, uout, uex, deadline);
	if (utv && ret != -EFAULT) {
		left = time_left(deadline);
		tv.tv_sec = (long)(left / 1000000000ULL);
		tv.tv_usec = (long)(left % 1000000000ULL / 1000);
		(void)copy_to_user(utv, &tv,
				   sizeof(tv)); /* Linux ignores a fault */
	}
	return ret;
}
SYSCALL5(select);

/* pselect6's sixth argument: { const sigset_t *ss; size_t ss_len; }. */
struct pselect_sigmask {
	uintptr_t ss;
	size_t len;
};

long sys_pselect6(int nfds, uintptr_t uin, uintptr_t uout, uintptr_t uex,
		  uintptr_t uts, uintptr_t usig)
{
	struct pselect_sigmask sm = { 0, 0 };
	struct __kernel_timespec ts;
	uint64_t deadline, saved, left;
	long ret = poll_ts_deadline(uts, &deadline);

	if (ret < 0)
		return ret;
	if (usig && copy_from_user(&sm, usig, sizeof(sm)))
		return -EFAULT;
	ret = poll_sigmask_set(sm.ss, sm.len, &saved);
	if (ret < 0)
		return ret;
	ret = do_select(nfds, uin, uout, uex, deadline);
	poll_sigmask_restore(saved, ret);
	if (uts && deadline != POLL_FOREVER && ret != -EFAULT) {
		left = time_left(deadline);
		ts.tv_sec = (long long)(left / 1000000000ULL);
		ts.tv_nsec = (long long)(left % 1000000000ULL);
		(void)copy_to_user(uts, &ts, sizeof(ts));
	}
	return ret;
}
SYSCALL6(pselect6);
