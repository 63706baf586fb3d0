/* qemu.c - start QEMU for an image with three serial ports piped back to kiln, and pump them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lib/stdin_frame.h"
#include "vm.h"

/*
 * Serial ports (the kernel's side: kernel/arch.h, arch/x86_64/serial.c):
 *   COM1 0x3f8 irq 4  the app's stdout  -> kiln's stdout, byte for byte
 *   COM2 0x2f8 irq 3  the kernel log    -> parsed, shown on demand
 *   COM3 0x3e8 irq 4  the app's stderr  -> kiln's stderr
 * Each output is a pipe that QEMU opens as a "file" chardev at /dev/fd/N:
 * bytes arrive as the guest writes them and nothing translates newlines.
 * With a terminal on stdin, COM1 is QEMU's "stdio" chardev instead, so
 * typed input reaches the app (its output then goes straight to our
 * stdout, which QEMU inherits). signal=off: ^C, ^\ and ^Z are bytes for
 * the guest's terminal (its ISIG makes them signals), not for QEMU.
 *   COM4 0x2e8 irq 3  signals kiln forwards -> the kernel's sigport:
 *                     one byte per signal, from a pipe QEMU reads
 *                     (a "file" chardev's input-path)
 * With a pipe on stdin (stream_stdin), a virtio console carries it: its
 * chardev is a socket on a socketpair, and kiln relays its stdin into it
 * as the app runs, framed as kernel/drivers/console.c decodes (0xff 0x00
 * a 0xff byte, 0xff 0x01 end of input). QEMU reads the socket only as
 * far as the guest has posted receive buffers, so a guest that does not
 * read stops kiln reading its stdin.
 */
enum { P_OUT, P_LOG, P_ERR, P_QEMU, NPIPES };

#define QEMU "qemu-system-x86_64"
#define MAX_ARGS 128
#define KILL_GRACE 3.0 /* seconds between SIGTERM and SIGKILL */

