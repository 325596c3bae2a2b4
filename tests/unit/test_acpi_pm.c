// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI power-management device: the sleep control/status registers
 * the FADT points at, and the 0xcf9 reset register, driven the way guests
 * drive them (Linux's acpi_hw_extended_sleep, acpi_reset and reboot=pci).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "devices/legacy.h"
#include "devices/serial.h"
#include "vmm/exit_status.h"

#define SLEEP_CTL 0x600
#define SLEEP_STS 0x601
#define RESET 0xcf9
#define SLP_EN 0x20
#define SLP_TYP(t) ((uint8_t)((t) << 2))
#define WAK_STS 0x80

static struct bus pio, mmio;
static struct device_env env;
static struct serial *com1; /* the table's COM1 */
static int end_requests;
static int end_status;
static char end_why[256];

static void record_end(void *opaque, int status, const char *why)
{
	end_requests++;
	end_status = status;
	snprintf(end_why, sizeof(end_why), "%s", why);
}

static void reset_env(void)
{
	/* Frees the device of the previous test. */
	bus_release(&pio);
	serial_destroy(com1); /* COM1 is ours, not the bus's */
	com1 = NULL;
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(&env, 0, sizeof(env));
	env.pio = &pio;
	env.mmio = &mmio;
	env.ctl.request_end = record_end;
	env.nr_cpus = 1;
	env.console_out_fd = -1;
	env.console_uart = &com1;
	end_requests = 0;
	end_status = -1;
	end_why[0] = '\0';
}

static int setup(void **state)
{
	reset_env();
	assert_int_equal(acpi_pm_register(&env), 0);
	return 0;
}

static int group_teardown(void **state)
{
	bus_release(&pio);
	return 0;
}

static void outb(uint16_t port, uint8_t v)
{
	assert_true(bus_write(&pio, port, &v, 1));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v = 0;

	assert_true(bus_read(&pio, port, &v, 1));
	return v;
}

static void test_ports_match_fadt(void **state)
{
	/* The FADT and the device share these; the values are the ABI. */
	assert_int_equal(ACPI_PM_SLEEP_CTL_PORT, SLEEP_CTL);
	assert_int_equal(ACPI_PM_SLEEP_STS_PORT, SLEEP_STS);
	assert_int_equal(ACPI_PM_RESET_PORT, RESET);
	assert_non_null(bus_find(&pio, SLEEP_CTL, 2));
	assert_non_null(bus_find(&pio, RESET, 1));
	assert_null(bus_find(&pio, SLEEP_CTL - 1, 1));
	assert_null(bus_find(&pio, SLEEP_STS + 1, 1));
	assert_null(bus_find(&pio, RESET - 1, 1));
	assert_null(bus_find(&pio, RESET + 1, 1));
	assert_int_equal(mmio.nr_ranges, 0);
}

static void test_s5_powers_off(void **state)
{
	/* Linux clears WAK_STS first, then writes SLP_TYP | SLP_EN. */
	outb(SLEEP_STS, WAK_STS);
	assert_int_equal(end_requests, 0);
	outb(SLEEP_CTL, SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_POWEROFF);
	assert_int_equal(end_status, 0);
	assert_string_equal(end_why, "guest powered off (ACPI S5)");
}

static void test_other_sleep_types_ignored(void **state)
{
	unsigned int typ;

	for (typ = 0; typ < 8; typ++) {
		if (typ == ACPI_S5_SLP_TYP)
			continue;
		outb(SLEEP_CTL, SLP_TYP(typ) | SLP_EN);
		assert_int_equal(end_requests, 0);
		/* The guest "wakes" at once instead of waiting forever. */
		assert_int_equal(inb(SLEEP_STS), WAK_STS);
		/* WAK_STS is write-1-to-clear; writing 0 keeps it. */
		outb(SLEEP_STS, 0);
		assert_int_equal(inb(SLEEP_STS), WAK_STS);
		outb(SLEEP_STS, WAK_STS);
		assert_int_equal(inb(SLEEP_STS), 0);
	}
}

static int suspend_requests;
static bool (*suspend_wake)(void *dev, const char *source);
static void *suspend_dev;

static void record_suspend(void *opaque,
			   bool (*wake)(void *dev, const char *source),
			   void *dev)
{
	assert_ptr_equal(opaque, &env);
	suspend_requests++;
	suspend_wake = wake;
	suspend_dev = dev;
}

/* The SCI, IRQ 9, as the VM would drive it. */
static int sci_level = -1, sci_events;

static void record_irq(void *opaque, unsigned int irq, int level)
{
	assert_int_equal(irq, ACPI_SCI_IRQ);
	sci_events++;
	sci_level = level;
}

static void outw(uint16_t port, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	assert_true(bus_write(&pio, port, b, 2));
}

static uint16_t inw(uint16_t port)
{
	uint8_t b[2] = { 0, 0 };

	assert_true(bus_read(&pio, port, b, 2));
	return (uint16_t)(b[0] | b[1] << 8);
}

static void setup_s3(void)
{
	reset_env();
	env.ctl.request_suspend = record_suspend;
	env.ctl.opaque = &env;
	env.irq.set_level = record_irq;
	suspend_requests = 0;
	suspend_wake = NULL;
	sci_level = -1;
	sci_events = 0;
	assert_int_equal(acpi_pm_register(&env), 0);
}

/* Linux's acpi_hw_extended_sleep(3), then the VM waking (vmm/sleep.c). */
static void test_s3_suspends_and_wakes(void **state)
{
	setup_s3();
	outb(SLEEP_STS, WAK_STS);
	outb(SLEEP_CTL, SLP_TYP(ACPI_S3_SLP_TYP));
	assert_int_equal(suspend_requests, 0); /* no SLP_EN: nothing */
	outb(SLEEP_CTL, SLP_TYP(ACPI_S3_SLP_TYP) | SLP_EN);
	assert_int_equal(suspend_requests, 1);
	assert_int_equal(end_requests, 0);
	assert_non_null(suspend_wake);
	/* Asleep: the guest's poll of WAK_STS does not end yet. */
	assert_int_equal(inb(SLEEP_STS), 0);
	assert_int_equal(inb(SLEEP_STS), 0);
	/* The wake sets it; the guest clears it (write 1). */
	assert_true(suspend_wake(suspend_dev, "qmp"));
	assert_int_equal(inb(SLEEP_STS), WAK_STS);
	outb(SLEEP_STS, 0);
	assert_int_equal(inb(SLEEP_STS), WAK_STS);
	outb(SLEEP_STS, WAK_STS);
	assert_int_equal(inb(SLEEP_STS), 0);
	/* A stale WAK_STS is cleared by the next S3 entry. */
	assert_true(suspend_wake(suspend_dev, "qmp"));
	outb(SLEEP_CTL, SLP_TYP(ACPI_S3_SLP_TYP) | SLP_EN | 0xc3);
	assert_int_equal(suspend_requests, 2);
	assert_int_equal(inb(SLEEP_STS), 0);
}

/*
 * ACPICA's acpi_hw_legacy_sleep(3) on PM1a: clear the status bits, write
 * SLP_TYP, then SLP_TYP | SLP_EN; poll WAK_STS (bit 15 of PM1a status).
 */
#define PM1_STS 0x604
#define PM1_EN 0x606
#define PM1_CNT 0x608
#define PM1_SLP_TYP(t) ((uint16_t)((t) << 10))
#define PM1_SLP_EN 0x2000
#define PM1_WAK_STS 0x8000
#define PM1_RTC 0x0400

static void test_pm1_s3_and_rtc_wake(void **state)
{
	setup_s3();
	assert_int_equal(ACPI_PM1A_EVT_PORT, PM1_STS);
	assert_int_equal(ACPI_PM1A_CNT_PORT, PM1_CNT);
	/* SCI_EN reads 1: always in ACPI mode (no SMI command port). */
	assert_int_equal(inw(PM1_CNT), 0x0001);
	assert_int_equal(inw(PM1_STS), 0);
	assert_int_equal(inw(PM1_EN), 0);
	outw(PM1_STS, 0xffff);
	outw(PM1_CNT, PM1_SLP_TYP(ACPI_S3_SLP_TYP));
	assert_int_equal(suspend_requests, 0);
	/* SLP_TYP reads back; SLP_EN (write-only) does not. */
	assert_int_equal(inw(PM1_CNT), PM1_SLP_TYP(ACPI_S3_SLP_TYP) | 1);
	outw(PM1_CNT, PM1_SLP_TYP(ACPI_S3_SLP_TYP) | PM1_SLP_EN);
	assert_int_equal(suspend_requests, 1);
	assert_int_equal(inw(PM1_CNT), PM1_SLP_TYP(ACPI_S3_SLP_TYP) | 1);
	assert_int_equal(inw(PM1_STS), 0);

	/* The RTC alarm does not wake without RTC_EN; QEMU agrees. */
	assert_false(suspend_wake(suspend_dev, "rtc"));
	assert_int_equal(inw(PM1_STS), 0);
	assert_int_equal(sci_events, 0);
	outw(PM1_EN, PM1_RTC);
	assert_int_equal(inw(PM1_EN), PM1_RTC);
	assert_true(suspend_wake(suspend_dev, "rtc"));
	/* WAK_STS and RTC_STS; RTC_STS & RTC_EN raises the SCI. */
	assert_int_equal(inw(PM1_STS), PM1_WAK_STS | PM1_RTC);
	assert_int_equal(inb(SLEEP_STS), WAK_STS); /* the same WAK_STS */
	assert_int_equal(sci_level, 1);
	/* Write 1 to clear, one bit at a time; the SCI follows. */
	outw(PM1_STS, PM1_RTC);
	assert_int_equal(inw(PM1_STS), PM1_WAK_STS);
	assert_int_equal(sci_level, 0);
	outw(PM1_STS, PM1_WAK_STS);
	assert_int_equal(inw(PM1_STS), 0);
	/* Enable bits PM1 enable does not have stay 0. */
	outw(PM1_EN, 0xffff);
	assert_int_equal(inw(PM1_EN), 0x4721);
	/* A byte write to the high byte of PM1 control is enough. */
	outb(PM1_CNT + 1, (uint8_t)((PM1_SLP_TYP(ACPI_S5_SLP_TYP) |
				     PM1_SLP_EN) >> 8));
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_POWEROFF);
}

