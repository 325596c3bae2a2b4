// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/cpuid.h"

struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd)
{
	int nent = 64;

	/* KVM says E2BIG until the buffer is large enough. */
	for (;;) {
		struct kvm_cpuid2 *c =
			calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || nent >= 4096)
			return NULL;
		nent *= 2;
	}
}

struct kvm_cpuid2 *cpuid_get_vcpu(int vcpu_fd)
{
	struct kvm_cpuid2 *c = calloc(
		1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));

	if (!c)
		return NULL;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vcpu_fd, KVM_GET_CPUID2, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn,
				    uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (c->entries[i].index == index ||
		     !(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return &c->entries[i];
	return NULL;
}

static uint32_t *entry_reg(struct kvm_cpuid_entry2 *e, int reg)
{
	switch (reg) {
	case 0:
		return &e->eax;
	case 1:
		return &e->ebx;
	case 2:
		return &e->ecx;
	default:
		return &e->edx;
	}
}

bool cpuid_has_bit(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index, int reg,
		   int bit)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, index);

	return e && (*entry_reg(e, reg) >> bit) & 1;
}

static int order_base_2(int n)
{
	int shift = 0;

	while ((1 << shift) < n)
		shift++;
	return shift;
}

/* Drop every entry of leaf fn (to replace them). */
static void remove_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t i, j = 0;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function != fn)
			c->entries[j++] = c->entries[i];
	c->nent = j;
}

static void add_topology_leaf(struct kvm_cpuid2 *c, uint32_t fn,
			      const struct cpuid_params *p)
{
	/* Subleaf 0: SMT level (1 thread per core); 1: core level; 2: end. */
	static const uint32_t level_type[3] = { 1, 2, 0 };
	int core_shift = order_base_2(p->nr_cpus);
	uint32_t i;

	for (i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

		memset(e, 0, sizeof(*e));
		e->function = fn;
		e->index = i;
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e->ecx = (level_type[i] << 8) | i;
		e->edx = p->apic_id;
		if (i == 0) {
			e->eax = 0;
			e->ebx = 1;
		} else if (i == 1) {
			e->eax = core_shift;
			e->ebx = p->nr_cpus;
		}
	}
}

struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported,
			       const struct cpuid_params *p)
{
	size_t size = sizeof(*supported) +
		      (supported->nent + 8) * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	struct kvm_cpuid_entry2 *e;
	int core_shift = order_base_2(p->nr_cpus);
	int i;

	if (!c)
		return NULL;
	memcpy(c, supported,
	       sizeof(*supported) +
		       supported->nent * sizeof(supported->entries[0]));

	e = cpuid_find(c, 1, 0);
	if (e) {
		e->ebx &= 0x0000ffff;
		e->ebx |= (uint32_t)p->apic_id << 24;
		e->ebx |= (uint32_t)(1 << core_shift) << 16;
		if (p->nr_cpus > 1)
			e->edx |= 1u << 28; /* HTT: the count field is valid */
		e->ecx |= 1u << 21; /* x2APIC: KVM's LAPIC emulates it */
		if (p->tsc_deadline)
			e->ecx |= 1u << 24;
		e->ecx |= 1u << 31; /* running under a hypervisor */
	}
	/* Leaf 4 (Intel caches): cores per package; L3 shared by all. */
	for (i = 0; i < (int)c->nent; i++) {
		e = &c->entries[i];
		if (e->function != 4 || !(e->eax & 0x1f))
			continue;
		e->eax &= 0x3fff;
		e->eax |= (uint32_t)((1 << core_shift) - 1) << 26;
		if (((e->eax >> 5) & 7) >= 3)
			e->eax |= (uint32_t)(p->nr_cpus - 1) << 14;
	}
	if (cpuid_find(c, 0xb, 0)) {
		remove_leaf(c, 0xb);
		add_topology_leaf(c, 0xb, p);
	}
	if (cpuid_find(c, 0x1f, 0)) {
		remove_leaf(c, 0x1f);
		add_topology_leaf(c, 0x1f, p);
	}
	e = cpuid_find(c, 0x80000008, 0);
	if (e) {
		e->ecx &= ~0xf0ffu;
		e->ecx |= (uint32_t)(p->nr_cpus - 1) | (core_shift << 12);
	}

	for (i = 0; p->tmpl && i < p->tmpl->nr_hidden; i++) {
		const struct cpuid_bit *b = &p->tmpl->hidden[i];

		e = cpuid_find(c, b->leaf, b->subleaf);
		if (e)
			*entry_reg(e, b->reg) &= ~(1u << b->bit);
	}
	cpu_features_apply(p->edits, c);
	/* Without XSAVE, the XSAVE state leaf must not advertise anything. */
	e = cpuid_find(c, 1, 0);
	if (e && !(e->ecx & (1u << 26))) {
		for (i = 0; i < (int)c->nent; i++)
			if (c->entries[i].function == 0xd)
				c->entries[i].eax = c->entries[i].ebx =
					c->entries[i].ecx = c->entries[i].edx =
						0;
	}
	return c;
}
