// SPDX-License-Identifier: GPL-2.0
/* ACPI S3: parking a suspended VM and resuming it like firmware (sleep.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/sleep.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define CR0_PE 0x1ULL
#define SEG_CODE_EXEC_READ 0xb /* accessed */
#define SEG_DATA_READ_WRITE 0x3 /* accessed */
#define NR_IRQCHIPS 3 /* PIC master, PIC slave, IOAPIC */

/* What a vCPU is at power-on (after vm_create's setup). */
struct vcpu_reset {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
};

struct vm_sleep {
	struct vcpu_reset *vcpus;
	struct kvm_irqchip chips[NR_IRQCHIPS];
	struct kvm_pit_state2 pit;
	bool have_chips, have_pit;
	int pending; /* atomic: a vCPU asked for S3, main has not acted */
	bool suspended; /* main thread */
	bool (*wake)(void *dev, const char *source); /* set before pending */
	void *dev;
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

enum wake_mode sleep_wake_entry(const uint8_t *facs, uint16_t *cs, uint64_t *ip)
{
	uint64_t xv = le32(facs + ACPI_FACS_X_WAKING_VECTOR) |
		      (uint64_t)le32(facs + ACPI_FACS_X_WAKING_VECTOR + 4)
			      << 32;
	uint32_t v = le32(facs + ACPI_FACS_WAKING_VECTOR);

