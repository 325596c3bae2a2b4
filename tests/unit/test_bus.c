// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/bus.h"

/* A device that records its last access. */
struct probe {
	uint64_t offset;
	uint32_t len;
	uint8_t written[8];
	int reads;
	int writes;
	uint8_t fill;
};

static void probe_read(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len)
{
	struct probe *p = opaque;

	p->offset = offset;
	p->len = len;
	p->reads++;
	memset(data, p->fill, len);
}

static void probe_write(void *opaque, uint64_t offset, const uint8_t *data,
			uint32_t len)
{
	struct probe *p = opaque;

	p->offset = offset;
	p->len = len;
	p->writes++;
	memcpy(p->written, data, len);
}

static const struct bus_ops probe_ops = {
	.read = probe_read,
	.write = probe_write,
};

static struct bus bus;

static int setup(void **state)
{
	bus_init(&bus, "pio");
	return 0;
}

static void test_register_rejects_bad_ranges(void **state)
{
	struct probe p = { 0 };

	assert_int_equal(bus_register(&bus, 0x100, 0, &probe_ops, &p, "z"),
			 -EINVAL);
	assert_int_equal(bus_register(&bus, UINT64_MAX, 2, &probe_ops, &p,
				      "wrap"),
			 -EINVAL);
	assert_int_equal(bus_register(&bus, 2, UINT64_MAX, &probe_ops, &p,
				      "wrap"),
			 -EINVAL);
	assert_int_equal(bus_register(&bus, 0x100, 1, NULL, &p, "noops"),
			 -EINVAL);
	assert_int_equal(bus.nr_ranges, 0);

	/* Ending exactly at the top of the address space does not wrap. */
	assert_int_equal(
		bus_register(&bus, UINT64_MAX, 1, &probe_ops, &p, "top"), 0);
	assert_int_equal(bus_register(&bus, 0, UINT64_MAX, &probe_ops, &p,
				      "all-but-top"),
			 0);
	assert_int_equal(bus.nr_ranges, 2);
}

static void test_register_overlap_and_adjacent(void **state)
{
	struct probe p = { 0 };

	assert_int_equal(bus_register(&bus, 0x3f8, 8, &probe_ops, &p, "a"), 0);
	/* Adjacent on both sides is fine. */
	assert_int_equal(bus_register(&bus, 0x3f0, 8, &probe_ops, &p, "b"), 0);
	assert_int_equal(bus_register(&bus, 0x400, 4, &probe_ops, &p, "c"), 0);
	/* Same base, overlapping the start, the end, inside, around. */
	assert_int_equal(bus_register(&bus, 0x3f8, 1, &probe_ops, &p, "x"),
			 -EEXIST);
	assert_int_equal(bus_register(&bus, 0x3e0, 0x19, &probe_ops, &p, "x"),
			 -EEXIST);
	assert_int_equal(bus_register(&bus, 0x403, 2, &probe_ops, &p, "x"),
			 -EEXIST);
	assert_int_equal(bus_register(&bus, 0x3fa, 1, &probe_ops, &p, "x"),
			 -EEXIST);
	assert_int_equal(bus_register(&bus, 0x300, 0x200, &probe_ops, &p, "x"),
			 -EEXIST);
	assert_int_equal(bus.nr_ranges, 3);
	/* Kept sorted whatever the registration order. */
	assert_int_equal(bus.ranges[0].base, 0x3f0);
	assert_int_equal(bus.ranges[1].base, 0x3f8);
	assert_int_equal(bus.ranges[2].base, 0x400);
}

static void test_register_full(void **state)
{
	struct probe p = { 0 };
	int i;

	/* Descending bases exercise insertion at the front. */
	for (i = BUS_MAX_RANGES - 1; i >= 0; i--)
		assert_int_equal(bus_register(&bus, 0x1000 + 0x10 * i, 0x10,
					      &probe_ops, &p, "r"),
				 0);
	assert_int_equal(bus_register(&bus, 0x10, 1, &probe_ops, &p, "more"),
			 -ENOSPC);
	for (i = 0; i < BUS_MAX_RANGES; i++)
		assert_int_equal(bus.ranges[i].base, 0x1000 + 0x10 * i);
	/* Every range is still found by the binary search. */
	for (i = 0; i < BUS_MAX_RANGES; i++) {
		assert_ptr_equal(bus_find(&bus, 0x1000 + 0x10 * i, 1),
				 &bus.ranges[i]);
		assert_ptr_equal(bus_find(&bus, 0x100f + 0x10 * i, 1),
				 &bus.ranges[i]);
	}
}

static void test_find_boundaries(void **state)
{
	struct probe p = { 0 };

	assert_int_equal(bus_register(&bus, 0x70, 2, &probe_ops, &p, "rtc"), 0);
	assert_int_equal(bus_register(&bus, 0x80, 1, &probe_ops, &p, "post"),
			 0);
	assert_null(bus_find(&bus, 0x6f, 1));
	assert_non_null(bus_find(&bus, 0x70, 1));
	assert_non_null(bus_find(&bus, 0x70, 2));
	assert_non_null(bus_find(&bus, 0x71, 1));
	/* Straddling the end, or the start, of a range. */
	assert_null(bus_find(&bus, 0x71, 2));
	assert_null(bus_find(&bus, 0x6f, 2));
	assert_null(bus_find(&bus, 0x70, 4));
	assert_null(bus_find(&bus, 0x72, 1));
	assert_null(bus_find(&bus, 0x70, 0));
	assert_null(bus_find(&bus, UINT64_MAX, 8));
	assert_null(bus_find(&bus, 0, 1));
}

static void test_dispatch(void **state)
{
	struct probe p = { .fill = 0x5a };
	uint8_t buf[8];
	const uint8_t val[4] = { 1, 2, 3, 4 };

	assert_int_equal(bus_register(&bus, 0xcf8, 8, &probe_ops, &p, "pci"),
			 0);
	assert_true(bus_read(&bus, 0xcfc, buf, 4));
	assert_int_equal(p.offset, 4);
	assert_int_equal(p.len, 4);
	assert_int_equal(buf[3], 0x5a);
	assert_true(bus_write(&bus, 0xcf9, val, 4));
	assert_int_equal(p.offset, 1);
	assert_memory_equal(p.written, val, 4);
	assert_true(bus_read(&bus, 0xcf8, buf, 8));
	assert_int_equal(p.len, 8);
	assert_int_equal(bus.unclaimed_reads, 0);
	assert_int_equal(bus.unclaimed_writes, 0);
}

static void test_unclaimed(void **state)
{
	struct probe p = { .fill = 0 };
	uint8_t buf[16];
	const uint8_t val[16] = { 0 };

	assert_int_equal(bus_register(&bus, 0x60, 1, &probe_ops, &p, "kbd"), 0);
	memset(buf, 0, sizeof(buf));
	assert_false(bus_read(&bus, 0x61, buf, 4));
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[3], 0xff);
	assert_int_equal(buf[4], 0);
	/* Straddling the range end is unclaimed too. */
	memset(buf, 0, sizeof(buf));
	assert_false(bus_read(&bus, 0x60, buf, 2));
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[1], 0xff);
	assert_false(bus_write(&bus, 0x60, val, 2));
	assert_false(bus_write(&bus, 0x1234, val, 1));
	/* len 0 and len 9 never reach a device, even one that covers them. */
	assert_false(bus_read(&bus, 0x60, buf, 0));
	memset(buf, 0, sizeof(buf));
	assert_false(bus_read(&bus, 0x60, buf, 9));
	assert_int_equal(buf[7], 0xff);
	assert_false(bus_write(&bus, 0x60, val, 0));
	assert_false(bus_write(&bus, 0x60, val, 9));
	assert_false(bus_read(&bus, UINT64_MAX, buf, 8));
	assert_false(bus_write(&bus, UINT64_MAX - 3, val, 8));
	assert_int_equal(p.reads, 0);
	assert_int_equal(p.writes, 0);
	assert_int_equal(bus.unclaimed_reads, 5);
	assert_int_equal(bus.unclaimed_writes, 5);
}

static void test_missing_callbacks(void **state)
{
	static const struct bus_ops none = { 0 };
	uint8_t buf[2] = { 0, 0 };

	assert_int_equal(bus_register(&bus, 0x10, 2, &none, NULL, "none"), 0);
	assert_true(bus_read(&bus, 0x10, buf, 2));
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[1], 0xff);
	assert_true(bus_write(&bus, 0x11, buf, 1));
}

