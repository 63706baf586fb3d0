/* ksyms.h - the kernel's own symbol table, embedded at build time. */
#ifndef KILN_CORE_KSYMS_H
#define KILN_CORE_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest name ksyms_format prints; longer ones are cut. */
#define KSYMS_NAME_MAX 64

/*
 * Name of the function containing addr into name[size] (NUL-terminated,
 * cut to fit), and addr's offset into it; false when addr is outside the
 * kernel's text. Lock-free and allocation-free, so fault handlers may
 * use it.
 */
bool ksyms_lookup(uint64_t addr, char *name, size_t size, uint64_t *offset);

/* "<name+0xoff>" or "<?>" into buf (always NUL-terminated). */
void ksyms_format(uint64_t addr, char *buf, size_t size);
/*
 * The same for addr as a return address (ret): named by the call before
 * it, since a call to a _Noreturn function may end its caller, leaving
 * the return address at the first byte of the next function.
 */
void ksyms_format_return(uint64_t addr, bool ret, char *buf, size_t size);

#endif
