/* loopback.c - the loopback interface: what is sent is received, later. */
#include "net/loopback.h"

#include <asm-generic/errno.h>

#include "net/netif.h"
#include "net/pkt.h"

static struct netif lo;
static struct pkt *queue_head, *queue_tail;
static unsigned queued;
static void (*lo_kick)(void);

/*
 * Checksums are neither finished nor checked here, as on Linux's
 * loopback: the frame never leaves memory, so a partial checksum (the
 * pseudo-header's sum, NETIF_TX_CSUM) is received as checked.
 */
static int lo_transmit(struct netif *nif, const void *frame, size_t len,
		       const struct net_csum *csum)
{
	struct pkt *p;

	(void)nif, (void)csum;
	if (queued >= LOOPBACK_QUEUE_MAX)
		return -ENOBUFS;
	p = pkt_copy(frame, len);
	if (p == NULL)
		return -ENOBUFS;
	p->next = NULL;
	if (queue_tail)
		queue_tail->next = p;
	else
		queue_head = p;
	queue_tail = p;
	if (queued++ == 0 && lo_kick)
		lo_kick();
	return 0;
}

struct netif *loopback_attach(void (*kick)(void))
{
	lo.mtu = LOOPBACK_MTU;
	lo.transmit = lo_transmit;
	lo.loopback = true;
	lo.offload = NETIF_TX_CSUM;
	if (net_attach(&lo) < 0)
		return NULL;
	lo.ip.addr = 0x7f000001; /* 127.0.0.1/8 */
	lo.ip.netmask = 0xff000000;
	lo_kick = kick;
	return &lo;
}

void loopback_drain(uint64_t now)
{
	struct pkt *p;

	while ((p = queue_head) != NULL) {
		queue_head = p->next;
		if (queue_head == NULL)
			queue_tail = NULL;
		queued--;
		net_input_flags(&lo, p->data, p->len, NET_RX_CSUM_OK, now);
		pkt_free(p);
	}
}

void loopback_detach(void)
{
	while (queue_head) {
		struct pkt *p = queue_head;

		queue_head = p->next;
		pkt_free(p);
	}
	queue_tail = NULL;
	queued = 0;
	net_detach(&lo);
	lo_kick = NULL;
}
