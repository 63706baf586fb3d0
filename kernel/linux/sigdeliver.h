/* sigdeliver.h - Linux signals: sending, delivery to handlers, default actions. */
#ifndef KILN_LINUX_SIGDELIVER_H
#define KILN_LINUX_SIGDELIVER_H

#include <stdint.h>

#include "arch.h"

struct thread;

/*
 * Called on every return to user mode with the frame about to be resumed
 * (after a syscall: f->vector == TRAP_SYSCALL and f->rax holds the result,
 * possibly -ERESTARTSYS; after an interrupt or exception: any vector).
 * Settles -ERESTARTSYS (restart the call or make it -EINTR) and delivers
 * one pending unblocked signal: a handler frame on the user stack, or the
 * default action (which may end the process).
 */
void signal_return_to_user(struct trap_frame *f);

/*
 * A synchronous fault in user code (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP) with its si_code and faulting address: delivered at once to the
 * handler when one is installed and the signal is not blocked, else the
 * process dies with the kernel log lines `kiln run` reports.
 */
void signal_fault(struct trap_frame *f, int sig, int code, uint64_t addr);

/* Queue sig for thread t (tgkill) or the process (kill); wakes a sleeper. */
void signal_send_thread(struct thread *t, int sig);
void signal_send_process(int sig);

#endif
