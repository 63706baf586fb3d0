/* net_dhcp.h - the DHCP client (net/dhcp.h) running on the network device. */
#ifndef KILN_NET_NET_DHCP_H
#define KILN_NET_NET_DHCP_H

#include <stdbool.h>
#include <stdint.h>

struct netif;

/*
 * Binds UDP port 68 and broadcasts a DISCOVER on nif (attached, with no
 * address yet) under a random transaction id. From then on, replies
 * received and net_dhcp_poll configure nif->ip when a lease is bound and
 * clear it when the lease is lost; each change is logged. A dns other
 * than 0 replaces the server the lease names. Returns 0, or -EADDRINUSE
 * from udp_bind. Boot-time, once.
 */
int net_dhcp_start(struct netif *nif, uint32_t dns);

/* Retransmissions, renewal and expiry; from the network tick. */
void net_dhcp_poll(uint64_t now);

/* True while a lease is held (nif->ip is then configured). */
bool net_dhcp_bound(void);

#endif
