/* signal_frame.c - the x86_64 rt_sigframe: building it for a handler, rt_sigreturn. */
#include <stddef.h>
#include <stdint.h>

#include <asm-generic/errno.h>
#include <asm-generic/siginfo.h>
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <linux/signal.h>

#include "arch.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "lib/string.h"
#include "linux/proc.h"
#include "linux/sigdeliver.h"
#include "linux/signals.h"
#include "linux/syscall.h"

/*
 * The frame a handler starts on (Linux arch/x86/include/asm/sigframe.h,
 * x86-64 psABI 3.2.2: at entry rsp + 8 is 16-byte aligned):
 *
 *   higher   [red zone, 128 bytes, of the interrupted code - skipped]
 *            struct _fpstate_64  FXSAVE image, 64-byte aligned
 *            siginfo_t           rsi points here
 *            struct ucontext     rdx points here (uc_mcontext.fpstate -> above)
 *   rsp ->   pretcode            sa_restorer: `mov $15, %eax; syscall`
 */
struct rt_sigframe {
	uint64_t pretcode;
	struct ucontext uc;
	siginfo_t info;
};

#define REDZONE 128
#define FPSTATE_SIZE 512
/* The flags the app may set (Linux FIX_EFLAGS minus RF); IF always on. */
#define RFLAGS_USER 0x40dd5UL	     /* AC OF DF TF SF ZF AF PF CF */
#define RFLAGS_FIXED 0x202UL	     /* IF, reserved bit 1 */
#define RFLAGS_ENTRY_CLEAR 0x10500UL /* RF DF TF: off in the handler */

_Static_assert(offsetof(struct rt_sigframe, uc) == 8, "uc after pretcode");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "Linux layout");
_Static_assert(sizeof(struct _fpstate_64) == FPSTATE_SIZE, "FXSAVE image");

/* Where the frame goes: below the red zone, or atop the alternate stack. */
static uint64_t frame_top(const struct trap_frame *f, const struct thread *t,
			  const struct sigaction *act)
{
	if ((act->sa_flags & SA_ONSTACK) && t->altstack_size &&
	    !signal_on_altstack(t, f->rsp))
		return t->altstack_sp + t->altstack_size;
	return f->rsp - REDZONE;
}

static void save_regs(struct sigcontext *sc, const struct trap_frame *f)
{
	sc->r8 = f->r8, sc->r9 = f->r9, sc->r10 = f->r10, sc->r11 = f->r11;
	sc->r12 = f->r12, sc->r13 = f->r13, sc->r14 = f->r14, sc->r15 = f->r15;
	sc->rdi = f->rdi, sc->rsi = f->rsi, sc->rbp = f->rbp, sc->rbx = f->rbx;
	sc->rdx = f->rdx, sc->rax = f->rax, sc->rcx = f->rcx, sc->rsp = f->rsp;
	sc->rip = f->rip;
	sc->eflags = f->rflags;
	sc->cs = (uint16_t)f->cs;
	sc->ss = (uint16_t)f->ss;
	if (f->vector < 32) { /* an exception, not a syscall or interrupt */
		sc->err = f->error;
		sc->trapno = f->vector;
	}
}

void signal_fill_siginfo(siginfo_t *si, const struct signal_info *info)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = info->signo;
	si->si_code = info->code;
	/* SI_KERNEL (Linux's SEND_SIG_PRIV) names no sender and no address. */
	if (info->code == SI_TIMER) {
		si->si_tid = info->timerid;
		si->si_overrun = info->overrun;
		si->si_value.sival_ptr = (void *)(uintptr_t)info->value;
	} else if (info->code <= 0) {
		si->si_pid = info->pid; /* SI_USER, SI_TKILL: the sender */
		si->si_uid = info->uid;
		/* SI_MESGQ's sigev_value, a caller's (pidfd_send_signal) */
		if (info->code < 0)
			si->si_value.sival_ptr = (void *)(uintptr_t)info->value;
	} else if (info->signo == SIGCHLD && info->code >= CLD_EXITED &&
		   info->code <= CLD_CONTINUED) {
		si->si_pid = info->pid; /* the child; times stay 0 */
		si->si_uid = info->uid;
		si->si_status = info->status;
	} else if (info->code != SI_KERNEL) {
		si->si_addr = (void *)(uintptr_t)info->addr; /* a fault */
	}
}

