/* aslr.h - where a new program's stack, mmap area, heap and PIE image go. */
#ifndef KILN_LINUX_ASLR_H
#define KILN_LINUX_ASLR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Linux x86_64's layout and its randomization (randomize_va_space=2),
 * drawn from core/random.c. Page-granular entropy of each region:
 *
 *   stack top    22 bits (16 GiB below USER_TOP) + a sub-page offset
 *   mmap_top     28 bits (1 TiB below the stack's lowest possible end)
 *   PIE base     28 bits (1 TiB above ELF_ET_DYN_BASE), less when a
 *                segment asks for an alignment above a page
 *   brk start    18 bits (1 GiB after the end of the program)
 *
 * Every value lies between MM_BOTTOM and USER_TOP, the regions never
 * overlap whatever the draws: the PIE span ends below 0x5656'0000'0000
 * (for programs < 4 GiB) and mmap_top is above 0x7efb'0000'0000, so the
 * heap and the mmap area have 40 TiB between them.
 */
#define ASLR_STACK_SIZE (8UL << 20) /* RLIMIT_STACK's default, 8 MiB */

/* Page-aligned end of the main stack's area. */
uintptr_t aslr_stack_top(void);

/*
 * Bytes to leave unused below the argument strings at the stack's top
 * (Linux's arch_align_stack: up to 8 KiB, a multiple of 16).
 */
size_t aslr_stack_offset(void);

/* Where mmap's top-down search starts (page-aligned). */
uintptr_t aslr_mmap_top(void);

/*
 * The limits within which the regions above can never meet: a
 * position-independent program spans less than ASLR_PIE_SPAN_MAX and
 * asks for no segment alignment above ASLR_PIE_ALIGN_MAX (exec refuses
 * others).
 */
#define ASLR_PIE_SPAN_MAX (4UL << 30)
#define ASLR_PIE_ALIGN_MAX (1UL << 30)

/*
 * Load bias for a position-independent program whose lowest PT_LOAD page
 * is linked at lo: the image then starts at ELF_ET_DYN_BASE plus random
 * pages, rounded down to align (a power of two, a page up to
 * ASLR_PIE_ALIGN_MAX). Added to link addresses modulo 2^64.
 */
uint64_t aslr_pie_bias(uint64_t lo, uint64_t align);

/* The program break's start: a random page in the 1 GiB after end. */
uintptr_t aslr_brk_start(uintptr_t end);

/*
 * Where an ELF interpreter (PT_INTERP) whose PT_LOADs span span bytes
 * starts: as on Linux, it is mapped like an mmap without a hint, the
 * highest free gap below mm->mmap_top (set first), and so inherits the
 * mmap area's 28 bits. align (a power of two, a page up to
 * ASLR_PIE_ALIGN_MAX) is honoured. 0 when no gap is large enough.
 */
struct mm;
uintptr_t aslr_interp_start(struct mm *mm, uint64_t span, uint64_t align);

#endif
