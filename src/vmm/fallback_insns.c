// SPDX-License-Identifier: GPL-2.0
/*
 * Fallbacks for instructions whose result follows from CPUID and control
 * registers (all at CPL 0: CPL 3 code runs natively):
 *
 *   stac (0f 01 cb), clac (0f 01 ca)  set / clear RFLAGS.AC; #UD when the
 *                guest's CPUID has no SMAP (leaf 7 EBX bit 20).
 *   xgetbv (0f 01 d0)  #UD when CR4.OSXSAVE is clear; ECX 0: XCR0 from
 *                KVM_GET_XCRS into EDX:EAX (upper halves cleared); any
 *                other index #GP(0), except 1 with XGETBV_ECX_1 in CPUID
 *                (XINUSE is not visible to kvmscope: declined).
 *   #UD for instructions the guest's CPUID does not offer or that have no
 *   such form: movbe (0f 38 f0/f1) in its register form (always #UD) or
 *   without CPUID.1:ECX.MOVBE; rdpru (0f 01 fd) without CPUID
 *   0x80000008:EBX.RDPRU. With the bit present these are declined: the
 *   guest stops with the diagnostic rather than a guessed result.
 *   (clwb, clflushopt and invpcid: fallback_cacheline.c.)
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "vmm/fallback.h"
#include "vmm/vcpu.h"

#define X86_RFLAGS_AC (1ULL << 18)
#define X86_CR4_OSXSAVE (1ULL << 18)
#define X86_VEC_UD 6
#define X86_VEC_GP 13

enum { EAX, EBX, ECX, EDX };

/* Only the bare encodings: prefixes change these opcodes' meaning. */
static bool is_0f01(const struct fallback_ctx *c, uint8_t modrm)
{
	return c->len >= 3 && c->code[0] == 0x0f && c->code[1] == 0x01 &&
	       c->code[2] == modrm;
}

static bool complete_smap(struct fallback_ctx *c)
{
	bool stac = is_0f01(c, 0xcb);

	if ((!stac && !is_0f01(c, 0xca)) || c->cpl != 0)
		return false;
	if (!fallback_cpuid_bit(c, 7, 0, EBX, 20)) {
		if (fallback_raise(c, X86_VEC_UD))
			return false;
		fallback_log(c, stac ? "stac" : "clac",
			     "SMAP is not in the guest's CPUID: delivered #UD");
		return true;
	}
	if (stac)
		c->regs.rflags |= X86_RFLAGS_AC;
	else
		c->regs.rflags &= ~X86_RFLAGS_AC;
	if (fallback_skip(c, 3))
		return false;
	fallback_log(c, stac ? "stac" : "clac",
		     stac ? "set RFLAGS.AC" : "cleared RFLAGS.AC");
	return true;
}

const struct fallback_row fallback_smap_row = { "stac/clac", complete_smap };

static bool complete_xgetbv(struct fallback_ctx *c)
{
	uint32_t index = (uint32_t)c->regs.rcx;
	struct kvm_xcrs xcrs;
	uint64_t value = 0;
	bool found = false;
	uint32_t i;

	if (!is_0f01(c, 0xd0) || c->cpl != 0)
		return false;
	if (!(c->sregs.cr4 & X86_CR4_OSXSAVE)) {
		if (fallback_raise(c, X86_VEC_UD))
			return false;
		fallback_log(c, "xgetbv", "CR4.OSXSAVE clear: delivered #UD");
		return true;
	}
	if (index == 1 && fallback_cpuid_bit(c, 0xd, 1, EAX, 2))
		return fallback_decline(
			c, "xgetbv",
			"XINUSE (ECX 1) is not visible through KVM's interface");
	if (index != 0) {
		if (fallback_raise_code(c, X86_VEC_GP, 0))
			return false;
		fallback_log(
			c, "xgetbv",
			"no such extended control register: delivered #GP(0)");
		return true;
	}
	if (ioctl(c->vcpu->fd, KVM_GET_XCRS, &xcrs) < 0)
		return fallback_decline(c, "xgetbv", "KVM_GET_XCRS failed");
	for (i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (xcrs.xcrs[i].xcr == 0) {
			value = xcrs.xcrs[i].value;
			found = true;
		}
	if (!found)
		return fallback_decline(c, "xgetbv", "KVM reports no XCR0");
	c->regs.rax = (uint32_t)value;
	c->regs.rdx = value >> 32;
	if (fallback_skip(c, 3))
		return false;
	fallback_log(c, "xgetbv", "read XCR0 (KVM_GET_XCRS) into EDX:EAX");
	return true;
}

const struct fallback_row fallback_xgetbv_row = { "xgetbv", complete_xgetbv };

/* #UD, logged with why; declined when the CPUID bit says it exists. */
static bool raise_ud(struct fallback_ctx *c, const char *name, const char *why)
{
	if (fallback_raise(c, X86_VEC_UD))
		return false;
	fallback_log(c, name, why);
	return true;
}

static bool complete_hidden(struct fallback_ctx *c)
{
	const uint8_t *b = c->code;

	if (c->cpl != 0)
		return false;
	if (c->len >= 4 && b[0] == 0x0f && b[1] == 0x38 &&
	    (b[2] == 0xf0 || b[2] == 0xf1)) {
		if ((b[3] >> 6) == 3)
			return raise_ud(
				c, "movbe",
				"the register form does not exist: delivered #UD");
		if (!fallback_cpuid_bit(c, 1, 0, ECX, 22))
			return raise_ud(
				c, "movbe",
				"MOVBE is not in the guest's CPUID: delivered #UD");
		return fallback_decline(c, "movbe",
					"the memory form is not completed");
	}
	if (is_0f01(c, 0xfd)) {
		if (!fallback_cpuid_bit(c, 0x80000008, 0, EBX, 4))
			return raise_ud(
				c, "rdpru",
				"RDPRU is not in the guest's CPUID: delivered #UD");
		return fallback_decline(c, "rdpru", "not completed");
	}
	return false;
}

const struct fallback_row fallback_hidden_row = { "hidden by CPUID",
						  complete_hidden };