/* uc_stack: the alternate stack as sigaltstack would report it. */
static void save_altstack(stack_t *ss, const struct thread *t, uint64_t sp)
{
	ss->ss_sp = (void *)(uintptr_t)t->altstack_sp;
	ss->ss_size = t->altstack_size;
	ss->ss_flags = t->altstack_flags;
	if (!t->altstack_size)
		ss->ss_flags |= SS_DISABLE;
	else if (signal_on_altstack(t, sp))
		ss->ss_flags |= SS_ONSTACK;
}

static void fill_frame(struct rt_sigframe *fr, const struct trap_frame *f,
		       const struct signal_info *info, uint64_t fpstate,
		       uint64_t saved_mask)
{
	struct thread *t = current_thread;

	memset(fr, 0, sizeof(*fr));
	fr->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	save_altstack(&fr->uc.uc_stack, t, f->rsp);
	save_regs(&fr->uc.uc_mcontext, f);
	fr->uc.uc_mcontext.oldmask = saved_mask;
	if (f->vector == 14)
		fr->uc.uc_mcontext.cr2 = info->addr;
	fr->uc.uc_mcontext.fpstate = (struct _fpstate *)(uintptr_t)fpstate;
	fr->uc.uc_sigmask = saved_mask;
	signal_fill_siginfo(&fr->info, info);
}

int signal_frame_setup(struct trap_frame *f, const struct signal_info *info,
		       const struct sigaction *act, uint64_t saved_mask)
{
	struct thread *t = current_thread;
	uint8_t fpu[FPSTATE_SIZE] __attribute__((aligned(64)));
	struct rt_sigframe fr;
	uint64_t top = frame_top(f, t, act);
	uint64_t fpstate = (top - FPSTATE_SIZE) & ~63UL;
	uint64_t sp = ((fpstate - sizeof(fr)) & ~15UL) - 8;

	/* Linux x86-64 insists on a restorer; without one the frame fails. */
	if (!(act->sa_flags & SA_RESTORER))
		return -EFAULT;
	/*
	 * A handler outside user space (non-canonical, or the kernel's) would
	 * make the IRETQ back to ring 3 fault in ring 0 on real hardware;
	 * Linux ends such a delivery with SIGSEGV, and so does a failed frame.
	 */
	if ((uint64_t)(uintptr_t)act->sa_handler >= USER_TOP)
		return -EFAULT;
	/* Linux: a frame running off the bottom of the alternate stack. */
	if (signal_on_altstack(t, top - 1) && !signal_on_altstack(t, sp))
		return -EFAULT;
	memset(fpu, 0, sizeof(fpu)); /* FXSAVE leaves bytes 464-511 alone */
	arch_fpu_save(fpu);
	fill_frame(&fr, f, info, fpstate, saved_mask);
	fr.pretcode = (uint64_t)(uintptr_t)act->sa_restorer;
	if (copy_to_user(fpstate, fpu, sizeof(fpu)) ||
	    copy_to_user(sp, &fr, sizeof(fr)))
		return -EFAULT;
	if (t->altstack_flags & SS_AUTODISARM)
		t->altstack_sp = t->altstack_size = 0;
	f->rsp = sp;
	f->rip = (uint64_t)(uintptr_t)act->sa_handler;
	f->rdi = (uint64_t)info->signo;
	f->rsi = sp + offsetof(struct rt_sigframe, info);
	f->rdx = sp + offsetof(struct rt_sigframe, uc);
	f->rax = 0;
	f->rflags &= ~RFLAGS_ENTRY_CLEAR;
	return 0;
}

/*
 * Linux's init_sigframe_size (arch/x86/kernel/signal.c): the rt_sigframe
 * plus its alignment padding (15), the FPU state plus the padding of its
 * 64-byte alignment (63), rounded up to 16. The frame above takes at most
 * FPSTATE_SIZE + 63 + sizeof(rt_sigframe) + 15 + 8 of it (1038 of 1040).
 */
uint64_t signal_frame_max_size(void)
{
	uint64_t size = sizeof(struct rt_sigframe) + 15 + FPSTATE_SIZE + 63;

	return (size + 15) & ~15UL;
}

