/* net_dhcp.c - the DHCP client on the network device: port 68, its messages, the lease on the interface. */
#include "net/net_dhcp.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/printk.h"
#include "core/random.h"
#include "lib/format.h"
#include "lib/string.h"
#include "net/dhcp.h"
#include "net/net_boot.h"
#include "net/netif.h"
#include "net/udp.h"

/*
 * Everything here runs in the network's interrupt handlers (receive and
 * the tick) or at boot with interrupts off, on the kernel's one CPU, so
 * the client's state needs no lock.
 */
static struct dhcp_client dhcp;
static struct netif *dhcp_nif;
static uint32_t dhcp_dns; /* replaces the lease's server when not 0 */

#define IP4(a) (a) >> 24, (a) >> 16 & 255, (a) >> 8 & 255, (a)&255

/* What the client queued goes out as a broadcast (from 0.0.0.0 unbound). */
static void dhcp_send(uint64_t now)
{
	if (dhcp.out_len == 0)
		return;
	udp_output(dhcp_nif, DHCP_CLIENT_PORT, IPV4_BROADCAST, DHCP_SERVER_PORT,
		   dhcp.out, dhcp.out_len, now);
	dhcp.out_len = 0;
}

/* RFC 2131 leaves a lease without option 1 to us: the class's mask. */
static uint32_t default_mask(uint32_t addr)
{
	if (addr >> 31 == 0)
		return 0xff000000u;
	return addr >> 30 == 2 ? 0xffff0000u : 0xffffff00u;
}

static void dhcp_apply(void)
{
	struct ipv4_config cfg;
	char how[64];

	dhcp_lease_config(&dhcp.lease, &cfg);
	if (cfg.netmask == 0)
		cfg.netmask = default_mask(cfg.addr);
	if (dhcp_dns)
		cfg.dns = dhcp_dns;
	if (memcmp(&cfg, &dhcp_nif->ip, sizeof(cfg)) == 0)
		return; /* a renewal that changed nothing */
	dhcp_nif->ip = cfg;
	net_resolv_conf(cfg.dns);
	fmt_snprintf(how, sizeof(how), " (DHCP from %u.%u.%u.%u, %u s)",
		     IP4(dhcp.lease.server), (unsigned)dhcp.lease.lease_s);
	net_log_config(dhcp_nif, how);
}

static void dhcp_event(enum dhcp_event ev)
{
	uint32_t a = dhcp_nif->ip.addr;

	if (ev == DHCP_EV_BOUND) {
		dhcp_apply();
	} else if (ev == DHCP_EV_LOST) {
		printk("kiln: net: DHCP lease of %u.%u.%u.%u lost; no address "
		       "until a new one\n",
		       IP4(a));
		memset(&dhcp_nif->ip, 0, sizeof(dhcp_nif->ip));
	}
}

/* udp_recv_fn for port 68: a server's reply, untrusted (dhcp_input checks). */
static void dhcp_recv(void *ctx, struct netif *nif, const struct udp_rx *rx,
		      uint64_t now)
{
	(void)ctx;
	if (nif != dhcp_nif || rx->sport != DHCP_SERVER_PORT)
		return;
	dhcp_event(dhcp_input(&dhcp, rx->data, rx->len, now));
	dhcp_send(now);
}

int net_dhcp_start(struct netif *nif, uint32_t dns)
{
	uint32_t xid;
	static struct udp_port port = { .lport = DHCP_CLIENT_PORT,
					.fn = dhcp_recv };
	int err = udp_bind(&port);

	if (err)
		return err;
	dhcp_nif = nif;
	dhcp_dns = dns;
	random_bytes(&xid, sizeof(xid));
	dhcp_start(&dhcp, nif->mac, xid, time_ns());
	dhcp_send(time_ns());
	return 0;
}

void net_dhcp_poll(uint64_t now)
{
	if (dhcp_nif == NULL)
		return;
	dhcp_event(dhcp_poll(&dhcp, now));
	dhcp_send(now);
}

bool net_dhcp_bound(void)
{
	return dhcp.state == DHCP_BOUND || dhcp.state == DHCP_RENEWING;
}
