// SPDX-License-Identifier: GPL-2.0
/* Which MSRs the guest's CPUID hides: each feature bit, Intel and AMD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/msr_filter.h"

static struct kvm_cpuid2 *cpuid_with(uint32_t edx7, uint32_t ebx_ext8,
				     uint32_t ecx7, uint32_t eax_d1)
{
	struct kvm_cpuid2 *c =
		calloc(1, sizeof(*c) + 3 * sizeof(struct kvm_cpuid_entry2));

	c->nent = 3;
	c->entries[0].function = 7;
	c->entries[0].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	c->entries[0].edx = edx7;
	c->entries[0].ecx = ecx7;
	c->entries[1].function = 0x80000008;
	c->entries[1].ebx = ebx_ext8;
	c->entries[2].function = 0xd;
	c->entries[2].index = 1;
	c->entries[2].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	c->entries[2].eax = eax_d1;
	return c;
}

static bool denied(struct kvm_cpuid2 *c, uint32_t msr)
{
	uint32_t msrs[MSR_FILTER_MAX];
	int i, n = msr_filter_hidden(c, msrs, MSR_FILTER_MAX);

	for (i = 0; i < n; i++)
		if (msrs[i] == msr)
			return true;
	return false;
}

static void nothing_offered_denies_all(void **state)
{
	struct kvm_cpuid2 *c = cpuid_with(0, 0, 0, 0);
	uint32_t msrs[MSR_FILTER_MAX];

	(void)state;
	assert_int_equal(msr_filter_hidden(c, msrs, MSR_FILTER_MAX), 8);
	assert_true(denied(c, 0x48) && denied(c, 0x49) && denied(c, 0x10b) &&
		    denied(c, 0x10a) && denied(c, 0x122) && denied(c, 0xe1) &&
		    denied(c, 0x1c4) && denied(c, 0x1c5));
	assert_string_equal(msr_filter_name(0x48), "SPEC_CTRL");
	assert_null(msr_filter_name(0x10));
	/* max bounds the output */
	assert_int_equal(msr_filter_hidden(c, msrs, 2), 2);
	free(c);
}

static void each_feature_unhides_its_msrs(void **state)
{
	struct kvm_cpuid2 *c;

	(void)state;
	c = cpuid_with(1u << 26, 0, 0, 0); /* IBRS/IBPB */
	assert_false(denied(c, 0x48));
	assert_false(denied(c, 0x49));
	assert_true(denied(c, 0x10b));
	free(c);
	c = cpuid_with(1u << 31, 0, 0, 0); /* SSBD only: no IBPB */
	assert_false(denied(c, 0x48));
	assert_true(denied(c, 0x49));
	free(c);
	c = cpuid_with(0, 1u << 12, 0, 0); /* AMD IBPB */
	assert_true(denied(c, 0x48));
	assert_false(denied(c, 0x49));
	free(c);
	c = cpuid_with(0, 1u << 14, 0, 0); /* AMD IBRS */
	assert_false(denied(c, 0x48));
	free(c);
	c = cpuid_with((1u << 28) | (1u << 29), 0, 1u << 5, 1u << 4);
	assert_false(denied(c, 0x10b));
	assert_false(denied(c, 0x10a));
	assert_false(denied(c, 0x122));
	assert_false(denied(c, 0xe1));
	assert_false(denied(c, 0x1c4));
	assert_false(denied(c, 0x1c5));
	assert_true(denied(c, 0x48));
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_offered_denies_all),
		cmocka_unit_test(each_feature_unhides_its_msrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
