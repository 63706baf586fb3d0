/* console_file.c - the console as a file: fds 0-2, /dev/console, /dev/tty; termios ioctls. */
#include "fs/vfs.h"

#include <asm-generic/errno.h>
#include <asm-generic/termios.h>
#include <asm/fcntl.h>
#include <asm/ioctls.h>
#include <asm/poll.h>
#include <asm/stat.h>
#include <linux/stat.h>

#include "core/proc.h"
#include "core/uaccess.h"
#include "drivers/console.h"
#include "fs/poll.h"
#include "lib/string.h"

/*
 * Every console file reads stdin; it writes to stdout, or to stderr when
 * it was opened as stream 2 (fd 2 at start, /proc/self/fd/2, /dev/stderr).
 * The terminal settings are acted on here (ISIG, NOFLSH, TOSTOP) and
 * in the driver's line discipline (console_apply_mode: ICANON, ECHO,
 * input mapping, IXON, VMIN/VTIME); output is always OPOST|ONLCR's. Terminal
 * ioctls answer only when stdin is a terminal (console_is_tty), so
 * isatty() is false under pipes, as on Linux.
 */
#define CONSOLE_ERR ((void *)2)

/* Signal numbers (fs/ does not include the personality's headers). */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGCONT 18
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22

static struct termios console_termios = {
	.c_iflag = ICRNL | IXON | IUTF8,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = B38400 | CS8 | CREAD | HUPCL,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL |
		   ECHOKE,
	.c_cc = { [VINTR] = 3,
		  [VQUIT] = 28,
		  [VERASE] = 127,
		  [VKILL] = 21,
		  [VEOF] = 4,
		  [VMIN] = 1,
		  [VSTART] = 17,
		  [VSTOP] = 19,
		  [VSUSP] = 26,
		  [VREPRINT] = 18,
		  [VWERASE] = 23,
		  [VLNEXT] = 22,
		  [VDISCARD] = 15 },
};
static struct winsize console_winsize = { .ws_row = 24, .ws_col = 80 };

static int console_check_bg(int sig);

/* Pass the settings the line discipline uses to the driver. */
static void console_apply_mode(void)
{
	const struct termios *t = &console_termios;
	struct console_mode m = {
		.icanon = (t->c_lflag & ICANON) != 0,
		.echo = (t->c_lflag & ECHO) != 0,
		.echoe = (t->c_lflag & ECHOE) != 0,
		.echoctl = (t->c_lflag & ECHOCTL) != 0,
		.echonl = (t->c_lflag & ECHONL) != 0,
		.iexten = (t->c_lflag & IEXTEN) != 0,
		.icrnl = (t->c_iflag & ICRNL) != 0,
		.inlcr = (t->c_iflag & INLCR) != 0,
		.igncr = (t->c_iflag & IGNCR) != 0,
		.ixon = (t->c_iflag & IXON) != 0,
		.ixany = (t->c_iflag & IXANY) != 0,
		.verase = t->c_cc[VERASE],
		.vkill = t->c_cc[VKILL],
		.veof = t->c_cc[VEOF],
		.vmin = t->c_cc[VMIN],
		.vtime = t->c_cc[VTIME],
		.vwerase = t->c_cc[VWERASE],
		.vlnext = t->c_cc[VLNEXT],
		.vreprint = t->c_cc[VREPRINT],
		.vstart = t->c_cc[VSTART],
		.vstop = t->c_cc[VSTOP],
	};

	console_set_mode(&m);
}

static long console_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
	long r = console_check_bg(SIGTTIN);

	(void)f, (void)pos;
	if (r)
		return r;
	if (n == 0)
		return 0;
	r = console_in(buf, n);
	return r == -EINTR ? -ERESTARTSYS : r;
}

/*
 * The console as the controlling terminal of the one session (tty_io.c,
 * n_tty.c): console_sid is the session it controls (0: none, after
 * TIOCNOTTY) and console_pgrp its foreground process group. With ISIG,
 * the VINTR, VQUIT and VSUSP characters send SIGINT, SIGQUIT and SIGTSTP
 * to that group through the personality's hook (signal_send_pgrp).
 */

static int console_sid = 1, console_pgrp = 1;
static const struct console_tty_ops *tty_ops;

static int console_kill_pgrp(int pgid, int sig)
{
	return tty_ops ? tty_ops->kill_pgrp(pgid, sig) : -ESRCH;
}

