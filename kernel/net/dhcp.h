/* dhcp.h - a DHCP client (RFC 2131) as a pure state machine. */
#ifndef KILN_NET_DHCP_H
#define KILN_NET_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "net/ipv4.h"

#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
#define DHCP_MSG_LEN 300 /* what we send: BOOTP's minimum size */
#define DHCP_RETX_MIN_NS (4ull * 1000000000ull) /* RFC 2131 4.1 */
#define DHCP_RETX_MAX_NS (64ull * 1000000000ull)
#define DHCP_REQUEST_TRIES 4 /* then start over with DISCOVER */

enum dhcp_state {
	DHCP_IDLE,	 /* dhcp_start not called */
	DHCP_SELECTING,	 /* DISCOVER sent, waiting for an OFFER */
	DHCP_REQUESTING, /* REQUEST sent, waiting for the ACK */
	DHCP_BOUND,	 /* lease held until T1 */
	DHCP_RENEWING,	 /* past T1, REQUEST broadcast with ciaddr */
};

/* What the client learned; addresses in host order. */
struct dhcp_lease {
	uint32_t addr, netmask, router, dns, server;
	uint32_t lease_s; /* 0xffffffff: infinite */
};

/* The result of feeding the client: what changed for the interface. */
enum dhcp_event {
	DHCP_EV_NONE,
	DHCP_EV_BOUND, /* lease is new or renewed: apply it */
	DHCP_EV_LOST,  /* lease expired or refused: unconfigure */
};

/*
 * The whole client. It never sends anything itself: after each call,
 * out_len > 0 means out[] holds a message to broadcast from port 68 to
 * 255.255.255.255:67; the caller sends it and sets out_len to 0.
 */
struct dhcp_client {
	uint8_t mac[6];
	uint32_t xid;
	enum dhcp_state state;
	unsigned tries;		   /* of the current message */
	uint64_t start_ns;	   /* of this exchange, for "secs" */
	uint64_t retx_ns;	   /* next retransmission */
	uint64_t t1_ns, expire_ns; /* BOUND/RENEWING deadlines */
	struct dhcp_lease offer, lease;
	uint8_t out[DHCP_MSG_LEN];
	size_t out_len;
};

/* Starts (or restarts) discovery; xid should be random. Queues DISCOVER. */
void dhcp_start(struct dhcp_client *c, const uint8_t mac[6], uint32_t xid,
		uint64_t now);

/*
 * One UDP payload received on port 68 (untrusted). Messages for another
 * client, transaction or state are ignored.
 */
enum dhcp_event dhcp_input(struct dhcp_client *c, const void *msg, size_t len,
			   uint64_t now);

/* Retransmissions with exponential backoff, renewal and expiry. */
enum dhcp_event dhcp_poll(struct dhcp_client *c, uint64_t now);

/* The interface configuration a lease gives. */
void dhcp_lease_config(const struct dhcp_lease *l, struct ipv4_config *cfg);

#endif
