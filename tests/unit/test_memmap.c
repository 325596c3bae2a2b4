// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-physical to host translation at the edges of the RAM layout, as
 * the inspection commands (gpa2hva, read-memory, search-memory) rely on
 * it: the first and last bytes of each region, the MMIO hole, the 4 GiB
 * boundary, zero lengths and ranges whose end overflows 64 bits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/memory.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

/* 4 GiB of RAM: 3 GiB below the hole, 1 GiB from 4 GiB up. Only touched
 * pages cost host memory (MAP_NORESERVE). */
static int setup_split(void **state)
{
	static struct guest_memory mem;

	if (guest_memory_alloc(&mem, 4 * GiB))
		return -1;
	*state = &mem;
	return 0;
}

static int setup_small(void **state)
{
	static struct guest_memory mem;

	if (guest_memory_alloc(&mem, 64 * MiB))
		return -1;
	*state = &mem;
	return 0;
}

static int teardown(void **state)
{
	guest_memory_free(*state);
	return 0;
}

static void test_layout(void **state)
{
	struct guest_memory *mem = *state;

	assert_int_equal(mem->nr_regions, 2);
	assert_int_equal(guest_memory_low_end(mem), GUEST_MMIO_HOLE_START);
	assert_int_equal(guest_memory_high_size(mem), 1 * GiB);
	assert_int_equal(mem->regions[0].gpa, 0);
	assert_int_equal(mem->regions[0].slot, 0);
	assert_int_equal(mem->regions[1].gpa, GUEST_HIGH_RAM_START);
	assert_int_equal(mem->regions[1].slot, 1);
	/* The two regions are one host mapping, back to back. */
	assert_ptr_equal(mem->regions[1].hva,
			 mem->regions[0].hva + mem->regions[0].size);
}

static void test_region_edges(void **state)
{
	struct guest_memory *mem = *state;
	uint8_t *base = mem->base;
	const uint64_t low = GUEST_MMIO_HOLE_START;
	const uint64_t high_end = GUEST_HIGH_RAM_START + 1 * GiB;

	assert_ptr_equal(guest_memory_ptr(mem, 0, 1), base);
	assert_ptr_equal(guest_memory_ptr(mem, low - 1, 1), base + low - 1);
	/* First byte of the hole, its last byte, and the 4 GiB boundary. */
	assert_null(guest_memory_ptr(mem, low, 1));
	assert_null(guest_memory_ptr(mem, GUEST_HIGH_RAM_START - 1, 1));
	assert_ptr_equal(guest_memory_ptr(mem, GUEST_HIGH_RAM_START, 1),
			 base + low);
	/* End of high RAM: last byte in, the next one out. */
	assert_ptr_equal(guest_memory_ptr(mem, high_end - 1, 1),
			 base + 4 * GiB - 1);
	assert_null(guest_memory_ptr(mem, high_end, 1));
	assert_ptr_equal(guest_memory_ptr(mem, high_end - 4096, 4096),
			 base + 4 * GiB - 4096);
}

static void test_len_crossing_region_end(void **state)
{
	struct guest_memory *mem = *state;
	const uint64_t low = GUEST_MMIO_HOLE_START;
	const uint64_t high_end = GUEST_HIGH_RAM_START + 1 * GiB;
	uint8_t buf[16] = { 0 };

	/*
	 * The host mapping continues past 3 GiB (high RAM follows), so a
	 * range crossing the end of low RAM would read the wrong guest bytes
	 * if only the host mapping were checked.
	 */
	assert_null(guest_memory_ptr(mem, low - 1, 2));
	assert_null(guest_memory_ptr(mem, low - 8, 16));
	assert_null(guest_memory_ptr(mem, high_end - 4096, 4097));
	assert_null(guest_memory_ptr(mem, 0, low + 1));
	assert_non_null(guest_memory_ptr(mem, 0, low));
	/* A range spanning the whole hole is not one region either. */
	assert_null(
		guest_memory_ptr(mem, low - 1, GUEST_HIGH_RAM_START - low + 2));

	assert_int_equal(guest_memory_read(mem, low - 8, buf, 16), -EFAULT);
	assert_int_equal(guest_memory_read(mem, low - 8, buf, 8), 0);
}

static void test_len_zero(void **state)
{
	struct guest_memory *mem = *state;
	uint8_t buf[1] = { 0x5a };

	/* Length 0 is checked as length 1 by guest_memory_ptr ... */
	assert_ptr_equal(guest_memory_ptr(mem, 0, 0), mem->base);
	assert_null(guest_memory_ptr(mem, GUEST_MMIO_HOLE_START, 0));
	/* ... while reads, writes and fills of nothing always succeed. */
	assert_int_equal(guest_memory_read(mem, GUEST_MMIO_HOLE_START, buf, 0),
			 0);
	assert_int_equal(guest_memory_write(mem, UINT64_MAX, buf, 0), 0);
	assert_int_equal(guest_memory_fill(mem, UINT64_MAX, 0, 0), 0);
	assert_int_equal(buf[0], 0x5a);
}

