/* net_boot.h - bring up the network interface at application start. */
#ifndef KILN_NET_NET_BOOT_H
#define KILN_NET_NET_BOOT_H

/*
 * When the kernel command line asks for networking (kiln.ip=A.B.C.D/N,
 * optional kiln.gw= and kiln.dns=), find the virtio-net device, attach it
 * to the stack, configure the address and start the stack's timer.
 * Boot-time, interrupts off, before the app runs. Returns 0 (also when no
 * networking was asked for), or -ERRNO after one log line; the app runs
 * without a network then.
 */
int net_boot(void);

/*
 * Before the VM exits: give the device up to 100 ms to send what is
 * queued (QEMU would otherwise drop the app's last datagrams).
 */
void net_flush(void);

#endif
