/* eth.c - Ethernet II parse and build (IEEE 802.3 clause 3, DIX type field). */
#include "net/eth.h"

#include <asm-generic/errno.h>

#include "lib/string.h"
#include "net/netif.h"

const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/*
 *   0 dst[6]   6 src[6]   12 type (big-endian)   14 payload
 */
int eth_parse(const void *frame, size_t len, struct eth_frame *f)
{
	const uint8_t *b = frame;

	if (len < ETH_HLEN)
		return -EINVAL;
	f->type = be16_load(b + 12);
	/* Values below 0x0600 are 802.3 lengths, not types. */
	if (f->type < 0x0600 || f->type == ETH_TYPE_VLAN ||
	    f->type == ETH_TYPE_QINQ)
		return -EINVAL;
	memcpy(f->dst, b, ETH_ALEN);
	memcpy(f->src, b + 6, ETH_ALEN);
	f->payload = b + ETH_HLEN;
	f->len = len - ETH_HLEN;
	return 0;
}

bool eth_for_us(const struct netif *nif, const struct eth_frame *f)
{
	return memcmp(f->dst, nif->mac, ETH_ALEN) == 0 ||
	       memcmp(f->dst, eth_broadcast, ETH_ALEN) == 0;
}

int eth_output(struct netif *nif, struct pkt *p, const uint8_t dst[ETH_ALEN],
	       uint16_t type)
{
	uint8_t *h = pkt_push(p, ETH_HLEN);
	struct net_csum csum;
	int err = -ENOBUFS;

	if (h) {
		memcpy(h, dst, ETH_ALEN);
		memcpy(h + 6, nif->mac, ETH_ALEN);
		be16_store(h + 12, type);
		if (p->csum_from) {
			csum.start = (uint16_t)(p->csum_from - p->data);
			csum.offset = p->csum_off;
		}
		err = nif->transmit(nif, p->data, p->len,
				    p->csum_from ? &csum : NULL);
	}
	if (err)
		nif->stats.tx_drop++;
	else
		nif->stats.tx_frames++;
	pkt_free(p);
	return err;
}
