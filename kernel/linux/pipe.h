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

#endif
