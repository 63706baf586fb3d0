/* elf_make.h - hand-made ELF shared objects and programs for the unit tests of elf_dynamic and the closure. */
#ifndef KILN_TESTS_ELF_MAKE_H
#define KILN_TESTS_ELF_MAKE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The layout elf_make writes (byte offsets), one PT_LOAD (R, vaddr =
 * offset) over all of it:
 *   0     ELF header
 *   64    program headers: [0] PT_LOAD, [1] PT_DYNAMIC, [2] PT_INTERP
 *         (PT_NULL without an interpreter)
 *   232   interpreter path (64 bytes)
 *   296   dynamic entries (ELF_MAKE_DYN_MAX of 16 bytes)
 *   808   string table (at most 1024 bytes)
 */
#define ELF_MAKE_PH 64
#define ELF_MAKE_INTERP 232
#define ELF_MAKE_DYN 296
#define ELF_MAKE_DYN_MAX 32
#define ELF_MAKE_STR 808
#define ELF_MAKE_SIZE (ELF_MAKE_STR + 1024)

struct elf_spec {
	const char *interp;	     /* PT_INTERP, or NULL */
	const char *soname;	     /* DT_SONAME, or NULL */
	const char *rpath, *runpath; /* or NULL */
	const char *needed[8];	     /* DT_NEEDED names, NULL-terminated */
	int elf32;		     /* EI_CLASS 1: a 32-bit file */
};

/*
 * Write the file for spec into buf (ELF_MAKE_SIZE bytes, 8-aligned) and
 * return its size (which ends with the string table). *ndyn gets the
 * index of the DT_NULL entry.
 */
size_t elf_make(const struct elf_spec *spec, uint8_t *buf, int *ndyn);

#endif
