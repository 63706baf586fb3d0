/* epoll.c - epoll instances: items hooked on their files' poll heads, and a ready list. */
#include "linux/epoll.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/fcntl.h>

#include "core/heap.h"
#include "fs/poll.h"
#include "lib/format.h"

_Static_assert(sizeof(struct epoll_event) == 12,
	       "x86_64 epoll_event is packed");

#define EP_ALWAYS (EPOLLERR | EPOLLHUP)
#define EP_FLAGS (EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)
#define EP_MAX_NEST 4 /* Linux's EP_MAX_NESTS */

struct epitem {
	struct poll_hook hook;	 /* on the target's poll head */
	struct file_watch watch; /* on the target: its release removes us */
	struct epoll *ep;
	struct file *file; /* not referenced (see watch) */
	int fd;
	uint32_t events; /* interest and EPOLLET/EPOLLONESHOT */
	uint64_t data;
	bool ready;		      /* on the ready list */
	bool disabled;		      /* EPOLLONESHOT reported: until MOD */
	struct epitem *rprev, *rnext; /* ready list */
	struct epitem *hnext;	      /* hash chain */
};

struct epoll {
	struct poll_head ph; /* the epoll file's own readiness */
	struct epitem **hash;
	size_t nbuckets, count;
	struct epitem *rhead, *rtail;
};

static const struct file_ops epoll_ops;

#define EP(f) ((struct epoll *)(f)->priv)
#define CONTAINER(p, type, m) ((type *)((char *)(p)-offsetof(type, m)))

bool file_is_epoll(struct file *f)
{
	return f->ops == &epoll_ops;
}

/* ---- the ready list (any context: wake-ups come from interrupts) ---- */

static void ready_add(struct epitem *it)
{
	struct epoll *ep = it->ep;

	if (it->ready)
		return;
	it->ready = true;
	it->rnext = NULL;
	it->rprev = ep->rtail;
	if (ep->rtail != NULL)
		ep->rtail->rnext = it;
	else
		ep->rhead = it;
	ep->rtail = it;
}

static void ready_del(struct epitem *it)
{
	struct epoll *ep = it->ep;

	if (!it->ready)
		return;
	if (it->rprev != NULL)
		it->rprev->rnext = it->rnext;
	else
		ep->rhead = it->rnext;
	if (it->rnext != NULL)
		it->rnext->rprev = it->rprev;
	else
		ep->rtail = it->rprev;
	it->ready = false;
}

/* A thread sleeps on q and has not been woken yet. */
static bool has_sleeper(const struct wait_queue *q)
{
	for (const struct waiter *w = q->head; w; w = w->next)
		if (w->thread->state == THREAD_BLOCKED)
			return true;
	return false;
}

/*
 * The target's readiness changed (ep_poll_callback). True when it woke a
 * thread in epoll_wait: for an EPOLLEXCLUSIVE item, poll_wake tells the
 * next exclusive item otherwise.
 */
static bool item_wake(struct poll_hook *h, unsigned int events)
{
	struct epitem *it = CONTAINER(h, struct epitem, hook);
	bool sleeper;

	if (it->disabled)
		return false;
	if (events != 0 && !(events & (it->events | EP_ALWAYS)))
		return false;
	sleeper = has_sleeper(&it->ep->ph.wq);
	ready_add(it);
	poll_wake(&it->ep->ph, POLLIN | POLLRDNORM);
	return sleeper;
}

/* ---- items: a hash of (file, fd) ---- */

static size_t bucket(const struct epoll *ep, int fd)
{
	return (size_t)fd & (ep->nbuckets - 1);
}

static struct epitem *item_find(struct epoll *ep, struct file *f, int fd)
{
	struct epitem *it = ep->hash[bucket(ep, fd)];

	while (it != NULL && (it->file != f || it->fd != fd))
		it = it->hnext;
	return it;
}

