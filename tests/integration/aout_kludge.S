/*
 * A flat-binary multiboot v1 kernel (a.out kludge: header flag bit 16 with
 * load addresses), the kind written for QEMU's -kernel: prints to COM1 and
 * exits through isa-debug-exit with code 3. Built by the test with
 * gcc + objcopy -O binary.
 */
	.code32
	.section .text
	.globl _start
_start:
	jmp	entry
	.align 4
header:
	.long	0x1badb002
	.long	0x00010002		/* address fields + memory info */
	.long	-(0x1badb002 + 0x00010002)
	.long	header			/* header_addr */
	.long	_start			/* load_addr */
	.long	load_end		/* load_end_addr */
	.long	bss_end			/* bss_end_addr */
	.long	entry			/* entry_addr */
entry:
	cmp	$0x2badb002, %eax
	jne	fail
	/* bss must be zeroed by the loader */
	mov	$bss_start, %edi
1:	cmpl	$0, (%edi)
	jne	fail
	add	$4, %edi
	cmp	$bss_end, %edi
	jb	1b
	mov	$msg, %esi
2:	lodsb
	test	%al, %al
	jz	3f
	mov	$0x3f8, %dx
	out	%al, %dx
	jmp	2b
3:	mov	$3, %eax
	out	%eax, $0xf4
fail:
	mov	$9, %eax
	out	%eax, $0xf4
	cli
4:	hlt
	jmp	4b
msg:
	.asciz	"aout kludge kernel ok\n"
	.align 4
load_end:
	.section .bss
bss_start:
	.fill	4096, 1, 0
bss_end:
