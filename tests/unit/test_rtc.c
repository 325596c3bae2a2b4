// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "devices/legacy.h"

#define MIB (1024ULL * 1024)
#define GIB (1024 * MIB)

static struct bus pio, mmio;
static struct device_env env;

static void make_env(uint64_t ram, int cpus)
{
	/* Frees the devices of the previous test. */
	bus_release(&pio);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(&env, 0, sizeof(env));
	env.pio = &pio;
	env.mmio = &mmio;
	env.ram_size = ram;
	/* As memory.c lays it out: RAM past 3 GiB moves above 4 GiB. */
	env.low_ram_end = ram < 3 * GIB ? ram : 3 * GIB;
	env.high_ram_size = ram - env.low_ram_end;
	env.nr_cpus = cpus;
	assert_int_equal(rtc_register(&env), 0);
}

static int setup(void **state)
{
	make_env(256 * MIB, 1);
	return 0;
}

static int group_teardown(void **state)
{
	bus_release(&pio);
	return 0;
}

static uint8_t cmos_read(uint8_t index)
{
	uint8_t v = 0;

	assert_true(bus_write(&pio, 0x70, &index, 1));
	assert_true(bus_read(&pio, 0x71, &v, 1));
	return v;
}

static void cmos_write(uint8_t index, uint8_t v)
{
	assert_true(bus_write(&pio, 0x70, &index, 1));
	assert_true(bus_write(&pio, 0x71, &v, 1));
}

static void test_status_registers(void **state)
{
	assert_int_equal(cmos_read(0x0a), 0x26);
	assert_int_equal(cmos_read(0x0b), 0x02);
	assert_int_equal(cmos_read(0x0c), 0x00);
	assert_int_equal(cmos_read(0x0d), 0x80);
	/* UIP is never set, even when written. */
	cmos_write(0x0a, 0xa5);
	assert_int_equal(cmos_read(0x0a), 0x25);
	cmos_write(0x0c, 0xff);
	cmos_write(0x0d, 0x00);
	assert_int_equal(cmos_read(0x0c), 0x00);
	assert_int_equal(cmos_read(0x0d), 0x80);
}

/* With SET held the clock stands still, so reads are deterministic. */
static void set_clock(int bcd)
{
	cmos_write(0x0b, 0x80 | 0x02 | (bcd ? 0 : 0x04));
	/* Linux's order: day before month, whatever today's month is. */
	cmos_write(0x00, bcd ? 0x45 : 45);
	cmos_write(0x02, bcd ? 0x59 : 59);
	cmos_write(0x04, bcd ? 0x23 : 23);
	cmos_write(0x07, bcd ? 0x31 : 31);
	cmos_write(0x08, bcd ? 0x12 : 12);
	cmos_write(0x09, bcd ? 0x99 : 99);
	cmos_write(0x32, bcd ? 0x19 : 19);
}

static void test_bcd_and_binary(void **state)
{
	set_clock(1);
	assert_int_equal(cmos_read(0x00), 0x45);
	assert_int_equal(cmos_read(0x02), 0x59);
	assert_int_equal(cmos_read(0x04), 0x23);
	assert_int_equal(cmos_read(0x06), 0x06); /* 1999-12-31: Friday */
	assert_int_equal(cmos_read(0x07), 0x31);
	assert_int_equal(cmos_read(0x08), 0x12);
	assert_int_equal(cmos_read(0x09), 0x99);
	assert_int_equal(cmos_read(0x32), 0x19);

	/* Same time, binary. */
	cmos_write(0x0b, 0x86);
	assert_int_equal(cmos_read(0x00), 45);
	assert_int_equal(cmos_read(0x02), 59);
	assert_int_equal(cmos_read(0x04), 23);
	assert_int_equal(cmos_read(0x07), 31);
	assert_int_equal(cmos_read(0x08), 12);
	assert_int_equal(cmos_read(0x09), 99);
	assert_int_equal(cmos_read(0x32), 19);

	/* Binary written values are decoded as binary. */
	set_clock(0);
	assert_int_equal(cmos_read(0x00), 45);
	assert_int_equal(cmos_read(0x09), 99);
	cmos_write(0x0b, 0x82);
	assert_int_equal(cmos_read(0x00), 0x45);
	assert_int_equal(cmos_read(0x32), 0x19);
}

static void test_twelve_hour(void **state)
{
	set_clock(1);
	/* 23:59 is 11 PM. */
	cmos_write(0x0b, 0x80);
	assert_int_equal(cmos_read(0x04), 0x91);
	/* Midnight is 12 AM. */
	cmos_write(0x04, 0x12);
	cmos_write(0x0b, 0x82);
	assert_int_equal(cmos_read(0x04), 0x00);
	/* Noon is 12 PM. */
	cmos_write(0x0b, 0x80);
	cmos_write(0x04, 0x92);
	assert_int_equal(cmos_read(0x04), 0x92);
	cmos_write(0x0b, 0x82);
	assert_int_equal(cmos_read(0x04), 0x12);
}

