/* arch.h - the one interface between portable kernel code and the CPU. */
#ifndef KILN_ARCH_H
#define KILN_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Port and register access (inline: they are single instructions) ---- */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * The TSC, read only once the instructions before it have completed
 * (Linux's rdtsc_ordered): a clock read never runs ahead of the code
 * before it. Usable in ring 3 (CR4.TSD stays clear); the vDSO reads it.
 */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/*
 * A system call made from ring 3 (the vDSO's way into the kernel for
 * what it does not answer itself): returns the kernel's result, -ERRNO
 * on failure, as the raw syscall does.
 */
static inline long arch_user_syscall2(long nr, long a1, long a2)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/*
 * ---- The PC's 16550 serial ports (arch/x86_64/serial.c) ----
 * The kernel log and the app's streams go out on them from the first
 * instruction of kmain, before any driver exists: platform I/O, like the
 * PIC and the debug-exit port, so it sits behind this interface.
 */
#define SERIAL_COM1 0x3f8
#define SERIAL_COM2 0x2f8

/* True when a UART answers at base (its scratch register holds a value). */
bool serial_probe(uint16_t base);

/* 115200 8N1, FIFOs on, interrupts off. */
void serial_init(uint16_t base);

/* Write n bytes as they are (no newline translation); waits for the FIFO. */
void serial_write(uint16_t base, const char *s, size_t n);

/* ---- Interrupts ---- */

static inline uint64_t irq_save(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & (1UL << 9))
		__asm__ volatile("sti" ::: "memory");
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

/* Wait for the next interrupt with interrupts enabled (sti; hlt is atomic). */
static inline void cpu_wait_irq(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

_Noreturn void cpu_halt(void);

/* ---- Boot information, filled from the PVH start info ---- */

enum mem_type { MEM_RAM = 1, MEM_RESERVED = 2 };

struct mem_range {
	uint64_t base;
	uint64_t size;
	uint32_t type; /* enum mem_type; others are treated as reserved */
};

#define BOOT_MAX_RANGES 64
#define BOOT_CMDLINE_MAX 2048

struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX]; /* NUL-terminated, maybe truncated */
	size_t cmdline_len;
	struct mem_range mem[BOOT_MAX_RANGES];
	size_t nmem;
	uint64_t tsc_entry; /* TSC at the kernel's first instruction */
};

/* Valid after arch_early_init; the copy lives in kernel memory. */
extern struct boot_info boot_info;

/* ---- Start-up, in the order kmain calls them ---- */

/* Copy the PVH start info, set up GDT/TSS/IDT and CPU features. */
void arch_early_init(uint64_t start_info_phys);
/* Build Kiln's own page tables and switch to them (needs page_alloc). */
void paging_init(void);

/* Devices the CPU owns (LAPIC); needs paging_init done. */
void arch_late_init(void);

/* ---- Memory layout ---- */

/* All RAM is mapped read-write, no-execute at this offset. */
#define DIRECT_MAP_BASE 0xffff888000000000UL
#define KERNEL_BASE 0xffffffff80000000UL

/*
 * KASLR: the kernel runs at its link address (KERNEL_BASE + physical)
 * plus kernel_offset, a multiple of 2 MiB chosen at boot before the jump
 * to the higher half; 0 with kiln.nokaslr on the command line. Link-time
 * addresses (nm, the .ksyms table) are runtime ones less it.
 */
extern uint64_t kernel_offset;

static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(phys + DIRECT_MAP_BASE);
}

/* Physical address of a direct-map or kernel-image address. */
uint64_t virt_to_phys(const void *v);

/* Map a device's registers uncached; returns NULL when out of space. */
void *paging_map_mmio(uint64_t phys, size_t size);

/* Attributes of a kernel virtual address as the page tables see them. */
struct page_info {
	bool present, writable, executable, user;
};
bool paging_query(uintptr_t va, struct page_info *out);

/* Kernel image boundaries from the linker script (runtime addresses). */
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_end[], __tables_start[], __kernel_end[];

/* ---- Time ---- */

/*
 * Calibrate the TSC; afterwards time_ns runs, but approximate until
 * tsc_check: while the PIT still measures, or kiln.tsc_khz is unchecked,
 * the rate is a placeholder (1 GHz, or the claim). Returns the source's
 * name.
 */
const char *tsc_init(void);
/*
 * Finish what tsc_init left pending (the check of kiln.tsc_khz against
 * the PIT, which runs beside the boot); call once, after arch_late_init.
 * Returns the source's name: source, or the one that replaced it.
 */
