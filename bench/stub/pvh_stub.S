/*
 * pvh_stub.S - the boot-time floor: the least a PVH guest can do.
 *
 * QEMU reads the Xen PVH note, jumps to the 32-bit entry in protected mode
 * with paging off, and the stub at once writes 0 to the isa-debug-exit
 * port, which ends QEMU with status (0 << 1) | 1.  Whatever time a boot
 * takes beyond this stub's is the guest kernel's own.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18	/* xen/include/public/elfnote.h */
#define DEBUG_EXIT_PORT 0xf4

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 4				/* descsz: a 32-bit address */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_stub_start		/* desc: physical entry point */
	.balign 4

	.text
	.code32
	.globl pvh_stub_start
pvh_stub_start:
	xorl %eax, %eax
	outb %al, $DEBUG_EXIT_PORT
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
