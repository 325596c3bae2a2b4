/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest multiboot kernel: its first instruction ends the VM through
 * the debug-exit port, so the process's wall time is kvmscope's (or QEMU's)
 * time from start to the guest's first instruction, plus teardown.
 */
	.section .text
	.code32
	.align 4
multiboot_header:
	.long 0x1badb002
	.long 0x00000000
	.long -(0x1badb002 + 0x00000000)
	.globl _start
_start:
	mov $0x21, %eax		/* status (0x21 << 1) | 1 = 67: unmistakable */
	out %eax, $0xf4
	cli
1:	hlt
	jmp 1b
