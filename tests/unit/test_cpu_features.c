// SPDX-License-Identifier: GPL-2.0
/*
 * --cpu-features: parsing (+name/-name lists, exact error lines), applying
 * the edits after the template in cpuid_build, the check against KVM's
 * supported CPUID, and finding edits a KVM did not take.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/cpu_features.h"
#include "arch/x86/cpuid.h"

/* A supported set with leaves 1 and 7 only: CLWB supported, INVPCID not. */
static struct kvm_cpuid2 *supported(void)
{
	struct kvm_cpuid2 *c =
		calloc(1, sizeof(*c) + 2 * sizeof(c->entries[0]));

	c->nent = 2;
	c->entries[0].function = 1;
	c->entries[0].ecx = 1u << 13; /* cx16 */
	c->entries[1].function = 7;
	c->entries[1].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	c->entries[1].ebx = (1u << 24) | (1u << 23); /* clwb, clflushopt */
	return c;
}

static void test_parse(void **state)
{
	struct cpu_feature_edits e = { 0 };
	struct errmsg err = { { 0 } };

	assert_int_equal(cpu_features_parse("+invpcid,-clwb", &e, &err), 0);
	assert_int_equal(e.nr, 2);
	assert_string_equal(e.edit[0].bit->name, "invpcid");
	assert_true(e.edit[0].set);
	assert_int_equal(e.edit[0].bit->leaf, 7);
	assert_int_equal(e.edit[0].bit->bit, 10);
	assert_string_equal(e.edit[1].bit->name, "clwb");
	assert_false(e.edit[1].set);

	memset(&e, 0, sizeof(e));
	assert_int_equal(cpu_features_parse("clwb", &e, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"--cpu-features item 'clwb' is invalid: write +name to add a feature or -name to remove it");
	assert_int_equal(cpu_features_parse("+clwb,,-x", &e, &err), -EINVAL);
	assert_string_equal(
		err.text,
		"--cpu-features item '' is invalid: write +name to add a feature or -name to remove it");
	assert_int_equal(cpu_features_parse("+clwb,", &e, &err), -EINVAL);
	assert_string_equal(err.text,
			    "--cpu-features ends with a comma: remove it");
	assert_int_equal(cpu_features_parse("", &e, &err), -EINVAL);
	assert_int_equal(cpu_features_parse("+", &e, &err), -EINVAL);
	assert_int_equal(cpu_features_parse("+nosuch", &e, &err), -EINVAL);
	assert_non_null(strstr(
		err.text,
		"--cpu-features: unknown feature 'nosuch': use one of sse3 "));
	assert_int_equal(
		cpu_features_parse("+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				   &e, &err),
		-EINVAL);
	assert_string_equal(
		err.text,
		"--cpu-features item '+aaaaaaaaaaaaaaaaaaa...' is too long");
}

static void test_too_many(void **state)
{
	struct cpu_feature_edits e = { 0 };
	struct errmsg err = { { 0 } };
	char list[CPU_FEATURES_MAX_EDITS * 6 + 16] = "";
	int i;

	for (i = 0; i <= CPU_FEATURES_MAX_EDITS; i++)
		strcat(list, i ? ",+clwb" : "+clwb");
	assert_int_equal(cpu_features_parse(list, &e, &err), -EINVAL);
	assert_string_equal(err.text, "--cpu-features: more than 32 items");
}

static void test_apply_after_template(void **state)
{
	static const struct cpuid_bit hide_clwb[] = { { 7, 0, 1, 24, "CLWB" } };
	const struct cpu_template tmpl = { "t", "", hide_clwb, 1, NULL };
	struct kvm_cpuid2 *sup = supported(), *c;
	struct cpu_feature_edits e = { 0 };
	struct errmsg err = { { 0 } };
	struct cpuid_params p = { .nr_cpus = 1, .tmpl = &tmpl };

	/* The template hides clwb ... */
	c = cpuid_build(sup, &p);
	assert_false(cpuid_has_bit(c, 7, 0, 1, 24));
	assert_true(cpuid_has_bit(c, 7, 0, 1, 23));
	free(c);
	/* ... and the user's edits come last: the later of two wins. */
	assert_int_equal(cpu_features_parse("-clflushopt,+clwb,+invpcid,-cx16",
					    &e, &err),
			 0);
	p.edits = &e;
	c = cpuid_build(sup, &p);
	assert_true(cpuid_has_bit(c, 7, 0, 1, 24));
	assert_false(cpuid_has_bit(c, 7, 0, 1, 23));
	assert_true(cpuid_has_bit(c, 7, 0, 1, 10));
	assert_false(cpuid_has_bit(c, 1, 0, 2, 13));
	free(c);
	free(sup);
}

static void test_check_and_unhonoured(void **state)
{
	const struct cpu_feature_edit *bad[CPU_FEATURES_MAX_EDITS];
	const struct cpuid_bit *unsupported;
	struct kvm_cpuid2 *sup = supported();
	struct cpu_feature_edits e = { 0 };
	struct errmsg err = { { 0 } };

	/* +invpcid is not supported: allowed, and named for a warning */
	assert_int_equal(cpu_features_parse("+clwb,+invpcid", &e, &err), 0);
	assert_int_equal(cpu_features_check(&e, sup, &unsupported, &err), 0);
	assert_non_null(unsupported);
	assert_string_equal(unsupported->name, "invpcid");
	/* a leaf this KVM lacks cannot hold the bit */
	memset(&e, 0, sizeof(e));
	assert_int_equal(cpu_features_parse("-rdpru", &e, &err), 0);
	assert_int_equal(cpu_features_check(&e, sup, &unsupported, &err),
			 -EINVAL);
	assert_string_equal(
		err.text,
		"--cpu-features -rdpru: this KVM has no CPUID leaf 0x80000008 to hold it");
	/* what KVM shows afterwards: clwb kept, invpcid dropped */
	memset(&e, 0, sizeof(e));
	assert_int_equal(
		cpu_features_parse("-clwb,+invpcid,-clflushopt,+clflushopt", &e,
				   &err),
		0);
	assert_int_equal(cpu_features_unhonoured(&e, sup, bad), 2);
	assert_string_equal(bad[0]->bit->name, "clwb");
	assert_false(bad[0]->set);
	assert_string_equal(bad[1]->bit->name, "invpcid");
	free(sup);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_apply_after_template),
		cmocka_unit_test(test_check_and_unhonoured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
