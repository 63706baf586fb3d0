/* bundle.c - validate a Kiln bundle, find its sections, read its boot config (portable). */
#include "lib/bundle.h"

#define CFG_ALIGN 8

/*
 * CRC-32, IEEE 802.3, reflected polynomial 0xedb88320, "slicing by 8"
 * (Intel's method): eight 256-entry tables, made on first use, take
 * eight bytes a step. The bundle holds the whole root file system, so
 * boot checks every byte of a 75 MB python image: with a 4-bit table
 * that took 1 s under TCG, this takes a quarter of it.
 */
#define CRC_POLY 0xedb88320u

static uint32_t crc_table[8][256];
static int crc_ready;

static void crc_make_tables(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (c & 1 ? CRC_POLY : 0);
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] =
				(crc_table[t - 1][i] >> 8) ^
				crc_table[0][crc_table[t - 1][i] & 0xff];
	crc_ready = 1;
}

/*
 * Inlined by force: at -Os gcc kept it a function (folded with get_le32),
 * so every eight bytes cost two calls, each a block of its own under TCG.
 */
static inline __attribute__((always_inline)) uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	if (!crc_ready)
		crc_make_tables();
	crc = ~crc;
	for (; n >= 8; n -= 8, p += 8) {
		uint32_t lo = load_le32(p) ^ crc, hi = load_le32(p + 4);

		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
	}
	for (; n > 0; n--, p++)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p) & 0xff];
	return ~crc;
}

static int magic_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)KILN_BUNDLE_MAGIC[i])
			return 0;
	return 1;
}

/* One section descriptor: inside the bundle, aligned, known, reserved 0. */
static int section_ok(const struct kiln_bundle *b, const struct kiln_section *s)
{
	if (s->type < KILN_SECTION_CONFIG || s->type > KILN_SECTION_ROOTDISK ||
	    s->reserved != 0 || s->offset % 8)
		return 0;
	if (s->offset < b->header_size || s->offset > b->total_size)
		return 0;
	return s->size <= b->total_size - s->offset;
}

static int sections_ok(const struct kiln_bundle *b)
{
	uint32_t seen = 0;

	if (b->nsections > KILN_MAX_SECTIONS)
		return 0;
	for (uint32_t i = 0; i < b->nsections; i++) {
		const struct kiln_section *s = &b->sections[i];

		if (!section_ok(b, s) || (seen & (1u << s->type)))
			return 0;
		seen |= 1u << s->type;
	}
	return 1;
}

/*
 * Untrusted input (the image file on the host, guest memory in the
 * kernel): the fixed header is checked before total_size is trusted,
 * total_size before any section, and each section before the crc reads
 * the bytes. buf must be 8-byte aligned.
 */
int bundle_check(const void *buf, size_t avail)
{
	const struct kiln_bundle *b = buf;
	int err = bundle_check_layout(buf, avail);

	if (err)
		return err;
	if (crc32_update(0, (const uint8_t *)buf + b->header_size,
			 b->total_size - b->header_size) != b->crc32)
		return BUNDLE_ECRC;
	return BUNDLE_OK;
}

int bundle_check_layout(const void *buf, size_t avail)
{
	const struct kiln_bundle *b = buf;
	const uint8_t *p = buf;
	size_t magic_len = sizeof(b->magic);

	if (!magic_ok(p, avail < magic_len ? avail : magic_len))
		return BUNDLE_EMAGIC;
	if (avail < sizeof(*b))
		return avail ? BUNDLE_ETRUNC : BUNDLE_EMAGIC;
	if (b->version != KILN_BUNDLE_VERSION)
		return BUNDLE_EVERSION;
	if (b->header_size != sizeof(*b) || b->total_size < sizeof(*b))
		return BUNDLE_ELAYOUT;
	if (b->total_size > avail)
		return BUNDLE_ETRUNC;
	if (!sections_ok(b))
		return BUNDLE_ELAYOUT;
	return BUNDLE_OK;
}

const char *bundle_strerror(int err)
{
	switch (err) {
	case BUNDLE_OK:
		return "valid bundle";
	case BUNDLE_EMAGIC:
		return "bad magic";
	case BUNDLE_EVERSION:
		return "unsupported bundle version";
	case BUNDLE_ETRUNC:
		return "truncated";
	case BUNDLE_ELAYOUT:
		return "bad section layout";
	case BUNDLE_ECRC:
		return "checksum mismatch";
	default:
		return "unknown bundle error";
	}
}

const void *bundle_section(const void *bundle, uint32_t type, size_t *size)
{
	const struct kiln_bundle *b = bundle;

	for (uint32_t i = 0; i < b->nsections && i < KILN_MAX_SECTIONS; i++) {
		if (b->sections[i].type == type) {
			*size = (size_t)b->sections[i].size;
			return (const uint8_t *)bundle + b->sections[i].offset;
		}
	}
	*size = 0;
	return NULL;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * Untrusted config: the header must fit in what is left, len is bounded
 * by KILN_CFG_MAX_VALUE before it is added, and the padded value must fit
 * too. Entries are read bytewise, so cfg needs no alignment.
 */
int cfg_next(const void *cfg, size_t size, size_t *pos, uint32_t *type,
	     const char **val, uint32_t *len)
{
	const uint8_t *p = cfg;
	size_t at = *pos, padded;
	uint32_t n;

	if (at == size)
		return 0;
	if (at > size || size - at < sizeof(struct kiln_cfg_entry))
		return -1;
	n = get_le32(p + at + 4);
	if (n > KILN_CFG_MAX_VALUE)
		return -1;
	padded = (n + CFG_ALIGN - 1) / CFG_ALIGN * CFG_ALIGN;
	at += sizeof(struct kiln_cfg_entry);
	if (size - at < padded)
		return -1;
	*type = get_le32(p + at - 8);
	*val = (const char *)p + at;
	*len = n;
	*pos = at + padded;
	return 1;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

size_t cfg_entry_size(uint32_t len)
{
	return sizeof(struct kiln_cfg_entry) +
	       ((size_t)len + CFG_ALIGN - 1) / CFG_ALIGN * CFG_ALIGN;
}

size_t cfg_put(void *cfg, size_t cap, size_t pos, uint32_t type,
	       const void *val, uint32_t len)
{
	uint8_t *p = cfg;
	const uint8_t *v = val;
	size_t need = cfg_entry_size(len);

	if (len > KILN_CFG_MAX_VALUE || pos > cap || cap - pos < need)
		return 0;
	put_le32(p + pos, type);
	put_le32(p + pos + 4, len);
	for (size_t i = 0; i < need - sizeof(struct kiln_cfg_entry); i++)
		p[pos + 8 + i] = i < len ? v[i] : 0;
	return pos + need;
}
