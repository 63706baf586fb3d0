/* epoll.h - epoll instances: registered files, the ready list, collecting events. */
#ifndef KILN_LINUX_EPOLL_H
#define KILN_LINUX_EPOLL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/eventpoll.h>

#include "fs/vfs.h"

/*
 * An epoll instance is a file (anon_inode:[eventpoll]) holding items
 * keyed by (file, fd), as Linux does. Each item hooks the target's poll
 * head (fs/poll.h): a wake-up whose bits match the item's interest puts
 * it on the ready list, so epoll_wait looks only at items that changed,
 * never at every registered file. Level-triggered items stay on the list
 * while ready; EPOLLET items leave it when reported and come back at the
 * next wake-up; EPOLLONESHOT items are disabled until EPOLL_CTL_MOD.
 * Closing the last reference to a target file removes its items.
 */

/* A new epoll file (refs 1) with O_RDWR | flags; NULL when out of memory. */
struct file *epoll_file_new(uint32_t flags);

/* True when f is an epoll instance. */
bool file_is_epoll(struct file *f);

/*
 * EPOLL_CTL_ADD/MOD/DEL of (target, fd) in epoll file ep with ev (ignored
 * for DEL). 0, -EEXIST, -ENOENT, -EPERM (target cannot be polled),
 * -EINVAL (bad events), -ELOOP (an epoll cycle), -ENOMEM.
 */
int epoll_ctl_file(struct file *ep, int op, struct file *target, int fd,
		   const struct epoll_event *ev);

/*
 * Move up to max ready events of ep into out: the count (0 when none).
 * Never sleeps; callers wait on the epoll file's poll head between tries.
 */
int epoll_collect(struct file *ep, struct epoll_event *out, int max);

#endif
