// SPDX-License-Identifier: GPL-2.0
/*
 * CLWB (66 0f ae /6), CLFLUSHOPT (66 0f ae /7) and INVPCID (66 0f 38 82),
 * which a KVM that emulates guest kernel code may not know. Each is
 * completed as the SDM describes it, or #UD when the guest's CPUID does
 * not offer it:
 *
 *   clwb, clflushopt m8  #UD without CPUID 7 EBX.CLWB / .CLFLUSHOPT;
 *        #GP(0) (#SS(0) through SS) for a non-canonical address; the byte
 *        is translated as a data read (a #PF there is declined); then a
 *        no-op behind a full fence. Guest RAM is this process's memory, so
 *        there is no cache line for kvmscope to write back that a later
 *        access by anyone would not already see; the vCPU's own stores
 *        were made globally visible by the exit that brought us here.
 *   invpcid r, m128  #UD without CPUID 7 EBX.INVPCID or in the register
 *        form; #GP(0) at CPL > 0, for a type above 3, for descriptor bits
 *        63:12 set, for type 0 with a non-canonical address, and for type
 *        0 or 1 with a PCID other than 0 while CR4.PCIDE is clear; else
 *        the TLB is flushed. KVM has no ioctl to drop one translation, so
 *        every type flushes everything, global pages included (hardware
 *        may always invalidate more than asked): CR4.PGE is toggled
 *        through KVM_SET_SREGS, which makes KVM reset the vCPU's MMU
 *        context, the CR4 write Linux itself uses for a global flush.
 *
 * Cases hardware would fault on that are not modelled (a #PF on the
 * operand, a data breakpoint, a pending single-step trap, segments that
 * are not flat) stop the guest with the diagnostic: exact or nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/pagewalk.h"
#include "util/errmsg.h"
#include "vmm/fallback.h"
#include "vmm/memory.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_RFLAGS_TF (1ULL << 8)
#define X86_CR4_PGE (1ULL << 7)
#define X86_CR4_LA57 (1ULL << 12)
#define X86_CR4_PCIDE (1ULL << 17)
#define X86_VEC_UD 6
#define X86_VEC_SS 12
#define X86_VEC_GP 13

enum { EAX, EBX, ECX, EDX };

static bool raise_logged(struct fallback_ctx *c, const char *name,
			 unsigned int vector, bool has_code, const char *why)
{
	int r = has_code ? fallback_raise_code(c, vector, 0) :
			   fallback_raise(c, vector);

	if (r)
		return fallback_decline(c, name, "injecting the fault: %s",
					strerror(-r));
	fallback_log(c, name, why);
	return true;
}

static bool canonical(uint64_t la, bool la57)
{
	int shift = la57 ? 7 : 16;

	return (uint64_t)((int64_t)(la << shift) >> shift) == la;
}

/*
 * What every completion here needs before it may touch the operand: no
 * trap that would follow the instruction, no event in flight, a segment
 * we model. Fills ev for finish(). NULL if fine, else why not.
 */
static const char *precheck(struct fallback_ctx *c,
			    const struct insn_mem_cpu *cpu,
			    const struct insn_mem *m, unsigned int size,
			    struct kvm_vcpu_events *ev)
{
	struct kvm_debugregs dregs;

	if (c->regs.rflags & X86_RFLAGS_TF)
		return "RFLAGS.TF set: a single-step #DB would follow";
	if (ioctl(c->vcpu->fd, KVM_GET_DEBUGREGS, &dregs) < 0 ||
	    (dregs.dr7 & 0xff))
		return "DR7 enables breakpoints: a #DB may follow";
	if (ioctl(c->vcpu->fd, KVM_GET_VCPU_EVENTS, ev) < 0 ||
	    ev->exception.injected || ev->exception.pending ||
	    ev->interrupt.injected || ev->nmi.injected)
		return "an event is in flight";
	if (!insn_mem_segment_ok(cpu, m, size, false))
		return "the segment is not flat or the operand is beyond its limit";
	return NULL;
}

