/* SPDX-License-Identifier: GPL-2.0 */
/* Per-vCPU CPUID: KVM's supported set, topology, and the CPU template. */
#ifndef KVMSCOPE_ARCH_X86_CPUID_H
#define KVMSCOPE_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "arch/x86/cpu_features.h"
#include "arch/x86/cpu_template.h"

#define CPUID_MAX_ENTRIES 256

/* KVM_GET_SUPPORTED_CPUID into a malloc'd table (caller frees). */
struct kvm_cpuid2 *cpuid_get_supported(int kvm_fd);
/*
 * KVM_GET_CPUID2 of a vCPU into a malloc'd table (caller frees): what KVM
 * holds, which a KVM may have changed from what it was given.
 */
struct kvm_cpuid2 *cpuid_get_vcpu(int vcpu_fd);

struct cpuid_params {
	int apic_id;
	int nr_cpus;
	bool tsc_deadline; /* KVM_CAP_TSC_DEADLINE_TIMER */
	const struct cpu_template *tmpl;
	const struct cpu_feature_edits *edits; /* --cpu-features, or NULL */
};

/*
 * Build the CPUID table for one vCPU from the supported set (not modified):
 * APIC ID and topology leaves (1, 4, 0xb, 0x1f, 0x80000008), x2APIC and
 * TSC-deadline advertised as QEMU does, the hypervisor bit, the
 * template's hidden features cleared, then the --cpu-features edits. Returns a malloc'd table.
 */
struct kvm_cpuid2 *cpuid_build(const struct kvm_cpuid2 *supported,
			       const struct cpuid_params *p);

/* Find an entry (NULL if absent). */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn,
				    uint32_t index);

/* Bit of register reg (0 EAX .. 3 EDX) of leaf fn/index; false if absent. */
bool cpuid_has_bit(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index, int reg,
		   int bit);

#endif
