/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The instruction at a vCPU's RIP, in Intel syntax, decoded by Zydis for
 * the mode the vCPU is in: what diagnostics, emulator-fallback logs and
 * the gdb monitor print next to the raw bytes. The bytes are the guest's
 * and hostile: Zydis never reads past len, and an undecodable sequence is
 * an error, not a guess.
 */
#ifndef KVMSCOPE_ARCH_X86_DISASM_H
#define KVMSCOPE_ARCH_X86_DISASM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

enum x86_code_mode {
	X86_CODE_16, /* real mode, virtual-8086, 16-bit protected mode */
	X86_CODE_32, /* 32-bit protected or compatibility mode */
	X86_CODE_64, /* 64-bit long mode */
};

/*
 * The mode code runs in, from CR0.PE, RFLAGS.VM, EFER.LMA, CS.L and CS.D
 * as the SDM defines it. rflags may be 0 when unknown.
 */
enum x86_code_mode x86_code_mode(const struct kvm_sregs *sregs,
				 uint64_t rflags);

/* "16-bit", "32-bit", "64-bit". */
const char *x86_code_mode_name(enum x86_code_mode mode);

/*
 * Disassemble the one instruction at code[0..len) located at address rip
 * (for relative targets) into text (NUL-terminated, e.g. "rdfsbase rax").
 * Returns its length in bytes (1..15), or -EINVAL when the bytes are not a
 * valid instruction in that mode or need more than len bytes (text then
 * says "(bad)"), -ENOSPC when text is too small.
 */
int x86_disasm(enum x86_code_mode mode, uint64_t rip, const uint8_t *code,
	       size_t len, char *text, size_t size);

#endif
