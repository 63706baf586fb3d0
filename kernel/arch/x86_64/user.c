/* user.c - what user mode needs from the CPU: SYSCALL, SSE, SMAP, FS base, HWCAP. */
#include <stdint.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "core/printk.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define EFER_SCE 0x1

#define CR0_MP 0x2
#define CR0_EM 0x4
#define CR0_TS 0x8
#define CR4_OSFXSR 0x200
#define CR4_OSXMMEXCPT 0x400

/*
 * RFLAGS bits cleared on SYSCALL, as Linux's MSR_SYSCALL_MASK: TF, IF, DF,
 * IOPL, NT, AC. Ring 3 may set NT with popfq; the kernel must not run with
 * it, or its next IRETQ is a task return (#GP). Interrupt gates clear NT
 * themselves.
 */
#define FMASK_BITS 0x47700

extern char syscall_entry[], boot_stack_top[];
extern void enter_user(struct trap_frame *f) __attribute__((noreturn));

/* Used by syscall_entry.S (one CPU, no swapgs). */
uint64_t kernel_stack_top;
uint64_t syscall_user_rsp;

static bool smap_on;
static bool stac_broken;
static bool fsgsbase_on;

static uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

/* The kernel never touches SIMD state, so the app owns it: just enable it. */
static void sse_init(void)
{
	write_cr0((read_cr0() & ~(uint64_t)(CR0_EM | CR0_TS)) | CR0_MP);
	__asm__ volatile("fninit");
}

/*
 * The CR0/CR4 half of user mode's set-up: SSE for the app, SMAP and
 * FSGSBASE when the CPU has them. Called from cpu_features_init, right
 * after the IDT (stac_probe's fault needs it), not at linux_start:
 * under TCG, CR0.MP/EM/TS and CR4.OSFXSR/SMAP are part of every
 * translated block's key (QEMU's hflags), so each such write made the
 * code already run (printk, the allocator, paging) be translated a
 * second time: ~240 of the ~3200 blocks of a hello's boot. The kernel
 * does not touch user memory or SIMD state before the app exists, so
 * turning these on early changes nothing else. leaf7_ebx is CPUID leaf
 * 7's EBX (0 without the leaf); returns the CR4 bits for the caller's
 * one write, which comes after stac_probe.
 *
 * no_stac (kiln.nostac) says the host is one where STAC must not even be
 * tried: under PVM (a KVM that runs the guest kernel in ring 3) STAC is
 * not a fault but an emulation failure that stops the VM, and SYSCALL is
 * delivered in ring 3 as on the hosts whose STAC faults. The host side
 * knows which KVM it runs and says so on the command line, which the app
 * does not write.
 */
uint64_t user_cpu_init(uint32_t leaf7_ebx, bool no_stac)
{
	uint64_t cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;

	sse_init();
	/*
	 * kiln.nostac stands whatever CPUID says: a PVM host that hides
	 * SMAP still delivers SYSCALL in ring 3, which without stac_broken
	 * would be a SIGSEGV for every syscall of the app.
	 */
	if (no_stac || ((leaf7_ebx & CPUID7_EBX_SMAP) && !stac_probe())) {
		stac_broken = true;
		printk("kiln: %s: SMAP off, SYSCALLs delivered in ring 3 will "
		       "be run\n",
		       no_stac ? "kiln.nostac" :
				 "the CPU claims SMAP but faults on STAC");
	} else if (leaf7_ebx & CPUID7_EBX_SMAP) {
		cr4 |= CR4_SMAP;
		smap_on = true;
	}
	if (leaf7_ebx & CPUID7_EBX_FSGSBASE) {
		cr4 |= CR4_FSGSBASE;
		fsgsbase_on = true;
	}
	return cr4;
}

void arch_user_init(void)
{
	kernel_stack_top = (uint64_t)boot_stack_top;
	tss_set_kernel_stack(kernel_stack_top);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR,
	      ((uint64_t)SEL_UCODE32 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, FMASK_BITS);
}

/*
 * Decided once, at boot, where the app can't reach: the app can make any
 * fault look like a misdelivered SYSCALL, but not make STAC fault.
 */
bool arch_stac_broken(void)
{
	return stac_broken;
}

uint64_t arch_user_rflags(uint64_t rflags)
{
	return (rflags & RFLAGS_USER_MASK) | RFLAGS_USER_FIXED;
}

void arch_uaccess_begin(void)
{
	if (smap_on)
		__asm__ volatile("stac" ::: "memory");
}

void arch_uaccess_end(void)
{
	if (smap_on)
		__asm__ volatile("clac" ::: "memory");
}

void arch_set_kernel_stack(uint64_t top)
{
	kernel_stack_top = top;
	tss_set_kernel_stack(top);
}

void arch_fpu_save(void *area)
{
	__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void arch_fpu_load(const void *area)
{
	__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

void arch_fpu_reset(void)
{
	/* MXCSR's power-on value: every exception masked, round to nearest. */
	uint32_t mxcsr = 0x1f80;

	__asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr) : "memory");
}

void arch_set_fs_base(uint64_t base)
{
	wrmsr(MSR_FS_BASE, base);
}

uint64_t arch_get_fs_base(void)
{
	return rdmsr(MSR_FS_BASE);
}

uint64_t arch_hwcap(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[3]; /* CPUID.1:EDX, as Linux reports it */
}

uint64_t arch_hwcap2(void)
{
	return fsgsbase_on ? 2 : 0; /* HWCAP2_FSGSBASE */
}

_Noreturn void arch_enter_user(uint64_t rip, uint64_t rsp)
{
	/* The frame sits at the top of the kernel stack; all registers 0. */
	struct trap_frame *f = (struct trap_frame *)kernel_stack_top - 1;

	*f = (struct trap_frame){
		.vector = TRAP_SYSCALL,
		.rip = rip,
		.cs = SEL_UCODE | 3,
		.rflags = 0x202, /* IF */
		.rsp = rsp,
		.ss = SEL_UDATA | 3,
	};
	enter_user(f);
}
