// SPDX-License-Identifier: GPL-2.0
/* The boot-memory allocator all three loaders place their data with. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot_alloc.h"
#include "arch/x86/layout.h"

#define RAM (64ULL << 20)

struct fixture {
	struct guest_memory mem;
	struct boot_alloc a;
	struct errmsg err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(guest_memory_alloc(&f->mem, RAM), 0);
	boot_alloc_init(&f->a, &f->mem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_memory_free(&f->mem);
	free(f);
	return 0;
}

static void image_ok(struct fixture *f, uint64_t addr, uint64_t size)
{
	f->err.text[0] = '\0';
	if (boot_alloc_image(&f->a, "image", addr, size, &f->err))
		fail_msg("image 0x%llx: %s", (unsigned long long)addr,
			 f->err.text);
}

static uint64_t place(struct fixture *f, uint64_t size, enum boot_place p)
{
	uint64_t addr = 0;

	f->err.text[0] = '\0';
	if (boot_alloc_place(&f->a, "data", size, 0x1000, p, &addr, &f->err))
		fail_msg("place 0x%llx: %s", (unsigned long long)size,
			 f->err.text);
	return addr;
}

static void image_fails(struct fixture *f, uint64_t addr, uint64_t size,
			const char *want)
{
	f->err.text[0] = '\0';
	assert_int_equal(boot_alloc_image(&f->a, "ELF segment 0", addr, size,
					  &f->err),
			 -ERANGE);
	assert_string_equal(f->err.text, want);
}

/* Page 0 and the EBDA/VGA/BIOS area are never handed out. */
static void test_fixed_areas(void **state)
{
	struct fixture *f = *state;
	uint64_t addr;

	assert_false(boot_alloc_is_free(&f->a, 0, 0x1000));
	assert_false(boot_alloc_is_free(&f->a, 0xfff, 1));
	assert_true(boot_alloc_is_free(&f->a, 0x1000, 0x9ec00));
	assert_false(boot_alloc_is_free(&f->a, 0x9fbff, 2));
	assert_false(boot_alloc_is_free(&f->a, 0xe0000, 0x20000));
	assert_true(boot_alloc_is_free(&f->a, 0x100000, 0x1000));

	assert_true(boot_alloc_first_fit(&f->a, 1, 1, 0, RAM, &addr));
	assert_int_equal(addr, 0x1000);
	/* Alignment 0 means none (and does not stall the search). */
	assert_true(boot_alloc_first_fit(&f->a, 1, 0, 0x1001, RAM, &addr));
	assert_int_equal(addr, 0x1001);
	assert_true(boot_alloc_last_fit(&f->a, 3, 0, 0, 0x2000, &addr));
	assert_int_equal(addr, 0x1ffd);
	/* The last KiB before the EBDA, then the first page above 1 MiB. */
	assert_true(
		boot_alloc_first_fit(&f->a, 0x400, 0x400, 0x9f800, RAM, &addr));
	assert_int_equal(addr, 0x9f800);
	assert_true(boot_alloc_first_fit(&f->a, 0x1000, 0x1000, 0x9f000, RAM,
					 &addr));
	assert_int_equal(addr, 0x100000);
	assert_true(
		boot_alloc_last_fit(&f->a, 0x1000, 0x1000, 0, 0x100000, &addr));
	assert_int_equal(addr, 0x9e000);
	assert_true(boot_alloc_last_fit(&f->a, 0x1000, 0x1000, 0, RAM, &addr));
	assert_int_equal(addr, RAM - 0x1000);
	/* Not past the end of RAM, not into page 0. */
	assert_false(boot_alloc_first_fit(&f->a, 0x2000, 0x1000, RAM - 0x1000,
					  UINT64_MAX, &addr));
	assert_false(
		boot_alloc_last_fit(&f->a, 0x1000, 0x1000, 0, 0x1fff, &addr));
	assert_false(boot_alloc_first_fit(&f->a, RAM, 0x1000, 0, RAM, &addr));

	/* A loader's own fixed range (the bzImage page tables). */
	assert_int_equal(boot_alloc_fixed(&f->a, 0x1000, 0x6000, "tables"), 0);
	assert_true(boot_alloc_first_fit(&f->a, 1, 1, 0, RAM, &addr));
	assert_int_equal(addr, 0x7000);
}

