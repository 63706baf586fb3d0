/* elf.c - validate an untrusted x86_64 ELF executable (portable: kernel and host). */
#include "lib/elf.h"

/* e_ident bytes (gABI 4.1 "ELF Identification"). */
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define PN_XNUM 0xffff

#define ELF_PAGE 4096ull
#define ELF_USER_TOP (1ull << 47) /* x86_64 canonical lower half */

static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

/* True when the first min(size, 4) bytes are the ELF magic. */
static int magic_prefix(const uint8_t *p, size_t size)
{
	for (size_t i = 0; i < 4 && i < size; i++)
		if (p[i] != elf_magic[i])
			return 0;
	return 1;
}

/* e_ident and the fixed header fields. */
static int check_ident(const uint8_t *p, size_t size)
{
	if (size < 4)
		return size && magic_prefix(p, size) ? ELF_ETRUNC : ELF_ENOTELF;
	if (!magic_prefix(p, size))
		return ELF_ENOTELF;
	if (size < EI_NIDENT)
		return ELF_ETRUNC;
	if (p[EI_CLASS] != ELFCLASS64)
		return ELF_ECLASS;
	if (p[EI_DATA] != ELFDATA2LSB)
		return ELF_EENDIAN;
	if (p[EI_VERSION] != EV_CURRENT)
		return ELF_ENOTELF;
	if (size < sizeof(struct elf64_ehdr))
		return ELF_ETRUNC;
	return ELF_OK;
}

static int check_ehdr(const struct elf64_ehdr *eh, size_t size)
{
	if (eh->e_machine != EM_X86_64)
		return ELF_EMACHINE;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return ELF_ETYPE;
	if (eh->e_version != EV_CURRENT)
		return ELF_ENOTELF;
	if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum == PN_XNUM || eh->e_phoff % 8)
		return ELF_ELAYOUT;
	if (eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(struct elf64_phdr) < eh->e_phnum)
		return ELF_ETRUNC;
	return ELF_OK;
}

/* p_align is 0, 1 or a power of two (gABI "Program Header"). */
static int align_ok(uint64_t a)
{
	return (a & (a - 1)) == 0;
}

/* The file bytes [offset, offset+filesz) exist. */
static int in_file(const struct elf64_phdr *ph, size_t size)
{
	return ph->p_offset <= size && ph->p_filesz <= size - ph->p_offset;
}

static int check_load(const struct elf64_phdr *ph, size_t size)
{
	if (ph->p_filesz > ph->p_memsz || !align_ok(ph->p_align))
		return ELF_ELAYOUT;
	if (!in_file(ph, size))
		return ELF_ETRUNC;
	if (ph->p_vaddr >= ELF_USER_TOP ||
	    ph->p_memsz > ELF_USER_TOP - ph->p_vaddr)
		return ELF_ELAYOUT;
	if ((ph->p_vaddr - ph->p_offset) % ELF_PAGE)
		return ELF_ELAYOUT;
	return ELF_OK;
}

static int check_interp(const uint8_t *file, const struct elf64_phdr *ph,
			size_t size, struct elf_info *info)
{
	if (!in_file(ph, size))
		return ELF_ETRUNC;
	if (ph->p_filesz == 0 || file[ph->p_offset + ph->p_filesz - 1] != '\0')
		return ELF_ELAYOUT;
	info->interp = (const char *)file + ph->p_offset;
	return ELF_OK;
}

static int check_tls(const struct elf64_phdr *ph, size_t size,
		     struct elf_info *info)
{
	if (ph->p_filesz > ph->p_memsz || !align_ok(ph->p_align))
		return ELF_ELAYOUT;
	if (!in_file(ph, size))
		return ELF_ETRUNC;
	info->tls = ph;
	return ELF_OK;
}

