// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "devices/legacy.h"
#include "devices/serial.h"
#include "vmm/exit_status.h"

#define MIB (1024ULL * 1024)

/* Fake VM: two buses, an interrupt line recorder, an end-request log. */
static struct bus pio, mmio;
static struct device_env env;
static struct serial *com1; /* the table's COM1 */
static int irq_level[16];
static int end_requests;
static int end_status;
static char end_why[256];

static void record_irq(void *opaque, unsigned int irq, int level)
{
	assert_true(irq < 16);
	irq_level[irq] = level;
}

static void record_end(void *opaque, int status, const char *why)
{
	end_requests++;
	end_status = status;
	snprintf(end_why, sizeof(end_why), "%s", why);
}

static void reset_env(void)
{
	/* Frees the devices of the previous test (COM1 is ours). */
	bus_release(&pio);
	serial_destroy(com1);
	com1 = NULL;
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(&env, 0, sizeof(env));
	env.pio = &pio;
	env.mmio = &mmio;
	env.irq.set_level = record_irq;
	env.ctl.request_end = record_end;
	env.ram_size = 256 * MIB;
	env.low_ram_end = 256 * MIB;
	env.nr_cpus = 1;
	env.console_out_fd = -1;
	env.console_uart = &com1;
	memset(irq_level, 0, sizeof(irq_level));
	end_requests = 0;
	end_status = -1;
	end_why[0] = '\0';
}

static int setup(void **state)
{
	struct errmsg err = { "" };

	reset_env();
	assert_int_equal(legacy_devices_register(&env, &err), 0);
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

static void test_register_all(void **state)
{
	static const struct {
		uint16_t port;
		uint32_t len;
	} claimed[] = {
		{ 0x60, 1 }, { 0x64, 1 }, { 0x70, 2 },	{ 0x80, 1 },
		{ 0x92, 1 }, { 0xf4, 4 }, { 0x510, 2 },
	};
	struct errmsg err = { "" };
	size_t i;
	int nr;

	for (i = 0; i < sizeof(claimed) / sizeof(claimed[0]); i++)
		assert_non_null(
			bus_find(&pio, claimed[i].port, claimed[i].len));
	/* Neighbours that belong to other devices stay free. */
	assert_null(bus_find(&pio, 0x61, 1));
	assert_null(bus_find(&pio, 0x514, 1));
	assert_int_equal(mmio.nr_ranges, 0);

	/* A second registration fails for every device, changing nothing. */
	nr = pio.nr_ranges;
	assert_int_equal(legacy_devices_register(&env, &err), -EEXIST);
	assert_int_equal(pio.nr_ranges, nr);
	assert_non_null(strstr(err.text, "rtc"));
	assert_non_null(strstr(err.text, "0x92"));
	assert_non_null(strstr(err.text, "i8042"));
	assert_non_null(strstr(err.text, "debug-exit"));
	assert_non_null(strstr(err.text, "fw_cfg"));
	assert_non_null(strstr(err.text, "POST"));
	assert_non_null(strstr(err.text, "File exists"));
}

static void test_register_partial_failure(void **state)
{
	struct errmsg err = { "" };

	reset_env();
	/* Someone else already owns 0x92: only port 0x92 fails. */
	assert_int_equal(port92_register(&env), 0);
	assert_int_equal(legacy_devices_register(&env, &err), -EEXIST);
	assert_non_null(strstr(err.text, "0x92"));
	assert_null(strstr(err.text, "rtc"));
	assert_non_null(bus_find(&pio, 0x510, 2));
	assert_non_null(bus_find(&pio, 0x64, 1));
}

static void test_register_without_bus(void **state)
{
	struct device_env none = { 0 };
	struct errmsg err = { "" };

	assert_int_equal(legacy_devices_register(&none, &err), -EINVAL);
	assert_non_null(strstr(err.text, "rtc"));
}

static void test_debug_exit(void **state)
{
	uint8_t w2[2] = { 0x02, 0x01 };
	uint8_t w4[4] = { 0x78, 0x56, 0x34, 0x12 };
	uint8_t r[4];

	outb(0xf4, 0x10);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, 0x21);
	assert_int_equal(end_status, KS_STATUS_DEBUG_EXIT(0x10));
	assert_string_equal(end_why,
			    "guest wrote 0x10 to the debug-exit port 0xf4");

	outb(0xf4, 0x00);
	assert_int_equal(end_status, 1);

	assert_true(bus_write(&pio, 0xf4, w2, 2));
	assert_int_equal(end_status, ((0x0102 << 1) | 1) & 0xff);
	assert_string_equal(end_why,
			    "guest wrote 0x102 to the debug-exit port 0xf4");

	assert_true(bus_write(&pio, 0xf4, w4, 4));
	assert_int_equal(end_status, 0xf1);
	assert_string_equal(
		end_why, "guest wrote 0x12345678 to the debug-exit port 0xf4");
	assert_int_equal(end_requests, 4);

	/* Not at offset 0, or 3 bytes wide: ignored. */
	outb(0xf5, 0x01);
	assert_true(bus_write(&pio, 0xf4, w4, 3));
	assert_int_equal(end_requests, 4);

	assert_true(bus_read(&pio, 0xf4, r, 4));
	assert_int_equal(r[0], 0xff);
	assert_int_equal(r[3], 0xff);
}

