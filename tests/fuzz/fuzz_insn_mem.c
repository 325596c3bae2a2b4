// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile instruction bytes through the 0F AE memory-operand decoder.
 *
 * Input: a 9-byte header, then the instruction bytes, passed at the very
 * end of libFuzzer's buffer so that ASan catches any read past them.
 *   0      mode bits for insn_mem_cpu_init: CR0.PE, EFER.LMA, CS.L, CS.D,
 *          RFLAGS.VM (bit 0 upwards); bit 5: DS base 0x1000 and small
 *          limit (not flat); bit 6: CS execute-only
 *   1-8    seed for the register and FS/GS base values
 *
 * Besides "no crash", a decoded instruction must be self-consistent: its
 * length is at most the bytes given and at most 15, it decodes the same
 * from exactly its own bytes and whatever follows, one byte less is
 * truncated, and 32-bit addressing stays below 4 GiB.
 *
 * And it agrees with a real decoder: whatever insn_mem decodes, Zydis
 * decodes as the same 0F AE /reg memory form with the same length and
 * REX.W; whatever Zydis decodes as a 0F AE memory form without the
 * prefixes insn_mem refuses, insn_mem decodes, with Zydis's length.
 * The same both ways for the 66-prefixed forms: CLWB and CLFLUSHOPT
 * (66 0f ae /6, /7) and INVPCID (66 0f 38 82).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "arch/x86/insn_mem.h"

#define HDR 9

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void same(const struct insn_mem *a, const struct insn_mem *b)
{
	if (a->len != b->len || a->reg != b->reg || a->seg != b->seg ||
	    a->offset != b->offset || a->linear != b->linear ||
	    a->rex_w != b->rex_w)
		__builtin_trap();
}

static bool zydis_decode(enum insn_mem_mode mode, const uint8_t *code,
			 size_t len, ZydisDecodedInstruction *insn)
{
	ZydisDecoder d;

	if (mode == INSN_MEM_MODE_64)
		ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64,
				 ZYDIS_STACK_WIDTH_64);
	else
		ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32,
				 ZYDIS_STACK_WIDTH_32);
	return ZYAN_SUCCESS(
		ZydisDecoderDecodeInstruction(&d, NULL, code, len, insn));
}

/* No prefix insn_mem refuses (0x66 allowed where the form wants it). */
static bool prefixes_decodable(enum insn_mem_mode mode,
			       const ZydisDecodedInstruction *insn,
			       bool allow_66)
{
	uint8_t seg = 0;
	int i;

	for (i = 0; i < insn->raw.prefix_count; i++) {
		uint8_t p = insn->raw.prefixes[i].value;

		if (p == 0x66 && allow_66)
			continue;
		if (p == 0x66 || p == 0xf2 || p == 0xf3 || p == 0xf0)
			return false;
		if (p == 0x67 && mode == INSN_MEM_MODE_32)
			return false;
		if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e ||
		    p == 0x64 || p == 0x65) {
			if (seg && seg != p)
				return false;
			seg = p;
		}
	}
	return true;
}

/* A 0F AE memory form with none of the prefixes insn_mem refuses. */
static bool zydis_says_decodable(enum insn_mem_mode mode,
				 const ZydisDecodedInstruction *insn)
{
	if (insn->opcode_map != ZYDIS_OPCODE_MAP_0F || insn->opcode != 0xae ||
	    insn->raw.modrm.mod == 3)
		return false;
	return prefixes_decodable(mode, insn, false);
}

/*
 * The 66 forms: what insn_mem decodes (reg 6/7 for 0f ae) Zydis calls the
 * same instruction with the same length, and what Zydis calls CLWB,
 * CLFLUSHOPT or INVPCID with a memory operand and no refused prefix,
 * insn_mem decodes.
 */
static void cross_check_66(const struct insn_mem_cpu *cpu, const uint8_t *code,
			   size_t len)
{
	ZydisDecodedInstruction insn;
	bool zok = zydis_decode(cpu->mode, code, len, &insn);
	struct insn_mem m;
	enum insn_mem_status st;
	bool zmem = zok && insn.raw.modrm.mod != 3 &&
		    prefixes_decodable(cpu->mode, &insn, true);

	st = insn_mem_decode_form(cpu, &insn_mem_66_0fae, code, len, &m);
	if (st == INSN_MEM_OK && (m.reg == 6 || m.reg == 7)) {
		if (!zok || insn.length != m.len ||
		    insn.mnemonic != (m.reg == 6 ? ZYDIS_MNEMONIC_CLWB :
						   ZYDIS_MNEMONIC_CLFLUSHOPT))
			__builtin_trap();
	} else if (zmem && (insn.mnemonic == ZYDIS_MNEMONIC_CLWB ||
			    insn.mnemonic == ZYDIS_MNEMONIC_CLFLUSHOPT)) {
		__builtin_trap();
	}
	if (st == INSN_MEM_OK && (m.len > len || m.len > INSN_MEM_MAX_LEN))
		__builtin_trap();

	st = insn_mem_decode_form(cpu, &insn_mem_66_0f3882, code, len, &m);
	if (st == INSN_MEM_OK) {
		if (!zok || insn.length != m.len ||
		    insn.mnemonic != ZYDIS_MNEMONIC_INVPCID || m.reg_rex > 15 ||
		    (cpu->mode == INSN_MEM_MODE_32 && m.reg_rex > 7))
			__builtin_trap();
	} else if (zmem && insn.mnemonic == ZYDIS_MNEMONIC_INVPCID) {
		__builtin_trap();
	}
}

