/* vdso.c - map the vDSO and its [vvar] page into a new process. */
#include "linux/vdso.h"

#include <asm-generic/errno.h>
#include <asm-generic/mman-common.h>

#include "core/clock.h"
#include "core/page.h"
#include "linux/mm.h"

/* The shared object built from kernel/linux/vdso/ (vdso_image.S). */
extern const char vdso_image[], vdso_image_end[];

/*
 * Linux (since 6.x) takes the vDSO's place from the mmap area like any
 * mmap without a hint, so it moves with mmap_top's 28 random bits:
 *
 *   base              [vvar]  one page, the kernel's, read-only
 *   base + 4096       [vdso]  the image, read+exec, a private copy
 *   ...               mmap_top (the app's first mmap goes below base)
 *
 * The vDSO finds [vvar] as the page just below itself (vdso.lds). Its
 * code is copied rather than shared, so mprotect may make it writable
 * (a debugger's breakpoint) without touching anyone else's.
 */
int vdso_map(struct mm *mm)
{
	size_t size = (size_t)(vdso_image_end - vdso_image);
	size_t len = page_up(size);
	uintptr_t base = mm_find_free(mm, PAGE_SIZE + len);
	int err;

	if (!base)
		return -ENOMEM;
	err = mm_map_kernel_page(mm, base, clock_vvar_phys(), "[vvar]");
	if (err)
		return err;
	err = mm_map(mm, base + PAGE_SIZE, len, PROT_READ | PROT_EXEC, VMA_FILE,
		     "[vdso]", 0);
	if (!err)
		err = mm_fill(mm, base + PAGE_SIZE, vdso_image, size);
	if (err) {
		mm_unmap(mm, base, PAGE_SIZE + len);
		return err;
	}
	mm->vdso = base + PAGE_SIZE;
	return 0;
}
