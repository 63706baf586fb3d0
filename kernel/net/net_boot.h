/* net_boot.h - bring up the network interface at application start. */
#ifndef KILN_NET_NET_BOOT_H
#define KILN_NET_NET_BOOT_H

/*
 * Starts the stack with the loopback interface (127.0.0.1/8); then, when
 * the kernel command line asks for networking (kiln.ip=A.B.C.D/N,
 * optional kiln.gw= and kiln.dns=), finds the virtio-net device, attaches
 * it, configures the address and starts the stack's timer.
 * Boot-time, interrupts off, before the app runs. Returns 0 (also when no
 * networking was asked for), or -ERRNO after one log line; the app runs
 * without a network then.
 */
int net_boot(void);

/*
 * Before the VM exits: wait up to 10 s for TCP data the app wrote to be
 * acknowledged, then give the device up to 100 ms to send what is queued
 * (QEMU would otherwise drop the app's last segments and datagrams).
 */
void net_flush(void);

#endif
