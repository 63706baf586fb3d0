/* elf_sym.c - map an address to a function symbol of an untrusted ELF's .symtab. */
#include "lib/elf.h"

/* A table of n entries of entsize bytes at offset, inside the file and 8-aligned. */
static int table_ok(uint64_t offset, uint64_t n, uint64_t entsize, size_t size)
{
	if (offset > size || offset % 8 || entsize == 0)
		return 0;
	return n <= (size - offset) / entsize;
}

/* The section header table, or NULL; *shnum set. */
static const struct elf64_shdr *section_table(const uint8_t *p, size_t size,
					      uint16_t *shnum)
{
	const struct elf64_ehdr *eh = (const struct elf64_ehdr *)p;

	if (size < sizeof(*eh) || p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' ||
	    p[3] != 'F' || p[4] != 2)
		return NULL;
	if (eh->e_shentsize != sizeof(struct elf64_shdr) || eh->e_shnum == 0 ||
	    !table_ok(eh->e_shoff, eh->e_shnum, sizeof(struct elf64_shdr),
		      size))
		return NULL;
	*shnum = eh->e_shnum;
	return (const struct elf64_shdr *)(p + eh->e_shoff);
}

/* Name of sym in the string table [str, str+strsize), or NULL if malformed. */
static const char *sym_name(const char *str, uint64_t strsize,
			    const struct elf64_sym *sym)
{
	for (uint64_t i = sym->st_name; i < strsize; i++)
		if (str[i] == '\0')
			return str + sym->st_name;
	return NULL;
}

/*
 * sym is a defined function that may contain addr: inside its size, or
 * for a size-0 symbol, inside its section (sh[0..shnum)).
 */
static int covers(const struct elf64_sym *sym, uint64_t addr,
		  const struct elf64_shdr *sh, uint16_t shnum)
{
	const struct elf64_shdr *sec;

	if ((sym->st_info & 0xf) != STT_FUNC || sym->st_shndx == 0 ||
	    sym->st_shndx >= shnum || sym->st_value > addr)
		return 0;
	if (sym->st_size)
		return addr - sym->st_value < sym->st_size;
	sec = &sh[sym->st_shndx];
	return addr >= sec->sh_addr && addr - sec->sh_addr < sec->sh_size;
}

/* Best symbol of one SHT_SYMTAB section; updates *best and *best_name. */
static void scan_symtab(const uint8_t *p, size_t size,
			const struct elf64_shdr *shdrs, uint16_t shnum,
			const struct elf64_shdr *sh, uint64_t addr,
			const struct elf64_sym **best, const char **best_name)
{
	const struct elf64_shdr *str = &shdrs[sh->sh_link];
	uint64_t n = sh->sh_size / sizeof(struct elf64_sym);
	const struct elf64_sym *syms;
	const char *strtab;

	if (sh->sh_entsize != sizeof(struct elf64_sym) ||
	    !table_ok(sh->sh_offset, n, sizeof(struct elf64_sym), size) ||
	    str->sh_offset > size || str->sh_size > size - str->sh_offset)
		return;
	syms = (const struct elf64_sym *)(p + sh->sh_offset);
	strtab = (const char *)p + str->sh_offset;
	for (uint64_t i = 0; i < n; i++) {
		const char *name;

		if (!covers(&syms[i], addr, shdrs, shnum))
			continue;
		if (*best && (*best)->st_value > syms[i].st_value)
			continue;
		/* At equal addresses prefer a sized symbol over a label. */
		if (*best && (*best)->st_value == syms[i].st_value &&
		    (*best)->st_size && !syms[i].st_size)
			continue;
		name = sym_name(strtab, str->sh_size, &syms[i]);
		if (name && *name) {
			*best = &syms[i];
			*best_name = name;
		}
	}
}

bool elf_symbolize(const void *file, size_t size, uint64_t addr,
		   const char **name, uint64_t *off)
{
	const uint8_t *p = file;
	const struct elf64_shdr *sh;
	const struct elf64_sym *best = NULL;
	const char *best_name = NULL;
	uint16_t shnum = 0;

	sh = section_table(p, size, &shnum);
	if (!sh)
		return false;
	for (uint16_t i = 0; i < shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= shnum)
			continue;
		scan_symtab(p, size, sh, shnum, &sh[i], addr, &best,
			    &best_name);
	}
	if (!best)
		return false;
	*name = best_name;
	*off = addr - best->st_value;
	return true;
}
