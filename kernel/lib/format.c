/* format.c - printf-style formatting without floating point or libc. */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

#define FMT_INT_MAX ((int)(~0u >> 1))

/* Flag bits of one conversion specification (C11 7.21.6.1p6). */
enum {
	FMT_LEFT = 1 << 0,  /* '-' */
	FMT_ZERO = 1 << 1,  /* '0' */
	FMT_PLUS = 1 << 2,  /* '+' */
	FMT_SPACE = 1 << 3, /* ' ' */
	FMT_ALT = 1 << 4,   /* '#' */
};

enum fmt_len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct fmt_spec {
	unsigned flags;
	int width; /* 0 when absent */
	int prec;  /* -1 when absent */
	enum fmt_len len;
};

/* Where characters go; count is what the full output would measure. */
struct fmt_out {
	void (*put)(char c, void *ctx);
	void *ctx;
	size_t count;
};

static void out_char(struct fmt_out *o, char c)
{
	o->put(c, o->ctx);
	o->count++;
}

static void out_repeat(struct fmt_out *o, char c, long long n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_mem(struct fmt_out *o, const char *s, size_t n)
{
	while (n--)
		out_char(o, *s++);
}

/* Parse a decimal field, saturating at INT_MAX rather than overflowing. */
static int parse_num(const char **pp)
{
	const char *p = *pp;
	int v = 0;

	while (*p >= '0' && *p <= '9') {
		int d = *p++ - '0';

		v = (v > (FMT_INT_MAX - d) / 10) ? FMT_INT_MAX : v * 10 + d;
	}
	*pp = p;
	return v;
}

static enum fmt_len parse_len(const char **pp)
{
	const char *p = *pp;
	enum fmt_len len = LEN_NONE;

	switch (*p) {
	case 'h':
		len = (p[1] == 'h') ? LEN_HH : LEN_H;
		break;
	case 'l':
		len = (p[1] == 'l') ? LEN_LL : LEN_L;
		break;
	case 'z':
		len = LEN_Z;
		break;
	case 't':
		len = LEN_T;
		break;
	case 'j':
		len = LEN_J;
		break;
	default:
		return LEN_NONE;
	}
	*pp = p + ((len == LEN_HH || len == LEN_LL) ? 2 : 1);
	return len;
}

/* Parse flag characters; their order in flag_chars matches the FMT_ bits. */
static unsigned parse_flags(const char **pp)
{
	static const char flag_chars[] = "-0+ #";
	unsigned flags = 0;

	for (;;) {
		int i = 0;

		while (flag_chars[i] && flag_chars[i] != **pp)
			i++;
		if (!flag_chars[i])
			return flags;
		flags |= 1u << i;
		(*pp)++;
	}
}

/* A width or precision: digits, or '*' taking an int argument. */
static int parse_field(const char **pp, va_list *ap, bool *negative)
{
	int v;

	*negative = false;
	if (**pp != '*')
		return parse_num(pp);
	(*pp)++;
	v = va_arg(*ap, int);
	if (v >= 0)
		return v;
	*negative = true;
	return v == -FMT_INT_MAX - 1 ? FMT_INT_MAX : -v;
}

/*
 * Parse flags, width, precision and length after a '%'; *pp ends on the
 * conversion character. A negative '*' width means '-' plus its magnitude;
 * a negative '*' precision counts as absent (C11 7.21.6.1p5).
 */
static void parse_spec(const char **pp, va_list *ap, struct fmt_spec *sp)
{
	bool negative;

	sp->flags = parse_flags(pp);
	sp->width = parse_field(pp, ap, &negative);
	if (negative)
		sp->flags |= FMT_LEFT;
	sp->prec = -1;
	if (**pp == '.') {
		(*pp)++;
		sp->prec = parse_field(pp, ap, &negative);
		if (negative)
			sp->prec = -1;
	}
	sp->len = parse_len(pp);
}

/* Fetch a signed argument of the given length, widened to 64 bits. */
static int64_t arg_signed(va_list *ap, enum fmt_len len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z: /* the signed type matching size_t */
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(va_list *ap, enum fmt_len len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (size_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Emit s[0..n) padded with spaces to the field width. */
static void emit_padded(struct fmt_out *o, const struct fmt_spec *sp,
			const char *s, size_t n)
{
	int pad = (size_t)sp->width > n ? sp->width - (int)n : 0;

	if (!(sp->flags & FMT_LEFT))
		out_repeat(o, ' ', pad);
	out_mem(o, s, n);
	if (sp->flags & FMT_LEFT)
		out_repeat(o, ' ', pad);
}

static void emit_string(struct fmt_out *o, const struct fmt_spec *sp,
			const char *s)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	/* With a precision, s need not be NUL-terminated: read no further. */
	while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
		n++;
	emit_padded(o, sp, s, n);
}

/*
 * Emit one integer: [padding][sign or 0x][zeros][digits][padding].
 * sign is '-', '+', ' ' or 0. C11 7.21.6.1p6 and p8 give the rules: a
 * precision disables '0'; "%.0d" of 0 prints no digits; '#' with 'o'
 * forces a leading zero and with 'x' prefixes 0x to nonzero values.
 */
static void emit_number(struct fmt_out *o, const struct fmt_spec *sp,
			uint64_t v, unsigned base, bool upper, char sign)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24], prefix[3]; /* 22 octal digits; sign or 0x */
	int nd = 0, np = 0;
	long long zeros, pad; /* wide enough for width + precision */

	for (uint64_t t = v; t; t /= base)
		buf[sizeof(buf) - ++nd] = digits[t % base];
	if (v == 0 && sp->prec != 0)
		buf[sizeof(buf) - ++nd] = '0';
	if (sign)
		prefix[np++] = sign;
	if ((sp->flags & FMT_ALT) && base == 16 && v != 0) {
		prefix[np++] = '0';
		prefix[np++] = upper ? 'X' : 'x';
	}
	zeros = sp->prec > nd ? (long long)sp->prec - nd : 0;
	if ((sp->flags & FMT_ALT) && base == 8 && zeros == 0 &&
	    (v != 0 || nd == 0))
		zeros = 1;
	pad = (long long)sp->width - (np + zeros + nd);
	if (pad > 0 && (sp->flags & (FMT_ZERO | FMT_LEFT)) == FMT_ZERO &&
	    sp->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & FMT_LEFT))
		out_repeat(o, ' ', pad);
	out_mem(o, prefix, (size_t)np);
	out_repeat(o, '0', zeros);
	out_mem(o, buf + sizeof(buf) - nd, (size_t)nd);
	if (sp->flags & FMT_LEFT)
		out_repeat(o, ' ', pad);
}

