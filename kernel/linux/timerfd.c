/* timerfd.c - timers as files: expirations counted from kernel timers; timerfd_create, _settime, _gettime. */
#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/timerfd.h>

#include "core/clock.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/clockid.h"
#include "linux/proc.h"
#include "linux/syscall.h"
#include "linux/timespec.h"

/*
 * timerfd_create(2). Times are kept on the timer's own clock (realtime or
 * monotonic ns). Expirations are counted from the clock whenever the
 * timer is looked at (tf_advance), so the count is exact however late the
 * interrupt runs; the ktimer only wakes readers and pollers at the next
 * expiry. CLOCK_BOOTTIME is the monotonic clock (a VM never suspends).
 *
 * The ktimer is armed only while no expiration is waiting to be read: it
 * fires once, makes the file readable, and stays off until a read takes
 * the count (or settime starts over), as Linux's hrtimer-based timerfd
 * does. So a periodic timer costs one interrupt per read, not one per
 * period: a thousand 1 ns timers nobody reads cost nothing after their
 * first expiry, where re-arming each period would livelock the CPU.
 */

struct timerfd {
	struct poll_head ph;
	struct ktimer kt;
	bool realtime;
	uint64_t next;	   /* next expiry on the timer's clock; 0: disarmed */
	uint64_t interval; /* 0: one-shot */
	uint64_t ticks;	   /* expirations not read yet */
};

static const struct file_ops timerfd_ops;

static uint64_t tf_now(const struct timerfd *t)
{
	return t->realtime ? clock_realtime_ns() : clock_monotonic_ns();
}

/* Count the expirations up to now into ticks; move next along. */
static void tf_advance(struct timerfd *t)
{
	uint64_t now = tf_now(t), k;

	if (t->next == 0 || now < t->next)
		return;
	if (t->interval == 0) {
		t->ticks++;
		t->next = 0;
		return;
	}
	t->next = timespec_forward(t->next, now, t->interval, &k);
	t->ticks += k;
}

static void tf_fire(struct ktimer *kt);

/* Arm the kernel timer for next (time_ns clock) when the timer runs. */
static void tf_arm(struct timerfd *t)
{
	uint64_t now = tf_now(t), mono = time_ns(), at;

	if (t->next == 0)
		return;
	at = t->next > now ? mono + (t->next - now) : mono;
	if (t->next >= TIMESPEC_MAX_NS)
		at = SCHED_NEVER_NS; /* clamped, even on the realtime clock */
	ktimer_arm(&t->kt, at, tf_fire);
}

/*
 * From the timer interrupt: count and wake. Re-armed only when it fired
 * early (nothing to read yet); else the next read re-arms it.
 */
static void tf_fire(struct ktimer *kt)
{
	struct timerfd *t = (struct timerfd *)((char *)kt -
					       offsetof(struct timerfd, kt));

	tf_advance(t);
	if (t->ticks == 0) {
		tf_arm(t);
		return;
	}
	poll_wake(&t->ph, POLLIN | POLLRDNORM);
}

static long tf_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct timerfd *t = f->priv;
	int err;

	(void)pos;
	if (n < sizeof(t->ticks))
		return -EINVAL;
	for (tf_advance(t); t->ticks == 0; tf_advance(t)) {
		err = poll_head_wait(&t->ph, f->flags & O_NONBLOCK, 0);
		if (err < 0)
			return err;
	}
	memcpy(buf, &t->ticks, sizeof(t->ticks));
	t->ticks = 0;
	tf_arm(t); /* the next expiry (none for a spent one-shot) */
	return sizeof(t->ticks);
}

static unsigned int tf_poll(struct file *f, unsigned int events)
{
	struct timerfd *t = f->priv;

	(void)events;
	tf_advance(t);
	return t->ticks > 0 ? POLLIN | POLLRDNORM : 0;
}

static struct poll_head *tf_poll_head(struct file *f)
{
	return &((struct timerfd *)f->priv)->ph;
}

static int tf_fdname(struct file *f, char *buf, size_t size)
{
	(void)f;
	return fmt_snprintf(buf, size, "anon_inode:[timerfd]");
}

static void tf_release(struct file *f)
{
	struct timerfd *t = f->priv;

	ktimer_cancel(&t->kt);
	kfree(t);
}

static const struct file_ops timerfd_ops = {
	.read = tf_read,
	.poll = tf_poll,
	.poll_head = tf_poll_head,
	.fdname = tf_fdname,
	.release = tf_release,
};

long sys_timerfd_create(int clockid, int flags)
{
	struct timerfd *t;
	struct file *f;
	int fd;

	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC &&
	    clockid != CLOCK_BOOTTIME && !clockid_is_alarm(clockid))
		return -EINVAL;
	/* Linux: the alarm clocks need CAP_WAKE_ALARM. */
	if (clockid_is_alarm(clockid) && !cred_wake_alarm(current_cred()))
		return -EPERM;
	t = kzalloc(sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->realtime = clockid == CLOCK_REALTIME ||
		      clockid == CLOCK_REALTIME_ALARM;
	f = file_alloc(&timerfd_ops, O_RDWR | (flags & TFD_NONBLOCK), t);
	if (f == NULL) {
		kfree(t);
		return -ENOMEM;
	}
	fd = fd_install(current, f, 0, flags & TFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL2(timerfd_create);

/* The timerfd behind fd: 0, -EBADF, -EINVAL (another kind of file). */
static int tf_get(int fd, struct timerfd **out)
{
	struct file *f = fd_get(current, fd);

	if (f == NULL)
		return -EBADF;
	if (f->ops != &timerfd_ops)
		return -EINVAL;
	*out = f->priv;
	return 0;
}

/* Time to the next expiry and the interval, as timerfd_gettime says. */
static struct __kernel_itimerspec tf_value(struct timerfd *t)
{
	struct __kernel_itimerspec v;
	uint64_t now;

	tf_advance(t);
	now = tf_now(t);
	v.it_interval = timespec_from_ns(t->interval);
	v.it_value = timespec_from_ns(t->next == 0  ? 0 :
				      t->next > now ? t->next - now :
						      1);
	return v;
}

long sys_timerfd_gettime(int fd, uintptr_t ucur)
{
	struct __kernel_itimerspec v;
	struct timerfd *t;
	int err = tf_get(fd, &t);

	if (err < 0)
		return err;
	v = tf_value(t);
	return copy_to_user(ucur, &v, sizeof(v)) < 0 ? -EFAULT : 0;
}
SYSCALL2(timerfd_gettime);

long sys_timerfd_settime(int fd, int flags, uintptr_t unew, uintptr_t uold)
{
	struct __kernel_itimerspec nv, old;
	uint64_t value, interval;
	struct timerfd *t;
	int err = tf_get(fd, &t);

	if (err < 0)
		return err;
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (copy_from_user(&nv, unew, sizeof(nv)) < 0)
		return -EFAULT;
	if (timespec_to_ns(&nv.it_value, &value) < 0 ||
	    timespec_to_ns(&nv.it_interval, &interval) < 0)
		return -EINVAL;
	old = tf_value(t);
	if (uold && copy_to_user(uold, &old, sizeof(old)) < 0)
		return -EFAULT;
	ktimer_cancel(&t->kt);
	t->ticks = 0;
	t->interval = interval;
	t->next = 0;
	if (value != 0) {
		t->next = flags & TFD_TIMER_ABSTIME ?
				  value :
				  timespec_add_ns(tf_now(t), value);
		if (t->next == 0)
			t->next = 1; /* the epoch itself: long past */
	}
	tf_arm(t);
	return 0;
}
SYSCALL4(timerfd_settime);
