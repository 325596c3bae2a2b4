// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's default routing sends GSI N to IOAPIC pin N and, for N < 16, to
 * PIC pin N. That puts the PIT on IOAPIC pin 0, where no ACPI or MP table
 * guest looks for it: PCs wire the PIT to pin 2 and say so with an
 * interrupt source override. So, as QEMU does, GSI 0 goes to pin 2.
 *
 * GSI 2 gets no route at all: it is the PICs' cascade, nothing raises it,
 * and a GSI 2 -> pin 2 route would take over pin 2's entry in KVM's
 * reverse (chip, pin) -> GSI map. KVM uses that map to tell the PIT that
 * its interrupt was acknowledged; with pin 2 mapped back to GSI 2, the
 * PIT's reinjection would stall.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/irq_routing.h"

#define ISA_CASCADE_IRQ 2
#define PIT_IRQ 0
#define PIT_IOAPIC_PIN 2

static void route(struct kvm_irq_routing_entry *e, unsigned int gsi,
		  unsigned int chip, unsigned int pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

int irq_routing_fill(struct kvm_irq_routing_entry *out, size_t max)
{
	size_t n = 0;
	unsigned int gsi;

	if (max < IRQ_ROUTING_NR_ENTRIES)
		return -ENOSPC;
	for (gsi = 0; gsi < IRQ_ROUTING_ISA_IRQS; gsi++) {
		if (gsi == ISA_CASCADE_IRQ)
			continue;
		route(&out[n++], gsi,
		      gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
		      gsi % 8);
	}
	for (gsi = 0; gsi < IRQ_ROUTING_IOAPIC_PINS; gsi++) {
		if (gsi == ISA_CASCADE_IRQ)
			continue;
		route(&out[n++], gsi, KVM_IRQCHIP_IOAPIC,
		      gsi == PIT_IRQ ? PIT_IOAPIC_PIN : gsi);
	}
	return (int)n;
}

int irq_routing_setup(int vm_fd, struct errmsg *err)
{
	struct kvm_irq_routing *table;
	int n, r, saved;

	table = calloc(1, sizeof(*table) + IRQ_ROUTING_NR_ENTRIES *
						   sizeof(table->entries[0]));
	if (!table)
		return errmsg_set(err, ENOMEM, "out of memory");
	n = irq_routing_fill(table->entries, IRQ_ROUTING_NR_ENTRIES);
	table->nr = (uint32_t)n;
	r = ioctl(vm_fd, KVM_SET_GSI_ROUTING, table);
	saved = errno;
	free(table);
	if (r < 0)
		return errmsg_set(
			err, saved,
			"KVM_SET_GSI_ROUTING (PIT on IOAPIC pin 2) failed: %s",
			strerror(saved));
	return 0;
}
