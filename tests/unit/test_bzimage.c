// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "images.h"

#define RAM (64ULL << 20)
/*
 * Where the boot information block goes: the first free page from 0x9000
 * (the identity page tables keep 0x1000-0x6fff), command line after the
 * zero page.
 */
#define ZERO_PAGE 0x9000ULL
#define CMDLINE (ZERO_PAGE + 0x1000)

struct fixture {
	struct guest_memory mem;
	struct timg img;
	struct boot_request req;
	struct boot_entry entry;
	struct errmsg err;
	uint8_t initrd0[5000];
	uint8_t initrd1[3000];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tbz_opts o = tbz_defaults();

	assert_int_equal(guest_memory_alloc(&f->mem, RAM), 0);
	/* Not zero, so tests see what the loader wrote and what it left. */
	memset(f->mem.base, 0xcc, RAM);
	f->img = tbz_build(&o);
	f->req.kernel.name = "bzImage";
	f->req.kernel.data = f->img.data;
	f->req.kernel.size = f->img.size;
	f->req.cmdline = "console=ttyS0 quiet";
	timg_fill(f->initrd0, sizeof(f->initrd0), 5);
	timg_fill(f->initrd1, sizeof(f->initrd1), 6);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_memory_free(&f->mem);
	timg_free(&f->img);
	free(f);
	return 0;
}

static void rebuild(struct fixture *f, const struct tbz_opts *o)
{
	timg_free(&f->img);
	f->img = tbz_build(o);
	f->req.kernel.data = f->img.data;
	f->req.kernel.size = f->img.size;
}

static void add_initrds(struct fixture *f)
{
	f->req.initrd[0] =
		(struct boot_file){ "a.cpio", f->initrd0, sizeof(f->initrd0) };
	f->req.initrd[1] =
		(struct boot_file){ "b.cpio", f->initrd1, sizeof(f->initrd1) };
	f->req.nr_initrd = 2;
}

static uint8_t *gp(struct fixture *f, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_memory_ptr(&f->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static void expect_fail(struct fixture *f, int ret, const char *needle)
{
	memset(f->err.text, 0, sizeof(f->err.text));
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err),
			 ret);
	if (!strstr(f->err.text, needle))
		fail_msg("message '%s' lacks '%s'", f->err.text, needle);
	assert_null(strchr(f->err.text, '\n'));
	/* Nothing was written before the failure was found. */
	assert_int_equal(*gp(f, LAYOUT_KERNEL_LOAD, 1), 0xcc);
	assert_int_equal(*gp(f, ZERO_PAGE + 0x210, 1), 0xcc);
	assert_int_equal(*gp(f, CMDLINE, 1), 0xcc);
}

