// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/kvm.h"

/*
 * Every capability kvmscope relies on, with what it is used for, so that a
 * host without one gets told exactly what is missing.
 */
static const struct {
	int cap;
	const char *name;
	const char *use;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", "in-kernel PIC/IOAPIC/LAPIC" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2", "in-kernel PIT" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "CPUID setup" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR", "real-mode support" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE", "vCPU state (halt detection)" },
	{ KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS",
	  "exception delivery (emulator fallbacks)" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT",
	  "stopping vCPUs without races" },
};

int kvm_check_cap(int fd, int cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_host_open(struct kvm_host *kvm, const char *dev_path,
		  struct errmsg *err)
{
	unsigned int i;
	int version;

	memset(kvm, 0, sizeof(*kvm));
	kvm->fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return errmsg_set(
				err, e,
				"%s does not exist: load the KVM module (modprobe kvm_intel or kvm_amd) and enable virtualization in the firmware",
				dev_path);
		if (e == EACCES || e == EPERM)
			return errmsg_set(
				err, e,
				"no permission to open %s: add your user to the 'kvm' group (or run as root)",
				dev_path);
		return errmsg_set(err, e, "cannot open %s: %s", dev_path,
				  strerror(e));
	}
	version = ioctl(kvm->fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		kvm_host_close(kvm);
		return errmsg_set(
			err, ENOTSUP,
			"%s speaks KVM API version %d, kvmscope needs %d: use a Linux host kernel from the last decade",
			dev_path, version, KVM_API_VERSION);
	}
	for (i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (kvm_check_cap(kvm->fd, required_caps[i].cap))
			continue;
		errmsg_set(
			err, ENOTSUP,
			"this host's KVM lacks %s (needed for %s): use a newer host kernel",
			required_caps[i].name, required_caps[i].use);
		kvm_host_close(kvm);
		return -ENOTSUP;
	}
	kvm->vcpu_mmap_size = ioctl(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		kvm_host_close(kvm);
		return errmsg_set(
			err, EINVAL,
			"KVM_GET_VCPU_MMAP_SIZE returned %d: broken KVM",
			kvm->vcpu_mmap_size);
	}
	kvm->caps.max_vcpus = kvm_check_cap(kvm->fd, KVM_CAP_MAX_VCPUS);
	if (!kvm->caps.max_vcpus)
		kvm->caps.max_vcpus = kvm_check_cap(kvm->fd, KVM_CAP_NR_VCPUS);
	if (!kvm->caps.max_vcpus)
		kvm->caps.max_vcpus = 4; /* KVM's documented floor */
	kvm->caps.nr_memslots = kvm_check_cap(kvm->fd, KVM_CAP_NR_MEMSLOTS);
	kvm->caps.tsc_deadline =
		kvm_check_cap(kvm->fd, KVM_CAP_TSC_DEADLINE_TIMER);
	kvm->caps.x2apic_api = kvm_check_cap(kvm->fd, KVM_CAP_X2APIC_API);
	return 0;
}

void kvm_host_close(struct kvm_host *kvm)
{
	if (kvm->fd >= 0)
		close(kvm->fd);
	kvm->fd = -1;
}
