/* netif.c - the stack's entry points: attach, frame input, timers. */
#include "net/netif.h"

#include <asm-generic/errno.h>

#include "lib/string.h"
#include "net/eth.h"
#include "net/icmp.h"

static struct netif *net_list;

int net_attach(struct netif *nif)
{
	struct netif *n;

	if (!nif->transmit)
		return -EINVAL;
	for (n = net_list; n; n = n->next)
		if (n == nif)
			return -EBUSY;
	memset(&nif->ip, 0, sizeof(*nif) - offsetof(struct netif, ip));
	if (nif->mtu == 0)
		nif->mtu = 1500;
	nif->icmp_tokens = ICMP_RATE_BURST;
	nif->next = net_list;
	net_list = nif;
	return 0;
}

void net_detach(struct netif *nif)
{
	struct netif **pp;

	for (pp = &net_list; *pp; pp = &(*pp)->next) {
		if (*pp == nif) {
			*pp = nif->next;
			break;
		}
	}
	arp_flush(nif);
	ipv4_reasm_flush(nif);
	nif->next = NULL;
}

struct netif *net_default_netif(void)
{
	struct netif *found = NULL;

	/* The list is pushed at the front: the first attached is last. */
	for (struct netif *n = net_list; n; n = n->next)
		if (!n->loopback)
			found = n;
	return found;
}

static bool is_loopback_net(uint32_t addr)
{
	return addr >> 24 == 127;
}

bool net_addr_local(uint32_t addr)
{
	if (is_loopback_net(addr))
		return true;
	for (struct netif *n = net_list; n; n = n->next)
		if (n->ip.addr && n->ip.addr == addr)
			return true;
	return false;
}

int net_route(uint32_t dst, struct netif **nif, uint32_t *src)
{
	struct netif *n = NULL;

	if (net_addr_local(dst)) {
		for (n = net_list; n && !n->loopback; n = n->next)
			;
		/* 127/8 from 127.0.0.1; our own address from itself. */
		if (n && !is_loopback_net(dst))
			*src = dst;
		else if (n)
			*src = n->ip.addr;
	} else {
		n = net_default_netif();
		if (n)
			*src = n->ip.addr;
	}
	if (n == NULL || n->ip.addr == 0)
		return -ENETUNREACH;
	*nif = n;
	return 0;
}

void net_input(struct netif *nif, const void *frame, size_t len,
	       uint64_t now_ns)
{
	net_input_flags(nif, frame, len, 0, now_ns);
}

void net_input_flags(struct netif *nif, const void *frame, size_t len,
		     unsigned flags, uint64_t now_ns)
{
	struct eth_frame f;

	nif->stats.rx_frames++;
	if (eth_parse(frame, len, &f) < 0 || !eth_for_us(nif, &f)) {
		nif->stats.rx_drop++;
		return;
	}
	if (f.type == ETH_TYPE_ARP)
		arp_input(nif, f.payload, f.len, now_ns);
	else if (f.type == ETH_TYPE_IPV4)
		ipv4_input(nif, f.payload, f.len, flags, now_ns);
	else
		nif->stats.rx_drop++;
}

static unsigned tx_holds;

void net_tx_hold(void)
{
	tx_holds++;
}

void net_tx_release(void)
{
	if (tx_holds == 0 || --tx_holds > 0)
		return;
	for (struct netif *n = net_list; n; n = n->next)
		if (n->flush)
			n->flush(n);
}

bool net_tx_held(void)
{
	return tx_holds > 0;
}

void net_poll_timers(uint64_t now_ns)
{
	for (struct netif *n = net_list; n; n = n->next) {
		arp_timers(n, now_ns);
		ipv4_reasm_timers(n, now_ns);
	}
}
