/* signal.c - signal delivery: pending sets, handler frames, default actions. */
#include "linux/signal.h"

#include <stdbool.h>
#include <stdint.h>

#include <asm/signal.h>

#include "core/printk.h"
#include "core/sched.h"
#include "linux/proc.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))

bool signal_pending(struct thread *t)
{
	return ((t->sigpending | t->proc->sigpending) & ~t->sigmask) != 0;
}

void signal_return_to_user(struct trap_frame *f)
{
	(void)f; /* skeleton: delivery comes next */
}

void signal_fault(struct trap_frame *f, int sig, int code, uint64_t addr)
{
	(void)code;
	printk("kiln: user exception: vector %lu, error 0x%lx, cs 0x%lx, rsp 0x%lx\n",
	       f->vector, f->error, f->cs, f->rsp);
	printk("kiln: killed by signal %d (%s) at rip 0x%lx, address 0x%lx\n",
	       sig, signal_name(sig), f->rip, addr);
	proc_exit(0, sig);
}

void signal_send_thread(struct thread *t, int sig)
{
	if (sig >= 1 && sig <= PROC_NSIG)
		t->sigpending |= SIG_BIT(sig);
}

void signal_send_process(int sig)
{
	if (sig >= 1 && sig <= PROC_NSIG)
		current->sigpending |= SIG_BIT(sig);
}
