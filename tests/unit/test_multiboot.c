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
 * A kernel at 1 MiB gets its boot information block where QEMU puts the
 * MBI, 0x9000: MBI, memory map at +0x80, module list at +0x140, loader
 * name at +0x240, module names from +0x250, then the command line.
 */
#define MBI 0x9000ULL
#define MBI_STRINGS (MBI + 0x250)
#define MBI_BLOCK_END (MBI + 0x1000)

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
	assert_int_equal(*gp(f, MBI, 1), 0xcc);
	assert_int_equal(*gp(f, MBI_STRINGS, 1), 0xcc);
}

static void load_ok(struct fixture *f)
{
	f->err.text[0] = '\0';
	if (multiboot_load(&f->mem, &f->req, &f->entry, &f->err))
		fail_msg("load failed: %s", f->err.text);
}

static void check_in_info(uint64_t addr, uint64_t len)
{
	assert_true(addr >= MBI);
	assert_true(addr + len <= MBI_BLOCK_END);
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
	/* The image ends at 0x106000: modules follow it, each on new pages. */
	uint64_t m0 = 0x106000, m1 = 0x108000;
	uint64_t cmd =
		MBI_STRINGS + sizeof("mod0.bin") + sizeof("dir/mod1.bin");
	uint8_t *mbi, *mods, *mm;
	uint64_t gpa;
	int n, i;

	add_modules(f);
	assert_int_equal(boot_detect(f->img.data, f->img.size),
			 BOOT_FORMAT_MULTIBOOT);
	load_ok(f);
	check_elf_segments(f);

	mbi = gp(f, MBI, 116);
	assert_int_equal(t_get32(mbi), 0x24d);
	assert_int_equal(t_get32(mbi + 4), 639);
	assert_int_equal(t_get32(mbi + 8), 63 * 1024);
	assert_int_equal(t_get32(mbi + 16), cmd);
	assert_string_equal((char *)gp(f, cmd, 64), "kernel.elf hello world");

	assert_int_equal(t_get32(mbi + 20), 2);
	check_in_info(t_get32(mbi + 24), 32);
	mods = gp(f, t_get32(mbi + 24), 32);
	assert_int_equal(t_get32(mods), m0);
	assert_int_equal(t_get32(mods + 4), m0 + 5000);
	assert_int_equal(t_get32(mods + 16), m1);
	assert_int_equal(t_get32(mods + 20), m1 + 3000);
	/* In order, page-aligned, not overlapping. */
	assert_true(m0 + 5000 <= m1);
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
	assert_int_equal(f->entry.rbx, MBI);
	assert_int_equal(f->entry.boot_info, MBI);
	assert_int_equal(f->entry.rsi, 0);
	/* Nothing but the block was written below 1 MiB. */
	for (gpa = 0; gpa < 0x100000; gpa++)
		if (gpa < MBI || gpa >= cmd + sizeof("kernel.elf hello world"))
			assert_int_equal(*gp(f, gpa, 1), 0xcc);
}

