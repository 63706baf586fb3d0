/* 9p_msg.h - 9P2000.L messages: encoding requests and checking replies (portable, host-tested). */
#ifndef KILN_FS_9P_MSG_H
#define KILN_FS_9P_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every message (9P2000 intro(5), with the .L types of Linux's
 * include/net/9p/9p.h): little-endian
 *
 *   size[4] type[1] tag[2] body...      size counts itself
 *
 * strings are len[2] + bytes (no NUL), a qid is type[1] version[4]
 * path[8]. A reply is R<type> = T<type> + 1, or Rlerror ecode[4].
 */
#define P9_HDR_LEN 7
#define P9_QID_LEN 13
#define P9_NOTAG 0xffff
#define P9_NOFID 0xffffffffU

enum p9_type {
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_TLOPEN = 12,
	P9_TLCREATE = 14,
	P9_TSYMLINK = 16,
	P9_TREADLINK = 22,
	P9_TGETATTR = 24,
	P9_TSETATTR = 26,
	P9_TREADDIR = 40,
	P9_TFSYNC = 50,
	P9_TLINK = 70,
	P9_TMKDIR = 72,
	P9_TRENAMEAT = 74,
	P9_TUNLINKAT = 76,
	P9_TVERSION = 100,
	P9_TATTACH = 104,
	P9_TWALK = 110,
	P9_TREAD = 116,
	P9_TWRITE = 118,
	P9_TCLUNK = 120,
};

/* Twalk carries at most 16 names (P9_MAXWELEM). */
#define P9_MAXWELEM 16

/* Tgetattr's request mask: the basic fields (P9_GETATTR_BASIC). */
#define P9_GETATTR_BASIC 0x7ffULL

/* Tsetattr's valid bits (Linux's P9_ATTR_*). */
#define P9_SETATTR_MODE 0x1U
#define P9_SETATTR_SIZE 0x8U
#define P9_SETATTR_ATIME 0x10U
#define P9_SETATTR_MTIME 0x20U
#define P9_SETATTR_CTIME 0x40U

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* Rgetattr's fields (the basic set). */
struct p9_attr {
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
	uint64_t ctime_sec, ctime_nsec;
};

/* Rstatfs. */
struct p9_statfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

/*
 * A message being built or read: data[0..size), cursor pos. Any put
 * past size or get past the end sets bad; callers check it once at the
 * end rather than after every field.
 */
struct p9_buf {
	uint8_t *data;
	size_t size;
	size_t pos;
	bool bad;
};

/* Start a request of type with tag in b (data, size: its buffer). */
void p9_begin(struct p9_buf *b, void *data, size_t size, uint8_t type,
	      uint16_t tag);
/* Write the size field: the message's length, or 0 when it did not fit. */
size_t p9_finish(struct p9_buf *b);

void p9_put_u8(struct p9_buf *b, uint8_t v);
void p9_put_u16(struct p9_buf *b, uint16_t v);
void p9_put_u32(struct p9_buf *b, uint32_t v);
void p9_put_u64(struct p9_buf *b, uint64_t v);
/* A string of len bytes (len <= 65535, else bad). */
void p9_put_str(struct p9_buf *b, const char *s, size_t len);
void p9_put_bytes(struct p9_buf *b, const void *p, size_t len);

/*
 * Untrusted: the reply in data[0..len) (len what the device said it
 * wrote). Checks the header (a size field of at least the header and
 * at most len: the body ends there; the tag) and the type: returns 0 and leaves r at
 * the body when the type is want, -ecode for a well-formed Rlerror
 * (ecode 1..4095), -EPROTO (as 71) for anything else. Positive errno
 * values are Linux's: the host is a Linux server.
 */
int p9_reply(struct p9_buf *r, const void *data, size_t len, uint16_t tag,
	     uint8_t want);

uint8_t p9_get_u8(struct p9_buf *r);
uint16_t p9_get_u16(struct p9_buf *r);
uint32_t p9_get_u32(struct p9_buf *r);
uint64_t p9_get_u64(struct p9_buf *r);
void p9_get_qid(struct p9_buf *r, struct p9_qid *q);
/*
 * A string: a pointer into the message (not terminated) and its length;
 * NULL (and bad) when it runs past the end.
 */
const char *p9_get_str(struct p9_buf *r, size_t *len);
/* n bytes in place, or NULL (and bad). */
const void *p9_get_bytes(struct p9_buf *r, size_t n);
void p9_get_attr(struct p9_buf *r, struct p9_attr *a);
void p9_get_statfs(struct p9_buf *r, struct p9_statfs *s);

/*
 * One entry of Rreaddir's data (qid[13] offset[8] type[1] name[s]),
 * read from r. 1 with the entry, 0 at the end of the data, -EPROTO (71)
 * for a truncated entry, a name that is empty, too long (> 255), or
 * holds '/' or NUL.
 */
struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset;
	uint8_t type;
	const char *name;
	size_t namelen;
};
int p9_get_dirent(struct p9_buf *r, struct p9_dirent *d);

#endif
