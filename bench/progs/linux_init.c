/*
 * linux_init.c - /init of the benches' Linux guest: run /app (the bench's
 * program, or a busybox script for the benches that need setup) as a
 * child, reap it, and end the VM through QEMU's isa-debug-exit port with
 * the app's status, the exit path Kiln's kernel takes. It prints nothing
 * of its own unless something fails, so the app's output is the VM's.
 *
 * Why a child and not exec: PID 1 exiting panics Linux, and a panic is
 * not how Kiln ends a VM. The fork costs Linux one process creation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* include/kiln/exit.h: KILN_DEBUG_EXIT_PORT; QEMU exits (v << 1) | 1. */
#define DEBUG_EXIT_PORT 0xf4

static void vm_exit(int status)
{
	/*
	 * Linux's 8250 sends what the app wrote from its interrupt, after
	 * the write returned; wait until the console has sent it all, or
	 * the VM ends with the app's output still in the tty's buffer.
	 * (Kiln's kernel writes its console synchronously.)
	 */
	tcdrain(STDOUT_FILENO);
	tcdrain(STDERR_FILENO);
	if (ioperm(DEBUG_EXIT_PORT, 1, 1) == 0)
		outb((unsigned char)status, DEBUG_EXIT_PORT);
	/* No port (not under QEMU): nothing else ends the VM; say so. */
	fprintf(stderr, "init: isa-debug-exit: %s\n", strerror(errno));
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	(void)argc;
	pid_t app = fork();
	if (app < 0) {
		perror("init: fork");
		vm_exit(126);
	}
	if (app == 0) {
		/* The kernel hands init the command line's extra words. */
		argv[0] = "/app";
		execv("/app", argv);
		perror("init: /app");
		_exit(127);
	}
	/* PID 1 also reaps orphans; the VM ends when /app itself ends. */
	for (;;) {
		int st;
		pid_t pid = wait(&st);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			perror("init: wait");
			vm_exit(126);
		}
		if (pid != app)
			continue;
		fflush(stdout);
		vm_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
}
