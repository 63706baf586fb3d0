/* pkt.c - packet buffer allocation through the stack's allocator hooks. */
#include "net/pkt.h"

#include "lib/string.h"

static void *(*net_alloc_fn)(size_t);
static void (*net_release_fn)(void *);

void net_set_allocator(void *(*alloc)(size_t), void (*release)(void *))
{
	net_alloc_fn = alloc;
	net_release_fn = release;
}

void *net_alloc(size_t size)
{
	if (!net_alloc_fn || size == 0)
		return NULL;
	return net_alloc_fn(size);
}

void net_free(void *p)
{
	if (p && net_release_fn)
		net_release_fn(p);
}

struct pkt *pkt_alloc(size_t headroom, size_t len)
{
	struct pkt *p;

	/* Callers pass protocol sizes; refuse anything absurd before adding. */
	if (headroom > 0x10000 || len > 0x100000)
		return NULL;
	p = net_alloc(sizeof(*p) + headroom + len);
	if (!p)
		return NULL;
	p->next = NULL;
	p->data = p->buf + headroom;
	p->len = len;
	p->headroom = headroom;
	p->csum_from = NULL;
	p->csum_off = 0;
	return p;
}

struct pkt *pkt_copy(const void *src, size_t len)
{
	struct pkt *p = pkt_alloc(PKT_HEADROOM, len);

	if (p && len)
		memcpy(p->data, src, len);
	return p;
}

void pkt_free(struct pkt *p)
{
	net_free(p);
}

uint8_t *pkt_push(struct pkt *p, size_t n)
{
	if (n > p->headroom)
		return NULL;
	p->data -= n;
	p->len += n;
	p->headroom -= n;
	return p->data;
}
