/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry code of the test guest: multiboot header, the 32-bit to 64-bit
 * switch, the AP trampoline, exception stubs and the few routines that
 * must control every register.
 */
#include "layout.h"

	.section .multiboot, "a"
	.balign 4
multiboot_header:
	.long MULTIBOOT_HEADER_MAGIC
	.long MULTIBOOT_HEADER_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

/*
 * The loader leaves us in flat 32-bit protected mode, paging off, with
 * EAX = boot magic and EBX = MBI address; ESP is not valid.
 */
	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	mov	%eax, %ebp
	mov	%ebx, %esi

	/* The loader should have cleared .bss, but do not rely on it. */
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	shr	$2, %ecx
	xor	%eax, %eax
	rep stosl

	mov	%ebp, boot_magic
	mov	%esi, boot_mbi

	lgdt	gdt_ptr
	ljmp	$SEL_KERN_CODE32, $1f
1:	mov	$SEL_KERN_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	mov	$boot_stack_top, %esp

	/* PML4[0] -> PDPT, PDPT[0..3] -> four page directories. */
	mov	$boot_pdpt, %eax
	or	$(PTE_P | PTE_RW | PTE_US), %eax
	mov	%eax, boot_pml4

	mov	$boot_pd, %eax
	or	$(PTE_P | PTE_RW | PTE_US), %eax
	xor	%ecx, %ecx
2:	mov	%eax, boot_pdpt(, %ecx, 8)
	add	$0x1000, %eax
	inc	%ecx
	cmp	$4, %ecx
	jb	2b

	/*
	 * 2048 identity 2 MiB pages.  U=1 so the user scenario can run
	 * straight out of the kernel image.
	 */
	xor	%ecx, %ecx
3:	mov	%ecx, %eax
	shl	$21, %eax
	or	$(PTE_P | PTE_RW | PTE_US | PTE_PS), %eax
	cmp	$UC_FIRST_2M, %ecx
	jb	4f
	or	$(PTE_PCD | PTE_PWT), %eax
4:	mov	%eax, boot_pd(, %ecx, 8)
	inc	%ecx
	cmp	$2048, %ecx
	jb	3b

	/* EFER.NXE only if the CPU has NX, or bit 63 would be reserved. */
	mov	$EFER_LME, %edi
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	5f
	mov	$0x80000001, %eax
	cpuid
	bt	$20, %edx
	jnc	5f
	or	$EFER_NXE, %edi
5:	mov	%edi, boot_efer_bits
	jmp	enter_long_mode

/*
 * Shared by the BSP and the APs: enable paging on boot_pml4 and jump
 * to the 64-bit entry point whose address is in %ebx.
 */
enter_long_mode:
	mov	%cr4, %eax
	or	$(CR4_PAE | CR4_PGE), %eax
	mov	%eax, %cr4

	mov	$boot_pml4, %eax
	mov	%eax, %cr3

	mov	$MSR_EFER, %ecx
	rdmsr
	or	boot_efer_bits, %eax
	wrmsr

	/* Caches on: firmware may have left CD/NW set. */
	mov	%cr0, %eax
	and	$~(CR0_CD | CR0_NW), %eax
	or	$(CR0_PG | CR0_WP | CR0_PE), %eax
	mov	%eax, %cr0

	/* The BSP and the APs part ways on the 64-bit side. */
	cmpl	$0, ap_booting
	jne	6f
	ljmp	$SEL_KERN_CODE64, $bsp_start64
6:	ljmp	$SEL_KERN_CODE64, $ap_start64

	.code64
bsp_start64:
	mov	$SEL_KERN_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	mov	$boot_stack_top, %rsp
	mov	boot_magic(%rip), %edi
	mov	boot_mbi(%rip), %esi
	call	kmain
	jmp	halt_forever

ap_start64:
	mov	$SEL_KERN_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	/* Claim a CPU number; it also picks the stack. */
	mov	$1, %eax
	lock xadd %eax, ap_next_index(%rip)
	cmp	$MAX_CPUS, %eax
	jae	ap_park
	mov	%eax, %edi
	lea	1(%rax), %rax
	shl	$AP_STACK_SHIFT, %rax
	add	$ap_stacks, %rax
	mov	%rax, %rsp
	call	ap_main
ap_park:
	/*
	 * IF=1 keeps a parked AP wakeable, so a VMM cannot mistake it for
	 * a dead vCPU while the BSP is still running the test.
	 */
	sti
7:	hlt
	jmp	7b

	.globl halt_forever
halt_forever:
	cli
8:	hlt
	jmp	8b

/*
 * AP start-up code, copied to AP_TRAMP_BASE before the SIPIs.  The AP
 * starts in real mode at CS:IP = (AP_SIPI_VECTOR << 8):0.  Only the
 * GDT pointer is addressed relative to the copy; everything after the
 * switch to protected mode runs from the kernel image.
 */
	.section .rodata.tramp, "a"
	.code16
	.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
	cli
	cld
	xor	%ax, %ax
	mov	%ax, %ds
	lgdtl	AP_TRAMP_BASE + (ap_tramp_gdt_ptr - ap_tramp_start)
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$SEL_KERN_CODE32, $ap_start32
	.balign 8
ap_tramp_gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	gdt
ap_tramp_end:

	.section .text.boot, "ax"
	.code32
