/* vdso.h - the vDSO every process gets: clock reads without a system call. */
#ifndef KILN_LINUX_VDSO_H
#define KILN_LINUX_VDSO_H

struct mm;

/*
 * Map the vDSO (read+exec, "[vdso]") and the clock page it reads
 * (read-only, "[vvar]", just below it) at the top of mm's mmap area, and
 * set mm->vdso to the vDSO's ELF header for AT_SYSINFO_EHDR. Call after
 * mm->mmap_top is chosen, before the app's first mmap. 0 or -ENOMEM.
 */
int vdso_map(struct mm *mm);

#endif
