// SPDX-License-Identifier: GPL-2.0
/*
 * The S3 resume entry (vmm/sleep.c) from FACS bytes: the real-mode
 * FIRMWARE_WAKING_VECTOR split into CS = vector >> 4, IP = vector & 0xf
 * (ACPI 6.5, 5.2.10; SeaBIOS's s3_resume), X_FIRMWARE_WAKING_VECTOR
 * entered in flat 32-bit protected mode, and the vectors firmware cannot
 * resume at (a reboot instead). The whole S3 path runs in test_s3.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "vmm/sleep.h"

static uint8_t facs[ACPI_FACS_SIZE];

static void make_facs(uint32_t v, uint64_t xv, uint32_t ospm)
{
	int i;

	memset(facs, 0, sizeof(facs));
	memcpy(facs, "FACS", 4);
	facs[4] = ACPI_FACS_SIZE;
	facs[32] = 2;
	for (i = 0; i < 4; i++) {
		facs[ACPI_FACS_WAKING_VECTOR + i] = (uint8_t)(v >> (8 * i));
		facs[ACPI_FACS_OSPM_FLAGS + i] = (uint8_t)(ospm >> (8 * i));
	}
	for (i = 0; i < 8; i++)
		facs[ACPI_FACS_X_WAKING_VECTOR + i] = (uint8_t)(xv >> (8 * i));
}

static enum wake_mode entry(uint16_t *cs, uint64_t *ip)
{
	return sleep_wake_entry(facs, cs, ip);
}

static void test_real_mode_vector(void **state)
{
	uint16_t cs;
	uint64_t ip;

	make_facs(0x6008, 0, 0);
	assert_int_equal(entry(&cs, &ip), WAKE_REAL_MODE);
	assert_int_equal(cs, 0x0600);
	assert_int_equal(ip, 0x0008);
	/* Linux's wakeup code is page-aligned: IP 0. */
	make_facs(0x9a000, 0, 0);
	assert_int_equal(entry(&cs, &ip), WAKE_REAL_MODE);
	assert_int_equal(cs, 0x9a00);
	assert_int_equal(ip, 0);
	make_facs(0xfffff, 0, 0);
	assert_int_equal(entry(&cs, &ip), WAKE_REAL_MODE);
	assert_int_equal(cs, 0xffff);
	assert_int_equal(ip, 0xf);
}

static void test_protected_mode_vector(void **state)
{
	uint16_t cs;
	uint64_t ip;

	/* X_ wins over the 32-bit one when set. */
	make_facs(0x6008, 0x123456, 0);
	assert_int_equal(entry(&cs, &ip), WAKE_PROTECTED_MODE);
	assert_int_equal(ip, 0x123456);
	/*
	 * 64BIT_WAKE_F without the firmware's 64BIT_WAKE_SUPPORTED_F:
	 * still 32-bit protected mode.
	 */
	make_facs(0, 0xfffff000, ACPI_FACS_64BIT_WAKE_F);
	assert_int_equal(entry(&cs, &ip), WAKE_PROTECTED_MODE);
	assert_int_equal(ip, 0xfffff000);
}

static void test_no_usable_vector(void **state)
{
	uint16_t cs = 1;
	uint64_t ip = 1;

	make_facs(0, 0, 0);
	assert_int_equal(entry(&cs, &ip), WAKE_NO_VECTOR);
	assert_int_equal(cs, 0);
	assert_int_equal(ip, 0);
	/* Beyond what real mode reaches, or what EIP holds. */
	make_facs(0x100000, 0, 0);
	assert_int_equal(entry(&cs, &ip), WAKE_NO_VECTOR);
	make_facs(0, 0x100000000ULL, 0);
	assert_int_equal(entry(&cs, &ip), WAKE_NO_VECTOR);
	/* A FACS the guest overwrote is not trusted. */
	make_facs(0x6008, 0, 0);
	facs[0] = 'X';
	assert_int_equal(entry(&cs, &ip), WAKE_NO_VECTOR);
}

static void reset_state(struct kvm_sregs *s, struct kvm_regs *r)
{
	/* What KVM gives a vCPU at creation (the reset state). */
	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	s->cr0 = 0x60000010;
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	s->cs.limit = 0xffff;
	s->cs.type = 0xb;
	s->cs.present = 1;
	s->cs.s = 1;
	s->ds.limit = 0xffff;
	s->ds.type = 0x3;
	s->ds.present = 1;
	s->ds.s = 1;
	r->rip = 0xfff0;
	r->rflags = 0x2;
}

static void test_set_real_mode_entry(void **state)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	reset_state(&s, &r);
	r.rflags = 0x202;
	sleep_set_entry(WAKE_REAL_MODE, 0x0600, 0x8, &s, &r);
	assert_int_equal(s.cs.selector, 0x0600);
	assert_int_equal(s.cs.base, 0x6000);
	assert_int_equal(s.cs.limit, 0xffff);
	assert_int_equal(s.cs.db, 0);
	assert_int_equal(r.rip, 0x8);
	assert_int_equal(r.rflags, 0x2); /* interrupts off */
	assert_int_equal(s.cr0 & 1, 0); /* still real mode */
	assert_int_equal(s.ds.base, 0);
}

static void test_set_protected_mode_entry(void **state)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	const struct kvm_segment *segs[] = { &s.ds, &s.es, &s.fs, &s.gs,
					     &s.ss };
	size_t i;

	reset_state(&s, &r);
	sleep_set_entry(WAKE_PROTECTED_MODE, 0, 0x123456, &s, &r);
	assert_int_equal(s.cr0 & 1, 1);
	assert_int_equal(s.cr0 & 0x80000000u, 0); /* paging off */
	assert_int_equal(r.rip, 0x123456);
	assert_int_equal(r.rflags, 0x2);
	assert_int_equal(s.cs.base, 0);
	assert_int_equal(s.cs.limit, 0xffffffff);
	assert_int_equal(s.cs.db, 1);
	assert_int_equal(s.cs.g, 1);
	assert_int_equal(s.cs.type, 0xb);
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		assert_int_equal(segs[i]->base, 0);
		assert_int_equal(segs[i]->limit, 0xffffffff);
		assert_int_equal(segs[i]->type, 0x3);
		assert_int_equal(segs[i]->db, 1);
		assert_int_equal(segs[i]->present, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_mode_vector),
		cmocka_unit_test(test_protected_mode_vector),
		cmocka_unit_test(test_no_usable_vector),
		cmocka_unit_test(test_set_real_mode_entry),
		cmocka_unit_test(test_set_protected_mode_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
