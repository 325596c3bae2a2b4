/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The realmode scenario's way down to real mode and back: long mode ->
 * compatibility mode -> paging off -> 16-bit protected mode -> real mode,
 * the test, and the same steps up again. Everything between the 64-bit
 * entry and exit runs from a copy at REALMODE_BASE (real mode can only
 * address the first MiB), so it is addressed through RM() and its data
 * lives in the copy too. Kept small: on hosts without VMX/SVM all of it
 * runs in KVM's instruction emulator.
 */
#include "layout.h"

#define RM(x)		(REALMODE_BASE + ((x) - rm_blob_start))

/* Selectors of rm_gdt; 0x08-0x18 are the kernel's, so they stay valid. */
#define RM_CODE64	0x08
#define RM_DATA		0x10
#define RM_CODE32	0x18
#define RM_CODE16	0x20
#define RM_DATA16	0x28

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define COM1_IER	0x3f9
#define RTC_INDEX	0x70
#define RTC_DATA	0x71
#define IVT_VEC(v)	((v) * 4)
#define BDA_TICKS	0x46c
#define RM_TICKS	3	/* ticks to wait for */
#define RM_TIMEOUT_S	5	/* RTC seconds changes before giving up */
#define RM_IRQ4_WAITS	10	/* ticks to wait for IRQ 4 */

	.text
	.code64
/* void realmode_run(void): returns with everything but the blob intact. */
	.globl realmode_run
realmode_run:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	pushfq
	cli
	sgdt	rm_saved_gdt(%rip)
	sidt	rm_saved_idt(%rip)
	mov	%rsp, rm_saved_rsp(%rip)
	mov	%cr3, %rax
	mov	%eax, RM(rm_cr3)
	lgdt	RM(rm_gdt_ptr)
	pushq	$RM_CODE32
	pushq	$RM(rm_entry32)
	lretq

realmode_back64:
	mov	$RM_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	lgdt	rm_saved_gdt(%rip)
	lidt	rm_saved_idt(%rip)
	mov	rm_saved_rsp(%rip), %rsp
	popfq
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.data
	.balign 8
	.word	0, 0, 0
rm_saved_gdt:
	.word	0
	.quad	0
	.word	0, 0, 0
rm_saved_idt:
	.word	0
	.quad	0
rm_saved_rsp:
	.quad	0

/* Copied to REALMODE_BASE by realmode.c. */
	.section .rodata.realmode, "a"
	.balign 16
	.globl rm_blob_start, rm_blob_end
rm_blob_start:
rm_gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08 code, 64-bit */
	.quad	0x00cf93000000ffff	/* 0x10 data, flat */
	.quad	0x00cf9b000000ffff	/* 0x18 code, 32-bit */
	.quad	0x00009b000000ffff	/* 0x20 code, 16-bit, base 0, 64 KiB */
	.quad	0x000093000000ffff	/* 0x28 data, 16-bit, base 0, 64 KiB */
rm_gdt_end:
	.balign 8
	.word	0, 0, 0
rm_gdt_ptr:	/* 64-bit lgdt reads the 8-byte base, lgdtl its low 4 */
	.word	rm_gdt_end - rm_gdt - 1
	.quad	RM(rm_gdt)
	.word	0
rm_ivt_ptr:
	.word	0x3ff
	.long	0
rm_cr3:
	.long	0

/* Results, read by realmode.c through struct rm_results' layout. */
	.balign 4
	.globl rm_results
rm_results:
rm_hooked:	.word	0	/* IRQ 0 arrivals on vector 0x08, live */
rm_hooked_wait:	.word	0	/* arrivals when RM_TICKS were seen */
rm_ticks:	.word	0	/* BDA counter advance after RM_TICKS arrivals */
rm_hooked_hlt:	.word	0	/* the same after the hlt */
rm_ticks_hlt:	.word	0
rm_timeouts:	.word	0	/* RTC seconds changes seen while waiting */
rm_isr:		.word	0	/* master PIC ISR at the end */
rm_ax_1c:	.word	0	/* INT 1Ch (BIOS default): registers, flags */
rm_bx_1c:	.word	0
rm_flags_1c:	.word	0
rm_bx_60:	.word	0	/* INT 60h (own handler) */
rm_flags_60:	.word	0
rm_ip_60:	.word	0	/* its frame */
rm_cs_60:	.word	0
rm_fl_60_in:	.word	0	/* FLAGS inside the handler */
rm_ret_60:	.word	RM(rm_int60_ret)
rm_hooked0c:	.word	0	/* IRQ 4 arrivals on vector 0x0c */
rm_isr4:	.word	0	/* master PIC ISR after them */
rm_tick0:	.word	0
rm_sec:		.byte	0
rm_polls:	.byte	0
rm_old08:	.long	0
rm_old0c:	.long	0

	.code32
