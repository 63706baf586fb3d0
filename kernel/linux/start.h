/* start.h - start the application from the image's bundle. */
#ifndef KILN_LINUX_START_H
#define KILN_LINUX_START_H

/*
 * Read the checked bundle's CONFIG, build the root file system from its
 * ROOTFS, connect the standard streams (STDIN section or the terminal),
 * load the program and enter it. Never returns: the application ends the
 * VM through exit_group, a fatal signal, or a start-up error (status 127
 * when the program does not exist, 126 when it cannot run).
 */
_Noreturn void linux_start(const void *bundle);

#endif
