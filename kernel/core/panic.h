/* panic.h - fatal kernel errors: report, backtrace, exit with the panic status. */
#ifndef KILN_CORE_PANIC_H
#define KILN_CORE_PANIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * For broken kernel invariants only, never for bad input. Prints the message
 * and a symbolized backtrace on the kernel log without locks or allocation,
 * then ends the VM with KILN_EXIT_PANIC. A fault during the report ends the
 * VM at once.
 */
_Noreturn void panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Print "#n 0xADDR <sym+off>" lines for the frames from (rip, rbp);
 * rip_exact: rip is where a trap hit (else a return address, like all
 * the frames after it).
 */
void panic_backtrace(uint64_t rip, uint64_t rbp, bool rip_exact);

/*
 * Claim the panic path. Returns 0 the first time; on re-entry (a fault while
 * reporting) it ends the VM immediately and does not return.
 */
void panic_enter(void);

/* Finish a panic report: the kernel offset (KASLR), the exit marker, leave. */
_Noreturn void panic_exit(void);

/* End the VM normally with status (0..255), printing the exit marker. */
_Noreturn void kernel_exit(int status);

#define assert(cond)                                                           \
	do {                                                                   \
		if (!(cond))                                                   \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, \
			      __LINE__);                                       \
	} while (0)

#endif
