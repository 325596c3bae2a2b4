// SPDX-License-Identifier: GPL-2.0
/* Zydis behind one function, so the rest of kvmscope sees text only. */
#include "arch/x86/disasm.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#define RFLAGS_VM (1ULL << 17)
#define EFER_LMA (1ULL << 10)
#define CR0_PE 1ULL

enum x86_code_mode x86_code_mode(const struct kvm_sregs *sregs,
				 uint64_t rflags)
{
	if (!(sregs->cr0 & CR0_PE) || (rflags & RFLAGS_VM))
		return X86_CODE_16;
	if ((sregs->efer & EFER_LMA) && sregs->cs.l)
		return X86_CODE_64;
	return sregs->cs.db ? X86_CODE_32 : X86_CODE_16;
}

const char *x86_code_mode_name(enum x86_code_mode mode)
{
	switch (mode) {
	case X86_CODE_16:
		return "16-bit";
	case X86_CODE_32:
		return "32-bit";
	case X86_CODE_64:
		return "64-bit";
	}
	return "?";
}

static void zydis_mode(enum x86_code_mode mode, ZydisMachineMode *machine,
		       ZydisStackWidth *stack)
{
	switch (mode) {
	case X86_CODE_16:
		*machine = ZYDIS_MACHINE_MODE_LEGACY_16;
		*stack = ZYDIS_STACK_WIDTH_16;
		return;
	case X86_CODE_32:
		*machine = ZYDIS_MACHINE_MODE_LEGACY_32;
		*stack = ZYDIS_STACK_WIDTH_32;
		return;
	case X86_CODE_64:
		break;
	}
	*machine = ZYDIS_MACHINE_MODE_LONG_64;
	*stack = ZYDIS_STACK_WIDTH_64;
}

/* Lower-case, unpadded hex, as kvmscope prints addresses everywhere. */
static bool formatter_init(ZydisFormatter *f)
{
	return ZYAN_SUCCESS(ZydisFormatterInit(f, ZYDIS_FORMATTER_STYLE_INTEL)) &&
	       ZYAN_SUCCESS(ZydisFormatterSetProperty(
		       f, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE)) &&
	       ZYAN_SUCCESS(ZydisFormatterSetProperty(
		       f, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE,
		       ZYDIS_PADDING_DISABLED)) &&
	       ZYAN_SUCCESS(ZydisFormatterSetProperty(
		       f, ZYDIS_FORMATTER_PROP_DISP_PADDING,
		       ZYDIS_PADDING_DISABLED)) &&
	       ZYAN_SUCCESS(ZydisFormatterSetProperty(
		       f, ZYDIS_FORMATTER_PROP_IMM_PADDING,
		       ZYDIS_PADDING_DISABLED));
}

int x86_disasm(enum x86_code_mode mode, uint64_t rip, const uint8_t *code,
	       size_t len, char *text, size_t size)
{
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction insn;
	ZydisMachineMode machine;
	ZydisFormatter formatter;
	ZydisDecoder decoder;
	ZydisStackWidth stack;
	char buf[256];
	size_t n;

	if (!size)
		return -ENOSPC;
	text[0] = '\0';
	zydis_mode(mode, &machine, &stack);
	if (!len || !ZYAN_SUCCESS(ZydisDecoderInit(&decoder, machine, stack)) ||
	    !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code, len, &insn,
						 ops)) ||
	    !formatter_init(&formatter) ||
	    !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(
		    &formatter, &insn, ops, insn.operand_count_visible, buf,
		    sizeof(buf), rip, NULL))) {
		snprintf(text, size, "(bad)");
		return -EINVAL;
	}
	n = strlen(buf);
	if (n >= size)
		return -ENOSPC;
	memcpy(text, buf, n + 1);
	return insn.length;
}