static void test_port92(void **state)
{
	/* A20 enabled from the start. */
	assert_int_equal(inb(0x92), 0x02);
	outb(0x92, 0x00);
	assert_int_equal(inb(0x92), 0x00);
	outb(0x92, 0x02);
	assert_int_equal(inb(0x92), 0x02);
	assert_int_equal(end_requests, 0);

	/* Rising edge of bit 0: fast reset. */
	outb(0x92, 0x03);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_RESET);
	assert_string_equal(end_why,
			    "guest reset through port 0x92 (fast reset)");
	/* No new edge, no new request. */
	outb(0x92, 0x03);
	assert_int_equal(end_requests, 1);
	outb(0x92, 0x02);
	outb(0x92, 0x01);
	assert_int_equal(end_requests, 2);
}

static void test_i8042_reset(void **state)
{
	outb(0x64, 0xfe);
	assert_int_equal(end_requests, 1);
	assert_int_equal(end_status, KS_STATUS_RESET);
	assert_string_equal(
		end_why,
		"guest reset through the i8042 controller (0xfe to port 0x64)");
	/* Pulse commands with bit 0 set leave the reset line alone. */
	outb(0x64, 0xff);
	assert_int_equal(end_requests, 1);
	/* Output port write with the reset bit low. */
	outb(0x64, 0xd1);
	outb(0x60, 0xfe);
	assert_int_equal(end_requests, 2);
	assert_int_equal(end_status, KS_STATUS_RESET);
}

static void test_i8042_controller(void **state)
{
	/* No output pending, self-test passed, not inhibited. */
	assert_int_equal(inb(0x64), 0x1c);
	assert_int_equal(inb(0x60), 0x00);

	outb(0x64, 0xaa);
	assert_int_equal(inb(0x64) & 0x01, 0x01);
	assert_int_equal(inb(0x60), 0x55);
	assert_int_equal(inb(0x64) & 0x01, 0x00);
	/* Reading empty returns the last byte. */
	assert_int_equal(inb(0x60), 0x55);

	/* Command byte round trip. */
	outb(0x64, 0x20);
	assert_int_equal(inb(0x60), 0x65);
	outb(0x64, 0x60);
	outb(0x60, 0x44);
	assert_int_equal(inb(0x64) & 0x08, 0x00); /* last write was data */
	outb(0x64, 0x20);
	assert_int_equal(inb(0x64) & 0x09, 0x09);
	assert_int_equal(inb(0x60), 0x44);

	/* AUX/KBD enable commands show in the command byte. */
	outb(0x64, 0xa8);
	outb(0x64, 0xad);
	outb(0x64, 0x20);
	assert_int_equal(inb(0x60), 0x54);

	/* Unknown commands are ignored. */
	outb(0x64, 0xc0);
	assert_int_equal(inb(0x64) & 0x01, 0x00);
	assert_int_equal(end_requests, 0);
}

/* What makes Linux's probe conclude "no AUX port, no keyboard" at once. */
static void test_i8042_no_devices(void **state)
{
	uint8_t st;

	/* Keyboard interrupts off while probing, as Linux does. */
	outb(0x64, 0x60);
	outb(0x60, 0x64);

	/* AUX loopback: answered at once, but not from the AUX side. */
	outb(0x64, 0xd3);
	outb(0x60, 0x5a);
	st = inb(0x64);
	assert_int_equal(st & 0x01, 0x01);
	assert_int_equal(st & 0x20, 0x00);
	assert_int_equal(inb(0x60), 0xfe);
	assert_int_equal(irq_level[1], 0);

	/* AUX interface test: clock line stuck, so no AUX port. */
	outb(0x64, 0xa9);
	assert_int_equal(inb(0x60), 0x02);
	/* Keyboard interface test passes: the port is there, empty. */
	outb(0x64, 0xab);
	assert_int_equal(inb(0x60), 0x00);

	/* A byte for the keyboard: timeout error, IRQ 1 when enabled. */
	outb(0x64, 0x60);
	outb(0x60, 0x65);
	outb(0x60, 0xf2);
	st = inb(0x64);
	assert_int_equal(st & 0x41, 0x41);
	assert_int_equal(irq_level[1], 1);
	assert_int_equal(inb(0x60), 0xfe);
	assert_int_equal(irq_level[1], 0);
	assert_int_equal(inb(0x64) & 0x41, 0x00);
}

static void test_post_port(void **state)
{
	uint64_t reads = pio.unclaimed_reads, writes = pio.unclaimed_writes;

	outb(0x80, 0x12);
	outb(0x80, 0x34);
	assert_int_equal(inb(0x80), 0xff);
	assert_int_equal(pio.unclaimed_reads, reads);
	assert_int_equal(pio.unclaimed_writes, writes);
	assert_int_equal(end_requests, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_all, setup),
		cmocka_unit_test(test_register_partial_failure),
		cmocka_unit_test(test_register_without_bus),
		cmocka_unit_test_setup(test_debug_exit, setup),
		cmocka_unit_test_setup(test_port92, setup),
		cmocka_unit_test_setup(test_i8042_reset, setup),
		cmocka_unit_test_setup(test_i8042_controller, setup),
		cmocka_unit_test_setup(test_i8042_no_devices, setup),
		cmocka_unit_test_setup(test_post_port, setup),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
