/* net_boot.c - bring up virtio-net with a static address or by DHCP, as the kernel command line says. */
#include "net/net_boot.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/heap.h"
#include "core/printk.h"
#include "core/random.h"
#include "core/sched.h"
#include "drivers/virtio_net.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/cmdline.h"
#include "lib/netcfg.h"
#include "lib/string.h"
#include "net/loopback.h"
#include "net/net_dhcp.h"
#include "net/netif.h"
#include "net/pkt.h"
#include "net/tcp.h"

/*
 * The tick drives TCP's timers (RTO, persist, delayed ACK, TIME-WAIT)
 * every NET_TICK_NS while TCP holds a connection; ARP retransmits, cache
 * and fragment expiry and DHCP are looked at every NET_SLOW_NS. With a
 * device up and no connection it slows to NET_IDLE_TICK_NS, and every
 * received frame brings it back to NET_TICK_NS at once, so an idle
 * server costs one wake-up a second. A guest that only has loopback and
 * no sockets has no tick at all.
 */
#define NET_TICK_NS (20ull * 1000000ull)
#define NET_SLOW_NS (100ull * 1000000ull)
#define NET_IDLE_TICK_NS (1000ull * 1000000ull)
#define NET_FLUSH_NS (100ull * 1000000ull)
#define NET_LINGER_NS (10000ull * 1000000ull)
#define NET_DHCP_WAIT_S 5 /* the boot waits this long for a lease */

static void tick_start(uint64_t now);

static struct netif *net_nif;
static struct ktimer net_timer, lo_timer;

/*
 * kiln.net_loss=PERCENT (kiln run --net-loss): the device's frames are
 * dropped at this rate, both ways, as a lossy wire would, so that loss
 * recovery can be tested end to end. A fixed-seed xorshift makes a run
 * repeatable.
 */
static unsigned loss_pct;
static uint64_t loss_state = 0x9e3779b97f4a7c15ull;
static int (*dev_transmit)(struct netif *nif, const void *frame, size_t len,
			   const struct net_csum *csum);

static bool lose_frame(void)
{
	loss_state ^= loss_state << 13;
	loss_state ^= loss_state >> 7;
	loss_state ^= loss_state << 17;
	return loss_state % 100 < loss_pct;
}

static int lossy_transmit(struct netif *nif, const void *frame, size_t len,
			  const struct net_csum *csum)
{
	return lose_frame() ? 0 : dev_transmit(nif, frame, len, csum);
}

/* The driver's receive hook: runs in its interrupt handler (no sleeping). */
static void net_rx(const void *frame, size_t len, unsigned flags)
{
	uint64_t now;

	if (loss_pct && lose_frame())
		return;
	now = time_ns();
	tick_start(now); /* traffic: TCP's timers at full rate */
	net_input_flags(net_nif, frame, len, flags, now);
}

static void loss_setup(struct netif *nif)
{
	char v[8];
	long n = cmdline_get(boot_info.cmdline, boot_info.cmdline_len,
			     "kiln.net_loss", v, sizeof(v));
	uint64_t pct;

	if (n < 0)
		return;
	if (n >= (long)sizeof(v) || !cmdline_parse_u64(v, (size_t)n, &pct) ||
	    pct > 50) {
		printk("kiln: net: bad kiln.net_loss=%s (0-50)\n", v);
		return;
	}
	loss_pct = (unsigned)pct;
	dev_transmit = nif->transmit;
	nif->transmit = lossy_transmit;
	printk("kiln: net: dropping %u%% of frames (kiln.net_loss)\n",
	       loss_pct);
}

/* ---- The virtio-net device as the stack's interface ---- */

static int vnet_transmit(struct netif *nif, const void *frame, size_t len,
			 const struct net_csum *csum)
{
	(void)nif;
	return virtio_net_send(frame, len, csum ? csum->start : 0,
			       csum ? csum->offset : 0, net_tx_held());
}

/* The last net_tx_release: tell the device of what the batch left. */
static void vnet_flush(struct netif *nif)
{
	(void)nif;
	virtio_net_kick();
}

static void vnet_rx(const void *frame, size_t len, unsigned flags)
{
	net_rx(frame, len,
	       (flags & VIRTIO_NET_RX_CSUM_OK) ? NET_RX_CSUM_OK : 0);
}

/* What frames received in one burst answer goes out in one batch. */
static const struct virtio_net_client vnet_client = {
	.rx = vnet_rx,
	.burst_begin = net_tx_hold,
	.burst_end = net_tx_release,
};

static struct netif *vnet_netif(void)
{
	static struct netif nif;

	virtio_net_mac(nif.mac);
	nif.mtu = 1500;
	nif.offload = virtio_net_tx_csum() ? NETIF_TX_CSUM : 0;
	nif.transmit = vnet_transmit;
	nif.flush = vnet_flush;
	return &nif;
}

/* From the timer interrupt, while a device is up or TCP is busy. */
static void net_tick(struct ktimer *t)
{
	static uint64_t slow_at;
	uint64_t now = time_ns();
	bool busy;

	if (net_nif)
		virtio_net_poll();
	tcp_timers(now);
	if (now >= slow_at) {
		net_poll_timers(now);
		net_dhcp_poll(now);
		slow_at = now + NET_SLOW_NS;
	}
	busy = tcp_busy();
	if (net_nif || busy)
		ktimer_arm(t, now + (busy ? NET_TICK_NS : NET_IDLE_TICK_NS),
			   net_tick);
}

/* The tick within NET_TICK_NS from now, unless it comes sooner anyway. */
static void tick_start(uint64_t now)
{
	uint64_t at = now + NET_TICK_NS;

	if (!net_timer.armed || net_timer.deadline_ns > at)
		ktimer_arm(&net_timer, at, net_tick);
}

