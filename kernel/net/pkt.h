/* pkt.h - packet buffers and big-endian field access for the network stack. */
#ifndef KILN_NET_PKT_H
#define KILN_NET_PKT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A packet is one allocation: this header, then the buffer. Output paths
 * allocate with PKT_HEADROOM spare bytes in front of the payload and each
 * layer pushes its header into them, so nothing is copied on the way down.
 *
 *   buf[0] ... data - headroom ... data[0 .. len) ... buf[cap)
 */
struct pkt {
	struct pkt *next; /* link while queued (ARP resolution) */
	uint8_t *data;	  /* first byte of the packet */
	size_t len;	  /* bytes from data */
	size_t headroom;  /* free bytes in front of data */
	/*
	 * A TCP/UDP checksum left to the interface (ipv4_l4_csum): the
	 * segment starts at csum_from, its checksum field csum_off bytes
	 * in. NULL: the packet is complete. A pointer, so that it stays
	 * right while headers are pushed in front.
	 */
	const uint8_t *csum_from;
	uint16_t csum_off;
	uint8_t buf[];
};

/* Ethernet 14 + IPv4 with options 60 + TCP with options 60, rounded up. */
#define PKT_HEADROOM 160

/*
 * The stack allocates through these hooks: the kernel installs
 * kmalloc/kfree at network start-up, host tests malloc/free. Until then
 * every allocation fails and the stack drops what needs memory.
 */
void net_set_allocator(void *(*alloc)(size_t), void (*release)(void *));
void *net_alloc(size_t size); /* NULL when out of memory */
void net_free(void *p);	      /* NULL is allowed */

/* A packet of len bytes (uninitialised) after headroom free bytes; or NULL. */
struct pkt *pkt_alloc(size_t headroom, size_t len);

/* A packet holding a copy of len bytes at src, with PKT_HEADROOM; or NULL. */
struct pkt *pkt_copy(const void *src, size_t len);

void pkt_free(struct pkt *p); /* NULL is allowed */

/* Grows the packet by n bytes at the front; NULL when headroom is short. */
uint8_t *pkt_push(struct pkt *p, size_t n);

/*
 * Network byte order accessors. Packets are byte arrays with no alignment
 * promise, so fields are assembled byte by byte: no unaligned or
 * type-punned loads, and no dependence on the host's byte order.
 */
static inline uint16_t be16_load(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t be32_load(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static inline void be16_store(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void be32_store(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

#endif
