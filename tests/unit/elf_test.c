/* elf_test.c - ELF executable checks and symbol lookup, on hand-made and real binaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/elf.h"

/* <sys/auxv.h> pulls in the host <elf.h>, whose names clash with ours. */
unsigned long getauxval(unsigned long type);
#define AT_PHDR 3

/*
 * The hand-made image (all offsets in bytes):
 *   0    ELF header
 *   64   4 program headers: LOAD RX [0, 0x400), INTERP, TLS, GNU_STACK
 *   288  interpreter path
 *   320  3 symbols (null, foo, bar, obj = 4 with the null one)
 *   416  string table
 *   448  4 section headers: null, .symtab, .strtab, .text
 *   704  end
 * The PT_LOAD covers the whole file, so any prefix is "truncated".
 */
#define IMG_SIZE 704
#define BASE 0x400000ull
#define OFF_PH 64
#define OFF_INTERP 288
#define OFF_SYM 320
#define OFF_STR 416
#define OFF_SH 448

static const char interp[] = "/lib/ld-musl-x86_64.so.1";
static const char strtab[] = "\0foo\0bar\0obj";

/* 8-aligned storage, as elf_check expects. */
static uint64_t img_words[IMG_SIZE / 8];
#define IMG ((uint8_t *)img_words)
#define EH ((struct elf64_ehdr *)IMG)
#define PH ((struct elf64_phdr *)(IMG + OFF_PH))

static void put_sym(int i, uint32_t name, uint8_t type, uint64_t val,
		    uint64_t size)
{
	struct elf64_sym *s = (struct elf64_sym *)(IMG + OFF_SYM) + i;

	*s = (struct elf64_sym){ .st_name = name,
				 .st_info = type,
				 .st_shndx = 3,
				 .st_value = val,
				 .st_size = size };
}

static void put_sections(void)
{
	struct elf64_shdr *sh = (struct elf64_shdr *)(IMG + OFF_SH);

	sh[1] = (struct elf64_shdr){ .sh_type = SHT_SYMTAB,
				     .sh_offset = OFF_SYM,
				     .sh_size = 4 * 24,
				     .sh_link = 2,
				     .sh_entsize = 24 };
	sh[2] = (struct elf64_shdr){ .sh_type = 3,
				     .sh_offset = OFF_STR,
				     .sh_size = sizeof(strtab) };
	sh[3] = (struct elf64_shdr){ .sh_type = 1,
				     .sh_addr = BASE,
				     .sh_size = 0x1000 };
	memcpy(IMG + OFF_STR, strtab, sizeof(strtab));
	put_sym(1, 1, STT_FUNC, BASE + 0x100, 0x20);
	put_sym(2, 5, STT_FUNC, BASE + 0x120, 0);
	put_sym(3, 9, 1 /* STT_OBJECT */, BASE + 0x110, 0x100);
	EH->e_shoff = OFF_SH;
	EH->e_shentsize = 64;
	EH->e_shnum = 4;
}