/* Loopback frames are received from a timer at once, not inside a send. */
static void lo_receive(struct ktimer *t)
{
	(void)t;
	loopback_drain(time_ns());
}

static void lo_kick(void)
{
	if (!lo_timer.armed)
		ktimer_arm(&lo_timer, time_ns(), lo_receive);
	tick_start(
		time_ns()); /* loopback traffic means a socket: TCP may need it */
}

/*
 * The configuration asked for: the command line's kiln.ip (with kiln.gw,
 * kiln.dns) when there is one, else the image's words, else none.
 * 0, 1 (none) or -EINVAL after one log line.
 */
static int get_config(const char *image_net, struct netcfg *c)
{
	struct netcfg_err e;
	int r = netcfg_read(boot_info.cmdline, boot_info.cmdline_len, "kiln.",
			    c, &e);

	if (r < 0) {
		printk("kiln: net: bad kiln.%s=%s (%s)\n",
		       netcfg_key_name(e.key), e.value, e.why);
		return -EINVAL;
	}
	if (r == 0 || image_net == NULL)
		return r;
	r = netcfg_read(image_net, strlen(image_net), "", c, &e);
	if (r < 0) {
		printk("kiln: net: bad %s=%s in the image (%s)\n",
		       netcfg_key_name(e.key), e.value, e.why);
		return -EINVAL;
	}
	return r;
}

void net_resolv_conf(uint32_t dns)
{
	/* The file borrows text: filled once, never rewritten under it. */
	static char text[64];

	if (dns == 0 || text[0])
		return;
	fmt_snprintf(text, sizeof(text), "nameserver %u.%u.%u.%u\n", dns >> 24,
		     dns >> 16 & 255, dns >> 8 & 255, dns & 255);
	if (vfs_etc_default("resolv.conf", text) < 0) {
		printk("kiln: net: cannot write /etc/resolv.conf\n");
		text[0] = '\0';
	}
}

void net_log_config(const struct netif *nif, const char *how)
{
	const struct ipv4_config *c = &nif->ip;
	const uint8_t *m = nif->mac;

	char via[24] = "";

	if (c->gateway)
		fmt_snprintf(via, sizeof(via), " via %u.%u.%u.%u",
			     c->gateway >> 24, c->gateway >> 16 & 255,
			     c->gateway >> 8 & 255, c->gateway & 255);
	printk("kiln: net: %u.%u.%u.%u/%d%s on "
	       "%02x:%02x:%02x:%02x:%02x:%02x%s\n",
	       c->addr >> 24, c->addr >> 16 & 255, c->addr >> 8 & 255,
	       c->addr & 255, netcfg_mask_bits(c->netmask), via, m[0], m[1],
	       m[2], m[3], m[4], m[5], how);
}

/*
 * What the app wrote to TCP sockets must still reach the peer after it
 * exits, as on Linux, where the kernel keeps sending after close: wait
 * (interrupts on, no other thread runs) until peers outside the VM have
 * acknowledged it, for at most NET_LINGER_NS. Then the device's queue;
 * frames waiting for ARP are not waited for.
 */
void net_flush(void)
{
	uint64_t deadline = time_ns() + NET_LINGER_NS;
	size_t left;

	if (tcp_busy())
		tick_start(time_ns());
	while ((left = tcp_unacked()) > 0 && time_ns() < deadline)
		cpu_wait_irq();
	if (left)
		printk("kiln: net: %zu bytes of TCP data unacknowledged at exit\n",
		       left);
	if (net_nif)
		virtio_net_flush(NET_FLUSH_NS);
}

/* Static: configure nif at once. DHCP: start it and wait for a lease. */
static void net_configure(struct netif *nif, const struct netcfg *c)
{
	uint64_t deadline = time_ns() + NET_DHCP_WAIT_S * 1000000000ull;
	int err;

	if (!c->dhcp) {
		nif->ip = (struct ipv4_config){ .addr = c->addr,
						.netmask = c->netmask,
						.gateway = c->gateway,
						.dns = c->dns };
		net_log_config(nif, "");
		net_resolv_conf(c->dns);
		return;
	}
	err = net_dhcp_start(nif, c->dns);
	if (err) {
		printk("kiln: net: cannot start DHCP (%d)\n", err);
		return;
	}
	/* Replies arrive in the device's interrupt, retransmissions in the tick. */
	while (!net_dhcp_bound() && time_ns() < deadline)
		cpu_wait_irq();
	if (!net_dhcp_bound())
		printk("kiln: net: no DHCP lease within %u s; the app starts "
		       "without an address\n",
		       NET_DHCP_WAIT_S);
	net_resolv_conf(c->dns); /* a lease already wrote its own */
}

int net_boot(const char *image_net)
{
	struct netcfg cfg;
	uint32_t key;
	int err;

	net_set_allocator(kmalloc, kfree);
	tcp_init();
	random_bytes(&key, sizeof(key));
	tcp_set_hash_key(key);
	if (loopback_attach(lo_kick) == NULL)
		printk("kiln: net: cannot attach loopback\n");
	err = get_config(image_net, &cfg);
	if (err)
		return err < 0 ? err : 0;
	err = virtio_net_init();
	if (err) {
		printk("kiln: net: no usable network device (%d)\n", err);
		return err;
	}
	net_nif = vnet_netif();
	err = net_attach(net_nif);
	if (err) {
		printk("kiln: net: cannot attach the interface (%d)\n", err);
		return err;
	}
	loss_setup(net_nif);
	virtio_net_set_client(&vnet_client);
	tick_start(time_ns());
	net_configure(net_nif, &cfg);
	return 0;
}
