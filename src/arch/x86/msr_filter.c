// SPDX-License-Identifier: GPL-2.0
#include "arch/x86/msr_filter.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/cpuid.h"

enum { EAX, EBX, ECX, EDX };

struct msr_cpuid_bit {
	uint32_t fn, index;
	int reg, bit;
};

/*
 * One row per MSR: it exists when any of its CPUID bits is set (SDM vol.
 * 4, table 2-2, "Architectural MSRs", and AMD's equivalents).
 */
static const struct {
	uint32_t msr;
	const char *name;
	struct msr_cpuid_bit any_of[3];
	int nr;
} msr_features[] = {
	/* IBRS/IBPB (7.EDX[26]), STIBP (7.EDX[27]), SSBD (7.EDX[31]);
	   AMD: IBRS 0x80000008.EBX[14], STIBP [15], SSBD [24] */
	{ 0x48, "SPEC_CTRL",
	  { { 7, 0, EDX, 26 }, { 7, 0, EDX, 31 }, { 0x80000008, 0, EBX, 14 } },
	  3 },
	/* IBPB: 7.EDX[26]; AMD 0x80000008.EBX[12] */
	{ 0x49, "PRED_CMD", { { 7, 0, EDX, 26 }, { 0x80000008, 0, EBX, 12 } },
	  2 },
	/* L1D_FLUSH: 7.EDX[28] */
	{ 0x10b, "FLUSH_CMD", { { 7, 0, EDX, 28 } }, 1 },
	/* ARCH_CAPABILITIES: 7.EDX[29] */
	{ 0x10a, "ARCH_CAPABILITIES", { { 7, 0, EDX, 29 } }, 1 },
	/* TSX_CTRL is enumerated by ARCH_CAPABILITIES: absent with it */
	{ 0x122, "TSX_CTRL", { { 7, 0, EDX, 29 } }, 1 },
	/* UMWAIT_CONTROL: WAITPKG 7.ECX[5] */
	{ 0xe1, "UMWAIT_CONTROL", { { 7, 0, ECX, 5 } }, 1 },
	/* XFD, XFD_ERR: 0xd.1.EAX[4] */
	{ 0x1c4, "XFD", { { 0xd, 1, EAX, 4 } }, 1 },
	{ 0x1c5, "XFD_ERR", { { 0xd, 1, EAX, 4 } }, 1 },
};

#define NR_MSR_FEATURES (sizeof(msr_features) / sizeof(msr_features[0]))

int msr_filter_hidden(struct kvm_cpuid2 *cpuid, uint32_t *msrs, int max)
{
	size_t i;
	int j, n = 0;

	for (i = 0; i < NR_MSR_FEATURES && n < max; i++) {
		bool present = false;

		for (j = 0; j < msr_features[i].nr; j++)
			present |= cpuid_has_bit(
				cpuid, msr_features[i].any_of[j].fn,
				msr_features[i].any_of[j].index,
				msr_features[i].any_of[j].reg,
				msr_features[i].any_of[j].bit);
		if (!present)
			msrs[n++] = msr_features[i].msr;
	}
	return n;
}

const char *msr_filter_name(uint32_t msr)
{
	size_t i;

	for (i = 0; i < NR_MSR_FEATURES; i++)
		if (msr_features[i].msr == msr)
			return msr_features[i].name;
	return NULL;
}

int msr_filter_install(int kvm_fd, int vm_fd, struct kvm_cpuid2 *cpuid,
		       int *nr_denied)
{
	/* One range per MSR, its one bitmap bit 0: denied. */
	static uint8_t deny[MSR_FILTER_MAX];
	struct kvm_msr_filter filter;
	uint32_t msrs[MSR_FILTER_MAX];
	int i, n;

	*nr_denied = 0;
	n = msr_filter_hidden(cpuid, msrs, MSR_FILTER_MAX);
	if (!n)
		return 0;
	if (n > KVM_MSR_FILTER_MAX_RANGES)
		n = KVM_MSR_FILTER_MAX_RANGES;
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0)
		return -ENOTSUP;
	memset(&filter, 0, sizeof(filter));
	memset(deny, 0, sizeof(deny));
	filter.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	for (i = 0; i < n; i++) {
		filter.ranges[i].flags =
			KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
		filter.ranges[i].base = msrs[i];
		filter.ranges[i].nmsrs = 1;
		filter.ranges[i].bitmap = &deny[i];
	}
	if (ioctl(vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0)
		return -errno;
	*nr_denied = n;
	return 0;
}