static void test_load(void **state)
{
	struct fixture *f = *state;
	size_t payload = f->img.size - 5 * 512;
	uint64_t initrd = (RAM - 8000) & ~0xfffULL;
	struct e820_entry map[E820_MAX_ENTRIES];
	struct acpi_params acpi = { .nr_cpus = 1 };
	uint64_t rsdp;
	uint8_t *bp;
	int n, i;

	add_initrds(f);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_memory_equal(gp(f, LAYOUT_KERNEL_LOAD, payload),
			    f->img.data + 5 * 512, payload);

	bp = gp(f, ZERO_PAGE, 4096);
	/* Outside the setup header and our fields, the page is zero. */
	for (i = 0; i < 0xc0; i++)
		assert_int_equal(bp[i], 0);
	assert_int_equal(bp[0x1f1], 4);
	assert_int_equal(t_get16(bp + 0x1fe), 0xaa55);
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(t_get16(bp + 0x206), 0x020f);
	assert_int_equal(bp[0x210], 0xff);
	assert_int_equal(bp[0x211], 0x81);
	assert_int_equal(t_get16(bp + 0x224), 0xfe00);
	assert_int_equal(t_get32(bp + 0x228), CMDLINE);
	assert_int_equal(t_get32(bp + 0x0c8), 0);
	assert_int_equal(t_get32(bp + 0x260), 0x400000);
	assert_string_equal((char *)gp(f, CMDLINE, 32), "console=ttyS0 quiet");

	assert_int_equal(t_get32(bp + 0x218), initrd);
	assert_int_equal(t_get32(bp + 0x21c), 8000);
	assert_int_equal(t_get32(bp + 0x0c0), 0);
	assert_int_equal(t_get32(bp + 0x0c4), 0);
	assert_memory_equal(gp(f, initrd, 5000), f->initrd0, 5000);
	assert_memory_equal(gp(f, initrd + 5000, 3000), f->initrd1, 3000);

	n = e820_build(&f->mem, map);
	assert_int_equal(bp[0x1e8], n);
	for (i = 0; i < n; i++) {
		uint8_t *e = bp + 0x2d0 + 20 * i;

		assert_int_equal(t_get64(e), map[i].addr);
		assert_int_equal(t_get64(e + 8), map[i].size);
		assert_int_equal(t_get32(e + 16), map[i].type);
	}
	assert_int_equal(bp[0x2d0 + 20 * n], 0);

	assert_int_equal(f->entry.mode, BOOT_CPU_LONG64);
	assert_int_equal(f->entry.rip, 0x100200);
	assert_int_equal(f->entry.rsi, ZERO_PAGE);
	assert_int_equal(f->entry.boot_info, ZERO_PAGE);
	assert_int_equal(f->entry.rax, 0);
	/* Page 0 and the identity page tables' pages were left alone. */
	for (i = 0; i < 0x7000; i++)
		assert_int_equal(*gp(f, i, 1), 0xcc);
	assert_int_equal(*gp(f, CMDLINE + 20, 1), 0xcc);

	/* The ACPI tables go in next; the RSDP lands in this zero page. */
	assert_int_equal(acpi_build(&f->mem, &acpi, &rsdp, &f->err), 0);
	assert_int_equal(rsdp, 0xe0000);
	assert_int_equal(boot_set_rsdp(&f->mem, BOOT_FORMAT_BZIMAGE, &f->entry,
				       rsdp),
			 0);
	assert_int_equal(t_get64(bp + 0x070), 0xe0000);
	assert_string_equal((char *)gp(f, CMDLINE, 32), "console=ttyS0 quiet");
	assert_int_equal(f->entry.rbx, 0);
	assert_int_equal(f->entry.rsp, 0);
}

