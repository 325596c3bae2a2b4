// SPDX-License-Identifier: GPL-2.0
/*
 * The one guest-memory region lookup: region, span, ranges and the checked
 * pointer at region edges, across the 3-4 GiB hole, and for addresses and
 * lengths that would overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/memory.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* 4 GiB of RAM: 3 GiB below the hole, 1 GiB from 4 GiB up. */
static void lookup_across_the_hole(void **state)
{
	struct guest_memory mem;
	const struct guest_region *r;
	char text[128];
	uint64_t low, i;

	(void)state;
	assert_int_equal(guest_memory_alloc(&mem, 4 * GIB), 0);
	low = guest_memory_low_end(&mem);
	assert_int_equal(low, GUEST_MMIO_HOLE_START);

	r = guest_memory_region(&mem, 0);
	assert_non_null(r);
	assert_int_equal(r->gpa, 0);
	assert_int_equal(r->size, low);
	assert_ptr_equal(guest_memory_region(&mem, low - 1), r);
	assert_null(guest_memory_region(&mem, low));
	assert_null(guest_memory_region(&mem, GUEST_HIGH_RAM_START - 1));
	r = guest_memory_region(&mem, GUEST_HIGH_RAM_START);
	assert_non_null(r);
	assert_int_equal(r->size, 4 * GIB - low);
	assert_null(guest_memory_region(&mem, GUEST_HIGH_RAM_START + r->size));
	assert_null(guest_memory_region(&mem, UINT64_MAX));

	assert_int_equal(guest_memory_span(&mem, low - 16), 16);
	assert_int_equal(guest_memory_span(&mem, low), 0);
	assert_int_equal(guest_memory_span(&mem, GUEST_HIGH_RAM_START),
			 4 * GIB - low);

	/* the pointer is checked over the whole length, overflow-safe */
	assert_non_null(guest_memory_ptr(&mem, low - 16, 16));
	assert_null(guest_memory_ptr(&mem, low - 16, 17));
	assert_null(guest_memory_ptr(&mem, 0x1000, UINT64_MAX));
	assert_null(guest_memory_ptr(&mem, UINT64_MAX, 2));
	assert_ptr_equal(guest_memory_ptr(&mem, 0x1000, 0),
			 guest_memory_ptr(&mem, 0x1000, 1));

	/* iteration ends past the last region, and refuses negatives */
	for (i = 0; guest_memory_region_at(&mem, (int)i); i++)
		;
	assert_int_equal(i, 2);
	assert_null(guest_memory_region_at(&mem, -1));

	guest_memory_ranges(&mem, text, sizeof(text));
	assert_string_equal(text, "0x0-0xc0000000, 0x100000000-0x140000000");
	/* truncated output stays terminated */
	assert_int_equal(guest_memory_ranges(&mem, text, 8), 7);
	assert_string_equal(text, "0x0-0xc");
	guest_memory_free(&mem);
}

static void small_guest_has_one_region(void **state)
{
	struct guest_memory mem;
	char text[64];

	(void)state;
	assert_int_equal(guest_memory_alloc(&mem, 128 * MIB), 0);
	assert_non_null(guest_memory_region_at(&mem, 0));
	assert_null(guest_memory_region_at(&mem, 1));
	guest_memory_ranges(&mem, text, sizeof(text));
	assert_string_equal(text, "0x0-0x8000000");
	assert_null(guest_memory_region(&mem, 128 * MIB));
	guest_memory_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookup_across_the_hole),
		cmocka_unit_test(small_guest_has_one_region),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
