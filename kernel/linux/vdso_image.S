/* vdso_image.S - the vDSO shared object (kernel/linux/vdso/), embedded read-only in the kernel. */
	.section .rodata.vdso, "a"
	.p2align 3
	.globl vdso_image, vdso_image_end
vdso_image:
	.incbin VDSO_IMAGE
vdso_image_end:
	.section .note.GNU-stack, "", @progbits
