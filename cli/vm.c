/* vm.c - what a VM says: the kernel log parsed line by line, failure reports, signals. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

static volatile sig_atomic_t qemu_pid, sig_fd = -1, term_forwarded, term_seen;
static volatile sig_atomic_t keep_going; /* a detached instance's monitor */
/* What kiln forwards to the app. */
static const int caught[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
/* The self-pipe that wakes kiln's poll when a SIGTERM was forwarded. */
static int wake[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	/* A full pipe (the guest not reading) loses the byte, not kiln. */
	if (qemu_pid > 0 && sig_fd >= 0 && write(sig_fd, &b, 1) >= 0) {
		if (sig == SIGTERM) {
			term_forwarded = 1;
			term_seen = 1;
			/* Full: a wake-up is pending already. */
			if (wake[1] >= 0 && write(wake[1], "", 1) < 0)
				errno = saved;
		}
		errno = saved;
		return;
	}
	/*
	 * A monitor between boots (--restart) must live to record the
	 * status: the signal only means "no more restarts".
	 */
	if (keep_going && qemu_pid <= 0) {
		if (sig == SIGTERM)
			term_seen = 1;
		errno = saved;
		return;
	}
	/* No VM yet (or no channel): kiln ends, as the signal says. */
	if (qemu_pid > 0)
		kill(qemu_pid, SIGTERM);
	kiln_tmp_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void caught_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(set, caught[i]);
}

void vm_hold_signals(sigset_t *old)
{
	sigset_t set;

	caught_set(&set);
	sigprocmask(SIG_BLOCK, &set, old);
}

void vm_release_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

void vm_child_signals(const sigset_t *old)
{
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		signal(caught[i], SIG_DFL);
	vm_release_signals(old);
}

void vm_set_pid(int pid, int sigfd)
{
	sigset_t old;

	/* The handler sees both or neither: a channel, then its VM. */
	vm_hold_signals(&old);
	qemu_pid = 0;
	sig_fd = sigfd;
	qemu_pid = pid;
	vm_release_signals(&old);
}

void vm_set_monitor(void)
{
	keep_going = 1;
}

int vm_term_seen(void)
{
	return term_seen;
}

int vm_wake_fd(void)
{
	return wake[0];
}

int vm_take_forwarded_term(void)
{
	char buf[64];

	if (!term_forwarded)
		return 0;
	while (wake[0] >= 0 && read(wake[0], buf, sizeof(buf)) > 0)
		;
	term_forwarded = 0;
	return 1;
}

void vm_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	if (wake[0] < 0 && pipe(wake) == 0)
		for (int i = 0; i < 2; i++) {
			fcntl(wake[i], F_SETFD, FD_CLOEXEC);
			fcntl(wake[i], F_SETFL, O_NONBLOCK);
		}
	caught_set(&sa.sa_mask); /* one handler at a time */
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaction(caught[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Best effort: a closed stdout must not stop the VM or kiln. */
void vm_write_out(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

/* ---- the kernel log, line by line ---- */

static void tail_push(struct vm_result *r, const char *line)
{
	free(r->tail[r->tail_next]);
	r->tail[r->tail_next] = kiln_xstrdup(line);
	r->tail_next = (r->tail_next + 1) % VM_TAIL_LINES;
}

static void log_line(const struct vm_opts *o, struct vm_result *r, char *line)
{
	size_t len = strlen(line);
	unsigned long long base;
	int status;
	char end;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (o->verbose || (o->trace && !strncmp(line, "trace: ", 7))) {
		vm_write_out(2, line, len);
		vm_write_out(2, "\n", 1);
	}
	if (sscanf(line, "kiln: exit status %d%c", &status, &end) == 1 &&
	    status >= 0 && status <= 255)
		r->status = status;
	else if (!strncmp(line, "kiln: killed by signal ", 23)) {
		free(r->signal_line);
		r->signal_line = kiln_xstrdup(line);
	} else if (sscanf(line, "kiln: load base 0x%llx%c", &base, &end) == 1) {
		r->load_base = base;
		r->have_base = 1;
	}
	tail_push(r, line);
}

/* Split new log bytes into lines; a line longer than the buffer is cut. */
void vm_log_bytes(const struct vm_opts *o, struct vm_result *r,
		  struct kbuf *partial, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n' && partial->len < VM_LINE_MAX) {
			kbuf_append(partial, &p[i], 1);
			continue;
		}
		kbuf_append(partial, "", 1);
		log_line(o, r, (char *)partial->data);
		partial->len = 0;
		if (p[i] != '\n')
			kbuf_append(partial, &p[i], 1);
	}
}

void vm_print_tail(const struct vm_result *r)
{
	int any = 0;

	for (int i = 0; i < VM_TAIL_LINES; i++) {
		const char *line = r->tail[(r->tail_next + i) % VM_TAIL_LINES];

		if (!line)
			continue;
		if (!any)
			fprintf(stderr, "kiln: the kernel log ends with:\n");
		any = 1;
		fprintf(stderr, "%s\n", line);
	}
	if (!any)
		fprintf(stderr, "kiln: the kernel log is empty\n");
	if (r->qemu_err.len)
		fprintf(stderr, "kiln: qemu said:\n%.*s", (int)r->qemu_err.len,
			(const char *)r->qemu_err.data);
}

void vm_result_free(struct vm_result *r)
{
	for (int i = 0; i < VM_TAIL_LINES; i++)
		free(r->tail[i]);
	free(r->signal_line);
	kbuf_free(&r->qemu_err);
}