/* S1, S2, S4 (and the unused types) still "wake" at once; S5 ends. */
static void test_s3_only_for_its_type(void **state)
{
	unsigned int typ;

	setup_s3();
	for (typ = 0; typ < 8; typ++) {
		if (typ == ACPI_S3_SLP_TYP || typ == ACPI_S5_SLP_TYP)
			continue;
		outb(SLEEP_CTL, SLP_TYP(typ) | SLP_EN);
		assert_int_equal(suspend_requests, 0);
		assert_int_equal(inb(SLEEP_STS), WAK_STS);
		outb(SLEEP_STS, WAK_STS);
	}
	outb(SLEEP_CTL, SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN);
	assert_int_equal(suspend_requests, 0);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_POWEROFF);
}

static void test_slp_en_clear_ignored(void **state)
{
	outb(SLEEP_CTL, SLP_TYP(ACPI_S5_SLP_TYP));
	assert_int_equal(end_requests, 0);
	assert_int_equal(inb(SLEEP_STS), 0);
	/* SLP_EN is write-only; the register reads as zero. */
	assert_int_equal(inb(SLEEP_CTL), 0);
}

static void test_every_sleep_value(void **state)
{
	int expected = 0;
	unsigned int v;

	for (v = 0; v < 256; v++) {
		outb(SLEEP_CTL, (uint8_t)v);
		if ((v & SLP_EN) && ((v >> 2) & 7) == ACPI_S5_SLP_TYP)
			expected++;
		assert_int_equal(end_requests, expected);
	}
	/* Bits 0-1 and 6-7 do not matter: 16 values power off. */
	assert_int_equal(expected, 16);
}

