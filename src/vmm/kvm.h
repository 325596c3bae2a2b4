/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/kvm: open it, check the API version and every capability we use. */
#ifndef KVMSCOPE_VMM_KVM_H
#define KVMSCOPE_VMM_KVM_H

#include <stdbool.h>

#include "util/errmsg.h"

struct kvm_caps {
	int max_vcpus; /* KVM_CAP_MAX_VCPUS (or NR_VCPUS on old kernels) */
	int nr_memslots;
	bool tsc_deadline; /* KVM_CAP_TSC_DEADLINE_TIMER */
	bool x2apic_api;
};

struct kvm_host {
	int fd;
	int vcpu_mmap_size;
	struct kvm_caps caps;
};

/* Open dev_path (normally /dev/kvm) and check it; fills err on failure. */
int kvm_host_open(struct kvm_host *kvm, const char *dev_path,
		  struct errmsg *err);
void kvm_host_close(struct kvm_host *kvm);
/* KVM_CHECK_EXTENSION on any KVM fd; 0 when absent. */
int kvm_check_cap(int fd, int cap);

#endif
