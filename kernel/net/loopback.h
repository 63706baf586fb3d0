/* loopback.h - the loopback interface (127.0.0.1/8). */
#ifndef KILN_NET_LOOPBACK_H
#define KILN_NET_LOOPBACK_H

#include <stdint.h>

struct netif;

/* Frames sent on loopback and not yet received; more are dropped. */
#define LOOPBACK_QUEUE_MAX 1024
/* The largest IP datagram, so UDP and TCP need no fragments here. */
#define LOOPBACK_MTU 65535

/*
 * Attaches the loopback interface with 127.0.0.1/8. A frame sent on it
 * is queued, never received inside the send (TCP would recurse: data,
 * ACK, more data...); kick is called when the queue stops being empty
 * and the owner calls loopback_drain soon after, outside the stack.
 * Returns the interface, or NULL when it cannot be attached.
 */
struct netif *loopback_attach(void (*kick)(void));

/* Receives every queued frame, including those queued meanwhile. */
void loopback_drain(uint64_t now);

/* Forgets the interface and drops what is queued (tests). */
void loopback_detach(void);

#endif
