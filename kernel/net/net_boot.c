/* net_boot.c - bring up virtio-net with a static address from the kernel command line. */
#include "net/net_boot.h"

#include <asm-generic/errno.h>

#include "arch.h"
#include "core/heap.h"
#include "core/printk.h"
#include "core/sched.h"
#include "drivers/virtio_net.h"
#include "fs/vfs.h"
#include "lib/format.h"
#include "lib/cmdline.h"
#include "net/loopback.h"
#include "net/netif.h"
#include "net/pkt.h"
#include "net/tcp.h"

/*
 * The periodic tick drives TCP's timers (RTO, persist, TIME-WAIT) every
 * NET_TICK_NS; ARP retransmits and cache/fragment expiry are looked at on
 * every NET_SLOW_TICKS-th tick (100 ms). It runs while a device is up or
 * TCP holds a connection, so a guest that only has loopback and no
 * sockets sleeps undisturbed.
 */
#define NET_TICK_NS (20ull * 1000000ull)
#define NET_SLOW_TICKS 5
#define NET_FLUSH_NS (100ull * 1000000ull)
#define NET_LINGER_NS (10000ull * 1000000ull)

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
static int (*dev_transmit)(struct netif *nif, const void *frame, size_t len);

static bool lose_frame(void)
{
	loss_state ^= loss_state << 13;
	loss_state ^= loss_state >> 7;
	loss_state ^= loss_state << 17;
	return loss_state % 100 < loss_pct;
}

static int lossy_transmit(struct netif *nif, const void *frame, size_t len)
{
	return lose_frame() ? 0 : dev_transmit(nif, frame, len);
}

/* The driver's receive hook: runs in its interrupt handler (no sleeping). */
static void net_rx(const void *frame, size_t len)
{
	if (loss_pct && lose_frame())
		return;
	net_input(net_nif, frame, len, time_ns());
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

/* From the timer interrupt, while a device is up or TCP is busy. */
static void net_tick(struct ktimer *t)
{
	static unsigned ticks;
	uint64_t now = time_ns();

	if (net_nif)
		virtio_net_poll();
	tcp_timers(now);
	if (++ticks % NET_SLOW_TICKS == 0)
		net_poll_timers(now);
	if (net_nif || tcp_busy())
		ktimer_arm(t, now + NET_TICK_NS, net_tick);
}

static void tick_start(void)
{
	if (!net_timer.armed)
		ktimer_arm(&net_timer, time_ns() + NET_TICK_NS, net_tick);
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
	tick_start();	/* loopback traffic means a socket: TCP may need it */
}

/* Parse "A.B.C.D" from s[0..n) into *out (host order): true when valid. */
static bool parse_addr(const char *s, size_t n, uint32_t *out)
{
	uint32_t addr = 0, part = 0;
	int dots = 0, digits = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] >= '0' && s[i] <= '9') {
			part = part * 10 + (uint32_t)(s[i] - '0');
			if (++digits > 3 || part > 255)
				return false;
			continue;
		}
		if (digits == 0 || (i < n && (s[i] != '.' || ++dots > 3)))
			return false;
		addr = addr << 8 | part;
		part = 0;
		digits = 0;
	}
	*out = addr;
	return dots == 3;
}

/* "A.B.C.D/N" (N 1..32; without it /24) into addr and netmask. */
static bool parse_cidr(const char *s, uint32_t *addr, uint32_t *mask)
{
	size_t n = 0, slash;
	uint64_t bits = 24;

	while (s[n] && s[n] != '/')
		n++;
	slash = n;
	while (s[n])
		n++;
	if (slash < n && (!cmdline_parse_u64(s + slash + 1, n - slash - 1,
					     &bits) || bits < 1 || bits > 32))
		return false;
	*mask = (uint32_t)(0xffffffffull << (32 - bits));
	return parse_addr(s, slash, addr);
}

