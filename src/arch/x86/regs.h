/* SPDX-License-Identifier: GPL-2.0 */
/* The boot vCPU's initial state for each boot protocol's entry mode. */
#ifndef KVMSCOPE_ARCH_X86_REGS_H
#define KVMSCOPE_ARCH_X86_REGS_H

#include <linux/kvm.h>

#include "arch/x86/boot.h"
#include "vmm/memory.h"

/*
 * Write the boot GDT (and, for 64-bit entry, identity page tables for the
 * first 4 GiB) into guest memory and fill regs/sregs for the entry.
 * sregs must hold the vCPU's current (reset) sregs on input.
 */
int regs_boot_state(struct guest_memory *mem, const struct boot_entry *entry,
		    struct kvm_regs *regs, struct kvm_sregs *sregs);

#endif