struct spawn {
	int rd[NPIPES], wr[NPIPES]; /* -1 when unused */
	char paths[NPIPES][64];
	int sig[2]; /* COM4's input: QEMU reads sig[0], kiln writes */
	char sig_path[96];
	int con[2]; /* stream_stdin: the console's socketpair; con[1] QEMU's */
	char con_path[64];
	char *argv[MAX_ARGS];
	int argc;
	char append[4096]; /* the kernel command line */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/*
 * PVM, a KVM that runs the guest's kernel in ring 3 under a shadow page
 * table, passes the /dev/kvm check but needs the kernel told
 * (kiln.nostac, kernel/arch/x86_64/user.c), and there a hello's boot
 * takes seconds where TCG takes a tenth of one (docs/performance.md).
 */
static int kvm_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* --accel auto: KVM when /dev/kvm is usable, unless it is PVM. */
static int pick_kvm(const char *accel, int verbose)
{
	if (!strcmp(accel, "kvm"))
		return 1;
	if (strcmp(accel, "auto") || !kvm_usable())
		return 0;
	if (!kvm_is_pvm())
		return 1;
	if (verbose)
		fprintf(stderr, "kiln: /dev/kvm is PVM, which boots the "
				"guest slower than TCG does: TCG (--accel kvm "
				"to use it anyway)\n");
	return 0;
}

static void arg(struct spawn *s, const char *a)
{
	if (s->argc < MAX_ARGS - 1)
		/* execvp takes char *const[] but never writes the strings. */
		s->argv[s->argc++] = (char *)(uintptr_t)a;
}

static void serial(struct spawn *s, const char *chardev, const char *device)
{
	arg(s, "-chardev");
	arg(s, chardev);
	arg(s, "-device");
	arg(s, device);
}

/* The virtio console a piped stdin streams through (drivers/virtio_console.c). */
static void stream_console(const struct vm_opts *o, struct spawn *s)
{
	if (!o->stream_stdin)
		return;
	snprintf(s->con_path, sizeof(s->con_path), "socket,id=c4,fd=%d",
		 s->con[1]);
	arg(s, "-chardev");
	arg(s, s->con_path);
	arg(s, "-device");
	arg(s, !strncmp(o->machine, "microvm", 7) ? "virtio-serial-device" :
						    "virtio-serial-pci");
	arg(s, "-device");
	arg(s, "virtconsole,chardev=c4");
}

/* A virtio-net device on the -netdev the options chose (user, tap). */
static void network(const struct vm_opts *o, struct spawn *s)
{
	if (o->netdev == NULL)
		return;
	arg(s, "-netdev");
	arg(s, o->netdev);
	if (!strncmp(o->machine, "microvm", 7)) {
		arg(s, "-device");
		arg(s, "virtio-net-device,netdev=net0");
	} else {
		arg(s, "-device");
		arg(s, "virtio-net-pci,netdev=net0,romfile=");
	}
}

/* A virtio-blk device for each -drive (kernel: drivers/virtio_blk.c). */
static void disks(const struct vm_opts *o, struct spawn *s)
{
	static char devs[8][48];
	int mmio = !strncmp(o->machine, "microvm", 7);

	if (o->root_drive) { /* first: the guest's virtio-blk disk 0 */
		arg(s, "-drive");
		arg(s, o->root_drive);
		arg(s, "-device");
		arg(s, mmio ? "virtio-blk-device,drive=root" :
			      "virtio-blk-pci,drive=root");
	}
	for (int i = 0; i < o->ndisks && i < 8; i++) {
		snprintf(devs[i], sizeof(devs[i]), "%s,drive=disk%d",
			 mmio ? "virtio-blk-device" : "virtio-blk-pci", i);
		arg(s, "-drive");
		arg(s, o->disks[i]);
		arg(s, "-device");
		arg(s, devs[i]);
	}
}

/* A virtio-9p device for each -fsdev (kernel: drivers/virtio_9p.c). */
static void volumes(const struct vm_opts *o, struct spawn *s)
{
	static char devs[8][64];
	int mmio = !strncmp(o->machine, "microvm", 7);

	for (int i = 0; i < o->nvolumes && i < 8; i++) {
		snprintf(devs[i], sizeof(devs[i]),
			 "%s,fsdev=fs%d,mount_tag=kiln%d",
			 mmio ? "virtio-9p-device" : "virtio-9p-pci", i, i);
		arg(s, "-fsdev");
		arg(s, o->volumes[i]);
		arg(s, "-device");
		arg(s, devs[i]);
	}
}

/* Add words to the kernel command line ("" adds nothing). */
static void append(struct spawn *s, const char *words)
{
	size_t n = strlen(s->append);

	if (words[0])
		snprintf(s->append + n, sizeof(s->append) - n, "%s%s",
			 n ? " " : "", words);
}

/*
 * QEMU is the host's attack surface: a guest that breaks out of its
 * device models lands in this process. So it runs under QEMU's seccomp
 * filter (-sandbox: no obsolete system calls, no spawning programs, no
 * changing its priorities or CPU affinity) and, when kiln runs as root,
 * as the user "nobody" (-runas) once it has opened the image, the pipes,
 * /dev/kvm and any tap device. The drop is itself a setuid, so
 * elevateprivileges is denied only when there is no drop to make; after
 * it no root credentials are left to regain.
 */
#define QEMU_SANDBOX "on,obsolete=deny,spawn=deny,resourcecontrol=deny"
#define QEMU_RUNAS "nobody"

static void confine(struct spawn *s)
{
	int drop = geteuid() == 0 && getpwnam(QEMU_RUNAS) != NULL;

	arg(s, "-sandbox");
	arg(s, drop ? QEMU_SANDBOX : QEMU_SANDBOX ",elevateprivileges=deny");
	if (drop) {
		arg(s, "-runas");
		arg(s, QEMU_RUNAS);
	}
}

/*
 * Host memory per VM (docs/performance.md, "Density"). QEMU asks for
 * transparent huge pages on every anonymous RAM block and on TCG's code
 * buffer, so one byte touched costs 2 MiB of host memory:
 *   - guest RAM comes from a memfd (shmem: 4 KiB pages, only those the
 *     guest touches);
 *   - TCG's code buffer too (split-wx: a memfd mapped writable for the
 *     translator and executable for the vCPU);
 *   - microvm without ACPI: QEMU's 2 MiB ACPI table ROM goes, and QEMU
 *     names the virtio-mmio devices on the kernel command line instead
 *     (drivers/virtio_mmio.c). That leaves 8 transports on GSIs 5..12,
 *     so a VM with more virtio devices keeps ACPI (its second I/O APIC).
 */
#define NOACPI_MAX_VIRTIO 8

static void machine(const struct vm_opts *o, struct spawn *s)
{
	static char ram[96];
	int nvirtio = (o->netdev != NULL) + (o->root_drive != NULL) +
		      (o->stream_stdin != 0) + o->ndisks + o->nvolumes;
	size_t digits = strspn(o->mem, "0123456789");
	char unit = o->mem[digits];

	arg(s, "-M");
	if (!strcmp(o->machine, "microvm") && nvirtio <= NOACPI_MAX_VIRTIO)
		arg(s, "microvm,acpi=off");
	else
		arg(s, o->machine);
	/*
	 * SeaBIOS (pc, q35) writes its banner and "Booting from ROM.." to
	 * the serial console QEMU names in etc/sercon-port, COM1 without a
	 * display: that is the app's stdout. SeaBIOS reads the file as an
	 * integer only when it has 1, 2, 4 or 8 bytes, else takes port 0:
	 * no serial console. (QEMU refuses an empty string, and "0" would
	 * be port 0x30.)
	 */
	if (strncmp(o->machine, "microvm", 7)) {
		arg(s, "-fw_cfg");
		arg(s, "name=etc/sercon-port,string=off");
	}
	arg(s, "-m");
	arg(s, o->mem);
	/* -m's SIZE without a unit is MiB; an object's size= is bytes. */
	if (!unit || !strchr("kKmMgGtT", unit))
		unit = 'M';
	snprintf(ram, sizeof(ram), "memory-backend-memfd,id=ram,size=%.*s%c",
		 (int)digits, o->mem, unit);
	arg(s, "-object");
	arg(s, ram);
	arg(s, "-machine");
	arg(s, "memory-backend=ram");
}

/* The QEMU command line, as scripts/qemu_vm.py builds it, plus COM3. */
static void command(const struct vm_opts *o, struct spawn *s)
{
	static char tcg[48];
	char loss[32], tsc[40];
	uint64_t khz;
	int kvm = pick_kvm(o->accel, o->verbose);

	for (int i = 0; i < NPIPES; i++)
		if (s->wr[i] >= 0)
			snprintf(s->paths[i], sizeof(s->paths[i]),
				 "file,id=c%d,path=/dev/fd/%d", i, s->wr[i]);
	arg(s, QEMU);
	machine(o, s);
	arg(s, "-accel");
	if (!kvm && o->tcg_cache_mib > 0) {
		/* --tcg-cache: a full buffer is flushed and refilled */
		snprintf(tcg, sizeof(tcg), "tcg,split-wx=on,tb-size=%d",
			 o->tcg_cache_mib);
		arg(s, tcg);
	} else {
		arg(s, kvm ? "kvm" : "tcg,split-wx=on");
	}
	arg(s, "-cpu");
	arg(s, kvm ? "host,-arch-capabilities" : "max");
	arg(s, "-nodefaults");
	arg(s, "-no-user-config");
	arg(s, "-nographic");
	arg(s, "-no-reboot");
	confine(s);
	arg(s, "-kernel");
	arg(s, o->image);
	arg(s, "-device");
	arg(s, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	serial(s, o->tty_stdin ? "stdio,id=c0,signal=off" : s->paths[P_OUT],
	       "isa-serial,chardev=c0,iobase=0x3f8,irq=4");
	serial(s, s->paths[P_LOG], "isa-serial,chardev=c1,iobase=0x2f8,irq=3");
	serial(s, s->paths[P_ERR], "isa-serial,chardev=c2,iobase=0x3e8,irq=4");
	snprintf(s->sig_path, sizeof(s->sig_path), "pipe,id=c3,path=/dev/fd/%d",
		 s->sig[0]);
	serial(s, s->sig_path, "isa-serial,chardev=c3,iobase=0x2e8,irq=3");
	if ((o->netdev || o->ndisks || o->nvolumes || o->root_drive ||
	     o->stream_stdin) &&
	    !strncmp(o->machine, "microvm", 7)) {
		/* QEMU's virtio-mmio transports are legacy unless told otherwise. */
		arg(s, "-global");
		arg(s, "virtio-mmio.force-legacy=false");
	}
	stream_console(o, s);
	network(o, s);
	disks(o, s);
	volumes(o, s);
	if (o->nvolumes && o->volume_cmdline)
		append(s, o->volume_cmdline);
	if (o->trace)
		append(s, "kiln.trace");
	if (o->stream_stdin)
		append(s, "kiln.stdin_stream");
	if (o->empty_stdin)
		append(s, "kiln.stdin_empty");
	/* the boot's informational lines are for --verbose (printk_info) */
	if (!o->verbose)
		append(s, "quiet");
	if (kvm && kvm_is_pvm())
		append(s, "kiln.nostac");
	if (!kvm && (khz = host_tsc_khz()) != 0) {
		snprintf(tsc, sizeof(tsc), "kiln.tsc_khz=%llu",
			 (unsigned long long)khz);
		append(s, tsc);
	}
	if (o->read_only)
		append(s, "kiln.readonly");
	if (o->netdev && o->net_cmdline)
		append(s, o->net_cmdline);
	if (o->mounts && o->mounts[0])
		append(s, o->mounts);
	if (o->netdev && o->net_loss > 0) {
		snprintf(loss, sizeof(loss), "kiln.net_loss=%d", o->net_loss);
		append(s, loss);
	}
	if (s->append[0]) {
		arg(s, "-append");
		arg(s, s->append);
	}
	s->argv[s->argc] = NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* 0, or -errno (the caller closes what was opened). */
static int make_pipes(const struct vm_opts *o, struct spawn *s)
{
	for (int i = 0; i < NPIPES; i++)
		s->rd[i] = s->wr[i] = -1;
	s->con[0] = s->con[1] = -1;
	if (o->stream_stdin) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->con) <
		    0) {
			s->con[0] = s->con[1] = -1;
			return -errno;
		}
		/* The relay writes only what fits: QEMU may stop reading. */
		fcntl(s->con[0], F_SETFL, O_NONBLOCK);
	}
	if (pipe(s->sig) < 0) {
		s->sig[0] = s->sig[1] = -1;
		return -errno;
	}
	fcntl(s->sig[0], F_SETFD, FD_CLOEXEC);
	fcntl(s->sig[1], F_SETFD, FD_CLOEXEC);
	/* A signal handler writes here: it must never block. */
	fcntl(s->sig[1], F_SETFL, O_NONBLOCK);
	for (int i = 0; i < NPIPES; i++) {
		int p[2];

		if (i == P_OUT && o->tty_stdin)
			continue;
		if (pipe(p) < 0)
			return -errno;
		fcntl(p[0], F_SETFD, FD_CLOEXEC);
		fcntl(p[1], F_SETFD, FD_CLOEXEC);
		s->rd[i] = p[0];
		s->wr[i] = p[1];
	}
	return 0;
}

