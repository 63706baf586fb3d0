/* elf_dyn_test.c - elf_dynamic and elf_check_object on hand-made shared objects, good and malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elf_make.h"
#include "lib/elf.h"

static uint64_t words[ELF_MAKE_SIZE / 8 + 1];
#define BUF ((uint8_t *)words)
#define PH ((struct elf64_phdr *)(BUF + ELF_MAKE_PH))
#define DYN ((struct elf64_dyn *)(BUF + ELF_MAKE_DYN))

static const struct elf_spec full = {
	.interp = "/lib64/ld-linux-x86-64.so.2",
	.soname = "libx.so.1",
	.rpath = "/r",
	.runpath = "$ORIGIN/../lib",
	.needed = { "liba.so.1", "libb.so.2", "libc.so.6" },
};

static size_t make(const struct elf_spec *spec, int *ndyn)
{
	return elf_make(spec, BUF, ndyn);
}

/* elf_check_object then elf_dynamic on BUF[0..size). */
static int parse(size_t size, struct elf_dyn_info *d)
{
	struct elf_info info;
	int err = elf_check_object(BUF, size, &info);

	return err ? err : elf_dynamic(BUF, size, &info, d);
}

static int dyn_index(int64_t tag)
{
	for (int i = 0; i < ELF_MAKE_DYN_MAX; i++)
		if (DYN[i].d_tag == tag)
			return i;
	return -1;
}

static void test_good(void **state)
{
	struct elf_dyn_info d;
	struct elf_info info;
	int n;
	size_t size = make(&full, &n);

	(void)state;
	assert_int_equal(parse(size, &d), ELF_OK);
	assert_string_equal(d.soname, "libx.so.1");
	assert_string_equal(d.rpath, "/r");
	assert_string_equal(d.runpath, "$ORIGIN/../lib");
	assert_int_equal(d.nneeded, 3);
	assert_string_equal(d.needed[0], "liba.so.1");
	assert_string_equal(d.needed[1], "libb.so.2");
	assert_string_equal(d.needed[2], "libc.so.6");
	/* Strings point into the file, at the table. */
	assert_ptr_equal(d.needed[0] - (const char *)BUF,
			 ELF_MAKE_STR + 1 + strlen("libx.so.1") + 1 + 3 + 15);
	/* A library has no entry point: elf_check refuses it, as before. */
	assert_int_equal(elf_check(BUF, size, &info), ELF_ELAYOUT);
	assert_int_equal(elf_check_object(BUF, size, &info), ELF_OK);
	assert_string_equal(info.interp, full.interp);
}

static void test_no_dynamic(void **state)
{
	struct elf_dyn_info d;
	int n;
	size_t size = make(&full, &n);

	(void)state;
	PH[1].p_type = PT_NULL;
	assert_int_equal(parse(size, &d), ELF_OK);
	assert_null(d.soname);
	assert_null(d.runpath);
	assert_int_equal(d.nneeded, 0);
}

/* One broken field at a time; each must be refused with want. */
static void expect_(void (*breakit)(int ndyn, size_t *size), int want,
		    const char *name)
{
	struct elf_dyn_info d;
	int n;
	size_t size = make(&full, &n);

	breakit(n, &size);
	if (parse(size, &d) != want)
		fail_msg("%s: %d, not %d", name, parse(size, &d), want);
}
#define expect(f, want) expect_(f, want, #f)

static void two_dynamic(int n, size_t *size)
{
	(void)n, (void)size;
	PH[2] = PH[1];
}
static void dynamic_past_end(int n, size_t *size)
{
	(void)n, (void)size;
	PH[1].p_filesz = UINT64_MAX - 8;
}
static void dynamic_misaligned(int n, size_t *size)
{
	(void)n, (void)size;
	PH[1].p_offset += 4;
}
static void no_strtab(int n, size_t *size)
{
	(void)n, (void)size;
	DYN[dyn_index(DT_STRTAB)].d_tag = 0x6ffffff0; /* DT_VERSYM */
}
static void no_strsz(int n, size_t *size)
{
	(void)n, (void)size;
	DYN[dyn_index(DT_STRSZ)].d_tag = 0x6ffffff0;
}
static void strtab_unmapped(int n, size_t *size)
{
	(void)n, (void)size;
	DYN[dyn_index(DT_STRTAB)].d_val = 0x100000;
}
static void strtab_wraps(int n, size_t *size)
{
	(void)n, (void)size;
	DYN[dyn_index(DT_STRTAB)].d_val = UINT64_MAX - 4;
}
static void strsz_too_big(int n, size_t *size)
{
	(void)n, (void)size;
	DYN[dyn_index(DT_STRSZ)].d_val = 1u << 20;
}
static void strtab_in_bss(int n, size_t *size)
{
	(void)n;
	/* The table lies in memsz but past filesz: zeros at run time. */
	PH[0].p_filesz = ELF_MAKE_STR + 4;
	PH[0].p_memsz = *size + 4096;
}
/* DYN[n - 3] is the last DT_NEEDED (then DT_STRTAB, DT_STRSZ, DT_NULL). */
static void needed_out_of_table(int n, size_t *size)
{
	(void)size;
	DYN[n - 3].d_val = DYN[dyn_index(DT_STRSZ)].d_val;
}
static void string_unterminated(int n, size_t *size)
{
	(void)n, (void)size;
	/* The last string ("libc.so.6") loses its NUL inside the table. */
	DYN[dyn_index(DT_STRSZ)].d_val -= 1;
}
static void soname_twice(int n, size_t *size)
{
	(void)size;
	DYN[n - 3].d_tag = DT_SONAME;
}
static void runpath_twice(int n, size_t *size)
{
	(void)size;
	DYN[n - 3].d_tag = DT_RUNPATH;
}