static void test_image_checks(void **state)
{
	struct fixture *f = *state;

	image_fails(
		f, 0, 0x10,
		"ELF segment 0 at 0x0-0xf overlaps page 0 (real-mode IVT, BIOS data area and boot GDT) at 0x0-0xfff: link the kernel to load at 0x1000 or higher");
	image_fails(
		f, 0x9f000, 0x1000,
		"ELF segment 0 at 0x9f000-0x9ffff overlaps the EBDA, VGA hole and BIOS area (ACPI tables and RSDP) at 0x9fc00-0xfffff: link the kernel to load below 0x9fc00 or at 0x100000 or higher");
	image_fails(
		f, RAM - 0x1000, 0x1001,
		"ELF segment 0 at 0x3fff000-0x4000000 lies beyond the end of guest RAM (64 MiB): increase --mem to at least 65 MiB");
	image_fails(
		f, 0xbffff000, 0x2000,
		"ELF segment 0 at 0xbffff000-0xc0000fff reaches past 3 GiB, where guest RAM below 4 GiB ends: link the kernel to load lower");
	image_fails(
		f, 0xfffff000, 0x2000,
		"ELF segment 0 at 0xfffff000 (0x2000 bytes) does not lie below 4 GiB: the kernel starts with paging off, link it to load below 3 GiB");
	image_fails(
		f, UINT64_MAX, 2,
		"ELF segment 0 at 0xffffffffffffffff (0x2 bytes) does not lie below 4 GiB: the kernel starts with paging off, link it to load below 3 GiB");
	/* Refused pieces are not marked. */
	assert_int_equal(f->a.nr_image, 0);

	/* From 0x1000 up to the EBDA, and above 1 MiB: fine. */
	image_ok(f, 0x1000, 0x9ec00);
	image_ok(f, 0x100000, 0x1000);
	assert_int_equal(f->a.image_lo, 0x1000);
	assert_int_equal(f->a.image_hi, 0x101000);
	assert_false(boot_alloc_is_free(&f->a, 0x9fbff, 1));
	assert_false(boot_alloc_is_free(&f->a, 0x100fff, 1));
	/* Image pieces may overlap each other (the ELF check bounds it). */
	image_ok(f, 0x100800, 0x1000);
	assert_int_equal(f->a.image_hi, 0x101800);
}

/* Touching pieces merge; a file of many separate ones is refused. */
static void test_image_pieces(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 200; i++)
		image_ok(f, 0x100000 + (uint64_t)i * 0x100, 0x100);
	assert_int_equal(f->a.nr_image, 1);
	for (i = 1; i < BOOT_ALLOC_MAX_IMAGE; i++)
		image_ok(f, 0x200000 + (uint64_t)i * 0x2000, 0x1000);
	assert_int_equal(f->a.nr_image, BOOT_ALLOC_MAX_IMAGE);
	assert_int_equal(boot_alloc_image(&f->a, "ELF segment 40", 0x800000,
					  0x10, &f->err),
			 -E2BIG);
	assert_non_null(strstr(f->err.text, "more than 32 separate pieces"));
}

/*
 * Boot information: QEMU's 0x9000 when free, else below the image, else
 * conventional memory well past a low image, else the top of RAM.
 */
static void test_info_policy(void **state)
{
	struct fixture *f = *state;

	/* No image yet (or a kernel at 1 MiB): 0x9000, then on. */
	assert_int_equal(place(f, 0x300, BOOT_PLACE_INFO), 0x9000);
	assert_int_equal(place(f, 0x1000, BOOT_PLACE_INFO), 0xa000);
	image_ok(f, 0x100000, 0x5000);
	assert_int_equal(place(f, 1, BOOT_PLACE_INFO), 0xb000);

	/* An image over 0x9000: the pages below it, from 0x1000. */
	boot_alloc_init(&f->a, &f->mem);
	image_ok(f, 0x8000, 0x286c);
	assert_int_equal(place(f, 0x2000, BOOT_PLACE_INFO), 0x1000);
	assert_int_equal(place(f, 0x5000, BOOT_PLACE_INFO), 0x3000);
	/* Below is full: conventional memory far above the image. */
	assert_int_equal(place(f, 0x1000, BOOT_PLACE_INFO), 0x9e000);

	/* Image at 0x1000: nothing below it. */
	boot_alloc_init(&f->a, &f->mem);
	image_ok(f, 0x1000, 0x6000);
	assert_int_equal(place(f, 0x100, BOOT_PLACE_INFO), 0x9f000);

	/* Image up to 64 KiB below the EBDA: the top of RAM instead. */
	boot_alloc_init(&f->a, &f->mem);
	image_ok(f, 0x1000, 0x8f000);
	assert_int_equal(place(f, 0x100, BOOT_PLACE_INFO), RAM - 0x1000);
	boot_alloc_init(&f->a, &f->mem);
	image_ok(f, 0x1000, 0x8e000);
	assert_int_equal(place(f, 0x100, BOOT_PLACE_INFO), 0x9f000);

	/* Image below, at and above 0x9000 leaves the gap under it. */
	boot_alloc_init(&f->a, &f->mem);
	image_ok(f, 0x20000, 0x1000);
	assert_int_equal(place(f, 0x1000, BOOT_PLACE_INFO), 0x9000);
	assert_int_equal(place(f, 0x16000, BOOT_PLACE_INFO), 0xa000);
	assert_int_equal(place(f, 0x1000, BOOT_PLACE_INFO), 0x1000);
}