const char *tsc_check(const char *source);
uint64_t tsc_hz(void);
/*
 * Nanoseconds since an arbitrary fixed point (the kernel's first TSC
 * read); approximate until tsc_check (see tsc_init).
 */
uint64_t time_ns(void);
uint64_t tsc_to_ns(uint64_t ticks);
/*
 * time_ns() is vclock_ticks_ns(rdtsc(), m) - vclock_ticks_ns(
 * boot_info.tsc_entry, m) with m = tsc_ns_mult() (modulo 2^64,
 * lib/vclock.h): what the vDSO computes from the numbers it is given.
 */
uint64_t tsc_ns_mult(void);

/* LAPIC timer: call handler from interrupt context every period_ns. */
int lapic_timer_start(uint64_t period_ns, void (*handler)(void));
void lapic_timer_stop(void);

/* ---- Hardware randomness ---- */

/*
 * One 64-bit value from the CPU's entropy source (RDSEED) or its DRBG
 * (RDRAND). False when the CPU lacks the instruction or it kept failing
 * after the vendor's retry budget; *out is then meaningless.
 */
bool arch_rdseed(uint64_t *out);
bool arch_rdrand(uint64_t *out);

/*
 * Wall-clock time now, in ns since the Unix epoch, from the hypervisor
 * (KVM's pvclock). False when there is none: then ask the CMOS RTC.
 */
bool arch_wallclock_ns(uint64_t *ns);

/* ---- Traps ---- */

/* Registers saved on every trap; layout matches trap_entry.S. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define TRAP_SYSCALL 0x100 /* vector of frames built by syscall_entry */

/* Register an interrupt handler for vector (32..255). */
void irq_set_handler(int vector, void (*fn)(struct trap_frame *));

/*
 * Device interrupts (ioapic.c). irq_alloc_vector hands out a free vector
 * for a device (-ENOSPC when none is left); boot-time only.
 * ioapic_route sends global system interrupt gsi, level-triggered active
 * high, to vector on the boot CPU: 0, or -ENODEV when no I/O APIC has
 * that input. The handler ends with irq_eoi after quieting its device.
 * irq_msi_message gives the MSI/MSI-X address and data that deliver
 * vector to the boot CPU (edge-triggered).
 */
int irq_alloc_vector(void);
int ioapic_route(unsigned gsi, int vector);
void irq_eoi(void);
void irq_msi_message(int vector, uint64_t *addr, uint32_t *data);

/* ---- Stacks and backtraces ---- */

/*
 * Walk the frame-pointer chain from rbp, calling fn(rip, ctx) for each
 * return address, at most max frames; stops at any frame pointer outside
 * the kernel's stacks.
 */
void arch_backtrace(uint64_t rip, uint64_t rbp, int max,
		    void (*fn)(uint64_t rip, void *ctx), void *ctx);

/* True when addr is in the guard page of a kernel stack. */
bool arch_in_stack_guard(uint64_t addr);

/* ---- User mode ---- */

/*
 * The SYSCALL MSRs and the kernel stack for traps from user mode (SSE,
 * SMAP and FSGSBASE are on from arch_early_init).
 */
void arch_user_init(void);

/* Leave the kernel for good: start user code at rip with stack rsp. */
_Noreturn void arch_enter_user(uint64_t rip, uint64_t rsp);

void arch_set_fs_base(uint64_t base);
uint64_t arch_get_fs_base(void);
/* AT_HWCAP and AT_HWCAP2 values for the application. */
uint64_t arch_hwcap(void);
uint64_t arch_hwcap2(void);

/*
 * Fault-safe copies (syscall_entry.S): 0 (or the length) or -EFAULT.
 * Only core/uaccess.c calls them, between arch_uaccess_begin and _end
 * (which lift and restore SMAP).
 */
long arch_copy_user(void *dst, const void *src, size_t n);
long arch_clear_user(void *dst, size_t n);
long arch_strnlen_user(const char *s, size_t max);
void arch_uaccess_begin(void);
void arch_uaccess_end(void);

/*
 * True when the CPU claimed SMAP but faulted on STAC at boot (SMAP is
 * then off). Some nested hypervisors do this, and the same ones deliver
 * SYSCALL without entering ring 0 (docs/architecture.md); elsewhere a
 * user fault that looks like such a SYSCALL is a fault.
 */
bool arch_stac_broken(void);

/* rflags as user code may have them: no IOPL, VM, VIF/VIP; IF on. */
uint64_t arch_user_rflags(uint64_t rflags);