/* Double the buckets when items outnumber them: 0 or -ENOMEM. */
static int hash_grow(struct epoll *ep)
{
	size_t old = ep->nbuckets;
	struct epitem **h, **oh = ep->hash;

	if (ep->count < old)
		return 0;
	h = kzalloc(old * 2 * sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	ep->hash = h;
	ep->nbuckets = old * 2;
	for (size_t i = 0; i < old; i++) {
		for (struct epitem *it = oh[i], *next; it != NULL; it = next) {
			next = it->hnext;
			it->hnext = h[bucket(ep, it->fd)];
			h[bucket(ep, it->fd)] = it;
		}
	}
	kfree(oh);
	return 0;
}

static void item_free(struct epitem *it)
{
	struct epoll *ep = it->ep;
	struct epitem **pp = &ep->hash[bucket(ep, it->fd)];

	while (*pp != it)
		pp = &(*pp)->hnext;
	*pp = it->hnext;
	ready_del(it);
	poll_hook_remove(&it->hook);
	ep->count--;
	kfree(it);
}

/* The target file's last reference went: drop the item. */
static void item_gone(struct file_watch *w, struct file *f)
{
	(void)f;
	item_free(CONTAINER(w, struct epitem, watch));
}

/* Put it on the ready list when its file is ready now. */
static void item_check(struct epitem *it)
{
	if (file_poll(it->file, it->events) != 0) {
		ready_add(it);
		poll_wake(&it->ep->ph, POLLIN | POLLRDNORM);
	}
}

/* ---- cycles: an epoll inside an epoll inside ... ---- */

static bool ep_reaches(struct epoll *from, struct epoll *to, int depth)
{
	if (from == to)
		return true;
	if (depth >= EP_MAX_NEST)
		return true; /* too deep counts as a loop, as Linux */
	for (size_t i = 0; i < from->nbuckets; i++)
		for (struct epitem *it = from->hash[i]; it; it = it->hnext)
			if (file_is_epoll(it->file) &&
			    ep_reaches(EP(it->file), to, depth + 1))
				return true;
	return false;
}

static int item_add(struct epoll *ep, struct file *f, int fd,
		    const struct epoll_event *ev)
{
	struct epitem *it;

	if (file_is_epoll(f) && ep_reaches(EP(f), ep, 0))
		return -ELOOP;
	if (hash_grow(ep) < 0)
		return -ENOMEM;
	it = kzalloc(sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	it->ep = ep;
	it->file = f;
	it->fd = fd;
	it->events = ev->events;
	it->data = ev->data;
	it->hnext = ep->hash[bucket(ep, fd)];
	ep->hash[bucket(ep, fd)] = it;
	ep->count++;
	it->watch.gone = item_gone;
	file_watch_add(f, &it->watch);
	it->hook.exclusive = (ev->events & EPOLLEXCLUSIVE) != 0;
	poll_hook_add(file_poll_head(f), &it->hook, item_wake);
	item_check(it);
	return 0;
}

int epoll_ctl_file(struct file *epf, int op, struct file *f, int fd,
		   const struct epoll_event *ev)
{
	struct epoll *ep = EP(epf);
	struct epitem *it;

	if (file_poll_head(f) == NULL)
		return -EPERM;
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || file_is_epoll(f) ||
	     (ev->events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR |
			     EPOLLHUP | EPOLLET | EPOLLWAKEUP))))
		return -EINVAL;
	it = item_find(ep, f, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		return it != NULL ? -EEXIST : item_add(ep, f, fd, ev);
	case EPOLL_CTL_MOD:
		if (it == NULL)
			return -ENOENT;
		it->events = ev->events;
		it->data = ev->data;
		it->disabled = false;
		item_check(it);
		return 0;
	case EPOLL_CTL_DEL:
		if (it == NULL)
			return -ENOENT;
		file_watch_remove(f, &it->watch);
		item_free(it);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Report it into out when ready; say whether it stays on the list. */
static bool item_report(struct epitem *it, struct epoll_event *out, int *n)
{
	unsigned int r = file_poll(it->file, it->events & ~EP_FLAGS);

	if (r == 0)
		return false;
	out[*n].events = r;
	out[*n].data = it->data;
	(*n)++;
	if (it->events & EPOLLONESHOT) {
		it->disabled = true;
		return false;
	}
	return !(it->events & EPOLLET);
}

int epoll_collect(struct file *epf, struct epoll_event *out, int max)
{
	struct epoll *ep = EP(epf);
	struct epitem *it, *keep = NULL, *keep_tail = NULL;
	int n = 0;

	while (n < max && (it = ep->rhead) != NULL) {
		ready_del(it);
		if (!item_report(it, out, &n))
			continue;
		/* Level-triggered: back on the list after this pass. */
		it->rnext = NULL;
		if (keep_tail != NULL)
			keep_tail->rnext = it;
		else
			keep = it;
		keep_tail = it;
	}
	while ((it = keep) != NULL) {
		keep = it->rnext;
		ready_add(it);
	}
	return n;
}

/* ---- the epoll file ---- */

static unsigned int epoll_poll(struct file *f, unsigned int events)
{
	(void)events;
	for (struct epitem *it = EP(f)->rhead; it != NULL; it = it->rnext)
		if (file_poll(it->file, it->events & ~EP_FLAGS) != 0)
			return POLLIN | POLLRDNORM;
	return 0;
}

static struct poll_head *epoll_poll_head(struct file *f)
{
	return &EP(f)->ph;
}

static int epoll_fdname(struct file *f, char *buf, size_t size)
{
	(void)f;
	return fmt_snprintf(buf, size, "anon_inode:[eventpoll]");
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = EP(f);

	for (size_t i = 0; i < ep->nbuckets; i++) {
		while (ep->hash[i] != NULL) {
			struct epitem *it = ep->hash[i];

			file_watch_remove(it->file, &it->watch);
			item_free(it);
		}
	}
	kfree(ep->hash);
	kfree(ep);
}

static const struct file_ops epoll_ops = {
	.poll = epoll_poll,
	.poll_head = epoll_poll_head,
	.fdname = epoll_fdname,
	.release = epoll_release,
};

struct file *epoll_file_new(uint32_t flags)
{
	struct epoll *ep = kzalloc(sizeof(*ep));
	struct file *f;

	if (ep == NULL)
		return NULL;
	ep->nbuckets = 16;
	ep->hash = kzalloc(ep->nbuckets * sizeof(*ep->hash));
	f = ep->hash ? file_alloc(&epoll_ops, O_RDWR | flags, ep) : NULL;
	if (f == NULL) {
		kfree(ep->hash);
		kfree(ep);
	}
	return f;
}