/* In the child: wire stdio and the pipes, exec QEMU; report errno on failure. */
static void child(const struct vm_opts *o, struct spawn *s, int errfd,
		  const sigset_t *mask)
{
	int err, null = open("/dev/null", O_RDWR);

	for (int i = 0; i < NPIPES; i++)
		if (s->wr[i] >= 0 && i != P_QEMU)
			fcntl(s->wr[i], F_SETFD, 0);
	fcntl(s->sig[0], F_SETFD, 0);
	if (s->con[1] >= 0)
		fcntl(s->con[1], F_SETFD, 0);
	if (o->image_fd > 2)
		fcntl(o->image_fd, F_SETFD, 0); /* -kernel /dev/fd/N */
	if (!o->tty_stdin) {
		dup2(null, 0);
		dup2(s->wr[P_QEMU], 1);
	}
	dup2(s->wr[P_QEMU], 2);
	vm_child_signals(mask);
	/* Same process group: with a terminal, QEMU reads it in the foreground. */
	execvp(s->argv[0], s->argv);
	err = errno;
	/* The parent reads err; the status, a shell's, only reaches waitpid. */
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(KILN_EXIT_NOTFOUND);
	_exit(KILN_EXIT_NOTFOUND);
}

/* Hand bytes from pipe i to where they belong. */
static void deliver(const struct vm_opts *o, struct vm_result *r,
		    struct kbuf *partial, int i, const char *buf, size_t n)
{
	switch (i) {
	case P_OUT:
		vm_write_out(1, buf, n);
		break;
	case P_ERR:
		vm_write_out(2, buf, n);
		break;
	case P_LOG:
		vm_log_bytes(o, r, partial, buf, n);
		break;
	default:
		if (o->verbose)
			vm_write_out(2, buf, n);
		if (r->qemu_err.len < VM_QEMU_ERR_MAX)
			kbuf_append(&r->qemu_err, buf, n);
	}
}

