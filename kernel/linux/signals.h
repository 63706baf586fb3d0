/* signals.h - raising a signal on the process from inside the kernel. */
#ifndef KILN_LINUX_SIGNALS_H
#define KILN_LINUX_SIGNALS_H

/*
 * Make signal sig (1..64) pending on the process and act on it now when
 * it is not blocked: a default action that terminates ends the process
 * through proc_exit (does not return); an ignored signal is dropped. A
 * signal with a handler stays pending: running handlers arrives with the
 * signals issue. Called from syscall context (e.g. SIGPIPE from write).
 */
void signal_raise(int sig);

/* Act on every pending, unblocked signal as signal_raise does. */
void signal_check_pending(void);

#endif