static void test_overflowing_ranges(void **state)
{
	struct guest_memory *mem = *state;
	uint8_t buf[2];

	assert_null(guest_memory_ptr(mem, UINT64_MAX, 1));
	assert_null(guest_memory_ptr(mem, UINT64_MAX, 2));
	assert_null(guest_memory_ptr(mem, UINT64_MAX - 1, UINT64_MAX));
	/* gpa + len wraps to a small number that would look in range. */
	assert_null(guest_memory_ptr(mem, 4096, UINT64_MAX));
	assert_null(guest_memory_ptr(mem, 4096, UINT64_MAX - 4094));
	assert_null(guest_memory_ptr(mem, GUEST_HIGH_RAM_START,
				     UINT64_MAX - GUEST_HIGH_RAM_START + 2));
	assert_null(guest_memory_ptr(mem, 0, UINT64_MAX));
	assert_int_equal(guest_memory_read(mem, UINT64_MAX, buf, 2), -EFAULT);
	assert_int_equal(guest_memory_write(mem, UINT64_MAX - 1, buf, 2),
			 -EFAULT);
}

static void test_write_read_at_boundaries(void **state)
{
	struct guest_memory *mem = *state;
	const uint64_t low = GUEST_MMIO_HOLE_START;
	const uint64_t high_end = GUEST_HIGH_RAM_START + 1 * GiB;
	const uint8_t pat[4] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t back[4];

	assert_int_equal(guest_memory_write(mem, low - 4, pat, 4), 0);
	assert_memory_equal(mem->base + low - 4, pat, 4);
	assert_int_equal(guest_memory_write(mem, GUEST_HIGH_RAM_START, pat, 4),
			 0);
	assert_memory_equal(mem->base + low, pat, 4);
	assert_int_equal(guest_memory_read(mem, high_end - 4, back, 4), 0);
	assert_int_equal(guest_memory_write(mem, high_end - 4, pat, 4), 0);
	assert_int_equal(guest_memory_read(mem, high_end - 4, back, 4), 0);
	assert_memory_equal(back, pat, 4);

	/* A write crossing a region end fails and changes nothing. */
	memset(mem->base + low - 2, 0, 2);
	assert_int_equal(guest_memory_write(mem, low - 2, pat, 4), -EFAULT);
	assert_int_equal(mem->base[low - 2], 0);
	assert_int_equal(mem->base[low - 1], 0);
	assert_int_equal(guest_memory_fill(mem, high_end - 2, 0xff, 3),
			 -EFAULT);
	assert_int_equal(mem->base[4 * GiB - 1], 0xef);
}

static void test_small_ram(void **state)
{
	struct guest_memory *mem = *state;

	assert_int_equal(mem->nr_regions, 1);
	assert_int_equal(guest_memory_low_end(mem), 64 * MiB);
	assert_int_equal(guest_memory_high_size(mem), 0);
	assert_non_null(guest_memory_ptr(mem, 64 * MiB - 1, 1));
	assert_null(guest_memory_ptr(mem, 64 * MiB, 1));
	assert_null(guest_memory_ptr(mem, 64 * MiB - 1, 2));
	assert_null(guest_memory_ptr(mem, GUEST_HIGH_RAM_START, 1));
}

static void test_alloc_sizes(void **state)
{
	struct guest_memory mem;

	assert_int_equal(guest_memory_alloc(&mem, 0), -EINVAL);
	assert_int_equal(guest_memory_alloc(&mem, 4097), -EINVAL);

	/* Exactly 3 GiB: all below the hole, no high region. */
	assert_int_equal(guest_memory_alloc(&mem, 3 * GiB), 0);
	assert_int_equal(mem.nr_regions, 1);
	assert_int_equal(guest_memory_low_end(&mem), 3 * GiB);
	assert_int_equal(guest_memory_high_size(&mem), 0);
	guest_memory_free(&mem);

	/* One page more: that page lands at 4 GiB. */
	assert_int_equal(guest_memory_alloc(&mem, 3 * GiB + 4096), 0);
	assert_int_equal(mem.nr_regions, 2);
	assert_int_equal(guest_memory_high_size(&mem), 4096);
	assert_non_null(guest_memory_ptr(&mem, GUEST_HIGH_RAM_START, 4096));
	assert_null(guest_memory_ptr(&mem, GUEST_HIGH_RAM_START + 4096, 1));
	guest_memory_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup_split,
						teardown),
		cmocka_unit_test_setup_teardown(test_region_edges, setup_split,
						teardown),
		cmocka_unit_test_setup_teardown(test_len_crossing_region_end,
						setup_split, teardown),
		cmocka_unit_test_setup_teardown(test_len_zero, setup_split,
						teardown),
		cmocka_unit_test_setup_teardown(test_overflowing_ranges,
						setup_split, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_at_boundaries,
						setup_split, teardown),
		cmocka_unit_test_setup_teardown(test_small_ram, setup_small,
						teardown),
		cmocka_unit_test(test_alloc_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