/* The filter of typed bytes (drivers/console.c): n_tty's isig. */
static bool console_isig(char c)
{
	const struct termios *t = &console_termios;
	int sig;

	if (!(t->c_lflag & ISIG) || c == 0) /* 0 is _POSIX_VDISABLE */
		return false;
	if (c == (char)t->c_cc[VINTR])
		sig = SIGINT;
	else if (c == (char)t->c_cc[VQUIT])
		sig = SIGQUIT;
	else if (c == (char)t->c_cc[VSUSP])
		sig = SIGTSTP;
	else
		return false;
	if (!(t->c_lflag & NOFLSH))
		console_flush_input();
	if ((t->c_lflag & ECHO) && (t->c_lflag & ECHOCTL)) {
		char e[2] = { '^', (char)(c ^ 0x40) };

		console_out(e, 2);
	}
	if (console_sid != 0)
		console_kill_pgrp(console_pgrp, sig);
	return true;
}

void console_tty_init(const struct console_tty_ops *ops)
{
	tty_ops = ops;
	console_apply_mode();
	if (console_is_tty())
		console_set_rx_filter(console_isig);
}

int console_tty_nr(int sid, int *tpgid)
{
	*tpgid = -1;
	if (!console_is_tty() || console_sid == 0 || sid != console_sid)
		return 0;
	*tpgid = console_pgrp;
	return (5 << 8) | 1;
}

/* Is the console the caller's controlling terminal? */
static bool console_is_ctty(void)
{
	return console_sid != 0 && current->sid == console_sid;
}

/*
 * Linux's tty_check_change: the caller's terminal, and the caller not
 * in its foreground group (a foreground group that no longer exists
 * counts as none, as Linux's tty->pgrp): SIGTTIN or SIGTTOU.
 */
static int console_check_bg(int sig)
{
	if (!console_is_tty() || !console_is_ctty() || tty_ops == NULL ||
	    console_pgrp == 0 || current->pgid == console_pgrp)
		return 0;
	return tty_ops->background(sig);
}

struct pgrp_find {
	int pgid, sid; /* sid: the group's session, 0 while none found */
};

static void pgrp_each(struct proc *p, void *ctx)
{
	struct pgrp_find *f = ctx;

	if (p->pgid == f->pgid && p->state == PROC_LIVE)
		f->sid = p->sid;
}

/*
 * TIOCSPGRP (Linux's tiocspgrp): from the background, SIGTTOU first
 * (-ENOTTY where that is -EIO); then a group of the caller's session:
 * EINVAL for a negative one, ESRCH for none, EPERM for another
 * session's.
 */
static long console_set_pgrp(uintptr_t arg)
{
	struct pgrp_find f = { 0, 0 };
	int err = console_check_bg(SIGTTOU);

	if (err)
		return err == -EIO ? -ENOTTY : err;
	if (!console_is_ctty())
		return -ENOTTY;
	if (copy_from_user(&f.pgid, arg, sizeof(f.pgid)) < 0)
		return -EFAULT;
	if (f.pgid < 0)
		return -EINVAL;
	proc_for_each(pgrp_each, &f);
	if (f.sid == 0)
		return -ESRCH;
	if (f.sid != current->sid)
		return -EPERM;
	console_pgrp = f.pgid;
	return 0;
}

/*
 * TIOCSCTTY: a session leader without a terminal takes the console;
 * TIOCNOTTY: a session leader gives it up for its session, its
 * foreground group getting SIGHUP and SIGCONT first (disassociate_ctty).
 * Another process would only drop it for itself, which a console owned
 * by a session cannot record: it keeps it.
 */
static long console_ctty(unsigned int cmd)
{
	if (cmd == TIOCSCTTY) {
		if (console_is_ctty())
			return 0;
		if (current->pid != current->sid || console_sid != 0)
			return -EPERM;
		console_sid = current->sid;
		console_pgrp = current->pgid;
		return 0;
	}
	if (!console_is_ctty())
		return -ENOTTY;
	if (current->pid != current->sid)
		return 0;
	console_kill_pgrp(console_pgrp, SIGHUP);
	console_kill_pgrp(console_pgrp, SIGCONT);
	console_sid = console_pgrp = 0;
	return 0;
}

