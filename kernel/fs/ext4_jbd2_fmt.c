/* ext4_jbd2_fmt.c - encoding and checking jbd2 journal blocks: superblock, descriptor tags, revoke records, checksums v2/v3. */
#include "fs/ext4_jbd2_fmt.h"

#include <asm-generic/errno.h>

#include "lib/crc32c.h"
#include "lib/string.h"

uint32_t jbd2_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

void jbd2_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* crc32c of b's bs bytes with the 4 at off taken as zero. */
static uint32_t csum_without(uint8_t *b, size_t bs, size_t off, uint32_t seed)
{
	uint32_t saved = jbd2_be32(b + off), c;

	jbd2_put_be32(b + off, 0);
	c = crc32c(seed, b, bs);
	jbd2_put_be32(b + off, saved);
	return c;
}

int jbd2_sb_decode(struct jbd2_sb *s, uint8_t *b, uint32_t bs, uint64_t isize)
{
	uint32_t type = jbd2_be32(b + 4);

	if (jbd2_be32(b) != JBD2_MAGIC ||
	    (type != JT_SB_V1 && type != JT_SB_V2) || jbd2_be32(b + 0xC) != bs)
		return -EIO;
	s->bs = bs;
	s->maxlen = jbd2_be32(b + 0x10);
	s->first = jbd2_be32(b + 0x14);
	s->seq = jbd2_be32(b + JSB_SEQUENCE);
	s->start = jbd2_be32(b + JSB_START);
	s->compat = type == JT_SB_V2 ? jbd2_be32(b + JSB_COMPAT) : 0;
	s->incompat = type == JT_SB_V2 ? jbd2_be32(b + JSB_INCOMPAT) : 0;
	memcpy(s->uuid, b + JSB_UUID, sizeof(s->uuid));
	if (s->incompat & ~(uint32_t)JI_KNOWN)
		return -EINVAL;
	if (s->first == 0 || s->first >= s->maxlen || s->maxlen > isize / bs ||
	    (s->start != 0 && (s->start < s->first || s->start >= s->maxlen)))
		return -EIO;
	s->csum = (s->incompat & (JI_CSUM_V2 | JI_CSUM_V3)) != 0;
	s->seed = crc32c(~0U, s->uuid, sizeof(s->uuid));
	if (s->csum &&
	    csum_without(b, 1024, JSB_CSUM, ~0U) != jbd2_be32(b + JSB_CSUM))
		return -EIO;
	return 0;
}

void jbd2_sb_encode(const struct jbd2_sb *s, uint8_t *b)
{
	jbd2_put_be32(b + 4, JT_SB_V2);
	jbd2_put_be32(b + JSB_SEQUENCE, s->seq);
	jbd2_put_be32(b + JSB_START, s->start);
	jbd2_put_be32(b + JSB_INCOMPAT, s->incompat);
	if (s->csum) {
		b[JSB_CSUM_TYPE] = JSB_CSUM_CRC32C;
		jbd2_put_be32(b + JSB_CSUM, 0);
		jbd2_put_be32(b + JSB_CSUM, crc32c(~0U, b, 1024));
	}
}

size_t jbd2_tag_bytes(const struct jbd2_sb *s)
{
	if (s->incompat & JI_CSUM_V3)
		return 16;
	return 8 + ((s->incompat & JI_64BIT) ? 4 : 0) +
	       ((s->incompat & JI_CSUM_V2) ? 2 : 0);
}

size_t jbd2_tail_start(const struct jbd2_sb *s)
{
	return s->bs - (s->csum ? 4 : 0);
}

bool jbd2_tail_ok(const struct jbd2_sb *s, uint8_t *b)
{
	return !s->csum || csum_without(b, s->bs, s->bs - 4, s->seed) ==
				   jbd2_be32(b + s->bs - 4);
}

void jbd2_tail_set(const struct jbd2_sb *s, uint8_t *b)
{
	if (s->csum)
		jbd2_put_be32(b + s->bs - 4,
			      csum_without(b, s->bs, s->bs - 4, s->seed));
}