/* An optional "kiln.KEY=A.B.C.D": 0 when absent, -EINVAL when bad. */
static int get_addr(const char *key, uint32_t *out)
{
	char v[32];
	long n = cmdline_get(boot_info.cmdline, boot_info.cmdline_len, key, v,
			     sizeof(v));

	*out = 0;
	if (n < 0)
		return 0;
	if (n >= (long)sizeof(v) || !parse_addr(v, (size_t)n, out)) {
		printk("kiln: net: bad %s=%s\n", key, v);
		return -EINVAL;
	}
	return 0;
}

/* The static configuration from the command line: 0, 1 (none), -EINVAL. */
static int get_config(struct ipv4_config *c)
{
	char v[40];
	long n = cmdline_get(boot_info.cmdline, boot_info.cmdline_len,
			     "kiln.ip", v, sizeof(v));

	if (n < 0)
		return 1;
	if (n >= (long)sizeof(v) || !parse_cidr(v, &c->addr, &c->netmask)) {
		printk("kiln: net: bad kiln.ip=%s\n", v);
		return -EINVAL;
	}
	if (get_addr("kiln.gw", &c->gateway) < 0 ||
	    get_addr("kiln.dns", &c->dns) < 0)
		return -EINVAL;
	return 0;
}

static int mask_bits(uint32_t mask)
{
	int bits = 0;

	for (; mask; mask <<= 1)
		bits++;
	return bits;
}

/* /etc/resolv.conf naming the configured server, unless the image has one. */
static void resolv_conf(const struct ipv4_config *c)
{
	static char text[64];

	if (c->dns == 0)
		return;
	fmt_snprintf(text, sizeof(text), "nameserver %u.%u.%u.%u\n", c->dns >> 24,
		 c->dns >> 16 & 255, c->dns >> 8 & 255, c->dns & 255);
	if (vfs_etc_default("resolv.conf", text) < 0)
		printk("kiln: net: cannot write /etc/resolv.conf\n");
}

static void log_config(const struct netif *nif)
{
	const struct ipv4_config *c = &nif->ip;
	const uint8_t *m = nif->mac;

	printk("kiln: net: %u.%u.%u.%u/%d via %u.%u.%u.%u on "
	       "%02x:%02x:%02x:%02x:%02x:%02x\n",
	       c->addr >> 24, c->addr >> 16 & 255, c->addr >> 8 & 255,
	       c->addr & 255, mask_bits(c->netmask), c->gateway >> 24,
	       c->gateway >> 16 & 255, c->gateway >> 8 & 255, c->gateway & 255,
	       m[0], m[1], m[2], m[3], m[4], m[5]);
}

/*
 * What the app wrote to TCP sockets must still reach the peer after it
 * exits, as on Linux, where the kernel keeps sending after close: wait
 * (interrupts on, no other thread runs) until it is acknowledged, for at
 * most NET_LINGER_NS. Then the device's queue; frames waiting for ARP
 * are not waited for.
 */
void net_flush(void)
{
	uint64_t deadline = time_ns() + NET_LINGER_NS;
	size_t left;

	if (tcp_busy())
		tick_start();
	while ((left = tcp_unacked()) > 0 && time_ns() < deadline)
		cpu_wait_irq();
	if (left)
		printk("kiln: net: %zu bytes of TCP data unacknowledged at exit\n",
		       left);
	if (net_nif)
		virtio_net_flush(NET_FLUSH_NS);
}

int net_boot(void)
{
	struct ipv4_config cfg = { 0 };
	int err;

	net_set_allocator(kmalloc, kfree);
	tcp_init();
	if (loopback_attach(lo_kick) == NULL)
		printk("kiln: net: cannot attach loopback\n");
	err = get_config(&cfg);
	if (err)
		return err < 0 ? err : 0;
	err = virtio_net_init();
	if (err) {
		printk("kiln: net: no usable network device (%d)\n", err);
		return err;
	}
	net_nif = virtio_net_netif();
	err = net_nif ? net_attach(net_nif) : -ENODEV;
	if (err) {
		printk("kiln: net: cannot attach the interface (%d)\n", err);
		return err;
	}
	net_nif->ip = cfg;
	resolv_conf(&cfg);
	loss_setup(net_nif);
	virtio_net_set_rx(net_rx);
	tick_start();
	log_config(net_nif);
	return 0;
}