/* RIP past the instruction; a completed instruction ends an STI shadow. */
static bool finish(struct fallback_ctx *c, const struct insn_mem *m,
		   struct kvm_vcpu_events *ev, const char *name,
		   const char *what)
{
	int r = fallback_skip(c, m->len);

	if (r)
		return fallback_decline(c, name, "KVM_SET_REGS: %s",
					strerror(-r));
	if (ev->interrupt.shadow) {
		ev->interrupt.shadow = 0;
		ev->flags = KVM_VCPUEVENT_VALID_SHADOW;
		ioctl(c->vcpu->fd, KVM_SET_VCPU_EVENTS, ev);
	}
	fallback_log(c, name, what);
	return true;
}

/*
 * #GP(0), or #SS(0) for an SS-relative operand, when a 64-bit address is
 * not canonical; true when that fault was delivered (or declined: *done).
 */
static bool noncanonical_fault(struct fallback_ctx *c,
			       const struct insn_mem_cpu *cpu,
			       const struct insn_mem *m, unsigned int size,
			       const char *name, bool *done)
{
	bool la57 = c->sregs.cr4 & X86_CR4_LA57;
	bool ss = m->seg == INSN_SEG_SS;

	if (cpu->mode != INSN_MEM_MODE_64 ||
	    (canonical(m->linear, la57) &&
	     canonical(m->linear + size - 1, la57)))
		return false;
	*done = raise_logged(
		c, name, ss ? X86_VEC_SS : X86_VEC_GP, true,
		ss ? "non-canonical stack address: delivered #SS(0)" :
		     "non-canonical address: delivered #GP(0)");
	return true;
}

static bool complete_cacheline(struct fallback_ctx *c)
{
	struct fallback_piece piece[2];
	struct kvm_vcpu_events ev;
	struct insn_mem_cpu cpu;
	struct paging_ctx pc;
	struct kvm_sregs sregs;
	struct errmsg err;
	struct insn_mem m;
	const char *name, *why_not;
	char why[256];
	bool done;
	int bit;

	if (insn_mem_cpu_init(&cpu, &c->regs, &c->sregs) ||
	    insn_mem_decode_form(&cpu, &insn_mem_66_0fae, c->code,
				 (size_t)c->len, &m) != INSN_MEM_OK ||
	    (m.reg != 6 && m.reg != 7))
		return false;
	name = m.reg == 6 ? "clwb" : "clflushopt";
	bit = m.reg == 6 ? 24 : 23;
	if (!fallback_cpuid_bit(c, 7, 0, EBX, bit))
		return raise_logged(
			c, name, X86_VEC_UD, false,
			m.reg == 6 ?
				"CLWB is not in the guest's CPUID: delivered #UD" :
				"CLFLUSHOPT is not in the guest's CPUID: delivered #UD");
	why_not = precheck(c, &cpu, &m, 1, &ev);
	if (why_not)
		return fallback_decline(c, name, "%s", why_not);
	if (noncanonical_fault(c, &cpu, &m, 1, name, &done))
		return done;
	if (vcpu_paging_ctx(c->vcpu, &sregs, &pc, &err))
		return fallback_decline(c, name, "%s", err.text);
	if (!fallback_translate_operand(c->vcpu, &pc, c->cpl, c->regs.rflags,
					m.linear, 1, false, piece, why,
					sizeof(why)))
		return fallback_decline(c, name, "%s", why);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return finish(
		c, &m, &ev, name,
		"no cache line to write back in a VMM's RAM: completed as a fence");
}

const struct fallback_row fallback_cacheline_row = { "clwb/clflushopt",
						     complete_cacheline };

/* The INVPCID descriptor's checks (SDM vol. 2, INVPCID); NULL if valid. */
static const char *invpcid_invalid(uint64_t type, uint64_t lo, uint64_t hi,
				   bool pcide, bool la57)
{
	if (type > 3)
		return "INVPCID type above 3: delivered #GP(0)";
	if (lo & ~0xfffULL)
		return "descriptor bits 63:12 set: delivered #GP(0)";
	if (type == 0 && !canonical(hi, la57))
		return "type 0 with a non-canonical address: delivered #GP(0)";
	if (type <= 1 && !pcide && (lo & 0xfff))
		return "PCID other than 0 with CR4.PCIDE clear: delivered #GP(0)";
	return NULL;
}

