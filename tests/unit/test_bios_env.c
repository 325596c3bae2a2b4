// SPDX-License-Identifier: GPL-2.0
/*
 * The BIOS environment bios_env.c leaves for multiboot kernels: every IVT
 * entry, the BDA and EBDA bytes, the handlers' code (disassembled, so the
 * bytes are checked against what they are meant to do), the PIC and PIT
 * states handed to KVM, and that only the multiboot loader asks for it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "arch/x86/bios_env.h"
#include "arch/x86/boot.h"
#include "arch/x86/disasm.h"
#include "arch/x86/e820.h"
#include "arch/x86/layout.h"
#include "images.h"

#define RAM (64ULL << 20)

static struct guest_memory mem;

static int setup(void **state)
{
	struct errmsg err = { 0 };

	if (guest_memory_alloc(&mem, RAM))
		return -1;
	/* Junk everywhere first: what is not written stays visible. */
	memset(mem.base, 0xa5, 2 << 20);
	return bios_env_write(&mem, &err);
}

static int teardown(void **state)
{
	guest_memory_free(&mem);
	return 0;
}

static const uint8_t *at(uint64_t gpa)
{
	const uint8_t *p = guest_memory_ptr(&mem, gpa, 1);

	assert_non_null(p);
	return p;
}

static uint16_t get16(uint64_t gpa)
{
	return t_get16(at(gpa));
}

static void test_ivt_entries(void **state)
{
	unsigned int v;

	for (v = 0; v < 256; v++) {
		uint16_t off = get16(4 * v), seg = get16(4 * v + 2);
		uint16_t want = 0xff53;

		if (v == 0x08)
			want = 0xfea5;
		else if (v >= 0x09 && v <= 0x0f)
			want = 0xf000;
		else if (v >= 0x70 && v <= 0x77)
			want = 0xf010;
		assert_int_equal(seg, 0xf000);
		assert_int_equal(off, want);
		assert_int_equal(bios_env_ivt_entry(v),
				 0xf0000000U | (uint32_t)want);
	}
	/* The raw bytes of INT 08h's entry, little-endian offset:segment. */
	assert_memory_equal(at(0x20), "\xa5\xfe\x00\xf0", 4);
	/* Neighbours of the hardware ranges are plain IRETs. */
	assert_int_equal(get16(4 * 0x07), 0xff53);
	assert_int_equal(get16(4 * 0x10), 0xff53);
	assert_int_equal(get16(4 * 0x6f), 0xff53);
	assert_int_equal(get16(4 * 0x78), 0xff53);
}

static void test_bda(void **state)
{
	static const uint8_t zero[BIOS_ENV_BDA_SIZE];
	uint8_t bda[BIOS_ENV_BDA_SIZE];

	memcpy(bda, at(0x400), sizeof(bda));
	assert_int_equal(t_get16(bda + 0x00), 0x3f8); /* COM1 */
	assert_int_equal(t_get16(bda + 0x02), 0); /* no COM2 */
	assert_int_equal(t_get16(bda + 0x08), 0); /* no LPT1 */
	assert_int_equal(t_get16(bda + 0x0e), 0x9fc0); /* EBDA segment */
	assert_int_equal(t_get16(bda + 0x10), 0x0202); /* 1 UART, x87 */
	assert_int_equal(t_get16(bda + 0x13), 639); /* base memory KiB */
	assert_int_equal(t_get32(bda + 0x6c), 0); /* ticks */
	assert_int_equal(bda[0x70], 0); /* midnight flag */
	/* Everything else is zero. */
	memset(bda + 0x00, 0, 2);
	memset(bda + 0x0e, 0, 2);
	memset(bda + 0x10, 0, 2);
	memset(bda + 0x13, 0, 2);
	assert_memory_equal(bda, zero, sizeof(zero));
	/* The first byte past the BDA is not ours (the boot GDT's). */
	assert_int_equal(*at(0x500), 0xa5);
}

static void test_ebda(void **state)
{
	const uint8_t *e = at(LAYOUT_EBDA);
	size_t i;

	assert_int_equal(e[0], 1); /* its size in KiB */
	for (i = 1; i < 1024; i++)
		assert_int_equal(e[i], 0);
	assert_int_equal(*at(LAYOUT_EBDA - 1), 0xa5);
}

