// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/legacy.h"

#define GIB (1024ULL * 1024 * 1024)

static struct bus pio, mmio;
static struct device_env env;

static int setup(void **state)
{
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	memset(&env, 0, sizeof(env));
	env.pio = &pio;
	env.mmio = &mmio;
	env.ram_size = 6 * GIB;
	env.low_ram_end = 3 * GIB;
	env.high_ram_size = 3 * GIB;
	env.nr_cpus = 3;
	assert_int_equal(fw_cfg_register(&env), 0);
	return 0;
}

static int teardown(void **state)
{
	bus_release(&pio);
	return 0;
}

static void select_key(uint16_t key)
{
	uint8_t v[2] = { key & 0xff, key >> 8 };

	assert_true(bus_write(&pio, 0x510, v, 2));
}

static void read_data(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		assert_true(bus_read(&pio, 0x511, &buf[i], 1));
}

static void test_signature(void **state)
{
	uint8_t buf[6];

	/* Selected at reset, as QEMU does. */
	read_data(buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
	select_key(0x0000);
	read_data(buf, 6);
	assert_memory_equal(buf, "QEMU\0\0", 6);
}

static void test_id(void **state)
{
	const uint8_t want[4] = { 0x01, 0, 0, 0 };
	uint8_t buf[4];

	select_key(0x0001);
	read_data(buf, 4);
	assert_memory_equal(buf, want, 4);
}

static void test_ram_size(void **state)
{
	const uint8_t want[8] = { 0, 0, 0, 0x80, 0x01, 0, 0, 0 };
	uint8_t buf[8];

	select_key(0x0003);
	read_data(buf, 8);
	assert_memory_equal(buf, want, 8);
}

static void test_cpus(void **state)
{
	uint8_t buf[2];

	select_key(0x0005);
	read_data(buf, 2);
	assert_int_equal(buf[0], 3);
	assert_int_equal(buf[1], 0);
	select_key(0x000f);
	read_data(buf, 2);
	assert_int_equal(buf[0], 3);
	assert_int_equal(buf[1], 0);
}

static void test_file_dir_empty(void **state)
{
	const uint8_t zero[8] = { 0 };
	uint8_t buf[8];

	select_key(0x0019);
	read_data(buf, 8);
	assert_memory_equal(buf, zero, 8);
}

static void test_unknown_and_past_end(void **state)
{
	const uint8_t zero[16] = { 0 };
	uint8_t buf[16];

	select_key(0x1234);
	read_data(buf, 16);
	assert_memory_equal(buf, zero, 16);
	select_key(0x8003);
	read_data(buf, 16);
	assert_memory_equal(buf, zero, 16);

	/* Past the end reads 0; selecting again starts over. */
	select_key(0x0000);
	read_data(buf, 16);
	assert_memory_equal(buf, "QEMU", 4);
	assert_memory_equal(buf + 4, zero, 12);
	select_key(0x0000);
	read_data(buf, 2);
	assert_memory_equal(buf, "QE", 2);
}

static void test_ignored_accesses(void **state)
{
	uint8_t b = 0x05, w[2];

	select_key(0x0000);
	read_data(w, 1);
	/* A byte write to the selector and any data write are ignored. */
	assert_true(bus_write(&pio, 0x510, &b, 1));
	assert_true(bus_write(&pio, 0x511, &b, 1));
	read_data(w, 1);
	assert_int_equal(w[0], 'E');
	/* Selector reads and wide reads return all-ones. */
	assert_true(bus_read(&pio, 0x510, w, 2));
	assert_int_equal(w[0], 0xff);
	assert_int_equal(w[1], 0xff);
	assert_true(bus_read(&pio, 0x510, w, 1));
	assert_int_equal(w[0], 0xff);
	read_data(w, 1);
	assert_int_equal(w[0], 'M');
	/* Nothing at 0x512 and up (no DMA interface). */
	assert_false(bus_read(&pio, 0x514, w, 1));
	assert_false(bus_read(&pio, 0x511, w, 2));
}

static void test_double_register(void **state)
{
	assert_int_equal(fw_cfg_register(&env), -EEXIST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signature, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ram_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_dir_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_past_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignored_accesses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_double_register, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
