/* net_boot.h - bring up the network interface at application start. */
#ifndef KILN_NET_NET_BOOT_H
#define KILN_NET_NET_BOOT_H

#include <stdint.h>

/*
 * Starts the stack with the loopback interface (127.0.0.1/8); then, when
 * the kernel command line asks for networking (kiln.ip=A.B.C.D/N or
 * kiln.ip=dhcp, optional kiln.gw= and kiln.dns=; lib/netcfg.h) or, with
 * no kiln.ip there, image_net does (the image's KILN_CFG_NET words,
 * untrusted, NUL-terminated; NULL when it has none), finds
 * the virtio-net device, attaches it, starts the stack's timer and
 * configures the address: at once, or by DHCP, waiting up to 5 s for a
 * lease (interrupts on meanwhile; without one the app starts with no
 * address, and DHCP goes on). Boot-time, interrupts off, before the app
 * runs. Returns 0 (also when no networking was asked for), or -ERRNO
 * after one log line; the app runs without a network then.
 */
int net_boot(const char *image_net);

struct netif;

/*
 * For net_dhcp.c: logs nif's configuration in one line ("kiln: net:
 * A.B.C.D/N via G on MAC", no "via" without a gateway), how appended
 * ("" or " (DHCP ...)").
 */
void net_log_config(const struct netif *nif, const char *how);

/*
 * /etc/resolv.conf naming server dns (0: nothing), unless the image or an
 * earlier call made one: static addressing and kiln.dns at boot, and a
 * DHCP lease whenever it binds, even after the boot stopped waiting.
 */
void net_resolv_conf(uint32_t dns);

/*
 * Before the VM exits: wait up to 10 s for TCP data the app wrote to be
 * acknowledged, then give the device up to 100 ms to send what is queued
 * (QEMU would otherwise drop the app's last segments and datagrams).
 */
void net_flush(void);

#endif