/*
 * Hooks the Linux personality installs. user_trap: any exception raised
 * by user code (cr2 for page faults). fault_in: a page fault on a user
 * address, from user code or from a uaccess copy; returns 0 when the page
 * is now mapped (the instruction is retried), else -EFAULT.
 */
void trap_set_user_handler(void (*user_trap)(struct trap_frame *f,
					     uint64_t cr2));
void trap_set_fault_in(int (*fault_in)(uint64_t addr, uint64_t error));
/* Runs last before any trap or interrupt returns to user mode. */
void trap_set_return_hook(void (*hook)(struct trap_frame *f));

/* Page-fault error code bits (Intel SDM vol. 3, 4.7). */
#define PF_ERR_PRESENT 0x1
#define PF_ERR_WRITE 0x2
#define PF_ERR_USER 0x4
#define PF_ERR_FETCH 0x10

/*
 * User address spaces. Each is its own lower half (user pages) under
 * the kernel's upper half, which every space shares. The handle is
 * opaque; NULL names the kernel's own tables (no user pages).
 * create: NULL when out of memory. activate: load it (CR3) unless it is
 * already loaded. destroy: free its page tables (not the frames they
 * map: the caller unmaps those first); a space that is loaded is
 * switched away from first, so the CPU never walks freed tables.
 */
struct paging_as;
struct paging_as *paging_as_create(void);
void paging_as_activate(struct paging_as *as);
void paging_as_destroy(struct paging_as *as);

/*
 * User mappings in address space as (the lower half). prot is Linux's
 * PROT_READ|PROT_WRITE|PROT_EXEC; PROT_NONE pages are left unmapped by
 * the caller. map: -ENOMEM when a page table can't be had, -EFAULT for a
 * va outside the lower half (the others ignore such a va). unmap returns
 * the frame's physical address, or 0 when nothing was mapped. Any space
 * may be changed, loaded or not (fork fills the child's while the
 * parent's is loaded); the TLB is flushed when it is the loaded one.
 */
int paging_map_user(struct paging_as *as, uintptr_t va, uint64_t phys,
		    int prot);
/*
 * The lowest va in [va, end) that holds a frame (in the lower half), or
 * end. Absent tables are skipped whole, so walking a huge sparse range
 * costs what its page tables hold, not its size.
 */
uintptr_t paging_next_user(struct paging_as *as, uintptr_t va, uintptr_t end);
uint64_t paging_unmap_user(struct paging_as *as, uintptr_t va);
void paging_protect_user(struct paging_as *as, uintptr_t va, int prot);
bool paging_user_lookup(struct paging_as *as, uintptr_t va, uint64_t *phys);
/*
 * Unmap va only if it maps the frame at phys and stores cannot reach it
 * (no writable PTE), in one walk: the reclaimer's test and clear, which
 * must not take a frame a process may be writing. True when unmapped.
 */
bool paging_unmap_user_readonly(struct paging_as *as, uintptr_t va,
				uint64_t phys);

/* ---- Threads ---- */

/* Switch kernel stacks (switch.S): see kernel/core/sched.c. */
void arch_switch(uint64_t *save_rsp, uint64_t new_rsp);
extern char thread_first_run[];

/*
 * A kernel stack of size bytes (a multiple of 4096) in its own mapping,
 * above an unmapped guard page. Returns its top (16-aligned), or 0 when
 * memory or address space ran out. kstack_free takes the same top.
 */
uint64_t kstack_alloc(size_t size);
void kstack_free(uint64_t top, size_t size);

/* The stack the kernel enters on from user mode (TSS.rsp0 and SYSCALL). */
void arch_set_kernel_stack(uint64_t top);

/* Save and load the application's x87/SSE state (512-byte FXSAVE area). */
void arch_fpu_save(void *area);
void arch_fpu_load(const void *area);
/* Give the application a fresh x87/SSE state (execve), as at power-on. */
void arch_fpu_reset(void);

/*
 * LAPIC timer, one-shot: call handler from interrupt context once, after
 * ns nanoseconds (clamped to the timer's range; the handler re-arms).
 */
int lapic_timer_oneshot(uint64_t ns, void (*handler)(void));

/* The LAPIC timer's current count: 0 when it is not counting (selftests). */
uint32_t lapic_timer_left(void);

/* ---- Leaving ---- */

/* Tell the VMM to exit with status (0..255); falls back to reset/halt. */
_Noreturn void arch_exit(int status);

#endif
