/* cmdline.h - parsing of the kernel command line ("key=value key 'a b'"). */
#ifndef KILN_LIB_CMDLINE_H
#define KILN_LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Grammar: words separated by spaces or tabs; a word is KEY or KEY=VALUE;
 * a VALUE may be wrapped in double quotes to contain spaces ("a b"); there
 * are no escapes. Keys are compared exactly (case-sensitive). When a key
 * appears several times, the LAST occurrence wins (as on Linux).
 * A word with an unterminated quote makes the value run to the end of the
 * string (the quote itself is not part of the value).
 *
 * The input is untrusted: it may be NULL, empty, or not NUL-terminated
 * within len bytes (parsing stops at len or at the first NUL).
 *
 * Errors follow lib/'s rule (lib/bundle.h): never an errno. An absent key
 * is -1 from cmdline_get and cmdline_get_nth, CMDLINE_ENOKEY from
 * cmdline_get_u64.
 */

/*
 * cmdline_get: find KEY and copy its value (without quotes) into out,
 * NUL-terminated, truncated to outsize-1 bytes.
 * Returns the full length of the value (>= outsize means truncated),
 * 0 for a bare KEY or KEY=, and -1 when KEY is absent.
 */
long cmdline_get(const char *cmdline, size_t len, const char *key, char *out,
		 size_t outsize);

/* cmdline_has: true when KEY is present (bare or with a value). */
bool cmdline_has(const char *cmdline, size_t len, const char *key);

/*
 * cmdline_get_u64: parse KEY's value as an unsigned decimal or 0x-hex
 * number, with an optional K, M or G suffix (powers of 1024).
 * Returns 0 and stores the value; CMDLINE_ENOKEY when KEY is absent;
 * CMDLINE_EVALUE when the value is empty, malformed or overflows 64 bits.
 * On failure out is left unchanged.
 */
enum { CMDLINE_ENOKEY = 1, CMDLINE_EVALUE = 2 };
int cmdline_get_u64(const char *cmdline, size_t len, const char *key,
		    uint64_t *out);

/*
 * cmdline_get_nth: like cmdline_get, for the index-th occurrence of KEY
 * (0: the first, in command-line order), for keys that may repeat
 * (virtio_mmio.device=...). -1 when there are fewer occurrences.
 */
long cmdline_get_nth(const char *cmdline, size_t len, const char *key,
		     size_t index, char *out, size_t outsize);

/*
 * cmdline_parse_u64: parse s[0..n) (no NUL needed) as cmdline_get_u64
 * parses a value. False when empty, malformed or over 64 bits.
 */
bool cmdline_parse_u64(const char *s, size_t n, uint64_t *out);

#endif