ap_start32:
	mov	$SEL_KERN_DATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	jmp	enter_long_mode

	.code64
	.text

/*
 * One 16-byte stub per vector, so C can find stub N at
 * trap_stubs + 16 * N.  Vectors without a CPU error code push a zero
 * to give every frame the same layout.
 */
	.balign 16
	.globl trap_stubs
trap_stubs:
	vector = 0
	.rept 256
	.balign 16
	.if vector == 8 || vector == 10 || vector == 11 || vector == 12 || vector == 13 || vector == 14 || vector == 17 || vector == 21 || vector == 29 || vector == 30
	.else
	pushq	$0
	.endif
	pushq	$vector
	jmp	trap_common
	vector = vector + 1
	.endr
	.globl trap_stubs_end
trap_stubs_end:

/* Saves registers in the order of struct trap_frame (kernel.h). */
trap_common:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rbx
	push	%rbp
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	cld
	/*
	 * The CPU aligned RSP to 16 before pushing its 5 words; with the
	 * 2 stub words and 15 registers the stack is aligned again.
	 */
	mov	%rsp, %rdi
	call	trap_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$16, %rsp
	iretq

/*
 * void enter_user(u64 rip, u64 rsp, u64 rcx): iretq to CPL 3 with
 * interrupts off (nothing could interrupt anyway) and RCX loaded.
 */
	.globl enter_user
enter_user:
	mov	%rdx, %rcx
	pushq	$SEL_USER_DATA
	pushq	%rsi
	pushq	$0x2
	pushq	$SEL_USER_CODE64
	pushq	%rdi
	xor	%eax, %eax
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	iretq

/*
 * Ring-3 code. Each routine returns to the kernel with ud2: a #UD from
 * CPL 3 is delivered by every host, while some (kvm_pvm) answer INT n
 * from user mode with #UD anyway.
 */
	.globl user_loop
user_loop:
1:	dec	%rcx
	jnz	1b
	.globl user_loop_end
user_loop_end:
	ud2

/*
 * Leave an unmasked x87 zero-divide pending: x87 instructions run natively
 * at CPL 3 on every host, while an emulated CPL 0 may not know them. Only
 * the next waiting x87 instruction (the kernel's fwait) reports it.
 */
	.globl user_x87_pending
user_x87_pending:
	sub	$16, %rsp
	fnstcw	(%rsp)
	andw	$~0x0004, (%rsp)	/* unmask ZE */
	fldcw	(%rsp)
	fld1
	fldz
	fdivrp	%st, %st(1)
	.globl user_x87_end
user_x87_end:
	ud2

/*
 * void pagetables_idle(const u64 regs[15]): load every GPR but RSP
 * from regs (rax, rbx, rcx, rdx, rsi, rdi, rbp, r8..r15) and halt with
 * interrupts enabled, forever.
 */
	.globl pagetables_idle, known_halt, known_halt_hlt
pagetables_idle:
	mov	0x00(%rdi), %rax
	mov	0x08(%rdi), %rbx
	mov	0x10(%rdi), %rcx
	mov	0x18(%rdi), %rdx
	mov	0x20(%rdi), %rsi
	mov	0x30(%rdi), %rbp
	mov	0x38(%rdi), %r8
	mov	0x40(%rdi), %r9
	mov	0x48(%rdi), %r10
	mov	0x50(%rdi), %r11
	mov	0x58(%rdi), %r12
	mov	0x60(%rdi), %r13
	mov	0x68(%rdi), %r14
	mov	0x70(%rdi), %r15
	mov	0x28(%rdi), %rdi
known_halt:
	sti
known_halt_hlt:
	hlt
	jmp	known_halt_hlt

	.data
	.balign 16
	.globl gdt, gdt_end
gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08 kernel code, 64-bit */
	.quad	0x00cf93000000ffff	/* 0x10 kernel data */
	.quad	0x00cf9b000000ffff	/* 0x18 kernel code, 32-bit */
	.quad	0x00affb000000ffff	/* 0x20 user code, 64-bit, DPL 3 */
	.quad	0x00cff3000000ffff	/* 0x28 user data, DPL 3 */
	.quad	0, 0			/* 0x30 TSS, filled in at run time */
gdt_end:

	/* 32-bit lgdt reads the low 4 bytes of the base, 64-bit all 8. */
	.balign 8
	.globl gdt_ptr
	.word	0, 0, 0
gdt_ptr:
	.word	gdt_end - gdt - 1
	.quad	gdt

	/* CPU numbers for APs; 0 is the BSP. */
	.balign 4
	.globl ap_next_index
ap_next_index:
	.long	1

	.bss
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.skip	4096
boot_pdpt:
	.skip	4096
boot_pd:
	.skip	4 * 4096

	.balign 16
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:

	.balign 4096
	.globl ap_stacks
ap_stacks:
	.skip	MAX_CPUS * AP_STACK_SIZE

	.balign 4
	.globl boot_magic, boot_mbi, boot_efer_bits, ap_booting
boot_magic:
	.long	0
boot_mbi:
	.long	0
boot_efer_bits:
	.long	0
	/* Set by the BSP before it sends SIPIs. */
ap_booting:
	.long	0

	/* Nothing here needs an executable stack. */
	.section .note.GNU-stack, "", @progbits
