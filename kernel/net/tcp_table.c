/* tcp_table.c - the TCP connection table: connections hashed by 4-tuple, listeners, ports in use. */
#include "lib/string.h"
#include "net/ipv4.h"
#include "net/pkt.h"
#include "net/tcp_int.h"

/*
 * Every connection and listener is on tcp_conns (for the timers and
 * walks). A connection is also in a hash chain by its 4-tuple, so a
 * segment finds it in O(1) however many there are; a listener is on the
 * listener list instead (few, and looked up by port and address). There
 * is no fixed size: the chains grow with the connections, the table
 * doubles when it holds more connections than chains, and memory is the
 * only limit (Linux's is memory and the fd limit too).
 *
 * Chains link through next/pprev pairs: pprev points at whatever points
 * at the node, so removal is O(1) without walking.
 */
#define TABLE_MIN 64

struct tcp_conn *tcp_conns;
static struct tcp_conn *listeners;
static struct tcp_conn *first_table[TABLE_MIN]; /* until it grows */
static struct tcp_conn **table = first_table;
static size_t table_size = TABLE_MIN, nconns;
static uint32_t hash_key;

void tcp_set_hash_key(uint32_t key)
{
	hash_key = key;
}

/* The peer picks raddr and rport: a keyed hash, so chains stay short. */
static size_t tuple_hash(uint32_t laddr, uint16_t lport, uint32_t raddr,
			 uint16_t rport)
{
	uint32_t h = hash_key ^ laddr;

	h = (h ^ raddr) * 2654435761u;
	h = (h ^ ((uint32_t)lport << 16 | rport)) * 2246822519u;
	h ^= h >> 15;
	h *= 2654435761u;
	return (h ^ h >> 13) & (table_size - 1);
}

static struct tcp_conn **chain_of(const struct tcp_conn *c)
{
	return &table[tuple_hash(c->laddr, c->lport, c->raddr, c->rport)];
}

static void chain_add(struct tcp_conn **head, struct tcp_conn *c)
{
	c->hnext = *head;
	if (*head)
		(*head)->hpprev = &c->hnext;
	*head = c;
	c->hpprev = head;
}

static void chain_del(struct tcp_conn *c)
{
	*c->hpprev = c->hnext;
	if (c->hnext)
		c->hnext->hpprev = c->hpprev;
}

/* Twice the chains, every connection rehashed; kept as is without memory. */
static void table_grow(void)
{
	size_t size = table_size * 2;
	struct tcp_conn **t = net_alloc(size * sizeof(*t));

	if (t == NULL)
		return;
	memset(t, 0, size * sizeof(*t));
	if (table != first_table)
		net_free(table);
	table = t;
	table_size = size;
	for (struct tcp_conn *c = tcp_conns; c; c = c->next)
		if (c->in_table == TCP_IN_HASH)
			chain_add(chain_of(c), c);
}

/*
 * Put c in the table once its 4-tuple is set (a listener: once its state
 * is LISTEN and its local address and port are set). Never fails: without
 * memory to grow, the chains only get longer.
 */
void tcp_table_add(struct tcp_conn *c)
{
	c->next = tcp_conns;
	if (tcp_conns)
		tcp_conns->pprev = &c->next;
	tcp_conns = c;
	c->pprev = &tcp_conns;
	if (c->state == TCP_LISTEN) {
		chain_add(&listeners, c);
		c->in_table = TCP_IN_LISTENERS;
		return;
	}
	if (nconns >= table_size)
		table_grow();
	chain_add(chain_of(c), c);
	c->in_table = TCP_IN_HASH;
	nconns++;
}

/* Take c out of the table (nothing when it is not in it). */
void tcp_table_remove(struct tcp_conn *c)
{
	if (c->in_table == TCP_IN_NONE)
		return;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	chain_del(c);
	if (c->in_table == TCP_IN_HASH)
		nconns--;
	c->in_table = TCP_IN_NONE;
}

/* The listener for a SYN to laddr:lport (see tcp_lookup), or NULL. */
static struct tcp_conn *listener_for(uint32_t laddr, uint16_t lport,
				     uint32_t raddr, uint16_t rport)
{
	struct tcp_conn *l = NULL;
	uint32_t n = 0, pick;

	for (struct tcp_conn *c = listeners; c; c = c->hnext) {
		if (c->lport != lport || (c->laddr && c->laddr != laddr))
			continue;
		if (l == NULL || (c->laddr && !l->laddr)) {
			l = c;
			n = 1;
		} else if (c->laddr == l->laddr) {
			n++;
		}
	}
	if (n < 2)
		return l;
	pick = ipv4_peer_hash(raddr, rport) % n;
	for (struct tcp_conn *c = l; c; c = c->hnext)
		if (c->lport == lport && c->laddr == l->laddr && pick-- == 0)
			return c;
	return l;
}

/*
 * The connection for a 4-tuple, else a listener on lport, else NULL. A
 * listener bound to laddr wins over one on any address; when several
 * share the port (SO_REUSEPORT), the peer's hash picks one of them, so a
 * retransmitted SYN reaches the same listener as the first.
 */
struct tcp_conn *tcp_lookup(uint32_t laddr, uint16_t lport, uint32_t raddr,
			    uint16_t rport)
{
	struct tcp_conn *c = table[tuple_hash(laddr, lport, raddr, rport)];

	for (; c; c = c->hnext)
		if (c->lport == lport && c->rport == rport &&
		    c->laddr == laddr && c->raddr == raddr)
			return c;
	return listener_for(laddr, lport, raddr, rport);
}

/* The first listener on port (any address), or NULL. */
struct tcp_conn *tcp_listener_on(uint16_t port)
{
	struct tcp_conn *l = listeners;

	while (l && l->lport != port)
		l = l->hnext;
	return l;
}

/* Next listener on the same port after l, or NULL. */
struct tcp_conn *tcp_listener_next(const struct tcp_conn *l)
{
	struct tcp_conn *c = l->hnext;

	while (c && c->lport != l->lport)
		c = c->hnext;
	return c;
}

bool tcp_port_used(uint16_t port)
{
	for (struct tcp_conn *c = tcp_conns; c; c = c->next)
		if (c->lport == port)
			return true;
	return false;
}

/* Frees every connection and listener and the chains (tests). */
void tcp_shutdown(void)
{
	while (tcp_conns) {
		struct tcp_conn *c = tcp_conns;

		tcp_table_remove(c);
		tcp_conn_free(c);
	}
	if (table != first_table)
		net_free(table);
	memset(first_table, 0, sizeof(first_table)); /* stale since a grow */
	table = first_table;
	table_size = TABLE_MIN;
}