static void test_no_initrd_empty_cmdline(void **state)
{
	struct fixture *f = *state;
	uint8_t *bp;

	f->req.cmdline = "";
	assert_int_equal(boot_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	bp = gp(f, ZERO_PAGE, 4096);
	assert_int_equal(t_get32(bp + 0x218), 0);
	assert_int_equal(t_get32(bp + 0x21c), 0);
	assert_int_equal(*gp(f, CMDLINE, 1), 0);
}

static void test_setup_sects_zero(void **state)
{
	struct fixture *f = *state;
	struct tbz_opts o = tbz_defaults();

	o.setup_sects = 0;
	rebuild(f, &o);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_memory_equal(gp(f, LAYOUT_KERNEL_LOAD, o.payload_size),
			    f->img.data + 5 * 512, o.payload_size);

	o.setup_sects = 1;
	rebuild(f, &o);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_memory_equal(gp(f, LAYOUT_KERNEL_LOAD, o.payload_size),
			    f->img.data + 2 * 512, o.payload_size);
}

/* The header is as long as its jump says, and never beyond its room. */
static void test_header_length(void **state)
{
	struct fixture *f = *state;
	uint8_t *bp;

	f->img.data[0x201] = 0x44; /* header ends at 0x246 */
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	bp = gp(f, ZERO_PAGE, 4096);
	assert_int_equal(t_get16(bp + 0x236), 3);
	assert_int_equal(t_get32(bp + 0x260), 0);

	f->img.data[0x201] = 0xff;
	memset(f->img.data + 0x268, 0xab, 0x400 - 0x268);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_int_equal(bp[0x28f], 0xab);
	assert_int_equal(bp[0x290], 0);
	assert_int_equal(bp[0x2c0], 0);
}

static void test_old_protocol(void **state)
{
	struct fixture *f = *state;

	t_put16(f->img.data + 0x206, 0x020a);
	expect_fail(f, -ENOEXEC, "boot protocol 2.10 is too old");
	expect_fail(f, -ENOEXEC, "2.12");
	t_put16(f->img.data + 0x206, 0x0202);
	expect_fail(f, -ENOEXEC, "2.02");
	t_put16(f->img.data + 0x206, 0x020b);
	expect_fail(f, -ENOEXEC, "2.11");
	assert_int_equal(boot_load(&f->mem, &f->req, &f->entry, &f->err),
			 -ENOEXEC);
}

static void test_not_64bit(void **state)
{
	struct fixture *f = *state;

	t_put16(f->img.data + 0x236, 0x0002);
	expect_fail(f, -ENOEXEC, "XLF_KERNEL_64");
}

static void test_zimage(void **state)
{
	struct fixture *f = *state;

	f->img.data[0x211] = 0;
	expect_fail(f, -ENOEXEC, "zImage");
}

static void test_not_bzimage(void **state)
{
	struct fixture *f = *state;

	f->img.data[0x202] = 'X';
	expect_fail(f, -ENOEXEC, "not a bzImage");
	f->img.data[0x202] = 'H';
	f->req.kernel.size = 0x24f;
	expect_fail(f, -ENOEXEC, "not a bzImage");
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;

	/* The setup code and nothing after it. */
	f->req.kernel.size = 5 * 512;
	expect_fail(f, -ENOEXEC, "truncated");
	assert_string_equal(
		f->err.text,
		"bzImage setup code (4 sectors) ends at byte 2560 and the file has 2560 bytes, so no kernel follows it: the file is truncated");
	/* The header's last field cut off. */
	f->req.kernel.size = 0x260;
	expect_fail(f, -ENOEXEC, "truncated");
	assert_string_equal(
		f->err.text,
		"bzImage is truncated: 608 bytes, less than its 612-byte setup header");
	f->req.kernel.size = f->img.size;
	f->img.data[0x1f1] = 0xff;
	expect_fail(f, -ENOEXEC, "255 sectors");
}

static void test_too_big_for_ram(void **state)
{
	struct fixture *f = *state;

	t_put32(f->img.data + 0x260, 0xffffffff);
	expect_fail(f, -ENOMEM, "--mem to at least 4097 MiB");
	t_put32(f->img.data + 0x260, (63 << 20) + 1);
	expect_fail(f, -ENOMEM, "--mem to at least 65 MiB");
	t_put32(f->img.data + 0x260, 63 << 20);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
}

/* A relocatable kernel decompresses at its preferred address. */
static void test_pref_address(void **state)
{
	struct fixture *f = *state;

	add_initrds(f);
	t_put64(f->img.data + 0x258, 0x1000000);
	t_put32(f->img.data + 0x260, 0x2f00000);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_true(t_get32(gp(f, ZERO_PAGE + 0x218, 4)) >= 0x3f00000);
	memset(gp(f, 0, RAM), 0xcc, RAM);

	t_put32(f->img.data + 0x260, 0x3000001);
	expect_fail(f, -ENOMEM, "preferred address 0x1000000");
	expect_fail(f, -ENOMEM, "--mem to at least 65 MiB");

	/* The initrd stays out of the area the kernel decompresses into. */
	t_put32(f->img.data + 0x260, 0x3000000 - 0x1000);
	expect_fail(f, -ENOSPC, "kernel at 0x3fff000");

	/* Absurd preferred addresses are ignored. */
	t_put64(f->img.data + 0x258, 0x100000000ULL);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
}

static void test_cmdline_limits(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(LAYOUT_CMDLINE_MAX + 1);

	memset(big, 'a', LAYOUT_CMDLINE_MAX);
	big[2048] = '\0';
	f->req.cmdline = big;
	expect_fail(f, -E2BIG,
		    "2048 bytes but this kernel accepts at most 2047");

	big[2048] = 'a';
	big[LAYOUT_CMDLINE_MAX] = '\0';
	t_put32(f->img.data + 0x238, 0xffffffff);
	expect_fail(f, -E2BIG, "at most 65535");

	big[LAYOUT_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_int_equal(*gp(f, CMDLINE + LAYOUT_CMDLINE_MAX - 1, 1), 0);
	free(big);
}

static void test_initrd_too_big(void **state)
{
	struct fixture *f = *state;
	static uint8_t huge[60 << 20];

	f->req.initrd[0] = (struct boot_file){ "huge", huge, sizeof(huge) };
	f->req.nr_initrd = 1;
	expect_fail(f, -ENOSPC, "--mem to at least");

	f->req.initrd[0].size = (RAM - 0x500000) & ~0xfffULL;
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_int_equal(t_get32(gp(f, ZERO_PAGE + 0x218, 4)), 0x500000);
}

static void test_initrd_addr_max(void **state)
{
	struct fixture *f = *state;
	uint8_t *bp;

	add_initrds(f);
	t_put32(f->img.data + 0x22c, 0x1ffffff);
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	bp = gp(f, ZERO_PAGE, 4096);
	assert_int_equal(t_get32(bp + 0x218), (0x2000000 - 8000) & ~0xfff);
	assert_memory_equal(gp(f, t_get32(bp + 0x218), 5000), f->initrd0, 5000);

	memset(gp(f, 0, 0x200000), 0xcc, 0x200000);
	memset(gp(f, CMDLINE, 1), 0xcc, 1);
	t_put32(f->img.data + 0x22c, 0x501000);
	expect_fail(f, -ENOSPC, "initrd_addr_max");
	t_put32(f->img.data + 0x22c, 0);
	expect_fail(f, -ENOSPC, "initrd_addr_max");
}

static void test_bad_request(void **state)
{
	struct fixture *f = *state;

	f->req.nr_initrd = BOOT_MAX_INITRD + 1;
	expect_fail(f, -EINVAL, "at most 16");
	f->req.nr_initrd = -1;
	expect_fail(f, -EINVAL, "initrd");
	f->req.nr_initrd = 1;
	f->req.initrd[0] = (struct boot_file){ "x", NULL, 10 };
	expect_fail(f, -EINVAL, "no data");
}

static void test_small_ram(void **state)
{
	struct fixture *f = *state;

	guest_memory_free(&f->mem);
	assert_int_equal(guest_memory_alloc(&f->mem, 0x80000), 0);
	memset(f->mem.base, 0xcc, 0x80000);
	f->err.text[0] = '\0';
	assert_int_equal(bzimage_load(&f->mem, &f->req, &f->entry, &f->err),
			 -ENOMEM);
	assert_non_null(strstr(f->err.text, "--mem to at least 5 MiB"));
}

/* Every prefix and many corruptions: no crash, errors always explained. */
static void test_robustness(void **state)
{
	struct fixture *f = *state;
	uint32_t rng = 12345;
	size_t len, i;
	int ret;

	add_initrds(f);
	for (len = 0; len <= f->img.size; len += 7) {
		f->req.kernel.size = len;
		f->err.text[0] = '\0';
		ret = bzimage_load(&f->mem, &f->req, &f->entry, &f->err);
		if (ret)
			assert_true(f->err.text[0] != '\0');
	}
	f->req.kernel.size = f->img.size;
	for (i = 0; i < 20000; i++) {
		uint8_t saved[0x80];
		size_t off;

		memcpy(saved, f->img.data + 0x1f0, sizeof(saved));
		rng = rng * 1103515245 + 12345;
		off = 0x1f0 + (rng >> 8) % sizeof(saved);
		rng = rng * 1103515245 + 12345;
		f->img.data[off] = (uint8_t)(rng >> 16);
		f->err.text[0] = '\0';
		ret = bzimage_load(&f->mem, &f->req, &f->entry, &f->err);
		if (ret)
			assert_true(f->err.text[0] != '\0');
		else
			assert_int_equal(f->entry.rip, 0x100200);
		memcpy(f->img.data + 0x1f0, saved, sizeof(saved));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_initrd_empty_cmdline,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_sects_zero, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_header_length, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_old_protocol, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_64bit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zimage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_bzimage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_big_for_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pref_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_initrd_too_big, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_initrd_addr_max, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_small_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_robustness, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