/* Modules: from the end of the image, in order, each on new pages. */
static void test_after_image_policy(void **state)
{
	struct fixture *f = *state;
	uint64_t addr;

	image_ok(f, 0x100000, 0x5800);
	assert_int_equal(place(f, 5000, BOOT_PLACE_AFTER_IMAGE), 0x106000);
	assert_int_equal(place(f, 1, BOOT_PLACE_AFTER_IMAGE), 0x108000);
	assert_int_equal(place(f, 0x3000, BOOT_PLACE_AFTER_IMAGE), 0x109000);
	/* Skips what is in the way. */
	assert_int_equal(boot_alloc_mark(&f->a, 0x10c000, 0x800), 0);
	assert_int_equal(place(f, 0x1000, BOOT_PLACE_AFTER_IMAGE), 0x10d000);
	/* A hole earlier on is not reused: the order is kept. */
	assert_int_equal(boot_alloc_mark(&f->a, 0x10e000, 0x100), 0);
	assert_int_equal(place(f, 0x100, BOOT_PLACE_AFTER_IMAGE), 0x10f000);

	/* A low image: after it, over the EBDA/BIOS hole when too big. */
	boot_alloc_init(&f->a, &f->mem);
	image_ok(f, 0x8000, 0x286c);
	assert_int_equal(place(f, 0x1000, BOOT_PLACE_AFTER_IMAGE), 0xb000);
	assert_int_equal(place(f, 0x100000, BOOT_PLACE_AFTER_IMAGE), 0x100000);

	/* An image at the top: the highest free RAM above 1 MiB. */
	boot_alloc_init(&f->a, &f->mem);
	image_ok(f, RAM - 0x2000, 0x2000);
	assert_int_equal(place(f, 0x1800, BOOT_PLACE_AFTER_IMAGE),
			 RAM - 0x4000);

	/* Nothing fits: one message naming the image. */
	f->err.text[0] = '\0';
	assert_int_equal(boot_alloc_place(&f->a, "multiboot module 0 'm'", RAM,
					  0x1000, BOOT_PLACE_AFTER_IMAGE, &addr,
					  &f->err),
			 -ENOSPC);
	assert_string_equal(
		f->err.text,
		"multiboot module 0 'm' (67108864 bytes) does not fit in guest RAM (64 MiB) outside the kernel image at 0x3ffe000-0x3ffffff and the firmware areas: increase --mem to at least 128 MiB");
}

/* Guest RAM smaller than conventional memory: e820 ends it. */
static void test_tiny_ram(void **state)
{
	struct guest_memory mem;
	struct boot_alloc a;
	struct errmsg err;
	uint64_t addr;

	(void)state;
	assert_int_equal(guest_memory_alloc(&mem, 0x20000), 0);
	boot_alloc_init(&a, &mem);
	assert_true(
		boot_alloc_last_fit(&a, 0x1000, 0x1000, 0, UINT64_MAX, &addr));
	assert_int_equal(addr, 0x1f000);
	assert_int_equal(boot_alloc_place(&a, "info", 0x1000, 0x1000,
					  BOOT_PLACE_INFO, &addr, &err),
			 0);
	assert_int_equal(addr, 0x9000);
	assert_int_equal(boot_alloc_place(&a, "module", 0x1000, 0x1000,
					  BOOT_PLACE_AFTER_IMAGE, &addr, &err),
			 -ENOSPC);
	assert_string_equal(
		err.text,
		"module (4096 bytes) does not fit in guest RAM (1 MiB): increase --mem to at least 2 MiB");
	assert_int_equal(boot_alloc_image(&a, "image", 0x1f000, 0x1001, &err),
			 -ERANGE);
	guest_memory_free(&mem);
}

/* The range table has a fixed size: running out is an error, not UB. */
static void test_table_full(void **state)
{
	struct fixture *f = *state;
	uint64_t addr;
	int i, ret = 0;

	for (i = 0; i < BOOT_ALLOC_MAX_RANGES && !ret; i++)
		ret = boot_alloc_place(&f->a, "piece", 1, 0x1000,
				       BOOT_PLACE_AFTER_IMAGE, &addr, &f->err);
	assert_int_equal(ret, -E2BIG);
	assert_int_equal(f->a.nr, BOOT_ALLOC_MAX_RANGES);
	assert_int_equal(boot_alloc_mark(&f->a, 0x100000, 1), -ENOSPC);
	assert_int_equal(boot_alloc_fixed(&f->a, 0x100000, 1, "x"), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixed_areas, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_pieces, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_info_policy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_after_image_policy, setup,
						teardown),
		cmocka_unit_test(test_tiny_ram),
		cmocka_unit_test_setup_teardown(test_table_full, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
