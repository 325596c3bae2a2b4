// SPDX-License-Identifier: GPL-2.0
/*
 * Memory-operand decoder for 0F AE and its relatives; see insn_mem.h. The addressing rules
 * are those of the Intel SDM vol. 2 chapter 2 (ModRM/SIB tables 2-2, 2-3,
 * REX in 2.2.1, RIP-relative in 2.2.1.6) and vol. 3 chapter 3 for the
 * segment that applies.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86/insn_mem.h"

#define X86_CR0_PE (1ULL << 0)
#define X86_RFLAGS_VM (1ULL << 17)
#define X86_EFER_LMA (1ULL << 10)

#define REX_B 0x1
#define REX_X 0x2
#define REX_R 0x4
#define REX_W 0x8

const struct insn_mem_form insn_mem_0fae = { 0, 2, { 0x0f, 0xae } };
const struct insn_mem_form insn_mem_66_0fae = { 0x66, 2, { 0x0f, 0xae } };
const struct insn_mem_form insn_mem_66_0f3882 = { 0x66,
						  3,
						  { 0x0f, 0x38, 0x82 } };

#define REG_RSP 4
#define REG_RBP 5

const char *insn_mem_status_name(enum insn_mem_status status)
{
	switch (status) {
	case INSN_MEM_OK:
		return "ok";
	case INSN_MEM_TRUNCATED:
		return "truncated";
	case INSN_MEM_TOO_LONG:
		return "longer than 15 bytes";
	case INSN_MEM_BAD_PREFIX:
		return "unsupported prefix";
	case INSN_MEM_OTHER_INSN:
		return "another instruction";
	case INSN_MEM_REGISTER_FORM:
		return "register operand";
	case INSN_MEM_BAD_MODE:
		return "unsupported cpu mode";
	}
	return "?";
}

int insn_mem_cpu_init(struct insn_mem_cpu *cpu, const struct kvm_regs *regs,
		      const struct kvm_sregs *sregs)
{
	memset(cpu, 0, sizeof(*cpu));
	if (!(sregs->cr0 & X86_CR0_PE) || (regs->rflags & X86_RFLAGS_VM))
		return -EINVAL;
	/* Outside IA-32e mode CS.L means nothing; CS.D decides. */
	if ((sregs->efer & X86_EFER_LMA) && sregs->cs.l) {
		/* L=1 with D=1 is reserved: no CPU runs code like that. */
		if (sregs->cs.db)
			return -EINVAL;
		cpu->mode = INSN_MEM_MODE_64;
	} else if (sregs->cs.db) {
		cpu->mode = INSN_MEM_MODE_32;
	} else {
		return -EINVAL; /* 16-bit code: another ModRM table */
	}
	cpu->rip = regs->rip;
	cpu->gpr[0] = regs->rax;
	cpu->gpr[1] = regs->rcx;
	cpu->gpr[2] = regs->rdx;
	cpu->gpr[3] = regs->rbx;
	cpu->gpr[4] = regs->rsp;
	cpu->gpr[5] = regs->rbp;
	cpu->gpr[6] = regs->rsi;
	cpu->gpr[7] = regs->rdi;
	cpu->gpr[8] = regs->r8;
	cpu->gpr[9] = regs->r9;
	cpu->gpr[10] = regs->r10;
	cpu->gpr[11] = regs->r11;
	cpu->gpr[12] = regs->r12;
	cpu->gpr[13] = regs->r13;
	cpu->gpr[14] = regs->r14;
	cpu->gpr[15] = regs->r15;
	cpu->seg[INSN_SEG_ES] = sregs->es;
	cpu->seg[INSN_SEG_CS] = sregs->cs;
	cpu->seg[INSN_SEG_SS] = sregs->ss;
	cpu->seg[INSN_SEG_DS] = sregs->ds;
	cpu->seg[INSN_SEG_FS] = sregs->fs;
	cpu->seg[INSN_SEG_GS] = sregs->gs;
	return 0;
}

/* Segment-override prefix byte -> segment, or -1. */
static int seg_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
		return INSN_SEG_ES;
	case 0x2e:
		return INSN_SEG_CS;
	case 0x36:
		return INSN_SEG_SS;
	case 0x3e:
		return INSN_SEG_DS;
	case 0x64:
		return INSN_SEG_FS;
	case 0x65:
		return INSN_SEG_GS;
	}
	return -1;
}

/*
 * Byte i is about to be read: is it there? Past 15 bytes the CPU raises
 * #GP whatever follows, so that is checked first.
 */
static enum insn_mem_status need(size_t i, size_t len)
{
	if (i >= INSN_MEM_MAX_LEN)
		return INSN_MEM_TOO_LONG;
	if (i >= len)
		return INSN_MEM_TRUNCATED;
	return INSN_MEM_OK;
}

