/* poll.c - readiness notification: poll heads, hooks, and waiting on many heads. */
#include "fs/poll.h"

#include <asm-generic/errno.h>
#include <asm/poll.h>

#include "core/heap.h"
#include "fs/vfs.h"
#include "lib/string.h"

/* Bits a watcher always hears about, whatever it asked for. */
#define POLL_ALWAYS (POLLERR | POLLHUP)

void poll_wake(struct poll_head *h, unsigned int events)
{
	struct poll_hook *k, *next;
	bool taken = false;

	wake_up(&h->wq);
	/* A hook may detach itself (EPOLLONESHOT is not one: it stays). */
	for (k = h->hooks; k != NULL; k = next) {
		next = k->next;
		if (k->exclusive && taken)
			continue;
		if (k->wake(k, events) && k->exclusive)
			taken = true;
	}
}

void poll_hook_add(struct poll_head *head, struct poll_hook *h,
		   bool (*fn)(struct poll_hook *h, unsigned int events))
{
	struct poll_hook **pp = &head->hooks;

	h->wake = fn;
	h->head = head;
	/* Exclusive hooks go last, in the order added (Linux's wait queue). */
	if (h->exclusive)
		while (*pp != NULL)
			pp = &(*pp)->next;
	h->next = *pp;
	*pp = h;
	if (head->watched != NULL)
		head->watched(head);
}

void poll_hook_remove(struct poll_hook *h)
{
	struct poll_hook **pp;

	if (h->head == NULL)
		return;
	for (pp = &h->head->hooks; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	h->head = NULL;
	h->next = NULL;
}

bool poll_head_busy(const struct poll_head *h)
{
	return h->wq.head != NULL || h->hooks != NULL;
}

int poll_head_wait(struct poll_head *ph, bool nonblock, uint64_t deadline_ns)
{
	struct waiter w = { 0 };
	int err;

	if (nonblock)
		return -EAGAIN;
	wait_add(&ph->wq, &w);
	if (ph->watched != NULL)
		ph->watched(ph);
	err = sched_sleep(deadline_ns, true);
	wait_remove(&w);
	if (err == -EINTR)
		return -ERESTARTSYS;
	return err == -ETIMEDOUT ? -EAGAIN : 0;
}

struct poll_head *file_poll_head(struct file *f)
{
	if (f->ops == NULL || f->ops->poll_head == NULL)
		return NULL;
	return f->ops->poll_head(f);
}

unsigned int file_poll(struct file *f, unsigned int events)
{
	events |= POLL_ALWAYS;
	if (f->ops == NULL || f->ops->poll == NULL)
		return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
	return f->ops->poll(f, events) & events;
}

/* Room for one more slot: 0 or -ENOMEM (the array moves: re-link). */
static int pw_grow(struct poll_wait *pw)
{
	size_t cap = pw->cap ? pw->cap * 2 : 8;
	struct poll_wait_slot *s;

	if (pw->n < pw->cap)
		return 0;
	s = kmalloc(cap * sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	/* Waiters are queue nodes: leave the queues, move, rejoin. */
	for (size_t i = 0; i < pw->n; i++)
		wait_remove(&pw->s[i].w);
	if (pw->n)
		memcpy(s, pw->s, pw->n * sizeof(*s));
	for (size_t i = 0; i < pw->n; i++)
		wait_add(s[i].w.queue, &s[i].w);
	kfree(pw->s);
	pw->s = s;
	pw->cap = cap;
	return 0;
}

void poll_wait_on(struct poll_wait *pw, struct file *f)
{
	struct poll_head *head = file_poll_head(f);
	struct poll_wait_slot *s;

	if (head == NULL || pw->err)
		return;
	/* The same head twice in a row (both ends of a pipe): once. */
	if (pw->n > 0 && pw->s[pw->n - 1].w.queue == &head->wq)
		return;
	pw->err = pw_grow(pw);
	if (pw->err)
		return;
	s = &pw->s[pw->n++];
	memset(s, 0, sizeof(*s));
	s->file = file_get(f);
	wait_add(&head->wq, &s->w);
	if (head->watched != NULL)
		head->watched(head);
}

int poll_wait_sleep(struct poll_wait *pw, uint64_t deadline_ns)
{
	if (pw->err)
		return pw->err;
	return sched_sleep(deadline_ns, true);
}

void poll_wait_end(struct poll_wait *pw)
{
	for (size_t i = 0; i < pw->n; i++) {
		wait_remove(&pw->s[i].w);
		file_put(pw->s[i].file);
	}
	kfree(pw->s);
	pw->s = NULL;
	pw->n = pw->cap = 0;
}