static long console_write(struct file *f, const void *buf, size_t n,
			  uint64_t *pos)
{
	(void)pos;
	if (console_termios.c_lflag & TOSTOP) {
		long err = console_check_bg(SIGTTOU);

		if (err)
			return err;
	}
	if (f->priv == CONSOLE_ERR) {
		console_err(buf, n);
		return (long)n;
	}
	/* stdout is the terminal IXON stops; stderr has a channel of its own */
	if (console_is_tty() && console_out_wait() == -EINTR)
		return -ERESTARTSYS;
	console_out(buf, n);
	return (long)n;
}

static long copy_out(uintptr_t arg, const void *v, size_t n)
{
	return copy_to_user(arg, v, n) < 0 ? -EFAULT : 0;
}

static long copy_in(void *v, uintptr_t arg, size_t n)
{
	return copy_from_user(v, arg, n) < 0 ? -EFAULT : 0;
}

/* TCXONC (n_tty_ioctl_helper): TCOOFF/TCOON stop and start output. */
static long console_xonc(uintptr_t arg)
{
	char c;

	switch (arg) {
	case TCOOFF:
		console_tty_stop(true);
		return 0;
	case TCOON:
		console_tty_start();
		return 0;
	case TCIOFF:
	case TCION:
		/* Sent to the terminal, as tty_send_xchar. */
		c = (char)console_termios.c_cc[arg == TCIOFF ? VSTOP : VSTART];
		if (c != 0)
			console_out(&c, 1);
		return 0;
	default:
		return -EINVAL;
	}
}

/* TCFLSH: input typed and not read goes; output is never queued. */
static long console_flush(uintptr_t arg)
{
	if (arg != TCIFLUSH && arg != TCOFLUSH && arg != TCIOFLUSH)
		return -EINVAL;
	if (arg != TCOFLUSH) {
		console_rx_poll();
		console_flush_input();
	}
	return 0;
}

static long console_ioctl(struct file *f, unsigned int cmd, uintptr_t arg)
{
	int avail;

	(void)f;
	/* A pipe's FIONREAD too: stdin is one when it is no terminal. */
	if (cmd == FIONREAD) {
		avail = (int)console_in_avail();
		return copy_out(arg, &avail, sizeof(avail));
	}
	if (!console_is_tty())
		return -ENOTTY;
	switch (cmd) {
	case TCGETS:
		return copy_out(arg, &console_termios, sizeof(console_termios));
	case TCSETS:
	case TCSETSW:
	case TCSETSF: {
		long err = console_check_bg(SIGTTOU);
		struct termios t;

		if (err)
			return err;
		if (copy_in(&t, arg, sizeof(t)))
			return -EFAULT;
		/* What was typed before the change is input of the old mode. */
		console_rx_poll();
		console_termios = t;
		if (cmd == TCSETSF)
			console_flush_input();
		console_apply_mode();
		return 0;
	}
	case TIOCGWINSZ:
		return copy_out(arg, &console_winsize, sizeof(console_winsize));
	case TIOCSWINSZ:
		return copy_in(&console_winsize, arg, sizeof(console_winsize));
	case TIOCGPGRP:
		if (!console_is_ctty())
			return -ENOTTY;
		return copy_out(arg, &console_pgrp, sizeof(console_pgrp));
	case TIOCGSID:
		if (!console_is_ctty())
			return -ENOTTY;
		return copy_out(arg, &console_sid, sizeof(console_sid));
	case TIOCSPGRP:
		return console_set_pgrp(arg);
	case TIOCSCTTY:
	case TIOCNOTTY:
		return console_ctty(cmd);
	case TCFLSH:
		return console_flush(arg);
	case TCXONC:
		return console_xonc(arg);
	case TCSBRK:
	case TCSBRKP:
		return 0;
	default:
		return -ENOTTY;
	}
}

static unsigned int console_poll(struct file *f, unsigned int events)
{
	unsigned int ready = POLLOUT;

	(void)f;
	/* pipe_poll: at the end of a streamed stdin, POLLHUP alone */
	if (console_in_ended())
		return (events & ready) | POLLHUP;
	if (console_in_ready())
		ready |= POLLIN;
	return events & ready;
}

/*
 * Terminal input raises no interrupt: while anyone waits on the console's
 * poll head, a 10 ms kernel timer re-checks stdin and announces it
 * becoming readable (fs/poll.h).
 */
