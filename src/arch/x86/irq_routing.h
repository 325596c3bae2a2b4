/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The GSI routing of KVM's in-kernel irqchip, matching the MADT
 * (acpi.c): GSI 0 (the PIT, ISA IRQ 0) drives IOAPIC pin 2 as the
 * interrupt source override says; every other GSI N < 24 drives IOAPIC
 * pin N; ISA IRQs 0-15 except the cascade (2) also drive their 8259 pin,
 * for guests that run on the PICs.
 */
#ifndef KVMSCOPE_ARCH_X86_IRQ_ROUTING_H
#define KVMSCOPE_ARCH_X86_IRQ_ROUTING_H

#include <stddef.h>

#include <linux/kvm.h>

#include "util/errmsg.h"

#define IRQ_ROUTING_ISA_IRQS 16
#define IRQ_ROUTING_IOAPIC_PINS 24
/* 15 PIC routes + 23 IOAPIC routes: GSI 2 has none. */
#define IRQ_ROUTING_NR_ENTRIES \
	(IRQ_ROUTING_ISA_IRQS - 1 + IRQ_ROUTING_IOAPIC_PINS - 1)

/*
 * Fill out (room for max entries) with the routing table; returns the
 * number of entries, or -ENOSPC when max is too small. No KVM needed.
 */
int irq_routing_fill(struct kvm_irq_routing_entry *out, size_t max);

/* KVM_SET_GSI_ROUTING with that table; call right after KVM_CREATE_IRQCHIP. */
int irq_routing_setup(int vm_fd, struct errmsg *err);

#endif
