/* ext4_hash.c - the directory-index hashes of ext4: legacy, half-MD4 and TEA, over signed or unsigned chars. */
#include "fs/ext4_htree.h"

/*
 * ext4 docs, "Hash Tree Directories": a name is hashed with the
 * algorithm its directory's dx_root names (0 legacy, 1 half_md4, 2
 * tea), made 3/4/5 when the superblock's s_flags says chars are
 * unsigned (EXT2_FLAGS_UNSIGNED_HASH), seeded by s_hash_seed (all zero:
 * the MD4 initial values). The low bit of a hash is kept for the index
 * (the collision continuation mark), so it is cleared here.
 */
#define MD4_A 0x67452301U
#define MD4_B 0xefcdab89U
#define MD4_C 0x98badcfeU
#define MD4_D 0x10325476U
/* Round constants: sqrt(2) and sqrt(3) scaled to 32 bits (RFC 1320). */
#define MD4_K2 0x5A827999U
#define MD4_K3 0x6ED9EBA1U
#define TEA_DELTA 0x9E3779B9U
/* The index keeps 0xfffffffe free (Linux's EXT4_HTREE_EOF_32BIT << 1). */
#define HASH_EOF 0xfffffffeU

static uint32_t rol32(uint32_t v, unsigned int s)
{
	return v << s | v >> (32 - s);
}

/* A byte of the name as char would be read: sign-extended or not. */
static uint32_t name_char(const uint8_t *p, size_t i, bool is_unsigned)
{
	return is_unsigned ? p[i] : (uint32_t)(int32_t)(int8_t)p[i];
}

/* Linux's dx_hack_hash. */
static uint32_t hash_legacy(const uint8_t *p, size_t len, bool is_unsigned)
{
	uint32_t h0 = 0x12a3fe2d, h1 = 0x37abe8f9;

	for (size_t i = 0; i < len; i++) {
		uint32_t h = h1 +
			     (h0 ^ (name_char(p, i, is_unsigned) * 7152373U));

		if (h & 0x80000000U)
			h -= 0x7fffffff;
		h1 = h0;
		h0 = h;
	}
	return h0 << 1;
}

/*
 * Up to num 32-bit words of the name (4 chars a word, big end first),
 * padded with the length repeated in each byte: Linux's str2hashbuf.
 */
static void name_words(const uint8_t *p, size_t len, uint32_t *w, int num,
		       bool is_unsigned)
{
	uint32_t pad = (uint32_t)len | (uint32_t)len << 8, val;

	pad |= pad << 16;
	val = pad;
	if (len > (size_t)num * 4)
		len = (size_t)num * 4;
	for (size_t i = 0; i < len; i++) {
		val = name_char(p, i, is_unsigned) + (val << 8);
		if (i % 4 == 3) {
			*w++ = val;
			val = pad;
			num--;
		}
	}
	if (--num >= 0)
		*w++ = val;
	while (--num >= 0)
		*w++ = pad;
}

#define MD4_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD4_G(x, y, z) (((x) & (y)) + (((x) ^ (y)) & (z)))
#define MD4_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD4_STEP(f, a, b, c, d, x, s) ((a) = rol32((a) + f(b, c, d) + (x), s))

/* MD4's three rounds over 8 words instead of 16 (Linux's half_md4_transform). */
static void half_md4(uint32_t buf[4], const uint32_t in[8])
{
	uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];

	for (int i = 0; i < 8; i += 4) {
		MD4_STEP(MD4_F, a, b, c, d, in[i], 3);
		MD4_STEP(MD4_F, d, a, b, c, in[i + 1], 7);
		MD4_STEP(MD4_F, c, d, a, b, in[i + 2], 11);
		MD4_STEP(MD4_F, b, c, d, a, in[i + 3], 19);
	}
	for (int i = 1; i >= 0; i--) {
		MD4_STEP(MD4_G, a, b, c, d, in[i] + MD4_K2, 3);
		MD4_STEP(MD4_G, d, a, b, c, in[i + 2] + MD4_K2, 5);
		MD4_STEP(MD4_G, c, d, a, b, in[i + 4] + MD4_K2, 9);
		MD4_STEP(MD4_G, b, c, d, a, in[i + 6] + MD4_K2, 13);
	}
	for (int i = 3; i >= 0; i -= 2) {
		MD4_STEP(MD4_H, a, b, c, d, in[i] + MD4_K3, 3);
		MD4_STEP(MD4_H, d, a, b, c, in[i + 4] + MD4_K3, 9);
		MD4_STEP(MD4_H, c, d, a, b, in[i - 1] + MD4_K3, 11);
		MD4_STEP(MD4_H, b, c, d, a, in[i + 3] + MD4_K3, 15);
	}
	buf[0] += a;
	buf[1] += b;
	buf[2] += c;
	buf[3] += d;
}

/* 16 rounds of TEA keyed by in[0..3] over buf[0..1]. */
static void tea(uint32_t buf[4], const uint32_t in[4])
{
	uint32_t sum = 0, b0 = buf[0], b1 = buf[1];

	for (int n = 0; n < 16; n++) {
		sum += TEA_DELTA;
		b0 += ((b1 << 4) + in[0]) ^ (b1 + sum) ^ ((b1 >> 5) + in[1]);
		b1 += ((b0 << 4) + in[2]) ^ (b0 + sum) ^ ((b0 >> 5) + in[3]);
	}
	buf[0] += b0;
	buf[1] += b1;
}

int ext4_dx_hash(const uint32_t seed[4], unsigned int version, const char *name,
		 size_t len, uint32_t *hash, uint32_t *minor)
{
	const uint8_t *p = (const uint8_t *)name;
	bool is_unsigned = version >= EXT4_DX_HASH_LEGACY_UNSIGNED;
	uint32_t buf[4] = { MD4_A, MD4_B, MD4_C, MD4_D }, in[8];
	uint32_t h;

	if (seed != NULL && (seed[0] | seed[1] | seed[2] | seed[3]))
		for (int i = 0; i < 4; i++)
			buf[i] = seed[i];
	*minor = 0;
	switch (version) {
	case EXT4_DX_HASH_LEGACY:
	case EXT4_DX_HASH_LEGACY_UNSIGNED:
		h = hash_legacy(p, len, is_unsigned);
		break;
	case EXT4_DX_HASH_HALF_MD4:
	case EXT4_DX_HASH_HALF_MD4_UNSIGNED:
		/* 32 bytes of the name a turn, the last turn padded. */
		for (size_t off = 0; off < len; off += 32) {
			name_words(p + off, len - off, in, 8, is_unsigned);
			half_md4(buf, in);
		}
		h = buf[1];
		*minor = buf[2];
		break;
	case EXT4_DX_HASH_TEA:
	case EXT4_DX_HASH_TEA_UNSIGNED:
		for (size_t off = 0; off < len; off += 16) {
			name_words(p + off, len - off, in, 4, is_unsigned);
			tea(buf, in);
		}
		h = buf[0];
		*minor = buf[1];
		break;
	default:
		return -1;
	}
	h &= ~1U;
	if (h == HASH_EOF)
		h = HASH_EOF - 2;
	*hash = h;
	return 0;
}