static void test_malformed(void **state)
{
	(void)state;
	expect(two_dynamic, ELF_EDYNAMIC);
	expect(dynamic_past_end, ELF_ETRUNC);
	expect(dynamic_misaligned, ELF_EDYNAMIC);
	expect(no_strtab, ELF_EDYNAMIC);
	expect(no_strsz, ELF_EDYNAMIC);
	expect(strtab_unmapped, ELF_EDYNAMIC);
	expect(strtab_wraps, ELF_EDYNAMIC);
	expect(strsz_too_big, ELF_EDYNAMIC);
	expect(strtab_in_bss, ELF_EDYNAMIC);
	expect(needed_out_of_table, ELF_EDYNAMIC);
	expect(string_unterminated, ELF_EDYNAMIC);
	expect(soname_twice, ELF_EDYNAMIC);
	expect(runpath_twice, ELF_EDYNAMIC);
}

/* Every prefix of a good file: an error or the same answer, never a crash. */
static void test_truncated(void **state)
{
	struct elf_dyn_info d;
	int n;
	size_t size = make(&full, &n);

	(void)state;
	for (size_t s = 0; s < size; s++) {
		uint8_t *copy = malloc(s + 8);
		struct elf_info info;
		int err;

		memcpy(copy, BUF, s);
		err = elf_check_object(copy, s, &info);
		if (!err)
			err = elf_dynamic(copy, s, &info, &d);
		/* The PT_LOAD covers the whole file: any prefix is short. */
		assert_int_equal(err, s == 0 ? ELF_ENOTELF : ELF_ETRUNC);
		free(copy);
	}
}

/* More DT_NEEDED than ELF_NEEDED_MAX, and a dynamic section without end. */
static void test_counts_bounded(void **state)
{
	size_t ndyn = ELF_NEEDED_MAX + 10, size = 4096 + ndyn * 16 + 8;
	uint64_t *w = calloc(size / 8 + 1, 8);
	uint8_t *f = (uint8_t *)w;
	struct elf64_ehdr *eh = (struct elf64_ehdr *)f;
	struct elf64_phdr *ph = (struct elf64_phdr *)(f + 64);
	struct elf64_dyn *dyn = (struct elf64_dyn *)(f + 4096);
	struct elf_dyn_info d;
	struct elf_info info;

	(void)state;
	memcpy(f,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = 1;
	eh->e_phoff = 64;
	eh->e_phentsize = 56;
	eh->e_phnum = 2;
	ph[0] = (struct elf64_phdr){ .p_type = PT_LOAD,
				     .p_filesz = size,
				     .p_memsz = size,
				     .p_align = 4096 };
	ph[1] = (struct elf64_phdr){ .p_type = PT_DYNAMIC,
				     .p_offset = 4096,
				     .p_vaddr = 4096,
				     .p_filesz = ndyn * 16,
				     .p_memsz = ndyn * 16 };
	/* String table: "\0a\0" at the end of the file. */
	f[size - 2] = 'a';
	dyn[0] = (struct elf64_dyn){ DT_STRTAB, size - 3 };
	dyn[1] = (struct elf64_dyn){ DT_STRSZ, 3 };
	for (size_t i = 2; i < ndyn; i++)
		dyn[i] = (struct elf64_dyn){ DT_NEEDED, 1 };
	assert_int_equal(elf_check_object(f, size, &info), ELF_OK);
	assert_int_equal(elf_dynamic(f, size, &info, &d), ELF_EDYNAMIC);
	/* Exactly ELF_NEEDED_MAX is fine; no DT_NULL: the section's end. */
	ph[1].p_filesz = (2 + ELF_NEEDED_MAX) * 16;
	assert_int_equal(elf_dynamic(f, size, &info, &d), ELF_OK);
	assert_int_equal(d.nneeded, ELF_NEEDED_MAX);
	assert_string_equal(d.needed[ELF_NEEDED_MAX - 1], "a");
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_no_dynamic),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_counts_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