/*
 * QEMU pauses the VM on a KVM internal error (e.g. an instruction it
 * cannot emulate) instead of exiting: waiting would only end in the
 * timeout, or never.
 */
static int qemu_stuck(const struct vm_result *r)
{
	static const char key[] = "KVM internal error";
	const uint8_t *p = r->qemu_err.data;
	size_t n = r->qemu_err.len, k = sizeof(key) - 1;

	for (size_t i = 0; n >= k && i <= n - k; i++)
		if (!memcmp(p + i, key, k))
			return 1;
	return 0;
}

/* When the VM must end: --timeout, and the stop timeout once it runs. */
struct deadlines {
	double timeout; /* 0: none */
	double stop;	/* 0: no SIGTERM forwarded (or no stop timeout) */
	double kill;	/* SIGKILL QEMU then; 0: not ending it */
};

/* Milliseconds poll may sleep before the next deadline. */
static int poll_wait(const struct deadlines *d, const struct vm_result *r)
{
	double until = 0;

	if (r->timed_out || r->stopped)
		until = d->kill;
	else if (d->timeout && d->stop)
		until = d->timeout < d->stop ? d->timeout : d->stop;
	else
		until = d->timeout ? d->timeout : d->stop;
	if (!until)
		return -1;
	until -= now();
	return until <= 0 ? 0 : (int)(until * 1000) + 1;
}

