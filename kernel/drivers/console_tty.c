/* console_tty.c - the terminal's line discipline: typed bytes on COM1 into input, as Linux's n_tty. */
#include <asm-generic/errno.h>

#include "arch.h"
#include "core/sched.h"
#include "drivers/console.h"
#include "drivers/console_int.h"
#include "lib/string.h"

/*
 * The host's terminal is raw (QEMU's stdio, signal=off), so this is the
 * line discipline, the part of n_tty programs rely on. Each typed byte
 * is processed as it arrives, under the settings of that moment
 * (n_tty_receive_char_special): IXON's VSTOP/VSTART, the filter (ISIG,
 * fs/console_file.c), input mapping, then in canonical mode the editing
 * characters (VERASE, VKILL, VWERASE, VLNEXT, VREPRINT) and line ends
 * ('\n', VEOF); what is left is input, echoed at once under ECHO.
 *
 * The UART interrupt is not wired, so the UART is polled every 10 ms:
 * from a kernel timer once the filter is set (console_set_rx_filter),
 * and while a reader waits. Processed bytes wait in rx (n_tty's
 * read_buf); in canonical mode the first rx_canon of them are complete
 * lines (canon_head) and the rest the line being typed. A line ends at
 * a byte marked in rx_eol: its '\n', or a 0 standing for VEOF, which a
 * read drops (__DISABLED_CHAR). When rx is full the UART is left alone
 * and QEMU holds what is typed after.
 */
#define TTY_POLL_NS 10000000ULL
#define UART_LSR 5
#define LSR_DATA_READY 0x01

/* Typed bytes not yet taken by a read (N_TTY_BUF_SIZE) */
#define RX_SIZE 4096

static char rx[RX_SIZE];
static size_t rx_head, rx_len, rx_canon;
static uint8_t rx_eol[RX_SIZE / 8];
static bool (*rx_filter)(char c);
static struct ktimer rx_timer;
static uint64_t rx_count;
static bool lnext;	  /* VLNEXT typed: the next byte is literal */
static bool stopped, tco; /* output stopped (IXON, or TCOOFF: tco) */
static char held[256];	  /* echo while stopped, as a pty holds it */
static size_t held_len;

/* The settings of a terminal at start, as Linux's tty_std_termios. */
static struct console_mode mode = {
	.icanon = true,
	.echo = true,
	.echoe = true,
	.echoctl = true,
	.icrnl = true,
	.ixon = true,
	.iexten = true,
	.verase = 127,
	.vkill = 21,
	.veof = 4,
	.vmin = 1,
	.vwerase = 23,
	.vlnext = 22,
	.vreprint = 18,
	.vstart = 17,
	.vstop = 19,
};

static size_t rx_at(size_t i)
{
	return (rx_head + i) % RX_SIZE;
}

static bool eol_at(size_t i)
{
	size_t k = rx_at(i);

	return rx_eol[k / 8] & (1u << (k % 8));
}

static void eol_set(size_t i, bool on)
{
	size_t k = rx_at(i);

	if (on)
		rx_eol[k / 8] |= (uint8_t)(1u << (k % 8));
	else
		rx_eol[k / 8] &= (uint8_t) ~(1u << (k % 8));
}

/* Terminal output of the line discipline: held while output is stopped. */
static void tty_echo(const char *s, size_t n)
{
	if (!stopped) {
		console_out(s, n);
		return;
	}
	/* What does not fit is lost, as n_tty's echo buffer overruns. */
	for (size_t i = 0; i < n && held_len < sizeof(held); i++)
		held[held_len++] = s[i];
}

static bool is_ctl(char c)
{
	return ((unsigned char)c < ' ' || c == 0x7f) && c != '\t';
}

/* Echo a byte (n_tty's echo_char): controls as ^X under ECHOCTL. */
static void echo_char(char c)
{
	char e[2] = { '^', (char)(c ^ 0x40) };

	if (is_ctl(c) && mode.echoctl)
		tty_echo(e, 2);
	else
		tty_echo(&c, 1);
}

void console_tty_start(void)
{
	stopped = tco = false;
	console_out(held, held_len);
	held_len = 0;
}

void console_tty_stop(bool by_tcoff)
{
	stopped = true;
	tco = by_tcoff;
}

int console_out_wait(void)
{
	while (stopped)
		if (sched_sleep(time_ns() + TTY_POLL_NS, true) == -EINTR)
			return -EINTR;
	return 0;
}

