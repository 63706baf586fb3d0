/* ext4_hash_test.c - the directory-index hashes (legacy, half_md4, tea; signed and unsigned chars; seeded or not) against e2fsprogs' own, asked of debugfs's dx_hash at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fs/ext4_htree.h"

#define NNAMES 300
#define NVERS 6

static char names[NNAMES][256];

/* Letters, digits, punctuation debugfs's parser leaves alone, and high bytes (where signedness shows). */
static const char alphabet[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	"0123456789-_.,+=:@%"
	"\x80\x9f\xa0\xc3\xa9\xe2\xff";

static void make_names(void)
{
	srand(14);
	for (int i = 0; i < NNAMES; i++) {
		/* Short names often; long ones cover several hash rounds. */
		size_t len = i < 255 ? (size_t)i + 1 : 1 + (size_t)rand() % 255;

		for (size_t k = 0; k < len; k++)
			names[i][k] = alphabet[rand() % (sizeof(alphabet) - 1)];
		names[i][0] = (char)('a' + i % 26); /* never an option */
		names[i][len] = '\0';
	}
}

/* s_hash_seed's words from a UUID's bytes, as the superblock keeps them. */
static void seed_words(const uint8_t b[16], uint32_t w[4])
{
	for (int i = 0; i < 4; i++)
		w[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
		       (uint32_t)b[4 * i + 2] << 16 |
		       (uint32_t)b[4 * i + 3] << 24;
}

/* Every name under every version, against debugfs, with seed (NULL: none). */
static void check_all(const uint8_t *seed)
{
	char cmds[] = "/tmp/kiln-hash-XXXXXX", line[1024], uuid[40] = "";
	uint32_t w[4] = { 0 };
	int fd = mkstemp(cmds), checked = 0;
	FILE *f, *p;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	if (seed != NULL) {
		snprintf(uuid, sizeof(uuid),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			 "%02x%02x%02x%02x%02x%02x",
			 seed[0], seed[1], seed[2], seed[3], seed[4], seed[5],
			 seed[6], seed[7], seed[8], seed[9], seed[10], seed[11],
			 seed[12], seed[13], seed[14], seed[15]);
		seed_words(seed, w);
	}
	for (int v = 0; v < NVERS; v++)
		for (int i = 0; i < NNAMES; i++)
			fprintf(f, "dx_hash -h %d %s%s %s\n", v,
				seed ? "-s " : "", uuid, names[i]);
	fclose(f);
	snprintf(line, sizeof(line), "debugfs -f %s 2>/dev/null", cmds);
	p = popen(line, "r");
	assert_non_null(p);
	for (int v = 0; v < NVERS; v++)
		for (int i = 0; i < NNAMES; i++) {
			unsigned int want, wmin;
			uint32_t hash, minor;
			char *at;

			do {
				assert_non_null(fgets(line, sizeof(line), p));
			} while (strncmp(line, "Hash of ", 8) != 0);
			at = strstr(line, " is 0x");
			assert_non_null(at);
			assert_int_equal(sscanf(at, " is 0x%x (minor 0x%x)",
						&want, &wmin),
					 2);
			assert_int_equal(ext4_dx_hash(seed ? w : NULL,
						      (unsigned int)v, names[i],
						      strlen(names[i]), &hash,
						      &minor),
					 0);
			if (hash != want || minor != wmin)
				fail_msg("version %d name %s: %08x/%08x, "
					 "debugfs %08x/%08x",
					 v, names[i], hash, minor, want, wmin);
			checked++;
		}
	pclose(p);
	unlink(cmds);
	assert_int_equal(checked, NVERS * NNAMES);
}

static void test_unseeded(void **state)
{
	(void)state;
	make_names();
	check_all(NULL);
}

static void test_seeded(void **state)
{
	static const uint8_t seed[16] = { 0x3c, 0x91, 0x07, 0xe5, 0x5a, 0x12,
					  0xf0, 0x8d, 0x66, 0x21, 0xb4, 0x7e,
					  0x09, 0xcd, 0x43, 0xaa };

	(void)state;
	make_names();
	check_all(seed);
}

/* A version the format does not have is refused, not guessed. */
static void test_unknown(void **state)
{
	uint32_t h, m;

	(void)state;
	assert_int_equal(ext4_dx_hash(NULL, 6, "a", 1, &h, &m), -1);
	assert_int_equal(ext4_dx_hash(NULL, 255, "a", 1, &h, &m), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unseeded),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
