/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the emulator fallbacks (fallback*.c): one row per instruction
 * family that kvmscope completes when the host's KVM could not emulate it.
 * fallback.c reads the vCPU state and the bytes at RIP once, then asks
 * each row in turn; adding an instruction is a row plus its test-kernel
 * scenario.
 */
#ifndef KVMSCOPE_VMM_FALLBACK_H
#define KVMSCOPE_VMM_FALLBACK_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/disasm.h"
#include "arch/x86/insn_mem.h"

struct vcpu;
struct paging_ctx;

/* What every row sees: read once per emulation failure. */
struct fallback_ctx {
	struct vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t rip_at_entry; /* RIP of the instruction */
	uint8_t code[INSN_MEM_MAX_LEN];
	int len; /* bytes read at RIP (fewer near an unmapped page) */
	enum x86_code_mode mode;
	int cpl;
	char insn[96]; /* the disassembly, for logs */
};

struct fallback_row {
	const char *name;
	/*
	 * Complete the instruction at RIP exactly as hardware would, or
	 * return false to leave it to the emulation-failure diagnostic (a
	 * row that does not recognise the bytes returns false at once).
	 */
	bool (*complete)(struct fallback_ctx *c);
};

extern const struct fallback_row fallback_int3_row, fallback_intn_row,
	fallback_into_row, fallback_int1_row, fallback_fwait_row,
	fallback_mxcsr_row, fallback_smap_row, fallback_xgetbv_row,
	fallback_hidden_row, fallback_cacheline_row, fallback_invpcid_row;

/* Log a completion, once per RIP: what the fallback did. */
void fallback_log(struct fallback_ctx *c, const char *fallback,
		  const char *what);
/* Log why a row leaves the instruction to the diagnostic; false. */
bool __attribute__((format(printf, 3, 4)))
fallback_decline(struct fallback_ctx *c, const char *fallback, const char *fmt,
		 ...);
/* RIP past the instruction's len bytes (wrapping as the mode does). */
int fallback_skip(struct fallback_ctx *c, unsigned int len);
/*
 * Deliver exception vector at the current RIP (a fault: RIP stays on the
 * instruction), or after fallback_skip (a trap). 0 or -errno.
 */
int fallback_raise(struct fallback_ctx *c, unsigned int vector);
/* The same with an error code (#GP(0) ...). */
int fallback_raise_code(struct fallback_ctx *c, unsigned int vector,
			uint32_t error_code);
/*
 * Whether the CPUID the guest sees (KVM_GET_CPUID2) sets register reg
 * (0 EAX .. 3 EDX) bit of leaf fn/index; false when the leaf is absent.
 */
bool fallback_cpuid_bit(struct fallback_ctx *c, uint32_t fn, uint32_t index,
			int reg, int bit);

/* Part of a memory operand that lies in one page (fallback_mem.c). */
struct fallback_piece {
	uint64_t gpa;
	unsigned int len;
};

/*
 * Translate the size-byte operand at linear, page by page, checking each
 * page as hardware would for a data access at this CPL, and set the
 * Accessed (and for a write, Dirty) bits. A failed walk or a denied access
 * would be a #PF on hardware: it is not delivered (CR2, error code and
 * priority are not worth guessing for code that never faults there), so
 * the caller declines. Returns the number of pieces (1 or 2), or 0 with
 * why filled.
 */
int fallback_translate_operand(struct vcpu *vcpu, const struct paging_ctx *pc,
			       int cpl, uint64_t rflags, uint64_t linear,
			       unsigned int size, bool write,
			       struct fallback_piece piece[2], char *why,
			       size_t why_size);

#endif