static void test_wide_sleep_access(void **state)
{
	uint8_t w[2] = { SLP_TYP(3) | SLP_EN, WAK_STS };
	uint8_t r[2] = { 0xaa, 0xaa };

	/* Byte 0 sleeps (ignored, sets WAK_STS), byte 1 clears it. */
	assert_true(bus_write(&pio, SLEEP_CTL, w, 2));
	assert_int_equal(end_requests, 0);
	assert_true(bus_read(&pio, SLEEP_CTL, r, 2));
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 0);

	w[1] = 0;
	assert_true(bus_write(&pio, SLEEP_CTL, w, 2));
	assert_true(bus_read(&pio, SLEEP_CTL, r, 2));
	assert_int_equal(r[1], WAK_STS);

	/* Wider than the two registers: not ours at all. */
	{
		uint8_t w4[4] = { SLP_TYP(5) | SLP_EN, 0, 0, 0 };

		assert_false(bus_write(&pio, SLEEP_CTL, w4, 4));
		assert_int_equal(end_requests, 0);
	}

	w[0] = SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN;
	assert_true(bus_write(&pio, SLEEP_CTL, w, 2));
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_POWEROFF);
}

static void test_acpi_reset(void **state)
{
	/* acpi_reset(): one byte, RESET_VALUE, to the reset register. */
	outb(RESET, ACPI_PM_RESET_VALUE);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_RESET);
	assert_string_equal(end_why,
			    "guest reset through ACPI reset register (0xcf9)");
}

static void test_cf9_reboot_sequence(void **state)
{
	/* Linux's reboot=pci (warm): read, set SYS_RST, then RST_CPU. */
	uint8_t cf9 = inb(RESET) & (uint8_t)~0x06;

	assert_int_equal(cf9, 0);
	outb(RESET, cf9 | 0x02);
	assert_int_equal(end_requests, 0);
	assert_int_equal(inb(RESET), 0x02);
	outb(RESET, cf9 | 0x06);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_RESET);
}

static void test_cf9_full_reset(void **state)
{
	/* Cold: FULL_RST | RST_CPU | SYS_RST. */
	outb(RESET, 0x0e);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_RESET);
}