/*
 * --timeout, or the stop timeout after a forwarded SIGTERM: SIGTERM to
 * QEMU first (it restores the terminal), then SIGKILL.
 */
static void check_deadlines(const struct vm_opts *o, int pid,
			    struct deadlines *d, struct vm_result *r)
{
	double t = now();

	if (vm_take_forwarded_term() && !d->stop && o->stop_timeout >= 0)
		d->stop = t + o->stop_timeout;
	if (r->timed_out || r->stopped) {
		if (d->kill && t >= d->kill) {
			kill(pid, SIGKILL);
			d->kill = 0;
		}
		return;
	}
	if (d->timeout && t >= d->timeout)
		r->timed_out = 1;
	else if (d->stop && t >= d->stop)
		r->stopped = 1;
	else
		return;
	kill(pid, SIGTERM);
	d->kill = t + KILL_GRACE;
}

/*
 * kiln's stdin on its way to the virtio console (stream_stdin). At most one read of
 * stdin is held, encoded, until the socket takes it: a guest that does
 * not read stops kiln reading, and nothing is buffered without bound.
 */
#define RELAY_READ 32768

struct relay {
	int fd; /* kiln's end of the console's socket; -1: nothing (more) to send */
	uint8_t buf[2 * RELAY_READ + 2];
	size_t len, off;
	int eof; /* stdin ended: the end marker is in buf */
};

/* Read stdin once (poll said it is readable) and frame what came. */
static void relay_fill(struct relay *rl)
{
	static uint8_t in[RELAY_READ];
	ssize_t n = read(0, in, sizeof(in));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	/* end of input, or an error reading it: EOF too */
	rl->eof = n <= 0;
	rl->len = stdin_frame_encode(in, n > 0 ? (size_t)n : 0, rl->eof,
				     rl->buf);
	rl->off = 0;
}

/* Send what the socket takes; after the end marker, stop for good. */
static void relay_send(struct relay *rl)
{
	/* MSG_NOSIGNAL: QEMU gone is EPIPE here, not a SIGPIPE for kiln. */
	ssize_t n = send(rl->fd, rl->buf + rl->off, rl->len - rl->off,
			 MSG_NOSIGNAL);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) { /* QEMU is gone (EPIPE): the VM is ending */
		rl->fd = -1;
		return;
	}
	rl->off += (size_t)n;
	if (rl->off == rl->len && rl->eof)
		rl->fd = -1;
}

/* The relay's two poll entries: stdin when buf is empty, else the socket. */
static void relay_poll(const struct relay *rl, struct pollfd *pfd)
{
	int pending = rl->off < rl->len;

	pfd[0] = (struct pollfd){ .fd = rl->fd >= 0 && !pending ? 0 : -1,
				  .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = rl->fd >= 0 && pending ? rl->fd : -1,
				  .events = POLLOUT };
}

static void relay_events(struct relay *rl, const struct pollfd *pfd)
{
	if (pfd[0].fd >= 0 && pfd[0].revents)
		relay_fill(rl);
	else if (pfd[1].fd >= 0 && pfd[1].revents)
		relay_send(rl);
}

