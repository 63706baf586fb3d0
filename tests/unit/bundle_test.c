/* bundle_test.c - Kiln bundle validation, sections, CRC-32 and boot config entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/bundle.h"

#define CFG_CAP 256
#define ROOTFS_SIZE 13 /* deliberately not a multiple of 8 */
#define BUF_WORDS 128

static uint64_t buf_words[BUF_WORDS]; /* 8-aligned, as bundle_check wants */
#define BUF ((uint8_t *)buf_words)
#define HDR ((struct kiln_bundle *)buf_words)

static const char rootfs[ROOTFS_SIZE] = "070701rootfs";

/* Config: PROGRAM, two ARGs, one ENV, WORKDIR. Returns its size. */
static size_t make_config(uint8_t *cfg)
{
	size_t pos = 0;

	pos = cfg_put(cfg, CFG_CAP, pos, KILN_CFG_PROGRAM, "/bin/hello", 10);
	pos = cfg_put(cfg, CFG_CAP, pos, KILN_CFG_ARG, "/bin/hello", 10);
	pos = cfg_put(cfg, CFG_CAP, pos, KILN_CFG_ARG, "", 0);
	pos = cfg_put(cfg, CFG_CAP, pos, KILN_CFG_ENV, "PATH=/bin", 9);
	pos = cfg_put(cfg, CFG_CAP, pos, KILN_CFG_WORKDIR, "/tmp", 4);
	return pos;
}

/* Recompute the crc over [header, total): total is the real size, not the field. */
static void seal(size_t total)
{
	HDR->crc32 = crc32_update(0, BUF + sizeof(struct kiln_bundle),
				  total - sizeof(struct kiln_bundle));
}

/* A bundle with CONFIG then ROOTFS; returns total_size. */
static size_t make_bundle(void)
{
	size_t at = sizeof(struct kiln_bundle), cfg_size;

	memset(buf_words, 0, sizeof(buf_words));
	memcpy(HDR->magic, KILN_BUNDLE_MAGIC, 8);
	HDR->version = KILN_BUNDLE_VERSION;
	HDR->header_size = sizeof(struct kiln_bundle);
	cfg_size = make_config(BUF + at);
	HDR->sections[0] = (struct kiln_section){ KILN_SECTION_CONFIG, 0, at,
						  cfg_size };
	at += cfg_size;
	memcpy(BUF + at, rootfs, ROOTFS_SIZE);
	HDR->sections[1] = (struct kiln_section){ KILN_SECTION_ROOTFS, 0, at,
						  ROOTFS_SIZE };
	at += ROOTFS_SIZE;
	HDR->nsections = 2;
	HDR->total_size = at;
	assert_true(at <= sizeof(buf_words));
	seal(at);
	return at;
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(crc32_update(0, "", 0), 0);
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926);
	assert_int_equal(crc32_update(0, "a", 1), 0xe8b7be43);
	/* Incremental: crc of "1234" then "56789" equals the whole. */
	assert_int_equal(crc32_update(crc32_update(0, "1234", 4), "56789", 5),
			 0xcbf43926);
}

/* The definition, a bit at a time: what the sliced tables must agree with. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (crc & 1 ? 0xedb88320u : 0);
	}
	return ~crc;
}

/* Every length 0..300 at every alignment 0..7, and split anywhere. */
static void test_crc32_slices(void **state)
{
	static uint8_t data[320];
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= 300; n++)
			assert_int_equal(crc32_update(0, data + off, n),
					 crc32_bitwise(data + off, n));
	for (size_t cut = 0; cut <= 300; cut += 7)
		assert_int_equal(crc32_update(crc32_update(0, data, cut),
					      data + cut, 300 - cut),
				 crc32_bitwise(data, 300));
}

static void test_valid(void **state)
{
	size_t total = make_bundle(), size;
	const uint8_t *p;

	(void)state;
	assert_int_equal(bundle_check(BUF, total), BUNDLE_OK);
	assert_int_equal(bundle_check(BUF, sizeof(buf_words)), BUNDLE_OK);
	p = bundle_section(BUF, KILN_SECTION_ROOTFS, &size);
	assert_int_equal(size, ROOTFS_SIZE);
	assert_memory_equal(p, rootfs, ROOTFS_SIZE);
	p = bundle_section(BUF, KILN_SECTION_CONFIG, &size);
	assert_ptr_equal(p, BUF + sizeof(struct kiln_bundle));
	assert_int_equal(size, 5 * 8 + 16 + 16 + 0 + 16 + 8);
	size = 7;
	assert_null(bundle_section(BUF, KILN_SECTION_STDIN, &size));
	assert_int_equal(size, 0);
}

