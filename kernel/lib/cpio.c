/* cpio.c - read and write "newc" cpio archives (portable: kernel and host). */
#include "lib/cpio.h"

#include "lib/ctype.h"

/*
 * newc header: the magic "070701" (or "070702", same layout plus a checksum
 * we ignore) and 13 fields of 8 ASCII hex digits, 110 bytes in all:
 *
 *   0 magic[6]   6 ino   14 mode   22 uid   30 gid   38 nlink   46 mtime
 *  54 filesize  62 devmajor  70 devminor  78 rdevmajor  86 rdevminor
 *  94 namesize (with the NUL)  102 check
 *
 * Then the name and its NUL, zero-padded so the data starts at a multiple
 * of 4 from the start of the archive; then the data, padded the same way.
 *
 * namesize may count NULs after the name's own (GNU cpio and Linux's
 * initramfs read the name as a C string): `kiln build` uses them to start
 * a large file's data on a page boundary. The name proper is limited to
 * PATH_MAX; namesize may be a page more than that, every extra byte NUL.
 */
#define CPIO_HDR 110
/* Bytes of a name, its NUL included (PATH_MAX). */
#define CPIO_NAME_MAX 4096
/* namesize limit: a name plus at most a page of extra NULs. */
#define CPIO_NAMESIZE_MAX (CPIO_NAME_MAX + 4096)
#define CPIO_S_IFMT 0170000u
#define CPIO_S_IFDIR 0040000u

enum cpio_field {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	F_COUNT
};

static const char trailer[] = "TRAILER!!!";

/* Parse exactly 8 hex digits at p into *out; -1 if any is not hex. */
static int parse_field(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int d = hex_value(p[i]);

		if (d < 0)
			return -1;
		v = (v << 4) | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static size_t align4(size_t n)
{
	return n + cpio_pad(n);
}

static int is_magic(const char *p)
{
	static const char magic[] = "07070";

	for (int i = 0; i < 5; i++)
		if (p[i] != magic[i])
			return 0;
	return p[5] == '1' || p[5] == '2';
}

static int is_trailer(const char *name, size_t namelen)
{
	if (namelen != sizeof(trailer) - 1)
		return 0;
	for (size_t i = 0; i < namelen; i++)
		if (name[i] != trailer[i])
			return 0;
	return 1;
}

/* Parse the 13 fields of the header at h; -1 on a non-hex digit. */
static int parse_header(const char *h, uint32_t f[F_COUNT])
{
	if (!is_magic(h))
		return -1;
	for (int i = 0; i < F_COUNT; i++)
		if (parse_field(h + 6 + 8 * i, &f[i]) < 0)
			return -1;
	return 0;
}

/*
 * The length of the name of namesize bytes at name: up to its first NUL,
 * every byte after it NUL too, and short of CPIO_NAME_MAX. -1 otherwise.
 */
static long name_length(const char *name, size_t namesize)
{
	size_t len = 0;

	while (len < namesize && name[len] != '\0')
		len++;
	if (len == namesize || len >= CPIO_NAME_MAX)
		return -1;
	for (size_t i = len; i < namesize; i++)
		if (name[i] != '\0')
			return -1;
	return (long)len;
}

/*
 * Untrusted input: every offset below is checked against size before the
 * bytes it names are read, by comparing with what is left (no addition
 * that could wrap).
 */
int cpio_next(const void *archive, size_t size, size_t *pos,
	      struct cpio_entry *out)
{
	const char *a = archive;
	uint32_t f[F_COUNT];
	size_t p = *pos, name_off, data_off;
	long namelen;

	if (!a || p > size || p % 4 || size - p < CPIO_HDR)
		return -1;
	if (parse_header(a + p, f) < 0)
		return -1;
	if (f[F_NAMESIZE] < 1 || f[F_NAMESIZE] > CPIO_NAMESIZE_MAX)
		return -1;
	name_off = p + CPIO_HDR;
	if (size - name_off < f[F_NAMESIZE])
		return -1;
	namelen = name_length(a + name_off, f[F_NAMESIZE]);
	if (namelen < 0)
		return -1;
	if (is_trailer(a + name_off, (size_t)namelen))
		return 0;
	data_off = align4(name_off + f[F_NAMESIZE]);
	if (data_off > size || size - data_off < f[F_FILESIZE])
		return -1;

	out->name = a + name_off;
	out->namelen = (size_t)namelen;
	out->mode = f[F_MODE];
	out->uid = f[F_UID];
	out->gid = f[F_GID];
	out->nlink = f[F_NLINK];
	out->mtime = f[F_MTIME];
	out->data = a + data_off;
	out->size = f[F_FILESIZE];
	p = data_off + f[F_FILESIZE];
	/* The final padding may be missing; the next call then fails cleanly. */
	p = size - p < cpio_pad(p) ? size : align4(p);
	*pos = p;
	return 1;
}

size_t cpio_pad(size_t n)
{
	return (4 - n % 4) % 4;
}

size_t cpio_header_size(size_t namelen)
{
	return align4(CPIO_HDR + namelen + 1);
}

size_t cpio_name_pad(size_t at, size_t namelen, size_t align)
{
	size_t end = at + CPIO_HDR + namelen + 1;

	return (align - end % align) % align;
}

static void put_hex8(char *out, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 7; i >= 0; i--) {
		out[i] = digits[v & 0xf];
		v >>= 4;
	}
}

size_t cpio_header(char *out, const char *name, uint32_t mode, uint32_t uid,
		   uint32_t gid, uint32_t mtime, uint64_t filesize,
		   uint32_t ino)
{
	return cpio_header_padded(out, name, mode, uid, gid, mtime, filesize,
				  ino, 0);
}

/*
 * filesize must fit in 32 bits (newc's limit): the caller checks it; a
 * larger value would be truncated here.
 */
size_t cpio_header_padded(char *out, const char *name, uint32_t mode,
			  uint32_t uid, uint32_t gid, uint32_t mtime,
			  uint64_t filesize, uint32_t ino, size_t name_pad)
{
	uint32_t f[F_COUNT] = { 0 };
	size_t namelen = 0, total;

	while (name[namelen])
		namelen++;
	f[F_INO] = ino;
	f[F_MODE] = mode;
	f[F_UID] = uid;
	f[F_GID] = gid;
	f[F_NLINK] = (mode & CPIO_S_IFMT) == CPIO_S_IFDIR ? 2 : 1;
	f[F_MTIME] = mtime;
	f[F_FILESIZE] = (uint32_t)filesize;
	f[F_NAMESIZE] = (uint32_t)(namelen + 1 + name_pad);

	for (int i = 0; i < 6; i++)
		out[i] = "070701"[i];
	for (int i = 0; i < F_COUNT; i++)
		put_hex8(out + 6 + 8 * i, f[i]);
	total = cpio_header_size(namelen + name_pad);
	for (size_t i = 0; i < namelen; i++)
		out[CPIO_HDR + i] = name[i];
	for (size_t i = CPIO_HDR + namelen; i < total; i++)
		out[i] = '\0';
	return total;
}
