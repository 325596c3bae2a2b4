/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --cpu-features: CPUID feature flags by name, added (+name) or removed
 * (-name) after the CPU template, like QEMU's `-cpu host,+clwb,-invpcid`.
 * Names are Linux's /proc/cpuinfo flag names.
 */
#ifndef KVMSCOPE_ARCH_X86_CPU_FEATURES_H
#define KVMSCOPE_ARCH_X86_CPU_FEATURES_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "arch/x86/cpu_template.h"
#include "util/errmsg.h"

#define CPU_FEATURES_MAX_EDITS 32

struct cpu_feature_edit {
	const struct cpuid_bit *bit;
	bool set; /* true: +name, false: -name */
};

struct cpu_feature_edits {
	struct cpu_feature_edit edit[CPU_FEATURES_MAX_EDITS];
	int nr;
};

/* Every name, space separated, for error messages and docs. */
const char *cpu_feature_names(void);
/* The named feature, or NULL. */
const struct cpuid_bit *cpu_feature_find(const char *name);

/*
 * Parse "+a,-b,..." into edits (appended; a later edit of the same name
 * wins when applied). 0, or -EINVAL with a message naming the bad item.
 */
int cpu_features_parse(const char *list, struct cpu_feature_edits *edits,
		       struct errmsg *err);

/*
 * Apply the edits to a vCPU's CPUID table. A feature whose leaf the table
 * does not have is skipped (reported by cpu_features_check).
 */
void cpu_features_apply(const struct cpu_feature_edits *edits,
			struct kvm_cpuid2 *cpuid);

/*
 * Check the edits against KVM's supported CPUID: -EINVAL with a message
 * when a feature's leaf is absent (nothing to set the bit in). A set bit
 * KVM does not report as supported is allowed (firmware-style CPUID
 * overrides, tests of emulator fallbacks) and returned in *unsupported
 * (the first such feature; NULL if none) so the caller can warn.
 */
int cpu_features_check(const struct cpu_feature_edits *edits,
		       struct kvm_cpuid2 *supported,
		       const struct cpuid_bit **unsupported,
		       struct errmsg *err);

/*
 * The edits the vCPU's actual CPUID (KVM_GET_CPUID2) does not show, into
 * out[] (CPU_FEATURES_MAX_EDITS entries); returns how many. Some KVMs
 * (kvm_pvm) pass leaves of the host's CPUID through.
 */
int cpu_features_unhonoured(const struct cpu_feature_edits *edits,
			    struct kvm_cpuid2 *actual,
			    const struct cpu_feature_edit **out);

#endif
