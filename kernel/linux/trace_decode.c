/* trace_decode.c - turning syscall argument values into strace-style text. */
#include "linux/trace_decode.h"

#include <stdarg.h>
#include <stdbool.h>

#include <asm/signal.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/time.h>

#include "lib/format.h"

struct flag_name {
	uint64_t value;
	const char *name;
};

#define F(x)          \
	{             \
		x, #x \
	}

void tl_printf(struct trace_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = fmt_vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	l->len += (size_t)n;
	if (l->len > sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 1;
}

void tl_quoted(struct trace_line *l, const char *s, size_t n)
{
	tl_printf(l, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			tl_printf(l, "\\n");
		else if (c == '\t')
			tl_printf(l, "\\t");
		else if (c == '\r')
			tl_printf(l, "\\r");
		else if (c == '"' || c == '\\')
			tl_printf(l, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			tl_printf(l, "\\x%02x", c);
		else
			tl_printf(l, "%c", c);
	}
	tl_printf(l, "\"");
}

/* Print each known flag fully contained in v, then what is left in hex. */
static void print_flags(struct trace_line *l, uint64_t v, bool first,
			const struct flag_name *t, size_t n)
{
	for (size_t i = 0; i < n && v; i++) {
		if ((v & t[i].value) != t[i].value)
			continue;
		tl_printf(l, "%s%s", first ? "" : "|", t[i].name);
		v &= ~t[i].value;
		first = false;
	}
	if (v || first)
		tl_printf(l, "%s%#lx", first ? "" : "|", (unsigned long)v);
}

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* O_SYNC contains O_DSYNC's bit: it must be tried first. */
static const struct flag_name open_flags[] = {
	F(O_CREAT),    F(O_EXCL),      F(O_NOCTTY),  F(O_TRUNC),
	F(O_APPEND),   F(O_NONBLOCK),  F(O_SYNC),    F(O_DSYNC),
	F(O_DIRECT),   F(O_LARGEFILE), F(O_TMPFILE), F(O_DIRECTORY),
	F(O_NOFOLLOW), F(O_NOATIME),   F(O_CLOEXEC), F(O_PATH),
	F(FASYNC),
};

void trace_open_flags(struct trace_line *l, uint64_t v)
{
	static const char *const acc[4] = { "O_RDONLY", "O_WRONLY", "O_RDWR",
					    "O_ACCMODE" };

	tl_printf(l, "%s", acc[v & O_ACCMODE]);
	print_flags(l, v & ~(uint64_t)O_ACCMODE, false, open_flags,
		    COUNT(open_flags));
}

static const struct flag_name prot_flags[] = {
	F(PROT_READ), F(PROT_WRITE),	 F(PROT_EXEC),
	F(PROT_SEM),  F(PROT_GROWSDOWN), F(PROT_GROWSUP),
};

void trace_prot(struct trace_line *l, uint64_t v)
{
	if (v == PROT_NONE)
		tl_printf(l, "PROT_NONE");
	else
		print_flags(l, v, true, prot_flags, COUNT(prot_flags));
}

static const struct flag_name map_flags[] = {
	F(MAP_FIXED),		F(MAP_ANONYMOUS),  F(MAP_GROWSDOWN),
	F(MAP_DENYWRITE),	F(MAP_EXECUTABLE), F(MAP_LOCKED),
	F(MAP_NORESERVE),	F(MAP_POPULATE),   F(MAP_NONBLOCK),
	F(MAP_STACK),		F(MAP_HUGETLB),	   F(MAP_SYNC),
	F(MAP_FIXED_NOREPLACE),
};

void trace_mmap_flags(struct trace_line *l, uint64_t v)
{
	static const char *const type[4] = { "0", "MAP_SHARED", "MAP_PRIVATE",
					     "MAP_SHARED_VALIDATE" };

	tl_printf(l, "%s", type[v & MAP_TYPE & 3]);
	print_flags(l, v & ~(uint64_t)MAP_TYPE, false, map_flags,
		    COUNT(map_flags));
}

void trace_signal(struct trace_line *l, uint64_t v)
{
	static const char *const names[] = {
		"0",	   "SIGHUP",	"SIGINT",  "SIGQUIT",  "SIGILL",
		"SIGTRAP", "SIGABRT",	"SIGBUS",  "SIGFPE",   "SIGKILL",
		"SIGUSR1", "SIGSEGV",	"SIGUSR2", "SIGPIPE",  "SIGALRM",
		"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",  "SIGSTOP",
		"SIGTSTP", "SIGTTIN",	"SIGTTOU", "SIGURG",   "SIGXCPU",
		"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
		"SIGPWR",  "SIGSYS",
	};

	if (v < COUNT(names))
		tl_printf(l, "%s", names[v]);
	else if (v <= 64)
		tl_printf(l, "SIGRTMIN+%lu", (unsigned long)(v - SIGRTMIN));
	else
		tl_printf(l, "%ld", (long)v);
}

void trace_clock(struct trace_line *l, uint64_t v)
{
	static const char *const names[] = {
		"CLOCK_REALTIME",	    "CLOCK_MONOTONIC",
		"CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
		"CLOCK_MONOTONIC_RAW",	    "CLOCK_REALTIME_COARSE",
		"CLOCK_MONOTONIC_COARSE",   "CLOCK_BOOTTIME",
		"CLOCK_REALTIME_ALARM",	    "CLOCK_BOOTTIME_ALARM",
		"CLOCK_SGI_CYCLE",	    "CLOCK_TAI",
	};
	uint32_t id = (uint32_t)v;

	if (id < COUNT(names))
		tl_printf(l, "%s", names[id]);
	else
		tl_printf(l, "%d", (int)id);
}

void trace_dirfd(struct trace_line *l, uint64_t v)
{
	if ((int)v == AT_FDCWD)
		tl_printf(l, "AT_FDCWD");
	else
		tl_printf(l, "%d", (int)v);
}