static void test_guest_sets_clock(void **state)
{
	uint8_t sec;

	/* 2000-01-01 00:00:00, then let it run. */
	cmos_write(0x0b, 0x82);
	cmos_write(0x00, 0x00);
	cmos_write(0x02, 0x00);
	cmos_write(0x04, 0x00);
	cmos_write(0x07, 0x01);
	cmos_write(0x08, 0x01);
	cmos_write(0x09, 0x00);
	cmos_write(0x32, 0x20);
	cmos_write(0x0b, 0x02);
	assert_int_equal(cmos_read(0x32), 0x20);
	assert_int_equal(cmos_read(0x09), 0x00);
	assert_int_equal(cmos_read(0x08), 0x01);
	assert_int_equal(cmos_read(0x07), 0x01);
	assert_int_equal(cmos_read(0x06), 0x07); /* Saturday */
	assert_int_equal(cmos_read(0x04), 0x00);
	assert_int_equal(cmos_read(0x02), 0x00);
	sec = cmos_read(0x00);
	assert_true(sec <= 0x05);

	/* Without SET, a single register write moves the clock too. */
	cmos_write(0x09, 0x42);
	assert_int_equal(cmos_read(0x09), 0x42);
	assert_int_equal(cmos_read(0x32), 0x20);
	assert_int_equal(cmos_read(0x08), 0x01);
}

/* A half-written date (Feb 31) must not be normalised before SET drops. */
static void test_set_keeps_raw_fields(void **state)
{
	cmos_write(0x0b, 0x82);
	cmos_write(0x08, 0x02);
	cmos_write(0x07, 0x01);
	cmos_write(0x07, 0x31);
	assert_int_equal(cmos_read(0x07), 0x31);
	cmos_write(0x08, 0x12);
	cmos_write(0x0b, 0x02);
	assert_int_equal(cmos_read(0x07), 0x31);
	assert_int_equal(cmos_read(0x08), 0x12);
}

static int bcd(int v)
{
	return ((v / 10) << 4) | (v % 10);
}

static void test_host_time(void **state)
{
	struct tm before, after;
	time_t t;
	uint8_t year, century, month;

	t = time(NULL);
	gmtime_r(&t, &before);
	year = cmos_read(0x09);
	century = cmos_read(0x32);
	month = cmos_read(0x08);
	t = time(NULL);
	gmtime_r(&t, &after);
	/* Either side of a month change is acceptable. */
	assert_true(month == bcd(before.tm_mon + 1) ||
		    month == bcd(after.tm_mon + 1));
	assert_true(year == bcd(before.tm_year % 100) ||
		    year == bcd(after.tm_year % 100));
	assert_true(century == bcd((before.tm_year + 1900) / 100) ||
		    century == bcd((after.tm_year + 1900) / 100));
}

static void test_memory_256m(void **state)
{
	make_env(256 * MIB, 2);
	/* 640 KiB base memory. */
	assert_int_equal(cmos_read(0x15), 0x80);
	assert_int_equal(cmos_read(0x16), 0x02);
	/* 64 MiB above 1 MiB (capped at 65 MiB total) = 0xffff KiB. */
	assert_int_equal(cmos_read(0x17), 0xff);
	assert_int_equal(cmos_read(0x18), 0xff);
	assert_int_equal(cmos_read(0x30), 0xff);
	assert_int_equal(cmos_read(0x31), 0xff);
	/* 240 MiB above 16 MiB = 3840 blocks of 64 KiB. */
	assert_int_equal(cmos_read(0x34), 0x00);
	assert_int_equal(cmos_read(0x35), 0x0f);
	assert_int_equal(cmos_read(0x5b), 0);
	assert_int_equal(cmos_read(0x5c), 0);
	assert_int_equal(cmos_read(0x5d), 0);
	assert_int_equal(cmos_read(0x5f), 1);
}

static void test_memory_6g(void **state)
{
	make_env(6 * GIB, 8);
	assert_int_equal(cmos_read(0x17), 0xff);
	assert_int_equal(cmos_read(0x18), 0xff);
	/* 3 GiB - 16 MiB = 48896 blocks = 0xbf00. */
	assert_int_equal(cmos_read(0x34), 0x00);
	assert_int_equal(cmos_read(0x35), 0xbf);
	/* 3 GiB above 4 GiB = 49152 blocks = 0x00c000. */
	assert_int_equal(cmos_read(0x5b), 0x00);
	assert_int_equal(cmos_read(0x5c), 0xc0);
	assert_int_equal(cmos_read(0x5d), 0x00);
	assert_int_equal(cmos_read(0x5f), 7);
}

