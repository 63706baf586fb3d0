/* pipe.h - pipes as files: what fcntl needs to know about them. */
#ifndef KILN_LINUX_PIPE_H
#define KILN_LINUX_PIPE_H

#include <stdbool.h>

#include "fs/vfs.h"

/* True when f is either end of a pipe. */
bool file_is_pipe(struct file *f);

/*
 * fcntl F_GETPIPE_SZ (the capacity) and F_SETPIPE_SZ (arg rounded up to a
 * power of two of at least a page): the new size, -EPERM above 1 MiB,
 * -EBUSY when the data does not fit, -ENOMEM. f must be a pipe.
 */
long pipe_fcntl(struct file *f, int cmd, unsigned long arg);

/*
 * The pipe machinery for splice, tee and vmsplice (sys_splice.c). Callers
 * are syscalls; nothing else runs between a wait and what follows it
 * unless the caller sleeps.
 */
struct pipe;

/* The pipe f is an end of, or NULL. */
struct pipe *pipe_of_file(struct file *f);

/*
 * Wait for data: the bytes waiting (> 0), 0 when empty with no writer
 * left, -EAGAIN (nonblock), -ERESTARTSYS (a signal).
 */
long pipe_wait_data(struct pipe *p, bool nonblock);

/*
 * Wait for room: the bytes free (> 0), -EPIPE with SIGPIPE raised when no
 * reader is left, -EAGAIN (nonblock), -ERESTARTSYS.
 */
long pipe_wait_room(struct pipe *p, bool nonblock);

/* Bytes that fit now without waiting (0 when no reader is left). */
uint32_t pipe_free(const struct pipe *p);

/* Copy up to n bytes from the front without taking them: bytes copied. */
uint32_t pipe_peek(struct pipe *p, void *buf, uint32_t n);
/* Take n bytes (at most what waits) from the front; wakes writers. */
void pipe_consume(struct pipe *p, uint32_t n);
/* Add up to n bytes (what fits); wakes readers. Returns bytes added. */
uint32_t pipe_append(struct pipe *p, const void *buf, uint32_t n);

#endif
