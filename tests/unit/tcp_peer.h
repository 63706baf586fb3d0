/* tcp_peer.h - a scripted TCP peer for the TCP tests, over net_fake. */
#ifndef KILN_TESTS_TCP_PEER_H
#define KILN_TESTS_TCP_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "net/tcp_int.h"
#include "net_fake.h"

#define PEER_PORT 40000
#define OUR_ISS 1000u /* what the fixed ISN function returns */

/* A segment as sent or seen on the wire. */
struct tseg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint8_t opt[40];
	size_t optlen;
	const uint8_t *data;
	size_t len;
};

/* cmocka setup/teardown: fake_setup, peer resolved, TCP with fixed ISN. */
int tcp_peer_setup(void **state);
int tcp_peer_teardown(void **state);

/* Sends t from PEER_IP to OUR_IP at time now (checksum computed). */
void peer_send(const struct tseg *t, uint64_t now);

/* Sends a segment without options from PEER_PORT to dport. */
void peer_seg(uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
	      uint16_t wnd, const void *data, size_t len, uint64_t now);

/* Parses captured frame i (asserting it is TCP to PEER_IP) into t. */
void peer_frame(int i, struct tseg *t);

/* Asserts frame i is exactly flags/seq/ack/win with len data bytes. */
void peer_expect(int i, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		 size_t len);

#endif
