// SPDX-License-Identifier: GPL-2.0
/*
 * Emulator fallbacks: instructions some KVMs cannot emulate in guest kernel
 * mode (seen on kvm_pvm, where CPL0 code runs in the host's instruction
 * emulator) come back as KVM_EXIT_INTERNAL_ERROR / EMULATION. Where
 * kvmscope can complete the instruction exactly as hardware would, it does,
 * logs once per RIP and resumes the guest. On VMX/SVM hosts these
 * instructions never reach the emulator, so nothing here triggers.
 *
 *   int3   (cc)  #BP is a trap: RIP moves past the instruction and the
 *                exception is delivered as a software exception.
 *   fwait  (9b)  a no-op unless the x87 status word has an unmasked
 *                exception pending, in which case #MF (a fault: RIP stays
 *                on the fwait) is delivered, given CR0.NE.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inspect/symbols.h"
#include "util/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define X86_CR0_NE (1ULL << 5)
#define X86_VEC_BP 3
#define X86_VEC_MF 16

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

static void log_fallback(struct vcpu *vcpu, uint64_t rip, const char *name,
			 const char *what)
{
	char sym[160] = "";

	if (already_logged(vcpu, rip))
		return;
	if (!symbols_describe(guest_symbols, rip, sym + 2, sizeof(sym) - 3)) {
		sym[0] = ' ';
		sym[1] = '<';
		strcat(sym, ">");
	}
	log_warn(
		"vCPU %d: KVM could not emulate '%s' at RIP %llx%s; emulator fallback '%s': %s (logged once per RIP)",
		vcpu->id, name, (unsigned long long)rip, sym, name, what);
}

static int inject_exception(struct vcpu *vcpu, unsigned int vector)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	/* Never stack on top of an event KVM already has in flight. */
	if (ev.exception.injected || ev.exception.pending ||
	    ev.interrupt.injected || ev.nmi.injected)
		return -EBUSY;
	ev.exception.injected = 1;
	ev.exception.nr = vector;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags = 0;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	return 0;
}

static bool complete_int3(struct vcpu *vcpu, struct kvm_regs *regs)
{
	uint64_t rip = regs->rip;

	regs->rip += 1;
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return false;
	if (inject_exception(vcpu, X86_VEC_BP)) {
		regs->rip = rip;
		ioctl(vcpu->fd, KVM_SET_REGS, regs);
		return false;
	}
	log_fallback(vcpu, rip, "int3",
		     "delivered #BP with RIP past the instruction");
	return true;
}

static bool complete_fwait(struct vcpu *vcpu, struct kvm_regs *regs,
			   const struct kvm_sregs *sregs)
{
	struct kvm_fpu fpu;
	unsigned int unmasked;

	if (ioctl(vcpu->fd, KVM_GET_FPU, &fpu) < 0)
		return false;
	/* Exception flags IE..PE (bits 0-5) not masked in the control word. */
	unmasked = fpu.fsw & ~fpu.fcw & 0x3f;
	if (!unmasked) {
		uint64_t rip = regs->rip;

		regs->rip += 1;
		if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
			return false;
		log_fallback(
			vcpu, rip, "fwait",
			"no unmasked x87 exception pending, completed as a no-op");
		return true;
	}
	/*
	 * With CR0.NE clear the error goes out on FERR# to the PIC (IRQ 13),
	 * a legacy path we do not model: better to stop than to guess.
	 */
	if (!(sregs->cr0 & X86_CR0_NE))
		return false;
	if (inject_exception(vcpu, X86_VEC_MF))
		return false;
	log_fallback(vcpu, regs->rip, "fwait",
		     "unmasked x87 exception pending, delivered #MF");
	return true;
}

bool vcpu_try_emulation_fallback(struct vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint8_t insn[1];
	uint64_t gpa;
	char note[96];

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return false;
	if (vcpu_read_code(vcpu, &sregs, regs.rip, insn, 1, &gpa, note,
			   sizeof(note)) != 1)
		return false;
	switch (insn[0]) {
	case 0xcc:
		/* Kernel mode only: that is where the emulator is involved,
		 * and it spares us the gate-DPL check user mode needs. */
		if (sregs.cs.dpl != 0)
			return false;
		return complete_int3(vcpu, &regs);
	case 0x9b:
		return complete_fwait(vcpu, &regs, &sregs);
	default:
		return false;
	}
}
