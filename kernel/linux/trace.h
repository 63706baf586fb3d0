/* trace.h - strace-style syscall tracing on the kernel log (kiln run --trace). */
#ifndef KILN_LINUX_TRACE_H
#define KILN_LINUX_TRACE_H

#include <stdint.h>

/* Called around every syscall when current->trace is set. */
void trace_syscall_enter(uint64_t nr, const uint64_t args[6]);
void trace_syscall_exit(uint64_t nr, const uint64_t args[6], long ret);

#endif
