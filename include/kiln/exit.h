/* exit.h - how the guest reports its exit status to the host. */
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
 *
 * Statuses with a meaning of their own:
 */
#define KILN_DEBUG_EXIT_PORT 0xf4

#define KILN_EXIT_OK 0
#define KILN_EXIT_PANIC 125 /* the kernel itself failed; report on the log */

/* The line prefix the host looks for (followed by the decimal status). */
#define KILN_EXIT_MARKER "kiln: exit status "

#endif
