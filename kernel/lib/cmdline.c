/* cmdline.c - kernel command line lookup: KEY, KEY=VALUE, KEY="A B". */
#include "lib/cmdline.h"

#include "lib/ctype.h"

/*
 * The command line comes from the host, so it is untrusted: every read is
 * bounded by the length measured in cmdline_len, and nothing here assumes
 * a terminating NUL.
 */

/* One word of the command line, as offsets into it. */
struct cmdline_word {
	const char *key;
	size_t key_len;
	const char *val; /* NULL for a bare KEY */
	size_t val_len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Bytes before the first NUL, at most len; 0 for NULL. */
static size_t cmdline_len(const char *s, size_t len)
{
	size_t n = 0;

	if (!s)
		return 0;
	while (n < len && s[n])
		n++;
	return n;
}

/*
 * Parse the word starting at s[*pos] (not blank) into w and advance *pos
 * past it. A value opening with '"' runs to the next '"' or to the end;
 * anything between a closing quote and the next blank is ignored.
 */
static void parse_word(const char *s, size_t n, size_t *pos,
		       struct cmdline_word *w)
{
	size_t i = *pos;

	w->key = s + i;
	while (i < n && !is_blank(s[i]) && s[i] != '=')
		i++;
	w->key_len = (size_t)(s + i - w->key);
	w->val = NULL;
	w->val_len = 0;
	if (i < n && s[i] == '=') {
		i++;
		if (i < n && s[i] == '"') {
			w->val = s + ++i;
			while (i < n && s[i] != '"')
				i++;
			w->val_len = (size_t)(s + i - w->val);
		} else {
			w->val = s + i;
			while (i < n && !is_blank(s[i]))
				i++;
			w->val_len = (size_t)(s + i - w->val);
		}
	}
	while (i < n && !is_blank(s[i]))
		i++;
	*pos = i;
}

static bool key_equal(const struct cmdline_word *w, const char *key)
{
	size_t i;

	for (i = 0; i < w->key_len; i++) {
		if (key[i] != w->key[i])
			return false;
	}
	return key[i] == '\0';
}

/*
 * Find the word whose key is exactly key: the index-th one, or the last
 * one when index is SIZE_MAX. False when there is none.
 */
static bool cmdline_find_nth(const char *cmdline, size_t len, const char *key,
			     size_t index, struct cmdline_word *found)
{
	size_t n = cmdline_len(cmdline, len);
	size_t pos = 0, seen = 0;
	bool any = false;

	while (pos < n) {
		struct cmdline_word w;

		if (is_blank(cmdline[pos])) {
			pos++;
			continue;
		}
		parse_word(cmdline, n, &pos, &w);
		if (key_equal(&w, key)) {
			*found = w;
			any = true;
			if (seen++ == index)
				return true;
		}
	}
	return any && index == SIZE_MAX;
}

static bool cmdline_find(const char *cmdline, size_t len, const char *key,
			 struct cmdline_word *found)
{
	return cmdline_find_nth(cmdline, len, key, SIZE_MAX, found);
}

/* Copy w's value as cmdline_get does and return its full length. */
static long copy_value(const struct cmdline_word *w, char *out, size_t outsize)
{
	size_t n;

	if (outsize > 0) {
		n = w->val_len < outsize - 1 ? w->val_len : outsize - 1;
		for (size_t i = 0; i < n; i++)
			out[i] = w->val[i];
		out[n] = '\0';
	}
	return (long)w->val_len;
}

long cmdline_get(const char *cmdline, size_t len, const char *key, char *out,
		 size_t outsize)
{
	struct cmdline_word w;

	if (!cmdline_find(cmdline, len, key, &w))
		return -1;
	return copy_value(&w, out, outsize);
}

long cmdline_get_nth(const char *cmdline, size_t len, const char *key,
		     size_t index, char *out, size_t outsize)
{
	struct cmdline_word w;

	if (index == SIZE_MAX ||
	    !cmdline_find_nth(cmdline, len, key, index, &w))
		return -1;
	return copy_value(&w, out, outsize);
}

bool cmdline_has(const char *cmdline, size_t len, const char *key)
{
	struct cmdline_word w;

	return cmdline_find(cmdline, len, key, &w);
}

/* Value of c as a digit in base, or -1 (hex_value: -1 for non-hex). */
static int digit_value(char c, unsigned base)
{
	int d = hex_value(c);

	return d >= 0 && (unsigned)d < base ? d : -1;
}

/* Suffix multiplier as a shift: K, M, G (either case) or none. */
static int suffix_shift(char c)
{
	switch (c) {
	case 'K':
	case 'k':
		return 10;
	case 'M':
	case 'm':
		return 20;
	case 'G':
	case 'g':
		return 30;
	default:
		return -1;
	}
}

/*
 * Parse s[0..n) as digits in base 10 or 0x-prefixed base 16 followed by an
 * optional suffix. Leading zeros are decimal, not octal. Returns false on
 * an empty number, a stray character or 64-bit overflow.
 */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;
	int shift;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n || digit_value(s[i], base) < 0)
		return false;
	for (; i < n && digit_value(s[i], base) >= 0; i++) {
		unsigned d = (unsigned)digit_value(s[i], base);

		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (i < n && (shift = suffix_shift(s[i])) >= 0) {
		if (v > UINT64_MAX >> shift)
			return false;
		v <<= shift;
		i++;
	}
	if (i != n)
		return false;
	*out = v;
	return true;
}

bool cmdline_parse_u64(const char *s, size_t n, uint64_t *out)
{
	return s && parse_u64(s, n, out);
}

int cmdline_get_u64(const char *cmdline, size_t len, const char *key,
		    uint64_t *out)
{
	struct cmdline_word w;

	if (!cmdline_find(cmdline, len, key, &w))
		return CMDLINE_ENOKEY;
	if (!w.val || !parse_u64(w.val, w.val_len, out))
		return CMDLINE_EVALUE;
	return 0;
}