static void test_config(void **state)
{
	static const struct {
		uint32_t type;
		const char *val;
	} want[] = {
		{ KILN_CFG_PROGRAM, "/bin/hello" },
		{ KILN_CFG_ARG, "/bin/hello" },
		{ KILN_CFG_ARG, "" },
		{ KILN_CFG_ENV, "PATH=/bin" },
		{ KILN_CFG_WORKDIR, "/tmp" },
	};
	uint8_t cfg[CFG_CAP];
	size_t size = make_config(cfg), pos = 0;
	uint32_t type, len;
	const char *val;

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(cfg_next(cfg, size, &pos, &type, &val, &len),
				 1);
		assert_int_equal(type, want[i].type);
		assert_int_equal(len, strlen(want[i].val));
		assert_memory_equal(val, want[i].val, len);
		assert_int_equal(pos % 8, 0);
	}
	assert_int_equal(cfg_next(cfg, size, &pos, &type, &val, &len), 0);
	/* Every shorter size cuts an entry: malformed, or a clean end. */
	for (size_t cut = 0; cut < size; cut++) {
		int r;

		pos = 0;
		while ((r = cfg_next(cfg, cut, &pos, &type, &val, &len)) == 1)
			assert_true(pos <= cut);
		assert_int_equal(r, pos == cut ? 0 : -1);
	}
}

static void test_config_errors(void **state)
{
	uint8_t cfg[CFG_CAP] = { 0 };
	char big[KILN_CFG_MAX_VALUE + 1] = { 0 };
	size_t pos = 0;
	uint32_t type, len;
	const char *val;

	(void)state;
	assert_int_equal(cfg_put(cfg, CFG_CAP, 0, KILN_CFG_ARG, big,
				 KILN_CFG_MAX_VALUE + 1),
			 0);
	assert_int_equal(cfg_put(cfg, 8, 0, KILN_CFG_ARG, "x", 1), 0);
	assert_int_equal(cfg_put(cfg, 16, 0, KILN_CFG_ARG, "x", 1), 16);
	assert_int_equal(cfg_put(cfg, 16, 17, KILN_CFG_ARG, "", 0), 0);
	assert_int_equal(cfg_entry_size(0), 8);
	assert_int_equal(cfg_entry_size(1), 16);
	assert_int_equal(cfg_entry_size(8), 16);
	cfg[4] = 0x01;
	cfg[5] = 0x10; /* len 0x1001 > KILN_CFG_MAX_VALUE */
	assert_int_equal(cfg_next(cfg, CFG_CAP, &pos, &type, &val, &len), -1);
	cfg[4] = 0xff;
	cfg[5] = cfg[6] = cfg[7] = 0xff;
	assert_int_equal(cfg_next(cfg, CFG_CAP, &pos, &type, &val, &len), -1);
	pos = CFG_CAP + 8;
	assert_int_equal(cfg_next(cfg, CFG_CAP, &pos, &type, &val, &len), -1);
	assert_int_equal(pos, CFG_CAP + 8);
}

/* Every prefix of a valid bundle is "truncated" (or "bad magic" if empty). */
static void test_truncation(void **state)
{
	size_t total = make_bundle();

	(void)state;
	for (size_t len = 0; len < total; len++) {
		uint64_t *copy = malloc(len ? len : 1);

		memcpy(copy, BUF, len);
		assert_int_equal(bundle_check(copy, len),
				 len ? BUNDLE_ETRUNC : BUNDLE_EMAGIC);
		free(copy);
	}
}

/* Change one thing of a valid bundle, re-seal unless asked not to. */
#define EXPECT(err, stmt)                                                \
	do {                                                             \
		size_t total_ = make_bundle();                           \
		stmt;                                                    \
		if ((err) != BUNDLE_ECRC)                                \
			seal(total_);                                    \
		assert_int_equal(bundle_check(BUF, total_ + 64), (err)); \
	} while (0)