/* The commit block's h_chksum[0] is at 16 (struct commit_header). */
bool jbd2_commit_ok(const struct jbd2_sb *s, uint8_t *b)
{
	return !s->csum ||
	       csum_without(b, s->bs, 16, s->seed) == jbd2_be32(b + 16);
}

void jbd2_commit_set(const struct jbd2_sb *s, uint8_t *b)
{
	if (s->csum)
		jbd2_put_be32(b + 16, csum_without(b, s->bs, 16, s->seed));
}

/* Linux's jbd2_block_tag_csum_set: crc32c(seed, be32 seq, data). */
uint32_t jbd2_block_csum(const struct jbd2_sb *s, uint32_t seq,
			 const uint8_t *data)
{
	uint8_t be[4];

	jbd2_put_be32(be, seq);
	return crc32c(crc32c(s->seed, be, 4), data, s->bs);
}

bool jbd2_block_csum_match(const struct jbd2_sb *s, uint32_t c, uint32_t csum)
{
	return (s->incompat & JI_CSUM_V3) ? c == csum : (c & 0xFFFF) == csum;
}

int jbd2_next_tag(const struct jbd2_sb *s, const uint8_t *b, size_t *off,
		  uint64_t *home, uint32_t *flags, uint32_t *csum)
{
	size_t tb = jbd2_tag_bytes(s);
	const uint8_t *t = b + *off;

	if (*off + tb > jbd2_tail_start(s))
		return 0;
	*home = jbd2_be32(t);
	if (s->incompat & JI_CSUM_V3) {
		*flags = jbd2_be32(t + 4);
		if (s->incompat & JI_64BIT)
			*home |= (uint64_t)jbd2_be32(t + 8) << 32;
		*csum = jbd2_be32(t + 12);
	} else {
		*csum = (uint32_t)t[4] << 8 | t[5];
		*flags = (uint32_t)t[6] << 8 | t[7];
		if (s->incompat & JI_64BIT)
			*home |= (uint64_t)jbd2_be32(t + 8) << 32;
	}
	*off += tb + ((*flags & TAG_SAME_UUID) ? 0 : 16);
	return 1;
}

/*
 * journal_block_tag3_t: blocknr, flags, blocknr_high, checksum;
 * journal_block_tag_t: blocknr, checksum (16), flags (16), blocknr_high.
 */
bool jbd2_put_tag(const struct jbd2_sb *s, uint8_t *b, size_t *off,
		  uint64_t home, uint32_t flags, uint32_t csum)
{
	size_t tb = jbd2_tag_bytes(s);
	bool first = *off == JHDR_SIZE;
	uint8_t *t = b + *off;

	if (*off + tb + (first ? 16 : 0) > jbd2_tail_start(s))
		return false;
	if (!first)
		flags |= TAG_SAME_UUID;
	jbd2_put_be32(t, (uint32_t)home);
	if (s->incompat & JI_CSUM_V3) {
		jbd2_put_be32(t + 4, flags);
		jbd2_put_be32(t + 8, (uint32_t)(home >> 32));
		jbd2_put_be32(t + 12, csum);
	} else {
		put_be16(t + 4, csum & 0xFFFF);
		put_be16(t + 6, flags);
		if (s->incompat & JI_64BIT)
			jbd2_put_be32(t + 8, (uint32_t)(home >> 32));
	}
	*off += tb;
	if (first) {
		memcpy(b + *off, s->uuid, 16);
		*off += 16;
	}
	return true;
}

void jbd2_tag_set_last(const struct jbd2_sb *s, uint8_t *b, size_t tag_off)
{
	uint8_t *t = b + tag_off;

	if (s->incompat & JI_CSUM_V3)
		jbd2_put_be32(t + 4, jbd2_be32(t + 4) | TAG_LAST);
	else
		t[7] |= TAG_LAST;
}

size_t jbd2_revoke_bytes(const struct jbd2_sb *s)
{
	return (s->incompat & JI_64BIT) ? 8 : 4;
}

void jbd2_put_header(uint8_t *b, uint32_t type, uint32_t seq)
{
	jbd2_put_be32(b, JBD2_MAGIC);
	jbd2_put_be32(b + 4, type);
	jbd2_put_be32(b + 8, seq);
}
