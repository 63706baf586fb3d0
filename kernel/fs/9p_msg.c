/* 9p_msg.c - 9P2000.L message encoding and reply checking (portable, host-tested). */
#include "fs/9p_msg.h"

#include "lib/string.h"

/* Linux's errno values for the two answers this module makes itself. */
#define P9_EPROTO 71
#define P9_MAX_ERRNO 4095
#define P9_NAME_MAX 255

void p9_begin(struct p9_buf *b, void *data, size_t size, uint8_t type,
	      uint16_t tag)
{
	b->data = data;
	b->size = size;
	b->pos = 0;
	b->bad = false;
	p9_put_u32(b, 0); /* the size, filled by p9_finish */
	p9_put_u8(b, type);
	p9_put_u16(b, tag);
}

size_t p9_finish(struct p9_buf *b)
{
	size_t n = b->pos;

	if (b->bad || n > 0xffffffffU)
		return 0;
	b->pos = 0;
	p9_put_u32(b, (uint32_t)n);
	b->pos = n;
	return n;
}

/* Little-endian v of n bytes at the cursor. */
static void put_le(struct p9_buf *b, uint64_t v, unsigned n)
{
	if (b->bad || b->size - b->pos < n) {
		b->bad = true;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		b->data[b->pos++] = (uint8_t)(v >> (8 * i));
}

void p9_put_u8(struct p9_buf *b, uint8_t v)
{
	put_le(b, v, 1);
}

void p9_put_u16(struct p9_buf *b, uint16_t v)
{
	put_le(b, v, 2);
}

void p9_put_u32(struct p9_buf *b, uint32_t v)
{
	put_le(b, v, 4);
}

void p9_put_u64(struct p9_buf *b, uint64_t v)
{
	put_le(b, v, 8);
}

void p9_put_bytes(struct p9_buf *b, const void *p, size_t len)
{
	if (b->bad || b->size - b->pos < len) {
		b->bad = true;
		return;
	}
	memcpy(b->data + b->pos, p, len);
	b->pos += len;
}

void p9_put_str(struct p9_buf *b, const char *s, size_t len)
{
	if (len > 0xffff) {
		b->bad = true;
		return;
	}
	p9_put_u16(b, (uint16_t)len);
	p9_put_bytes(b, s, len);
}

/* Little-endian value of n bytes at the cursor; 0 and bad past the end. */
static uint64_t get_le(struct p9_buf *r, unsigned n)
{
	uint64_t v = 0;

	if (r->bad || r->size - r->pos < n) {
		r->bad = true;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->data[r->pos++] << (8 * i);
	return v;
}

uint8_t p9_get_u8(struct p9_buf *r)
{
	return (uint8_t)get_le(r, 1);
}

uint16_t p9_get_u16(struct p9_buf *r)
{
	return (uint16_t)get_le(r, 2);
}

uint32_t p9_get_u32(struct p9_buf *r)
{
	return (uint32_t)get_le(r, 4);
}

uint64_t p9_get_u64(struct p9_buf *r)
{
	return get_le(r, 8);
}

const void *p9_get_bytes(struct p9_buf *r, size_t n)
{
	const void *p;

	if (r->bad || r->size - r->pos < n) {
		r->bad = true;
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += n;
	return p;
}

const char *p9_get_str(struct p9_buf *r, size_t *len)
{
	*len = p9_get_u16(r);
	return p9_get_bytes(r, *len);
}

void p9_get_qid(struct p9_buf *r, struct p9_qid *q)
{
	q->type = p9_get_u8(r);
	q->version = p9_get_u32(r);
	q->path = p9_get_u64(r);
}

/*
 * Untrusted: the reply came from the host through the device. Only the
 * size field's bytes are the message; a size beyond what the device
 * wrote, or below a header, is a protocol error, as is a foreign tag.
 */
int p9_reply(struct p9_buf *r, const void *data, size_t len, uint16_t tag,
	     uint8_t want)
{
	uint32_t size, ecode;
	uint8_t type;

	r->data = (uint8_t *)(uintptr_t)data;
	r->size = len;
	r->pos = 0;
	r->bad = false;
	size = p9_get_u32(r);
	type = p9_get_u8(r);
	if (r->bad || size < P9_HDR_LEN || size > len || p9_get_u16(r) != tag)
		return -P9_EPROTO;
	r->size = size;
	if (type == want)
		return 0;
	if (type != P9_RLERROR)
		return -P9_EPROTO;
	ecode = p9_get_u32(r);
	if (r->bad || ecode == 0 || ecode > P9_MAX_ERRNO)
		return -P9_EPROTO;
	return -(int)ecode;
}

void p9_get_attr(struct p9_buf *r, struct p9_attr *a)
{
	a->valid = p9_get_u64(r);
	p9_get_qid(r, &a->qid);
	a->mode = p9_get_u32(r);
	a->uid = p9_get_u32(r);
	a->gid = p9_get_u32(r);
	a->nlink = p9_get_u64(r);
	a->rdev = p9_get_u64(r);
	a->size = p9_get_u64(r);
	a->blksize = p9_get_u64(r);
	a->blocks = p9_get_u64(r);
	a->atime_sec = p9_get_u64(r);
	a->atime_nsec = p9_get_u64(r);
	a->mtime_sec = p9_get_u64(r);
	a->mtime_nsec = p9_get_u64(r);
	a->ctime_sec = p9_get_u64(r);
	a->ctime_nsec = p9_get_u64(r);
	/* btime, gen and data_version follow; Kiln has no use for them. */
}

void p9_get_statfs(struct p9_buf *r, struct p9_statfs *s)
{
	s->type = p9_get_u32(r);
	s->bsize = p9_get_u32(r);
	s->blocks = p9_get_u64(r);
	s->bfree = p9_get_u64(r);
	s->bavail = p9_get_u64(r);
	s->files = p9_get_u64(r);
	s->ffree = p9_get_u64(r);
	s->fsid = p9_get_u64(r);
	s->namelen = p9_get_u32(r);
}

int p9_get_dirent(struct p9_buf *r, struct p9_dirent *d)
{
	if (r->pos == r->size)
		return 0;
	p9_get_qid(r, &d->qid);
	d->offset = p9_get_u64(r);
	d->type = p9_get_u8(r);
	d->name = p9_get_str(r, &d->namelen);
	if (r->bad || d->namelen == 0 || d->namelen > P9_NAME_MAX ||
	    memchr(d->name, '/', d->namelen) != NULL ||
	    memchr(d->name, '\0', d->namelen) != NULL)
		return -P9_EPROTO;
	return 1;
}