static void test_memory_small(void **state)
{
	make_env(16 * MIB, 1);
	/* 15 MiB above 1 MiB = 15360 KiB = 0x3c00. */
	assert_int_equal(cmos_read(0x17), 0x00);
	assert_int_equal(cmos_read(0x18), 0x3c);
	assert_int_equal(cmos_read(0x34), 0x00);
	assert_int_equal(cmos_read(0x35), 0x00);
	assert_int_equal(cmos_read(0x5f), 0);
}

static void test_nvram(void **state)
{
	int i;
	uint8_t both[2] = { 0x40, 0x77 };
	uint8_t v;

	for (i = 0x38; i < 0x80; i++)
		if (i != 0x5b && i != 0x5c && i != 0x5d && i != 0x5f)
			assert_int_equal(cmos_read(i), 0);
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			cmos_write(i, i ^ 0xa5);
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			assert_int_equal(cmos_read(i), i ^ 0xa5);
	/* Bit 7 of the index (NMI mask) does not select another byte. */
	cmos_write(0x80 | 0x40, 0x11);
	assert_int_equal(cmos_read(0x40), 0x11);
	/* A 16-bit write to 0x70 sets the index, then writes the data. */
	assert_true(bus_write(&pio, 0x70, both, 2));
	assert_int_equal(cmos_read(0x40), 0x77);
	/* The index register is write-only. */
	assert_true(bus_read(&pio, 0x70, &v, 1));
	assert_int_equal(v, 0xff);
}

static void test_alarm_match(void **state)
{
	const uint8_t now[3] = { 0x45, 0x59, 0x23 };
	uint8_t alarm[3] = { 0x45, 0x59, 0x23 };
	int i, v;

	assert_true(rtc_alarm_match(alarm, now));
	for (i = 0; i < 3; i++) {
		uint8_t keep = alarm[i];

		alarm[i] = now[i] + 1;
		assert_false(rtc_alarm_match(alarm, now));
		/* 0xc0-0xff: "don't care", in every byte. */
		for (v = 0xc0; v <= 0xff; v++) {
			alarm[i] = (uint8_t)v;
			assert_true(rtc_alarm_match(alarm, now));
		}
		/* One of the two top bits is not enough. */
		alarm[i] = 0xbf;
		assert_false(rtc_alarm_match(alarm, now));
		alarm[i] = 0x7f;
		assert_false(rtc_alarm_match(alarm, now));
		alarm[i] = keep;
	}
	/* Seconds only: every minute; all three: every second. */
	alarm[1] = alarm[2] = 0xc0;
	assert_true(rtc_alarm_match(alarm, now));
	alarm[0] = 0x46;
	assert_false(rtc_alarm_match(alarm, now));
	alarm[0] = 0xff;
	assert_true(rtc_alarm_match(alarm, now));
}

/* IRQ 8 and wake requests, as the VM would get them. */
static int irq_events, irq_level = -1, wakeups;
static const char *wake_source;

static void record_irq(void *opaque, unsigned int irq, int level)
{
	assert_int_equal(irq, 8);
	irq_events++;
	irq_level = level;
}

static void record_wakeup(void *opaque, const char *source)
{
	wakeups++;
	wake_source = source;
}

static struct event_loop loop;

static void make_timed_env(void)
{
	bus_release(&pio);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(&env, 0, sizeof(env));
	env.pio = &pio;
	env.mmio = &mmio;
	env.ram_size = 256 * MIB;
	env.low_ram_end = 256 * MIB;
	env.nr_cpus = 1;
	env.irq.set_level = record_irq;
	env.ctl.request_wakeup = record_wakeup;
	env.loop = &loop;
	irq_events = wakeups = 0;
	irq_level = -1;
	wake_source = NULL;
	assert_int_equal(rtc_register(&env), 0);
}

static int timed_setup(void **state)
{
	assert_int_equal(event_loop_init(&loop), 0);
	make_timed_env();
	return 0;
}

static int timed_teardown(void **state)
{
	/* The RTC leaves the loop before the loop goes. */
	bus_release(&pio);
	bus_init(&pio, "pio");
	event_loop_free(&loop);
	return 0;
}

/* Run the loop until n ticks of the RTC's timer happened (2.5 s each). */
static void run_ticks(int n)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n-- > 0)
		assert_int_equal(event_loop_run_once(&loop, 2500), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
}

