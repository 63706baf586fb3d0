/* eventfd.c - eventfd objects: a 64-bit counter to signal between threads; eventfd, eventfd2. */
#include <asm-generic/errno.h>
#include <asm/poll.h>
#include <linux/fcntl.h>

#include "core/heap.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/syscall.h"

/*
 * eventfd(2): reads take the counter (or 1 of it with EFD_SEMAPHORE) and
 * wait while it is 0; writes add to it and wait while the sum would pass
 * 0xfffffffffffffffe. Both move exactly 8 bytes. The flags are Linux's
 * (linux/eventfd.h is not among the UAPI headers).
 */
#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC O_CLOEXEC
#define EFD_NONBLOCK O_NONBLOCK
#define EFD_MAX (UINT64_MAX - 1)

struct eventfd {
	struct poll_head ph;
	uint64_t count;
	bool semaphore;
};

static long efd_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int err;

	(void)pos;
	if (n < sizeof(v))
		return -EINVAL;
	while (e->count == 0) {
		err = poll_head_wait(&e->ph, f->flags & O_NONBLOCK, 0);
		if (err < 0)
			return err;
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, sizeof(v));
	poll_wake(&e->ph, POLLOUT | POLLWRNORM);
	return sizeof(v);
}

static long efd_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int err;

	(void)pos;
	if (n < sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	while (EFD_MAX - e->count < v) {
		err = poll_head_wait(&e->ph, f->flags & O_NONBLOCK, 0);
		if (err < 0)
			return err;
	}
	e->count += v;
	if (e->count > 0)
		poll_wake(&e->ph, POLLIN | POLLRDNORM);
	return sizeof(v);
}

static unsigned int efd_poll(struct file *f, unsigned int events)
{
	struct eventfd *e = f->priv;
	unsigned int ready = 0;

	(void)events;
	if (e->count > 0)
		ready |= POLLIN | POLLRDNORM;
	if (e->count < EFD_MAX)
		ready |= POLLOUT | POLLWRNORM;
	return ready;
}

static struct poll_head *efd_poll_head(struct file *f)
{
	return &((struct eventfd *)f->priv)->ph;
}

static int efd_fdname(struct file *f, char *buf, size_t size)
{
	(void)f;
	return fmt_snprintf(buf, size, "anon_inode:[eventfd]");
}

static void efd_release(struct file *f)
{
	kfree(f->priv);
}

static const struct file_ops eventfd_ops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.poll_head = efd_poll_head,
	.fdname = efd_fdname,
	.release = efd_release,
};

long sys_eventfd2(unsigned int initval, int flags)
{
	struct eventfd *e;
	struct file *f;
	int fd;

	if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
		return -EINVAL;
	e = kzalloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	f = file_alloc(&eventfd_ops, O_RDWR | (flags & EFD_NONBLOCK), e);
	if (f == NULL) {
		kfree(e);
		return -ENOMEM;
	}
	fd = fd_install(current, f, 0, flags & EFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
SYSCALL2(eventfd2);

long sys_eventfd(unsigned int initval)
{
	return sys_eventfd2(initval, 0);
}
SYSCALL1(eventfd);