rm_entry32:	/* compatibility mode, CS = RM_CODE32 */
	mov	%cr0, %eax
	and	$~CR0_PG, %eax
	mov	%eax, %cr0		/* long mode off */
	mov	$MSR_EFER, %ecx
	rdmsr
	and	$~EFER_LME, %eax
	wrmsr
	ljmp	$RM_CODE16, $RM(rm_pm16)

	.code16
rm_pm16:	/* 16-bit protected mode: 64 KiB limits for real mode */
	mov	$RM_DATA16, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr0, %eax
	and	$~CR0_PE, %eax
	mov	%eax, %cr0
	ljmp	$0, $RM(rm_real)

rm_real:
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$REALMODE_BASE, %sp
	lidt	RM(rm_ivt_ptr)

	/* Count IRQ 0's arrivals on vector 0x08, then chain to the BIOS. */
	mov	IVT_VEC(0x08), %eax
	mov	%eax, RM(rm_old08)
	movw	$RM(rm_hook08), IVT_VEC(0x08)
	movw	$0, IVT_VEC(0x08) + 2
	movw	$RM(rm_int60), IVT_VEC(0x60)
	movw	$0, IVT_VEC(0x60) + 2
	mov	BDA_TICKS, %ax
	mov	%ax, RM(rm_tick0)
	mov	$0, %al
	out	%al, $RTC_INDEX
	in	$RTC_DATA, %al
	mov	%al, RM(rm_sec)

	in	$PIC1_DATA, %al
	and	$0xfe, %al
	out	%al, $PIC1_DATA
	/* The hook masks IRQ 0 after RM_TICKS: poll, bounded by the RTC. */
1:	cli
	cmpw	$RM_TICKS, RM(rm_hooked)
	jae	2f
	incb	RM(rm_polls)		/* the RTC every 256 rounds: PIO is dear */
	jnz	3f
	mov	$0, %al
	out	%al, $RTC_INDEX
	in	$RTC_DATA, %al
	cmp	RM(rm_sec), %al
	je	3f
	mov	%al, RM(rm_sec)
	incw	RM(rm_timeouts)
	cmpw	$RM_TIMEOUT_S, RM(rm_timeouts)
	jae	5f
3:	sti
	nop
	jmp	1b

2:	mov	BDA_TICKS, %ax
	sub	RM(rm_tick0), %ax
	mov	%ax, RM(rm_ticks)
	mov	RM(rm_hooked), %ax
	mov	%ax, RM(rm_hooked_wait)
	/* One more tick, slept for: hlt must wake on it. */
	in	$PIC1_DATA, %al
	and	$0xfe, %al
	out	%al, $PIC1_DATA
	sti
	hlt
	cli
	mov	BDA_TICKS, %ax
	sub	RM(rm_tick0), %ax
	mov	%ax, RM(rm_ticks_hlt)
	mov	RM(rm_hooked), %ax
	mov	%ax, RM(rm_hooked_hlt)
	jmp	4f

5:	mov	BDA_TICKS, %ax		/* timed out: what did arrive */
	sub	RM(rm_tick0), %ax
	mov	%ax, RM(rm_ticks)
