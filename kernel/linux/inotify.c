/* inotify.c - inotify instances: watches on nodes, the event queue an application reads. */
#include <asm-generic/errno.h>
#include <asm/ioctls.h>
#include <asm/poll.h>
#include <linux/fcntl.h>
#include <linux/inotify.h>
#include <linux/stat.h>

#include "core/heap.h"
#include "core/uaccess.h"
#include "fs/notify.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sys_file.h"
#include "linux/syscall.h"

/*
 * inotify(7), fs/notify/inotify/ of Linux. Each watch is a fsnotify mark
 * on a node (fs/notify.c tells it of changes); matching events join the
 * instance's queue, where an event identical to the last one queued
 * (wd, mask, name) is merged into it, as inotify_merge does.
 * At INOTIFY_MAX_EVENTS (max_queued_events) one IN_Q_OVERFLOW (wd -1)
 * is queued and further events are dropped until the queue drains.
 * Watch descriptors count up from 1 and are not reused (Linux's cyclic
 * idr); the same node gets its existing wd back.
 */
#define INOTIFY_MAX_EVENTS 16384  /* /proc/sys/fs/inotify/max_queued_events */
#define INOTIFY_MAX_WATCHES 8192  /* max_user_watches: ENOSPC past it */
#define INOTIFY_MAX_INSTANCES 128 /* max_user_instances: EMFILE */
#define INOTIFY_EVENT_SIZE 16	  /* struct inotify_event before the name */
#define IN_ALL_BITS                                                   \
	(IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED |    \
	 IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_ADD | \
	 IN_MASK_CREATE | IN_ISDIR | IN_ONESHOT)
/* What read() reports of an event's mask (inotify_mask_to_arg). */
#define IN_REPORTED \
	(IN_ALL_EVENTS | IN_ISDIR | IN_UNMOUNT | IN_IGNORED | IN_Q_OVERFLOW)

struct inotify_ev {
	struct inotify_ev *next;
	int wd;
	uint32_t mask, cookie;
	uint32_t len; /* the name with its NUL, padded to 16; 0: no name */
	char name[];
};

struct inotify;

struct inotify_watch {
	struct fsnotify_mark mark; /* first: the mark is the watch */
	struct inotify *in;
	int wd;
	uint32_t mask; /* IN_* events, IN_ONESHOT, IN_EXCL_UNLINK */
	struct inotify_watch *next;
};

struct inotify {
	struct poll_head ph;
	struct inotify_watch *watches;
	int last_wd, nwatches;
	struct inotify_ev *head, *tail;
	size_t count, bytes;
	bool overflow_queued;
};

static int inotify_instances;

static size_t ev_size(const struct inotify_ev *e)
{
	return INOTIFY_EVENT_SIZE + e->len;
}

/* Queue one event (merged, dropped or the overflow marker as Linux). */
static void inotify_queue(struct inotify *in, int wd, uint32_t mask,
			  uint32_t cookie, const char *name)
{
	size_t nlen = name != NULL ? strlen(name) : 0;
	uint32_t len = nlen ? (uint32_t)((nlen + 1 + 15) & ~(size_t)15) : 0;
	struct inotify_ev *e, *t = in->tail;

	if (in->count >= INOTIFY_MAX_EVENTS) {
		if (in->overflow_queued)
			return;
		in->overflow_queued = true;
		wd = -1, mask = IN_Q_OVERFLOW, cookie = 0, len = 0, nlen = 0;
	} else if (t != NULL && !(t->mask & IN_IGNORED) && t->wd == wd &&
		   t->mask == mask && t->len == len &&
		   (len == 0 || strcmp(t->name, name) == 0)) {
		return; /* inotify_merge's event_compare (cookies not compared) */
	}
	e = kzalloc(sizeof(*e) + len);
	if (e == NULL)
		return; /* Linux drops it too (fsnotify_insert_event) */
	*e = (struct inotify_ev){
		.wd = wd, .mask = mask, .cookie = cookie, .len = len
	};
	memcpy(e->name, name, nlen);
	if (in->tail != NULL)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->count++;
	in->bytes += ev_size(e);
	poll_wake(&in->ph, POLLIN | POLLRDNORM);
}

