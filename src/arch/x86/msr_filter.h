/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSRs follow the CPUID the guest sees: an MSR whose feature the guest's
 * CPUID does not offer raises #GP, as on hardware without the feature,
 * instead of reading and writing the host KVM's emulation of it. Done with
 * KVM_X86_SET_MSR_FILTER (KVM_CAP_X86_MSR_FILTER, Linux 5.10): a denied
 * access makes KVM inject #GP itself, no exit to userspace needed.
 */
#ifndef KVMSCOPE_ARCH_X86_MSR_FILTER_H
#define KVMSCOPE_ARCH_X86_MSR_FILTER_H

#include <linux/kvm.h>
#include <stdint.h>

#define MSR_FILTER_MAX 16

/* The MSRs to deny for this CPUID: their count, written to msrs[]. */
int msr_filter_hidden(struct kvm_cpuid2 *cpuid, uint32_t *msrs, int max);

/* "SPEC_CTRL" ..., for logs; NULL for MSRs not in the table. */
const char *msr_filter_name(uint32_t msr);

/*
 * Deny the MSRs hidden by cpuid on the VM (every vCPU). 0; -ENOTSUP when
 * KVM has no MSR filter (the caller logs it: the guest then reaches KVM's
 * emulation of those MSRs, as before); -errno otherwise.
 */
int msr_filter_install(int kvm_fd, int vm_fd, struct kvm_cpuid2 *cpuid,
		       int *nr_denied);

#endif
