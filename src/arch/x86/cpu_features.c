// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/cpu_features.h"
#include "arch/x86/cpuid.h"

#define EAX 0
#define EBX 1
#define ECX 2
#define EDX 3

/*
 * The flags a user of a debugging VMM toggles: what the CPU templates hide,
 * what the emulator fallbacks complete, and the usual suspects of guest
 * feature detection. Bit positions: Intel SDM vol. 2 CPUID, AMD APM vol. 3.
 */
static const struct cpuid_bit features[] = {
	{ 0x1, 0, ECX, 0, "sse3" },
	{ 0x1, 0, ECX, 1, "pclmulqdq" },
	{ 0x1, 0, ECX, 9, "ssse3" },
	{ 0x1, 0, ECX, 12, "fma" },
	{ 0x1, 0, ECX, 13, "cx16" },
	{ 0x1, 0, ECX, 17, "pcid" },
	{ 0x1, 0, ECX, 19, "sse4_1" },
	{ 0x1, 0, ECX, 20, "sse4_2" },
	{ 0x1, 0, ECX, 21, "x2apic" },
	{ 0x1, 0, ECX, 22, "movbe" },
	{ 0x1, 0, ECX, 23, "popcnt" },
	{ 0x1, 0, ECX, 24, "tsc_deadline_timer" },
	{ 0x1, 0, ECX, 25, "aes" },
	{ 0x1, 0, ECX, 26, "xsave" },
	{ 0x1, 0, ECX, 28, "avx" },
	{ 0x1, 0, ECX, 29, "f16c" },
	{ 0x1, 0, ECX, 30, "rdrand" },
	{ 0x1, 0, EDX, 19, "clflush" },
	{ 0x7, 0, EBX, 0, "fsgsbase" },
	{ 0x7, 0, EBX, 3, "bmi1" },
	{ 0x7, 0, EBX, 5, "avx2" },
	{ 0x7, 0, EBX, 7, "smep" },
	{ 0x7, 0, EBX, 8, "bmi2" },
	{ 0x7, 0, EBX, 9, "erms" },
	{ 0x7, 0, EBX, 10, "invpcid" },
	{ 0x7, 0, EBX, 18, "rdseed" },
	{ 0x7, 0, EBX, 19, "adx" },
	{ 0x7, 0, EBX, 20, "smap" },
	{ 0x7, 0, EBX, 23, "clflushopt" },
	{ 0x7, 0, EBX, 24, "clwb" },
	{ 0x7, 0, EBX, 29, "sha_ni" },
	{ 0x7, 0, ECX, 2, "umip" },
	{ 0x7, 0, ECX, 3, "pku" },
	{ 0x7, 0, ECX, 22, "rdpid" },
	{ 0x7, 0, EDX, 4, "fsrm" },
	{ 0x7, 0, EDX, 26, "spec_ctrl" },
	{ 0x7, 0, EDX, 27, "intel_stibp" },
	{ 0x7, 0, EDX, 28, "flush_l1d" },
	{ 0x7, 0, EDX, 29, "arch_capabilities" },
	{ 0x80000001, 0, ECX, 5, "abm" },
	{ 0x80000001, 0, EDX, 27, "rdtscp" },
	{ 0x80000008, 0, EBX, 4, "rdpru" },
};

#define NR_FEATURES (sizeof(features) / sizeof(features[0]))

const struct cpuid_bit *cpu_feature_find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_FEATURES; i++)
		if (!strcmp(features[i].name, name))
			return &features[i];
	return NULL;
}

const char *cpu_feature_names(void)
{
	static char names[NR_FEATURES * 20];
	size_t i, off = 0;

	if (names[0])
		return names;
	for (i = 0; i < NR_FEATURES; i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off,
					"%s%s", i ? " " : "", features[i].name);
	return names;
}

int cpu_features_parse(const char *list, struct cpu_feature_edits *edits,
		       struct errmsg *err)
{
	const char *p = list;