#define HAMMER_THREADS 4
#define HAMMER_LOOPS 20000

static void *hammer(void *arg)
{
	uint8_t buf[4];
	int i;

	for (i = 0; i < HAMMER_LOOPS; i++) {
		bus_read(&bus, 0x2000 + (i & 0xff), buf, 1);
		bus_write(&bus, 0x3000 + (i & 0xff), buf, 2);
	}
	return NULL;
}

/* vCPU threads share the counters with no lock; none may be lost. */
static void test_unclaimed_counts_concurrent(void **state)
{
	pthread_t t[HAMMER_THREADS];
	int i;

	for (i = 0; i < HAMMER_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < HAMMER_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(bus.unclaimed_reads, HAMMER_THREADS * HAMMER_LOOPS);
	assert_int_equal(bus.unclaimed_writes, HAMMER_THREADS * HAMMER_LOOPS);
}

/*
 * 0xcf8: PCI's dword CONFIG_ADDRESS around the byte reset register at
 * 0xcf9 (an overlay), registered in either order. Accesses that fit in
 * the overlay reach it; the rest of the big range reaches the big device.
 */
static void test_overlay_inside_a_range(void **state)
{
	struct probe pci = { .fill = 0x11 }, rst = { .fill = 0x22 };
	uint8_t d[4];
	int order;

	for (order = 0; order < 2; order++) {
		bus_init(&bus, "pio");
		if (order == 0) {
			assert_int_equal(bus_register(&bus, 0xcf8, 8, &probe_ops,
						      &pci, "pci"),
					 0);
			assert_int_equal(bus_register_overlay(&bus, 0xcf9, 1,
							      &probe_ops, &rst,
							      "reset"),
					 0);
		} else {
			assert_int_equal(bus_register_overlay(&bus, 0xcf9, 1,
							      &probe_ops, &rst,
							      "reset"),
					 0);
			assert_int_equal(bus_register(&bus, 0xcf8, 8, &probe_ops,
						      &pci, "pci"),
					 0);
		}
		assert_int_equal(bus.nr_ranges, 1);
		assert_int_equal(bus.nr_overlays, 1);
		pci.reads = rst.reads = 0;
		assert_true(bus_read(&bus, 0xcf8, d, 4)); /* the dword */
		assert_int_equal(pci.reads, 1);
		assert_int_equal(pci.offset, 0);
		assert_true(bus_read(&bus, 0xcf9, d, 1)); /* the byte */
		assert_int_equal(rst.reads, 1);
		assert_int_equal(rst.offset, 0);
		assert_int_equal(d[0], 0x22);
		assert_true(bus_read(&bus, 0xcf9, d, 2)); /* too wide: pci */
		assert_int_equal(pci.reads, 2);
		assert_int_equal(pci.offset, 1);
		assert_true(bus_read(&bus, 0xcfc, d, 4));
		assert_int_equal(pci.offset, 4);
		/* partly outside the big range, or over the overlay's edge */
		assert_int_equal(bus_register(&bus, 0xcfe, 4, &probe_ops, &pci,
					      "straddle"),
				 -EEXIST);
		assert_int_equal(bus_register_overlay(&bus, 0xcf9, 2,
						      &probe_ops, &pci,
						      "over-overlay"),
				 -EEXIST);
	}
	/* alone (no PCI): the byte still reaches the overlay */
	bus_init(&bus, "pio");
	assert_int_equal(bus_register_overlay(&bus, 0xcf9, 1, &probe_ops, &rst,
					      "reset"),
			 0);
	rst.reads = 0;
	assert_true(bus_read(&bus, 0xcf9, d, 1));
	assert_int_equal(rst.reads, 1);
	assert_false(bus_read(&bus, 0xcf8, d, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_rejects_bad_ranges, setup),
		cmocka_unit_test_setup(test_register_overlap_and_adjacent,
				       setup),
		cmocka_unit_test_setup(test_register_full, setup),
		cmocka_unit_test_setup(test_find_boundaries, setup),
		cmocka_unit_test_setup(test_dispatch, setup),
		cmocka_unit_test_setup(test_unclaimed, setup),
		cmocka_unit_test_setup(test_missing_callbacks, setup),
		cmocka_unit_test_setup(test_unclaimed_counts_concurrent, setup),
		cmocka_unit_test_setup(test_overlay_inside_a_range, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
