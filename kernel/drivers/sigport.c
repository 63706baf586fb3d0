/* sigport.c - signals the host forwards to the app: COM4, one byte each (docs/instances.md). */
#include "drivers/sigport.h"

#include "arch.h"
#include "core/sched.h"

#define SERIAL_COM4 0x2e8
#define UART_LSR 5
#define LSR_DATA_READY 0x01
/* The UART interrupt is not wired (as for COM1): poll it. */
#define SIGPORT_POLL_NS 20000000ULL
/* At most this many bytes per tick, so a flood cannot hold the CPU. */
#define SIGPORT_BURST 16

static void (*sigport_deliver)(int sig);
static struct ktimer sigport_timer;

/* Only the signals `docker run` forwards are accepted from the host. */
static bool sigport_wanted(int sig)
{
	return sig == 1 || sig == 2 || sig == 3 || sig == 15;
}

static void sigport_tick(struct ktimer *t)
{
	int sig;

	for (int i = 0; i < SIGPORT_BURST &&
			(inb(SERIAL_COM4 + UART_LSR) & LSR_DATA_READY);
	     i++) {
		sig = inb(SERIAL_COM4);
		if (sigport_wanted(sig))
			sigport_deliver(sig);
	}
	ktimer_arm(t, time_ns() + SIGPORT_POLL_NS, sigport_tick);
}

void sigport_start(void (*deliver)(int sig))
{
	if (!serial_probe(SERIAL_COM4))
		return;
	/*
	 * No serial_init: the UART stays as reset left it, FIFO off.
	 * Turning the FIFO on clears it (16550; QEMU does so too), and
	 * that dropped a signal the host had sent before this point of the
	 * boot. Without the FIFO the UART holds one byte and QEMU keeps
	 * the rest in the pipe until it is read: nothing is lost, only a
	 * burst takes a tick or more per byte.
	 */
	sigport_deliver = deliver;
	sigport_tick(&sigport_timer);
}