static void watch_free(struct inotify_watch *w)
{
	struct inotify *in = w->in;
	struct inotify_watch **pp;

	for (pp = &in->watches; *pp != w; pp = &(*pp)->next)
		;
	*pp = w->next;
	in->nwatches--;
	kfree(w);
}

/* The watch ends (rm_watch, IN_ONESHOT, the node freed): IN_IGNORED. */
static void watch_end(struct inotify_watch *w)
{
	fsnotify_mark_remove(&w->mark);
	inotify_queue(w->in, w->wd, IN_IGNORED, 0, NULL);
	watch_free(w);
}

/* Events an open file reports, which IN_EXCL_UNLINK drops once unlinked. */
#define IN_FILE_EVENTS (IN_OPEN | IN_ACCESS | IN_MODIFY | IN_CLOSE)

static void watch_event(struct fsnotify_mark *m, uint32_t mask, uint32_t cookie,
			const char *name, const struct vnode *subject)
{
	struct inotify_watch *w = (struct inotify_watch *)m;

	if (!(mask & w->mask & IN_ALL_EVENTS))
		return;
	if ((w->mask & IN_EXCL_UNLINK) && (mask & IN_FILE_EVENTS) &&
	    subject != NULL && subject->nlink == 0)
		return; /* fsnotify_handle_inode_event: d_unlinked */
	inotify_queue(w->in, w->wd, mask & IN_REPORTED, cookie, name);
	if (w->mask & IN_ONESHOT)
		watch_end(w);
}

static void watch_gone(struct fsnotify_mark *m)
{
	watch_end((struct inotify_watch *)m);
}

/* Take the first event if it fits in n bytes: 1, 0 (none), -EINVAL. */
static int inotify_take(struct inotify *in, char *buf, size_t n, size_t *used)
{
	struct inotify_ev *e = in->head;
	int32_t hdr[4];

	if (e == NULL)
		return 0;
	if (ev_size(e) > n)
		return -EINVAL;
	hdr[0] = e->wd;
	hdr[1] = (int32_t)e->mask;
	hdr[2] = (int32_t)e->cookie;
	hdr[3] = (int32_t)e->len;
	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), e->name, e->len);
	*used = ev_size(e);
	in->head = e->next;
	if (in->head == NULL)
		in->tail = NULL;
	in->count--;
	in->bytes -= ev_size(e);
	if (e->mask == IN_Q_OVERFLOW && e->wd == -1)
		in->overflow_queued = false;
	kfree(e);
	return 1;
}

/* inotify_read: whole events while they fit; waits for the first one. */
static long inotify_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct inotify *in = f->priv;
	size_t done = 0, used;
	int r;

	(void)pos;
	for (;;) {
		r = inotify_take(in, (char *)buf + done, n - done, &used);
		if (r > 0) {
			done += used;
			continue;
		}
		if (done > 0)
			return (long)done;
		if (r < 0)
			return r;
		r = poll_head_wait(&in->ph, f->flags & O_NONBLOCK, 0);
		if (r < 0)
			return r;
	}
}

static unsigned int inotify_poll(struct file *f, unsigned int events)
{
	struct inotify *in = f->priv;

	(void)events;
	return in->head != NULL ? POLLIN | POLLRDNORM : 0;
}

static struct poll_head *inotify_poll_head(struct file *f)
{
	return &((struct inotify *)f->priv)->ph;
}

