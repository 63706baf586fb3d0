/* tcp_reass.c - TCP receive buffer: in-order data and out-of-order ranges. */
#include "lib/string.h"
#include "net/tcp_int.h"

/*
 * Out-of-order data is stored in place, at its offset from RCV.NXT past
 * the unread bytes, so nothing is copied twice; ooo[] remembers which
 * ranges hold data. Ranges never overlap or touch: they are merged on
 * insertion. When all TCP_OOO_MAX are in use a segment that would need
 * another range is dropped (the peer will resend it).
 */
static bool ooo_insert(struct tcp_conn *c, uint32_t start, uint32_t end)
{
	int i = 0;

	while (i < c->nooo) {
		struct tcp_range *r = &c->ooo[i];

		if (seq_le(r->start, end) && seq_le(start, r->end)) {
			if (seq_lt(r->start, start))
				start = r->start;
			if (seq_gt(r->end, end))
				end = r->end;
			*r = c->ooo[--c->nooo];
			continue;
		}
		i++;
	}
	if (c->nooo == TCP_OOO_MAX)
		return false;
	c->ooo[c->nooo].start = start;
	c->ooo[c->nooo].end = end;
	c->nooo++;
	return true;
}

/* Pulls ranges that now start at or before RCV.NXT into the stream. */
static void ooo_advance(struct tcp_conn *c)
{
	bool moved = true;

	while (moved) {
		moved = false;
		for (int i = 0; i < c->nooo; i++) {
			struct tcp_range r = c->ooo[i];

			if (seq_gt(r.start, c->rcv_nxt))
				continue;
			if (seq_gt(r.end, c->rcv_nxt)) {
				c->rcv_len += r.end - c->rcv_nxt;
				c->rcv_nxt = r.end;
			}
			c->ooo[i] = c->ooo[--c->nooo];
			moved = true;
			break;
		}
	}
}

/*
 * Stores the data of a segment already trimmed to the receive window
 * (RFC 9293 3.10.7.4 seventh): in order it advances RCV.NXT, ahead of it
 * it is queued. Data for a user that has closed (no ring left) is only
 * acknowledged.
 */
void tcp_rcv_data(struct tcp_conn *c, const struct tcp_seg *s)
{
	uint32_t off = s->seq - c->rcv_nxt;

	if (!s->len || off + s->len > tcp_rcv_wnd(c))
		return;
	if (off && !ooo_insert(c, s->seq, s->seq + (uint32_t)s->len))
		return;
	if (c->rcvbuf)
		ring_copy_in(c->rcvbuf, c->rcv_size,
			     (c->rcv_head + c->rcv_len + off) % c->rcv_size,
			     s->data, s->len);
	if (off)
		return;
	c->rcv_nxt += (uint32_t)s->len;
	c->rcv_len += s->len;
	ooo_advance(c);
	if (!c->rcvbuf)
		c->rcv_len = 0;
}
