// SPDX-License-Identifier: GPL-2.0
/*
 * KVM exit dispatch: one table row per exit reason. Handlers return true to
 * re-enter the guest, false once they have asked the VM to end.
 */
#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

typedef bool (*exit_handler)(struct vcpu *vcpu);

static bool end_with_diag(struct vcpu *vcpu, int status, const char *why,
			  const char *detail)
{
	struct vcpu_snapshot snap;
	char line[256];

	vcpu_snapshot_capture(vcpu, &snap);
	if (detail)
		snprintf(snap.detail, sizeof(snap.detail), "%s", detail);
	snprintf(line, sizeof(line), "vCPU %d: %s", vcpu->id, why);
	vm_request_end(vcpu->vm, status, line, &snap);
	return false;
}

static bool handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct bus *bus = &vcpu->vm->pio;
	uint64_t total = (uint64_t)run->io.count * run->io.size;
	uint8_t *data;
	uint32_t i;

	/* KVM fills these, but a bad offset would make us scribble. */
	if (run->io.size == 0 || run->io.size > 4 ||
	    run->io.data_offset > (uint64_t)vcpu->vm->kvm.vcpu_mmap_size ||
	    total > vcpu->vm->kvm.vcpu_mmap_size - run->io.data_offset)
		return end_with_diag(vcpu, KS_STATUS_VMM_ERROR,
				     "KVM_EXIT_IO with an impossible data area",
				     NULL);
	data = (uint8_t *)run + run->io.data_offset;
	stats_note_io(&vcpu->stats,
		      run->io.direction == KVM_EXIT_IO_OUT ? STATS_IO_PIO_OUT :
							     STATS_IO_PIO_IN,
		      run->io.port);
	/* String I/O (rep ins/outs) arrives as count > 1 elements. */
	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(bus, run->io.port, data, run->io.size);
		else
			bus_read(bus, run->io.port, data, run->io.size);
	}
	return true;
}

static bool handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len;
	struct bus *mmio = &vcpu->vm->mmio;
	const struct bus_range *r;
	bool claimed;

	if (len == 0 || len > sizeof(run->mmio.data))
		return end_with_diag(vcpu, KS_STATUS_VMM_ERROR,
				     "KVM_EXIT_MMIO with an impossible length",
				     NULL);
	if (run->mmio.is_write)
		claimed = bus_write(mmio, run->mmio.phys_addr, run->mmio.data,
				    len);
	else
		claimed = bus_read(mmio, run->mmio.phys_addr, run->mmio.data,
				   len);
	/*
	 * The region that claimed it (the bus looks it up again: cheap); a
	 * window with no BAR there (PCI) did not claim it.
	 */
	if (stats_clock.enabled) {
		r = claimed ? bus_find(mmio, run->mmio.phys_addr, len) : NULL;
		if (r && r >= mmio->ranges && r < mmio->ranges + mmio->nr_ranges)
			stats_note_io(&vcpu->stats, STATS_IO_MMIO_RANGE,
				      r - mmio->ranges);
		else if (!r)
			stats_note_io(&vcpu->stats, STATS_IO_MMIO_UNCLAIMED,
				      run->mmio.phys_addr >> 12);
	}
	return true;
}

static bool handle_hlt(struct vcpu *vcpu)
{
	return end_with_diag(
		vcpu, KS_STATUS_HALTED,
		"the guest halted (KVM_EXIT_HLT) and nothing will wake it",
		NULL);
}

static bool handle_shutdown(struct vcpu *vcpu)
{
	return end_with_diag(
		vcpu, KS_STATUS_TRIPLE_FAULT,
		"triple fault (KVM_EXIT_SHUTDOWN): an exception occurred while delivering a double fault, usually a broken IDT, GDT, stack or page table; the CPU shut down",
		NULL);
}

static bool handle_fail_entry(struct vcpu *vcpu)
{
	char detail[160];

	snprintf(detail, sizeof(detail),
		 "hardware_entry_failure_reason 0x%llx on host cpu %u",
		 (unsigned long long)
			 vcpu->run->fail_entry.hardware_entry_failure_reason,
		 vcpu->run->fail_entry.cpu);
	return end_with_diag(
		vcpu, KS_STATUS_FAIL_ENTRY,
		"KVM could not enter the guest (KVM_EXIT_FAIL_ENTRY): the vCPU state is invalid for the hardware",
		detail);
}

static const char *internal_suberror_name(uint32_t sub)
{
	switch (sub) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure: KVM's instruction emulator could not execute the instruction at RIP";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering another exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event (bad IDT or stack?)";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected hardware exit reason";
	default:
		return "unknown internal error";
	}
}

static bool handle_internal_error(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char why[192], detail[512];
	uint32_t i, n;
	int off;

	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    vcpu_try_emulation_fallback(vcpu))
		return true;
	n = run->internal.ndata;
	if (n > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		n = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	off = snprintf(detail, sizeof(detail),
		       "suberror %u, %u data words:", run->internal.suberror,
		       n);
	for (i = 0; i < n && off < (int)sizeof(detail) - 20; i++)
		off += snprintf(detail + off, sizeof(detail) - off, " %llx",
				(unsigned long long)run->internal.data[i]);
	snprintf(why, sizeof(why),
		 "KVM internal error (KVM_EXIT_INTERNAL_ERROR): %s",
		 internal_suberror_name(run->internal.suberror));
	return end_with_diag(vcpu, KS_STATUS_INTERNAL_ERROR, why, detail);
}

