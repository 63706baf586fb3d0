/* elf_dyn.c - read an untrusted ELF file's dynamic section: DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH. */
#include "lib/elf.h"

/* The string table as located in the file. */
struct dyn_strtab {
	const char *base; /* inside the file */
	uint64_t size;
};

/* Index of the one PT_DYNAMIC, or -1 (none), or -2 (more than one). */
static int find_dynamic(const struct elf_info *info)
{
	int found = -1;

	for (uint16_t i = 0; i < info->phnum; i++) {
		if (info->phdr[i].p_type != PT_DYNAMIC)
			continue;
		if (found >= 0)
			return -2;
		found = i;
	}
	return found;
}

/*
 * The file bytes a PT_LOAD maps at [vaddr, vaddr+len): their offset in
 * *off, or false when no single PT_LOAD holds them all in its file part
 * (the loader would see zeros, or nothing, there).
 */
static bool vaddr_to_file(const struct elf_info *info, uint64_t vaddr,
			  uint64_t len, uint64_t *off)
{
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr ||
		    vaddr - ph->p_vaddr > ph->p_filesz ||
		    len > ph->p_filesz - (vaddr - ph->p_vaddr))
			continue;
		/* elf_check put [p_offset, +p_filesz) inside the file. */
		*off = ph->p_offset + (vaddr - ph->p_vaddr);
		return true;
	}
	return false;
}

/* The string at offset in the table, or NULL when it does not end there. */
static const char *dyn_string(const struct dyn_strtab *t, uint64_t offset)
{
	if (offset >= t->size)
		return NULL;
	for (uint64_t i = offset; i < t->size; i++)
		if (t->base[i] == '\0')
			return t->base + offset;
	return NULL;
}

/* Find DT_STRTAB and DT_STRSZ among n entries and locate the table. */
static int find_strtab(const uint8_t *file, const struct elf_info *info,
		       const struct elf64_dyn *dyn, uint64_t n,
		       struct dyn_strtab *t)
{
	uint64_t addr = 0, size = 0, off;
	bool have_addr = false, have_size = false;

	for (uint64_t i = 0; i < n && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB) {
			if (have_addr)
				return ELF_EDYNAMIC;
			addr = dyn[i].d_val;
			have_addr = true;
		} else if (dyn[i].d_tag == DT_STRSZ) {
			if (have_size)
				return ELF_EDYNAMIC;
			size = dyn[i].d_val;
			have_size = true;
		}
	}
	if (!have_addr || !have_size || size == 0)
		return ELF_EDYNAMIC;
	if (!vaddr_to_file(info, addr, size, &off))
		return ELF_EDYNAMIC;
	t->base = (const char *)file + off;
	t->size = size;
	return ELF_OK;
}

/* Record one string-valued entry; repeated SONAME/RPATH/RUNPATH are bad. */
static int take_entry(const struct dyn_strtab *t, const struct elf64_dyn *e,
		      struct elf_dyn_info *d)
{
	const char **slot;
	const char *s;

	switch (e->d_tag) {
	case DT_NEEDED:
		if (d->nneeded == ELF_NEEDED_MAX)
			return ELF_EDYNAMIC;
		slot = &d->needed[d->nneeded++];
		break;
	case DT_SONAME:
		slot = &d->soname;
		break;
	case DT_RPATH:
		slot = &d->rpath;
		break;
	case DT_RUNPATH:
		slot = &d->runpath;
		break;
	default:
		return ELF_OK;
	}
	s = dyn_string(t, e->d_val);
	if (!s || (e->d_tag != DT_NEEDED && *slot))
		return ELF_EDYNAMIC;
	*slot = s;
	return ELF_OK;
}

/*
 * Untrusted input: the PT_DYNAMIC's bytes are checked to lie in the file
 * before an entry is read, at most ELF_DYN_MAX entries are read, the
 * string table is checked against the PT_LOADs before a string is, and
 * every string is checked to end inside the table.
 */
int elf_dynamic(const void *file, size_t size, const struct elf_info *info,
		struct elf_dyn_info *d)
{
	const uint8_t *p = file;
	const struct elf64_phdr *ph;
	const struct elf64_dyn *dyn;
	struct dyn_strtab t;
	uint64_t n;
	int i = find_dynamic(info), err;

	*d = (struct elf_dyn_info){ 0 };
	if (i == -1)
		return ELF_OK;
	if (i < 0)
		return ELF_EDYNAMIC;
	ph = &info->phdr[i];
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return ELF_ETRUNC;
	if (ph->p_offset % 8)
		return ELF_EDYNAMIC;
	dyn = (const struct elf64_dyn *)(p + ph->p_offset);
	n = ph->p_filesz / sizeof(*dyn);
	if (n > ELF_DYN_MAX)
		n = ELF_DYN_MAX;
	err = find_strtab(p, info, dyn, n, &t);
	if (err)
		return err;
	for (uint64_t k = 0; k < n && dyn[k].d_tag != DT_NULL; k++) {
		err = take_entry(&t, &dyn[k], d);
		if (err)
			return err;
	}
	return ELF_OK;
}