/* Read every pipe until QEMU has closed them all. */
static void pump(const struct vm_opts *o, struct spawn *s, int pid,
		 struct vm_result *r)
{
	struct pollfd pfd[NPIPES + 3];
	static struct relay rl;
	struct kbuf partial = { 0 };
	struct deadlines d = { .timeout = o->timeout ? now() + o->timeout : 0 };
	static char buf[65536];
	int open_fds = 0;
	/* The forwards exist once the guest runs: its first log line. */
	int widen = o->netdev && strstr(o->netdev, "hostfwd=");

	for (int i = 0; i < NPIPES; i++) {
		pfd[i] = (struct pollfd){ .fd = s->rd[i], .events = POLLIN };
		open_fds += s->rd[i] >= 0;
	}
	/* The last entry: a forwarded SIGTERM starts the stop timeout. */
	pfd[NPIPES] = (struct pollfd){ .fd = vm_wake_fd(), .events = POLLIN };
	rl = (struct relay){ .fd = o->stream_stdin ? s->con[0] : -1 };
	while (open_fds) {
		int n;

		relay_poll(&rl, pfd + NPIPES + 1);
		n = poll(pfd, NPIPES + 3, poll_wait(&d, r));
		if (n < 0 && errno != EINTR)
			break;
		check_deadlines(o, pid, &d, r);
		if (n > 0)
			relay_events(&rl, pfd + NPIPES + 1);
		for (int i = 0; n > 0 && i < NPIPES; i++) {
			ssize_t got;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			got = read(pfd[i].fd, buf, sizeof(buf));
			if (got > 0) {
				if (i == P_LOG && widen) {
					widen = 0;
					vm_widen_forwards(pid, o->verbose);
				}
				deliver(o, r, &partial, i, buf, (size_t)got);
				if (i == P_QEMU && !r->qemu_stuck &&
				    qemu_stuck(r)) {
					r->qemu_stuck = 1;
					kill(pid, SIGTERM);
				}
			} else if (got == 0 ||
				   (errno != EINTR && errno != EAGAIN)) {
				close_fd(&pfd[i].fd);
				s->rd[i] = -1;
				open_fds--;
			}
		}
	}
	if (partial.len)
		vm_log_bytes(o, r, &partial, "\n", 1);
	kbuf_free(&partial);
}

/* Start QEMU; returns its pid, or -errno (exec's, when that failed). */
static int start(const struct vm_opts *o, struct spawn *s, const sigset_t *mask)
{
	int ep[2], err = 0, pid;

	if (pipe(ep) < 0)
		return -errno;
	fcntl(ep[0], F_SETFD, FD_CLOEXEC);
	fcntl(ep[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0)
		child(o, s, ep[1], mask);
	if (pid < 0)
		err = errno;
	close(ep[1]);
	if (pid > 0 && read(ep[0], &err, sizeof(err)) == sizeof(err))
		waitpid(pid, NULL, 0); /* exec failed: reap the child */
	close(ep[0]);
	return err ? -err : pid;
}

int vm_boot(const struct vm_opts *o, struct vm_result *r)
{
	struct spawn s = { 0 };
	struct termios tio;
	sigset_t mask;
	int pid = 0, st, err, tty = o->tty_stdin && tcgetattr(0, &tio) == 0;

	*r = (struct vm_result){ .status = -1, .qemu_rc = -1 };
	err = make_pipes(o, &s);
	/* A signal from the fork on waits for vm_set_pid, then is forwarded. */
	vm_hold_signals(&mask);
	if (!err) {
		command(o, &s);
		pid = start(o, &s, &mask);
		err = pid < 0 ? pid : 0;
	}
	for (int i = 0; i < NPIPES; i++)
		close_fd(&s.wr[i]);
	close_fd(&s.sig[0]);
	close_fd(&s.con[1]);
	if (!err)
		vm_set_pid(pid, s.sig[1]);
	vm_release_signals(&mask);
	if (!err) {
		pump(o, &s, pid, r);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		vm_set_pid(0, -1);
		r->qemu_rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	for (int i = 0; i < NPIPES; i++)
		close_fd(&s.rd[i]);
	close_fd(&s.sig[1]);
	close_fd(&s.con[0]);
	if (tty)
		tcsetattr(0, TCSANOW,
			  &tio); /* QEMU left it raw if it was killed */
	return err;
}
