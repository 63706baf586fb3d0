/* sigport.h - signals from the host: one byte per signal on COM4. */
#ifndef KILN_DRIVERS_SIGPORT_H
#define KILN_DRIVERS_SIGPORT_H

/*
 * When the VM has a UART at COM4 (kiln run gives it one), poll it now
 * (with interrupts off: deliver runs here) and every 20 ms from a kernel
 * timer, and hand each byte that names SIGHUP (1), SIGINT (2), SIGQUIT
 * (3) or SIGTERM (15) to deliver; any other byte is dropped (the host
 * side is trusted less than the kernel: it is only a byte stream).
 * deliver runs from the timer interrupt (no sleeping). Nothing happens
 * when there is no COM4. Call once, just before the app's first
 * instruction: the boot runs with interrupts off, so a tick armed
 * earlier could only fire there anyway (under TCG the boot outlasts
 * 20 ms), and it cost a timer interrupt, and its translation, at the
 * app's first instruction. A signal sent during the boot waits in the
 * UART (and QEMU's pipe) until then.
 */
void sigport_start(void (*deliver)(int sig));

#endif
