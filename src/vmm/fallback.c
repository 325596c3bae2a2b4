// SPDX-License-Identifier: GPL-2.0
/*
 * Emulator fallbacks: instructions some KVMs cannot emulate in guest kernel
 * mode (seen on kvm_pvm, where CPL0 code runs in the host's instruction
 * emulator) come back as KVM_EXIT_INTERNAL_ERROR / EMULATION. Where
 * kvmscope can complete the instruction exactly as hardware would, it does,
 * logs once per RIP and resumes the guest. On VMX/SVM hosts these
 * instructions never reach the emulator, so nothing here triggers.
 *
 * The rows (fallback_events.c: int3, int n, into, int1, fwait;
 * fallback_mxcsr.c: ldmxcsr, stmxcsr; fallback_insns.c: stac, clac,
 * xgetbv, and #UD for instructions whose CPUID bit the guest does not
 * see; fallback_cacheline.c: clwb, clflushopt, invpcid; their memory
 * operands go through fallback_mem.c) say what each completes and how.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/cpuid.h"
#include "util/log.h"
#include "vmm/diag.h"
#include "vmm/fallback.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

static const struct fallback_row *const fallback_rows[] = {
	&fallback_int3_row,	 &fallback_intn_row,	&fallback_into_row,
	&fallback_int1_row,	 &fallback_fwait_row,	&fallback_mxcsr_row,
	&fallback_smap_row,	 &fallback_xgetbv_row,	&fallback_hidden_row,
	&fallback_cacheline_row, &fallback_invpcid_row,
};

static bool already_logged(struct vcpu *vcpu, uint64_t rip)
{
	int i;

	for (i = 0; i < vcpu->nr_logged_rips; i++)
		if (vcpu->logged_rips[i] == rip)
			return true;
	if (vcpu->nr_logged_rips <
	    (int)(sizeof(vcpu->logged_rips) / sizeof(vcpu->logged_rips[0])))
		vcpu->logged_rips[vcpu->nr_logged_rips++] = rip;
	return false;
}

void fallback_log(struct fallback_ctx *c, const char *fallback,
		  const char *what)
{
	uint64_t rip = c->rip_at_entry;
	char sym[160];

	if (already_logged(c->vcpu, rip))
		return;
	diag_symbolize(rip, sym, sizeof(sym));
	log_warn(
		"vCPU %d: KVM could not emulate '%s' at RIP %llx%s; emulator fallback '%s': %s (logged once per RIP)",
		c->vcpu->id, c->insn, (unsigned long long)rip, sym, fallback,
		what);
}

bool fallback_decline(struct fallback_ctx *c, const char *fallback,
		      const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("vCPU %d: emulator fallback '%s' at RIP %llx declined: %s",
		 c->vcpu->id, fallback, (unsigned long long)c->rip_at_entry,
		 why);
	return false;
}

int fallback_skip(struct fallback_ctx *c, unsigned int len)
{
	c->regs.rip += len;
	if (c->mode != X86_CODE_64)
		c->regs.rip &= c->mode == X86_CODE_32 ? 0xffffffffULL :
							0xffffULL;
	if (ioctl(c->vcpu->fd, KVM_SET_REGS, &c->regs) < 0) {
		c->regs.rip = c->rip_at_entry;
		return -errno;
	}
	return 0;
}

int fallback_raise(struct fallback_ctx *c, unsigned int vector)
{
	return vcpu_inject_exception(c->vcpu, vector, false, 0);
}

int fallback_raise_code(struct fallback_ctx *c, unsigned int vector,
			uint32_t error_code)
{
	return vcpu_inject_exception(c->vcpu, vector, true, error_code);
}

bool fallback_cpuid_bit(struct fallback_ctx *c, uint32_t fn, uint32_t index,
			int reg, int bit)
{
	struct kvm_cpuid2 *cpuid = cpuid_get_vcpu(c->vcpu->fd);
	bool set = cpuid && cpuid_has_bit(cpuid, fn, index, reg, bit);

	free(cpuid);
	return set;
}

bool vcpu_try_emulation_fallback(struct vcpu *vcpu)
{
	struct fallback_ctx c = { .vcpu = vcpu };
	uint64_t gpa;
	char note[96];
	size_t i;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &c.regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &c.sregs) < 0)
		return false;
	c.rip_at_entry = c.regs.rip;
	/* As many bytes as one instruction may have; fewer near a hole. */
	c.len = vcpu_read_code(vcpu, &c.sregs, c.regs.rip, c.code,
			       sizeof(c.code), &gpa, note, sizeof(note));
	if (c.len < 1)
		return false;
	c.mode = x86_code_mode(&c.sregs, c.regs.rflags);
	/* The CPL is the RPL of CS (the DPL of SS in real mode is 0). */
	c.cpl = c.mode == X86_CODE_16 && !(c.sregs.cr0 & 1) ?
			0 :
			(c.sregs.cs.selector & 3);
	/* Logs name the instruction as the vCPU's mode decodes it. */
	x86_disasm(c.mode, c.regs.rip, c.code, (size_t)c.len, c.insn,
		   sizeof(c.insn));
	for (i = 0; i < sizeof(fallback_rows) / sizeof(fallback_rows[0]); i++)
		if (fallback_rows[i]->complete(&c))
			return true;
	return false;
}