static void emit_signed(struct fmt_out *o, const struct fmt_spec *sp, int64_t v)
{
	char sign = 0;
	uint64_t mag = (uint64_t)v;

	if (v < 0) {
		sign = '-';
		mag = 0 - mag; /* well defined even for INT64_MIN */
	} else if (sp->flags & FMT_PLUS) {
		sign = '+';
	} else if (sp->flags & FMT_SPACE) {
		sign = ' ';
	}
	emit_number(o, sp, mag, 10, false, sign);
}

static void emit_pointer(struct fmt_out *o, struct fmt_spec *sp, const void *p)
{
	if (!p) {
		sp->prec = -1;
		emit_string(o, sp, "(nil)");
		return;
	}
	sp->flags |= FMT_ALT;
	emit_number(o, sp, (uintptr_t)p, 16, false, 0);
}

/*
 * Perform the conversion *conv. Returns false for an unknown conversion,
 * which the caller then copies through verbatim.
 */
static bool convert(struct fmt_out *o, struct fmt_spec *sp, char conv,
		    va_list *ap)
{
	char c;

	switch (conv) {
	case 'd':
	case 'i':
		emit_signed(o, sp, arg_signed(ap, sp->len));
		return true;
	case 'u':
		emit_number(o, sp, arg_unsigned(ap, sp->len), 10, false, 0);
		return true;
	case 'x':
	case 'X':
		emit_number(o, sp, arg_unsigned(ap, sp->len), 16, conv == 'X',
			    0);
		return true;
	case 'o':
		emit_number(o, sp, arg_unsigned(ap, sp->len), 8, false, 0);
		return true;
	case 'c':
		c = (char)va_arg(*ap, int);
		emit_padded(o, sp, &c, 1);
		return true;
	case 's':
		emit_string(o, sp, va_arg(*ap, const char *));
		return true;
	case 'p':
		emit_pointer(o, sp, va_arg(*ap, const void *));
		return true;
	case '%':
		out_char(o, '%');
		return true;
	default:
		return false;
	}
}

static int format_out(struct fmt_out *o, const char *fmt, va_list *ap)
{
	while (*fmt) {
		const char *start = fmt;
		struct fmt_spec spec;

		if (*fmt != '%') {
			out_char(o, *fmt++);
			continue;
		}
		fmt++;
		parse_spec(&fmt, ap, &spec);
		if (*fmt && convert(o, &spec, *fmt, ap)) {
			fmt++;
			continue;
		}
		/* Unknown or truncated spec: copy it, conversion included. */
		if (*fmt)
			fmt++;
		out_mem(o, start, (size_t)(fmt - start));
	}
	return o->count > (size_t)FMT_INT_MAX ? FMT_INT_MAX : (int)o->count;
}

int fmt_vformat(void (*put)(char c, void *ctx), void *ctx, const char *fmt,
		va_list ap)
{
	struct fmt_out o = { put, ctx, 0 };
	va_list aq;
	int n;

	/* Copy so helpers can take a pointer to it on every ABI. */
	va_copy(aq, ap);
	n = format_out(&o, fmt, &aq);
	va_end(aq);
	return n;
}

/* Bounded buffer sink for fmt_vsnprintf. */
struct fmt_buf {
	char *buf;
	size_t size;
	size_t pos;
};

static void buf_put(char c, void *ctx)
{
	struct fmt_buf *b = ctx;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buf b = { buf, size, 0 };
	int n = fmt_vformat(buf_put, &b, fmt, ap);

	if (size > 0)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