static int32_t le32s(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			 (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

enum insn_mem_status insn_mem_decode(const struct insn_mem_cpu *cpu,
				     const uint8_t *code, size_t len,
				     struct insn_mem *out)
{
	return insn_mem_decode_form(cpu, &insn_mem_0fae, code, len, out);
}

enum insn_mem_status insn_mem_decode_form(const struct insn_mem_cpu *cpu,
					  const struct insn_mem_form *form,
					  const uint8_t *code, size_t len,
					  struct insn_mem *out)
{
	bool has_66 = false;
	unsigned int op;
	bool mode64, addr32, rip_rel = false, has_base = false;
	unsigned int mod, reg, rm, base = 0, index = 0, scale = 0;
	bool has_index = false;
	enum insn_mem_status st;
	int seg_override = -1, seg;
	uint8_t rex = 0, modrm;
	uint64_t ea, mask;
	int64_t disp = 0;
	size_t i = 0, dlen = 0;

	if (cpu->mode == INSN_MEM_MODE_64)
		mode64 = true;
	else if (cpu->mode == INSN_MEM_MODE_32)
		mode64 = false;
	else
		return INSN_MEM_BAD_MODE;
	addr32 = !mode64;

	/* Legacy prefixes and REX, in any order; REX only counts last. */
	for (;; i++) {
		uint8_t b;

		st = need(i, len);
		if (st)
			return st;
		b = code[i];
		seg = seg_prefix(b);
		if (seg >= 0) {
			if (seg_override >= 0 && seg_override != seg)
				return INSN_MEM_BAD_PREFIX;
			seg_override = seg;
			rex = 0;
			continue;
		}
		if (b == 0x67) {
			/* In 32-bit code this selects 16-bit addressing. */
			if (!mode64)
				return INSN_MEM_BAD_PREFIX;
			addr32 = true;
			rex = 0;
			continue;
		}
		if (b == 0x66 && form->prefix == 0x66) {
			has_66 = true;
			rex = 0;
			continue;
		}
		if (b == 0x66 || b == 0xf2 || b == 0xf3 || b == 0xf0)
			return INSN_MEM_BAD_PREFIX;
		/* 40-4f are INC/DEC outside 64-bit mode. */
		if (mode64 && (b & 0xf0) == 0x40) {
			rex = b;
			continue;
		}
		break;
	}

	for (op = 0; op < form->opcode_len; op++) {
		if (op) {
			st = need(++i, len);
			if (st)
				return st;
		}
		if (code[i] != form->opcode[op])
			return INSN_MEM_OTHER_INSN;
	}
	if (form->prefix && !has_66)
		return INSN_MEM_OTHER_INSN;
	st = need(++i, len);
	if (st)
		return st;
	modrm = code[i++];
	mod = modrm >> 6;
	reg = (modrm >> 3) & 7;
	rm = modrm & 7;
	if (mod == 3)
		return INSN_MEM_REGISTER_FORM;

	if (rm == 4) {
		uint8_t sib;

		st = need(i, len);
		if (st)
			return st;
		sib = code[i++];
		scale = sib >> 6;
		index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
		/* Index 100b without REX.X means none; R12 is a real index. */
		has_index = index != REG_RSP;
		base = (sib & 7) | (rex & REX_B ? 8 : 0);
		/* Base 101b with mod 0 (whatever REX.B says): disp32 only. */
		if ((sib & 7) == 5 && mod == 0)
			dlen = 4;
		else
			has_base = true;
	} else if (rm == 5 && mod == 0) {
		/* RIP-relative in 64-bit mode, absolute disp32 otherwise. */
		rip_rel = mode64;
		dlen = 4;
	} else {
		base = rm | (rex & REX_B ? 8 : 0);
		has_base = true;
	}
	if (mod == 1)
		dlen = 1;
	else if (mod == 2)
		dlen = 4;

	if (dlen) {
		/* The last displacement byte decides; it also ends the insn. */
		st = need(i + dlen - 1, len);
		if (st)
			return st;
		disp = dlen == 1 ? (int8_t)code[i] : le32s(code + i);
		i += dlen;
	}

	ea = (uint64_t)disp;
	if (has_base)
		ea += cpu->gpr[base];
	if (has_index)
		ea += cpu->gpr[index] << scale;
	if (rip_rel)
		ea += cpu->rip + i;
	mask = addr32 ? 0xffffffffULL : ~0ULL;
	ea &= mask;

	/* ESP/EBP as base default to SS (in 64-bit mode only RSP/RBP). */
	if (seg_override >= 0)
		seg = seg_override;
	else if (has_base && (base == REG_RSP || base == REG_RBP))
		seg = INSN_SEG_SS;
	else
		seg = INSN_SEG_DS;

	memset(out, 0, sizeof(*out));
	out->len = (unsigned int)i;
	out->reg = reg;
	out->reg_rex = reg | (rex & REX_R ? 8 : 0);
	out->seg = (enum insn_mem_seg)seg;
	out->offset = ea;
	out->rex_w = rex & REX_W;
	if (mode64) {
		/* Only FS and GS still have a base in 64-bit mode. */
		out->linear = ea;
		if (seg == INSN_SEG_FS || seg == INSN_SEG_GS)
			out->linear += cpu->seg[seg].base;
	} else {
		out->linear = (ea + cpu->seg[seg].base) & 0xffffffffULL;
	}
	return INSN_MEM_OK;
}

bool insn_mem_segment_ok(const struct insn_mem_cpu *cpu,
			 const struct insn_mem *m, unsigned int size,
			 bool write)
{
	const struct kvm_segment *s;

	if (cpu->mode == INSN_MEM_MODE_64)
		return true;
	if (cpu->mode != INSN_MEM_MODE_32 || m->seg >= INSN_SEG_COUNT ||
	    size == 0 || size > 16)
		return false;
	s = &cpu->seg[m->seg];
	/* A null or not-present segment faults; a system one cannot be used. */
	if (s->unusable || !s->present || !s->s)
		return false;
	if (s->base != 0 || s->limit != 0xffffffffU)
		return false;
	if (s->type & 8) {
		/* Code: never writable, readable only with the R bit. */
		if (write || !(s->type & 2))
			return false;
	} else {
		/* Data: expand-down would invert the limit check. */
		if (s->type & 4)
			return false;
		if (write && !(s->type & 2))
			return false;
	}
	return m->offset <= 0xffffffffULL - (size - 1);
}
