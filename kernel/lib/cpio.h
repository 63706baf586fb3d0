/* cpio.h - read and write "newc" cpio archives (the image's root file system). */
#ifndef KILN_LIB_CPIO_H
#define KILN_LIB_CPIO_H

#include <stddef.h>
#include <stdint.h>

/*
 * The "newc" format (magic 070701): a 110-byte ASCII-hex header, the NUL-
 * terminated name padded to 4 bytes, the data padded to 4 bytes; the
 * archive ends with the entry "TRAILER!!!". The input is untrusted: every
 * field is checked for hex digits, names for NUL termination and length,
 * and sizes against the bytes left, without overflow.
 */
struct cpio_entry {
	const char *
		name; /* NUL-terminated, inside the archive; no "./" prefix stripped */
	size_t namelen; /* without the NUL */
	uint32_t mode;	/* file type and permission bits (S_IFREG...) */
	uint32_t uid, gid;
	uint32_t nlink;
	uint32_t mtime;
	const void *data; /* file contents or symlink target */
	size_t size;
};

/*
 * cpio_next: parse the entry at *pos (start with 0) of archive[0..size).
 * Returns 1 and advances *pos; 0 at the trailer; -1 on malformed input
 * (lib/ knows no errno: a caller in the kernel picks its own, -EINVAL).
 */
int cpio_next(const void *archive, size_t size, size_t *pos,
	      struct cpio_entry *out);

/*
 * cpio_header: write one newc header + name (+ padding) into out, which
 * must hold cpio_header_size(strlen(name)) bytes; the caller appends the
 * data and cpio_pad(size) zero bytes. Returns the bytes written.
 */
size_t cpio_header_size(size_t namelen);
size_t cpio_pad(size_t n);
size_t cpio_header(char *out, const char *name, uint32_t mode, uint32_t uid,
		   uint32_t gid, uint32_t mtime, uint64_t filesize,
		   uint32_t ino);

/*
 * Aligned data: cpio_name_pad is how many NULs to count in namesize after
 * the name so that the data of an entry whose header starts at offset at
 * (a multiple of 4) starts at a multiple of align (a multiple of 4, at
 * most 4096); cpio_header_padded writes the header with them, which needs
 * cpio_header_size(namelen + name_pad) bytes.
 */
size_t cpio_name_pad(size_t at, size_t namelen, size_t align);
size_t cpio_header_padded(char *out, const char *name, uint32_t mode,
			  uint32_t uid, uint32_t gid, uint32_t mtime,
			  uint64_t filesize, uint32_t ino, size_t name_pad);

#endif
