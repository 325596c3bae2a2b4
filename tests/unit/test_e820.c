// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arch/x86/e820.h"
#include "arch/x86/layout.h"

static int build(uint64_t ram, struct e820_entry *map)
{
	struct guest_memory mem;
	int n;

	assert_int_equal(guest_memory_alloc(&mem, ram), 0);
	n = e820_build(&mem, map);
	guest_memory_free(&mem);
	return n;
}

static void expect(const struct e820_entry *e, uint64_t addr, uint64_t size,
		   uint32_t type)
{
	assert_int_equal(e->addr, addr);
	assert_int_equal(e->size, size);
	assert_int_equal(e->type, type);
}

static void check_sorted(const struct e820_entry *map, int n)
{
	int i;

	assert_true(n <= E820_MAX_ENTRIES);
	for (i = 0; i < n; i++) {
		assert_true(map[i].size > 0);
		if (i)
			assert_true(map[i - 1].addr + map[i - 1].size <=
				    map[i].addr);
	}
}

static void test_low_only(void **state)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(64 << 20, map);

	assert_int_equal(n, 4);
	expect(&map[0], 0, 0x9fc00, E820_RAM);
	expect(&map[1], 0x9fc00, 0x400, E820_RESERVED);
	expect(&map[2], 0xe0000, 0x20000, E820_RESERVED);
	expect(&map[3], 0x100000, (64 << 20) - 0x100000, E820_RAM);
	check_sorted(map, n);
}

static void test_exactly_3g(void **state)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(3ULL << 30, map);

	assert_int_equal(n, 4);
	expect(&map[3], 0x100000, (3ULL << 30) - 0x100000, E820_RAM);
	check_sorted(map, n);
}

static void test_high_ram(void **state)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(4ULL << 30, map);

	assert_int_equal(n, 5);
	expect(&map[3], 0x100000, 0xc0000000 - 0x100000, E820_RAM);
	expect(&map[4], 0x100000000ULL, 1ULL << 30, E820_RAM);
	check_sorted(map, n);
}

/* Less than 1 MiB: no RAM entry above 1 MiB, and none of zero size. */
static void test_tiny(void **state)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = build(0x80000, map);

	assert_int_equal(n, 3);
	expect(&map[0], 0, 0x80000, E820_RAM);
	expect(&map[1], 0x9fc00, 0x400, E820_RESERVED);
	check_sorted(map, n);

	n = build(0x100000, map);
	assert_int_equal(n, 3);
	expect(&map[0], 0, 0x9fc00, E820_RAM);
	check_sorted(map, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_low_only),
		cmocka_unit_test(test_exactly_3g),
		cmocka_unit_test(test_high_ram),
		cmocka_unit_test(test_tiny),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
