/* virtio_net_selftest.c - kiln.test=virtio-net: bring the NIC up and ask QEMU's gateway for its MAC by ARP. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "core/printk.h"
#include "core/selftest.h"
#include "drivers/virtio_net.h"
#include "lib/string.h"

/* QEMU user networking (slirp): the guest is 10.0.2.15, the gateway .2. */
static const uint8_t guest_ip[4] = { 10, 0, 2, 15 };
static const uint8_t gateway_ip[4] = { 10, 0, 2, 2 };

#define ARP_FRAME_LEN 42 /* 14 Ethernet + 28 ARP (RFC 826), unpadded */
#define TRY_NS 1000000000ULL
#define TRIES 5

static volatile bool got_reply;
static uint8_t gateway_mac[6];

/* RFC 826 request: who has gateway_ip? tell guest_ip. */
static void build_request(uint8_t f[ARP_FRAME_LEN], const uint8_t mac[6])
{
	static const uint8_t arp_ipv4[8] = { 0, 1, 0x08, 0x00, 6, 4, 0, 1 };

	memset(f, 0xff, 6); /* broadcast */
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;  /* ARP */
	memcpy(f + 14, arp_ipv4, 8); /* Ethernet/IPv4, op 1 */
	memcpy(f + 22, mac, 6);	     /* sender */
	memcpy(f + 28, guest_ip, 4);
	memset(f + 32, 0, 6); /* target: unknown */
	memcpy(f + 38, gateway_ip, 4);
}

/* Interrupt context: note a reply from the gateway to us. */
static void arp_rx(const void *frame, size_t len, unsigned flags)
{
	const uint8_t *f = frame;

	(void)flags;
	if (len < ARP_FRAME_LEN || f[12] != 0x08 || f[13] != 0x06)
		return;
	if (f[20] != 0 || f[21] != 2 || memcmp(f + 28, gateway_ip, 4) ||
	    memcmp(f + 38, guest_ip, 4))
		return;
	memcpy(gateway_mac, f + 22, 6);
	got_reply = true;
}

static const struct virtio_net_client arp_client = { .rx = arp_rx };

static void tick(void)
{
}

/* Send, then halt until the reply or the try's deadline (the tick wakes us). */
static bool ask_gateway(const uint8_t *req)
{
	for (int i = 0; i < TRIES && !got_reply; i++) {
		uint64_t deadline = time_ns() + TRY_NS;
		int err = virtio_net_send(req, ARP_FRAME_LEN, 0, 0, false);

		if (err) {
			printk("kiln: virtio-net: send failed (%d)\n", err);
			return false;
		}
		while (!got_reply && time_ns() < deadline)
			cpu_wait_irq();
	}
	return got_reply;
}

static int selftest_virtio_net(void)
{
	uint8_t mac[6], req[ARP_FRAME_LEN];
	int err = virtio_net_init();
	bool ok;

	if (err) {
		printk("kiln: virtio-net: no usable device (%d)\n", err);
		return 1;
	}
	virtio_net_mac(mac);
	printk("kiln: virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0],
	       mac[1], mac[2], mac[3], mac[4], mac[5]);
	virtio_net_set_client(&arp_client);
	build_request(req, mac);
	if (lapic_timer_start(10000000, tick) != 0) {
		printk("kiln: virtio-net: cannot start the timer\n");
		return 1;
	}
	ok = ask_gateway(req);
	lapic_timer_stop();
	virtio_net_set_client(NULL);
	if (!ok) {
		printk("kiln: virtio-net: no ARP reply from 10.0.2.2 in %d s\n",
		       TRIES);
		return 1;
	}
	printk("kiln: virtio-net: 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n",
	       gateway_mac[0], gateway_mac[1], gateway_mac[2], gateway_mac[3],
	       gateway_mac[4], gateway_mac[5]);
	return 0;
}
SELFTEST("virtio-net", selftest_virtio_net);
