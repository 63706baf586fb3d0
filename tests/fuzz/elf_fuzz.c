/* elf_fuzz.c - libFuzzer harness for kernel/lib/elf.c, elf_dyn.c and elf_sym.c: checked, dynamic section read, symbolized. */
#include "fuzz_check.h"

#include "lib/elf.h"

#define USER_TOP (1ull << 47)

/* What elf_check promises about a file it accepts (lib/elf.h). */
static void check_info(const uint8_t *f, size_t size, const struct elf_info *in)
{
	int exec_load = 0;

	FUZZ_CHECK(in->ehdr == (const void *)f);
	FUZZ_CHECK(
		in->phnum > 0 &&
		fuzz_inside(in->phdr, in->phnum * sizeof(*in->phdr), f, size));
	FUZZ_CHECK(in->lo % 4096 == 0 && in->hi % 4096 == 0);
	FUZZ_CHECK(in->lo < in->hi && in->hi <= USER_TOP);
	for (uint16_t i = 0; i < in->phnum; i++) {
		const struct elf64_phdr *ph = &in->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		FUZZ_CHECK(ph->p_filesz <= ph->p_memsz);
		FUZZ_CHECK(ph->p_offset <= size &&
			   ph->p_filesz <= size - ph->p_offset);
		FUZZ_CHECK(ph->p_vaddr >= in->lo &&
			   ph->p_vaddr + ph->p_memsz <= in->hi);
		if ((ph->p_flags & PF_X) && in->entry >= ph->p_vaddr &&
		    in->entry - ph->p_vaddr < ph->p_memsz)
			exec_load = 1;
	}
	FUZZ_CHECK(exec_load);
	if (in->interp) {
		size_t left = size - (size_t)((const uint8_t *)in->interp - f);

		FUZZ_CHECK(fuzz_inside(in->interp, 1, f, size));
		FUZZ_CHECK(memchr(in->interp, '\0', left) != NULL);
	}
	if (in->tls)
		FUZZ_CHECK(in->tls->p_filesz <= in->tls->p_memsz &&
			   fuzz_inside(f + in->tls->p_offset, in->tls->p_filesz,
				       f, size));
}

static void symbolize(const uint8_t *f, size_t size, uint64_t addr)
{
	const char *name = NULL;
	uint64_t off = 0;

	if (!elf_symbolize(f, size, addr, &name, &off))
		return;
	FUZZ_CHECK(name && *name && fuzz_inside(name, 1, f, size));
	FUZZ_CHECK(
		memchr(name, '\0', size - (size_t)((const uint8_t *)name - f)));
	FUZZ_CHECK(off <= addr);
}

/* A string elf_dynamic returned: inside the file, ending there. */
static void check_string(const uint8_t *f, size_t size, const char *s)
{
	if (!s)
		return;
	FUZZ_CHECK(fuzz_inside(s, 1, f, size));
	FUZZ_CHECK(memchr(s, '\0', size - (size_t)((const uint8_t *)s - f)));
}

/* What `kiln build` reads of a library: elf_check_object, elf_dynamic. */
static void dynamic(const uint8_t *f, size_t size)
{
	struct elf_dyn_info *d = malloc(sizeof(*d));
	struct elf_info info;
	int err = elf_check_object(f, size, &info);

	FUZZ_CHECK(err >= ELF_OK && err <= ELF_ELAYOUT);
	if (err == ELF_OK)
		err = elf_dynamic(f, size, &info, d);
	FUZZ_CHECK(err == ELF_OK || err == ELF_ETRUNC || err == ELF_EDYNAMIC ||
		   err <= ELF_ELAYOUT);
	if (err == ELF_OK) {
		FUZZ_CHECK(d->nneeded <= ELF_NEEDED_MAX);
		check_string(f, size, d->soname);
		check_string(f, size, d->rpath);
		check_string(f, size, d->runpath);
		for (uint32_t i = 0; i < d->nneeded; i++) {
			FUZZ_CHECK(d->needed[i] != NULL);
			check_string(f, size, d->needed[i]);
		}
	}
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 0, 1, 12, 80 };
	uint8_t *f = fuzz_copy(data, size);
	struct elf_info info;
	uint64_t probe = 0;
	int err = elf_check(f, size, &info);

	FUZZ_CHECK(err >= ELF_OK && err <= ELF_ELAYOUT);
	if (err == ELF_OK)
		check_info(f, size, &info);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *buf = malloc(sizes[i] ? sizes[i] : 1);

		elf_describe(err, &info, buf, sizes[i]);
		if (sizes[i])
			FUZZ_CHECK(strlen(buf) < sizes[i]);
		free(buf);
	}
	/* Symbolize the entry point and an address the input chose. */
	if (size >= 8)
		memcpy(&probe, f + size - 8, 8);
	if (err == ELF_OK)
		symbolize(f, size, info.entry);
	symbolize(f, size, probe);
	symbolize(f, size, 0x400100);
	dynamic(f, size);
	free(f);
	return 0;
}