static long inotify_ioctl(struct file *f, unsigned int cmd, uintptr_t arg)
{
	struct inotify *in = f->priv;
	int n = (int)in->bytes;

	if (cmd != FIONREAD)
		return -ENOTTY;
	return copy_to_user(arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
}

static int inotify_fdname(struct file *f, char *buf, size_t size)
{
	(void)f;
	return fmt_snprintf(buf, size, "anon_inode:inotify");
}

static void inotify_release(struct file *f)
{
	struct inotify *in = f->priv;
	struct inotify_ev *e;

	while (in->watches != NULL) {
		fsnotify_mark_remove(&in->watches->mark);
		watch_free(in->watches);
	}
	while ((e = in->head) != NULL) {
		in->head = e->next;
		kfree(e);
	}
	kfree(in);
	inotify_instances--;
}

static const struct file_ops inotify_ops = {
	.read = inotify_read,
	.poll = inotify_poll,
	.poll_head = inotify_poll_head,
	.ioctl = inotify_ioctl,
	.fdname = inotify_fdname,
	.release = inotify_release,
};

long sys_inotify_init1(int flags)
{
	struct inotify *in;
	struct file *f;
	int fd;

	if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
		return -EINVAL;
	if (inotify_instances >= INOTIFY_MAX_INSTANCES)
		return -EMFILE;
	in = kzalloc(sizeof(*in));
	if (in == NULL)
		return -ENOMEM;
	f = file_alloc(&inotify_ops, O_RDONLY | (flags & IN_NONBLOCK), in);
	if (f == NULL) {
		kfree(in);
		return -ENOMEM;
	}
	inotify_instances++;
	fd = fd_install(current, f, 0, flags & IN_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL1(inotify_init1);

long sys_inotify_init(void)
{
	return sys_inotify_init1(0);
}
SYSCALL0(inotify_init);

/* The instance behind fd: -EBADF for no file, -EINVAL for another kind. */
static struct inotify *inotify_of(int fd, long *err)
{
	struct file *f = fd_file(fd);

	*err = f == NULL ? -EBADF : -EINVAL;
	return f != NULL && f->ops == &inotify_ops ? f->priv : NULL;
}

/* inotify_update_watch: the existing watch on vn, or a new one. */
static long watch_set(struct inotify *in, struct vnode *vn, uint32_t mask)
{
	struct inotify_watch *w;
	uint32_t keep = IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK;

	for (w = in->watches; w != NULL; w = w->next)
		if (w->mark.vn == vn)
			break;
	if (w != NULL) {
		if (mask & IN_MASK_CREATE)
			return -EEXIST;
		w->mask = ((mask & IN_MASK_ADD) ? w->mask : 0) | (mask & keep);
		return w->wd;
	}
	if (in->nwatches >= INOTIFY_MAX_WATCHES)
		return -ENOSPC;
	w = kzalloc(sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->in = in;
	w->wd = ++in->last_wd;
	w->mask = mask & keep;
	w->mark.event = watch_event;
	w->mark.gone = watch_gone;
	w->next = in->watches;
	in->watches = w;
	in->nwatches++;
	fsnotify_mark_add(vn, &w->mark);
	return w->wd;
}

long sys_inotify_add_watch(int fd, uintptr_t upath, uint32_t mask)
{
	struct inotify *in;
	struct vnode *vn;
	long r;

	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	if ((mask & ~IN_ALL_BITS) || !(mask & IN_ALL_BITS))
		return -EINVAL;
	in = inotify_of(fd, &r);
	if (in == NULL)
		return r;
	r = at_node(AT_FDCWD, upath,
		    (mask & IN_DONT_FOLLOW) ? AT_SYMLINK_NOFOLLOW : 0, &vn);
	if (r < 0)
		return r;
	if ((mask & IN_ONLYDIR) && !S_ISDIR(vn->mode))
		r = -ENOTDIR;
	else
		r = vfs_permission(vn, 4); /* inotify_find_inode: MAY_READ */
	if (r == 0)
		r = watch_set(in, vn, mask);
	vnode_put(vn);
	return r;
}
SYSCALL3(inotify_add_watch);

long sys_inotify_rm_watch(int fd, int wd)
{
	struct inotify *in;
	struct inotify_watch *w;
	long err;

	in = inotify_of(fd, &err);
	if (in == NULL)
		return err;
	for (w = in->watches; w != NULL; w = w->next) {
		if (w->wd == wd) {
			watch_end(w);
			return 0;
		}
	}
	return -EINVAL;
}
SYSCALL2(inotify_rm_watch);