/* Linux sanitizes MXCSR with the CPU's mask: a reserved bit set would #GP. */
static uint32_t mxcsr_mask(void)
{
	static uint32_t mask;
	uint8_t probe[FPSTATE_SIZE] __attribute__((aligned(64)));
	struct _fpstate_64 *fx = (struct _fpstate_64 *)probe;

	if (!mask) {
		arch_fpu_save(probe);
		mask = fx->mxcsr_mask ? fx->mxcsr_mask :
					0xffbf; /* SDM 10.5.1.2 */
	}
	return mask;
}

/* Load the FXSAVE image at ufp (untrusted), or the initial state for 0. */
static int restore_fpu(uint64_t ufp)
{
	uint8_t buf[FPSTATE_SIZE] __attribute__((aligned(64)));
	struct _fpstate_64 *fx = (struct _fpstate_64 *)buf;

	memset(buf, 0, sizeof(buf));
	if (ufp && copy_from_user(buf, ufp, sizeof(buf)))
		return -EFAULT;
	if (!ufp) {
		fx->cwd = 0x37f;    /* FNINIT's control word */
		fx->mxcsr = 0x1f80; /* all exceptions masked */
	}
	fx->mxcsr &= mxcsr_mask();
	arch_fpu_load(buf);
	return 0;
}

/* sigaltstack(&uc_stack), errors ignored as Linux's restore_altstack. */
static void restore_altstack(const stack_t *ss, uint64_t sp)
{
	struct thread *t = current_thread;

	if (signal_on_altstack(t, sp))
		return;
	if (ss->ss_flags & SS_DISABLE) {
		t->altstack_sp = t->altstack_size = 0;
	} else if (ss->ss_size >= MINSIGSTKSZ) {
		t->altstack_sp = (uint64_t)(uintptr_t)ss->ss_sp;
		t->altstack_size = ss->ss_size;
	}
	t->altstack_flags = ss->ss_flags & (int)SS_FLAG_BITS;
}

/* Registers from an untrusted sigcontext: only user rips, safe flags. */
static int restore_regs(struct trap_frame *f, const struct sigcontext *sc)
{
	if (sc->rip >= USER_TOP)
		return -EFAULT;
	f->r8 = sc->r8, f->r9 = sc->r9, f->r10 = sc->r10, f->r11 = sc->r11;
	f->r12 = sc->r12, f->r13 = sc->r13, f->r14 = sc->r14, f->r15 = sc->r15;
	f->rdi = sc->rdi, f->rsi = sc->rsi, f->rbp = sc->rbp, f->rbx = sc->rbx;
	f->rdx = sc->rdx, f->rax = sc->rax, f->rcx = sc->rcx, f->rsp = sc->rsp;
	f->rip = sc->rip;
	/* cs and ss stay the user selectors the frame already holds. */
	f->rflags = (sc->eflags & RFLAGS_USER) | RFLAGS_FIXED;
	return 0;
}

/*
 * The restorer's `syscall` runs with rsp just past pretcode. Everything
 * read from the frame is untrusted; a frame that cannot be read or
 * restored is a SIGSEGV (SI_KERNEL), as Linux's badframe: a handler may
 * take it, on its alternate stack, else it kills. Returns the restored
 * rax (or the handler's), which syscall_dispatch stores back unchanged.
 */
long sys_rt_sigreturn(void)
{
	struct trap_frame *f = signal_user_frame();
	uint64_t uc = f->rsp - 8 + offsetof(struct rt_sigframe, uc);
	struct ucontext ctx;

	if (copy_from_user(&ctx, uc, sizeof(ctx)) ||
	    restore_regs(f, &ctx.uc_mcontext) ||
	    restore_fpu((uint64_t)(uintptr_t)ctx.uc_mcontext.fpstate)) {
		signal_fault(f, SIGSEGV, SI_KERNEL, 0);
		return (long)f->rax;
	}
	current_thread->sigmask = ctx.uc_sigmask & ~SIG_UNBLOCKABLE;
	restore_altstack(&ctx.uc_stack, f->rsp);
	return (long)f->rax;
}
SYSCALL0(rt_sigreturn);