static void test_elf_variants(void **state)
{
	struct fixture *f = *state;

	/* Empty command line: just the kernel's name. */
	f->req.cmdline = "";
	f->o.mb_flags = 0x7; /* video mode: accepted, no framebuffer */
	rebuild_elf(f);
	assert_int_equal(boot_load(&f->mem, &f->req, &f->entry, &f->err), 0);
	assert_string_equal((char *)gp(f, MBI_STRINGS, 16), "kernel.elf");
	assert_int_equal(t_get32(gp(f, MBI + 20, 4)), 0);

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
	f->o.seg[0].paddr = 0xfff;
	rebuild_elf(f);
	expect_fail(
		f, -ERANGE,
		"ELF segment 0 at 0xfff-0x2ffe overlaps page 0 (real-mode IVT, BIOS data area and boot GDT) at 0x0-0xfff: link the kernel to load at 0x1000 or higher");

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
	/* The modules follow bss_end, each from a new page. */
	assert_int_equal(t_get32(gp(f, MBI + 0x140, 4)), 0x205000);
	assert_memory_equal(gp(f, 0x205000, 5000), f->mod0, 5000);
	assert_int_equal(t_get32(gp(f, MBI + 0x150, 4)), 0x207000);
	assert_int_equal(f->entry.rip, 0x200100);
	assert_int_equal(f->entry.rax, 0x2badb002);
	assert_int_equal(t_get32(gp(f, MBI + 20, 4)), 2);

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
	f->a.load_addr = 0x800;
	f->a.header_addr = 0x840;
	f->a.load_end_addr = 0x3800;
	f->a.bss_end_addr = 0;
	f->a.entry_addr = 0x1000;
	rebuild_aout(f);
	expect_fail(f, -ERANGE,
		    "multiboot image at 0x800-0x37ff overlaps page 0");

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
	expect_fail(
		f, -ENOSPC,
		"multiboot module 0 'huge' (66060288 bytes) does not fit in guest RAM (64 MiB) outside the kernel image at 0x100000-0x105fff and the firmware areas: increase --mem to at least 65 MiB");
	/* Module 0 from the image end (0x106000) to 8 KiB below the top. */
	f->req.initrd[0].size = RAM - 0x108000;
	f->req.initrd[1].size = 0x2001;
	expect_fail(f, -ENOSPC, "module 1 'small'");
	f->req.initrd[1].size = 0x2000;
	load_ok(f);
	assert_int_equal(t_get32(gp(f, MBI + 0x140, 4)), 0x106000);
	assert_int_equal(t_get32(gp(f, MBI + 0x140 + 16, 4)), RAM - 0x2000);
	assert_int_equal(t_get32(gp(f, MBI + 24, 4)), MBI + 0x140);
	memset(gp(f, 0, RAM), 0xcc, RAM);

	for (i = 0; i < BOOT_MAX_INITRD; i++) {
		memset(names[i], 'n', sizeof(names[i]) - 1);
		f->req.initrd[i] = (struct boot_file){ names[i], f->mod0, 10 };
	}
	f->req.nr_initrd = BOOT_MAX_INITRD;
	expect_fail(f, -E2BIG, "shorter paths");
	expect_fail(f, -E2BIG, "more than the 65536 bytes");
	/* Just fits: 16 names of PATH_MAX (4096) bytes with their NULs. */
	for (i = 0; i < BOOT_MAX_INITRD; i++)
		names[i][4095] = '\0';
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
	assert_int_equal(t_get32(gp(f, MBI + 8, 4)), 15 * 1024);
	add_modules(f);
	load_ok(f);
	assert_int_equal(t_get32(gp(f, t_get32(gp(f, MBI + 24, 4)), 4)),
			 0x106000);
}

/* Every byte of [a, a + len) lies in conventional memory off page 0 and
 * off the image [lo, hi). */
static void check_low_off_image(uint64_t a, uint64_t len, uint64_t lo,
				uint64_t hi)
{
	if (a < 0x1000 || a + len > 0x9fc00 || (a < hi && lo < a + len))
		fail_msg("boot data 0x%llx-0x%llx is in page 0, past "
			 "conventional memory or over the image 0x%llx-0x%llx",
			 (unsigned long long)a,
			 (unsigned long long)(a + len - 1),
			 (unsigned long long)lo, (unsigned long long)hi - 1);
}

/*
 * Everything the MBI points to, checked against where it must be: the
 * block at want_mbi (exact), each piece low and off the image, the memory
 * map equal to the e820 map, modules on the pages after the image.
 */
static void check_placed(struct fixture *f, uint64_t lo, uint64_t hi,
			 uint64_t want_mbi, uint64_t want_mod0)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	uint8_t *mbi, *mods, *mm;
	uint64_t cmd, mmap;
	int n, i;

	assert_int_equal(f->entry.rbx, want_mbi);
	assert_int_equal(f->entry.boot_info, want_mbi);
	mbi = gp(f, want_mbi, 116);
	assert_int_equal(t_get32(mbi), 0x24d);
	if (want_mbi < 0x100000)
		check_low_off_image(want_mbi, 116, lo, hi);

	cmd = t_get32(mbi + 16);
	assert_string_equal((char *)gp(f, cmd, 23), "kernel.elf hello world");
	n = e820_build(&f->mem, map);
	mmap = t_get32(mbi + 48);
	assert_int_equal(t_get32(mbi + 44), 24 * n);
	mm = gp(f, mmap, 24 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(t_get64(mm + 24 * i + 4), map[i].addr);
		assert_int_equal(t_get64(mm + 24 * i + 12), map[i].size);
		assert_int_equal(t_get32(mm + 24 * i + 20), map[i].type);
	}
	mods = gp(f, t_get32(mbi + 24), 32);
	assert_string_equal((char *)gp(f, t_get32(mbi + 64), 9), "kvmscope");
	if (want_mbi < 0x100000) {
		check_low_off_image(cmd, 23, lo, hi);
		check_low_off_image(mmap, 24 * n, lo, hi);
		check_low_off_image(t_get32(mbi + 24), 32, lo, hi);
		check_low_off_image(t_get32(mbi + 64), 9, lo, hi);
		check_low_off_image(t_get32(mods + 8), 9, lo, hi);
		check_low_off_image(t_get32(mods + 24), 13, lo, hi);
	}

	assert_int_equal(t_get32(mbi + 20), 2);
	assert_int_equal(t_get32(mods), want_mod0);
	assert_int_equal(t_get32(mods + 4), want_mod0 + 5000);
	assert_int_equal(t_get32(mods + 16), want_mod0 + 0x2000);
	assert_int_equal(t_get32(mods + 20), want_mod0 + 0x2000 + 3000);
	assert_memory_equal(gp(f, want_mod0, 5000), f->mod0, 5000);
	assert_memory_equal(gp(f, want_mod0 + 0x2000, 3000), f->mod1, 3000);
	assert_string_equal((char *)gp(f, t_get32(mods + 8), 9), "mod0.bin");
}

/*
 * The ACPI tables go in after the loader (as cmd_run.c does it) and must
 * neither move nor touch anything the loader wrote.
 */
static void check_acpi_after(struct fixture *f, uint64_t mbi)
{
	struct acpi_params acpi = { .nr_cpus = 2 };
	uint8_t before[0x1000];
	uint64_t rsdp;

	memcpy(before, gp(f, mbi, sizeof(before)), sizeof(before));
	assert_int_equal(acpi_build(&f->mem, &acpi, &rsdp, &f->err), 0);
	assert_int_equal(rsdp, 0xe0000);
	assert_memory_equal(gp(f, rsdp, 8), "RSD PTR ", 8);
	assert_memory_equal(gp(f, mbi, sizeof(before)), before, sizeof(before));
	/* Multiboot has no RSDP field: nothing is written for it. */
	assert_int_equal(boot_set_rsdp(&f->mem, BOOT_FORMAT_MULTIBOOT,
				       &f->entry, rsdp),
			 0);
	assert_memory_equal(gp(f, mbi, sizeof(before)), before, sizeof(before));
}

/*
 * Kernels linked at 0x1000, 0x8000 (a real-mode test kernel), 1 MiB and
 * near the top of RAM: boot information in conventional memory off the
 * image (below it when there is room), modules right after it.
 */
static void test_placement_by_link_address(void **state)
{
	struct fixture *f = *state;
	/* MBI block: 0x250 + module names (22) + command line (23). */
	const struct {
		uint64_t addr, mbi;
	} cases[] = {
		/* Nothing below the image: top of conventional memory. */
		{ 0x1000, 0x9f000 },
		/* 0x9000 is the image's: the free pages below it. */
		{ 0x8000, 0x1000 },
		/* QEMU's address. */
		{ 0x100000, 0x9000 },
		{ RAM - 0x10000, 0x9000 },
	};
	size_t c;

	add_modules(f);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t a = cases[c].addr, end = a + 0x6000;

		memset(gp(f, 0, RAM), 0xcc, RAM);
		f->o.entry = a + 0x10;
		f->o.seg[0].paddr = f->o.seg[0].vaddr = a;
		f->o.seg[1].paddr = f->o.seg[1].vaddr = a + 0x3000;
		rebuild_elf(f);
		load_ok(f);
		check_elf_segments(f);
		assert_int_equal(f->entry.rip, a + 0x10);
		check_placed(f, a, end, cases[c].mbi, end);
		check_acpi_after(f, cases[c].mbi);
		/* The image is intact after the boot data and the tables. */
		check_elf_segments(f);
	}
}

/* The a.out kludge kernel from the issue: 0x8000-0xa86b, bss included. */
static void test_placement_aout_at_0x8000(void **state)
{
	struct fixture *f = *state;
	uint8_t *p;
	int i;

	f->a.load_addr = 0x8000;
	f->a.header_addr = 0x8040;
	f->a.load_end_addr = 0x9000;
	f->a.bss_end_addr = 0xa86c;
	f->a.entry_addr = 0x8100;
	f->a.file_size = 0x1000;
	rebuild_aout(f);
	add_modules(f);
	load_ok(f);
	assert_memory_equal(gp(f, 0x8000, 0x1000), f->img.data, 0x1000);
	check_placed(f, 0x8000, 0xa86c, 0x1000, 0xb000);
	check_acpi_after(f, 0x1000);
	p = gp(f, 0x9000, 0x186c);
	for (i = 0; i < 0x186c; i++)
		assert_int_equal(p[i], 0);
	assert_memory_equal(gp(f, 0x8000, 0x1000), f->img.data, 0x1000);
	assert_int_equal(f->entry.rip, 0x8100);
}

/*
 * An image filling conventional memory from 0x1000: the boot information
 * goes to the highest free RAM, the modules to the first pages above the
 * EBDA/BIOS hole, which the image end runs into.
 */
static void test_placement_conventional_memory_full(void **state)
{
	struct fixture *f = *state;
	uint64_t mbi;

	f->o.entry = 0x1010;
	f->o.seg[0].paddr = f->o.seg[0].vaddr = 0x1000;
	f->o.seg[0].memsz = 0x9f000 - 0x1000;
	f->o.seg[1].paddr = f->o.seg[1].vaddr = 0x50000;
	rebuild_elf(f);
	add_modules(f);
	load_ok(f);
	mbi = f->entry.boot_info;
	assert_int_equal(mbi, RAM - 0x1000);
	check_placed(f, 0x1000, 0x9f000, mbi, 0x100000);

	/* Without room anywhere, one error that names the image. */
	guest_memory_free(&f->mem);
	assert_int_equal(guest_memory_alloc(&f->mem, 0x100000 + 0x3000), 0);
	memset(f->mem.base, 0xcc, 0x103000);
	assert_int_equal(multiboot_load(&f->mem, &f->req, &f->entry, &f->err),
			 -ENOSPC);
	/* Checked before anything was written. */
	assert_int_equal(*gp(f, 0x1000, 1), 0xcc);
	assert_int_equal(*gp(f, 0x100000, 1), 0xcc);
	assert_string_equal(
		f->err.text,
		"multiboot information (637 bytes) does not fit in guest RAM (2 MiB) outside the kernel image at 0x1000-0x9efff and the firmware areas: increase --mem to at least 2 MiB");
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
		cmocka_unit_test_setup_teardown(test_placement_by_link_address,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement_aout_at_0x8000,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_placement_conventional_memory_full, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_robustness, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
