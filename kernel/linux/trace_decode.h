/* trace_decode.h - pieces of syscall tracing: the line buffer and value decoders. */
#ifndef KILN_LINUX_TRACE_DECODE_H
#define KILN_LINUX_TRACE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_LINE_MAX 400

/* One trace line being built; output past the end is dropped, never overrun. */
struct trace_line {
	char buf[TRACE_LINE_MAX];
	size_t len;
};

void tl_printf(struct trace_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Bytes as a C string literal: "hello\n", \xNN for the unprintable. */
void tl_quoted(struct trace_line *l, const char *s, size_t n);

/* Decoders: symbolic names joined by '|', unknown bits as hex. */
void trace_open_flags(struct trace_line *l, uint64_t v);
void trace_prot(struct trace_line *l, uint64_t v);
void trace_mmap_flags(struct trace_line *l, uint64_t v);
void trace_signal(struct trace_line *l, uint64_t v);
void trace_clock(struct trace_line *l, uint64_t v);
void trace_dirfd(struct trace_line *l, uint64_t v);

#endif
