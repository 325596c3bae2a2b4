// SPDX-License-Identifier: GPL-2.0
/*
 * LDMXCSR m32 (0f ae /2) and STMXCSR m32 (0f ae /3): the operand is
 * decoded by insn_mem.c, translated with the page walker at the current
 * CPL (setting A/D bits: fallback_mem.c), and MXCSR moved between guest memory and the
 * vCPU's XSAVE image. Every case where hardware would raise an exception
 * (#UD, #NM, #GP, #PF, #AC, #DB) stops the VM instead of delivering it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/pagewalk.h"
#include "util/errmsg.h"
#include "vmm/fallback.h"
#include "vmm/memory.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_CR0_EM (1ULL << 2)
#define X86_CR0_TS (1ULL << 3)
#define X86_CR0_AM (1ULL << 18)
#define X86_CR4_OSFXSR (1ULL << 9)
#define X86_RFLAGS_TF (1ULL << 8)
#define X86_RFLAGS_AC (1ULL << 18)

/*
 * MXCSR in the XSAVE image KVM_GET_XSAVE returns: byte 24 of the legacy
 * area; XSTATE_BV at byte 512. struct kvm_fpu has an mxcsr field too, but
 * KVM_GET_FPU and KVM_SET_FPU never copy it (it reads back 0 whatever the
 * guest has), so it cannot be used.
 */
#define XSAVE_MXCSR 24
#define XSAVE_XSTATE_BV 512
#define XFEATURE_MASK_SSE (1ULL << 1)

/*
 * The MXCSR bits LDMXCSR may set: MXCSR_MASK as FXSAVE stores it, or
 * 0xffbf (no DAZ) when the CPU leaves it zero (SDM vol. 1, 11.6.6). Guest
 * SSE state lives in this same CPU (KVM loads it with XRSTOR/FXRSTOR), so
 * the host's mask is exactly what the guest's LDMXCSR is checked against.
 */
static uint32_t host_mxcsr_mask(void)
{
	uint8_t area[512] __attribute__((aligned(16)));
	uint32_t mask;

	memset(area, 0, sizeof(area));
	asm volatile("fxsave %0" : "=m"(area));
	memcpy(&mask, area + 28, sizeof(mask));
	return mask ? mask : 0xffbf;
}

/*
 * The vCPU's XSAVE image, KVM_CAP_XSAVE2 bytes if KVM says more than the
 * 4 KiB of struct kvm_xsave (KVM_SET_XSAVE then reads that many). NULL
 * on failure, errno set. Free with free().
 */
