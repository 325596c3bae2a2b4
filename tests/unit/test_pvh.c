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
/* The boot information block: first free page from 0x9000; start info,
 * memory map, module list, then the command line. */
#define SI 0x9000ULL
#define CMDLINE (SI + 0x120)

struct fixture {
	struct guest_memory mem;
	struct telf_opts o;
	struct telf_layout l;
	struct timg img;
	struct boot_request req;
	struct boot_entry entry;
	struct errmsg err;
	uint8_t initrd0[5000];
	uint8_t initrd1[3000];
};

static void rebuild(struct fixture *f)
{
	timg_free(&f->img);
	f->img = telf_build(&f->o, &f->l);
	f->req.kernel.data = f->img.data;
	f->req.kernel.size = f->img.size;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(guest_memory_alloc(&f->mem, RAM), 0);
	memset(f->mem.base, 0xcc, RAM);
	f->o = tpvh_defaults();
	rebuild(f);
	f->req.kernel.name = "vmlinux";
	f->req.cmdline = "console=ttyS0 root=/dev/vda";
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

static uint8_t *gp(struct fixture *f, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_memory_ptr(&f->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static void add_initrds(struct fixture *f)
{
	f->req.initrd[0] =
		(struct boot_file){ "a.cpio", f->initrd0, sizeof(f->initrd0) };
	f->req.initrd[1] =
		(struct boot_file){ "b.cpio", f->initrd1, sizeof(f->initrd1) };
	f->req.nr_initrd = 2;
}

static void expect_fail(struct fixture *f, int ret, const char *needle)
{
	memset(f->err.text, 0, sizeof(f->err.text));
	assert_int_equal(pvh_load(&f->mem, &f->req, &f->entry, &f->err), ret);
	if (!strstr(f->err.text, needle))
		fail_msg("message '%s' lacks '%s'", f->err.text, needle);
	assert_null(strchr(f->err.text, '\n'));
	assert_int_equal(*gp(f, 0x1000000, 1), 0xcc);
	assert_int_equal(*gp(f, SI, 1), 0xcc);
	assert_int_equal(*gp(f, CMDLINE, 1), 0xcc);
}

static void check_segments(struct fixture *f)
{
	int i;

	for (i = 0; i < f->o.nseg; i++) {
		const struct tseg *s = &f->o.seg[i];
		uint8_t *p = gp(f, s->paddr, s->memsz);
		uint64_t j;

		assert_memory_equal(p, f->img.data + f->l.seg_off[i],
				    s->filesz);
		for (j = s->filesz; j < s->memsz; j++)
			assert_int_equal(p[j], 0);
	}
}

static void test_load(void **state)
{
	struct fixture *f = *state;
	struct e820_entry map[E820_MAX_ENTRIES];
	uint64_t initrd = (RAM - 8000) & ~0xfffULL;
	struct acpi_params acpi = { .nr_cpus = 1 };
	uint8_t *si, *mm, *mod;
	uint64_t rsdp;
	int n, i;

	add_initrds(f);
	assert_int_equal(pvh_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	check_segments(f);

	si = gp(f, SI, 56);
	assert_int_equal(t_get32(si), 0x336ec578);
	assert_int_equal(t_get32(si + 4), 1);
	assert_int_equal(t_get32(si + 8), 0);
	assert_int_equal(t_get32(si + 12), 1);
	assert_int_equal(t_get64(si + 24), CMDLINE);
	assert_int_equal(t_get64(si + 32), 0);
	assert_int_equal(t_get32(si + 52), 0);
	assert_string_equal((char *)gp(f, CMDLINE, 64),
			    "console=ttyS0 root=/dev/vda");

	n = e820_build(&f->mem, map);
	assert_int_equal(t_get32(si + 48), n);
	mm = gp(f, t_get64(si + 40), 24 * n);
	assert_int_equal(t_get64(si + 40), SI + 0x40);
	for (i = 0; i < n; i++) {
		assert_int_equal(t_get64(mm + 24 * i), map[i].addr);
		assert_int_equal(t_get64(mm + 24 * i + 8), map[i].size);
		assert_int_equal(t_get32(mm + 24 * i + 16), map[i].type);
		assert_int_equal(t_get32(mm + 24 * i + 20), 0);
	}

	assert_int_equal(t_get64(si + 16), SI + 0x100);
	mod = gp(f, t_get64(si + 16), 32);
	assert_int_equal(t_get64(mod), initrd);
	assert_int_equal(t_get64(mod + 8), 8000);
	assert_int_equal(t_get64(mod + 16), 0);
	assert_int_equal(t_get64(mod + 24), 0);
	assert_memory_equal(gp(f, initrd, 5000), f->initrd0, 5000);
	assert_memory_equal(gp(f, initrd + 5000, 3000), f->initrd1, 3000);

	assert_int_equal(f->entry.mode, BOOT_CPU_PROTECTED32);
	assert_int_equal(f->entry.rip, 0x1000100);
	assert_int_equal(f->entry.rbx, SI);
	assert_int_equal(f->entry.boot_info, SI);

	/* The ACPI tables go in next; the RSDP lands in this start info. */
	assert_int_equal(acpi_build(&f->mem, &acpi, &rsdp, &f->err), 0);
	assert_int_equal(rsdp, 0xe0000);
	assert_int_equal(
		boot_set_rsdp(&f->mem, BOOT_FORMAT_PVH, &f->entry, rsdp), 0);
	assert_int_equal(t_get64(si + 32), 0xe0000);
	assert_string_equal((char *)gp(f, CMDLINE, 64),
			    "console=ttyS0 root=/dev/vda");
	check_segments(f);
	assert_int_equal(f->entry.rax, 0);
	assert_int_equal(f->entry.rsi, 0);
}

static void test_elf32_no_initrd(void **state)
{
	struct fixture *f = *state;
	uint8_t *si;

	f->o.is64 = 0;
	f->o.machine = 3;
	f->o.entry = 0;
	f->o.pvh_descsz = 4;
	f->o.pvh_entry = 0x1004010;
	f->o.seg[0].vaddr = f->o.seg[0].paddr;
	f->o.seg[1].vaddr = f->o.seg[1].paddr;
	rebuild(f);
	f->req.cmdline = "";
	assert_int_equal(boot_detect(f->img.data, f->img.size),
			 BOOT_FORMAT_PVH);
	assert_int_equal(boot_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	check_segments(f);
	si = gp(f, SI, 56);
	assert_int_equal(t_get32(si + 12), 0);
	assert_int_equal(t_get64(si + 16), 0);
	assert_int_equal(*gp(f, CMDLINE, 1), 0);
	assert_int_equal(f->entry.rip, 0x1004010);
}

static void test_note_problems(void **state)
{
	struct fixture *f = *state;

	f->o.pvh_note = 0;
	rebuild(f);
	expect_fail(f, -ENOEXEC, "CONFIG_PVH=y");

	f->o.pvh_note = 1;
	f->o.pvh_entry = 0x100001000ULL;
	rebuild(f);
	expect_fail(f, -ENOEXEC, "0x100001000 is not a 32-bit");

	f->o.pvh_entry = 0x1000100;
	f->o.pvh_descsz = 6;
	rebuild(f);
	expect_fail(f, -ENOEXEC, "6-byte");

	f->o.pvh_descsz = 4;
	f->o.pvh_entry = 0x2000000;
	rebuild(f);
	expect_fail(f, -ENOEXEC, "not inside any loaded segment");
	/* Just past the bss of the last segment. */
	f->o.pvh_entry = 0x100a000;
	rebuild(f);
	expect_fail(f, -ENOEXEC, "not inside any loaded segment");
	f->o.pvh_entry = 0x1009fff;
	rebuild(f);
	assert_int_equal(pvh_load(&f->mem, &f->req, &f->entry, &f->err), 0);
}

static void test_segment_placement(void **state)
{
	struct fixture *f = *state;

	/* Conventional memory is the kernel's if it wants it. */
	f->o.seg[0].paddr = 0x80000;
	f->o.pvh_entry = 0x80100;
	rebuild(f);
	assert_int_equal(pvh_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_int_equal(f->entry.boot_info, SI);
	assert_int_equal(f->entry.rip, 0x80100);
	memset(gp(f, 0, RAM), 0xcc, RAM);
	f->o.pvh_entry = 0x1000100;

	f->o.seg[0].paddr = 0xff000;
	rebuild(f);
	expect_fail(
		f, -ERANGE,
		"ELF segment 0 at 0xff000-0x101fff overlaps the EBDA, VGA hole and BIOS area (ACPI tables and RSDP) at 0x9fc00-0xfffff: link the kernel to load below 0x9fc00 or at 0x100000 or higher");

	f->o.seg[0].paddr = 0;
	rebuild(f);
	expect_fail(f, -ERANGE, "overlaps page 0");

	f->o.seg[0].paddr = 0x4000000 - 0x1000;
	rebuild(f);
	expect_fail(f, -ERANGE, "--mem to at least 65 MiB");

	f->o.seg[0].paddr = 0xbffff000;
	rebuild(f);
	expect_fail(f, -ERANGE, "past 3 GiB");

	f->o.seg[0].paddr = 0x100000000ULL;
	rebuild(f);
	expect_fail(f, -ERANGE, "below 4 GiB");

	f->o.seg[0].paddr = UINT64_MAX - 0x1000;
	rebuild(f);
	expect_fail(f, -ERANGE, "below 4 GiB");

	f->o.seg[0].paddr = 0x1000000;
	f->o.seg[1].memsz = 0xffffffff;
	rebuild(f);
	expect_fail(f, -ERANGE, "ELF segment 1");

	f->o.seg[1].memsz = UINT64_MAX;
	rebuild(f);
	expect_fail(f, -ERANGE, "below 4 GiB");
}

/* Each segment fits, but together they cannot: they overlap. */
static void test_overlapping_segments(void **state)
{
	struct fixture *f = *state;

	f->o.seg[0].memsz = 0x3000000;
	f->o.seg[1].paddr = 0x1000000;
	f->o.seg[1].memsz = 0x3000000;
	rebuild(f);
	expect_fail(f, -ERANGE, "overlap");
}

static void test_segment_file_range(void **state)
{
	struct fixture *f = *state;
	uint8_t *ph1 = telf_phdr(&f->img, &f->l, 1);

	t_put64(ph1 + 32, 0x7000); /* filesz > memsz */
	expect_fail(f, -ENOEXEC, "more file bytes");

	t_put64(ph1 + 32, 0x1800);
	t_put64(ph1 + 8, f->img.size - 0x100);
	expect_fail(f, -ENOEXEC, "past the end of the file");

	t_put64(ph1 + 8, UINT64_MAX - 0x10);
	expect_fail(f, -ENOEXEC, "past the end of the file");

	t_put64(ph1 + 8, f->l.seg_off[1]);
	t_put64(ph1 + 32, 0xffffffffffffULL);
	t_put64(ph1 + 40, 0xffffffffffffULL);
	expect_fail(f, -ENOEXEC, "past the end of the file");
}

static void test_elf_problems(void **state)
{
	struct fixture *f = *state;

	f->o.machine = 40;
	rebuild(f);
	expect_fail(f, -ENOEXEC, "machine 40");

	f->o.machine = 62;
	f->o.nseg = 0;
	f->o.pvh_entry = 0x1000000;
	rebuild(f);
	expect_fail(f, -ENOEXEC, "no loadable");

	f->req.kernel.size = 50;
	expect_fail(f, -ENOEXEC, "truncated");
	assert_string_equal(
		f->err.text,
		"ELF header is truncated: the file has 50 bytes, the header needs 64");
}

static void test_initrd_and_cmdline_limits(void **state)
{
	struct fixture *f = *state;
	static uint8_t huge[48 << 20];
	char *big = malloc(LAYOUT_CMDLINE_MAX + 1);

	f->req.initrd[0] = (struct boot_file){ "huge", huge, sizeof(huge) };
	f->req.nr_initrd = 1;
	expect_fail(f, -ENOSPC, "--mem to at least");
	f->req.initrd[0].size = RAM - 0x100a000;
	assert_int_equal(pvh_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_int_equal(t_get64(gp(f, t_get64(gp(f, SI + 16, 8)), 8)),
			 0x100a000);

	memset(gp(f, 0, RAM), 0xcc, RAM);
	f->req.nr_initrd = 0;
	memset(big, 'x', LAYOUT_CMDLINE_MAX);
	big[LAYOUT_CMDLINE_MAX] = '\0';
	f->req.cmdline = big;
	expect_fail(f, -E2BIG, "65536 bytes");
	free(big);
}

static void test_robustness(void **state)
{
	struct fixture *f = *state;
	uint32_t rng = 777;
	size_t len, i, hdr = f->l.seg_off[0];
	uint8_t *saved = malloc(hdr);
	int ret;

	add_initrds(f);
	for (len = 0; len <= f->img.size; len += 3) {
		f->req.kernel.size = len;
		f->err.text[0] = '\0';
		ret = pvh_load(&f->mem, &f->req, &f->entry, &f->err);
		if (ret)
			assert_true(f->err.text[0] != '\0');
	}
	f->req.kernel.size = f->img.size;
	memcpy(saved, f->img.data, hdr);
	for (i = 0; i < 20000; i++) {
		int k;

		for (k = 0; k < 3; k++) {
			rng = rng * 1103515245 + 12345;
			f->img.data[(rng >> 8) % hdr] = (uint8_t)(rng >> 20);
		}
		f->err.text[0] = '\0';
		ret = pvh_load(&f->mem, &f->req, &f->entry, &f->err);
		if (ret)
			assert_true(f->err.text[0] != '\0');
		else
			assert_true(f->entry.rip < 0xc0000000);
		memcpy(f->img.data, saved, hdr);
	}
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf32_no_initrd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_note_problems, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_segment_placement, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_segments,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_file_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_elf_problems, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_initrd_and_cmdline_limits,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_robustness, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
