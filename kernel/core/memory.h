/* memory.h - bring up the page allocator, Kiln's page tables and the heap. */
#ifndef KILN_CORE_MEMORY_H
#define KILN_CORE_MEMORY_H

/*
 * Hands all RAM from the boot memory map, except the kernel image and the
 * first MiB, to the page allocator; switches to Kiln's page tables; starts
 * the heap. Panics only when there is not enough memory to boot at all.
 */
void memory_init(void);

/*
 * The image's bundle (checked), or NULL: a bare kernel (*err = 0) or a
 * damaged bundle (*err = a BUNDLE_E* code, already reported on the log).
 */
const void *memory_bundle(int *err);

#endif
