/* bundle.c - validate a Kiln bundle, find its sections, read its boot config (portable). */
#include "lib/bundle.h"

#define CFG_ALIGN 8

/*
 * CRC-32, IEEE 802.3, reflected polynomial 0xedb88320, 4 bits per step
 * (a 16-entry table: small enough for the kernel's rodata, fast enough
 * for a few MiB at boot).
 */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t crc32_update(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
	}
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
	if (s->type < KILN_SECTION_CONFIG || s->type > KILN_SECTION_STDIN ||
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
	if (crc32_update(0, p + b->header_size,
			 b->total_size - b->header_size) != b->crc32)
		return BUNDLE_ECRC;
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
