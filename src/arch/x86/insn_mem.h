/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory-operand decoder for the 0F AE group (LDMXCSR, STMXCSR, ...), its
 * 66-prefixed forms (CLWB, CLFLUSHOPT) and 66 0F 38 82 (INVPCID), for
 * the emulator fallbacks in fallback*.c. Pure: it sees instruction bytes and
 * a copy of the registers, never the vCPU or guest RAM, so it can be
 * tested and fuzzed on its own.
 *
 * The instruction bytes come from the guest and are hostile: the decoder
 * never reads past len, never reports a length above len or above the
 * architectural 15 bytes, and refuses whatever it does not decode exactly
 * rather than guessing:
 *
 *   - modes: 64-bit long mode (EFER.LMA, CS.L) and 32-bit code (CS.D in
 *     protected or compatibility mode); real, virtual-8086 and 16-bit code
 *     are refused;
 *   - prefixes: segment overrides, 0x67 and, in 64-bit mode, REX (which
 *     only counts right before the opcode); 0x66, 0xF2, 0xF3 select other
 *     instructions and LOCK makes these #UD, so all four are refused,
 *     except 0x66 where the form asks for it as its mandatory prefix (and
 *     then it must be there); also refused: 0x67 in 32-bit code (16-bit
 *     addressing) and two different segment overrides (the SDM leaves that
 *     undefined);
 *   - only the form's opcode with a memory operand (ModRM.mod != 3).
 *
 * Segmentation: in 64-bit mode only an FS or GS override adds a base
 * (CS, DS, ES and SS are treated as zero-based); in 32-bit code the base of
 * the effective segment (DS, or SS for an ESP/EBP base, or the override)
 * is added modulo 2^32. Limits and segment types are not the decoder's
 * business: insn_mem_segment_ok checks them.
 */
#ifndef KVMSCOPE_VMM_INSN_MEM_H
#define KVMSCOPE_VMM_INSN_MEM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSN_MEM_MAX_LEN 15 /* longer encodings raise #GP */

enum insn_mem_mode {
	INSN_MEM_MODE_64, /* 64-bit long mode */
	INSN_MEM_MODE_32, /* 32-bit protected or compatibility mode */
};

/* Segment registers in their 3-bit encoding order (ModRM.reg of MOV Sreg). */
enum insn_mem_seg {
	INSN_SEG_ES,
	INSN_SEG_CS,
	INSN_SEG_SS,
	INSN_SEG_DS,
	INSN_SEG_FS,
	INSN_SEG_GS,
	INSN_SEG_COUNT,
};

/* The register state an address computation can depend on. */
struct insn_mem_cpu {
	enum insn_mem_mode mode;
	uint64_t rip; /* offset of the instruction in CS */
	/* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15: encoding order */
	uint64_t gpr[16];
	struct kvm_segment seg[INSN_SEG_COUNT];
};

/* What a successful decode found. */
struct insn_mem {
	unsigned int len; /* instruction length, <= the bytes given */
	unsigned int reg; /* ModRM.reg: the /digit, 0..7 (REX.R ignored) */
	unsigned int reg_rex; /* ModRM.reg with REX.R: a register, 0..15 */
	enum insn_mem_seg seg; /* effective segment */
	uint64_t offset; /* effective address, before the segment base */
	uint64_t linear; /* linear address of the operand */
	bool rex_w; /* REX.W, which tells fxsave from fxsave64 */
};

enum insn_mem_status {
	INSN_MEM_OK,
	INSN_MEM_TRUNCATED, /* the encoding needs more bytes than given */
	/* needs more than 15 bytes (#GP on hardware), known as soon as the
	   bytes given show it, even if fewer were given */
	INSN_MEM_TOO_LONG,
	INSN_MEM_BAD_PREFIX, /* 66, F2, F3, LOCK, 67 in 32-bit code, or two
				different segment overrides */
	INSN_MEM_OTHER_INSN, /* another opcode, or the mandatory prefix
				  is missing */
	INSN_MEM_REGISTER_FORM, /* mod == 3: no memory operand */
	INSN_MEM_BAD_MODE, /* cpu->mode is not one the decoder knows */
};

/* "ok", "truncated", ... for diagnostics and tests. */
const char *insn_mem_status_name(enum insn_mem_status status);

/*
 * Fill cpu from KVM's registers. Returns 0, or -EINVAL for a mode the
 * decoder does not handle (real mode, virtual-8086, 16-bit code segments,
 * CS.L without EFER.LMA).
 */
int insn_mem_cpu_init(struct insn_mem_cpu *cpu, const struct kvm_regs *regs,
		      const struct kvm_sregs *sregs);

/* An instruction the decoder knows: mandatory prefix and opcode bytes. */
struct insn_mem_form {
	uint8_t prefix; /* 0: none allowed; 0x66: required */
	uint8_t opcode_len; /* 2 or 3 */
	uint8_t opcode[3];
};

/* 0f ae /r (fxsave ... clflush), 66 0f ae /r (clwb, clflushopt), 66 0f
   38 82 /r (invpcid) */
extern const struct insn_mem_form insn_mem_0fae, insn_mem_66_0fae,
	insn_mem_66_0f3882;

/*
 * Decode one instruction of the given form with a memory operand from
 * code[0..len). out is filled only on INSN_MEM_OK.
 */
enum insn_mem_status insn_mem_decode_form(const struct insn_mem_cpu *cpu,
					  const struct insn_mem_form *form,
					  const uint8_t *code, size_t len,
					  struct insn_mem *out);

/* The same for the plain 0F AE form. */
enum insn_mem_status insn_mem_decode(const struct insn_mem_cpu *cpu,
				     const uint8_t *code, size_t len,
				     struct insn_mem *out);

/*
 * Would a size-byte data access to the decoded operand pass segmentation?
 * 64-bit mode: always (the canonical check belongs to the page walk). In
 * 32-bit code only a flat segment is accepted: usable, base 0, limit
 * 0xffffffff, expand-up, and readable (or, for write, a writable data
 * segment), with the whole access inside the limit. False means hardware
 * might fault (#GP/#SS) or the segment is not one we model.
 */
bool insn_mem_segment_ok(const struct insn_mem_cpu *cpu,
			 const struct insn_mem *m, unsigned int size,
			 bool write);

#endif