#define CONSOLE_RECHECK_NS 10000000ULL

static struct poll_head console_ph;
static struct ktimer console_timer;
static bool console_was_ready;
static uint64_t console_woke_at; /* console_in_count at the last wake */

/*
 * Wake on every change that can matter: stdin turning readable, and new
 * input while it is readable (as n_tty wakes readers for each arrival;
 * an edge-triggered epoll needs it, and a waiter whose read took the
 * data since the last tick must not miss the next line).
 */
static void console_recheck(struct ktimer *t)
{
	bool ready = console_in_ready();
	uint64_t count = console_in_count();

	/* New bytes of a stream wake too: epoll's edge-triggered waiters. */
	if (ready && (!console_was_ready || count != console_woke_at)) {
		console_woke_at = count;
		poll_wake(&console_ph, POLLIN | POLLRDNORM | POLLHUP);
	}
	console_was_ready = ready;
	if (poll_head_busy(&console_ph))
		ktimer_arm(t, time_ns() + CONSOLE_RECHECK_NS, console_recheck);
}

/*
 * A new waiter samples the state it waits on, even when the timer runs
 * for an earlier one: a read since the last tick may have taken what
 * made stdin readable, and a stale "was ready" would let the next line
 * typed pass unannounced (busybox's line editing then waited forever).
 */
static void console_watched(struct poll_head *h)
{
	(void)h;
	console_was_ready = console_in_ready();
	if (!console_timer.armed)
		ktimer_arm(&console_timer, time_ns() + CONSOLE_RECHECK_NS,
			   console_recheck);
}

static struct poll_head *console_poll_head(struct file *f)
{
	(void)f;
	console_ph.watched = console_watched;
	return &console_ph;
}

static int console_fdname(struct file *f, char *buf, size_t size)
{
	size_t n = sizeof("/dev/console") - 1;

	(void)f;
	if (n > size)
		n = size;
	memcpy(buf, "/dev/console", n);
	return (int)n;
}

static const struct file_ops console_ops = {
	.read = console_read,
	.write = console_write,
	.ioctl = console_ioctl,
	.poll = console_poll,
	.poll_head = console_poll_head,
	.fdname = console_fdname,
};

/* Hook of /dev/console, /dev/tty and the hidden stderr node. */
static int console_node_open(struct vnode *vn, struct file *f)
{
	f->ops = &console_ops;
	f->priv = vn->priv;
	return 0;
}

static const struct vnode_ops console_vops = { .open = console_node_open };

/*
 * The nodes behind fds 0-2 live outside the tree, so an archive that
 * brings its own /dev/console cannot take the standard streams away.
 */
static struct vnode *console_nodes[2]; /* [0]: stdin/stdout, [1]: stderr */

static struct vnode *console_node(int stream)
{
	struct vnode **slot = &console_nodes[stream == 2];

	if (*slot == NULL) {
		*slot = vnode_new(S_IFCHR | 0600);
		if (*slot == NULL)
			return NULL;
		(*slot)->rdev = (5 << 8) | 1;
		(*slot)->ops = &console_vops;
		(*slot)->priv = stream == 2 ? CONSOLE_ERR : NULL;
		(*slot)->nlink = 1; /* kept forever */
	}
	return vnode_get(*slot);
}

int console_file_open(int stream, struct file **out)
{
	struct vnode *vn = console_node(stream);
	int err;

	if (vn == NULL)
		return -ENOMEM;
	/* Read-write, as a terminal's fds 0-2 are on Linux. */
	err = vfs_open_node(vn, O_RDWR, "/dev/console", out);
	vnode_put(vn);
	return err;
}

int devfs_console(struct vnode *dev, struct vnode **out)
{
	struct vnode *vn;
	int err = vfs_create(dev, "console", S_IFCHR | 0600, &vn);

	if (err < 0)
		return err;
	vn->rdev = (5 << 8) | 1;
	vn->ops = &console_vops;
	*out = vn;
	return 0;
}

int devfs_tty(struct vnode *dev)
{
	struct vnode *vn;
	int err = vfs_create(dev, "tty", S_IFCHR | 0666, &vn);

	if (err < 0)
		return err;
	vn->rdev = (5 << 8) | 0;
	vn->ops = &console_vops;
	vnode_put(vn);
	return 0;
}
