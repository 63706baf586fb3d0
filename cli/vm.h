/* vm.h - running an image under QEMU and what came out of it (cli/vm.c, cli/qemu.c). */
#ifndef KILN_CLI_VM_H
#define KILN_CLI_VM_H

#include <signal.h>
#include <stdint.h>

#include "kiln.h"

#define VM_TAIL_LINES 40 /* kernel log lines kept for failure reports */
#define VM_LINE_MAX 4096 /* longer log lines are cut */
#define VM_QEMU_ERR_MAX 65536

struct vm_opts {
	const char *image; /* path of the image to boot */
	/* > 2: an fd QEMU inherits, image being its "/dev/fd/N" */
	int image_fd;
	const char *mem;     /* -m value */
	const char *accel;   /* auto, kvm, tcg */
	const char *machine; /* microvm, q35 */
	int verbose;	     /* the kernel log on stderr as it comes */
	int trace;	     /* kiln.trace; "trace: " lines on stderr */
	int read_only;	     /* kiln.readonly: the root disk not overlaid */
	double timeout;	     /* seconds; 0 = none */
	int tty_stdin;	     /* connect the terminal to COM1 */
	/* relay kiln's stdin (a pipe) to COM1 as it comes, framed, and
	 * tell the kernel so (kiln.stdin_stream); not with tty_stdin */
	int stream_stdin;
	/* kiln.stdin_empty: the image as it is, and stdin at EOF at once
	 * (an empty STDIN section, without re-writing the image for it) */
	int empty_stdin;
	/* QEMU -netdev value (id net0) for a virtio-net device; NULL: none */
	const char *netdev;
	/* with a netdev: its kiln.ip=... words for the kernel command line,
	 * "" to leave the address to the image */
	const char *net_cmdline;
	int net_loss; /* kiln.net_loss=PERCENT when > 0 (with a netdev) */
	/* the image's root disk, -drive id=root, before the others; or NULL */
	const char *root_drive;
	/* QEMU -drive values (id=diskN), each given a virtio-blk device */
	const char *const *disks;
	/* kiln.mount=vda:/data[:ro],... for --disk FILE:GUESTDIR, or NULL */
	const char *mounts;
	int ndisks;
	/* QEMU -fsdev values (id=fsN), each a virtio-9p device tagged kilnN */
	const char *const *volumes;
	int nvolumes;
	const char *volume_cmdline; /* their kiln.9p=... word */
	/* after a forwarded SIGTERM, end the VM this many seconds on (exit
	 * 137); < 0: wait for the app however long it takes */
	double stop_timeout;
	/* under TCG: QEMU's translated-code buffer in MiB (tb-size); 0:
	 * QEMU's default (1 GiB reserved, touched as code is translated) */
	int tcg_cache_mib;
};

struct vm_result {
	int status;  /* last "kiln: exit status N", or -1 */
	int qemu_rc; /* QEMU's exit code, -1 if killed by a signal */
	int timed_out;
	int stopped;	    /* ended stop_timeout after a forwarded SIGTERM */
	int qemu_stuck;	    /* QEMU reported a KVM internal error: stopped */
	char *signal_line;  /* "kiln: killed by signal ..." or NULL */
	uint64_t load_base; /* "kiln: load base 0x..." (PIE) */
	int have_base;
	char *tail[VM_TAIL_LINES]; /* the last log lines, a ring */
	int tail_next;
	struct kbuf qemu_err; /* what QEMU itself printed (capped) */
};

/*
 * vm_boot: run QEMU to the end (or the timeout) and fill r. Quiet:
 * 0, or -errno when QEMU could not be started.
 */
int vm_boot(const struct vm_opts *o, struct vm_result *r);
/*
 * Raise the listen backlog of QEMU pid's TCP listeners (its -p port
 * forwards: hostfwd.c says why). Best effort: where none can be (no
 * pidfd_getfd, ptrace refused) the forwards keep QEMU's backlog of 1.
 * With verbose it says on stderr how many it widened, or why it could
 * not. Call once QEMU runs the guest.
 */
void vm_widen_forwards(int pid, int verbose);
/* Feed bytes of the kernel log (COM2) to r; used by vm_boot. */
void vm_log_bytes(const struct vm_opts *o, struct vm_result *r,
		  struct kbuf *partial, const char *p, size_t n);
/* Print the kept log lines (and QEMU's own messages) on stderr. */
void vm_print_tail(const struct vm_result *r);
void vm_result_free(struct vm_result *r);
/*
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT: while a VM runs with a signal
 * channel (vm_set_pid with sigfd >= 0) each is written to it as one byte
 * (the guest's kernel sends it to pid 1: docs/instances.md). Before
 * QEMU is started, after it ended, and with no channel, temp files are
 * removed and kiln dies of the signal. vm_hold_signals blocks the four
 * from before the fork of QEMU to after vm_set_pid (vm_release_signals),
 * so one sent then is forwarded, not lost; vm_child_signals, in the
 * child before exec, gives it the default actions and the old mask.
 */
void vm_catch_signals(void);
void vm_hold_signals(sigset_t *old);
void vm_release_signals(const sigset_t *old);
void vm_child_signals(const sigset_t *old);

/*
 * host_tsc_start: note the time, early in main. host_tsc_khz: the host's
 * TSC rate in kHz, timed since then, or 0 when it cannot be trusted (too
 * short, disturbed, not x86). cli/host_tsc.c.
 */
void host_tsc_start(void);
uint64_t host_tsc_khz(void);
void vm_set_pid(int pid, int sigfd);
/*
 * True once, after a SIGTERM was forwarded since the last call.
 * vm_wake_fd is readable then (poll it, or the signal may come just
 * before poll sleeps); -1 before vm_catch_signals.
 */
int vm_take_forwarded_term(void);
int vm_wake_fd(void);
/* True when a SIGTERM was ever forwarded (kiln stop): no restart then. */
int vm_term_seen(void);
/*
 * This kiln is an instance's monitor: a signal while no VM runs is not
 * fatal (SIGTERM then only stops --restart); kiln stop ends the VM.
 */
void vm_set_monitor(void);
/* Write all of p to fd, giving up quietly if fd is closed (EPIPE). */
void vm_write_out(int fd, const void *p, size_t n);

#endif