/* Store a byte as input; ends a canonical line when eol. */
static void rx_put(char c, bool eol)
{
	/* Canonical mode keeps the last slot for the line's end (n_tty). */
	if (rx_len + (mode.icanon && !eol) >= RX_SIZE)
		return;
	rx[rx_at(rx_len)] = c;
	eol_set(rx_len, eol);
	rx_len++;
	rx_count++;
	if (eol)
		rx_canon = rx_len;
}

/* A byte as input, echoed (n_tty_receive_char). */
static void rx_input(char c)
{
	if (rx_len + mode.icanon >= RX_SIZE)
		return;
	if (mode.echo)
		echo_char(c);
	rx_put(c, false);
}

/* Erase the last byte of the line being typed, as ECHOE shows it. */
static char erase_one(void)
{
	char c = rx[rx_at(--rx_len)];

	if (!mode.echo)
		return c;
	if (!mode.echoe) {
		echo_char((char)mode.verase);
		return c;
	}
	tty_echo("\b \b", 3);
	if (is_ctl(c) && mode.echoctl)
		tty_echo("\b \b", 3);
	return c;
}

/*
 * VERASE, VKILL and VWERASE (n_tty's eraser): back to the line's start
 * at most. VWERASE takes trailing non-word bytes, then the word (letters,
 * digits and '_': Linux's ALTWERASE-like rule).
 */
static void eraser(char c)
{
	bool seen = false, word;
	char last;

	if (c == (char)mode.verase) {
		if (rx_len > rx_canon)
			erase_one();
		return;
	}
	while (rx_len > rx_canon) {
		if (c == (char)mode.vkill) {
			erase_one();
			continue;
		}
		last = rx[rx_at(rx_len - 1)];
		word = (last >= '0' && last <= '9') ||
		       (last >= 'a' && last <= 'z') ||
		       (last >= 'A' && last <= 'Z') || last == '_';
		if (!word && seen)
			break;
		seen |= word;
		erase_one();
	}
}

/* VREPRINT: "^R", a new line, and the line typed so far again. */
static void reprint(char c)
{
	echo_char(c);
	tty_echo("\r\n", 2);
	for (size_t i = rx_canon; i < rx_len; i++)
		echo_char(rx[rx_at(i)]);
}

static bool is_cc(char c, unsigned char cc)
{
	return cc != 0 && c == (char)cc; /* 0 is _POSIX_VDISABLE */
}

/* Canonical mode's special bytes; true when c was one. */
static bool canon_special(char c)
{
	if (is_cc(c, mode.verase) || is_cc(c, mode.vkill) ||
	    (mode.iexten && is_cc(c, mode.vwerase))) {
		eraser(c);
	} else if (mode.iexten && is_cc(c, mode.vlnext)) {
		lnext = true;
		if (mode.echo && mode.echoctl)
			tty_echo("^\b", 2);
	} else if (mode.iexten && mode.echo && is_cc(c, mode.vreprint)) {
		reprint(c);
	} else if (c == '\n') {
		if (mode.echo || mode.echonl)
			tty_echo("\r\n", 2);
		rx_put('\n', true);
	} else if (is_cc(c, mode.veof)) {
		rx_put(0, true);
	} else {
		return false;
	}
	return true;
}

/* One typed byte, as n_tty_receive_char_special takes it. */
static void rx_receive(char c)
{
	if (lnext) {
		lnext = false;
		rx_input(c);
		return;
	}
	if (mode.ixon && (is_cc(c, mode.vstart) || is_cc(c, mode.vstop))) {
		if (is_cc(c, mode.vstart))
			console_tty_start();
		else
			console_tty_stop(false);
		return;
	}
	if (rx_filter != NULL && rx_filter(c)) {
		if (mode.ixon)
			console_tty_start();
		return;
	}
	if (stopped && !tco && mode.ixon && mode.ixany)
		console_tty_start();
	if (c == '\r') {
		if (mode.igncr)
			return;
		if (mode.icrnl)
			c = '\n';
	} else if (c == '\n' && mode.inlcr) {
		c = '\r';
	}
	if (mode.icanon && canon_special(c))
		return;
	rx_input(c);
}

void console_rx_poll(void)
{
	if (!console_is_tty())
		return;
	while (rx_len < RX_SIZE &&
	       (inb(SERIAL_COM1 + UART_LSR) & LSR_DATA_READY))
		rx_receive((char)inb(SERIAL_COM1));
}

