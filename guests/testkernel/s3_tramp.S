/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The s3 scenario's waking code. s3.c copies s3_tramp_start..end to the
 * waking vector it writes into the FACS; firmware (the VMM) enters it in
 * real mode with CS = vector >> 4, IP = vector & 0xf. It notes the CS:IP
 * it got, switches to protected mode and then long mode on the boot page
 * tables, and calls s3_resumed() (s3.c), which never returns.
 */
#include "layout.h"

	.section .rodata.s3tramp, "a"
	.code16
	.globl s3_tramp_start, s3_tramp_end, s3_tramp_cs, s3_tramp_ip
	.globl s3_tramp_woken, s3_tramp_gdt_ptr
s3_tramp_start:
	cli
	cld
	/* Address the copy through CS, wherever it was put. */
	mov	%cs, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$S3_TRAMP_STACK, %sp
	call	1f
1:	pop	%bx
	sub	$(1b - s3_tramp_start), %bx	/* the IP we were entered at */
	mov	%ax, (s3_tramp_cs - s3_tramp_start)(%bx)
	mov	%bx, (s3_tramp_ip - s3_tramp_start)(%bx)
	movw	$1, (s3_tramp_woken - s3_tramp_start)(%bx)
	lgdtl	(s3_tramp_gdt_ptr - s3_tramp_start)(%bx)
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$SEL_KERN_CODE32, $s3_start32
	.balign 2
s3_tramp_cs:
	.word	0
s3_tramp_ip:
	.word	0
s3_tramp_woken:
	.word	0
	.balign 4
s3_tramp_gdt_ptr:	/* filled in by s3.c: gdt is in another object */
	.word	0
	.long	0
s3_tramp_end:

	.section .text.boot, "ax"
	.code32
s3_start32:
	mov	$SEL_KERN_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	/* As boot.S's enter_long_mode, on the same page tables. */
	mov	%cr4, %eax
	or	$(CR4_PAE | CR4_PGE), %eax
	mov	%eax, %cr4
	mov	$boot_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	boot_efer_bits, %eax
	wrmsr
	mov	%cr0, %eax
	and	$~(CR0_CD | CR0_NW), %eax
	or	$(CR0_PG | CR0_WP | CR0_PE), %eax
	mov	%eax, %cr0
	ljmp	$SEL_KERN_CODE64, $s3_start64

	.code64
s3_start64:
	mov	$SEL_KERN_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	lea	s3_stack_top(%rip), %rsp
	call	s3_resumed
	jmp	halt_forever

	.bss
	.balign 16
s3_stack:
	.skip	16384
s3_stack_top:

	.section .note.GNU-stack, "", @progbits