static void test_alarm_every_second_raises_irq8(void **state)
{
	cmos_write(0x01, 0xff);
	cmos_write(0x03, 0xc0);
	cmos_write(0x05, 0xd5);
	assert_int_equal(cmos_read(0x0c), 0);
	cmos_write(0x0b, 0x02 | 0x20); /* 24-hour, AIE */
	assert_int_equal(irq_events, 0);
	run_ticks(1);
	/* IRQ 8 went high once; the VM was asked to wake. */
	assert_int_equal(irq_events, 1);
	assert_int_equal(irq_level, 1);
	assert_int_equal(wakeups, 1);
	assert_string_equal(wake_source, "rtc");
	/* IRQF | AF; reading C clears it and lowers IRQ 8. */
	assert_int_equal(cmos_read(0x0c), 0xa0);
	assert_int_equal(irq_events, 2);
	assert_int_equal(irq_level, 0);
	assert_int_equal(cmos_read(0x0c), 0x00);
	assert_int_equal(irq_events, 2);
	/* The alarm registers read back as written. */
	assert_int_equal(cmos_read(0x01), 0xff);
	assert_int_equal(cmos_read(0x05), 0xd5);
	/* AIE off: the timer stops, no more flags. */
	cmos_write(0x0b, 0x02);
	assert_int_equal(event_loop_run_once(&loop, 1300), 0);
	assert_int_equal(cmos_read(0x0c), 0x00);
}

/*
 * An exact alarm one second ahead of a clock the guest set: AF at that
 * second only. With UIE (not AIE) on, UF and IRQF come every second and
 * AF without waking anyone.
 */
static void test_alarm_at_a_set_time(void **state)
{
	/* 23:59:45 BCD, 24-hour; SET keeps the clock still while written. */
	cmos_write(0x0b, 0x80 | 0x02);
	cmos_write(0x00, 0x45);
	cmos_write(0x02, 0x59);
	cmos_write(0x04, 0x23);
	cmos_write(0x01, 0x46);
	cmos_write(0x03, 0x59);
	cmos_write(0x05, 0x23);
	cmos_write(0x0b, 0x02 | 0x10); /* run, UIE */
	run_ticks(1);
	assert_int_equal(cmos_read(0x00), 0x46);
	assert_int_equal(cmos_read(0x0c), 0x80 | 0x20 | 0x10);
	assert_int_equal(wakeups, 0);
	run_ticks(1);
	/* 23:59:47: no alarm, only the update. */
	assert_int_equal(cmos_read(0x0c), 0x80 | 0x10);
	/* An hour that does not match never fires. */
	cmos_write(0x05, 0x22);
	cmos_write(0x01, 0xc0);
	run_ticks(1);
	assert_int_equal(cmos_read(0x0c), 0x80 | 0x10);
	/* A flag already set interrupts as soon as it is enabled. */
	cmos_write(0x0b, 0x02);
	cmos_write(0x05, 0xc0); /* every second again */
	cmos_write(0x0b, 0x02 | 0x10);
	run_ticks(1);
	assert_int_equal(irq_level, 1);
	cmos_write(0x0b, 0x02); /* UIE off: AF stays, IRQF drops */
	assert_int_equal(irq_level, 0);
	cmos_write(0x0b, 0x02 | 0x20); /* AIE on: IRQF for the kept AF */
	assert_int_equal(irq_level, 1);
	assert_int_equal(cmos_read(0x0c) & 0xa0, 0xa0);
	cmos_write(0x0b, 0x02);
}

/* Without a loop (no host timer) the RTC still works, without alarms. */
static void test_no_loop_no_timer(void **state)
{
	cmos_write(0x01, 0xff);
	cmos_write(0x03, 0xff);
	cmos_write(0x05, 0xff);
	cmos_write(0x0b, 0x02 | 0x20);
	assert_int_equal(cmos_read(0x0b), 0x22);
	assert_int_equal(cmos_read(0x0c), 0x00);
	cmos_write(0x0b, 0x02);
}

static void test_double_register(void **state)
{
	assert_int_equal(rtc_register(&env), -EEXIST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_status_registers, setup),
		cmocka_unit_test_setup(test_bcd_and_binary, setup),
		cmocka_unit_test_setup(test_twelve_hour, setup),
		cmocka_unit_test_setup(test_guest_sets_clock, setup),
		cmocka_unit_test_setup(test_set_keeps_raw_fields, setup),
		cmocka_unit_test_setup(test_host_time, setup),
		cmocka_unit_test(test_memory_256m),
		cmocka_unit_test(test_memory_6g),
		cmocka_unit_test(test_memory_small),
		cmocka_unit_test_setup(test_nvram, setup),
		cmocka_unit_test_setup(test_double_register, setup),
		cmocka_unit_test(test_alarm_match),
		cmocka_unit_test_setup_teardown(test_alarm_every_second_raises_irq8,
						timed_setup, timed_teardown),
		cmocka_unit_test_setup_teardown(test_alarm_at_a_set_time,
						timed_setup, timed_teardown),
		cmocka_unit_test_setup(test_no_loop_no_timer, setup),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
