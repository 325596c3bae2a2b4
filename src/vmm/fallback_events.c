// SPDX-License-Identifier: GPL-2.0
/*
 * Fallbacks that deliver an event: the software interrupts (INT3, INT n,
 * INTO, INT1) and FWAIT.
 *
 *   int3  (cc)    #BP is a trap: RIP moves past the instruction and the
 *                 exception is delivered.
 *   int n (cd ib) vector n through the IDT with the return RIP after the
 *                 instruction, as a software interrupt delivers it. Kernel
 *                 mode only (CPL 0, where the gate's DPL cannot refuse it;
 *                 CPL 3 code runs natively), protected or long mode; the
 *                 IDT walk, gate checks and any fault while delivering are
 *                 KVM's, as for any injected event.
 *   into  (ce)    #UD in 64-bit mode; elsewhere #OF (a trap) when
 *                 RFLAGS.OF is set, else nothing.
 *   int1  (f1)    #DB as a trap (ICEBP).
 *   fwait (9b)    a no-op unless the x87 status word has an unmasked
 *                 exception pending, in which case #MF (a fault: RIP stays
 *                 on the fwait) is delivered, given CR0.NE.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "vmm/fallback.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_CR0_NE (1ULL << 5)
#define X86_RFLAGS_OF (1ULL << 11)
#define X86_VEC_DB 1
#define X86_VEC_BP 3
#define X86_VEC_OF 4
#define X86_VEC_UD 6
#define X86_VEC_MF 16

static bool complete_int3(struct fallback_ctx *c)
{
	uint64_t rip = c->regs.rip;

	if (c->code[0] != 0xcc)
		return false;
	/* A gdb breakpoint: the vCPU stops there instead. */
	if (vm_debug_exit(c->vcpu, true))
		return true;
	/* Kernel mode only: that is where the emulator is involved, and it
	 * spares us the gate-DPL check user mode needs. */
	if (c->cpl != 0)
		return false;
	if (fallback_skip(c, 1))
		return false;
	if (fallback_raise(c, X86_VEC_BP)) {
		c->regs.rip = rip;
		ioctl(c->vcpu->fd, KVM_SET_REGS, &c->regs);
		return false;
	}
	fallback_log(c, "int3", "delivered #BP with RIP past the instruction");
	return true;
}

const struct fallback_row fallback_int3_row = { "int3", complete_int3 };

static bool complete_intn(struct fallback_ctx *c)
{
	uint64_t rip = c->regs.rip;
	unsigned int vector;

	if (c->code[0] != 0xcd || c->len < 2)
		return false;
	if (c->cpl != 0)
		return false;
	vector = c->code[1];
	if (c->mode == X86_CODE_16)
		return fallback_decline(
			c, "int n",
			"16-bit code (real mode, virtual-8086 or a 16-bit segment): its interrupt delivery is not completed");
	if (fallback_skip(c, 2))
		return false;
	/*
	 * RIP is already past INT n: an injected interrupt then delivers it
	 * like the software interrupt (no error code, IF cleared by an
	 * interrupt gate, the next instruction as return RIP). It differs
	 * only in the gate-DPL check, which CPL 0 always passes, and KVM
	 * needs no instruction length for it.
	 */
	if (vcpu_inject_interrupt(c->vcpu, vector)) {
		c->regs.rip = rip;
		ioctl(c->vcpu->fd, KVM_SET_REGS, &c->regs);
		return fallback_decline(c, "int n",
					"an event is already in flight");
	}
	fallback_log(c, "int n",
		     "delivered the vector through the IDT with RIP past the instruction");
	return true;
}

const struct fallback_row fallback_intn_row = { "int n", complete_intn };

static bool complete_into(struct fallback_ctx *c)
{
	if (c->code[0] != 0xce || c->cpl != 0)
		return false;
	if (c->mode == X86_CODE_64) {
		if (fallback_raise(c, X86_VEC_UD))
			return false;
		fallback_log(c, "into", "invalid in 64-bit mode: delivered #UD");
		return true;
	}
	if (c->mode == X86_CODE_16)
		return fallback_decline(c, "into",
					"16-bit code is not completed");
	if (fallback_skip(c, 1))
		return false;
	if (!(c->regs.rflags & X86_RFLAGS_OF)) {
		fallback_log(c, "into", "RFLAGS.OF clear: completed as a no-op");
		return true;
	}
	if (fallback_raise(c, X86_VEC_OF))
		return false;
	fallback_log(c, "into", "RFLAGS.OF set: delivered #OF after the instruction");
	return true;
}

const struct fallback_row fallback_into_row = { "into", complete_into };

static bool complete_int1(struct fallback_ctx *c)
{
	if (c->code[0] != 0xf1 || c->cpl != 0)
		return false;
	if (fallback_skip(c, 1))
		return false;
	if (fallback_raise(c, X86_VEC_DB))
		return false;
	fallback_log(c, "int1", "delivered #DB with RIP past the instruction");
	return true;
}

const struct fallback_row fallback_int1_row = { "int1", complete_int1 };

static bool complete_fwait(struct fallback_ctx *c)
{
	struct kvm_fpu fpu;
	unsigned int unmasked;

	if (c->code[0] != 0x9b)
		return false;
	if (ioctl(c->vcpu->fd, KVM_GET_FPU, &fpu) < 0)
		return false;
	/* Exception flags IE..PE (bits 0-5) not masked in the control word. */
	unmasked = fpu.fsw & ~fpu.fcw & 0x3f;
	if (!unmasked) {
		if (fallback_skip(c, 1))
			return false;
		fallback_log(
			c, "fwait",
			"no unmasked x87 exception pending, completed as a no-op");
		return true;
	}
	/*
	 * With CR0.NE clear the error goes out on FERR# to the PIC (IRQ 13),
	 * a legacy path we do not model: better to stop than to guess.
	 */
	if (!(c->sregs.cr0 & X86_CR0_NE))
		return false;
	if (fallback_raise(c, X86_VEC_MF))
		return false;
	fallback_log(c, "fwait",
		     "unmasked x87 exception pending, delivered #MF");
	return true;
}

const struct fallback_row fallback_fwait_row = { "fwait", complete_fwait };
