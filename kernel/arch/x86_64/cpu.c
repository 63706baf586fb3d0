/* cpu.c - CPU set-up, halting, leaving the VM, and stack walking. */
#include <kiln/exit.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "lib/cmdline.h"

_Noreturn void cpu_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/*
 * QEMU's isa-debug-exit makes QEMU exit with (status << 1) | 1. Without
 * that device we force a reset with an empty IDT and a fault (a triple
 * fault), which QEMU started with -no-reboot turns into an exit; as a last
 * resort, halt.
 */
_Noreturn void arch_exit(int status)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	outb(KILN_DEBUG_EXIT_PORT, (uint8_t)status);
	__asm__ volatile("lidt %0; int3" : : "m"(empty));
	cpu_halt();
}

/*
 * The legacy 8259 PICs power up with their vectors on top of the CPU
 * exceptions. Remap them out of the way (ICW1..ICW4), then mask every line:
 * Kiln takes interrupts from the LAPIC and IOAPIC only.
 */
void pic_disable(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xa1, VEC_PIC_BASE + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/*
 * Turn on the protections the CPU offers: global pages, SMEP, UMIP, and
 * with user_cpu_init's bits (SSE, SMAP, FSGSBASE) in the same CR4 write.
 * RDTSC stays open to ring 3 (TSD clear, whatever the loader left), as
 * on Linux: the vDSO reads the clock with it, without a system call.
 */
void cpu_features_init(void)
{
	uint32_t r[4], leaf7_ebx = 0;
	uint64_t cr4 = CR4_PGE;

	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		leaf7_ebx = r[1];
		if (leaf7_ebx & CPUID7_EBX_SMEP)
			cr4 |= CR4_SMEP;
		if (r[2] & (1u << 2))
			cr4 |= CR4_UMIP;
	}
	cr4 |= user_cpu_init(leaf7_ebx,
			     cmdline_has(boot_info.cmdline,
					 boot_info.cmdline_len, "kiln.nostac"));
	/* one write: each CR4 write retranslates under TCG (user.c) */
	write_cr4((read_cr4() | cr4) & ~(uint64_t)CR4_TSD);
}

extern char __stack_guard_boot[], __stack_guard_df[], __stack_guard_nmi[],
	__stack_guard_mc[], boot_stack[], ist_mc_top[];

bool arch_in_stack_guard(uint64_t addr)
{
	const char *guards[] = { __stack_guard_boot, __stack_guard_df,
				 __stack_guard_nmi, __stack_guard_mc };

	struct page_info pi;

	for (size_t i = 0; i < sizeof(guards) / sizeof(guards[0]); i++)
		if (addr >= (uint64_t)guards[i] &&
		    addr < (uint64_t)guards[i] + 4096)
			return true;
	/* Thread stacks: the unmapped page of their region is the guard. */
	if (paging_is_kstack(addr) && !paging_query(addr, &pi))
		return true;
	return false;
}

/* Frames are only followed while they stay inside the kernel's stacks. */
static bool frame_ok(uint64_t rbp)
{
	struct page_info pi;

	if ((rbp & 7) != 0)
		return false;
	if (rbp >= (uint64_t)boot_stack && rbp + 16 <= (uint64_t)ist_mc_top)
		return !arch_in_stack_guard(rbp);
	/* A thread stack: both words of the frame must be mapped. */
	return paging_is_kstack(rbp) && paging_query(rbp, &pi) &&
	       paging_query(rbp + 8, &pi);
}

void arch_backtrace(uint64_t rip, uint64_t rbp, int max,
		    void (*fn)(uint64_t rip, void *ctx), void *ctx)
{
	fn(rip, ctx);
	for (int i = 1; i < max && frame_ok(rbp); i++) {
		const uint64_t *frame = (const uint64_t *)rbp;

		if (frame[1] == 0)
			break;
		fn(frame[1], ctx);
		if (frame[0] <= rbp)
			break; /* frames go up the stack; anything else is junk */
		rbp = frame[0];
	}
}
