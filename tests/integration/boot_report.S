/*
 * A multiboot v1 ELF kernel that can be linked anywhere (the test links it
 * at 0x1000, 0x8000, 1 MiB and near the top of RAM with -Ttext and -N, so
 * it is one segment: code, data, then 8 KiB of bss). It checks that its
 * bss is zero, then prints on COM1 what the loader gave it:
 *
 *   image=<start> end=<end>
 *   mbi=<addr> flags=<f> mem_lower=<kib> mem_upper=<kib>
 *   cmdline=<addr> '<text>'
 *   mmap=<addr> length=<bytes>
 *   mmap: base=<64 bits> len=<64 bits> type=<t>      (one per entry)
 *   mods=<addr> count=<n>
 *   mod: start=<s> end=<e> string=<addr> first=<first dword>
 *   loader=<addr> '<name>'
 *   rsdp=<addr>                    (found by scanning 0xe0000-0xfffff)
 *   boot report done
 *
 * (every number in hex, 8 digits) and exits through isa-debug-exit with
 * code 3 (status 7), or 9 (status 19) when EAX or the bss is wrong.
 */
	.code32
	.section .text
	.globl _start
_start:
	jmp	entry
	.align 4
header:
	.long	0x1badb002
	.long	0x00000003		/* page-aligned modules, memory info */
	.long	-(0x1badb002 + 0x00000003)
entry:
	cmp	$0x2badb002, %eax
	jne	fail
	/* bss zero, before our stack (in the bss) is used */
	mov	$bss_start, %edi
1:	cmpl	$0, (%edi)
	jne	fail
	add	$4, %edi
	cmp	$bss_end, %edi
	jb	1b
	mov	$stack_top, %esp
	mov	%ebx, %ebp

	mov	$s_image, %esi
	mov	$_start, %eax
	call	field
	mov	$s_end, %esi
	mov	$bss_end, %eax
	call	field
	call	newline

	mov	$s_mbi, %esi
	mov	%ebp, %eax
	call	field
	mov	$s_flags, %esi
	mov	0(%ebp), %eax
	call	field
	mov	$s_lower, %esi
	mov	4(%ebp), %eax
	call	field
	mov	$s_upper, %esi
	mov	8(%ebp), %eax
	call	field
	call	newline

	mov	$s_cmdline, %esi
	mov	16(%ebp), %eax
	call	field
	mov	16(%ebp), %esi
	call	quoted
	call	newline

	mov	$s_mmap, %esi
	mov	48(%ebp), %eax
	call	field
	mov	$s_length, %esi
	mov	44(%ebp), %eax
	call	field
	call	newline
	/* entries: size (not counting itself), base, length, type */
	mov	48(%ebp), %ebx
	mov	%ebx, %edi
	add	44(%ebp), %edi
2:	cmp	%edi, %ebx
	jae	3f
	mov	$s_mmap_base, %esi
	mov	8(%ebx), %eax
	call	field
	mov	4(%ebx), %eax
	call	hex
	mov	$s_len, %esi
	mov	16(%ebx), %eax
	call	field
	mov	12(%ebx), %eax
	call	hex
	mov	$s_type, %esi
	mov	20(%ebx), %eax
	call	field
	call	newline
	mov	(%ebx), %eax
	lea	4(%ebx,%eax), %ebx
	jmp	2b
3:
	mov	$s_mods, %esi
	mov	24(%ebp), %eax
	call	field
	mov	$s_count, %esi
	mov	20(%ebp), %eax
	call	field
	call	newline
	mov	24(%ebp), %ebx
	mov	20(%ebp), %edi
4:	test	%edi, %edi
	jz	5f
	mov	$s_mod, %esi
	mov	0(%ebx), %eax
	call	field
	mov	$s_mod_end, %esi
	mov	4(%ebx), %eax
	call	field
	mov	$s_string, %esi
	mov	8(%ebx), %eax
	call	field
	mov	$s_first, %esi
	mov	0(%ebx), %eax
	mov	(%eax), %eax
	call	field
	call	newline
	add	$16, %ebx
	dec	%edi
	jmp	4b
5:
	mov	$s_loader, %esi
	mov	64(%ebp), %eax
	call	field
	mov	64(%ebp), %esi
	call	quoted
	call	newline

	/* The RSDP: "RSD PTR " on a 16-byte boundary in the BIOS area. */
	mov	$0xe0000, %ebx
6:	cmpl	$0x20445352, (%ebx)
	jne	7f
	cmpl	$0x20525450, 4(%ebx)
	je	8f
7:	add	$16, %ebx
	cmp	$0x100000, %ebx
	jb	6b
	xor	%ebx, %ebx
8:	mov	$s_rsdp, %esi
	mov	%ebx, %eax
	call	field
	call	newline

	mov	$s_done, %esi
	call	puts
	mov	$3, %eax
	out	%eax, $0xf4
fail:
	mov	$9, %eax
	out	%eax, $0xf4
	cli
9:	hlt
	jmp	9b

/* puts: the NUL-terminated string at %esi */
puts:
	push	%eax
	push	%edx
	mov	$0x3f8, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	pop	%edx
	pop	%eax
	ret

/* field: the label at %esi, then %eax in hex */
field:
	call	puts
	/* fall through */
/* hex: %eax as 8 hex digits */
hex:
	push	%eax
	push	%ecx
	push	%edx
	mov	%eax, %edx
	mov	$8, %ecx
1:	rol	$4, %edx
	mov	%edx, %eax
	and	$0xf, %eax
	mov	digits(%eax), %al
	push	%edx
	mov	$0x3f8, %dx
	out	%al, %dx
	pop	%edx
	loop	1b
	pop	%edx
	pop	%ecx
	pop	%eax
	ret

/* quoted: a space, ' then the string at %esi (at most 200 bytes) then ' */
quoted:
	push	%eax
	push	%ecx
	push	%edx
	mov	$0x3f8, %dx
	mov	$0x20, %al
	out	%al, %dx
	mov	$0x27, %al
	out	%al, %dx
	mov	$200, %ecx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	loop	1b
2:	mov	$0x27, %al
	out	%al, %dx
	pop	%edx
	pop	%ecx
	pop	%eax
	ret

newline:
	push	%eax
	push	%edx
	mov	$0x3f8, %dx
	mov	$0x0a, %al
	out	%al, %dx
	pop	%edx
	pop	%eax
	ret

digits:		.ascii	"0123456789abcdef"
s_image:	.asciz	"image="
s_end:		.asciz	" end="
s_mbi:		.asciz	"mbi="
s_flags:	.asciz	" flags="
s_lower:	.asciz	" mem_lower="
s_upper:	.asciz	" mem_upper="
s_cmdline:	.asciz	"cmdline="
s_mmap:		.asciz	"mmap="
s_length:	.asciz	" length="
s_mmap_base:	.asciz	"mmap: base="
s_len:		.asciz	" len="
s_type:		.asciz	" type="
s_mods:		.asciz	"mods="
s_count:	.asciz	" count="
s_mod:		.asciz	"mod: start="
s_mod_end:	.asciz	" end="
s_string:	.asciz	" string="
s_first:	.asciz	" first="
s_loader:	.asciz	"loader="
s_rsdp:		.asciz	"rsdp="
s_done:		.asciz	"boot report done\n"

	.section .bss
	.align 16
bss_start:
	.fill	8192, 1, 0
stack_top:
bss_end:
