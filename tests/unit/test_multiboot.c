// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "images.h"

#define RAM (64ULL << 20)

struct fixture {
	struct guest_memory mem;
	struct telf_opts o;
	struct telf_layout l;
	struct tmb_aout_opts a;
	struct timg img;
	struct boot_request req;
	struct boot_entry entry;
	struct errmsg err;
	uint8_t mod0[5000];
	uint8_t mod1[3000];
};

static void set_kernel(struct fixture *f, struct timg img)
{
	timg_free(&f->img);
	f->img = img;
	f->req.kernel.data = f->img.data;
	f->req.kernel.size = f->img.size;
}

static void rebuild_elf(struct fixture *f)
{
	set_kernel(f, telf_build(&f->o, &f->l));
}

static void rebuild_aout(struct fixture *f)
{
	set_kernel(f, tmb_aout_build(&f->a));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(guest_memory_alloc(&f->mem, RAM), 0);
	memset(f->mem.base, 0xcc, RAM);
	f->o = tmb_elf_defaults();
	f->a = tmb_aout_defaults();
	rebuild_elf(f);
	f->req.kernel.name = "kernel.elf";
	f->req.cmdline = "hello world";
	timg_fill(f->mod0, sizeof(f->mod0), 5);
	timg_fill(f->mod1, sizeof(f->mod1), 6);
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

static void add_modules(struct fixture *f)
{
	f->req.initrd[0] =
		(struct boot_file){ "mod0.bin", f->mod0, sizeof(f->mod0) };
	f->req.initrd[1] =
		(struct boot_file){ "dir/mod1.bin", f->mod1, sizeof(f->mod1) };
	f->req.nr_initrd = 2;
}

static void expect_fail(struct fixture *f, int ret, const char *needle)
{
	memset(f->err.text, 0, sizeof(f->err.text));
	assert_int_equal(multiboot_load(&f->mem, &f->req, &f->entry, &f->err),
			 ret);
	if (!strstr(f->err.text, needle))
		fail_msg("message '%s' lacks '%s'", f->err.text, needle);
	assert_null(strchr(f->err.text, '\n'));
	assert_int_equal(*gp(f, 0x100000, 1), 0xcc);
	assert_int_equal(*gp(f, 0x200000, 1), 0xcc);
	assert_int_equal(*gp(f, LAYOUT_BOOT_INFO, 1), 0xcc);
	assert_int_equal(*gp(f, LAYOUT_CMDLINE, 1), 0xcc);
}

static void load_ok(struct fixture *f)
{
	f->err.text[0] = '\0';
	if (multiboot_load(&f->mem, &f->req, &f->entry, &f->err))
		fail_msg("load failed: %s", f->err.text);
}

static void check_in_info(uint64_t addr, uint64_t len)
{
	assert_true(addr >= LAYOUT_BOOT_INFO);
	assert_true(addr + len <= LAYOUT_BOOT_INFO_END);
}

static void check_elf_segments(struct fixture *f)
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

static void test_elf_load(void **state)
{
	struct fixture *f = *state;
	struct e820_entry map[E820_MAX_ENTRIES];
	uint64_t m0 = (RAM - 5000) & ~0xfffULL;
	uint64_t m1 = (m0 - 3000) & ~0xfffULL;
	uint8_t *mbi, *mods, *mm;
	int n, i;

	add_modules(f);
	assert_int_equal(boot_detect(f->img.data, f->img.size),
			 BOOT_FORMAT_MULTIBOOT);
	load_ok(f);
	check_elf_segments(f);

	mbi = gp(f, LAYOUT_BOOT_INFO, 116);
	assert_int_equal(t_get32(mbi), 0x24d);
	assert_int_equal(t_get32(mbi + 4), 639);
	assert_int_equal(t_get32(mbi + 8), 63 * 1024);
	assert_int_equal(t_get32(mbi + 16), LAYOUT_CMDLINE);
	assert_string_equal((char *)gp(f, LAYOUT_CMDLINE, 64),
			    "kernel.elf hello world");

	assert_int_equal(t_get32(mbi + 20), 2);
	check_in_info(t_get32(mbi + 24), 32);
	mods = gp(f, t_get32(mbi + 24), 32);
	assert_int_equal(t_get32(mods), m0);
	assert_int_equal(t_get32(mods + 4), m0 + 5000);
	assert_int_equal(t_get32(mods + 16), m1);
	assert_int_equal(t_get32(mods + 20), m1 + 3000);
	/* Top-down, page-aligned, not overlapping. */
	assert_true(m1 + 3000 <= m0);
	assert_int_equal(m0 & 0xfff, 0);
	assert_int_equal(m1 & 0xfff, 0);
	assert_memory_equal(gp(f, m0, 5000), f->mod0, 5000);
	assert_memory_equal(gp(f, m1, 3000), f->mod1, 3000);
	check_in_info(t_get32(mods + 8), 9);
	check_in_info(t_get32(mods + 24), 13);
	assert_string_equal((char *)gp(f, t_get32(mods + 8), 9), "mod0.bin");
	assert_string_equal((char *)gp(f, t_get32(mods + 24), 13),
			    "dir/mod1.bin");

	n = e820_build(&f->mem, map);
	assert_int_equal(t_get32(mbi + 44), 24 * n);
	check_in_info(t_get32(mbi + 48), 24 * n);
	mm = gp(f, t_get32(mbi + 48), 24 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(t_get32(mm + 24 * i), 20);
		assert_int_equal(t_get64(mm + 24 * i + 4), map[i].addr);
		assert_int_equal(t_get64(mm + 24 * i + 12), map[i].size);
		assert_int_equal(t_get32(mm + 24 * i + 20), map[i].type);
	}

	check_in_info(t_get32(mbi + 64), 9);
	assert_string_equal((char *)gp(f, t_get32(mbi + 64), 9), "kvmscope");
	/* Fields we do not provide stay zero. */
	assert_int_equal(t_get32(mbi + 12), 0);
	assert_int_equal(t_get32(mbi + 88), 0);

	assert_int_equal(f->entry.mode, BOOT_CPU_PROTECTED32);
	assert_int_equal(f->entry.rip, 0x100010);
	assert_int_equal(f->entry.rax, 0x2badb002);
	assert_int_equal(f->entry.rbx, LAYOUT_BOOT_INFO);
	assert_int_equal(f->entry.rsi, 0);
}

static void test_elf_variants(void **state)
{
	struct fixture *f = *state;

	/* Empty command line: just the kernel's name. */
	f->req.cmdline = "";
	f->o.mb_flags = 0x7; /* video mode: accepted, no framebuffer */
	rebuild_elf(f);
	assert_int_equal(boot_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_string_equal((char *)gp(f, LAYOUT_CMDLINE, 16), "kernel.elf");
	assert_int_equal(t_get32(gp(f, LAYOUT_BOOT_INFO + 20, 4)), 0);

	/* ELF64, physical entry. */
	f->o.is64 = 1;
	f->o.machine = 62;
	f->o.entry = 0x103100;
	f->o.mb_flags = 0x00020002; /* optional bit 17: ignored */
	f->o.seg[0].vaddr = f->o.seg[0].paddr;
	f->o.seg[1].vaddr = f->o.seg[1].paddr;
	rebuild_elf(f);
	load_ok(f);
	check_elf_segments(f);
	assert_int_equal(f->entry.rip, 0x103100);

	/* Low memory above the boot data is allowed. */
	f->o.seg[0].paddr = f->o.seg[0].vaddr = 0x30000;
	f->o.entry = 0x30000;
	rebuild_elf(f);
	load_ok(f);
	assert_int_equal(f->entry.rip, 0x30000);
}

static void test_elf_bad(void **state)
{
	struct fixture *f = *state;

	f->o.entry = 0xc0200000;
	rebuild_elf(f);
	expect_fail(f, -ENOEXEC, "entry point 0xc0200000");

	f->o.entry = 0xc0100010;
	f->o.seg[0].paddr = 0x20000;
	rebuild_elf(f);
	expect_fail(f, -ERANGE, "boot data");

	f->o.seg[0].paddr = 0x9f000;
	rebuild_elf(f);
	expect_fail(f, -ERANGE, "EBDA");

	f->o.seg[0].paddr = 0x4000000;
	rebuild_elf(f);
	expect_fail(f, -ERANGE, "--mem");

	f->o.is64 = 1;
	f->o.machine = 62;
	f->o.seg[0].paddr = 0x100000000ULL;
	rebuild_elf(f);
	expect_fail(f, -ERANGE, "4 GiB");

	f->o.seg[0].paddr = 0x100000;
	f->o.seg[1].filesz = 0x4000;
	rebuild_elf(f);
	expect_fail(f, -ENOEXEC, "more file bytes");

	f->o.seg[1].filesz = 0x800;
	f->o.machine = 183;
	rebuild_elf(f);
	expect_fail(f, -ENOEXEC, "machine 183");

	f->o.machine = 62;
	rebuild_elf(f);
	t_put64(telf_phdr(&f->img, &f->l, 1) + 8, UINT64_MAX);
	expect_fail(f, -ENOEXEC, "past the end");

	/* Each fits, together they cannot: they overlap. */
	f->o.seg[0].memsz = 0x2100000;
	f->o.seg[1].paddr = 0x200000;
	f->o.seg[1].vaddr = 0xc0200000;
	f->o.seg[1].memsz = 0x2100000;
	rebuild_elf(f);
	expect_fail(f, -ERANGE, "overlap");
}

static void test_flags(void **state)
{
	struct fixture *f = *state;

	f->o.mb_flags = 0x0000000b;
	rebuild_elf(f);
	expect_fail(f, -ENOEXEC, "feature bit 3");
	f->o.mb_flags = 0x00018003;
	rebuild_elf(f);
	expect_fail(f, -ENOEXEC, "feature bit 15");

	/* A wrong checksum: not a multiboot kernel at all. */
	f->o.mb_flags = 0x3;
	rebuild_elf(f);
	f->img.data[f->l.mb_off + 8] ^= 1;
	assert_int_equal(boot_detect(f->img.data, f->img.size),
			 BOOT_FORMAT_UNKNOWN);
	expect_fail(f, -ENOEXEC, "no multiboot v1 header");

	/* No address fields and not ELF. */
	f->a.flags = 0x3;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "not ELF");
}

static void test_aout_load(void **state)
{
	struct fixture *f = *state;
	uint8_t *p;
	int i;

	rebuild_aout(f);
	add_modules(f);
	load_ok(f);
	assert_memory_equal(gp(f, 0x200000, 0x3000), f->img.data, 0x3000);
	p = gp(f, 0x203000, 0x2000);
	for (i = 0; i < 0x2000; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(*gp(f, 0x205000, 1), 0xcc);
	assert_int_equal(f->entry.rip, 0x200100);
	assert_int_equal(f->entry.rax, 0x2badb002);
	assert_int_equal(t_get32(gp(f, LAYOUT_BOOT_INFO + 20, 4)), 2);

	/* load_end 0: whole file; bss_end 0: no bss. */
	memset(gp(f, 0x200000, 0x10000), 0xcc, 0x10000);
	f->a.load_end_addr = 0;
	f->a.bss_end_addr = 0;
	f->a.file_size = 0x2345;
	rebuild_aout(f);
	load_ok(f);
	assert_memory_equal(gp(f, 0x200000, 0x2345), f->img.data, 0x2345);
	assert_int_equal(*gp(f, 0x202345, 1), 0xcc);

	/* Loading starts inside the file. */
	f->a = tmb_aout_defaults();
	f->a.file_size = 0x5000;
	f->a.hoff = 0x1040;
	rebuild_aout(f);
	load_ok(f);
	assert_memory_equal(gp(f, 0x200000, 0x3000), f->img.data + 0x1000,
			    0x3000);
}

static void test_aout_bad(void **state)
{
	struct fixture *f = *state;
	struct tmb_aout_opts d = tmb_aout_defaults();

	f->a.header_addr = 0x1fff00;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "below load_addr");

	f->a = d;
	f->a.header_addr = 0x200100;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "before the start of the file");

	f->a = d;
	f->a.load_end_addr = 0x203001;
	f->a.bss_end_addr = 0;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "1 bytes past the end");

	f->a.load_end_addr = 0xffffffff;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "past the end");

	f->a.load_end_addr = 0x100000;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "load_end_addr 0x100000 is below");

	f->a = d;
	f->a.bss_end_addr = 0x202fff;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "bss_end_addr");

	f->a = d;
	f->a.entry_addr = 0x205000;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "entry_addr 0x205000");

	f->a = d;
	f->a.load_addr = 0x10000;
	f->a.header_addr = 0x10040;
	f->a.load_end_addr = 0x13000;
	f->a.bss_end_addr = 0;
	f->a.entry_addr = 0x10000;
	rebuild_aout(f);
	expect_fail(f, -ERANGE, "boot data");

	f->a.load_addr = 0xfffff000;
	f->a.header_addr = 0xfffff040;
	f->a.load_end_addr = 0;
	f->a.entry_addr = 0xfffff000;
	rebuild_aout(f);
	expect_fail(f, -ERANGE, "4 GiB");

	f->a.load_addr = 0xbffff000;
	f->a.header_addr = 0xbffff040;
	f->a.entry_addr = 0xbffff000;
	rebuild_aout(f);
	expect_fail(f, -ERANGE, "3 GiB");

	f->a = d;
	f->a.load_end_addr = 0x200000;
	f->a.bss_end_addr = 0;
	rebuild_aout(f);
	expect_fail(f, -ENOEXEC, "loads nothing");

	/* Address fields cut off by the end of the file. */
	f->a = d;
	f->a.file_size = 0x60;
	f->a.load_end_addr = 0;
	rebuild_aout(f);
	f->req.kernel.size = 0x58;
	expect_fail(f, -ENOEXEC, "truncated");
	assert_string_equal(
		f->err.text,
		"multiboot header at offset 0x40 is truncated: flag 16 needs the address fields, 32 bytes, but the file ends at 88");
}

static void test_module_limits(void **state)
{
	struct fixture *f = *state;
	static uint8_t huge[63 << 20];
	static char names[BOOT_MAX_INITRD][8000];
	char *big;
	int i;

	f->req.initrd[0] = (struct boot_file){ "huge", huge, sizeof(huge) };
	f->req.initrd[1] = (struct boot_file){ "small", huge, 5000 };
	f->req.nr_initrd = 2;
	expect_fail(f, -ENOSPC, "module 0 (huge");
	/* Module 0 just above the image end (0x106000), then no room. */
	f->req.initrd[0].size = RAM - 0x108000;
	f->req.initrd[1].size = 0x2001;
	expect_fail(f, -ENOSPC, "module 1 (small");
	f->req.initrd[1].size = 0x2000;
	load_ok(f);
	assert_int_equal(t_get32(gp(f, LAYOUT_BOOT_INFO + 0x140 + 16, 4)),
			 0x106000);
	load_ok(f);
	assert_int_equal(t_get32(gp(f, LAYOUT_BOOT_INFO + 24, 4)),
			 LAYOUT_BOOT_INFO + 0x140);
	memset(gp(f, 0, RAM), 0xcc, RAM);

	for (i = 0; i < BOOT_MAX_INITRD; i++) {
		memset(names[i], 'n', sizeof(names[i]) - 1);
		f->req.initrd[i] = (struct boot_file){ names[i], f->mod0, 10 };
	}
	f->req.nr_initrd = BOOT_MAX_INITRD;
	expect_fail(f, -E2BIG, "shorter paths");
	/* Just fits: 16 names of 5000 bytes. */
	for (i = 0; i < BOOT_MAX_INITRD; i++)
		names[i][5000] = '\0';
	load_ok(f);
	memset(gp(f, 0, RAM), 0xcc, RAM);
	f->req.nr_initrd = 0;

	big = malloc(LAYOUT_CMDLINE_MAX);
	memset(big, 'c', LAYOUT_CMDLINE_MAX - 1);
	big[LAYOUT_CMDLINE_MAX - 1 - 11] = '\0';
	f->req.cmdline = big;
	load_ok(f);
	memset(gp(f, 0, RAM), 0xcc, RAM);
	big[LAYOUT_CMDLINE_MAX - 1 - 11] = 'c';
	big[LAYOUT_CMDLINE_MAX - 1 - 10] = '\0';
	expect_fail(f, -E2BIG, "65536 bytes");
	free(big);
}

static void test_small_ram(void **state)
{
	struct fixture *f = *state;

	guest_memory_free(&f->mem);
	assert_int_equal(guest_memory_alloc(&f->mem, 16 << 20), 0);
	load_ok(f);
	assert_int_equal(t_get32(gp(f, LAYOUT_BOOT_INFO + 8, 4)), 15 * 1024);
	add_modules(f);
	load_ok(f);
	assert_int_equal(
		t_get32(gp(f, t_get32(gp(f, LAYOUT_BOOT_INFO + 24, 4)), 4)),
		(16 << 20) - 0x2000);
}

static void test_robustness(void **state)
{
	struct fixture *f = *state;
	uint32_t rng = 4242;
	size_t len, i, hdr;
	uint8_t *saved;
	int ret, pass;

	add_modules(f);
	for (pass = 0; pass < 2; pass++) {
		if (pass)
			rebuild_aout(f);
		hdr = pass ? 0x80 : f->l.seg_off[0];
		for (len = 0; len <= f->img.size; len += 5) {
			f->req.kernel.size = len;
			f->err.text[0] = '\0';
			ret = multiboot_load(&f->mem, &f->req, &f->entry,
					     &f->err);
			if (ret)
				assert_true(f->err.text[0] != '\0');
		}
		f->req.kernel.size = f->img.size;
		saved = malloc(hdr);
		memcpy(saved, f->img.data, hdr);
		for (i = 0; i < 20000; i++) {
			int k;

			for (k = 0; k < 2; k++) {
				rng = rng * 1103515245 + 12345;
				f->img.data[(rng >> 8) % hdr] =
					(uint8_t)(rng >> 20);
			}
			f->err.text[0] = '\0';
			ret = multiboot_load(&f->mem, &f->req, &f->entry,
					     &f->err);
			if (ret)
				assert_true(f->err.text[0] != '\0');
			else
				assert_int_equal(f->entry.rax, 0x2badb002);
			memcpy(f->img.data, saved, hdr);
		}
		free(saved);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_elf_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_variants, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_elf_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aout_load, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_aout_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_small_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_robustness, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