/* Every TLB entry of this vCPU, global ones too: see the top comment. */
static int flush_all_tlb(struct vcpu *vcpu)
{
	struct kvm_sregs sregs;
	int i;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		sregs.cr4 ^= X86_CR4_PGE;
		if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
			return -errno;
	}
	return 0;
}

static bool complete_invpcid(struct fallback_ctx *c)
{
	static const char *const type_names[] = {
		"individual address",
		"single context",
		"all contexts with globals",
		"all contexts but globals",
	};
	struct fallback_piece piece[2];
	struct kvm_vcpu_events ev;
	struct insn_mem_cpu cpu;
	struct kvm_sregs sregs;
	struct paging_ctx pc;
	struct errmsg err;
	struct insn_mem m;
	enum insn_mem_status st;
	const char *why_not;
	uint8_t desc[16];
	uint64_t type, lo, hi;
	char why[256];
	bool done;
	int i, nr, off, r;

	if (insn_mem_cpu_init(&cpu, &c->regs, &c->sregs))
		return false;
	st = insn_mem_decode_form(&cpu, &insn_mem_66_0f3882, c->code,
				  (size_t)c->len, &m);
	if (st == INSN_MEM_REGISTER_FORM)
		return raise_logged(
			c, "invpcid", X86_VEC_UD, false,
			"the register form does not exist: delivered #UD");
	if (st != INSN_MEM_OK)
		return false;
	if (!fallback_cpuid_bit(c, 7, 0, EBX, 10))
		return raise_logged(
			c, "invpcid", X86_VEC_UD, false,
			"INVPCID is not in the guest's CPUID: delivered #UD");
	if (c->cpl != 0)
		return raise_logged(c, "invpcid", X86_VEC_GP, true,
				    "CPL above 0: delivered #GP(0)");
	type = cpu.gpr[m.reg_rex];
	if (cpu.mode == INSN_MEM_MODE_32)
		type = (uint32_t)type;
	if (type > 3)
		return raise_logged(c, "invpcid", X86_VEC_GP, true,
				    invpcid_invalid(type, 0, 0, true, true));
	why_not = precheck(c, &cpu, &m, 16, &ev);
	if (why_not)
		return fallback_decline(c, "invpcid", "%s", why_not);
	if (noncanonical_fault(c, &cpu, &m, 16, "invpcid", &done))
		return done;
	if (vcpu_paging_ctx(c->vcpu, &sregs, &pc, &err))
		return fallback_decline(c, "invpcid", "%s", err.text);
	nr = fallback_translate_operand(c->vcpu, &pc, c->cpl, c->regs.rflags,
					m.linear, 16, false, piece, why,
					sizeof(why));
	if (!nr)
		return fallback_decline(c, "invpcid", "%s", why);
	for (i = 0, off = 0; i < nr; off += piece[i].len, i++)
		if (guest_memory_read(&c->vcpu->vm->mem, piece[i].gpa,
				      desc + off, piece[i].len))
			return fallback_decline(
				c, "invpcid", "gpa 0x%llx is not RAM",
				(unsigned long long)piece[i].gpa);
	memcpy(&lo, desc, 8);
	memcpy(&hi, desc + 8, 8);
	why_not = invpcid_invalid(type, lo, hi, c->sregs.cr4 & X86_CR4_PCIDE,
				  c->sregs.cr4 & X86_CR4_LA57);
	if (why_not)
		return raise_logged(c, "invpcid", X86_VEC_GP, true, why_not);
	r = flush_all_tlb(c->vcpu);
	if (r)
		return fallback_decline(c, "invpcid", "flushing the TLB: %s",
					strerror(-r));
	snprintf(
		why, sizeof(why),
		"type %d (%s): flushed the whole TLB (CR4.PGE toggled through KVM_SET_SREGS)",
		(int)type, type_names[type]);
	return finish(c, &m, &ev, "invpcid", why);
}

const struct fallback_row fallback_invpcid_row = { "invpcid",
						   complete_invpcid };
