/* bundle.h - validate a Kiln bundle and read its sections and boot config. */
#ifndef KILN_LIB_BUNDLE_H
#define KILN_LIB_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <kiln/image.h>

/*
 * Errors, the same in all of lib/ (which knows no errno): a function that
 * can fail in several ways returns 0 or a positive code from its header's
 * enum (BUNDLE_E*, ELF_E*, CMDLINE_E*; *_strerror names it where a message
 * needs one). Positive, so it never passes for a -errno: a kernel caller
 * picks its own errno. A yes/no result is a bool; a pointer is NULL when
 * there is none. The only negative result is -1 where a contract names it
 * ("malformed", "absent"), never an errno.
 */

/*
 * bundle_check: validate the bundle at buf (avail bytes readable there):
 * magic, version, header_size, total_size <= avail, every section inside
 * [header_size, total_size) without overflow, 8-aligned, known type, no
 * type twice, crc32 matching. Returns BUNDLE_OK (0) or a BUNDLE_E* code;
 * bundle_strerror names it ("bad magic", "truncated", ...).
 */
enum {
	BUNDLE_OK = 0,
	BUNDLE_EMAGIC = 1,
	BUNDLE_EVERSION = 2,
	BUNDLE_ETRUNC = 3,
	BUNDLE_ELAYOUT = 4,
	BUNDLE_ECRC = 5,
};
int bundle_check(const void *buf, size_t avail);
/*
 * bundle_check_layout: all of bundle_check but the crc32, which the
 * caller then checks over [header_size, total_size) as it likes (the
 * host, a piece at a time of a mapped file). Never BUNDLE_ECRC.
 */
int bundle_check_layout(const void *buf, size_t avail);
const char *bundle_strerror(int err);

/* Section of the given type in a checked bundle; NULL (*size 0) if none. */
const void *bundle_section(const void *bundle, uint32_t type, size_t *size);

/* IEEE 802.3 CRC-32 (zlib's crc32(0, buf, n) when crc starts at 0). */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t n);

/*
 * Iterate the CONFIG entries: cfg_next returns 1 and fills *type, *val,
 * *len for the next entry at *pos (start with *pos = 0); 0 at the end;
 * -1 (not an errno) when the entry is malformed: it runs past size, or
 * len > KILN_CFG_MAX_VALUE.
 */
int cfg_next(const void *cfg, size_t size, size_t *pos, uint32_t *type,
	     const char **val, uint32_t *len);

/*
 * Writing a CONFIG section (the CLI; tests): cfg_entry_size is the bytes
 * one entry of len value bytes takes, padding included. cfg_put writes it
 * at cfg[pos..] and returns the position after it, or 0 when it does not
 * fit in cap bytes or len > KILN_CFG_MAX_VALUE.
 */
size_t cfg_entry_size(uint32_t len);
size_t cfg_put(void *cfg, size_t cap, size_t pos, uint32_t type,
	       const void *val, uint32_t len);

#endif