	if (!*p)
		return errmsg_set(
			err, EINVAL,
			"--cpu-features is empty: give +name or -name items separated by commas, e.g. +clwb,-invpcid");
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const struct cpuid_bit *bit;
		char name[32];

		if (n < 2 || (p[0] != '+' && p[0] != '-'))
			return errmsg_set(
				err, EINVAL,
				"--cpu-features item '%.*s' is invalid: write +name to add a feature or -name to remove it",
				(int)(n > 40 ? 40 : n), p);
		if (n - 1 >= sizeof(name))
			return errmsg_set(
				err, EINVAL,
				"--cpu-features item '%.*s...' is too long", 20,
				p);
		memcpy(name, p + 1, n - 1);
		name[n - 1] = '\0';
		bit = cpu_feature_find(name);
		if (!bit)
			return errmsg_set(
				err, EINVAL,
				"--cpu-features: unknown feature '%s': use one of %s",
				name, cpu_feature_names());
		if (edits->nr >= CPU_FEATURES_MAX_EDITS)
			return errmsg_set(err, EINVAL,
					  "--cpu-features: more than %d items",
					  CPU_FEATURES_MAX_EDITS);
		edits->edit[edits->nr].bit = bit;
		edits->edit[edits->nr].set = p[0] == '+';
		edits->nr++;
		p += n;
		if (*p == ',') {
			p++;
			if (!*p)
				return errmsg_set(
					err, EINVAL,
					"--cpu-features ends with a comma: remove it");
		}
	}
	return 0;
}

static uint32_t *entry_reg(struct kvm_cpuid_entry2 *e, int reg)
{
	return reg == EAX ? &e->eax :
	       reg == EBX ? &e->ebx :
	       reg == ECX ? &e->ecx :
			    &e->edx;
}

void cpu_features_apply(const struct cpu_feature_edits *edits,
			struct kvm_cpuid2 *cpuid)
{
	int i;

	for (i = 0; edits && i < edits->nr; i++) {
		const struct cpuid_bit *b = edits->edit[i].bit;
		struct kvm_cpuid_entry2 *e =
			cpuid_find(cpuid, b->leaf, b->subleaf);

		if (!e)
			continue;
		if (edits->edit[i].set)
			*entry_reg(e, b->reg) |= 1u << b->bit;
		else
			*entry_reg(e, b->reg) &= ~(1u << b->bit);
	}
}

int cpu_features_unhonoured(const struct cpu_feature_edits *edits,
			    struct kvm_cpuid2 *actual,
			    const struct cpu_feature_edit **out)
{
	int i, j, n = 0;

	for (i = 0; edits && i < edits->nr; i++) {
		const struct cpu_feature_edit *e = &edits->edit[i];
		const struct cpuid_bit *b = e->bit;
		bool later = false;

		/* Only the last edit of a feature counts. */
		for (j = i + 1; j < edits->nr; j++)
			later |= edits->edit[j].bit == b;
		if (!later && cpuid_has_bit(actual, b->leaf, b->subleaf, b->reg,
					    b->bit) != e->set)
			out[n++] = e;
	}
	return n;
}

int cpu_features_check(const struct cpu_feature_edits *edits,
		       struct kvm_cpuid2 *supported,
		       const struct cpuid_bit **unsupported, struct errmsg *err)
{
	int i;

	*unsupported = NULL;
	for (i = 0; edits && i < edits->nr; i++) {
		const struct cpuid_bit *b = edits->edit[i].bit;

		if (!cpuid_find(supported, b->leaf, b->subleaf))
			return errmsg_set(
				err, EINVAL,
				"--cpu-features %c%s: this KVM has no CPUID leaf 0x%x to hold it",
				edits->edit[i].set ? '+' : '-', b->name,
				b->leaf);
		if (edits->edit[i].set && !*unsupported &&
		    !cpuid_has_bit(supported, b->leaf, b->subleaf, b->reg,
				   b->bit))
			*unsupported = b;
	}
	return 0;
}
