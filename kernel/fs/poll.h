/* poll.h - readiness notification: what pollable files, poll/select and epoll share. */
#ifndef KILN_FS_POLL_H
#define KILN_FS_POLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sched.h"

/*
 * The convention every pollable file follows (pipes, eventfd, timerfd,
 * epoll, the console, sockets later):
 *
 *  1. The file's state lives beside a struct poll_head, which its
 *     file_ops->poll_head hook returns (several files may share one: both
 *     ends of a pipe). A file without the hook never changes readiness.
 *  2. file_ops->poll reports the readiness now (POLLIN, POLLOUT, ...).
 *  3. Whoever changes the readiness - a write, a read that frees space, a
 *     close, a timer - calls poll_wake(head, bits) right after, with the
 *     POLL* bits that may have become true (POLLIN for new data, POLLOUT
 *     for new space, POLLHUP/POLLERR at a close; 0 means "anything").
 *
 * poll_wake wakes every thread sleeping on the head's wait queue (poll,
 * select, blocking read/write, epoll_wait do, and re-check: wake-ups may
 * be spurious) and calls each hook whose interest matches (epoll items).
 * It may be called from interrupts (timers) with interrupts off: hooks
 * must neither sleep nor allocate.
 */
struct poll_head;

struct poll_hook {
	/*
	 * Readiness may have changed; events is poll_wake's bits. True when
	 * it woke a thread for an exclusive hook (see exclusive).
	 */
	bool (*wake)(struct poll_hook *h, unsigned int events);
	/*
	 * EPOLLEXCLUSIVE (epoll_ctl(2)): of the exclusive hooks on a head,
	 * poll_wake calls them in order until one wakes a thread; the rest
	 * are not told. So one connection on a listening socket shared by
	 * several processes wakes one of them, and a busy one is passed over.
	 */
	bool exclusive;
	struct poll_hook *next;
	struct poll_head *head; /* NULL when not attached */
};

struct poll_head {
	struct wait_queue wq;	 /* threads waiting for a change */
	struct poll_hook *hooks; /* epoll items watching */
	/*
	 * Optional: called when a thread or hook starts watching a head
	 * whose readiness changes without anyone calling poll_wake (the
	 * console, which has no input interrupt, starts re-checking then).
	 */
	void (*watched)(struct poll_head *h);
};

/* Wake sleepers and matching hooks (see above). Any context. */
void poll_wake(struct poll_head *h, unsigned int events);

/* Attach hook h (wake function fn) to head; detach it (idempotent). */
void poll_hook_add(struct poll_head *head, struct poll_hook *h,
		   bool (*fn)(struct poll_hook *h, unsigned int events));
void poll_hook_remove(struct poll_hook *h);

/* True when a thread or hook watches h (for heads with `watched`). */
bool poll_head_busy(const struct poll_head *h);

/*
 * One step of a blocking read, write, accept...: the caller loops on its
 * own condition (wake-ups may be spurious) and calls this while the
 * condition is false:
 *
 *     while (!ready(x)) {
 *             err = poll_head_wait(&x->ph, f->flags & O_NONBLOCK, 0);
 *             if (err < 0)
 *                     return err;
 *     }
 *
 * With nonblock it returns -EAGAIN at once. Otherwise it sleeps until
 * poll_wake(ph), deadline_ns (time_ns clock; 0: none) or a signal, and
 * returns 0 (re-check), -EAGAIN (the deadline passed: SO_RCVTIMEO and
 * SO_SNDTIMEO say so on Linux) or -ERESTARTSYS (a signal: the syscall
 * layer restarts the call or makes it -EINTR, per SA_RESTART). A head's
 * `watched` hook is called as poll_wait_on does. Only a thread in a
 * system call may call it (it sleeps; interrupts off, as always in the
 * kernel, and no locks held), and the caller keeps ph alive across the
 * sleep (a file reference: another thread may close the fd).
 */
int poll_head_wait(struct poll_head *ph, bool nonblock, uint64_t deadline_ns);

struct file;

/* The head f's readiness changes are announced on, or NULL. */
struct poll_head *file_poll_head(struct file *f);

/*
 * Readiness of f for events (POLLERR and POLLHUP always count), as the
 * file's poll hook says; files without one are always readable and
 * writable.
 */
unsigned int file_poll(struct file *f, unsigned int events);

/*
 * A thread waiting on many files at once (poll, select, epoll_wait): one
 * waiter per poll head, grown as needed, and a reference on each file so
 * that a close by another thread cannot free a head under the waiter.
 *
 *     struct poll_wait pw = POLL_WAIT_INIT;
 *     ... poll_wait_on(&pw, f) for each file, on the first scan ...
 *     err = poll_wait_sleep(&pw, deadline);   re-scan, loop
 *     poll_wait_end(&pw);
 */
struct poll_wait_slot {
	struct waiter w;
	struct file *file; /* referenced */
};

struct poll_wait {
	struct poll_wait_slot *s;
	size_t n, cap;
	int err; /* -ENOMEM when a waiter could not be added */
};
#define POLL_WAIT_INIT        \
	{                     \
		NULL, 0, 0, 0 \
	}

/* Wait for f's readiness changes too (files without a head: nothing). */
void poll_wait_on(struct poll_wait *pw, struct file *f);
/*
 * Sleep (interruptible) until a head is woken or deadline_ns (time_ns
 * clock; 0: none): 0, -ETIMEDOUT, -EINTR (a signal), -ENOMEM.
 */
int poll_wait_sleep(struct poll_wait *pw, uint64_t deadline_ns);
/* Leave every queue, drop the file references, free the waiters. */
void poll_wait_end(struct poll_wait *pw);

#endif