static void cross_check(const struct insn_mem_cpu *cpu, const uint8_t *code,
			size_t len, enum insn_mem_status st,
			const struct insn_mem *m)
{
	ZydisDecodedInstruction insn;
	bool zok = zydis_decode(cpu->mode, code, len, &insn);

	if (st == INSN_MEM_OK) {
		if (!zok || insn.length != m->len ||
		    insn.opcode_map != ZYDIS_OPCODE_MAP_0F ||
		    insn.opcode != 0xae || insn.raw.modrm.mod == 3 ||
		    insn.raw.modrm.reg != m->reg ||
		    !!insn.raw.rex.W != m->rex_w)
			__builtin_trap();
		return;
	}
	if (zok && zydis_says_decodable(cpu->mode, &insn))
		__builtin_trap();
}

static void setup_cpu(uint8_t flags, uint64_t seed, struct kvm_regs *regs,
		      struct kvm_sregs *sregs)
{
	uint64_t v = seed, vals[sizeof(*regs) / 8];
	size_t i;

	/* A cheap xorshift fills the registers from the seed. */
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		v ^= v << 13;
		v ^= v >> 7;
		v ^= v << 17;
		vals[i] = v;
	}
	memcpy(regs, vals, sizeof(*regs));
	memset(sregs, 0, sizeof(*sregs));
	regs->rflags = 2 | (flags & 0x10 ? 1ULL << 17 : 0);
	sregs->cr0 = flags & 1 ? 0x80000011ULL : 0x10;
	sregs->efer = flags & 2 ? 0x500 : 0;
	sregs->cs.l = !!(flags & 4);
	sregs->cs.db = !!(flags & 8);
	sregs->cs.type = flags & 0x40 ? 9 : 0xb;
	sregs->cs.present = sregs->cs.s = 1;
	sregs->cs.limit = 0xffffffff;
	sregs->ds = sregs->es = sregs->ss = sregs->fs = sregs->gs = sregs->cs;
	sregs->ds.type = sregs->es.type = sregs->ss.type = 3;
	sregs->fs.type = sregs->gs.type = 3;
	sregs->fs.base = seed * 0x9e3779b97f4a7c15ULL;
	sregs->gs.base = ~seed;
	if (flags & 0x20) {
		sregs->ds.base = 0x1000;
		sregs->ds.limit = 0xffff;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct insn_mem_cpu cpu;
	struct insn_mem m, again;
	enum insn_mem_status st;
	bool long64, usable;
	const uint8_t *code;
	size_t len;
	uint8_t *copy, f;

	if (size < HDR)
		return 0;
	setup_cpu(data[0], le64(data + 1), &regs, &sregs);
	/* 64-bit code needs LMA, L and not D; 32-bit code D; both PE, no VM */
	f = data[0];
	long64 = (f & 2) && (f & 4);
	usable = (f & 1) && !(f & 0x10) && (long64 ? !(f & 8) : (f & 8));
	if ((insn_mem_cpu_init(&cpu, &regs, &sregs) == 0) != usable)
		__builtin_trap();
	if (usable &&
	    cpu.mode != (long64 ? INSN_MEM_MODE_64 : INSN_MEM_MODE_32))
		__builtin_trap();
	if (!usable) {
		/* Still decode, in whichever mode the seed picks. */
		memset(&cpu, 0, sizeof(cpu));
		cpu.mode = data[1] & 1 ? INSN_MEM_MODE_32 : INSN_MEM_MODE_64;
	}
	code = data + HDR;
	len = size - HDR;

	cross_check_66(&cpu, code, len);
	st = insn_mem_decode(&cpu, code, len, &m);
	if (!insn_mem_status_name(st))
		__builtin_trap();
	cross_check(&cpu, code, len, st, &m);
	if (st != INSN_MEM_OK)
		return 0;

	if (m.len < 3 || m.len > len || m.len > INSN_MEM_MAX_LEN || m.reg > 7 ||
	    m.seg >= INSN_SEG_COUNT)
		__builtin_trap();
	if (cpu.mode == INSN_MEM_MODE_32 &&
	    (m.linear > 0xffffffffULL || m.offset > 0xffffffffULL))
		__builtin_trap();
	if (cpu.mode == INSN_MEM_MODE_64 && m.seg != INSN_SEG_FS &&
	    m.seg != INSN_SEG_GS && m.linear != m.offset)
		__builtin_trap();
	insn_mem_segment_ok(&cpu, &m, 4, data[2] & 1);
	insn_mem_segment_ok(&cpu, &m, 1 + data[3] % 16, data[2] & 2);

	/* Exactly its own bytes, in a buffer of that size. */
	copy = malloc(m.len + 16);
	if (!copy)
		abort();
	memcpy(copy + 16, code, m.len);
	if (insn_mem_decode(&cpu, copy + 16, m.len, &again) != INSN_MEM_OK)
		__builtin_trap();
	same(&m, &again);
	if (insn_mem_decode(&cpu, copy + 16, m.len - 1, &again) !=
	    INSN_MEM_TRUNCATED)
		__builtin_trap();
	free(copy);

	/* Whatever follows does not matter. */
	copy = malloc(INSN_MEM_MAX_LEN + 1);
	if (!copy)
		abort();
	memcpy(copy, code, m.len);
	memset(copy + m.len, data[4], INSN_MEM_MAX_LEN + 1 - m.len);
	if (insn_mem_decode(&cpu, copy, INSN_MEM_MAX_LEN + 1, &again) !=
	    INSN_MEM_OK)
		__builtin_trap();
	same(&m, &again);
	free(copy);
	return 0;
}