static uint8_t *xsave_get(struct vcpu *vcpu)
{
	int big = ioctl(vcpu->vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	size_t n = sizeof(struct kvm_xsave);
	uint8_t *buf;

	if (big > (int)n)
		n = (size_t)big;
	buf = calloc(1, n);
	if (!buf)
		return NULL;
	if (ioctl(vcpu->fd,
		  n > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE,
		  buf) < 0) {
		int e = errno;

		free(buf);
		errno = e;
		return NULL;
	}
	return buf;
}

/*
 * The data movement itself, once every check has passed: MXCSR between
 * the XSAVE image and the operand's pieces (all in RAM, checked by
 * translate_operand). False with why filled if KVM refuses, or, for a
 * load, if the value sets bits that make LDMXCSR raise #GP(0).
 */
static bool move_mxcsr(struct vcpu *vcpu, bool store,
		       const struct fallback_piece *piece, int nr, char *why,
		       size_t why_size)
{
	struct guest_memory *mem = &vcpu->vm->mem;
	uint8_t bytes[4], *xsave;
	uint32_t val, mask;
	bool ok = false;
	uint64_t bv;
	int i, off;

	xsave = xsave_get(vcpu);
	if (!xsave) {
		snprintf(why, why_size, "KVM_GET_XSAVE: %s", strerror(errno));
		return false;
	}
	if (store) {
		memcpy(bytes, xsave + XSAVE_MXCSR, sizeof(bytes));
		for (i = 0, off = 0; i < nr; off += piece[i].len, i++)
			if (guest_memory_write(mem, piece[i].gpa, bytes + off,
					       piece[i].len))
				goto not_ram;
		ok = true;
		goto out;
	}

	for (i = 0, off = 0; i < nr; off += piece[i].len, i++)
		if (guest_memory_read(mem, piece[i].gpa, bytes + off,
				      piece[i].len))
			goto not_ram;
	val = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 |
	      (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
	mask = host_mxcsr_mask();
	if (val & ~mask) {
		snprintf(
			why, why_size,
			"value 0x%08x sets bits outside MXCSR_MASK 0x%08x: #GP(0) on hardware",
			val, mask);
		goto out;
	}
	memcpy(xsave + XSAVE_MXCSR, bytes, sizeof(bytes));
	/*
	 * KVM takes MXCSR from the image only when FP, SSE or AVX state is
	 * marked in use. Marking SSE changes nothing else: when it was clear,
	 * the image holds the init values (zero) the XMM registers have.
	 */
	memcpy(&bv, xsave + XSAVE_XSTATE_BV, sizeof(bv));
	bv |= XFEATURE_MASK_SSE;
	memcpy(xsave + XSAVE_XSTATE_BV, &bv, sizeof(bv));
	if (ioctl(vcpu->fd, KVM_SET_XSAVE, xsave) < 0) {
		snprintf(why, why_size, "KVM_SET_XSAVE: %s", strerror(errno));
		goto out;
	}
	ok = true;
	goto out;

not_ram:
	snprintf(why, why_size, "gpa 0x%llx is not RAM",
		 (unsigned long long)piece[i].gpa);
out:
	free(xsave);
	return ok;
}

/*
 * LDMXCSR m32 (0f ae /2) and STMXCSR m32 (0f ae /3). Hardware raises #UD
 * for CR0.EM or !CR4.OSFXSR (and LOCK, refused by the decoder), #NM for
 * CR0.TS, #GP/#SS for segmentation, #PF, #AC, and for LDMXCSR #GP(0) when
 * reserved MXCSR bits are set; a #DB may follow. Each of these stops the
 * VM here rather than being delivered: exact or nothing.
 */
static bool complete_mxcsr(struct fallback_ctx *c,
			   const struct insn_mem_cpu *cpu,
			   const struct insn_mem *m)
{
	struct vcpu *vcpu = c->vcpu;
	struct kvm_regs *regs = &c->regs;
	const char *name = m->reg == 2 ? "ldmxcsr" : "stmxcsr";
	bool store = m->reg == 3;
	struct fallback_piece piece[2];
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct paging_ctx pc;
	struct errmsg err;
	char why[256];
	int cpl, nr;

	if (vcpu_paging_ctx(vcpu, &sregs, &pc, &err))
		return fallback_decline(c, name, "%s", err.text);
	if ((sregs.cr0 & X86_CR0_EM) || !(sregs.cr4 & X86_CR4_OSFXSR))
		return fallback_decline(
			c, name,
			"CR0.EM set or CR4.OSFXSR clear: #UD on hardware");
	if (sregs.cr0 & X86_CR0_TS)
		return fallback_decline(c, name, "CR0.TS set: #NM on hardware");
	/* A trap would follow the instruction; we do not deliver those. */
	if (regs->rflags & X86_RFLAGS_TF)
		return fallback_decline(
			c, name,
			"RFLAGS.TF set: a single-step #DB would follow");
	if (ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &dregs) < 0 ||
	    (dregs.dr7 & 0xff))
		return fallback_decline(
			c, name,
			"DR7 enables breakpoints: a data #DB may follow");
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0 ||
	    ev.exception.injected || ev.exception.pending ||
	    ev.interrupt.injected || ev.nmi.injected)
		return fallback_decline(c, name, "an event is in flight");
	if (!insn_mem_segment_ok(cpu, m, 4, store))
		return fallback_decline(
			c, name,
			"segment %d is not flat or the operand is beyond its limit",
			(int)m->seg);
	/* The CPL is the RPL of CS. */
	cpl = sregs.cs.selector & 3;
	if (cpl == 3 && (sregs.cr0 & X86_CR0_AM) &&
	    (regs->rflags & X86_RFLAGS_AC) && (m->linear & 3))
		return fallback_decline(
			c, name,
			"misaligned at CPL 3 with alignment checks: #AC");
	if (m->linear + 3 < m->linear)
		return fallback_decline(
			c, name, "operand wraps around the address space");

	nr = fallback_translate_operand(vcpu, &pc, cpl, regs->rflags, m->linear,
					4, store, piece, why, sizeof(why));
	if (!nr)
		return fallback_decline(c, name, "%s", why);
	if (!move_mxcsr(vcpu, store, piece, nr, why, sizeof(why)))
		return fallback_decline(c, name, "%s", why);

	regs->rip += m->len;
	if (cpu->mode == INSN_MEM_MODE_32)
		regs->rip &= 0xffffffffULL;
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return fallback_decline(c, name, "KVM_SET_REGS: %s",
					strerror(errno));
	/* A completed instruction ends an STI / MOV SS interrupt shadow. */
	if (ev.interrupt.shadow) {
		ev.interrupt.shadow = 0;
		ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
		ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev);
	}
	fallback_log(
		c, name,
		store ? "stored MXCSR (from KVM_GET_XSAVE) to guest memory" :
			"loaded MXCSR from guest memory (KVM_SET_XSAVE)");
	return true;
}

/* The 0f ae group: only the m32 MXCSR forms are completed. */
static bool complete_0fae(struct fallback_ctx *c)
{
	struct insn_mem_cpu cpu;
	struct insn_mem m;

	/* Prefixes may come first: the decoder sorts them out. */
	if (insn_mem_cpu_init(&cpu, &c->regs, &c->sregs))
		return false;
	if (insn_mem_decode(&cpu, c->code, (size_t)c->len, &m) != INSN_MEM_OK)
		return false;
	if (m.reg != 2 && m.reg != 3)
		return false;
	return complete_mxcsr(c, &cpu, &m);
}

const struct fallback_row fallback_mxcsr_row = { "ldmxcsr/stmxcsr",
						 complete_0fae };