static void rx_tick(struct ktimer *t)
{
	console_rx_poll();
	ktimer_arm(t, time_ns() + TTY_POLL_NS, rx_tick);
}

void console_set_rx_filter(bool (*filter)(char c))
{
	rx_filter = filter;
	if (console_is_tty() && !rx_timer.armed)
		ktimer_arm(&rx_timer, time_ns() + TTY_POLL_NS, rx_tick);
}

void console_flush_input(void)
{
	rx_len = rx_canon = 0;
	lnext = false;
}

/*
 * New settings (n_tty_set_termios). ICANON turned on with input pending:
 * what was typed while it was off becomes one line, readable at once
 * (canon_head moved to read_head, "push"); turned off: every byte is
 * raw input. IXON turned off restarts output stopped by VSTOP.
 */
void console_set_mode(const struct console_mode *m)
{
	if (m->icanon != mode.icanon) {
		memset(rx_eol, 0, sizeof(rx_eol));
		rx_canon = m->icanon ? rx_len : 0;
		if (rx_len > 0 && m->icanon)
			eol_set(rx_len - 1, true);
	}
	if (!m->ixon && mode.ixon && !tco)
		console_tty_start();
	mode = *m;
}

/* How many bytes a raw read waits for, as n_tty's input_available_p. */
static size_t raw_wanted(void)
{
	return mode.vmin != 0 && mode.vtime == 0 ? mode.vmin : 1;
}

bool console_tty_ready(void)
{
	console_rx_poll();
	return mode.icanon ? rx_canon > 0 : rx_len >= raw_wanted();
}

uint64_t console_tty_count(void)
{
	return rx_count;
}

/* n_tty's inq_canon: complete lines' bytes but the VEOF marks; raw: all. */
size_t console_tty_avail(void)
{
	size_t n;

	console_rx_poll();
	if (!mode.icanon)
		return rx_len;
	n = rx_canon;
	for (size_t i = 0; i < rx_canon; i++)
		if (eol_at(i) && rx[rx_at(i)] == 0)
			n--;
	return n;
}

/* Drop k bytes from the front of rx. */
static void rx_pop(size_t k)
{
	rx_head = rx_at(k);
	rx_len -= k;
	rx_canon = rx_canon > k ? rx_canon - k : 0;
}

/*
 * Canonical read (canon_copy_from_read_buf): wait for a complete line,
 * return up to n bytes of it; a VEOF ending it is taken but not
 * returned, so a VEOF at a line's start reads as 0, end of input.
 */
static long read_canon(char *buf, size_t n)
{
	size_t k = 0;

	while (!console_tty_ready())
		if (sched_sleep(time_ns() + TTY_POLL_NS, true) == -EINTR)
			return -EINTR;
	while (k < n && k < rx_canon) {
		char c = rx[rx_at(k)];

		if (eol_at(k)) {
			if (c != 0)
				buf[k++] = c;
			rx_pop(k + (c == 0));
			return (long)k;
		}
		buf[k++] = c;
	}
	rx_pop(k);
	return (long)k;
}

/*
 * Non-canonical read (n_tty_read without icanon): bytes as typed. VMIN >
 * 0: wait for VMIN bytes (or n), VTIME then limits the gap between
 * bytes; VMIN = 0: return what is there, after waiting up to VTIME for
 * a first byte. -EINTR only when nothing was read.
 */
static long read_raw(char *buf, size_t n)
{
	uint64_t gap = (uint64_t)mode.vtime * 100000000ULL, deadline = 0;
	size_t got = 0, want = mode.vmin ? mode.vmin : 1;

	if (want > n)
		want = n;
	if (mode.vmin == 0 && mode.vtime != 0)
		deadline = time_ns() + gap;
	for (;;) {
		size_t before = got;

		console_rx_poll();
		while (got < n && rx_len > 0) {
			buf[got++] = rx[rx_head];
			rx_pop(1);
		}
		if (got >= want || (mode.vmin == 0 && mode.vtime == 0))
			return (long)got;
		if (got > before && mode.vtime != 0)
			deadline = time_ns() + gap;
		if (deadline != 0 && time_ns() >= deadline)
			return (long)got;
		if (sched_sleep(time_ns() + TTY_POLL_NS, true) == -EINTR)
			return got ? (long)got : -EINTR;
	}
}

long console_tty_read(char *buf, size_t n)
{
	return mode.icanon ? read_canon(buf, n) : read_raw(buf, n);
}