	*cs = 0;
	*ip = 0;
	if (memcmp(facs, "FACS", 4))
		return WAKE_NO_VECTOR; /* the guest overwrote it: reboot */
	if (xv) {
		/*
		 * No 64BIT_WAKE_SUPPORTED_F in the FACS, so 64BIT_WAKE_F
		 * means nothing: 32-bit protected mode, where EIP must fit.
		 */
		if (xv > UINT32_MAX)
			return WAKE_NO_VECTOR;
		*ip = xv;
		return WAKE_PROTECTED_MODE;
	}
	/* Real mode reaches 1 MiB + 64 KiB at most; a PC vector is below. */
	if (!v || v >= 0x100000)
		return WAKE_NO_VECTOR;
	*cs = (uint16_t)(v >> 4);
	*ip = v & 0xf;
	return WAKE_REAL_MODE;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

void sleep_set_entry(enum wake_mode mode, uint16_t cs, uint64_t ip,
		     struct kvm_sregs *sregs, struct kvm_regs *regs)
{
	regs->rip = ip;
	regs->rflags = 0x2; /* interrupts off */
	if (mode == WAKE_PROTECTED_MODE) {
		/* Flat 4 GiB segments, paging off (ACPI 6.5, 5.2.10). */
		sregs->cr0 |= CR0_PE;
		flat_segment(&sregs->cs, 0x08, SEG_CODE_EXEC_READ);
		flat_segment(&sregs->ds, 0x10, SEG_DATA_READ_WRITE);
		sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
		return;
	}
	/* The reset state is real mode already; only CS:IP move. */
	sregs->cs.selector = cs;
	sregs->cs.base = (uint64_t)cs << 4;
}

int vm_sleep_init(struct vm *vm, struct errmsg *err)
{
	struct vm_sleep *s = calloc(1, sizeof(*s));
	int i;

	if (!s)
		return errmsg_set(err, ENOMEM, "out of memory");
	s->vcpus = calloc(vm->nr_vcpus, sizeof(*s->vcpus));
	if (!s->vcpus) {
		free(s);
		return errmsg_set(err, ENOMEM, "out of memory");
	}
	vm->sleep = s;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu_reset *r = &s->vcpus[i];
		int fd = vm->vcpus[i]->fd;

		if (ioctl(fd, KVM_GET_REGS, &r->regs) < 0 ||
		    ioctl(fd, KVM_GET_SREGS, &r->sregs) < 0 ||
		    ioctl(fd, KVM_GET_FPU, &r->fpu) < 0 ||
		    ioctl(fd, KVM_GET_LAPIC, &r->lapic) < 0 ||
		    ioctl(fd, KVM_GET_VCPU_EVENTS, &r->events) < 0)
			return errmsg_set(
				err, errno,
				"vCPU %d: cannot read its reset state (for ACPI S3 resume): %s",
				i, strerror(errno));
	}
	return 0;
}

void vm_sleep_record_platform(struct vm *vm)
{
	struct vm_sleep *s = vm->sleep;
	int i;

	if (!s)
		return;
	s->have_chips = true;
	for (i = 0; i < NR_IRQCHIPS; i++) {
		s->chips[i].chip_id = i;
		if (ioctl(vm->fd, KVM_GET_IRQCHIP, &s->chips[i]) < 0)
			s->have_chips = false;
	}
	s->have_pit = ioctl(vm->fd, KVM_GET_PIT2, &s->pit) == 0;
	if (!s->have_chips || !s->have_pit)
		log_warn(
			"cannot read the irqchip/PIT state: an S3 resume keeps what the guest left there");
}

void vm_sleep_free(struct vm *vm)
{
	if (!vm->sleep)
		return;
	free(vm->sleep->vcpus);
	free(vm->sleep);
	vm->sleep = NULL;
}

bool vm_is_suspended(struct vm *vm)
{
	return vm->sleep && vm->sleep->suspended;
}

void vm_request_suspend(void *opaque,
			bool (*wake)(void *dev, const char *source), void *dev)
{
	struct vm *vm = opaque;
	struct vm_sleep *s = vm->sleep;
	uint64_t one = 1;
	int i;

	if (!s || __atomic_load_n(&s->pending, __ATOMIC_SEQ_CST))
		return;
	s->wake = wake;
	s->dev = dev;
	__atomic_store_n(&s->pending, 1, __ATOMIC_SEQ_CST);
	/* Park now: this vCPU before its next KVM_RUN, the others kicked. */
	__atomic_store_n(&vm->pause_req, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < vm->nr_vcpus; i++) {
		__atomic_store_n(&vm->vcpus[i]->run_while_paused, 0,
				 __ATOMIC_SEQ_CST);
		vcpu_kick(vm->vcpus[i]);
	}
	if (write(vm->end_efd, &one, sizeof(one)) < 0)
		log_debug("end eventfd: %s", strerror(errno));
}

void vm_handle_suspend(struct vm *vm)
{
	struct vm_sleep *s = vm->sleep;
	struct vm_state_event ev = { .kind = VM_STATE_SUSPEND, .cpu = -1 };

	if (!s || !__atomic_exchange_n(&s->pending, 0, __ATOMIC_SEQ_CST))
		return;
	/* Ending, or dead and held for good: nothing to wake up to. */
	if (vm->end_requested || vm->dead)
		return;
	vm_hold(vm, VM_HOLD_SUSPEND);
	s->suspended = true;
	log_info("guest suspended to RAM (ACPI S3)");
	ev.reason = "guest";
	vm_notify_state(vm, &ev);
}

/*
 * KVM completes an I/O exit (an emulated OUT advancing RIP, say) in the
 * next KVM_RUN, and state set before that is overwritten by it: run it
 * now, returning at once (immediate_exit), as the KVM API document asks.
 * The vCPU is parked, so this thread may.
 */
static void complete_pending_exit(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (ioctl(vcpu->fd, KVM_RUN, 0) == 0)
		log_warn(
			"vCPU %d: an exit (reason %u) was pending when the VM woke from S3; dropped",
			vcpu->id, vcpu->run->exit_reason);
}

static int reset_vcpu(struct vm *vm, int i, enum wake_mode mode, uint16_t cs,
		      uint64_t ip)
{
	const struct vcpu_reset *r = &vm->sleep->vcpus[i];
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_INIT_RECEIVED };
	struct kvm_sregs sregs = r->sregs;
	struct kvm_regs regs = r->regs;
	struct kvm_lapic_state lapic = r->lapic;
	struct kvm_vcpu_events events = r->events;
	struct kvm_fpu fpu = r->fpu;
	int fd = vm->vcpus[i]->fd;

