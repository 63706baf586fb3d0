/* trap.c - exception reports and interrupt dispatch. */
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/x86.h"
#include "core/ksyms.h"
#include "core/panic.h"
#include "core/printk.h"

static void (*irq_handlers[256])(struct trap_frame *);
static void (*user_trap_handler)(struct trap_frame *f, uint64_t cr2);
static int (*fault_in_handler)(uint64_t addr, uint64_t error);
static void (*return_hook)(struct trap_frame *f);

void trap_set_return_hook(void (*hook)(struct trap_frame *f))
{
	return_hook = hook;
}

extern char uaccess_start[], uaccess_end[], uaccess_fault[];

void trap_set_user_handler(void (*fn)(struct trap_frame *f, uint64_t cr2))
{
	user_trap_handler = fn;
}

void trap_set_fault_in(int (*fn)(uint64_t addr, uint64_t error))
{
	fault_in_handler = fn;
}

static const char *const exception_names[32] = {
	"divide error (#DE)",
	"debug (#DB)",
	"NMI",
	"breakpoint (#BP)",
	"overflow (#OF)",
	"bound range (#BR)",
	"invalid opcode (#UD)",
	"device not available (#NM)",
	"double fault (#DF)",
	"coprocessor segment overrun",
	"invalid TSS (#TS)",
	"segment not present (#NP)",
	"stack fault (#SS)",
	"general protection (#GP)",
	"page fault (#PF)",
	"reserved",
	"x87 floating point (#MF)",
	"alignment check (#AC)",
	"machine check (#MC)",
	"SIMD floating point (#XM)",
	"virtualization (#VE)",
	"control protection (#CP)",
};

void irq_set_handler(int vector, void (*fn)(struct trap_frame *))
{
	if (vector >= 32 && vector < 256)
		irq_handlers[vector] = fn;
}

static void print_regs(const struct trap_frame *f)
{
	printk("kiln:   rax %016lx rbx %016lx rcx %016lx\n", f->rax, f->rbx,
	       f->rcx);
	printk("kiln:   rdx %016lx rsi %016lx rdi %016lx\n", f->rdx, f->rsi,
	       f->rdi);
	printk("kiln:   rbp %016lx rsp %016lx r8  %016lx\n", f->rbp, f->rsp,
	       f->r8);
	printk("kiln:   r9  %016lx r10 %016lx r11 %016lx\n", f->r9, f->r10,
	       f->r11);
	printk("kiln:   r12 %016lx r13 %016lx r14 %016lx\n", f->r12, f->r13,
	       f->r14);
	printk("kiln:   r15 %016lx rflags %016lx cs %lx ss %lx\n", f->r15,
	       f->rflags, f->cs, f->ss);
}

/* Intel SDM vol. 3, 4.7: page-fault error code bits. */
static void print_page_fault(uint64_t err, uint64_t cr2)
{
	printk("kiln:   address 0x%016lx (%s, %s%s%s)\n", (unsigned long)cr2,
	       err & 0x10 ? "instruction fetch" :
	       err & 2	  ? "write" :
			    "read",
	       err & 1 ? "protection violation" : "not present",
	       err & 4 ? ", user" : "", err & 8 ? ", reserved bit" : "");
	if (cr2 < 4096)
		printk("kiln:   null pointer dereference\n");
}

/* Every exception in the kernel is fatal until user space exists. */
static _Noreturn void exception_report(struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();
	char sym[96];

	panic_enter();
	printk("kiln: fatal exception: %s, vector %lu, error 0x%lx\n",
	       f->vector < 32 && exception_names[f->vector] ?
		       exception_names[f->vector] :
		       "reserved",
	       (unsigned long)f->vector, (unsigned long)f->error);
	if (f->vector == 14)
		print_page_fault(f->error, cr2);
	if (f->vector == 8 && arch_in_stack_guard(cr2))
		printk("kiln:   kernel stack overflow: guard page hit at 0x%016lx\n",
		       (unsigned long)cr2);
	ksyms_format(f->rip, sym, sizeof(sym));
	printk("kiln:   rip 0x%016lx %s\n", (unsigned long)f->rip, sym);
	print_regs(f);
	panic_backtrace(f->rip, f->rbp, true);
	panic_exit();
}

/*
 * A page fault in kernel mode on a user address: only the uaccess copies
 * may cause one. Fault the page in, or make the copy return -EFAULT.
 */
static bool kernel_user_fault(struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();
	bool in_uaccess = f->rip >= (uint64_t)uaccess_start &&
			  f->rip < (uint64_t)uaccess_end;

	if (f->vector != 14 || !in_uaccess)
		return false;
	if (fault_in_handler && cr2 < (1UL << 47) &&
	    fault_in_handler(cr2, f->error | PF_ERR_USER) == 0)
		return true;
	f->rip = (uint64_t)uaccess_fault;
	return true;
}

/* A fault in stac_probe: STAC or CLAC is not to be had (user.c). */
static bool stac_probe_fixup(struct trap_frame *f)
{
	if (f->rip < (uint64_t)stac_probe || f->rip >= (uint64_t)stac_probe_end)
		return false;
	f->rip = (uint64_t)stac_probe_fault;
	return true;
}

void trap_dispatch(struct trap_frame *f)
{
	/*
	 * Ring 3 may set AC, and a trap does not clear it: without this the
	 * kernel would run the handler with SMAP lifted. IRETQ restores it.
	 */
	arch_uaccess_end();
	if (f->vector < 32 && (f->cs & 3) && user_trap_handler) {
		user_trap_handler(f, f->vector == 14 ? read_cr2() : 0);
	} else if (f->vector < 32) {
		if (!kernel_user_fault(f) && !stac_probe_fixup(f))
			exception_report(f);
	} else if (irq_handlers[f->vector]) {
		irq_handlers[f->vector](f);
	} else if (f->vector != VEC_SPURIOUS) {
		printk("kiln: unexpected interrupt vector %lu\n",
		       (unsigned long)f->vector);
		lapic_eoi();
	}
	if ((f->cs & 3) && return_hook)
		return_hook(f);
	if (f->cs & 3) /* whatever the hooks did, as return_to_user does */
		f->rflags = (f->rflags & RFLAGS_USER_MASK) | RFLAGS_USER_FIXED;
}