4:	in	$PIC1_DATA, %al
	or	$1, %al
	out	%al, $PIC1_DATA
	mov	$0x0b, %al		/* OCW3: read the ISR */
	out	%al, $PIC1_CMD
	in	$PIC1_CMD, %al
	mov	%al, RM(rm_isr)
	mov	$0x0a, %al		/* back to the IRR */
	out	%al, $PIC1_CMD
	mov	RM(rm_old08), %eax
	mov	%eax, IVT_VEC(0x08)

	/*
	 * COM1's THR-empty interrupt: IRQ 4 through the BIOS's default
	 * handler, whose EOI must leave the ISR clear. The PIC takes the
	 * edge once; the line stays up until IER is cleared. Waiting is
	 * sti; hlt with IRQ 0 on too, which bounds each wait to a tick.
	 * (Measured on a kvm_pvm host, which emulates this code: with IRQ 4
	 * alone unmasked, 256 sti; nop windows did not take it although the
	 * PIC showed it requested and unmasked; hlt takes it at once.)
	 * Without working ticks the wait would have no bound: skipped.
	 */
	cmpw	$RM_TICKS + 1, RM(rm_hooked_hlt)
	jb	8f
	mov	IVT_VEC(0x0c), %eax
	mov	%eax, RM(rm_old0c)
	movw	$RM(rm_hook0c), IVT_VEC(0x0c)
	movw	$0, IVT_VEC(0x0c) + 2
	in	$PIC1_DATA, %al
	and	$~0x11, %al
	out	%al, $PIC1_DATA
	mov	$COM1_IER, %dx
	mov	$0x02, %al		/* THRI */
	out	%al, %dx
	mov	$RM_IRQ4_WAITS, %cx
6:	sti
	hlt
	cli
	cmpw	$0, RM(rm_hooked0c)
	jne	7f
	dec	%cx
	jnz	6b
7:	sti				/* a second IRQ 4 would come by the */
	hlt				/* next tick */
	cli
	xor	%al, %al
	out	%al, %dx
	in	$PIC1_DATA, %al
	or	$0x11, %al
	out	%al, $PIC1_DATA
	mov	$0x0b, %al
	out	%al, $PIC1_CMD
	in	$PIC1_CMD, %al
	mov	%al, RM(rm_isr4)
	mov	$0x0a, %al
	out	%al, $PIC1_CMD
	mov	RM(rm_old0c), %eax
	mov	%eax, IVT_VEC(0x0c)

8:	/* INT 1Ch through the BIOS's entry: nothing may change. */
	mov	$0x1234, %ax
	mov	$0x5678, %bx
	stc
	int	$0x1c
	pushf
	pop	%cx
	mov	%ax, RM(rm_ax_1c)
	mov	%bx, RM(rm_bx_1c)
	mov	%cx, RM(rm_flags_1c)

	/* INT 60h through our own entry, with interrupts on. */
	mov	$0x1111, %bx
	sti
	int	$0x60
rm_int60_ret:
	pushf
	pop	%cx
	cli
	mov	%bx, RM(rm_bx_60)
	mov	%cx, RM(rm_flags_60)

	/* Up again: protected mode, then long mode. */
	lgdtl	RM(rm_gdt_ptr)
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$RM_CODE32, $RM(rm_back32)

rm_hook08:
	incw	%cs:RM(rm_hooked)
	cmpw	$RM_TICKS, %cs:RM(rm_hooked)
	jb	1f
	push	%ax
	in	$PIC1_DATA, %al
	or	$1, %al
	out	%al, $PIC1_DATA
	pop	%ax
1:	ljmp	*%cs:RM(rm_old08)

rm_hook0c:
	incw	%cs:RM(rm_hooked0c)
	ljmp	*%cs:RM(rm_old0c)

rm_int60:
	push	%bp
	mov	%sp, %bp
	push	%ax
	mov	2(%bp), %ax
	mov	%ax, %cs:RM(rm_ip_60)
	mov	4(%bp), %ax
	mov	%ax, %cs:RM(rm_cs_60)
	pushf
	pop	%ax
	mov	%ax, %cs:RM(rm_fl_60_in)
	pop	%ax
	pop	%bp
	not	%bx
	iret

	.code32
rm_back32:
	mov	$RM_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	RM(rm_cr3), %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0		/* long mode again, in compatibility mode */
	ljmp	$RM_CODE64, $realmode_back64
rm_blob_end:

	.section .note.GNU-stack, "", @progbits