static void test_corrupt(void **state)
{
	(void)state;
	EXPECT(BUNDLE_EMAGIC, BUF[0] = 'k');
	EXPECT(BUNDLE_EMAGIC, BUF[7] = '2');
	EXPECT(BUNDLE_EVERSION, HDR->version = 2);
	EXPECT(BUNDLE_EVERSION, HDR->version = 0);
	EXPECT(BUNDLE_ELAYOUT, HDR->header_size = 32);
	EXPECT(BUNDLE_ELAYOUT, HDR->total_size = 100);
	EXPECT(BUNDLE_ETRUNC, HDR->total_size = ~0ull);
	EXPECT(BUNDLE_ELAYOUT, HDR->nsections = 9);
	EXPECT(BUNDLE_ELAYOUT, HDR->nsections = 3); /* empty slot: type 0 */
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[1].type = 5); /* unknown type */
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[1].type = KILN_SECTION_CONFIG);
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[1].reserved = 1);
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[1].offset += 4);
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[1].size += 1);
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[1].size = ~0ull);
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[1].offset = ~0ull - 7);
	EXPECT(BUNDLE_ELAYOUT, HDR->sections[0].offset = 0);
	EXPECT(BUNDLE_ECRC, BUF[sizeof(struct kiln_bundle) + 20] ^= 1);
	EXPECT(BUNDLE_ECRC, BUF[total_ - 1] ^= 0x80);
	EXPECT(BUNDLE_ECRC, HDR->crc32 ^= 1);
	EXPECT(BUNDLE_OK, HDR->nsections = 0);
}

/* bundle_check_layout: the same verdicts, but a bad crc passes. */
static void test_layout_only(void **state)
{
	size_t total;

	(void)state;
	total = make_bundle();
	BUF[total - 1] ^= 0x80;
	assert_int_equal(bundle_check(BUF, total), BUNDLE_ECRC);
	assert_int_equal(bundle_check_layout(BUF, total), BUNDLE_OK);
	HDR->sections[1].offset += 4;
	assert_int_equal(bundle_check_layout(BUF, total), BUNDLE_ELAYOUT);
	total = make_bundle();
	assert_int_equal(bundle_check_layout(BUF, total - 1), BUNDLE_ETRUNC);
	BUF[0] = 'k';
	assert_int_equal(bundle_check_layout(BUF, total), BUNDLE_EMAGIC);
}

/*
 * The codes are 1, 2, ... in this order (positive: none can pass for a
 * -errno), each with the message `kiln` and the kernel log print.
 */
static void test_codes(void **state)
{
	static const struct {
		int code;
		const char *msg;
	} codes[] = {
		{ BUNDLE_OK, "valid bundle" },
		{ BUNDLE_EMAGIC, "bad magic" },
		{ BUNDLE_EVERSION, "unsupported bundle version" },
		{ BUNDLE_ETRUNC, "truncated" },
		{ BUNDLE_ELAYOUT, "bad section layout" },
		{ BUNDLE_ECRC, "checksum mismatch" },
	};

	(void)state;
	for (int i = 0; i < (int)(sizeof(codes) / sizeof(codes[0])); i++) {
		assert_int_equal(codes[i].code, i);
		assert_string_equal(bundle_strerror(codes[i].code),
				    codes[i].msg);
	}
	assert_string_equal(bundle_strerror(6), "unknown bundle error");
	assert_string_equal(bundle_strerror(-1), "unknown bundle error");
}

/* Random mutations, sealed or not: never a crash, sections stay inside. */
static void test_mutations(void **state)
{
	uint32_t seed = 4242;
	int ok = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t total = make_bundle(), size, pos = 0;
		const uint8_t *cfg;
		uint32_t type, len;
		const char *val;

		for (int k = 0; k <= iter % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % total;
			seed = seed * 1103515245u + 12345u;
			BUF[at] = (uint8_t)(seed >> 12);
		}
		if (iter & 1)
			seal(total); /* reach the checks past the crc */
		if (bundle_check(BUF, total) != BUNDLE_OK)
			continue;
		ok++;
		cfg = bundle_section(BUF, KILN_SECTION_CONFIG, &size);
		if (!cfg)
			continue;
		assert_true(cfg >= BUF && cfg + size <= BUF + total);
		while (cfg_next(cfg, size, &pos, &type, &val, &len) == 1)
			assert_true((const uint8_t *)val + len <= cfg + size);
	}
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_crc32_slices),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_layout_only),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