/* The memory map, the BDA and the EBDA tell one story. */
static void test_matches_e820(void **state)
{
	struct e820_entry map[E820_MAX_ENTRIES];
	int n = e820_build(&mem, map);

	assert_true(n >= 2);
	assert_int_equal(map[0].addr, 0);
	assert_int_equal(map[0].type, E820_RAM);
	assert_int_equal(map[0].size, (uint64_t)get16(0x413) << 10);
	assert_int_equal(map[1].addr, (uint64_t)get16(0x40e) << 4);
	assert_int_equal(map[1].type, E820_RESERVED);
	/* The stub is inside the reserved BIOS area. */
	assert_int_equal(map[2].addr, LAYOUT_BIOS);
	assert_true(LAYOUT_BIOS_STUB >= map[2].addr);
	assert_true(LAYOUT_HIGH_MEM <= map[2].addr + map[2].size);
}

static void expect_code(uint16_t off, const char *const *insns)
{
	uint64_t gpa = 0xf0000 + off;
	const uint8_t *code = at(gpa);
	char text[96];
	size_t pos = 0;
	int i, n;

	for (i = 0; insns[i]; i++) {
		n = x86_disasm(X86_CODE_16, off + pos, code + pos, 32, text,
			       sizeof(text));
		assert_true(n > 0);
		assert_string_equal(text, insns[i]);
		pos += (size_t)n;
	}
}

static void test_handler_code(void **state)
{
	static const char *const hwpic1[] = {
		"push ax", "mov al, 0x20", "out 0x20, al",
		"pop ax",  "iret",	   NULL,
	};
	static const char *const hwpic2[] = {
		"push ax", "mov al, 0x20", "out 0xa0, al", "out 0x20, al",
		"pop ax",  "iret",	   NULL,
	};
	static const char *const irq0[] = {
		"push ds",
		"push ax",
		"mov ax, 0x40",
		"mov ds, ax",
		"add word ptr [0x6c], 0x1",
		"adc word ptr [0x6e], 0x0",
		"cmp word ptr [0x6e], 0x18",
		"jb 0xfed7",
		"jnbe 0xfec7",
		"cmp word ptr [0x6c], 0xb0",
		"jb 0xfed7",
		/* 0xfec7: a day is over */
		"mov word ptr [0x6c], 0x0",
		"mov word ptr [0x6e], 0x0",
		"inc [0x70]",
		/* 0xfed7 */
		"int 0x1c",
		"mov al, 0x20",
		"out 0x20, al",
		"pop ax",
		"pop ds",
		"iret",
		NULL,
	};
	static const char *const iret[] = { "iret", NULL };

	expect_code(0xf000, hwpic1);
	expect_code(0xf010, hwpic2);
	expect_code(0xfea5, irq0);
	expect_code(0xff53, iret);
	/* Between the handlers: zero, not the junk that was there. */
	assert_int_equal(*at(0xff000 + 7), 0);
	assert_int_equal(*at(0xffff0), 0);
	assert_int_equal(*at(LAYOUT_BIOS_STUB - 1), 0xa5);
}

/* ACPI tables are built after the stub: both must survive. */
static void test_acpi_leaves_stub(void **state)
{
	struct acpi_params p = { .nr_cpus = 2 };
	struct errmsg err = { 0 };
	uint64_t rsdp = 0;

	assert_int_equal(acpi_build(&mem, &p, &rsdp, &err), 0);
	assert_int_equal(rsdp, LAYOUT_BIOS);
	assert_memory_equal(at(rsdp), "RSD PTR ", 8);
	assert_int_equal(*at(0xfff53), 0xcf);
	assert_int_equal(*at(0xffea5), 0x1e);
	assert_int_equal(*at(0xff000), 0x50);
}

static void test_too_little_ram(void **state)
{
	struct guest_memory small;
	struct errmsg err = { 0 };

	assert_int_equal(guest_memory_alloc(&small, 512 << 10), 0);
	assert_int_equal(bios_env_write(&small, &err), -EFAULT);
	assert_non_null(strstr(err.text, "BIOS stub"));
	guest_memory_free(&small);
}