static const char *system_event_name(uint32_t type)
{
	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		return "shutdown";
	case KVM_SYSTEM_EVENT_RESET:
		return "reset";
	case KVM_SYSTEM_EVENT_CRASH:
		return "crash";
	case KVM_SYSTEM_EVENT_WAKEUP:
		return "wakeup";
	case KVM_SYSTEM_EVENT_SUSPEND:
		return "suspend";
	case KVM_SYSTEM_EVENT_SEV_TERM:
		return "SEV termination";
	default:
		return "unknown";
	}
}

static bool handle_system_event(struct vcpu *vcpu)
{
	char why[160];

	snprintf(why, sizeof(why),
		 "system event (KVM_EXIT_SYSTEM_EVENT) type %u: %s",
		 vcpu->run->system_event.type,
		 system_event_name(vcpu->run->system_event.type));
	return end_with_diag(vcpu, KS_STATUS_SYSTEM_EVENT, why, NULL);
}

static bool handle_unexpected(struct vcpu *vcpu)
{
	char why[128];

	snprintf(why, sizeof(why), "unhandled exit reason %u (%s)",
		 vcpu->run->exit_reason,
		 kvm_exit_reason_name(vcpu->run->exit_reason));
	return end_with_diag(vcpu, KS_STATUS_VMM_ERROR, why, NULL);
}

/* Breakpoints, single steps and watchpoints of the gdb stub. */
static bool handle_debug(struct vcpu *vcpu)
{
	if (vm_debug_exit(vcpu, false))
		return true;
	return handle_unexpected(vcpu);
}

static bool handle_intr(struct vcpu *vcpu)
{
	/* A signal arrived while in the guest: just loop (stop is checked). */
	return true;
}

static const struct {
	const char *name;
	exit_handler handler;
} exit_table[] = {
	[KVM_EXIT_UNKNOWN] = { "UNKNOWN", handle_unexpected },
	[KVM_EXIT_EXCEPTION] = { "EXCEPTION", handle_unexpected },
	[KVM_EXIT_IO] = { "IO", handle_io },
	[KVM_EXIT_HYPERCALL] = { "HYPERCALL", handle_unexpected },
	[KVM_EXIT_DEBUG] = { "DEBUG", handle_debug },
	[KVM_EXIT_HLT] = { "HLT", handle_hlt },
	[KVM_EXIT_MMIO] = { "MMIO", handle_mmio },
	[KVM_EXIT_IRQ_WINDOW_OPEN] = { "IRQ_WINDOW_OPEN", handle_unexpected },
	[KVM_EXIT_SHUTDOWN] = { "SHUTDOWN", handle_shutdown },
	[KVM_EXIT_FAIL_ENTRY] = { "FAIL_ENTRY", handle_fail_entry },
	[KVM_EXIT_INTR] = { "INTR", handle_intr },
	[KVM_EXIT_SET_TPR] = { "SET_TPR", handle_unexpected },
	[KVM_EXIT_TPR_ACCESS] = { "TPR_ACCESS", handle_unexpected },
	[KVM_EXIT_NMI] = { "NMI", handle_unexpected },
	[KVM_EXIT_INTERNAL_ERROR] = { "INTERNAL_ERROR", handle_internal_error },
	[KVM_EXIT_OSI] = { "OSI", handle_unexpected },
	[KVM_EXIT_PAPR_HCALL] = { "PAPR_HCALL", handle_unexpected },
	[KVM_EXIT_WATCHDOG] = { "WATCHDOG", handle_unexpected },
	[KVM_EXIT_EPR] = { "EPR", handle_unexpected },
	[KVM_EXIT_SYSTEM_EVENT] = { "SYSTEM_EVENT", handle_system_event },
	[KVM_EXIT_IOAPIC_EOI] = { "IOAPIC_EOI", handle_unexpected },
	[KVM_EXIT_HYPERV] = { "HYPERV", handle_unexpected },
	[KVM_EXIT_X86_RDMSR] = { "X86_RDMSR", handle_unexpected },
	[KVM_EXIT_X86_WRMSR] = { "X86_WRMSR", handle_unexpected },
	[KVM_EXIT_DIRTY_RING_FULL] = { "DIRTY_RING_FULL", handle_unexpected },
	[KVM_EXIT_X86_BUS_LOCK] = { "X86_BUS_LOCK", handle_unexpected },
};

#define EXIT_TABLE_SIZE (sizeof(exit_table) / sizeof(exit_table[0]))

const char *kvm_exit_reason_name(uint32_t reason)
{
	if (reason < EXIT_TABLE_SIZE && exit_table[reason].name)
		return exit_table[reason].name;
	return "?";
}

bool vcpu_handle_exit(struct vcpu *vcpu)
{
	uint32_t reason = vcpu->run->exit_reason;

	if (reason < EXIT_TABLE_SIZE && exit_table[reason].handler)
		return exit_table[reason].handler(vcpu);
	return handle_unexpected(vcpu);
}