/* Check one program header and fold it into info. */
static int check_phdr(const uint8_t *file, const struct elf64_phdr *ph,
		      size_t size, struct elf_info *info)
{
	int err;

	switch (ph->p_type) {
	case PT_LOAD:
		err = check_load(ph, size);
		if (err)
			return err;
		if (ph->p_vaddr / ELF_PAGE * ELF_PAGE < info->lo)
			info->lo = ph->p_vaddr / ELF_PAGE * ELF_PAGE;
		if (ph->p_vaddr + ph->p_memsz > info->hi)
			info->hi = ph->p_vaddr + ph->p_memsz;
		return ELF_OK;
	case PT_INTERP:
		return info->interp ? ELF_ELAYOUT :
				      check_interp(file, ph, size, info);
	case PT_TLS:
		return info->tls ? ELF_ELAYOUT : check_tls(ph, size, info);
	case PT_GNU_STACK:
		info->exec_stack = (ph->p_flags & PF_X) != 0;
		return ELF_OK;
	default:
		return ELF_OK;
	}
}

/* The entry point lies inside an executable PT_LOAD. */
static int entry_ok(const struct elf_info *info)
{
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) &&
		    info->entry >= ph->p_vaddr &&
		    info->entry - ph->p_vaddr < ph->p_memsz)
			return 1;
	}
	return 0;
}

/*
 * Untrusted input: the header is checked before the program header table
 * is located, the table before any entry is read, and every segment's
 * bytes before they are pointed at. file should be 8-byte aligned: the
 * headers are read in place. On ELF_EMACHINE and ELF_ETYPE, info->ehdr is
 * set so a caller can name the machine or type it refused.
 */
static int elf_parse(const void *file, size_t size, struct elf_info *info,
		     bool need_entry)
{
	const uint8_t *p = file;
	const struct elf64_ehdr *eh = file;
	int err;

	*info = (struct elf_info){ 0 };
	err = check_ident(p, size);
	if (err)
		return err;
	info->ehdr = eh;
	err = check_ehdr(eh, size);
	if (err)
		return err;
	info->phdr = (const struct elf64_phdr *)(p + eh->e_phoff);
	info->phnum = eh->e_phnum;
	info->pie = eh->e_type == ET_DYN;
	info->entry = eh->e_entry;
	info->lo = ELF_USER_TOP;
	for (uint16_t i = 0; i < info->phnum; i++) {
		err = check_phdr(p, &info->phdr[i], size, info);
		if (err)
			return err;
	}
	if (info->lo == ELF_USER_TOP || (need_entry && !entry_ok(info)))
		return ELF_ELAYOUT;
	info->hi = (info->hi + ELF_PAGE - 1) / ELF_PAGE * ELF_PAGE;
	return ELF_OK;
}

int elf_check(const void *file, size_t size, struct elf_info *info)
{
	return elf_parse(file, size, info, true);
}

int elf_check_object(const void *file, size_t size, struct elf_info *info)
{
	return elf_parse(file, size, info, false);
}

const char *elf_strerror(int err)
{
	switch (err) {
	case ELF_OK:
		return "valid ELF executable";
	case ELF_ENOTELF:
		return "not an ELF file";
	case ELF_ECLASS:
		return "32-bit ELF";
	case ELF_EENDIAN:
		return "big-endian ELF";
	case ELF_EMACHINE:
		return "not x86_64";
	case ELF_ETYPE:
		return "not an executable (relocatable object or core file)";
	case ELF_ETRUNC:
		return "truncated";
	case ELF_ELAYOUT:
		return "bad program headers";
	case ELF_EDYNAMIC:
		return "bad dynamic section";
	default:
		return "unknown ELF error";
	}
}

/* Append s to buf[*at..n), keeping a NUL; returns nothing, truncates. */
static void put_str(char *buf, size_t n, size_t *at, const char *s)
{
	while (*s && *at + 1 < n)
		buf[(*at)++] = *s++;
	if (n)
		buf[*at < n ? *at : n - 1] = '\0';
}

static void put_uint(char *buf, size_t n, size_t *at, unsigned v)
{
	char tmp[12];
	int i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	put_str(buf, n, at, tmp + i);
}

void elf_describe(int err, const struct elf_info *info, char *buf, size_t n)
{
	size_t at = 0;

	put_str(buf, n, &at, elf_strerror(err));
	if (err == ELF_EMACHINE && info && info->ehdr) {
		put_str(buf, n, &at, " (machine ");
		put_uint(buf, n, &at, info->ehdr->e_machine);
		put_str(buf, n, &at, ")");
	}
}