static void test_pic_state(void **state)
{
	struct kvm_pic_state s;
	int slave;

	for (slave = 0; slave < 2; slave++) {
		/* Whatever KVM had: all of it is overwritten but the ELCR. */
		memset(&s, 0x5a, sizeof(s));
		s.elcr = 0x0c;
		s.elcr_mask = 0xde;
		bios_env_pic_state(&s, slave);
		assert_int_equal(s.irq_base, slave ? 0x70 : 0x08);
		assert_int_equal(s.imr, slave ? 0xff : 0xfb);
		assert_int_equal(s.irr, 0);
		assert_int_equal(s.last_irr, 0);
		assert_int_equal(s.isr, 0);
		assert_int_equal(s.priority_add, 0);
		assert_int_equal(s.read_reg_select, 0);
		assert_int_equal(s.poll, 0);
		assert_int_equal(s.special_mask, 0);
		assert_int_equal(s.init_state, 0);
		assert_int_equal(s.auto_eoi, 0);
		assert_int_equal(s.rotate_on_auto_eoi, 0);
		assert_int_equal(s.special_fully_nested_mode, 0);
		assert_int_equal(s.init4, 1);
		assert_int_equal(s.elcr, 0x0c);
		assert_int_equal(s.elcr_mask, 0xde);
	}
}

static void test_pit_state(void **state)
{
	struct kvm_pit_state2 s, before;
	struct kvm_pit_channel_state *c = &s.channels[0];

	memset(&s, 0x5a, sizeof(s));
	before = s;
	bios_env_pit_state(&s);
	assert_int_equal(c->count, 65536); /* 1193182 / 65536 = 18.2 Hz */
	assert_int_equal(c->mode, 2);
	assert_int_equal(c->rw_mode, 3);
	assert_int_equal(c->read_state, 3);
	assert_int_equal(c->write_state, 3);
	assert_int_equal(c->bcd, 0);
	assert_int_equal(c->gate, 1);
	assert_int_equal(c->count_latched, 0);
	assert_int_equal(c->status_latched, 0);
	/* Channels 1 and 2 and the flags are KVM's. */
	assert_memory_equal(&s.channels[1], &before.channels[1],
			    2 * sizeof(s.channels[1]));
	assert_int_equal(s.flags, before.flags);
}

static bool loads_with_bios_env(struct timg img)
{
	struct boot_request req = { .cmdline = "" };
	struct boot_entry entry;
	struct guest_memory m;
	struct errmsg err = { 0 };
	bool want;

	req.kernel.data = img.data;
	req.kernel.size = img.size;
	assert_int_equal(guest_memory_alloc(&m, RAM), 0);
	memset(&entry, 0x5a, sizeof(entry));
	assert_int_equal(boot_load(&m, &req, &entry, &err), 0);
	want = entry.bios_env;
	guest_memory_free(&m);
	timg_free(&img);
	return want;
}

/* Only the formats from the BIOS world get it; Linux sets up its own. */
static void test_only_multiboot(void **state)
{
	struct telf_opts mb = tmb_elf_defaults(), pvh = tpvh_defaults();
	struct tmb_aout_opts aout = tmb_aout_defaults();
	struct tbz_opts bz = tbz_defaults();

	assert_true(loads_with_bios_env(telf_build(&mb, NULL)));
	assert_true(loads_with_bios_env(tmb_aout_build(&aout)));
	assert_false(loads_with_bios_env(telf_build(&pvh, NULL)));
	assert_false(loads_with_bios_env(tbz_build(&bz)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ivt_entries),
		cmocka_unit_test(test_bda),
		cmocka_unit_test(test_ebda),
		cmocka_unit_test(test_matches_e820),
		cmocka_unit_test(test_handler_code),
		cmocka_unit_test(test_acpi_leaves_stub),
		cmocka_unit_test(test_too_little_ram),
		cmocka_unit_test(test_pic_state),
		cmocka_unit_test(test_pit_state),
		cmocka_unit_test(test_only_multiboot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
