/* exit.h - every exit status Kiln gives, and how the guest reports its own to the host. */
#ifndef KILN_EXIT_H
#define KILN_EXIT_H

/*
 * The kernel ends a VM by writing a status byte to QEMU's isa-debug-exit
 * device at KILN_DEBUG_EXIT_PORT. QEMU then exits with (value << 1) | 1, so
 * only 7 bits survive the host's 8-bit process status. Right before that
 * write the kernel prints one line on its log channel,
 *
 *     kiln: exit status N            (0..255, the full status)
 *
 * and the host side (test harness, `kiln run`) takes the status from that
 * line, using QEMU's own exit code only to check it.
 */
#define KILN_DEBUG_EXIT_PORT 0xf4

/* The line prefix the host looks for (followed by the decimal status). */
#define KILN_EXIT_MARKER "kiln: exit status "

/*
 * The statuses. `kiln run` exits with the guest's status: the app's own
 * (any of 0..255) or one the kernel sets. Every other command, and `kiln
 * run` when it fails before the VM starts or the VM fails, exits with one
 * of the tool's. Each meaning has one status, the same from every command:
 * a damaged image is KILN_EXIT_FAIL from build, run and inspect alike
 * (kiln checks an image before it boots it). Values follow the shell,
 * timeout(1) and `docker run`: 126 and 127 for a program that cannot run
 * or does not exist, 124 for a timeout; 125 was taken by the kernel's
 * panic first, so the VM's own failure is 123.
 */

/* Set by the guest kernel. */
#define KILN_EXIT_OK 0
/* The kernel failed; its report is on the log. */
#define KILN_EXIT_PANIC 125
/* The app could not be started (a bad ELF, a damaged bundle, too little
 * memory to load it...); the log says why. */
#define KILN_EXIT_NOEXEC 126
/* The program is not in the image. */
#define KILN_EXIT_NOTFOUND 127
/* + N: the app was killed by signal N. */
#define KILN_EXIT_SIGNAL 128

/* Set by the `kiln` tool on the host. */
/* The command failed on the host: bad input (an unreadable or damaged
 * image, a program Kiln cannot run), an output it cannot write, out of
 * memory. */
#define KILN_EXIT_FAIL 1
/* A bad command line. */
#define KILN_EXIT_USAGE 2
/* The VM could not start (no QEMU, no such tap device) or ended without
 * a status. */
#define KILN_EXIT_VMFAIL 123
/* kiln run --timeout expired. */
#define KILN_EXIT_TIMEOUT 124

#endif
