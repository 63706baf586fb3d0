/* elf.h - check and read x86_64 ELF executables (the app, and the kernel for `kiln build`). */
#ifndef KILN_LIB_ELF_H
#define KILN_LIB_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Our own ELF64 definitions (System V gABI + x86_64 psABI): the kernel is
 * freestanding and must not depend on the host's <elf.h>.
 */
#define EI_NIDENT 16
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551
#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum,
		e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF header layout");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF program header layout");

/*
 * Errors, the same in all of lib/ (which knows no errno): a function that
 * can fail in several ways returns 0 or a positive code from its header's
 * enum (BUNDLE_E*, ELF_E*, CMDLINE_E*; *_strerror names it where a message
 * needs one). Positive, so it never passes for a -errno: a kernel caller
 * picks its own errno. A yes/no result is a bool; a pointer is NULL when
 * there is none. The only negative result is -1 where a contract names it
 * ("malformed", "absent"), never an errno.
 */

/* What elf_check found out about a valid executable. */
struct elf_info {
	const struct elf64_ehdr *ehdr;
	const struct elf64_phdr *phdr; /* inside the file */
	uint16_t phnum;
	int pie;	    /* ET_DYN: load at a chosen base */
	uint64_t entry;	    /* e_entry (add the base for PIE) */
	uint64_t lo, hi;    /* page-aligned span of all PT_LOADs */
	const char *interp; /* PT_INTERP path (NUL-terminated) or NULL */
	const struct elf64_phdr *tls; /* PT_TLS or NULL */
	int exec_stack;		      /* PT_GNU_STACK has PF_X */
};

/*
 * elf_check: validate an untrusted file image: ELF magic, 64-bit, little-
 * endian, version, x86_64, ET_EXEC or ET_DYN, program headers inside the
 * file, every PT_LOAD with filesz <= memsz, offset+filesz inside the file,
 * vaddr+memsz without overflow and below 2^47, p_align a power of two and
 * (vaddr - offset) % page size == 0, at least one PT_LOAD, entry inside a
 * PF_X PT_LOAD, PT_INTERP NUL-terminated inside the file.
 * A PT_INTERP is NOT an error here: callers decide (the kernel loads the
 * interpreter it names; it refuses one that names another).
 * Returns ELF_OK (0) and fills *info, or an ELF_E* code;
 * elf_strerror gives a one-line reason ("not an ELF file", "32-bit ELF",
 * "not x86_64", "truncated", ...).
 */
enum {
	ELF_OK = 0,
	ELF_ENOTELF = 1,
	ELF_ECLASS = 2, /* not 64-bit */
	ELF_EENDIAN = 3,
	ELF_EMACHINE = 4,
	ELF_ETYPE = 5, /* not EXEC/DYN (e.g. a .o or core) */
	ELF_ETRUNC = 6,
	ELF_ELAYOUT = 7,  /* bad program headers / segments */
	ELF_EDYNAMIC = 8, /* bad dynamic section (elf_dynamic) */
};
int elf_check(const void *file, size_t size, struct elf_info *info);

/*
 * elf_check_object: elf_check for a shared object, whose entry point may
 * be 0 or anywhere (a library is never entered there): the same checks
 * but for the entry one. Same results.
 */
int elf_check_object(const void *file, size_t size, struct elf_info *info);
const char *elf_strerror(int err);

/*
 * elf_describe: elf_strerror(err) with the detail elf_check left in info
 * (info->ehdr is set for every error found after the identification bytes):
 * "not x86_64 (machine 183)". Writes a NUL-terminated line into buf[0..n).
 */
void elf_describe(int err, const struct elf_info *info, char *buf, size_t n);

/* Section headers and symbols (gABI 4.2, 4.4), for elf_symbolize. */
#define SHT_SYMTAB 2
#define STT_FUNC 2

struct elf64_shdr {
	uint32_t sh_name, sh_type;
	uint64_t sh_flags, sh_addr, sh_offset, sh_size;
	uint32_t sh_link, sh_info;
	uint64_t sh_addralign, sh_entsize;
};

struct elf64_sym {
	uint32_t st_name;
	uint8_t st_info, st_other;
	uint16_t st_shndx;
	uint64_t st_value, st_size;
};

_Static_assert(sizeof(struct elf64_shdr) == 64, "ELF section header layout");
_Static_assert(sizeof(struct elf64_sym) == 24, "ELF symbol layout");

/*
 * elf_symbolize: find the function symbol of .symtab containing addr (a
 * link-time address: subtract the load base of a PIE first). Untrusted
 * file (8-aligned); every table is bounds-checked. Returns true and
 * sets *name (NUL-terminated, inside the file) and *off = addr - st_value;
 * false when there is no symbol table or no symbol covers addr. A symbol
 * of size 0 covers addresses up to the next symbol or the end of its
 * section.
 */
bool elf_symbolize(const void *file, size_t size, uint64_t addr,
		   const char **name, uint64_t *off);

/*
 * The dynamic section (gABI 5 "Dynamic Section"), as `kiln build` reads
 * it to find the libraries a program needs.
 */
#define DT_NULL 0
#define DT_NEEDED 1
#define DT_STRTAB 5
#define DT_STRSZ 10
#define DT_SONAME 14
#define DT_RPATH 15
#define DT_RUNPATH 29
/* Most DT_NEEDED entries one object may have (real ones have < 100). */
#define ELF_NEEDED_MAX 256
/* Most dynamic entries read before DT_NULL (real ones have < 100). */
#define ELF_DYN_MAX 4096

struct elf64_dyn {
	int64_t d_tag;
	uint64_t d_val;
};

_Static_assert(sizeof(struct elf64_dyn) == 16, "ELF dynamic entry layout");

/* What elf_dynamic found; every string is NUL-terminated inside the file. */
struct elf_dyn_info {
	const char *soname, *rpath, *runpath; /* NULL when absent */
	const char *needed[ELF_NEEDED_MAX];   /* in DT_NEEDED order */
	uint32_t nneeded;
};

/*
 * elf_dynamic: read the PT_DYNAMIC of a file elf_check or elf_check_object
 * accepted (info is theirs). Untrusted: the section must lie inside the
 * file, DT_STRTAB/DT_STRSZ must name bytes a PT_LOAD maps from the file,
 * every string offset must fall inside that table and its string end
 * there, at most ELF_DYN_MAX entries are read and ELF_NEEDED_MAX
 * DT_NEEDED taken. Returns ELF_OK with *d filled (all empty when there is
 * no PT_DYNAMIC), or ELF_EDYNAMIC / ELF_ETRUNC.
 */
int elf_dynamic(const void *file, size_t size, const struct elf_info *info,
		struct elf_dyn_info *d);

#endif
