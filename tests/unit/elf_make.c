/* elf_make.c - build the small ELF files elf_make.h describes. */
#include <string.h>

#include "elf_make.h"
#include "lib/elf.h"

struct maker {
	uint8_t *buf;
	struct elf64_dyn *dyn;
	size_t str;
	int ndyn;
};

static void put_dyn(struct maker *m, int64_t tag, uint64_t val)
{
	m->dyn[m->ndyn++] = (struct elf64_dyn){ .d_tag = tag, .d_val = val };
}

/* Add s to the string table and a tag entry pointing at it. */
static void put_str(struct maker *m, int64_t tag, const char *s)
{
	size_t len = strlen(s) + 1;

	memcpy(m->buf + ELF_MAKE_STR + m->str, s, len);
	put_dyn(m, tag, m->str);
	m->str += len;
}

size_t elf_make(const struct elf_spec *spec, uint8_t *buf, int *ndyn)
{
	struct elf64_ehdr *eh = (struct elf64_ehdr *)buf;
	struct elf64_phdr *ph = (struct elf64_phdr *)(buf + ELF_MAKE_PH);
	struct maker m = { .buf = buf,
			   .dyn = (struct elf64_dyn *)(buf + ELF_MAKE_DYN),
			   .str = 1 };
	size_t size;

	memset(buf, 0, ELF_MAKE_SIZE);
	memcpy(eh->e_ident,
	       "\x7f"
	       "ELF",
	       4);
	eh->e_ident[4] = spec->elf32 ? 1 : 2;
	eh->e_ident[5] = 1;
	eh->e_ident[6] = 1;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = 1;
	eh->e_phoff = ELF_MAKE_PH;
	eh->e_ehsize = 64;
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 3;
	if (spec->soname)
		put_str(&m, DT_SONAME, spec->soname);
	if (spec->rpath)
		put_str(&m, DT_RPATH, spec->rpath);
	if (spec->runpath)
		put_str(&m, DT_RUNPATH, spec->runpath);
	for (int i = 0; spec->needed[i]; i++)
		put_str(&m, DT_NEEDED, spec->needed[i]);
	put_dyn(&m, DT_STRTAB, ELF_MAKE_STR);
	put_dyn(&m, DT_STRSZ, m.str);
	*ndyn = m.ndyn;
	put_dyn(&m, DT_NULL, 0);
	size = ELF_MAKE_STR + m.str;
	ph[0] = (struct elf64_phdr){ .p_type = PT_LOAD,
				     .p_flags = PF_R,
				     .p_filesz = size,
				     .p_memsz = size,
				     .p_align = 4096 };
	ph[1] = (struct elf64_phdr){ .p_type = PT_DYNAMIC,
				     .p_flags = PF_R,
				     .p_offset = ELF_MAKE_DYN,
				     .p_vaddr = ELF_MAKE_DYN,
				     .p_filesz = 16 * (size_t)m.ndyn,
				     .p_memsz = 16 * (size_t)m.ndyn,
				     .p_align = 8 };
	if (spec->interp) {
		strcpy((char *)buf + ELF_MAKE_INTERP, spec->interp);
		ph[2] = (struct elf64_phdr){
			.p_type = PT_INTERP,
			.p_flags = PF_R,
			.p_offset = ELF_MAKE_INTERP,
			.p_vaddr = ELF_MAKE_INTERP,
			.p_filesz = strlen(spec->interp) + 1,
			.p_memsz = strlen(spec->interp) + 1,
			.p_align = 1
		};
	}
	return size;
}
