/* sys_poll.h - what poll, select and epoll_wait share: deadlines and temporary signal masks. */
#ifndef KILN_LINUX_SYS_POLL_H
#define KILN_LINUX_SYS_POLL_H

#include <stddef.h>
#include <stdint.h>

#include "fs/poll.h"

/* A deadline (time_ns clock) that never comes: wait without a timeout. */
#define POLL_FOREVER UINT64_MAX

/* Deadline from a relative __kernel_timespec (0: none): 0, -EFAULT, -EINVAL. */
int poll_ts_deadline(uintptr_t uts, uint64_t *deadline);

/* Deadline from milliseconds (negative: forever). */
uint64_t poll_ms_deadline(int timeout_ms);

/* poll_wait_sleep with POLL_FOREVER meaning no deadline. */
int poll_sleep(struct poll_wait *pw, uint64_t deadline);

/*
 * The loop poll and select share: scan(ctx, pw) returns how many files
 * are ready, registering waiters when pw is not NULL (the first pass).
 * Between scans, sleep until a file changes, the deadline or a signal.
 * Returns the count, 0 when the deadline passed, -EINTR or -ENOMEM.
 */
int poll_scan_loop(uint64_t deadline,
		   int (*scan)(void *ctx, struct poll_wait *pw), void *ctx);

/*
 * The sigmask argument of ppoll, pselect6 and epoll_pwait: when umask is
 * not 0, read it (size must be 8: else -EINVAL; -EFAULT) and make it the
 * thread's mask until poll_sigmask_restore(*saved, the call's result):
 * at once, or after the signal's handler ran when the call ends -EINTR
 * (the handler of a signal only the temporary mask lets in runs).
 */
int poll_sigmask_set(uintptr_t umask, size_t size, uint64_t *saved);
void poll_sigmask_restore(uint64_t saved, long ret);

#endif