static void test_cf9_unrelated_values(void **state)
{
	unsigned int v;

	for (v = 0; v < 256; v++) {
		if (v & ACPI_RESET_RST_CPU)
			continue;
		outb(RESET, (uint8_t)v);
		/* Only SYS_RST and FULL_RST are kept. */
		assert_int_equal(inb(RESET), v & 0x0a);
	}
	assert_int_equal(end_requests, 0);

	/* A 2-byte access at 0xcf9 is not the reset register. */
	{
		uint8_t w[2] = { 0x06, 0x06 };

		assert_false(bus_write(&pio, RESET, w, 2));
		assert_int_equal(end_requests, 0);
	}
}

static void test_no_vm_control(void **state)
{
	reset_env();
	env.ctl.request_end = NULL;
	assert_int_equal(acpi_pm_register(&env), 0);
	/* Nobody to tell: nothing happens, nothing crashes. */
	outb(SLEEP_CTL, SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN);
	outb(RESET, 0x06);
	assert_int_equal(end_requests, 0);
}

static const struct bus_ops dummy_ops;

static void test_register_conflicts(void **state)
{
	int nr;

	reset_env();
	assert_int_equal(acpi_pm_register(NULL), -EINVAL);
	assert_int_equal(acpi_pm_register(&env), 0);
	nr = pio.nr_ranges;
	assert_int_equal(nr, 2); /* sleep registers, PM1a blocks */
	assert_int_equal(pio.nr_overlays, 1); /* reset, over PCI's 0xcf8 */
	assert_int_equal(acpi_pm_register(&env), -EEXIST);
	assert_int_equal(pio.nr_ranges, nr);

	/* PCI's 0xcf8-0xcff shares 0xcf9: a byte there is still reset. */
	reset_env();
	assert_int_equal(bus_register(&pio, 0xcf8, 8, &dummy_ops, NULL, "pci"),
			 0);
	assert_int_equal(acpi_pm_register(&env), 0);
	assert_true(bus_find(&pio, RESET, 1) == &pio.overlays[0]);
	assert_true(bus_find(&pio, 0xcf8, 4) == &pio.ranges[2]);

	/* Another overlay owns 0xcf9: the sleep registers are not taken. */
	reset_env();
	assert_int_equal(bus_register_overlay(&pio, 0xcf9, 1, &dummy_ops, NULL,
					      "other reset"),
			 0);
	assert_int_equal(acpi_pm_register(&env), -EEXIST);
	assert_int_equal(pio.nr_ranges, 0);
	assert_null(bus_find(&pio, SLEEP_CTL, 1));

	/* ...and the other way round. */
	reset_env();
	assert_int_equal(
		bus_register(&pio, SLEEP_STS, 1, &dummy_ops, NULL, "other"), 0);
	assert_int_equal(acpi_pm_register(&env), -EEXIST);
	assert_int_equal(pio.nr_ranges, 1);
	assert_null(bus_find(&pio, RESET, 1));

	/* A PM1a port taken: nothing registered. */
	reset_env();
	assert_int_equal(
		bus_register(&pio, 0x609, 1, &dummy_ops, NULL, "other"), 0);
	assert_int_equal(acpi_pm_register(&env), -EEXIST);
	assert_int_equal(pio.nr_ranges, 1);
	assert_null(bus_find(&pio, SLEEP_CTL, 1));
}

static void test_in_legacy_table(void **state)
{
	struct errmsg err = { "" };

	reset_env();
	assert_int_equal(legacy_devices_register(&env, &err), 0);
	assert_non_null(bus_find(&pio, SLEEP_CTL, 2));
	assert_non_null(bus_find(&pio, RESET, 1));
	outb(RESET, 0x06);
	assert_int_equal(end_status, KS_STATUS_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ports_match_fadt, setup),
		cmocka_unit_test_setup(test_s5_powers_off, setup),
		cmocka_unit_test_setup(test_other_sleep_types_ignored, setup),
		cmocka_unit_test_setup(test_slp_en_clear_ignored, setup),
		cmocka_unit_test(test_s3_suspends_and_wakes),
		cmocka_unit_test(test_s3_only_for_its_type),
		cmocka_unit_test(test_pm1_s3_and_rtc_wake),
		cmocka_unit_test_setup(test_every_sleep_value, setup),
		cmocka_unit_test_setup(test_wide_sleep_access, setup),
		cmocka_unit_test_setup(test_acpi_reset, setup),
		cmocka_unit_test_setup(test_cf9_reboot_sequence, setup),
		cmocka_unit_test_setup(test_cf9_full_reset, setup),
		cmocka_unit_test_setup(test_cf9_unrelated_values, setup),
		cmocka_unit_test(test_no_vm_control),
		cmocka_unit_test(test_register_conflicts),
		cmocka_unit_test(test_in_legacy_table),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