/* A valid static executable with symbols; with_interp adds PT_INTERP. */
static void make_image(int with_interp)
{
	memset(IMG, 0, IMG_SIZE);
	memcpy(EH->e_ident,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	EH->e_type = ET_EXEC;
	EH->e_machine = EM_X86_64;
	EH->e_version = 1;
	EH->e_entry = BASE + 0x100;
	EH->e_phoff = OFF_PH;
	EH->e_ehsize = 64;
	EH->e_phentsize = 56;
	EH->e_phnum = 4;
	PH[0] = (struct elf64_phdr){ PT_LOAD, PF_R | PF_X, 0,	   BASE,
				     BASE,    IMG_SIZE,	   0x2000, 0x1000 };
	PH[1] = (struct elf64_phdr){ with_interp ? PT_INTERP : PT_NOTE,
				     PF_R,
				     OFF_INTERP,
				     0,
				     0,
				     sizeof(interp),
				     0,
				     1 };
	PH[2] = (struct elf64_phdr){ PT_TLS, PF_R, OFF_SYM, 0, 0, 8, 16, 8 };
	PH[3] = (struct elf64_phdr){
		PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 16
	};
	memcpy(IMG + OFF_INTERP, interp, sizeof(interp));
	put_sections();
}

static int check(void)
{
	struct elf_info info;

	return elf_check(IMG, IMG_SIZE, &info);
}

static void test_valid(void **state)
{
	struct elf_info info;

	(void)state;
	make_image(0);
	assert_int_equal(elf_check(IMG, IMG_SIZE, &info), ELF_OK);
	assert_ptr_equal(info.ehdr, IMG);
	assert_ptr_equal(info.phdr, IMG + OFF_PH);
	assert_int_equal(info.phnum, 4);
	assert_int_equal(info.pie, 0);
	assert_int_equal(info.entry, BASE + 0x100);
	assert_int_equal(info.lo, BASE);
	assert_int_equal(info.hi, BASE + 0x2000);
	assert_null(info.interp);
	assert_ptr_equal(info.tls, &PH[2]);
	assert_int_equal(info.exec_stack, 0);

	PH[3].p_flags |= PF_X;
	EH->e_type = ET_DYN;
	assert_int_equal(elf_check(IMG, IMG_SIZE, &info), ELF_OK);
	assert_int_equal(info.exec_stack, 1);
	assert_int_equal(info.pie, 1);

	make_image(1);
	assert_int_equal(elf_check(IMG, IMG_SIZE, &info), ELF_OK);
	assert_string_equal(info.interp, interp);
}

/* Change one thing of a valid image and expect err. */
#define EXPECT(err, stmt)                         \
	do {                                      \
		make_image(1);                    \
		stmt;                             \
		assert_int_equal(check(), (err)); \
	} while (0)

static void test_header_errors(void **state)
{
	(void)state;
	EXPECT(ELF_ENOTELF, IMG[0] = 0x7e);
	EXPECT(ELF_ENOTELF, IMG[3] = 'f');
	EXPECT(ELF_ECLASS, IMG[4] = 1);
	EXPECT(ELF_ECLASS, IMG[4] = 0);
	EXPECT(ELF_EENDIAN, IMG[5] = 2);
	EXPECT(ELF_ENOTELF, IMG[6] = 0);
	EXPECT(ELF_EMACHINE, EH->e_machine = 183);
	EXPECT(ELF_EMACHINE, EH->e_machine = 3);
	EXPECT(ELF_ETYPE, EH->e_type = 1);
	EXPECT(ELF_ETYPE, EH->e_type = 4);
	EXPECT(ELF_ENOTELF, EH->e_version = 2);
	EXPECT(ELF_ELAYOUT, EH->e_phentsize = 32);
	EXPECT(ELF_ELAYOUT, EH->e_phnum = 0);
	EXPECT(ELF_ELAYOUT, EH->e_phnum = 0xffff);
	EXPECT(ELF_ELAYOUT, EH->e_phoff = 65);
	EXPECT(ELF_ETRUNC, EH->e_phoff = IMG_SIZE);
	EXPECT(ELF_ETRUNC, EH->e_phoff = ~0ull - 7);
	EXPECT(ELF_ETRUNC, EH->e_phnum = 12);
}

static void test_segment_errors(void **state)
{
	(void)state;
	EXPECT(ELF_ELAYOUT, PH[0].p_filesz = PH[0].p_memsz + 1);
	EXPECT(ELF_ETRUNC, PH[0].p_filesz = IMG_SIZE + 1);
	EXPECT(ELF_ETRUNC, PH[0].p_offset = 8);
	EXPECT(ELF_ETRUNC, PH[0].p_offset = ~0ull);
	EXPECT(ELF_ELAYOUT, PH[0].p_vaddr = 1ull << 47);
	EXPECT(ELF_ELAYOUT, PH[0].p_memsz = (1ull << 47) - BASE + 1);
	EXPECT(ELF_ELAYOUT, PH[0].p_memsz = ~0ull);
	EXPECT(ELF_ELAYOUT, PH[0].p_align = 0x1800);
	EXPECT(ELF_ELAYOUT, PH[0].p_vaddr = BASE + 8);
	EXPECT(ELF_ELAYOUT, PH[0].p_type = PT_NOTE); /* no PT_LOAD */
	EXPECT(ELF_ELAYOUT, PH[0].p_flags = PF_R);   /* entry not executable */
	EXPECT(ELF_ELAYOUT, EH->e_entry = BASE + 0x2000);
	EXPECT(ELF_ELAYOUT, EH->e_entry = 0);
	EXPECT(ELF_ELAYOUT, IMG[OFF_INTERP + sizeof(interp) - 1] = 'x');
	EXPECT(ELF_ELAYOUT, PH[1].p_filesz = 0);
	EXPECT(ELF_ETRUNC, PH[1].p_offset = IMG_SIZE);
	EXPECT(ELF_ELAYOUT, PH[2].p_type = PT_INTERP); /* two interpreters */
	EXPECT(ELF_ELAYOUT, PH[2].p_filesz = 17);
	EXPECT(ELF_ETRUNC, PH[2].p_offset = IMG_SIZE);
	EXPECT(ELF_ELAYOUT, PH[2].p_align = 3);
	EXPECT(ELF_ELAYOUT, PH[3].p_type = PT_TLS); /* two TLS segments */
	EXPECT(ELF_OK, PH[3].p_type = 0x12345678);  /* unknown types ignored */
}

static void test_strerror(void **state)
{
	struct elf_info info;
	char line[64];

	(void)state;
	make_image(0);
	EH->e_machine = 183;
	assert_int_equal(elf_check(IMG, IMG_SIZE, &info), ELF_EMACHINE);
	elf_describe(ELF_EMACHINE, &info, line, sizeof(line));
	assert_string_equal(line, "not x86_64 (machine 183)");
	elf_describe(ELF_EMACHINE, &info, line, 8);
	assert_string_equal(line, "not x86");
	elf_describe(ELF_ETRUNC, &info, line, sizeof(line));
	assert_string_equal(line, "truncated");
	assert_string_equal(elf_strerror(99), "unknown ELF error");
	assert_string_equal(elf_strerror(-1), "unknown ELF error");
}

/*
 * The codes are 1, 2, ... in this order (positive: none can pass for a
 * -errno), each with the message the CLI and the kernel log print.
 */
static void test_codes(void **state)
{
	static const struct {
		int code;
		const char *msg;
	} codes[] = {
		{ ELF_OK, "valid ELF executable" },
		{ ELF_ENOTELF, "not an ELF file" },
		{ ELF_ECLASS, "32-bit ELF" },
		{ ELF_EENDIAN, "big-endian ELF" },
		{ ELF_EMACHINE, "not x86_64" },
		{ ELF_ETYPE,
		  "not an executable (relocatable object or core file)" },
		{ ELF_ETRUNC, "truncated" },
		{ ELF_ELAYOUT, "bad program headers" },
	};

	(void)state;
	for (int i = 0; i < (int)(sizeof(codes) / sizeof(codes[0])); i++) {
		assert_int_equal(codes[i].code, i);
		assert_string_equal(elf_strerror(codes[i].code), codes[i].msg);
	}
}

/* Every prefix of the image: an error, never a read past len (ASan). */
static void test_truncation(void **state)
{
	struct elf_info info;

	(void)state;
	make_image(1);
	for (size_t len = 0; len < IMG_SIZE; len++) {
		uint64_t *copy = malloc(len ? len : 1);
		int want = len == 0 ? ELF_ENOTELF : ELF_ETRUNC;

		memcpy(copy, IMG, len);
		assert_int_equal(elf_check(copy, len, &info), want);
		free(copy);
	}
}

static void expect_sym(uint64_t addr, const char *want, uint64_t want_off)
{
	const char *name = NULL;
	uint64_t off = 99;

	if (!want) {
		assert_false(elf_symbolize(IMG, IMG_SIZE, addr, &name, &off));
		return;
	}
	assert_true(elf_symbolize(IMG, IMG_SIZE, addr, &name, &off));
	assert_string_equal(name, want);
	assert_int_equal(off, want_off);
}

static void test_symbolize(void **state)
{
	(void)state;
	make_image(0);
	expect_sym(BASE + 0x100, "foo", 0);
	expect_sym(BASE + 0x11f, "foo", 0x1f);
	expect_sym(BASE + 0x120, "bar", 0); /* size 0: to the next symbol */
	expect_sym(BASE + 0xfff, "bar", 0xedf);
	expect_sym(BASE + 0x1000, NULL, 0); /* past its section */
	expect_sym(BASE + 0xff, NULL, 0);   /* obj is not a function */
	EH->e_shnum = 0;
	expect_sym(BASE + 0x100, NULL, 0);
	make_image(0);
	((struct elf64_shdr *)(IMG + OFF_SH))[1].sh_size = 1ull << 40;
	expect_sym(BASE + 0x100, NULL, 0);
	make_image(0);
	((struct elf64_shdr *)(IMG + OFF_SH))[2].sh_size = 3; /* cuts "foo" */
	expect_sym(BASE + 0x100, NULL, 0);
}

/* Read a whole file into an 8-aligned buffer, or return NULL. */
static void *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint64_t *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread((char *)buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*size = n;
	return buf;
}

/* A real static binary, and its prefixes; skipped without busybox. */
static void test_busybox(void **state)
{
	struct elf_info info;
	size_t size, end = 0;
	uint8_t *bb = slurp("/bin/busybox", &size);

	(void)state;
	if (!bb)
		skip();
	assert_int_equal(elf_check(bb, size, &info), ELF_OK);
	assert_null(info.interp);
	assert_true(info.lo < info.hi);
	/* Cut anywhere before the last loaded byte: refused. */
	for (uint16_t i = 0; i < info.phnum; i++)
		if (info.phdr[i].p_type == PT_LOAD &&
		    info.phdr[i].p_offset + info.phdr[i].p_filesz > end)
			end = info.phdr[i].p_offset + info.phdr[i].p_filesz;
	assert_true(end > 8192 && end <= size);
	for (size_t len = 0; len < end; len += len < 8192 ? 1 : 4093)
		assert_int_not_equal(elf_check(bb, len, &info), ELF_OK);
	assert_int_equal(elf_check(bb, end, &info), ELF_OK);
	bb[18] = 183; /* e_machine: aarch64 */
	assert_int_equal(elf_check(bb, size, &info), ELF_EMACHINE);
	bb[18] = EM_X86_64;
	bb[4] = 1; /* EI_CLASS: 32-bit */
	assert_int_equal(elf_check(bb, size, &info), ELF_ECLASS);
	free(bb);
}

/* This test program: dynamic, PIE, and main symbolizes to "main". */
static void test_self(void **state)
{
	struct elf_info info;
	size_t size;
	uint8_t *self = slurp("/proc/self/exe", &size);
	uint64_t base = 0, off;
	const char *name;

	(void)state;
	assert_non_null(self);
	assert_int_equal(elf_check(self, size, &info), ELF_OK);
	assert_non_null(info.interp);
	assert_int_equal(info.interp[0], '/');
	for (uint16_t i = 0; i < info.phnum; i++)
		if (info.phdr[i].p_type == PT_PHDR)
			base = getauxval(AT_PHDR) - info.phdr[i].p_vaddr;
	if (!info.pie)
		base = 0;
	assert_true(elf_symbolize(self, size,
				  (uint64_t)(uintptr_t)test_self - base + 3,
				  &name, &off));
	assert_string_equal(name, "test_self");
	assert_int_equal(off, 3);
	free(self);
}

static void test_mutations(void **state)
{
	static uint64_t copy[IMG_SIZE / 8];
	uint32_t seed = 777;
	struct elf_info info;
	const char *name;
	uint64_t off;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		make_image(iter & 1);
		memcpy(copy, IMG, IMG_SIZE);
		for (int k = 0; k <= iter % 6; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % (OFF_SH + 256);
			seed = seed * 1103515245u + 12345u;
			((uint8_t *)copy)[at] = (uint8_t)(seed >> 12);
		}
		if (elf_check(copy, IMG_SIZE, &info) == ELF_OK) {
			assert_true(info.lo <= info.hi);
			assert_true(info.hi <= 1ull << 47);
		}
		(void)elf_symbolize(copy, IMG_SIZE, BASE + (seed & 0xfff),
				    &name, &off);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_segment_errors),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_symbolize),
		cmocka_unit_test(test_busybox),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
