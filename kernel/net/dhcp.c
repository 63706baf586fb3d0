/* dhcp.c - DHCP client state machine and message codec (RFC 2131, RFC 2132). */
#include "net/dhcp.h"

#include "lib/string.h"
#include "net/pkt.h"

/*
 * RFC 2131 2, the BOOTP layout DHCP keeps:
 *
 *   0 op  1 htype  2 hlen  3 hops  4 xid  8 secs  10 flags  12 ciaddr
 *  16 yiaddr  20 siaddr  24 giaddr  28 chaddr[16]  44 sname[64]
 * 108 file[128]  236 magic cookie 99.130.83.99  240 options
 */
#define BOOTP_REQUEST 1
#define BOOTP_REPLY 2
#define DHCP_OPTIONS 240
#define DHCP_COOKIE 0x63825363u
#define DHCP_FLAG_BROADCAST 0x8000

/* RFC 2132 option codes and message types. */
#define OPT_PAD 0
#define OPT_NETMASK 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_REQUESTED_IP 50
#define OPT_LEASE 51
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAMS 55
#define OPT_END 255
#define DHCPDISCOVER 1
#define DHCPOFFER 2
#define DHCPREQUEST 3
#define DHCPACK 5
#define DHCPNAK 6

#define NS_PER_S 1000000000ull
#define DEFAULT_LEASE_S 86400 /* when an ACK omits option 51 */

/* A reply as parsed; type 0 when the message is not for us. */
struct dhcp_reply {
	uint8_t type;
	struct dhcp_lease l;
};

static uint8_t *opt_put(uint8_t *o, uint8_t code, const void *v, uint8_t n)
{
	o[0] = code;
	o[1] = n;
	memcpy(o + 2, v, n);
	return o + 2 + n;
}

static uint8_t *opt_put32(uint8_t *o, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	be32_store(b, v);
	return opt_put(o, code, b, 4);
}

/* Queues a DISCOVER or REQUEST for the current state in c->out. */
static void dhcp_build(struct dhcp_client *c, uint8_t type, uint64_t now)
{
	static const uint8_t params[] = { OPT_NETMASK, OPT_ROUTER, OPT_DNS };
	uint8_t *m = c->out, *o = m + DHCP_OPTIONS;
	uint64_t secs = (now - c->start_ns) / NS_PER_S;

	memset(m, 0, DHCP_MSG_LEN);
	m[0] = BOOTP_REQUEST;
	m[1] = 1; /* Ethernet */
	m[2] = 6;
	be32_store(m + 4, c->xid);
	be16_store(m + 8, (uint16_t)(secs > 0xffff ? 0xffff : secs));
	/* We cannot take unicast before we have an address. */
	be16_store(m + 10, DHCP_FLAG_BROADCAST);
	if (c->state == DHCP_RENEWING)
		be32_store(m + 12, c->lease.addr);
	memcpy(m + 28, c->mac, 6);
	be32_store(m + 236, DHCP_COOKIE);
	o = opt_put(o, OPT_MSG_TYPE, &type, 1);
	if (c->state == DHCP_REQUESTING) {
		o = opt_put32(o, OPT_REQUESTED_IP, c->offer.addr);
		o = opt_put32(o, OPT_SERVER_ID, c->offer.server);
	}
	o = opt_put(o, OPT_PARAMS, params, sizeof(params));
	*o = OPT_END;
	c->out_len = DHCP_MSG_LEN;
}

/* Reads one option value into the lease; short values are ignored. */
static void dhcp_option(struct dhcp_reply *r, uint8_t code, const uint8_t *v,
			uint8_t n)
{
	if (code == OPT_MSG_TYPE && n >= 1)
		r->type = v[0];
	if (n < 4)
		return;
	if (code == OPT_NETMASK)
		r->l.netmask = be32_load(v);
	else if (code == OPT_ROUTER)
		r->l.router = be32_load(v); /* the first of the list */
	else if (code == OPT_DNS)
		r->l.dns = be32_load(v);
	else if (code == OPT_LEASE)
		r->l.lease_s = be32_load(v);
	else if (code == OPT_SERVER_ID)
		r->l.server = be32_load(v);
}

/*
 * Parses an untrusted reply to client c. Returns 0 and fills r, or -1 for
 * anything malformed or not ours. Option overload (52) is not supported:
 * sname and file are never read.
 */
static int dhcp_parse(const struct dhcp_client *c, const uint8_t *m, size_t len,
		      struct dhcp_reply *r)
{
	size_t i = DHCP_OPTIONS;

