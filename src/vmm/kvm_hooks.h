/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct kvm_hooks (devices/devices.h) on a VM: ioeventfds, MSI routes,
 * irqfds, KVM_SIGNAL_MSI and the run listeners that quiesce device
 * threads while the VM is paused.
 */
#ifndef KVMSCOPE_VMM_KVM_HOOKS_H
#define KVMSCOPE_VMM_KVM_HOOKS_H

#include <stdbool.h>

#include "devices/devices.h"
#include "util/errmsg.h"

/* MSI routes use GSIs above the IOAPIC's 24 pins. */
#define KVM_HOOKS_FIRST_MSI_GSI 24
#define KVM_HOOKS_MAX_MSI 512

struct vm;

/* After KVM_CREATE_IRQCHIP: fill *out for vm->env.kvm. */
int kvm_hooks_init(struct vm *vm, struct kvm_hooks *out, struct errmsg *err);
void kvm_hooks_free(struct vm *vm);

/*
 * Tell the run listeners the VM stopped (running false: every vCPU is
 * parked) or is about to run again; repeated calls are no-ops.
 */
void kvm_hooks_run_state(struct vm *vm, bool running);

#endif