	complete_pending_exit(vm->vcpus[i]);
	if (i == 0) {
		sleep_set_entry(mode, cs, ip, &sregs, &regs);
		mp.mp_state = KVM_MP_STATE_RUNNABLE;
	}
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(fd, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(fd, KVM_SET_FPU, &fpu) < 0 ||
	    ioctl(fd, KVM_SET_LAPIC, &lapic) < 0 ||
	    ioctl(fd, KVM_SET_VCPU_EVENTS, &events) < 0 ||
	    ioctl(fd, KVM_SET_MP_STATE, &mp) < 0)
		return -errno;
	return 0;
}

static void reset_platform(struct vm *vm)
{
	struct vm_sleep *s = vm->sleep;
	int i;

	for (i = 0; s->have_chips && i < NR_IRQCHIPS; i++)
		if (ioctl(vm->fd, KVM_SET_IRQCHIP, &s->chips[i]) < 0)
			log_warn("S3 resume: KVM_SET_IRQCHIP %d: %s", i,
				 strerror(errno));
	if (s->have_pit && ioctl(vm->fd, KVM_SET_PIT2, &s->pit) < 0)
		log_warn("S3 resume: KVM_SET_PIT2: %s", strerror(errno));
}

static const char *const mode_names[] = {
	[WAKE_REAL_MODE] = "real mode",
	[WAKE_PROTECTED_MODE] = "32-bit protected mode",
};

int vm_wakeup(struct vm *vm, const char *source, struct errmsg *err)
{
	struct vm_state_event ev = { .kind = VM_STATE_WAKEUP, .cpu = -1 };
	struct vm_sleep *s = vm->sleep;
	uint8_t facs[ACPI_FACS_SIZE];
	enum wake_mode mode = WAKE_NO_VECTOR;
	uint64_t ip = 0;
	uint16_t cs = 0;
	int i, r = 0;

	if (!vm_is_suspended(vm))
		return errmsg_set(
			err, EINVAL,
			"Unable to wake up: guest is not in suspended state");
	if (s->wake && !s->wake(s->dev, source)) {
		log_debug("S3: wake event from %s not enabled by the guest",
			  source);
		return 0;
	}
	if (guest_memory_read(&vm->mem, acpi_facs_gpa(), facs, sizeof(facs)) ==
	    0)
		mode = sleep_wake_entry(facs, &cs, &ip);
	for (i = 0; mode != WAKE_NO_VECTOR && !r && i < vm->nr_vcpus; i++)
		r = reset_vcpu(vm, i, mode, cs, ip);
	s->suspended = false;
	ev.reason = source;
	vm_notify_state(vm, &ev);
	if (mode == WAKE_NO_VECTOR || r) {
		/* Firmware without a vector to resume at reboots. */
		vm_request_end(
			vm, r ? KS_STATUS_VMM_ERROR : KS_STATUS_RESET,
			r ? "S3 resume: cannot reset the vCPUs" :
			    "the guest woke from ACPI S3 without a waking vector in the FACS: reset, as firmware does",
			NULL);
		return 0;
	}
	reset_platform(vm);
	if (mode == WAKE_REAL_MODE)
		log_info(
			"guest woken from ACPI S3 by %s: vCPU 0 at %04x:%04llx (%s)",
			source, cs, (unsigned long long)ip, mode_names[mode]);
	else
		log_info(
			"guest woken from ACPI S3 by %s: vCPU 0 at 0x%llx (%s)",
			source, (unsigned long long)ip, mode_names[mode]);
	vm_unhold(vm, VM_HOLD_SUSPEND);
	return 0;
}

void vm_wakeup_request(void *opaque, const char *source)
{
	struct vm *vm = opaque;

	if (vm_is_suspended(vm))
		vm_wakeup(vm, source, NULL);
}