	memset(r, 0, sizeof(*r));
	if (len < DHCP_OPTIONS || m[0] != BOOTP_REPLY || m[1] != 1 ||
	    m[2] != 6 || be32_load(m + 4) != c->xid ||
	    memcmp(m + 28, c->mac, 6) != 0 || be32_load(m + 236) != DHCP_COOKIE)
		return -1;
	r->l.addr = be32_load(m + 16);
	/* RFC 2132 3.2: the list ends with option 255; a cut one is refused. */
	while (i < len && m[i] != OPT_END) {
		if (m[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + m[i + 1] > len)
			return -1;
		dhcp_option(r, m[i], m + i + 2, m[i + 1]);
		i += 2 + (size_t)m[i + 1];
	}
	return i < len && r->type ? 0 : -1;
}

/* Sends the message of the current state for the first time. */
static void dhcp_send_first(struct dhcp_client *c, uint8_t type, uint64_t now)
{
	c->tries = 1;
	c->retx_ns = now + DHCP_RETX_MIN_NS;
	dhcp_build(c, type, now);
}

void dhcp_start(struct dhcp_client *c, const uint8_t mac[6], uint32_t xid,
		uint64_t now)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	c->xid = xid;
	c->start_ns = now;
	c->state = DHCP_SELECTING;
	dhcp_send_first(c, DHCPDISCOVER, now);
}

/* A fresh exchange with the next transaction id (after NAK or expiry). */
static void dhcp_restart(struct dhcp_client *c, uint64_t now)
{
	uint8_t mac[6];

	memcpy(mac, c->mac, 6);
	dhcp_start(c, mac, c->xid + 1, now);
}

/* RFC 2131 4.4.1: the ACK's values, T1 at half the lease. */
static enum dhcp_event dhcp_bind(struct dhcp_client *c,
				 const struct dhcp_reply *r, uint64_t now)
{
	uint64_t lease_s;

	if (r->l.addr == 0)
		return DHCP_EV_NONE;
	c->lease = r->l;
	if (c->lease.server == 0)
		c->lease.server = c->offer.server;
	if (c->lease.lease_s == 0)
		c->lease.lease_s = DEFAULT_LEASE_S;
	lease_s = c->lease.lease_s;
	c->state = DHCP_BOUND;
	if (lease_s == 0xffffffff) {
		c->t1_ns = c->expire_ns = UINT64_MAX;
	} else {
		c->t1_ns = now + lease_s * NS_PER_S / 2;
		c->expire_ns = now + lease_s * NS_PER_S;
	}
	return DHCP_EV_BOUND;
}

enum dhcp_event dhcp_input(struct dhcp_client *c, const void *msg, size_t len,
			   uint64_t now)
{
	struct dhcp_reply r;

	if (dhcp_parse(c, msg, len, &r) < 0)
		return DHCP_EV_NONE;
	if (c->state == DHCP_SELECTING && r.type == DHCPOFFER &&
	    r.l.addr != 0 && r.l.server != 0) {
		c->offer = r.l;
		c->state = DHCP_REQUESTING;
		dhcp_send_first(c, DHCPREQUEST, now);
		return DHCP_EV_NONE;
	}
	if (c->state != DHCP_REQUESTING && c->state != DHCP_RENEWING)
		return DHCP_EV_NONE;
	if (r.l.server && c->state == DHCP_REQUESTING &&
	    r.l.server != c->offer.server)
		return DHCP_EV_NONE; /* another server's answer */
	if (r.type == DHCPACK)
		return dhcp_bind(c, &r, now);
	if (r.type == DHCPNAK) {
		bool had_lease = c->state == DHCP_RENEWING;

		dhcp_restart(c, now);
		return had_lease ? DHCP_EV_LOST : DHCP_EV_NONE;
	}
	return DHCP_EV_NONE;
}

/* RFC 2131 4.1: 4 s, doubling up to 64 s. */
static void dhcp_retransmit(struct dhcp_client *c, uint8_t type, uint64_t now)
{
	uint64_t wait = DHCP_RETX_MIN_NS;

	for (unsigned i = 0; i < c->tries && wait < DHCP_RETX_MAX_NS; i++)
		wait *= 2;
	if (wait > DHCP_RETX_MAX_NS)
		wait = DHCP_RETX_MAX_NS;
	c->tries++;
	c->retx_ns = now + wait;
	dhcp_build(c, type, now);
}

enum dhcp_event dhcp_poll(struct dhcp_client *c, uint64_t now)
{
	switch (c->state) {
	case DHCP_IDLE:
		break;
	case DHCP_SELECTING:
		if (now >= c->retx_ns)
			dhcp_retransmit(c, DHCPDISCOVER, now);
		break;
	case DHCP_REQUESTING:
		if (now < c->retx_ns)
			break;
		if (c->tries >= DHCP_REQUEST_TRIES)
			dhcp_restart(c, now);
		else
			dhcp_retransmit(c, DHCPREQUEST, now);
		break;
	case DHCP_BOUND:
		if (now >= c->t1_ns) {
			c->state = DHCP_RENEWING;
			c->start_ns = now;
			dhcp_send_first(c, DHCPREQUEST, now);
		}
		break;
	case DHCP_RENEWING:
		if (now >= c->expire_ns) {
			dhcp_restart(c, now);
			return DHCP_EV_LOST;
		}
		if (now >= c->retx_ns)
			dhcp_retransmit(c, DHCPREQUEST, now);
		break;
	}
	return DHCP_EV_NONE;
}

void dhcp_lease_config(const struct dhcp_lease *l, struct ipv4_config *cfg)
{
	cfg->addr = l->addr;
	cfg->netmask = l->netmask;
	cfg->gateway = l->router;
	cfg->dns = l->dns;
}
