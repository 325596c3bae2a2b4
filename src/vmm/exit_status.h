/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmscope's process exit statuses. Odd statuses are reserved for the
 * guest's debug-exit device ((value << 1) | 1, as QEMU's isa-debug-exit);
 * everything kvmscope decides itself is even, so the two never collide.
 */
#ifndef KVMSCOPE_VMM_EXIT_STATUS_H
#define KVMSCOPE_VMM_EXIT_STATUS_H

enum ks_status {
	KS_STATUS_POWEROFF = 0, /* guest powered off (ACPI) */
	KS_STATUS_USAGE = 2, /* bad option, bad kernel file, no usable KVM */
	KS_STATUS_RESET = 4, /* guest asked for a reset (0x64, 0x92, 0xcf9) */
	KS_STATUS_TRIPLE_FAULT = 6, /* KVM_EXIT_SHUTDOWN */
	KS_STATUS_HALTED = 8, /* every vCPU halted with interrupts off */
	KS_STATUS_FAIL_ENTRY = 10, /* KVM_EXIT_FAIL_ENTRY */
	KS_STATUS_INTERNAL_ERROR = 12, /* KVM_EXIT_INTERNAL_ERROR */
	KS_STATUS_SYSTEM_EVENT = 14, /* KVM_EXIT_SYSTEM_EVENT */
	KS_STATUS_VMM_ERROR = 16, /* kvmscope failed at run time */
	KS_STATUS_GUEST_PANIC = 18, /* the guest kernel panicked (pvpanic) */
	KS_STATUS_SIGNAL = 130, /* stopped by SIGINT/SIGTERM/console escape */
};

/* Debug-exit device: guest wrote value v to port 0xf4. */
#define KS_STATUS_DEBUG_EXIT(v) ((int)((((v) << 1) | 1) & 0xff))

#endif
